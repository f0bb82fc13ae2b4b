"""Language server (`rrdsl lsp`, over stdio): diagnostics as you type, hover, go to definition,
find references, completion and document symbols by section. Built on pygls (the `lsp` extra).

A clause file is analysed with the contract it belongs to: a file with an `agreement` header is
the contract; a file without one is checked through the clause file (in its folder or the one
above) that imports it, so names it shares with the main file resolve. Open, unsaved texts are
used in place of what is on disk.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import gc
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import attrs

from . import ast
from .checker import CheckMemo
from .diagnostics import Diagnostic, RrdslError, Severity, Span
from .loader import display_path, load_composition, load_modules
from .parser import keywords

try:
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer
except ImportError:  # pragma: no cover - the CLI says how to install the extra
    lsp = None  # type: ignore[assignment]
    LanguageServer = None  # type: ignore[assignment,misc]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECTION_LINE = re.compile(r"^section\b", re.M)


def available() -> bool:
    return LanguageServer is not None


#: Limits of the server's input: a header line, a message's body, the agreement's text read
#: for a hover (clause files are held to their own limit, E107).
MAX_HEADER_BYTES = 4096
MAX_MESSAGE_BYTES = 64_000_000
MAX_TEXT_BYTES = 10_000_000


def uri_path(uri: str) -> Path:
    """The file a `file:` URI names. A NUL character (which no path can hold) is dropped, so
    that the name is still usable and names no file."""
    return Path(unquote(urlparse(uri).path).replace("\0", ""))


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str | None:
    """The text of a regular file of at most `limit` bytes, or None: a named pipe, a device
    (/dev/zero), a folder or a file too large is not read, so a request never hangs on one or
    fills the server's memory."""
    from .files import read_limited

    try:
        return read_limited(path, limit).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


class LimitedStdin:
    """Standard input as pygls reads it (`readline`, `read(n)`), with limits: a header line is
    cut at MAX_HEADER_BYTES, and a body that says it is longer than MAX_MESSAGE_BYTES is not
    read (pygls reports the empty message it gets instead, and goes on reading headers, so it
    finds the next message). A malformed Content-Length is no header pygls knows, and skipped.

    After a message whose body was shorter than it said, or bytes that are no message, the next
    header is not at the start of a line: pygls would never find a header again. A line with
    `Content-Length:` inside is taken from there (the bytes before it are dropped), so the
    server finds its footing at the next message; a header ended by `\n` alone counts."""

    _HEADER = b"Content-Length:"

    def __init__(self, stream: Any):
        self.stream = stream

    def readline(self) -> bytes:
        line: bytes = self.stream.readline(MAX_HEADER_BYTES)
        at = line.find(self._HEADER)
        if at > 0:
            line = line[at:]
        if line.endswith(b"\n") and not line.endswith(b"\r\n"):
            line = line[:-1] + b"\r\n"
        return line

    def read(self, n: int) -> bytes:
        if n > MAX_MESSAGE_BYTES:
            return b" "  # not JSON: reported, and the loop reads on
        data: bytes = self.stream.read(n)
        return data


# ── analysis (no LSP types: testable on its own) ─────────────────────────────


@attrs.frozen
class Decl:
    name: str
    kind: str  # clause | exception | provision | definition | fact | event | party | role | ...
    section: str | None
    heading: str | None
    node: Any
    span: Span  # where the name is declared


@attrs.define
class Analysis:
    modules: list[ast.Module]
    diagnostics: list[Diagnostic]
    agreement: Path | None  # the agreement's filed text
    _index: tuple[list[Decl], list[tuple[str, Span]]] | None = None

    def index(self) -> None:
        """Index the names (made when first needed: diagnostics do not wait for it)."""
        if self._index is None:
            self._index = _index(self.modules)

    @property
    def indexed(self) -> bool:
        return self._index is not None

    @property
    def decls(self) -> list[Decl]:
        self.index()
        assert self._index is not None
        return self._index[0]

    @property
    def refs(self) -> list[tuple[str, Span]]:  # every use of a name
        self.index()
        assert self._index is not None
        return self._index[1]


