"""The built site in a real browser: headless Chromium (Debian's), driven by Playwright.

Opens the index from file://, goes to §3(c)(viii), follows a cross-reference, uses the search,
and finds no console error, no page error and no request leaving the machine. The screenshot
is saved to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_browse_the_site_in_chromium(chromium: str, savvis_site: Path, tmp_path: Path) -> None:
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})

            def on_console(msg: Any) -> None:
                if msg.type in ("error", "warning"):
                    problems.append(f"console {msg.type}: {msg.text}")

            def on_request(req: Any) -> None:
                if not req.url.startswith(("file:", "data:")):
                    problems.append(f"request leaves the machine: {req.url}")

            page.on("console", on_console)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
            page.on("request", on_request)

            index = (savvis_site / "index.html").as_uri()
            page.goto(index)
            assert page.title() == "Contents"

            # the table of contents → §3(c)(viii)
            page.locator("table.toc a", has_text=re.compile(r"^§3\(c\)\(viii\)$")).first.click()
            page.wait_for_load_state()
            assert page.url.endswith("/savvis_2001/s-3-c-viii.html")
            assert "Deferral for material information" in page.locator("h1").inner_text()
            assert page.locator(".agreement").inner_text().count("material information") >= 1
            lines = (ROOT / "contracts" / "savvis_2001.rrd").read_text("utf-8").splitlines()
            defer = next(i for i, ln in enumerate(lines, 1) if "clause defer:" in ln)
            assert page.locator(f"#L-{defer}").count() == 1  # `clause defer` has its anchor

            # follow a cross-reference: the exception suspends §3(a).register
            page.locator(".clauses code a", has_text="§3(a).register").first.click()
            page.wait_for_load_state()
            assert re.search(r"/s-3-a\.html#L-\d+$", page.url), page.url
            anchor = page.url.rsplit("#", 1)[1]
            assert page.locator(f"[id='{anchor}']").count() == 1
            assert "clause register" in page.locator(".clauses").inner_text()

            # the search box finds a defined term and leads to its definition
            page.goto(index)
            page.fill("#search", "restricted stock then")
            hits = page.locator("#results a")
            hits.first.wait_for()
            texts = hits.all_inner_texts()
            assert "Restricted Stock then outstanding" in texts, texts
            page.locator("#results").get_by_role(  # the 2001 agreement's comes first
                "link", name="Restricted Stock then outstanding", exact=True).first.click()
            page.wait_for_load_state()
            assert re.search(r"/s-1\.html#L-\d+$", page.url), page.url

            # and a section number
            page.goto(index)
            page.fill("#search", "§3(c)(viii)")
            hits.first.wait_for()
            assert hits.first.inner_text() == "§3(c)(viii)"
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url.endswith("/s-3-c-viii.html")

            # the diff page of the amendment: the changed definition links to both sides
            page.goto(index)
            page.get_by_role("link", name="Diff: savvis_2001 → savvis_2001_amendment_1").click()
            page.wait_for_load_state()
            assert "savvis_2001 → savvis_2001_amendment_1" in page.locator("h1").inner_text()
            row = page.locator("tr", has_text="demand_registration_limit")
            assert "2 → 3" in row.inner_text()
            row.locator("a").last.click()
            page.wait_for_load_state()
            amended = r"/savvis_2001_amendment_1/[a-z0-9-]+\.html#[LV]\d*-\d+$"
            assert re.search(amended, page.url), page.url
            page.go_back()
            assert page.locator(".sides pre").count() >= 2  # derivations side by side

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "site-3c-viii.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
    assert problems == []


def test_the_site_reads_well_on_a_laptop_and_a_phone(chromium: str, savvis_site: Path) -> None:
    """Issue 18: a diff page no wider than the screen, with both agreements' columns in view;
    a cross-reference lands below the sticky header; search results grouped by agreement."""
    diff = (savvis_site / "diff-savvis-2001-savvis-2001-amendment-1.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            for width, height in ((1366, 768), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(diff)
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width + 1, f"the diff page is {wide}px wide at {width}px"
                sides = page.locator(".sides").first
                boxes = [d.bounding_box() for d in sides.locator(":scope > div").all()]
                assert len(boxes) == 2 and all(b and b["width"] > 100 and
                                               b["x"] + b["width"] <= width + 1 for b in boxes)
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"site-diff-{width}.png"))
                page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            section = savvis_site / "savvis_2001" / "s-3-a.html"
            text = section.read_text(encoding="utf-8")
            line = int(re.findall(r'id="L-(\d+)"', text)[40])
            page.goto(section.as_uri() + f"#L-{line}")
            header = page.locator("header.top").bounding_box()
            target = page.locator(f"[id='L-{line}']").bounding_box()
            assert header and target and target["y"] >= header["y"] + header["height"] - 1
            lit = page.evaluate(f"getComputedStyle(document.getElementById('L-{line}'), "
                                "'::before').backgroundColor")
            assert lit not in ("", "rgba(0, 0, 0, 0)"), lit
            page.goto((savvis_site / "index.html").as_uri())
            page.fill("#search", "register")
            page.locator("#results a").first.wait_for()
            groups = page.locator("#results li.group").all_inner_texts()
            assert groups[0] == "savvis_2001" and len(groups) == len(set(groups))
        finally:
            browser.close()
