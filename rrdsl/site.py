"""`rrdsl html`: a static site for reading contracts, offline from `file://`.

Every page is one self-contained file: CSS and JavaScript inline, no external asset, no
network. The site has a table of contents with a search box (clause names, section numbers,
defined terms; the index is JSON embedded in the page); a page per section with the clause
file's lines highlighted by the rrdsl lexer (line anchors `#L-<n>`) beside the agreement's own
text, every reference a link; a page per clause file; a page per scenario with its report and
derivation trees linking to the clauses used; and, with `--docs`, the Markdown docs rendered
with the same lexer (docsite.py).

Adding a page is one function taking data and returning the escaped HTML of its body, and one
`Site.add(path, title, body)` call in `build_site` (variant diffs plug in the same way: see
`diff_page_hook` below). All user text passes through `esc` (html.escape).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import shutil
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from pygments import format as pygments_format
from pygments.formatters import HtmlFormatter
from pygments.token import Token, _TokenType

from .browse import VERBS, Browse, Item, Ref, Unit, load_browse
from .diagnostics import Diagnostic, UsageError
from .evaluator import NormResult, Outcome
from .lexer import RrdslLexer
from .report import norm_details, shown_part
from .runtime import Node
from .scenarios import scenario_data
from .values import show as show_value


def esc(text: object) -> str:
    """Escape any user text for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def embed_json(data: Any) -> str:
    """JSON safe inside a <script> element: no `</script>`, `<!--` or `]]>` can appear."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


# ── page frame ───────────────────────────────────────────────────────────────

CSS = """
.sides { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1em; }
.sides > div { min-width: 0; }
.sides pre { overflow: auto; max-height: 40rem; border: 1px solid var(--line); padding: .4rem;
  margin: 0; }
