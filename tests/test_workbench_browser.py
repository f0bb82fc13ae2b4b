"""The workbench (`rrdsl serve`) in a real browser: headless Chromium (Debian's), Playwright.

The server runs in this process, in a thread (uvicorn.Server on a free port of 127.0.0.1).
The test loads the bundled fact file through the page, adds a Demand Notice and a Transfer by
form, sees §3(a).register pending, moves the as-of date past the Transfer notice's deadline and
sees the breach, changes one fact and sees what changed, types markup into a field and finds it
shown as text, downloads the fact file and gets the same answers from `rrdsl eval`. No console
error, no page error, no request leaving the machine. Screenshots go to
test-artifacts/workbench/ (git-ignored); with RRDSL_WORKBENCH_SHOTS=docs/images they are also
copied there, as the pictures of docs/workbench.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn", reason="rrdsl serve needs the serve extra: pip install "
                    "'rrdsl[serve]'")
pytest.importorskip("starlette", reason="rrdsl serve needs the serve extra")

import uvicorn  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

import rrdsl  # noqa: E402
from rrdsl.serve import make_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "workbench"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMAND = ROOT / "contracts" / "facts" / "demand-2001.toml"


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """The app served on a free port of 127.0.0.1, in a thread; yields its address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the workbench did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def answers(page: Page) -> dict[str, str]:
    return {a.get_attribute("data-instance") or "": a.get_attribute("data-status") or ""
            for a in page.locator("article.answer").all()}


def submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def event(page: Page, eid: str) -> Any:
    return page.locator(f'fieldset.event[data-id="{eid}"]')


def shot(page: Page, name: str, anchor: str | None = None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if anchor:
        page.locator(anchor).first.scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -60)")
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    docs = os.environ.get("RRDSL_WORKBENCH_SHOTS")  # e.g. docs/images: the guide's pictures
    if docs:
        shutil.copyfile(path, Path(docs) / f"workbench-{name}.png")
    return path


def test_the_workbench_in_chromium(chromium: str, tmp_path: Path) -> None:
    app = make_app([rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")])
    problems: list[str] = []
    with running(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900},
                                          accept_downloads=True)
            page = context.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
            page.on("request", lambda r: None if r.url.startswith((base, "data:"))
                    else problems.append(f"request leaves the machine: {r.url}"))

            page.goto(base + "/")
            assert "Workbench" in page.title()
            assert answers(page) == {}  # no facts yet: every answer is not triggered

            # load the bundled fact file through the page
            page.set_input_files('input[name="file"]', str(DEMAND))
            submit(page, '#load button[type="submit"]')
            assert "loaded demand-2001.toml" in page.locator("p.note").first.inner_text()
            assert answers(page)["3(a).register[dn1]"] == "pending"
            shot(page, "loaded")

            # add a Demand Notice by form
            page.select_option("#new_event_type", "DemandNotice")
            submit(page, "#add_event")
            dn2 = event(page, "dn2")
            dn2.locator('input[name$=".date"]').fill("2001-06-10")
            dn2.locator('[aria-label="shares WCAS"]').fill("1,000,000")
            dn2.locator('select[name$=".method"]').select_option("firm_commitment")
            dn2.locator('select[name$=".channel"]').select_option("personal")
            shot(page, "demand-notice-form", 'fieldset.event[data-id="dn2"]')
            submit(page, "#evaluate")
            got = answers(page)
            assert got["3(a).register[dn2]"] == "pending"
            assert page.locator("#changes").inner_text().count("§3(a).register[dn2]") == 1
            shot(page, "answers", 'article[data-instance="3(a).register[dn2]"]')
            why = page.locator('article[data-instance="3(a).register[dn2]"] details.why')
            why.locator("summary").first.click()
            assert "THE ANSWER" in why.inner_text() and "under §3(a)" in why.inner_text()
            shot(page, "derivation", 'article[data-instance="3(a).register[dn2]"]')

            # a Transfer: its notice has a deadline; past it, the notice is breached
            page.select_option("#new_event_type", "Transfer")
            submit(page, "#add_event")
            t1 = event(page, "t1")
            t1.locator('input[name$=".date"]').fill("2001-06-12")
            for name, value in (("transferor", "WCAS"), ("kind", "sale"),
                                ("relation", "unrelated"), ("registered", "false"),
                                ("exempt", "true"), ("state_law_compliant", "true"),
                                ("notice_otherwise_required", "false")):
                t1.locator(f'select[name$=".{name}"]').select_option(value)
            t1.locator('input[name$=".shares"]').fill("500000")
            t1.locator('input[name$=".transferee"]').fill('<img src=x onerror=alert(1)>Acme')
            submit(page, "#evaluate")
            assert answers(page)["2(a).transfer_notice[WCAS, t1]"] == "pending"
            # the markup typed is kept, as text
            assert event(page, "t1").locator('input[name$=".transferee"]').input_value() == \
                "<img src=x onerror=alert(1)>Acme"
            assert page.locator("img").count() == 0
            page.fill("#as_of", "2001-08-01")
            submit(page, "#evaluate")
            assert answers(page)["2(a).transfer_notice[WCAS, t1]"] == "breached"
            bar = page.locator('svg.timeline g.bar[data-instance="2(a).transfer_notice[WCAS, t1]"]')
            assert bar.get_attribute("data-status") == "breached"
            assert "cites §2(a)" in (bar.locator("title").text_content() or "")
            bar.focus()
            shot(page, "timeline", "#timeline")

            # what if WCAS held fewer shares? make this the baseline, change one fact
            submit(page, "#baseline")
            assert page.locator("#no-changes").count() == 1
            row = page.locator('[id^="f.savvis_common_shares."]').filter(
                has=page.locator('option[value="WCAS"][selected]'))
            row.locator('input[name$=".value"]').fill("1000")
            submit(page, "#evaluate")
            changes = page.locator("#changes").inner_text()
            assert re.search(r"§3\(a\)\.register\[dn2\]\s+pending\s+not triggered", changes), \
                changes
            shot(page, "what-if", "#whatif")

            # a mistake is shown beside its field, and what was typed stays
            row.locator('input[name$=".value"]').fill("a thousand")
            submit(page, "#evaluate")
            beside = row.locator("pre.diag")
            assert "error[E503]" in beside.inner_text() and "facts.toml:" in beside.inner_text()
            assert row.locator('input[name$=".value"]').input_value() == "a thousand"
            shot(page, "diagnostic", '[id^="f.savvis_common_shares."]')
            row.locator('input[name$=".value"]').fill("1000")
            submit(page, "#evaluate")

            # the download gives the CLI the same answers
            shown = answers(page)
            with page.expect_download() as dl:
                page.get_by_role("link", name="Download facts.toml").click()
            saved = tmp_path / "facts.toml"
            dl.value.save_as(saved)
            done = subprocess.run(
                [sys.executable, "-m", "rrdsl", "eval", "contracts/savvis_2001.rrd", str(saved),
                 "--format", "json", "--no-values"], capture_output=True, text=True, cwd=ROOT,
                check=False)
            assert done.returncode == 0, done.stderr
            cli = {n["id"]: n["status"] for n in json.loads(done.stdout)["norms"]
                   if n["status"] != "not_triggered"}
            assert cli == shown
        finally:
            browser.close()
    assert problems == []
