"""`rrdsl html`: the static site — offline, escaped, every internal link resolving, line
anchors, search index, scenario pages, and the docs highlighted by the rrdsl lexer."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error

from rrdsl.cli import main
from rrdsl.docsite import render_markdown
from rrdsl.lexer import RrdslLexer
from rrdsl.site import embed_json, highlight_html, scenario_files

ROOT = Path(__file__).resolve().parent.parent


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # tag, attribute, value
        self.ids: set[str] = set()
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k in ("href", "src", "action", "data", "poster") and v is not None:
                self.links.append((tag, k, v))
            if k in ("id", "name") and v:
                self.ids.add(v)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _pages(site: Path) -> dict[Path, _Page]:
    out = {}
    for f in sorted(site.rglob("*.html")):
        p = _Page()
        p.feed(f.read_text(encoding="utf-8"))
        out[f] = p
    return out


@pytest.fixture(scope="module")
def pages(savvis_site: Path) -> dict[Path, _Page]:
    return _pages(savvis_site)


def test_the_site_has_the_expected_pages(savvis_site: Path) -> None:
    s = savvis_site / "savvis_2001"
    for name in ("index.html", "s-3-c-viii.html", "s-1.html", "s-3.html", "s-8-f-ii.html",
                 "f-savvis-2001-rrd.html", "f-lib-registration-rrd.html"):
        assert (s / name).is_file(), name
    assert (savvis_site / "index.html").is_file()
    assert (savvis_site / "docs" / "language.html").is_file()
    scenarios = scenario_files(ROOT / "contracts" / "savvis_2001.rrd", None)
    assert len(scenarios) > 50
    assert len(list(s.glob("scenario-*.html"))) == len(scenarios)


def test_offline_no_external_assets(savvis_site: Path, pages: dict[Path, _Page]) -> None:
    for f, p in pages.items():
        for tag, attr, value in p.links:
            if tag == "a":
                continue  # a link the reader may follow is no asset
            assert not re.match(r"^(https?:)?//", value), f"{f}: <{tag} {attr}={value}>"
            assert not (tag == "script" and attr == "src"), f"{f}: scripts are inline"
            assert not (tag == "link" and value and not value.startswith("data:")), f
        if "docs" not in f.parts:  # the contract pages name no web address at all
            text = f.read_text(encoding="utf-8")
            assert "http://" not in text and "https://" not in text, f
    css = (savvis_site / "index.html").read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css


def test_every_internal_link_resolves(savvis_site: Path, pages: dict[Path, _Page]) -> None:
    broken = []
    for f, p in pages.items():
        for tag, _, value in p.links:
            if tag != "a" or re.match(r"^[a-z]+:", value):
                continue
            parts = urlsplit(value)
            target = (f.parent / unquote(parts.path)).resolve() if parts.path else f
            if not target.exists():
                broken.append(f"{f.relative_to(savvis_site)}: {value}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{f.relative_to(savvis_site)}: {value} (no such anchor)")
    assert broken == []


def test_section_page_has_line_anchors_links_and_the_agreement(savvis_site: Path) -> None:
    page = (savvis_site / "savvis_2001" / "s-3-c-viii.html").read_text(encoding="utf-8")
    lines = (ROOT / "contracts" / "savvis_2001.rrd").read_text(encoding="utf-8").splitlines()
    b_first = next(i for i, ln in enumerate(lines, 1) if ln.startswith("section 3(c)(viii)"))
    after = next((i for i, ln in enumerate(lines, 1) if i > b_first
                  and ln.startswith("section ")), len(lines) + 1)
    b_last = max(i for i in range(b_first, after) if lines[i - 1].strip())
    for n in range(b_first, b_last + 1):
        assert f'id="L-{n}"' in page
    assert f'id="L-{b_first - 1}"' not in page and f'id="L-{b_last + 1}"' not in page
    assert '<span class="kd">clause</span>' in page  # highlighted by the rrdsl lexer
    # the targets of the exception are links to the clauses they suspend
    assert re.search(r'<a href="s-3-a\.html#L-\d+"><span class="nl">§3\(a\)</span>', page)
    assert "90 days after  Savvis  makes such" not in page  # words joined, not raw lines
    assert "90 days after Savvis makes such good faith determination" in page
    assert "References received" in page and "Scenarios" in page


def test_search_index_is_embedded_safely(pages: dict[Path, _Page], savvis_site: Path) -> None:
    index = pages[savvis_site / "index.html"]
    data = json.loads(index.scripts[0])
    labels = {e["t"] for e in data}
    assert {"§3(c)(viii)", "§3(a).register", "restricted_stock", "Restricted Stock",
            "DemandNotice"} <= labels
    for e in data:
        assert (savvis_site / e["h"].split("#")[0]).is_file(), e


def test_scenario_page_has_report_and_derivation_linking_clauses(savvis_site: Path) -> None:
    page = (savvis_site / "savvis_2001" /
            "scenario-viii-first-deferral-suspends-until-disclosure.html").read_text("utf-8")
    assert '<span class="status-ok">passed</span>' in page
    assert "<h2>Report</h2>" in page and "<h2>Derivations</h2>" in page
    assert re.search(r'<a href="s-3-a\.html#L-\d+">§3\(a\)\.register\[', page)
    assert 'class="tree"' in page and "exception" in page


def test_user_text_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "<script>alert(1)</script>"
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "a.txt").write_text(
        f"SECTION 1. DEFINITIONS. {evil} & \"quoted\" </script><!--\n", encoding="utf-8")
    (tmp_path / "c.rrd").write_text(
        f'agreement script "Title {evil}"\n  dated 2001-02-20\n  source "text/a.txt"\n'
        f'party Savvis "S {evil}"\n'
        f'section 1 "Heading {evil}"\n'
        f'  clause script: Savvis shall "do {evil}"\n'
        f'  reading why: "{evil}"\n', encoding="utf-8")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.scenario.toml").write_text(
        f'title = "T {evil}"\ncontract = "../c.rrd"\nsection = "1"\ncites = "{evil}"\n'
        'as_of = 2001-03-01\n[given.facts]\n[[expect]]\nclause = "1.script"\n'
        'status = "in_force"\n', encoding="utf-8")
    out = tmp_path / "site"
    assert main(["html", str(tmp_path / "c.rrd"), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 4
    for f in pages:
        text = f.read_text(encoding="utf-8")
        assert "<script>alert" not in text, f
        assert "</script><!--" not in text, f
        if f.name.startswith(("s-1", "scenario-")):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, f
    index = (out / "index.html").read_text(encoding="utf-8")
    # the search index holds the heading, encoded so it cannot close its <script> element
    assert index.count("</script>") == 2
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in index


def test_embed_json_cannot_break_out() -> None:
    text = embed_json({"a": "</script><!-- & ]]>"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & ]]>"}


def test_highlighted_code_keeps_the_text_and_wraps_exactly_the_link() -> None:
    code = 'section 1 "A <b>"\n  subject to §2\n'
    out = highlight_html(code, 10, [(11, 14, 16, "s-2.html")])
    assert 'id="L-10"' in out and 'id="L-11"' in out
    assert '<a href="s-2.html"><span class="nl">§2</span></a>' in out
    assert "&lt;b&gt;" in out and "<b>" not in out
    text = re.sub(r'<span class="linenos">\s*\d+</span>', "", out)
    text = re.sub(r"<[^>]+>", "", text)
    assert text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
        .replace("&#39;", "'").replace("&amp;", "&").strip() == code.strip()


def test_usage_errors_of_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["html", "-o", str(tmp_path / "x")]) == 2
    assert "usage error[E707]: nothing to build" in capsys.readouterr().err
    afile = tmp_path / "file"
    afile.write_text("")
    assert main(["html", str(ROOT / "contracts/savvis_2001.rrd"), "-o", str(afile)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["html", str(ROOT / "contracts/savvis_2001.rrd")])
    assert exc.value.code == 2


# ── the docs, highlighted by the lexer ──────────────────────────────────────


def _rrd_blocks() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"^( *)```rrd\n(.*?)^\1```", text, re.S | re.M):
            code = "\n".join(line[len(m.group(1)):] for line in m.group(2).splitlines())
            out.append((f"{path.name}:{text[:m.start()].count(chr(10)) + 1}", code + "\n"))
    return out


def test_the_lexer_is_found_by_name_and_file_name() -> None:
    assert isinstance(get_lexer_by_name("rrd"), RrdslLexer)
    assert isinstance(get_lexer_for_filename("x.rrd"), RrdslLexer)


@pytest.mark.parametrize("where,code", _rrd_blocks(), ids=lambda x: x if ":" in str(x) else "")
def test_every_rrd_example_in_the_docs_is_highlighted(where: str, code: str) -> None:
    tokens = list(RrdslLexer().get_tokens(code))
    assert not [v for t, v in tokens if t in Error], where
    html = render_markdown("```rrd\n" + code + "```\n")
    assert '<div class="highlight">' in html, where
    # the spans are exactly the rrdsl lexer's
    direct = highlight(code, RrdslLexer(), HtmlFormatter())
    assert _spans(html) == _spans(direct) != [], where


def _spans(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="([a-z0-9]+)">([^<]*)</span>', html)


def test_the_language_reference_highlights_every_example(savvis_site: Path) -> None:
    md = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    page = (savvis_site / "docs" / "language.html").read_text(encoding="utf-8")
    fences = re.findall(r"^ *```(\w*)$", md, re.M)
    opening = fences[0::2]
    assert all(lang for lang in opening), "every example says its language"
    assert page.count('<div class="highlight">') == len(opening)


def test_diff_pages_of_the_variant_and_the_amendment(savvis_site: Path) -> None:
    index = (savvis_site / "index.html").read_text(encoding="utf-8")
    link = '<a href="diff-savvis-2001-original-2000.html">Diff: savvis_2001 → original_2000'
    assert link in index
    page = (savvis_site / "diff-savvis-2001-savvis-2001-amendment-1.html").read_text("utf-8")
    row = re.search(r"<tr><td>changed</td>.*?demand_registration_limit.*?</tr>", page)
    assert row and "2 → 3" in row.group()
    # both sides link to the line of the definition in their own pages
    assert re.search(r'href="savvis_2001/s-3-a\.html#L-\d+"', row.group())
    assert re.search(r'href="savvis_2001_amendment_1/[a-z0-9-]+\.html#[LV]\d*-\d+"', row.group())
    assert "3(a).register[dn3]" in page and 'class="sides"' in page
    original = (savvis_site / "diff-savvis-2001-original-2000.html").read_text("utf-8")
    assert "assumed terms: 0 → " in original and "<code>Bridge</code>" in original


def test_a_reference_to_another_agreement_links_to_its_clause(savvis_site: Path) -> None:
    page = (savvis_site / "savvis_2001" / "s-3-i.html").read_text(encoding="utf-8")
    # in the code and in "References made": the Original agreement's clause, built alongside
    link = re.search(r'<a href="\.\./original_2000/s-3-i\.html#V1-(\d+)"><span class="n">'
                     r"pay_registration_expenses", page)
    assert link
    assert (f'<a href="../original_2000/s-3-i.html#V1-{link.group(1)}">clause '
            "pay_registration_expenses of original_2000</a>") in page
    target = (savvis_site / "original_2000" / "s-3-i.html").read_text(encoding="utf-8")
    assert f'id="V1-{link.group(1)}"' in target


def test_the_readers_fixes_of_issue_18(savvis_site: Path) -> None:
    """Diff caveat, plain expectations, docs in reading order, search grouped by agreement,
    landing below the header, wrapped strings, the agreement's text kept in view."""
    page = (savvis_site / "diff-savvis-2001-savvis-2001-amendment-1.html").read_text("utf-8")
    assert "savvis_2001_amendment_1 is an amendment: evaluated as if it had taken effect" in page
    assert '<div class="wide"><table>' in page
    for f in (savvis_site / "savvis_2001").glob("scenario-*.html"):
        text = f.read_text(encoding="utf-8")
        expected = text.split("<h2>Expected</h2>", 1)[-1].split("</ul>", 1)[0]
        assert "[&#x27;" not in expected and "{&#x27;" not in expected, f
        assert "Decimal(" not in expected and "datetime.date(" not in expected, f
    index = (savvis_site / "index.html").read_text(encoding="utf-8")
    docs = index.split("<h2>Documentation</h2>", 1)[1].split("</ul>", 1)[0]
    order = re.findall(r'href="docs/([\w-]+)\.html"', docs)
    assert order[:3] == ["index", "tutorial", "language"], order
    assert "`" not in docs
    entries = json.loads(re.search(r'id="search-index">(.*?)</script>', index, re.S)
                         .group(1))  # type: ignore[union-attr]
    assert {e["a"] for e in entries} == {"savvis_2001", "original_2000",
                                         "savvis_2001_amendment_1"}
    assert all(" in savvis_2001" not in e["k"] for e in entries)  # the group says which
    assert "scroll-margin-top" in index and "white-space: pre-wrap" in index
    assert "position: sticky; top: 2.8rem" in index