@media (max-width: 50rem) { .sides { grid-template-columns: minmax(0, 1fr); } }
.wide { overflow-x: auto; max-width: 100%; }
.wide table td, .wide table th { vertical-align: top; }
.caveat { background: #fef7e0; border-left: 3px solid #f29900; padding: .35rem .6rem; }
[id] { scroll-margin-top: 3.5rem; }
h1, h2, h3, h4, p, li { overflow-wrap: anywhere; }
:root { --fg: #1b1b1b; --muted: #666; --line: #ddd; --accent: #0b57d0; --bg2: #f6f6f4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 Georgia, "Times New Roman", serif; color: var(--fg); }
header.top { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid
  var(--line); padding: .4rem 1rem; font-family: system-ui, sans-serif; font-size: 14px; }
header.top a { margin-right: 1rem; }
main { padding: 1rem 1.5rem 3rem; max-width: 110rem; margin: 0 auto; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
h1 { font-size: 1.5rem; margin: .5rem 0; } h2 { font-size: 1.15rem; margin-top: 1.5rem; }
.muted, .kind { color: var(--muted); font-size: 90%; }
.cols { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr); gap: 1.5rem; }
@media (min-width: 70.01rem) { .cols > .agreement { position: sticky; top: 2.8rem;
  align-self: start; max-height: calc(100vh - 3.5rem); overflow-y: auto; } }
@media (max-width: 70rem) { .cols { grid-template-columns: minmax(0, 1fr); }
  .cols > .agreement { order: -1; max-height: 22rem; overflow-y: auto;
    border-bottom: 1px solid var(--line); } }
.agreement p { margin: 0 0 .8rem; text-align: justify; }
.agreement .lines { font-family: system-ui, sans-serif; font-size: 12px; color: var(--muted); }
.highlight { background: var(--bg2); border: 1px solid var(--line); border-radius: 4px;
  overflow-x: auto; }
.highlight pre { margin: 0; padding: .5rem .75rem; font: 13px/1.45 ui-monospace, "DejaVu Sans Mono",
  Menlo, monospace; white-space: pre-wrap; overflow-wrap: anywhere; position: relative; }
.highlight a[id]:target::before { content: ""; position: absolute; left: 0; right: 0;
  height: 1.45em; background: #ffe58a; mix-blend-mode: multiply; pointer-events: none; }
.highlight .linenos { color: #999; padding-right: .8rem; user-select: none; }
.highlight a:target + a .linenos { background: #ffe58a; color: #000; }
.highlight code a:not([id]) { text-decoration: underline dotted; }
ul.refs { padding-left: 1.2rem; } ul.refs li { margin: .15rem 0; }
#search { width: min(40rem, 100%); font-size: 16px; padding: .35rem .5rem; }
#results { list-style: none; padding: 0; margin: .3rem 0 1rem; }
#results li { padding: .1rem 0; }
#results li.group { font: bold 13px system-ui, sans-serif; color: var(--muted);
  margin-top: .5rem; border-bottom: 1px solid var(--line); }
table.toc { border-collapse: collapse; } table.toc td { padding: .1rem .8rem .1rem 0;
  vertical-align: top; }
.toc .d1 { padding-left: 1.2rem; } .toc .d2 { padding-left: 2.4rem; }
.toc .d3 { padding-left: 3.6rem; }
.status-ok { color: #137333; font-weight: bold; }
.status-fail { color: #b3261e; font-weight: bold; }
.answer { margin: .4rem 0 .8rem; } .answer .modal { font-family: system-ui, sans-serif;
  font-weight: bold; font-size: 12px; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.2rem; margin: 0; }
ul.tree { font: 13px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; padding-left: 0; }
ul.tree li { border-left: 1px solid var(--line); padding-left: .5rem; }
pre.plain { background: var(--bg2); padding: .5rem .75rem; white-space: pre-wrap; }
.timeline-box { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; }
.timeline-box svg { display: block; width: 100%; height: auto; min-width: 44rem; }
.timeline-box .bar:focus rect { stroke: #000; stroke-width: 2; }
"""

SEARCH_JS = """
(function () {
  var box = document.getElementById("search");
  var holder = document.getElementById("search-index");
  if (!box || !holder) { return; }
  var root = document.body.getAttribute("data-root") || "";
  var data = JSON.parse(holder.textContent);
  var out = document.getElementById("results");
  function norm(s) { return s.toLowerCase().replace(/\\u00a7/g, "").replace(/\\s+/g, " "); }
  data.forEach(function (e) { e.n = norm(e.t + " " + (e.d || "")); });
  function search() {
    var q = norm(box.value.trim());
    out.textContent = "";
    if (!q) { return; }
    var hits = data.filter(function (e) { return e.n.indexOf(q) >= 0; });
    var order = [];
    data.forEach(function (e) { if (order.indexOf(e.a) < 0) { order.push(e.a); } });
    function rank(e) {
      return order.indexOf(e.a) * 4 + (e.k === "section" ? 0 : 2) +
        (norm(e.t).indexOf(q) === 0 ? 0 : 1);
    }
    hits.forEach(function (e, i) { e.i = i; });
    hits.sort(function (a, b) { return rank(a) - rank(b) || a.i - b.i; });
    var group = null;
    hits.slice(0, 60).forEach(function (e) {
      if (order.length > 1 && e.a !== group) {
        group = e.a;
        var head = document.createElement("li");
        head.className = "group";
        head.textContent = e.a;
        out.appendChild(head);
      }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + e.h;
      a.textContent = e.t;
      var k = document.createElement("span");
      k.className = "kind";
      k.textContent = " " + e.k + (e.d ? " \\u2014 " + e.d : "");
      li.appendChild(a);
      li.appendChild(k);
      out.appendChild(li);
    });
    if (!hits.length) {
      var li = document.createElement("li");
      li.textContent = "No match";
      out.appendChild(li);
    }
  }
  box.addEventListener("input", search);
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var first = out.querySelector("a");
      if (first) { window.location.href = first.href; }
    }
  });
  search();
})();
"""


def _frame(title: str, body: str, root: str, extra: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}{_PYGMENTS_CSS}</style>\n</head>\n"
        f"<body data-root=\"{esc(root)}\">\n<header class=\"top\">"
        f"<a href=\"{esc(root)}index.html\">Contents &amp; search</a></header>\n"
        f"<main>\n{body}\n</main>\n{extra}</body>\n</html>\n")


_PYGMENTS_CSS = HtmlFormatter(style="default").get_style_defs(  # type: ignore[no-untyped-call]
    ".highlight")


@attrs.define
class Site:
    """The pages being built: path relative to the site's root → HTML."""

    out: Path
    pages: dict[str, str] = attrs.field(factory=dict)
    copies: list[tuple[Path, str]] = attrs.field(factory=list)  # folders copied as they are

    def add(self, path: str, title: str, body: str, extra: str = "") -> str:
        root = "../" * path.count("/")
        self.pages[path] = _frame(title, body, root, extra)
        return path

    def write(self) -> list[Path]:
        """Write the pages; copy the files the docs link to (their .md files become pages)."""
        for src, dest in self.copies:
            shutil.copytree(src, self.out / dest, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.md", "__pycache__"))
        written = []
        for rel, text in self.pages.items():
            p = self.out / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            written.append(p)
        return written


# ── highlighted code with links ──────────────────────────────────────────────

_OPEN, _SEP, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARK = re.compile(f"{_OPEN}(\\d+){_SEP}|{_CLOSE}")


def highlight_html(text: str, first_line: int,
                   links: Sequence[tuple[int, int, int, str]] = (), anchors: str = "L") -> str:
    """`text` (lines from `first_line` on) highlighted by the rrdsl lexer with pygments'
    HtmlFormatter, every line anchored `#L-<n>`; each link (line, start col, end col, href)
    wraps the characters it covers (1-based columns, end exclusive)."""
    starts = [0]
    for text_line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(text_line) + 1)
    ranges: list[tuple[int, int, str]] = []
    if not any(ch in text for ch in (_OPEN, _SEP, _CLOSE)):
        for line, col, end, href in sorted(links):
            k = line - first_line
            if 0 <= k < len(starts) and end > col:
                a, b = starts[k] + col - 1, starts[k] + end - 1
                if not ranges or a >= ranges[-1][1]:
                    ranges.append((a, b, href))
    tokens: list[tuple[_TokenType, str]] = []
    r = 0
    for off, ttype, value in RrdslLexer().get_tokens_unprocessed(text):
        pos, end = off, off + len(value)
        while pos < end:
            while r < len(ranges) and ranges[r][1] <= pos:
                r += 1
            if r < len(ranges) and ranges[r][0] <= pos:  # inside a link
                a, b, _ = ranges[r]
                if pos == a:
                    tokens.append((Token, f"{_OPEN}{r}{_SEP}"))
                cut = min(end, b)
                tokens.append((ttype, value[pos - off:cut - off]))
                if cut == b:
                    tokens.append((Token, _CLOSE))
                pos = cut
            else:
                cut = min(end, ranges[r][0]) if r < len(ranges) else end
                tokens.append((ttype, value[pos - off:cut - off]))
                pos = cut
    formatter = HtmlFormatter(linenos="inline", linenostart=first_line, anchorlinenos=True,
                              lineanchors=anchors, wrapcode=True, cssclass="highlight")
    out = pygments_format(tokens, formatter)

    def mark(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return "</a>"
        return f'<a href="{esc(ranges[int(m.group(1))][2])}">'

    return _MARK.sub(mark, out)


# ── one contract ─────────────────────────────────────────────────────────────


class ContractPages:
    """Where every section, item, file and line of one contract lives in the site."""

    def __init__(self, b: Browse, folder: str,
                 others: dict[str, ContractPages] | None = None):
        self.b = b
        self.folder = folder
        self.others = others if others is not None else {}  # agreements in the same site
        self.unit_page = {n: f"{folder}/s-{slug(n)}.html" for n in b.units}
        self.file_page: dict[str, str] = {}
        used: set[str] = set()
        base = b.path.resolve().parent
        for m in b.modules:
            try:
                rel = Path(m.file).resolve().relative_to(base).as_posix()
            except ValueError:
                rel = Path(m.file).name
            name = f"{folder}/f-{slug(rel)}.html"
            while name in used:
                name = name.replace(".html", "-2.html")
            used.add(name)
            self.file_page[m.file] = name

    def location(self, file: str | None, line: int | None) -> str | None:
        """The page (and line anchor) showing `file:line`: its section's page if a section
        holds the line, else the page of the whole file."""
        if file is None or file not in self.file_page:
            return None
        anchor = f"#L-{line}" if line else ""
        for n, u in self.b.units.items():
            if u.file == file and line and u.first_line and u.last_line and \
                    u.first_line <= line <= u.last_line:
                return self.unit_page[n] + anchor
            for i, (f, a, z) in enumerate(u.also):  # a variant's own text of the section
                if f == file and line and a <= line <= z:
                    return f"{self.unit_page[n]}#V{i + 1}-{line}"
        return self.file_page[file] + anchor

    def item_href(self, item: Item) -> str | None:
        return self.location(item.span.file, item.span.line)

    def target_href(self, ref: Ref) -> str | None:
        if ref.target_kind == "section":
            return self.unit_page.get(ref.target)
        if ref.target_kind == "file":
            return self.file_page.get(ref.target)
        if ref.target_kind == "agreement":  # a clause of another agreement built alongside
            agreement, _, name = ref.target.partition(".")
            other = self.others.get(agreement)
            if other is None:
                return None
            found = [it for it in other.b.items.values()
                     if it.kind == "clause" and it.name == name]
            return other.item_href(found[0]) if found else other.folder + "/index.html"
        it = self.b.item(ref.target_kind, ref.target)
        return self.item_href(it) if it else None

    def clause_href(self, clause_id: str) -> str | None:
        it = self.b.item("clause", clause_id) or self.b.item("exception", clause_id)
        return self.item_href(it) if it else None

    def links_in(self, file: str, first: int, last: int, here: str
                 ) -> list[tuple[int, int, int, str]]:
        out = []
        for r in self.b.refs:
            sp = r.span
            if sp is None or sp.file != file or not first <= sp.line <= last \
                    or sp.end_line != sp.line:
                continue
            href = self.target_href(r)
            if href:
                out.append((sp.line, sp.col, sp.end_col, rel(here, href)))
        return out


def rel(here: str, target: str) -> str:
    """A link from page `here` to `target` (both relative to the site's root)."""
    path, _, anchor = target.partition("#")
    if path == here:
        return f"#{anchor}" if anchor else "#"
    link = posixpath.relpath(path, posixpath.dirname(here) or ".")
    return link + (f"#{anchor}" if anchor else "")


def _a(href: str | None, text: str) -> str:
    return f'<a href="{esc(href)}">{esc(text)}</a>' if href else esc(text)


def _ref_made(cp: ContractPages, here: str, r: Ref) -> str:
    b = cp.b
    src = _a(rel(here, h) if (h := _source_href(cp, r)) else None, b.describe_source(r))
    if r.target_kind == "all":
        return f"{src} applies notwithstanding anything to the contrary"
    tgt = _a(rel(here, h) if (h := cp.target_href(r)) else None, b.describe(r))
    return f"{src} {esc(VERBS[r.kind][0])} {tgt}"


def _ref_received(cp: ContractPages, here: str, r: Ref) -> str:
    src = _a(rel(here, h) if (h := _source_href(cp, r)) else None, cp.b.describe_source(r))
    tgt = _a(rel(here, h) if (h := cp.target_href(r)) else None, cp.b.describe(r))
    return f"{src} {esc(VERBS[r.kind][1])} {tgt}"


def _source_href(cp: ContractPages, r: Ref) -> str | None:
    if r.span is not None:
        return cp.location(r.span.file, r.span.line)
    return cp.unit_page.get(r.source_section or "")


def section_page(cp: ContractPages, unit: Unit, here: str, prev: str | None,
                 nxt: str | None, scenarios: list[tuple[str, str]]) -> str:
    """The body of a section's page: the clause file's lines beside the agreement's text."""
    b = cp.b
    nav = [f'<a href="{esc(rel(here, cp.folder + "/index.html"))}">{esc(b.contract.title)}</a>']
    from .checker import section_ancestors

    for anc in reversed(section_ancestors(unit.number)[1:]):
        if anc in cp.unit_page:
            nav.append(_a(rel(here, cp.unit_page[anc]), f"§{anc}"))
    if prev:
        nav.append(_a(rel(here, cp.unit_page[prev]), f"← §{prev}"))
    if nxt:
        nav.append(_a(rel(here, cp.unit_page[nxt]), f"§{nxt} →"))
    title = f"§{unit.number}" if unit.number not in ("preamble", "signatures") \
        else unit.number.capitalize()
    parts = [f'<p class="muted">{" · ".join(nav)}</p>',
             f"<h1>{esc(title)} {esc(unit.heading or '')}</h1>", '<div class="cols">']
    if unit.file is not None and unit.first_line and unit.last_line:
        lines = b.lines(unit.file, unit.first_line, unit.last_line)
        code = highlight_html("\n".join(lines) + "\n", unit.first_line,
                              cp.links_in(unit.file, unit.first_line, unit.last_line, here))
        file_link = _a(rel(here, cp.file_page[unit.file]), unit.file)
        more = ""
        if unit.dropped:
            more += (f'<p class="muted">Replaced or removed by {esc(b.contract.name)}: '
                     f"{esc(', '.join(unit.dropped))}</p>")
        for i, (file, a, z) in enumerate(unit.also):  # a variant's own text of the section
            extra = highlight_html("\n".join(b.lines(file, a, z)) + "\n", a,
                                   cp.links_in(file, a, z, here), anchors=f"V{i + 1}")
            more += (f'<p class="muted">{_a(rel(here, cp.file_page[file]), file)}, lines '
                     f"{a}–{z}</p>{extra}")
        parts.append(f'<section class="clauses"><h2>Clause file</h2><p class="muted">'
                     f"{file_link}, lines {unit.first_line}–{unit.last_line}</p>{code}{more}"
                     "</section>")
    else:
        parts.append(f'<section class="clauses"><h2>Clause file</h2><p class="muted">Not '
                     f"encoded in {esc(b.contract.file)}.</p></section>")
    parts.append('<section class="agreement"><h2>The agreement</h2>')
    if unit.paragraphs:
        src = b.source_display
        for p in unit.paragraphs:
            parts.append(f'<p id="P-{p.first_line}"><span class="lines">§{esc(p.section)} · '
                         f"{esc(src)} lines {p.first_line}–{p.last_line}</span><br>"
                         f"{esc(p.words)}</p>")
    elif b.source_path is None:
        parts.append('<p class="muted">The contract names no agreement text (add '
                     '<code>source "text/FILE.txt"</code> to its header).</p>')
    else:
        parts.append(f'<p class="muted">The agreement\'s text has no paragraph numbered '
                     f"{esc(unit.number)}.</p>")
    parts.append("</section></div>")
    if unit.encoded:
        made, received = b.refs_made(unit), b.refs_received(unit)
        parts.append("<h2>References made</h2>")
        parts.append(_ref_list([_ref_made(cp, here, r) for r in made]))
        parts.append("<h2>References received</h2>")
        parts.append(_ref_list([_ref_received(cp, here, r) for r in received]))
    if scenarios:
        parts.append("<h2>Scenarios</h2>")
        parts.append(_ref_list([_a(rel(here, h), t) for h, t in scenarios]))
    return "\n".join(parts)


def _ref_list(items: list[str]) -> str:
    if not items:
        return '<p class="muted">None.</p>'
    return '<ul class="refs">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def file_page(cp: ContractPages, file: str, here: str) -> str:
    """The body of a clause file's page: the whole file, highlighted, every line anchored."""
    b = cp.b
    lines = b.texts.get(file, [])
    code = highlight_html("\n".join(lines) + "\n", 1, cp.links_in(file, 1, len(lines), here))
    imports = [r for r in b.refs if r.kind == "imports" and r.source == file]
    importers = [r for r in b.refs if r.kind == "imports" and r.target == file]
    parts = [f'<p class="muted">{_a(rel(here, cp.folder + "/index.html"), b.contract.title)}'
             "</p>", f"<h1>{esc(file)}</h1>"]
    if imports:
        parts.append("<p>Imports: " + ", ".join(
            _a(rel(here, cp.file_page[r.target]) if r.target in cp.file_page else None,
               r.target) for r in imports) + "</p>")
    if importers:
        parts.append("<p>Imported by: " + ", ".join(
            _a(rel(here, cp.file_page[r.source]), r.source) for r in importers) + "</p>")
    parts.append(code)
    return "\n".join(parts)


def toc(cp: ContractPages, here: str, scenario_links: list[tuple[str, str, bool]]) -> str:
    """The table of contents of one contract: sections in reading order, files, scenarios."""
    b = cp.b
    rows = []
    for n, u in b.units.items():
        depth = n.count("(")
        label = f"§{n}" if n not in ("preamble", "signatures") else n.capitalize()
        what = ", ".join(f"{sum(1 for i in u.items if i.kind == k)} {k}(s)"
                         for k in ("clause", "exception", "definition")
                         if any(i.kind == k for i in u.items))
        state = what if u.encoded else "not encoded"
        rows.append(f'<tr><td class="d{min(depth, 3)}">{_a(rel(here, cp.unit_page[n]), label)}'
                    f"</td><td>{esc(u.heading or '')}</td>"
                    f'<td class="muted">{esc(state)}</td></tr>')
    parts = [f"<h2 id=\"{esc(cp.folder)}\">{esc(b.contract.title)}</h2>",
             f'<p class="muted">{esc(b.contract.name)} · {esc(b.contract.file)}'
             + (f" · dated {esc(b.contract.dated.isoformat())}" if b.contract.dated else "")
             + "</p>",
             "<h3>Sections</h3>", '<table class="toc">', *rows, "</table>",
             "<h3>Clause files</h3>", _ref_list(
                 [_a(rel(here, p), f) for f, p in cp.file_page.items()])]
    parts.append(f"<h3>Scenarios ({len(scenario_links)})</h3>")
    parts.append(_ref_list([
        f'{_a(rel(here, h), t)} <span class="{"status-ok" if ok else "status-fail"}">'
        f'{"passed" if ok else "FAILED"}</span>' for h, t, ok in scenario_links]))
    return "\n".join(parts)


def search_entries(cp: ContractPages) -> list[dict[str, str]]:
    """Clause names, section numbers and defined terms, each with its page."""
    b = cp.b
    out = []
    for n, u in b.units.items():
        if n not in ("preamble", "signatures"):
            out.append({"t": f"§{n}", "k": "section", "d": u.heading or "",
                        "h": cp.unit_page[n]})
    for it in b.items.values():
        href = cp.item_href(it)
        if href is None or it.kind in ("reading", "party", "role", "enum"):
            continue
        label = (f"§{it.id}" if it.kind in ("clause", "exception", "provision", "check")
                 else it.name)
        kind = "defined term" if it.kind == "definition" and it.title else it.kind
        out.append({"t": label, "k": kind, "d": it.title or "", "h": href})
        if it.kind == "definition" and it.title:
            out.append({"t": it.title, "k": "defined term", "d": it.name, "h": href})
    return out


# ── scenarios ────────────────────────────────────────────────────────────────


def scenario_files(contract: Path, dirs: Sequence[Path] | None) -> list[Path]:
    """The scenario files that name `contract` (default folder: scenarios/ beside it)."""
    from .scenarios import find

    roots = list(dirs) if dirs else [contract.parent / "scenarios"]
    target = contract.resolve()
    out = []
    for f in find([r for r in roots if r.exists()]):
        data = scenario_data(f)
        if data is None:
            continue
        named = data.get("contract")
        names = [named] if isinstance(named, str) else named if isinstance(named, list) else []
        if any(isinstance(n, str) and (f.parent / n).resolve() == target for n in names):
            out.append(f)
    return out


def plain(v: Any) -> str:
    """A value of a scenario file as a reader writes it: `WCAS, John_Clark`, not `['WCAS',
    'John_Clark']`; `shares to be registered: 600,000`; `yes`, `no`; dates as YYYY-MM-DD."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, Decimal):
        return f"{v:,}"
    if isinstance(v, list):
        return ", ".join(plain(x) for x in v) if v else "none"
    if isinstance(v, dict):
        return "; ".join(f"{k}: {plain(x)}" for k, x in v.items()) if v else "none"
    return str(v)


def _tree_html(cp: ContractPages, here: str, node: Node, seen: set[int]) -> str:
    value = node.value if isinstance(node.value, str) else show_value(node.value)
    kind = {"fact": "fact ", "qualitative": "fact ", "missing": "MISSING ", "event": "event ",
            "exception": "exception "}.get(node.kind, "")
    text = esc(kind + node.label)
    if node.kind != "missing" and (value not in ("", "none") or node.kind != "clause"):
        text += f" = <b>{esc(value)}</b>"
    if node.kind == "qualitative":
        text += ' <span class="muted">[assumption]</span>'
    href = cp.location(node.file, node.line)
    where = f"§{node.section} " if node.section else ""
    if node.file:
        where += f"({node.file}:{node.line})"
    if where:
        text += " " + _a(rel(here, href) if href else None, where.strip())
    repeated = id(node) in seen and bool(node.children)
    seen.add(id(node))
    if repeated:
        return f'<li>{text} <span class="muted">(as above)</span></li>'
    note = (f' <span class="muted">({esc(node.note)})</span>'
            if node.note and node.kind != "definition" else "")
    kids = "".join(_tree_html(cp, here, c, seen) for c in node.children)
    return f"<li>{text}{note}" + (f"<ul>{kids}</ul>" if kids else "") + "</li>"


def _answer_html(cp: ContractPages, here: str, r: NormResult) -> str:
    n = r.norm
    href = cp.clause_href(n.id)
    details = norm_details(r)
    lines = [f'<span class="modal">{esc(n.modal.upper())}</span> '
             f"{_a(rel(here, href) if href else None, '§' + r.instance)} — "
             f"<b>{esc(r.status.replace('_', ' '))}</b>"
             + (f": {esc(r.reason)}" if r.reason else ""),
             esc(n.action)]
    if details:
        lines.append(esc(" · ".join(details)))
    lines += [f"{esc(label)}: {esc(shown_part(v, t, needs))}" for label, v, t, needs in r.withs]
    for x in r.exceptions:
        xh = cp.clause_href(x.exception)
        state = "applies" if x.active else "applied"
        lines.append(f"exception {_a(rel(here, xh) if xh else None, '§' + x.exception)} "
                     f"{esc(x.effect)} ({state})")
    if r.assumptions:
        lines.append("assumes: " + esc(", ".join(r.assumptions)))
    return '<div class="answer">' + "<br>".join(lines) + "</div>"


def report_html(cp: ContractPages, here: str, o: Outcome) -> str:
    """An outcome as HTML: answers by party, not-triggered ones, derived values."""
    parties: dict[str, list[NormResult]] = {}
    quiet = []
    for r in o.norms:
        if r.status == "not_triggered":
            quiet.append(r)
        else:
            parties.setdefault(r.bearer or "?", []).append(r)
    parts = []
    for party in sorted(parties, key=lambda p: (p not in o.contract.parties, p)):
        parts.append(f"<h3>{esc(party)}</h3>")
        parts += [_answer_html(cp, here, r) for r in parties[party]]
    if quiet:
        parts.append(f"<details><summary>Not triggered ({len(quiet)})</summary><ul "
                     'class="refs">')
        for r in quiet:
            h = cp.clause_href(r.norm.id)
            parts.append(f"<li>{_a(rel(here, h) if h else None, '§' + r.instance)}: "
                         f"{esc(r.reason)}</li>")
        parts.append("</ul></details>")
    statuses = sorted({r.status for r in o.norms})
    parts.append('<p class="muted">Summary: ' + esc(", ".join(
        f"{sum(1 for r in o.norms if r.status == s)} {s.replace('_', ' ')}"
        for s in statuses)) + "</p>")
    return "\n".join(parts)


def scenario_page(cp: ContractPages, here: str, path: Path) -> tuple[str, str, bool]:
    """(title, body, passed) of a scenario's page: what it checks, its verdict, the report of
    the outcome it was judged on, and the derivation of every answer it names."""
    from .scenarios import run_outcome

    result, outcome = run_outcome(path, explain=True, agreement=cp.b.contract.name)
    data = scenario_data(path) or {}
    section = str(data.get("section", "")).lstrip("§")
    sec_href = cp.unit_page.get(section)
    parts = [f'<p class="muted">{_a(rel(here, cp.folder + "/index.html"), cp.b.contract.title)}'
             f" · scenario {esc(result.path)}</p>", f"<h1>{esc(result.title)}</h1>"]
    verdict = ('<span class="status-ok">passed</span>' if result.passed
               else '<span class="status-fail">FAILED</span>')
    sec_link = _a(rel(here, sec_href) if sec_href else None, "§" + section)
    parts.append(f"<p>{verdict} · section {sec_link}"
                 f" · as of {esc(data.get('as_of', ''))}</p>")
    if data.get("cites"):
        parts.append(f'<h2>The sentence it checks</h2><pre class="plain">{esc(data["cites"])}'
                     "</pre>")
    if data.get("note"):
        parts.append(f"<p>{esc(data['note'])}</p>")
    if result.failures or result.error:
        parts.append('<h2>Failures</h2><pre class="plain">' + esc(
            "\n".join(result.failures) + ("\n" + result.error if result.error else "")) + "</pre>")
    expects = [e for e in data.get("expect", []) if isinstance(e, dict)]
    if expects:
        parts.append("<h2>Expected</h2><ul class=\"refs\">")
        for e in expects:
            what = str(e.get("clause") or e.get("value") or "")
            cid = what.lstrip("§").split("[", 1)[0]
            h = cp.clause_href(cid)
            rest = "; ".join(f"{k.replace('_', ' ')}: {plain(v)}" for k, v in e.items()
                             if k not in ("clause", "value"))
            parts.append(f"<li>{_a(rel(here, h) if h else None, what)} {esc(rest)}</li>")
        parts.append("</ul>")
    if outcome is not None:
        from .timeline import bars, timeline_svg

        if bars([outcome]):  # the deadlines and periods, drawn (timeline.py escapes its text)
            parts.append('<h2>Timeline</h2><div class="timeline-box">'
                         + timeline_svg([outcome], f"Timeline of {result.title}", inline=True)
                         + "</div>")
        parts.append("<h2>Report</h2>")
        parts.append(report_html(cp, here, outcome))
        named = {str(e["clause"]).lstrip("§") for e in expects if "clause" in e}
        values = {str(e["value"]) for e in expects if "value" in e}
        trees = [r.explanation for r in outcome.norms
                 if (r.instance in named or r.norm.id in named) and r.explanation]
        trees += [v.explanation for v in outcome.values if v.label in values and v.explanation]
        if trees:
            parts.append("<h2>Derivations</h2>")
            for t in trees:
                parts.append('<ul class="tree">' + _tree_html(cp, here, t, set()) + "</ul>")
    return result.title, "\n".join(parts), result.passed


# ── the site ─────────────────────────────────────────────────────────────────


def contract_pages(site: Site, cp: ContractPages, scenarios: Sequence[Path] | None
                   ) -> list[tuple[str, str, bool]]:
    b, folder = cp.b, cp.folder
    numbers = list(b.units)
    scen_links: list[tuple[str, str, bool]] = []
    by_section: dict[str, list[tuple[str, str]]] = {}
    used: set[str] = set()
    for f in scenario_files(b.path, scenarios):
        name = f"{folder}/scenario-{slug(f.name.removesuffix('.scenario.toml'))}.html"
        while name in used:
            name = name.replace(".html", "-2.html")
        used.add(name)
        title, body, passed = scenario_page(cp, name, f)
        site.add(name, title, body)
        scen_links.append((name, title, passed))
        data = scenario_data(f)
        if data is not None:
            by_section.setdefault(str(data.get("section", "")).lstrip("§"), []).append(
                (name, title))
    for k, n in enumerate(numbers):
        here = cp.unit_page[n]
        unit = b.units[n]
        prev = numbers[k - 1] if k else None
        nxt = numbers[k + 1] if k + 1 < len(numbers) else None
        site.add(here, f"§{n} {unit.heading or ''} — {b.contract.title}",
                 section_page(cp, unit, here, prev, nxt, by_section.get(n, [])))
    for file, here in cp.file_page.items():
        site.add(here, f"{file} — {b.contract.title}", file_page(cp, file, here))
    here = f"{folder}/index.html"
    site.add(here, b.contract.title, toc(cp, here, scen_links))
    return scen_links


def diff_page_hook(site: Site, contracts: Sequence[ContractPages],
                   scenarios: Path | None = None) -> list[tuple[str, str]]:
    """A diff page for each contract built with a variant or amendment of it: the structural
    diff, and the behavioural diff over the scenarios of `scenarios` (any folder, as `rrdsl
    diff --scenarios` takes), or by default of `scenarios/<variant name>/` beside the base's
    clause file, when that folder exists. Returns (path, title) for the contents."""
    from .diff import diff

    pages = []
    for a in contracts:
        for b in contracts:
            based_on = b.b.contract.based_on
            if a is b or not based_on or based_on[0] != a.b.contract.name:
                continue
            folder = scenarios or a.b.path.parent / "scenarios" / b.b.contract.name
            d = diff(a.b.path, b.b.path, folder if folder.is_dir() else None)
            here = f"diff-{slug(a.b.contract.name)}-{slug(b.b.contract.name)}.html"
            title = f"Diff: {a.b.contract.name} → {b.b.contract.name}"
            site.add(here, title, diff_page(d, a, b, here))
            pages.append((here, title))
    return pages


def _loc_link(cp: ContractPages, loc: str | None, here: str) -> str:
    if loc is None:
        return ""
    file, _, line = loc.rpartition(":")
    href = cp.location(file, int(line)) if line.isdigit() else None
    return _a(rel(here, href) if href else None, loc)


def diff_page(d: Any, a: ContractPages, b: ContractPages, here: str) -> str:
    """The page of `rrdsl diff A B`: declarations added, removed, changed (with links to both
    sides), then every answer that differs with both derivations side by side."""
    from .diff import _derivation

    an, bn = a.b.contract.name, b.b.contract.name
    out = [f"<h1>{esc(an)} → {esc(bn)}</h1>",
           f"<p>{esc(b.b.contract.title)} is based on {esc(a.b.contract.title)}. "
           "Declarations are matched by name (clauses by section and name).</p>"]
    if d.header:
        out.append("<h2>Header</h2>" + _ref_list([esc(h) for h in d.header]))
    rows = []
    for c in d.changes:
        name = c.key.removeprefix("reading ")
        where = f"§{c.section} " if c.section and c.what != "reading" else ""
        details = "<br>".join(esc(x) for x in c.details)
        rows.append(f"<tr><td>{esc(c.kind)}</td><td>{esc(where + c.what)}</td>"
                    f"<td><code>{esc(name)}</code></td><td>{_loc_link(a, c.a_loc, here)}</td>"
                    f"<td>{_loc_link(b, c.b_loc, here)}</td><td>{details}</td></tr>")
    out.append("<h2>Declarations</h2>")
    out.append('<div class="wide"><table><thead><tr><th>change</th><th>what</th><th>name</th>'
               f"<th>{esc(an)}</th><th>{esc(bn)}</th><th>details</th></tr></thead><tbody>"
               + "".join(rows) + "</tbody></table></div>" if rows
               else "<p>No declaration differs.</p>")
    out.append("<h2>Answers</h2>")
    for side in (d.a, d.b):
        if side.ir.amendment is not None:
            out.append(f'<p class="caveat">{esc(side.ir.name)} is an amendment: evaluated as if '
                       "it had taken effect (whether it did is a question of the facts: "
                       "<code>rrdsl eval</code> decides it under the agreement's own rule)</p>")
    if not d.fact_sets:
        out.append("<p>No scenarios to compare the answers over.</p>")
    else:
        out.append(f"<p>Both agreements evaluated over the facts of {len(d.fact_sets)} "
                   f"scenario(s); {len(d.answers)} answer(s) differ.</p>")
    for x in d.answers:
        diffs = _ref_list([esc(t) for t in x.differences])
        left = esc("\n".join(_derivation(x.a, an)))
        right = esc("\n".join(_derivation(x.b, bn)))
        out.append(f"<h3>{esc(x.answer)}</h3><p>{esc(x.fact_set)}, as of {esc(x.as_of)}</p>"
                   f"{diffs}<div class=\"sides\"><div><h4>{esc(an)}</h4><pre class=\"tree\">"
                   f"{left}</pre></div><div><h4>{esc(bn)}</h4><pre class=\"tree\">{right}"
                   "</pre></div></div>")
    return "\n".join(out)


def reading_order(docs: Path) -> Any:
    """A sort key for the docs' pages: the index first, then in the order docs/index.md
    links them, then the rest by name."""
    try:
        index = (docs / "index.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        index = ""
    order: list[str] = ["index.md"]
    for name in re.findall(r"\]\(([\w.-]+\.md)(?:#[^)]*)?\)", index):
        if name not in order:
            order.append(name)

    def key(link: tuple[str, str]) -> tuple[int, str]:
        name = link[0].rsplit("/", 1)[-1].removesuffix(".html") + ".md"
        return (order.index(name), "") if name in order else (len(order), name)

    return key


def build_site(contracts: Iterable[Path], out: Path, scenarios: Sequence[Path] | None = None,
               docs: Path | None = None, diff_scenarios: Path | None = None) -> list[Path]:
    """Build the site for the contracts (and the docs in `docs`) into `out`; a variant's diff
    page compares the answers over `diff_scenarios` (as `rrdsl diff --scenarios DIR` does),
    by default over `scenarios/<variant name>/` beside the base."""
    contracts = list(contracts)
    if not contracts and docs is None:
        raise UsageError(Diagnostic("E707", "nothing to build: name a contract or --docs DIR",
                                    hints=("rrdsl html contracts/savvis_2001.rrd -o site",)))
    if out.exists() and not out.is_dir():
        raise UsageError(Diagnostic("E707", f"{out} exists and is not a folder",
                                    hints=("name a new or existing folder with -o",)))
    if docs is not None and not docs.is_dir():
        raise UsageError(Diagnostic("E707", f"--docs {docs}: no such folder"))
    site = Site(out)
    entries: list[dict[str, str]] = []
    sections = []
    done: list[ContractPages] = []
    folders: set[str] = set()
    others: dict[str, ContractPages] = {}  # each agreement's pages, for links between them
    for path in contracts:
        b = load_browse(path)
        folder = slug(b.contract.name).replace("-", "_")
        while folder in folders:
            folder += "_2"
        folders.add(folder)
        done.append(ContractPages(b, folder, others))
        others.setdefault(b.contract.name, done[-1])
    for cp in done:
        b = cp.b
        scen_links = contract_pages(site, cp, scenarios)
        found = search_entries(cp)
        for e in found:  # the results are grouped by agreement, in the order given
            e["a"] = b.contract.name
        entries += found
        sections.append(toc(cp, "index.html", scen_links))
    if diff_scenarios is not None and not diff_scenarios.is_dir():
        raise UsageError(Diagnostic("E704", f"--diff-scenarios {diff_scenarios}: no such folder",
                                    hints=("name a folder of *.scenario.toml files",)))
    extra_pages = diff_page_hook(site, done, diff_scenarios)
    doc_links: list[tuple[str, str]] = []
    if docs is not None:
        from .docsite import render_docs

        for rel_path, title, body in render_docs(docs):
            site.add(f"docs/{rel_path}", title.replace("`", ""), body)
            doc_links.append((f"docs/{rel_path}", title.replace("`", "")))
        doc_links.sort(key=reading_order(docs))
        site.copies.append((docs, "docs"))
    index = ["<h1>Contents</h1>",
             '<p><input id="search" type="search" placeholder="Search clauses, section numbers, '
             'defined terms" aria-label="Search clauses, section numbers and defined terms" '
             'autocomplete="off"></p><ul id="results"></ul>']
    if doc_links:
        index.append("<h2>Documentation</h2>" + _ref_list([_a(h, t) for h, t in doc_links]))
    if extra_pages:
        index.append("<h2>Variants</h2>" + _ref_list([_a(h, t) for h, t in extra_pages]))
    index += sections
    script = (f'<script type="application/json" id="search-index">{embed_json(entries)}'
              f"</script>\n<script>{SEARCH_JS}</script>\n")
    site.add("index.html", "Contents", "\n".join(index), extra=script)
    return site.write()