class Parses:
    """Parsed clause files kept from one analysis to the next (the language server keeps one of
    these), so that an analysis parses only what changed: an editor's text is parsed again only
    if it changed, and then only the sections that changed (`_by_section`); a file on disk is
    read again only if its size, time or inode changed (and is read by `read_and_parse`, with
    its limits)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[str, ast.Module]] = {}
        self._disk: dict[str, tuple[tuple[int, int, int], ast.Module, list[str] | None]] = {}
        self._chunks: dict[str, dict[tuple[int, str], ast.Module]] = {}
        self._sections: dict[str, dict[tuple[int, ...], tuple[list[ast.Module],
                                                              ast.Section]]] = {}

    def __call__(self, path: Path, display: str, text: str | None) -> ast.Module:
        from .diagnostics import SOURCES
        from .parser import MAX_FILE_BYTES, parse, read_and_parse

        if text is None:
            try:
                st = path.stat()
            except OSError:
                return read_and_parse(path, display)  # says what is wrong
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
            disk = self._disk.get(display)
            if disk is not None and disk[0] == key and stat.S_ISREG(st.st_mode):
                if disk[2] is not None:
                    SOURCES.put_lines(display, disk[2])  # a rename's trial may have changed it
                return disk[1]
            module = read_and_parse(path, display)
            if stat.S_ISREG(st.st_mode):
                self._disk[display] = (key, module, SOURCES.lines(display))
            return module
        kept = self._kept.get(display)
        if kept is not None and kept[0] == text:
            SOURCES.add(display, text.removeprefix("\ufeff"))
            return kept[1]
        # (a text over the size limit is parsed whole, for the parser's diagnostic)
        module = (self._by_section(text, display)
                  if len(text.encode("utf-8")) <= MAX_FILE_BYTES else parse(text, display))
        self._kept[display] = (text, module)
        return module

    def _by_section(self, text: str, display: str) -> ast.Module:
        """Parse an edited text a piece at a time, keeping the pieces whose text (and first
        line) did not change: an edit parses again only the declaration it is in. The pieces
        are what comes before the first section, each section's line with what follows it up
        to its first declaration after a blank line, and each such declaration (`_pieces`).
        Each piece is parsed after as many empty lines as come before it, so its spans are
        the file's; a declaration is parsed under a stand-in section line put on the blank
        line before it, and joins its section. If a piece does not parse, the whole text is
        parsed, for the diagnostics of a whole parse."""
        from .diagnostics import SOURCES, RrdslError
        from .parser import parse

        starts = [m.start() for m in _SECTION_LINE.finditer(text)]
        if len(starts) < 2:
            return parse(text, display)
        kept = self._chunks.get(display, {})
        now: dict[tuple[int, str], ast.Module] = {}
        head: ast.Module | None = None
        sections: list[ast.Section] = []
        made: list[list[ast.Module]] = []  # each section's pieces
        comments: list[Any] = []
        moved = {piece: (line, module) for (line, piece), module in kept.items()}
        try:
            for line, piece, joins in _pieces(text, starts):
                key = (line, piece)
                module = kept.get(key)
                if module is None and piece in moved:  # the same text, moved up or down
                    module = _moved(moved[piece][1], line - moved[piece][0])
                if module is None:
                    pad = "\n" * (line - 2) + 'section 0 ""\n' if joins else "\n" * (line - 1)
                    module = parse(pad + piece, display)
                    if (head is not None and (module.header or module.imports
                                              or module.preamble)) \
                            or len(module.sections) != (0 if head is None else 1):
                        raise RrdslError([])  # not the piece it seemed: parse the whole text
                now[key] = module
                comments.extend(module.comments)
                if head is None:
                    head = module
                    continue
                sec = module.sections[0]
                if joins:
                    made[-1].append(module)
                    last = sections[-1]
                    assert last.span is not None and sec.span is not None
                    sections[-1] = attrs.evolve(
                        last, priorities=last.priorities + sec.priorities,
                        items=last.items + sec.items,
                        span=attrs.evolve(last.span, end_line=sec.span.end_line,
                                          end_col=sec.span.end_col))
                else:
                    sections.append(sec)
                    made.append([module])
        except RrdslError:
            self._chunks.pop(display, None)
            return parse(text, display)
        self._chunks[display] = now
        # a section of unchanged pieces is the section made of them before (the same object)
        before = self._sections.get(display, {})
        joined: dict[tuple[int, ...], tuple[list[ast.Module], ast.Section]] = {}
        for k, pieces in enumerate(made):
            ids = tuple(map(id, pieces))
            prev = before.get(ids)
            if prev is not None and all(a is b for a, b in zip(prev[0], pieces, strict=True)):
                sections[k] = prev[1]
            joined[ids] = (pieces, sections[k])
        self._sections[display] = joined
        SOURCES.add(display, text.removeprefix("\ufeff"))  # not the last piece's padded text
        assert head is not None
        return attrs.evolve(head, sections=tuple(sections), comments=tuple(comments))


def _moved(module: ast.Module, delta: int) -> ast.Module | None:
    """The parse of a piece of text that moved `delta` lines (None: parse it again)."""
    try:
        shifted: ast.Module = ast.shift_lines(module, delta)
    except RecursionError:  # a very long chain of operations: parsing is as quick
        return None
    return attrs.evolve(shifted, comments=tuple(
        attrs.evolve(c, line=c.line + delta) for c in module.comments))


#: The words that begin a declaration (or a section's priority) in a section.
_DECL_WORDS = frozenset((
    "party", "role", "enum", "fact", "event", "define", "state", "clause", "exception",
    "reading", "check", "replace", "remove", "known", "assumed", "amended", "survives",
    "qualitative", "subject", "notwithstanding", "except"))


def _pieces(text: str, starts: list[int]) -> Iterator[tuple[int, str, bool]]:
    """The pieces `Parses._by_section` parses one by one: (first line, text, whether it is a
    declaration that joins the section before it). A section is cut before a line beginning
    with a declaration's word (after any comment lines) that follows a blank line: no
    declaration or expression goes on after a blank line with one of these words, so the
    pieces parse as the whole does (a cut in the wrong place leaves a piece that does not
    parse, and the whole text is parsed instead)."""
    bounds = [0, *starts, len(text)]
    line = 1
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        chunk = text[a:b]
        if i == 0:
            yield line, chunk, False
            line += chunk.count("\n")
            continue
        lines = chunk.split("\n")
        cut = [0]
        blank = False
        run: int | None = None  # the first of the comment lines since the blank line
        for k, ln in enumerate(lines[1:], 1):
            body = ln.strip()
            if not body:
                blank, run = True, None
                continue
            if body.startswith("#"):
                if blank and run is None:
                    run = k
                continue
            word = body.split(None, 1)[0]
            if blank and word in _DECL_WORDS:
                cut.append(run if run is not None else k)
            blank, run = False, None
        for j, (x, y) in enumerate(zip(cut, [*cut[1:], len(lines)])):
            part = "\n".join(lines[x:y])
            if y < len(lines):
                part += "\n"
            yield line + x, part, j > 0
        line += chunk.count("\n")


def _root_for(path: Path, texts: dict[Path, str]) -> Path:
    """The contract `path` belongs to: itself if it has a header, else a file importing it."""
    text = texts.get(path.resolve())
    if text is None:
        text = read_text(path)
        if text is None:
            return path
    if re.search(r"^\s*agreement\s", text, re.M):
        return path
    for folder in (path.parent, path.parent.parent):
        for cand in sorted(folder.glob("*.rrd")):
            if cand.resolve() == path.resolve():
                continue
            body = texts.get(cand.resolve()) or read_text(cand)
            if body is None:
                continue
            for imp in re.findall(r'^\s*import\s+"([^"]+)"', body, re.M):
                if (cand.parent / imp).resolve() == path.resolve():
                    return cand
    return path


def analyse(path: Path, texts: dict[Path, str], root: Path | None = None,
            parses: Parses | None = None, memo: CheckMemo | None = None) -> Analysis:
    """Check the contract `path` belongs to (`root`, if known); its names are indexed when
    first asked for. `parses` keeps parsed files from one analysis to the next, and `memo`
    what the checker found in the contract's last analysis (`checker.CheckMemo`)."""
    from .checker import check
    from .lints import lint_composition

    root = root or _root_for(path, texts)
    modules: list[ast.Module] = []
    diags: list[Diagnostic] = []
    try:
        comp = load_composition(root, texts, parse_file=parses)
        modules = list(comp.modules)
        check(modules, comp, memo)
        diags = lint_composition(comp)
    except RrdslError as e:
        diags = list(e.diagnostics)
        if not modules:  # a syntax error: still index the files that parse
            try:
                modules = load_modules(path, texts, parse_file=parses)
            except RrdslError:
                modules = []
    agreement = None
    for m in modules:
        if m.header is not None and m.header.source:
            # only a text inside the contract's own tree (E212 reports one outside it)
            folder = Path(m.file).resolve().parent
            target = (folder / m.header.source).resolve()
            if target.is_relative_to(folder):
                agreement = target
    return Analysis(modules, diags, agreement)


