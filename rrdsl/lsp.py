"""Language server (`rrdsl lsp`, over stdio): diagnostics as you type, hover, go to definition,
find references, completion and document symbols by section. Built on pygls (the `lsp` extra).

A clause file is analysed with the contract it belongs to: a file with an `agreement` header is
the contract; a file without one is checked through the clause file (in its folder or the one
above) that imports it, so names it shares with the main file resolve. Open, unsaved texts are
used in place of what is on disk.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import attrs

from . import ast
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
    decls: list[Decl]
    refs: list[tuple[str, Span]]  # every use of a name
    agreement: Path | None  # the agreement's filed text


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


def analyse(path: Path, texts: dict[Path, str]) -> Analysis:
    from .checker import check
    from .lints import lint_composition

    root = _root_for(path, texts)
    modules: list[ast.Module] = []
    diags: list[Diagnostic] = []
    try:
        comp = load_composition(root, texts)
        modules = list(comp.modules)
        check(modules, comp)
        diags = lint_composition(comp)
    except RrdslError as e:
        diags = list(e.diagnostics)
        if not modules:  # a syntax error: still index the files that parse
            try:
                modules = load_modules(path, texts)
            except RrdslError:
                modules = []
    decls, refs = _index(modules)
    agreement = None
    for m in modules:
        if m.header is not None and m.header.source:
            # only a text inside the contract's own tree (E212 reports one outside it)
            folder = Path(m.file).resolve().parent
            target = (folder / m.header.source).resolve()
            if target.is_relative_to(folder):
                agreement = target
    return Analysis(modules, diags, decls, refs, agreement)


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


def hover_text(a: Analysis, d: Decl) -> str:
    from .agreement_text import parse_agreement_text, section_text

    where = f"§{d.section} {d.heading}" if d.section else "preamble"
    out = [f"**{d.kind} `{d.name}`** — {where}"]
    node = d.node
    if isinstance(node, ast.Clause):
        out.append(f"{node.modal} “{node.action}”")
    elif isinstance(node, ast.NonOperative | ast.Reading):
        out.append(node.text)
    elif getattr(node, "title", None):
        out.append(str(node.title))
    elif isinstance(node, ast.ExceptionDecl):
        out.append(f"{node.effect} {', '.join(str(t) for t in node.targets)}")
    if d.section and d.kind in ("clause", "exception", "provision", "check") and a.agreement:
        text = read_text(a.agreement)
        words = section_text(parse_agreement_text(text), d.section) if text else ""
        if words:
            if len(words) > 2000:
                words = words[:2000] + " …"
            out.append(f"---\n*The agreement, §{d.section}:*\n\n{words}")
    return "\n\n".join(out)


def completions(a: Analysis) -> list[tuple[str, str]]:
    names = sorted({(d.name, d.kind) for d in a.decls})
    return names + [(k, "keyword") for k in sorted(keywords())]


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


def build_server() -> Any:
    server = LanguageServer("rrdsl", "0.1.0", protocol_cls=_answering_protocol())
    sk = lsp.SymbolKind
    _SYMBOL_KINDS.update({"clause": sk.Method, "exception": sk.Method, "provision": sk.String,
                          "definition": sk.Function, "fact": sk.Constant, "event": sk.Event,
                          "party": sk.Object, "role": sk.Class, "enumeration": sk.Enum,
                          "reading": sk.String})

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

    def analysis(uri: str) -> Analysis:
        return analyse(uri_path(uri), texts())

    def publish(uri: str) -> None:
        a = analysis(uri)
        name = display_path(uri_path(uri))
        diags = [_lsp_diagnostic(d) for d in a.diagnostics if d.span is None
                 or d.span.file == name]
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diags))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: Any) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: Any) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: Any) -> None:
        publish(params.text_document.uri)

    def lookup(params: Any) -> tuple[Analysis | None, list[Decl], str | None]:
        uri = params.text_document.uri
        source = source_of(uri)
        pos = params.position
        word = word_at(source, pos.line, pos.character)
        if word is None:  # no word there (or no such place): nothing to analyse
            return None, [], None
        a = analysis(uri)
        line_text = source.splitlines()[pos.line]
        return a, find_decls(a, word, display_path(uri_path(uri)), pos.line + 1,
                             line_text), word

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(params: Any) -> Any:
        a, found, _ = lookup(params)
        if not found or a is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown,
                                                    value=hover_text(a, found[0])))

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(params: Any) -> Any:
        _, found, _ = lookup(params)
        return [_location(d.span) for d in found] or None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(params: Any) -> Any:
        a, found, word = lookup(params)
        if word is None or a is None:
            return None
        spans = [sp for n, sp in a.refs if n == word]
        if params.context.include_declaration:
            spans += [d.span for d in found]
        return [_location(sp) for sp in sorted(set(spans), key=lambda s: (s.file, s.line,
                                                                          s.col))]

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["."]))
    def completion(params: Any) -> Any:
        a = analysis(params.text_document.uri)
        kinds = {"keyword": lsp.CompletionItemKind.Keyword,
                 "definition": lsp.CompletionItemKind.Function,
                 "event": lsp.CompletionItemKind.Event,
                 "enumeration member": lsp.CompletionItemKind.EnumMember}
        return lsp.CompletionList(is_incomplete=False, items=[
            lsp.CompletionItem(label=n, detail=k,
                               kind=kinds.get(k, lsp.CompletionItemKind.Variable))
            for n, k in completions(a)])

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(params: Any) -> Any:
        a = analysis(params.text_document.uri)
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

    return server


def main() -> int:
    import sys

    build_server().start_io(stdin=LimitedStdin(sys.stdin.buffer))
    return 0


__all__ = ["Analysis", "analyse", "available", "build_server", "completions", "find_decls",
           "hover_text", "main", "word_at"]