def _name_span(node: Any, word: str) -> Span | None:
    sp: Span | None = getattr(node, "name_span", None) or getattr(node, "span", None)
    if sp is None:
        return None
    if getattr(node, "name_span", None) is not None:
        return sp
    return _find_word(sp, word)


def _find_word(sp: Span, word: str) -> Span:
    """The span of `word` on the first line of `sp` (declarations start with a keyword)."""
    from .diagnostics import SOURCES

    line = SOURCES.line(sp.file, sp.line) or ""
    for m in _WORD.finditer(line, max(sp.col - 1, 0)):
        if m.group() == word:
            return Span(sp.file, sp.line, m.start() + 1, sp.line, m.end() + 1)
    return sp


_KINDS = {ast.Clause: "clause", ast.ExceptionDecl: "exception", ast.NonOperative: "provision",
          ast.Define: "definition", ast.StateDecl: "state", ast.FactDecl: "fact",
          ast.EventDecl: "event",
          ast.PartyDecl: "party", ast.RoleDecl: "role", ast.EnumDecl: "enumeration",
          ast.Reading: "reading", ast.Governed: "clause", ast.CheckDecl: "check"}


def _kind(d: Any) -> str:
    """What a declaration is, in words (a class added later shows its own name)."""
    return _KINDS.get(type(d), type(d).__name__.lower())


def _index(modules: list[ast.Module]) -> tuple[list[Decl], list[tuple[str, Span]]]:
    from .lints import _walk

    decls: list[Decl] = []
    refs: list[tuple[str, Span]] = []
    for m in modules:
        groups: list[tuple[str | None, str | None, tuple[Any, ...]]] = [(None, None, m.preamble)]
        groups += [(s.number, s.heading, s.items) for s in m.sections]
        for number, heading, items in groups:
            for d in items:
                if isinstance(d, ast.Replace):  # a variant's replacement declares the name
                    d = d.decl
                if isinstance(d, ast.AmendedBy):
                    refs += [(word, sp) for word, sp in ((d.event, d.event_span),
                                                         (d.definition, d.definition_span))
                             if sp is not None]
                    continue
                if isinstance(d, ast.Remove | ast.TermMark):
                    refs += list(zip(d.names, d.name_spans, strict=False))
                    continue
                if not hasattr(d, "name"):  # `survives while`: its names are uses (below)
                    continue
                sp = _name_span(d, d.name)
                if sp is not None:
                    decls.append(Decl(d.name, _kind(d), number, heading, d, sp))
                if isinstance(d, ast.EnumDecl):
                    for mem in d.members:
                        if mem.span is not None:
                            decls.append(Decl(mem.name, "enumeration member", number, heading,
                                              mem, _find_word(mem.span, mem.name)))
        for n in _walk(m):
            if isinstance(n, ast.Name | ast.NamedType) and n.span is not None:
                refs.append((n.name, n.span))
            elif isinstance(n, ast.Call) and n.span is not None:
                refs.append((n.func, Span.point(n.span.file, n.span.line, n.span.col,
                                                len(n.func))))
            elif isinstance(n, ast.Upon | ast.StateStep):
                refs += list(zip(n.events, n.event_spans, strict=False))
            elif isinstance(n, ast.FulfilledBy | ast.BreachedBy) and n.event_span is not None:
                refs.append((n.event, n.event_span))
            elif isinstance(n, ast.BearerParty | ast.BearerEach) and n.span is not None:
                word = n.name if isinstance(n, ast.BearerParty) else n.role
                refs.append((word, _find_word(n.span, word)))
            elif isinstance(n, ast.Target) and n.span is not None:
                refs.append((n.name, _find_word(n.span, n.name)))
            elif isinstance(n, ast.UnionType) and n.span is not None:
                refs += [(word, _find_word(n.span, word)) for word in n.names]
            elif isinstance(n, ast.CheckDecl):
                refs += list(zip(n.events, n.event_spans, strict=False))
            elif isinstance(n, ast.ForBinding) and n.type and n.span is not None:
                refs.append((n.type, _find_word(n.span, n.type)))
    return decls, refs


def word_at(text: str, line: int, char: int) -> str | None:
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return None
    for m in _WORD.finditer(lines[line]):
        if m.start() <= char <= m.end():
            return m.group()
    return None


def section_at(a: Analysis, file: str, line: int) -> str | None:
    """The section of the file that line (1-based) is in."""
    found = None
    for m in a.modules:
        if m.file != file:
            continue
        for s in m.sections:
            if s.span is not None and s.span.line <= line:
                found = s.number
    return found


def find_decls(a: Analysis, word: str, file: str, line: int, text_line: str) -> list[Decl]:
    """Declarations `word` may mean at that place: a clause name is looked up in the section
    of a `§N.` before it, else in the section the cursor is in, else anywhere."""
    found = [d for d in a.decls if d.name == word]
    clauses = [d for d in found if d.kind in ("clause", "exception", "provision")]
    if len(clauses) > 1:
        m = re.search(r"§\s?([0-9]+(?:\.[0-9]+)*[A-Za-z]?(?:\([a-z0-9]+\))*)\." + re.escape(word),
                      text_line)
        sec = m.group(1) if m else section_at(a, file, line)
        same = [d for d in clauses if d.section == sec]
        return same or clauses
    return found


def _agreement_section(path: Path, section: str) -> str:
    """The agreement's text of a section (the filed text is parsed once while unchanged)."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return ""
    return _agreement_sections(path, mtime)[section]


@functools.lru_cache(maxsize=8)
def _agreement_sections(path: Path, mtime: int) -> dict[str, str]:
    from .agreement_text import parse_agreement_text, section_text

    text = read_text(path)  # a regular file within the limit, or nothing
    paragraphs = parse_agreement_text(text) if text is not None else []

    class Sections(dict[str, str]):
        def __missing__(self, key: str) -> str:
            self[key] = section_text(paragraphs, key)
            return self[key]

    return Sections()


def hover_text(a: Analysis, d: Decl) -> str:
    from .lsp_features import signature

    where = f"§{d.section} {d.heading}" if d.section else "preamble"
    out = [f"**{d.kind} `{d.name}`** — {where}"]
    node = d.node
    sig = signature(node)
    if sig is not None:
        out.append(f"```rrdsl\n{sig}\n```")
    if isinstance(node, ast.Clause):
        out.append(f"{node.modal} “{node.action}”")
    elif isinstance(node, ast.NonOperative | ast.Reading):
        out.append(node.text)
    elif getattr(node, "title", None):
        out.append(str(node.title))
    elif isinstance(node, ast.ExceptionDecl):
        out.append(f"{node.effect} {', '.join(str(t) for t in node.targets)}")
    if d.section and d.kind in ("clause", "exception", "provision", "check") and a.agreement:
        words = _agreement_section(a.agreement, d.section)
        if words:
            if len(words) > 2000:
                words = words[:2000] + " …"
            out.append(f"---\n*The agreement, §{d.section}:*\n\n{words}")
    return "\n\n".join(out)


def completions(a: Analysis) -> list[tuple[str, str]]:
    names = sorted({(d.name, d.kind) for d in a.decls})
    return names + [(k, "keyword") for k in sorted(keywords())]


# ── the last analysis, kept; edits analysed off the request path ────────────


#: How long the server waits after an edit for the next one before analysing (seconds).
DEBOUNCE = 0.02
#: How long after publishing diagnostics, with no edit since, it indexes the names (seconds).
INDEX_AFTER = 0.2
#: The server turns the automatic garbage collector off: an analysis makes many objects and
#: frees few, and the collector walked the whole kept heap again and again (most of the time
#: of an analysis of a large contract). It collects the young generations while the typist
#: pauses, and everything once every this many analyses.
COLLECT_EVERY = 50


class Analyser:
    """Keeps the last analysis of each contract and makes new ones in one worker thread.

    Every change to an open text (or a saved or watched file) starts a new generation. A
    request is answered from the analysis of the current generation: the kept one if nothing
    changed since it was made, else the one being made for it (awaited), else a new one.
    Edits are analysed after `DEBOUNCE` seconds without a further edit; an analysis that a
    newer edit has overtaken is not published (its result is dropped, its wait cancelled).
    """

    def __init__(self, texts: Callable[[], dict[Path, str]]) -> None:
        self.generation = 0
        self.runs = 0  # analyses made (the tests check that a request did not make one)
        self._texts = texts
        self._done: dict[Path, tuple[int, Analysis]] = {}  # by contract (root file)
        self._running: dict[Path, tuple[int, asyncio.Future[Analysis]]] = {}
        self._roots: dict[Path, Path] = {}
        self._roots_generation = -1
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="rrdsl-analysis")
        self._parses = Parses()
        self._memos: dict[Path, CheckMemo] = {}  # by contract (root file)

    def changed(self) -> None:
        self.generation += 1

    def root(self, path: Path) -> Path:
        if self._roots_generation != self.generation:
            self._roots, self._roots_generation = {}, self.generation
        real = path.resolve()
        if real not in self._roots:
            self._roots[real] = _root_for(real, self._texts()).resolve()
        return self._roots[real]

    def latest(self) -> list[Analysis]:
        """The last analysis of every contract analysed so far (perhaps of older texts)."""
        return [a for _, a in self._done.values()]

    def fresh(self, path: Path) -> Analysis | None:
        """The kept analysis of `path`'s contract, if nothing changed since it was made."""
        done = self._done.get(self.root(path))
        return done[1] if done is not None and done[0] == self.generation else None

    async def current(self, path: Path, indexed: bool = False) -> Analysis:
        """The analysis of `path`'s contract as the texts are now (`indexed`: with its names
        indexed, for navigation)."""
        a = await self._current(path)
        if indexed and not a.indexed:
            await self.run(a.index)
        return a

    async def _current(self, path: Path) -> Analysis:
        gen = self.generation
        root = self.root(path)
        done = self._done.get(root)
        if done is not None and done[0] == gen:
            return done[1]
        running = self._running.get(root)
        if running is None or running[0] != gen:
            texts = self._texts()  # taken now, on the event loop: the worker never reads them
            fut = asyncio.get_running_loop().run_in_executor(self._executor, self._analyse,
                                                             path.resolve(), texts, root)
            running = (gen, fut)
            self._running[root] = running
        a = await asyncio.shield(running[1])
        if self._running.get(root) is running:
            del self._running[root]
        kept = self._done.get(root)
        if not a.modules and kept is not None and kept[1].modules:
            # the text does not parse (the typist is in the middle of something): navigation
            # goes on with the names of the last analysis that parsed; the diagnostics are new
            a.modules, a._index = kept[1].modules, kept[1]._index
        if kept is None or kept[0] <= gen:
            self._done[root] = (gen, a)
        return a

    def _analyse(self, path: Path, texts: dict[Path, str], root: Path) -> Analysis:
        self.runs += 1
        if self.runs % COLLECT_EVERY == 0 and not gc.isenabled():
            gc.collect()
        memo = self._memos.setdefault(root, CheckMemo())
        return analyse(path, texts, root, self._parses, memo)

    async def collect(self) -> None:
        """Collect the young generations' garbage, in the worker (between analyses). A full
        collection walks the whole heap, holding the interpreter for seconds on a large
        contract, so it is made only every `COLLECT_EVERY` analyses."""
        await self.run(gc.collect, 1)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` in the worker (a rename checks the renamed contract there)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)


# ── the server ───────────────────────────────────────────────────────────────


def _range(sp: Span) -> Any:
    return lsp.Range(start=lsp.Position(line=sp.line - 1, character=sp.col - 1),
                     end=lsp.Position(line=sp.end_line - 1, character=sp.end_col - 1))


def _location(sp: Span) -> Any:
    return lsp.Location(uri=Path(sp.file).resolve().as_uri(), range=_range(sp))


def _lsp_diagnostic(d: Diagnostic) -> Any:
    sp = d.span or Span.point("", 1, 1)
    message = d.message
    if d.expected:
        message += f"\nexpected: {d.expected}"
    message += "".join(f"\nhelp: {h}" for h in d.hints)
    severity = (lsp.DiagnosticSeverity.Warning if d.severity is Severity.WARNING
                else lsp.DiagnosticSeverity.Error)
    return lsp.Diagnostic(range=_range(sp), message=message, severity=severity, code=d.code,
                          source="rrdsl")


_SYMBOL_KINDS: dict[str, Any] = {}


def _answering_protocol() -> Any:
    """pygls's protocol, except that a request it cannot read (a position of -1, a missing
    field) is answered with an error, "Invalid Params", instead of no answer at all: the
    client would wait for one for ever."""
    from pygls.exceptions import JsonRpcException
    from pygls.protocol import LanguageServerProtocol

    class Protocol(LanguageServerProtocol):
        def structure_message(self, data: Any) -> Any:
            try:
                return super().structure_message(data)
            except JsonRpcException as exc:
                msg_id = data.get("id") if isinstance(data, dict) else None
                if ("method" in data and isinstance(msg_id, int | str)
                        and not isinstance(msg_id, bool)):
                    try:
                        self._send_response(msg_id, error=exc.to_response_error())
                    except Exception:  # noqa: BLE001 - the answer is a courtesy; go on
                        pass
                raise

    return Protocol


def _edit(e: Any) -> Any:
    return lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=e.line, character=e.col),
                                        end=lsp.Position(line=e.end_line, character=e.end_col)),
                        new_text=e.text)


def _workspace_edit(edits: list[Any]) -> Any:
    changes: dict[str, list[Any]] = {}
    for e in edits:
        changes.setdefault(e.file.as_uri(), []).append(_edit(e))
    return lsp.WorkspaceEdit(changes=changes)


class _Refused(Exception):
    """A request the server declines (LSP RequestFailed), with the reason for the user."""


def build_server() -> Any:
    from pygls.exceptions import JsonRpcException

    from . import lsp_features as features

    server = LanguageServer("rrdsl", "0.1.0", protocol_cls=_answering_protocol())
    sk = lsp.SymbolKind
    _SYMBOL_KINDS.update({"clause": sk.Method, "exception": sk.Method, "provision": sk.String,
                          "definition": sk.Function, "fact": sk.Constant, "event": sk.Event,
                          "party": sk.Object, "role": sk.Class, "enumeration": sk.Enum,
                          "reading": sk.String, "enumeration member": sk.EnumMember,
                          "state": sk.Variable, "check": sk.Boolean})

    def source_of(uri: str) -> str:
        """The text of a document: the editor's, if it is open; else the file's, read within
        the limits (pygls would read any file, a named pipe or /dev/zero too)."""
        doc = server.workspace.text_documents.get(uri)
        if doc is not None:
            return str(doc.source)
        return read_text(uri_path(uri)) or ""

    def texts() -> dict[Path, str]:
        return {uri_path(uri).resolve(): doc.source
                for uri, doc in server.workspace.text_documents.items()}

    analyser = Analyser(texts)
    server.analyser = analyser  # type: ignore[attr-defined]
    debounce: dict[str, asyncio.Task[None]] = {}

    async def analysis(uri: str) -> Analysis:
        return await analyser.current(uri_path(uri), indexed=True)

    def publish(a: Analysis, root: Path) -> None:
        """The diagnostics of every open file of the contract."""
        for uri in list(server.workspace.text_documents):
            path = uri_path(uri)
            if analyser.root(path) != root:
                continue
            name = display_path(path)
            diags = [_lsp_diagnostic(d) for d in a.diagnostics if d.span is None
                     or d.span.file == name]
            server.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diags))

    async def analyse_and_publish(uri: str, delay: float) -> None:
        gen = analyser.generation
        if delay:
            await asyncio.sleep(delay)
        if gen != analyser.generation:
            return  # a newer edit came: its own task publishes
        path = uri_path(uri)
        a = await analyser.current(path)
        if gen != analyser.generation:
            return  # stale: dropped
        publish(a, analyser.root(path))
        await asyncio.sleep(INDEX_AFTER)  # index the names while the typist pauses
        if gen == analyser.generation:
            await analyser.current(path, indexed=True)
        if gen == analyser.generation:
            await analyser.collect()

    def schedule(uri: str, delay: float) -> None:
        analyser.changed()
        old = debounce.pop(uri, None)
        if old is not None:
            old.cancel()
        task = asyncio.get_running_loop().create_task(analyse_and_publish(uri, delay))
        debounce[uri] = task
        task.add_done_callback(lambda t: debounce.pop(uri, None) if debounce.get(uri) is t
                               else None)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(params: Any) -> None:
        schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(params: Any) -> None:
        schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(params: Any) -> None:
        schedule(params.text_document.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(params: Any) -> None:
        analyser.changed()  # the file's text is what is on disk again
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(params: Any) -> None:
        analyser.changed()
        for uri in list(server.workspace.text_documents):
            schedule(uri, DEBOUNCE)

    async def lookup(params: Any) -> tuple[Analysis | None, list[Decl], str | None]:
        uri = params.text_document.uri
        source = source_of(uri)
        pos = params.position
        word = word_at(source, pos.line, pos.character)
        if word is None:  # no word there (or no such place): nothing to analyse
            return None, [], None
        a = await analysis(uri)
        line_text = source.splitlines()[pos.line]
        return a, find_decls(a, word, display_path(uri_path(uri)), pos.line + 1,
                             line_text), word

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(params: Any) -> Any:
        a, found, _ = await lookup(params)
        if not found or a is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown,
                                                    value=hover_text(a, found[0])))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(params: Any) -> Any:
        _, found, _ = await lookup(params)
        return [_location(d.span) for d in found] or None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    async def references(params: Any) -> Any:
        a, found, word = await lookup(params)
        if word is None or a is None:
            return None
        spans = [sp for n, sp in a.refs if n == word]
        if params.context.include_declaration:
            spans += [d.span for d in found]
        return [_location(sp) for sp in sorted(set(spans), key=lambda s: (s.file, s.line,
                                                                          s.col))]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["."]))
    async def completion(params: Any) -> Any:
        a = await analysis(params.text_document.uri)
        kinds = {"keyword": lsp.CompletionItemKind.Keyword,
                 "definition": lsp.CompletionItemKind.Function,
                 "event": lsp.CompletionItemKind.Event,
                 "enumeration member": lsp.CompletionItemKind.EnumMember}
        return lsp.CompletionList(is_incomplete=False, items=[
            lsp.CompletionItem(label=n, detail=k,
                               kind=kinds.get(k, lsp.CompletionItemKind.Variable))
            for n, k in completions(a)])

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def symbols(params: Any) -> Any:
        a = await analysis(params.text_document.uri)
        name = display_path(uri_path(params.text_document.uri))
        out = []

        def symbol(d: Any) -> Any:
            sp = d.span or Span.point(name, 1, 1)
            name_sp = _name_span(d, d.name) or sp
            return lsp.DocumentSymbol(name=d.name, detail=_kind(d),
                                      kind=_SYMBOL_KINDS.get(_kind(d), lsp.SymbolKind.Object),
                                      range=_range(sp),
                                      selection_range=_range(name_sp))

        for m in a.modules:
            if m.file != name:
                continue
            out += [symbol(d) for d in m.preamble if hasattr(d, "name")]
            for s in m.sections:
                sp = s.span or Span.point(name, 1, 1)
                out.append(lsp.DocumentSymbol(
                    name=f"§{s.number} {s.heading}", kind=lsp.SymbolKind.Namespace,
                    range=_range(sp), selection_range=_range(Span.point(name, sp.line, sp.col)),
                    children=[symbol(d) for d in s.items if hasattr(d, "name")]))
        return out

    # ── editing: formatting, fixes, rename ──────────────────────────────────

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(params: Any) -> Any:
        uri = params.text_document.uri
        edits = features.format_edits(source_of(uri), uri_path(uri).resolve())
        return None if edits is None else [_edit(e) for e in edits]

    @server.feature(lsp.TEXT_DOCUMENT_RANGE_FORMATTING)
    def range_formatting(params: Any) -> Any:
        uri = params.text_document.uri
        r = params.range
        last = r.end.line - 1 if r.end.character == 0 and r.end.line > r.start.line \
            else r.end.line
        edits = features.format_edits(source_of(uri), uri_path(uri).resolve(), r.start.line,
                                      last)
        return None if edits is None else [_edit(e) for e in edits]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    async def code_action(params: Any) -> Any:
        uri = params.text_document.uri
        a = await analysis(uri)
        name = display_path(uri_path(uri))
        first, last = params.range.start.line + 1, params.range.end.line + 1
        out = []
        for d in a.diagnostics:
            sp = d.span
            if sp is None or sp.file != name or sp.end_line < first or sp.line > last:
                continue
            for fix in features.fixes(d, a.modules, texts()):
                out.append(lsp.CodeAction(title=fix.title, kind=lsp.CodeActionKind.QuickFix,
                                          diagnostics=[_lsp_diagnostic(d)],
                                          is_preferred=fix.preferred or None,
                                          edit=_workspace_edit(list(fix.edits))))
        return out

    async def rename_target(params: Any) -> tuple[Analysis, Decl]:
        a, found, word = await lookup(params)
        if not found or a is None:
            raise _Refused(f"'{word}' is not declared in the contract" if word
                           else "there is no name here")
        return a, found[0]

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    async def prepare_rename(params: Any) -> Any:
        try:
            _, d = await rename_target(params)
        except _Refused:
            return None
        if d.kind not in features.RENAMEABLE:
            return None
        lines = source_of(params.text_document.uri).splitlines()
        line = lines[params.position.line] if 0 <= params.position.line < len(lines) else ""
        for m in _WORD.finditer(line):
            if m.start() <= params.position.character <= m.end():
                return lsp.PrepareRenamePlaceholder(
                    range=lsp.Range(start=lsp.Position(line=params.position.line,
                                                       character=m.start()),
                                    end=lsp.Position(line=params.position.line,
                                                     character=m.end())),
                    placeholder=m.group())
        return None

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    async def rename(params: Any) -> Any:
        try:
            a, d = await rename_target(params)
            path = uri_path(params.text_document.uri)
            root = analyser.root(path)
            edits = await analyser.run(functools.partial(
                features.rename_edits, a.decls, a.refs, d, params.new_name, texts(),
                keywords(),
                recheck=lambda t: analyse(path, t, root).diagnostics, before=a.diagnostics))
        except (_Refused, features.RenameRefused) as e:
            raise JsonRpcException(str(e), code=-32803) from None  # RequestFailed
        if d.kind in ("fact", "event", "party", "clause", "exception"):
            server.window_show_message(lsp.ShowMessageParams(
                type=lsp.MessageType.Info,
                message=f"renamed the {d.kind} '{d.name}' in the clause files; fact files and "
                        "scenarios that name it are not changed"))
        return _workspace_edit(edits)

    # ── semantic tokens, signature help, workspace symbols ─────────────────

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                    lsp.SemanticTokensLegend(token_types=features.TOKEN_TYPES,
                                             token_modifiers=features.TOKEN_MODIFIERS))
    async def semantic_tokens(params: Any) -> Any:
        a = await analysis(params.text_document.uri)
        name = display_path(uri_path(params.text_document.uri))
        return lsp.SemanticTokens(data=features.semantic_tokens(a.decls, a.refs, name))

    @server.feature(lsp.TEXT_DOCUMENT_SIGNATURE_HELP,
                    lsp.SignatureHelpOptions(trigger_characters=["(", ","],
                                             retrigger_characters=[","]))
    async def signature_help(params: Any) -> Any:
        call = features.call_at(source_of(params.text_document.uri), params.position.line,
                                params.position.character)
        if call is None:
            return None
        a = await analysis(params.text_document.uri)
        sig = features.signature_for(call[0], call[1], a.decls)
        if sig is None:
            return None
        return lsp.SignatureHelp(signatures=[lsp.SignatureInformation(
            label=sig.label, documentation=sig.doc,
            parameters=[lsp.ParameterInformation(label=p) for p in sig.params])],
            active_signature=0, active_parameter=min(sig.active, max(len(sig.params) - 1, 0)))

    @server.feature(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbols(params: Any) -> Any:
        analyses = analyser.latest()
        if not analyses:  # nothing opened yet: the contracts of the workspace folders
            for folder in _workspace_roots(server):
                for path in _contracts_in(folder):
                    analyses.append(await analyser.current(path))
        out, seen = [], set()
        for a in analyses:
            for d in a.decls:
                key = (d.name, d.span)
                if key in seen or not features.matches(params.query, d.name):
                    continue
                seen.add(key)
                out.append(lsp.WorkspaceSymbol(
                    name=d.name, kind=_SYMBOL_KINDS.get(d.kind, lsp.SymbolKind.Object),
                    location=_location(d.span),
                    container_name=f"§{d.section} {d.heading}" if d.section else None))
        return out

    return server


def _workspace_roots(server: Any) -> list[Path]:
    folders = [uri_path(f.uri) for f in server.workspace.folders.values()]
    if not folders and server.workspace.root_uri:
        folders = [uri_path(server.workspace.root_uri)]
    return folders


def _contracts_in(folder: Path, limit: int = 200) -> list[Path]:
    """The clause files with an `agreement` header under `folder` (at most `limit` looked at)."""
    out = []
    for i, path in enumerate(sorted(folder.rglob("*.rrd"))):
        if i >= limit:
            break
        text = read_text(path)  # a regular file within the limit, or nothing
        if text is not None and re.search(r"^\s*agreement\s", text, re.M):
            out.append(path)
    return out


def main() -> int:
    import sys

    gc.disable()  # see COLLECT_EVERY
    build_server().start_io(stdin=LimitedStdin(sys.stdin.buffer))
    return 0


__all__ = ["Analysis", "analyse", "available", "build_server", "completions", "find_decls",
           "hover_text", "main", "word_at"]
