"""The language server's editing features, on an `Analysis` and the files' texts, without LSP
types (rrdsl/lsp.py turns them into protocol messages): formatting edits, fixes for
diagnostics, rename, semantic tokens, signatures for hover and signature help, and workspace
symbols.

Positions here are 0-based lines and columns (code points); an `Edit` replaces the text from
(line, col) to (end_line, end_col) of one file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from . import ast
from .diagnostics import Diagnostic, RrdslError, Span

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@attrs.frozen
class Edit:
    file: Path  # resolved
    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@attrs.frozen
class Fix:
    title: str
    edits: tuple[Edit, ...]
    diagnostic: Diagnostic
    preferred: bool = False


def read(path: Path, texts: Mapping[Path, str]) -> str | None:
    """The text of a file: the editor's if it is open, else what is on disk."""
    real = path.resolve()
    if real in texts:
        return texts[real]
    try:
        return real.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _span_edit(sp: Span, text: str) -> Edit:
    return Edit(Path(sp.file).resolve(), sp.line - 1, sp.col - 1, sp.end_line - 1,
                sp.end_col - 1, text)


def _span_text(sp: Span, texts: Mapping[Path, str]) -> str | None:
    src = read(Path(sp.file), texts)
    if src is None:
        return None
    lines = src.split("\n")
    if not (1 <= sp.line <= len(lines) and 1 <= sp.end_line <= len(lines)):
        return None
    if sp.line == sp.end_line:
        return lines[sp.line - 1][sp.col - 1: sp.end_col - 1]
    return "\n".join([lines[sp.line - 1][sp.col - 1:], *lines[sp.line: sp.end_line - 1],
                      lines[sp.end_line - 1][: sp.end_col - 1]])


# ── formatting ───────────────────────────────────────────────────────────────


def format_edits(text: str, file: Path, first_line: int | None = None,
                 last_line: int | None = None) -> list[Edit] | None:
    """The edits that give `text` the layout of `rrdsl fmt` (None if it does not parse): the
    changed runs of lines only, and with a range (0-based lines, inclusive) only the runs that
    touch it."""
    from .fmt import format_text
    from .loader import display_path

    try:
        formatted = format_text(text, display_path(file))
    except RrdslError:
        return None
    if formatted == text:
        return []
    old = text.split("\n")
    new = formatted.split("\n")
    edits = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if first_line is not None and last_line is not None:
            lo, hi = (i1, i2 - 1) if i2 > i1 else (i1 - 1, i1)  # an insertion touches both
            if hi < first_line or lo > last_line:                # lines around it
                continue
        if i2 < len(old):  # whole lines i1..i2 (exclusive) become new lines j1..j2
            edits.append(Edit(file, i1, 0, i2, 0, "".join(line + "\n" for line in new[j1:j2])))
        elif i1 < i2 and j1 == j2 and i1 > 0:  # the last lines go, with the newline before
            edits.append(Edit(file, i1 - 1, len(old[i1 - 1]), i2 - 1, len(old[-1]), ""))
        elif i1 < i2:  # the run reaches the end of the text, which has no newline after it
            edits.append(Edit(file, i1, 0, i2 - 1, len(old[-1]), "\n".join(new[j1:j2])))
        else:  # lines added after the last one
            edits.append(Edit(file, i1 - 1, len(old[-1]), i1 - 1, len(old[-1]),
                              "".join("\n" + line for line in new[j1:j2])))
    return edits


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with the edits made (they do not overlap); for tests and for checking a rename."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def at(line: int, col: int) -> int:
        return min(offsets[min(line, len(lines) - 1)] + col, len(text))

    out = text
    for e in sorted(edits, key=lambda e: (e.line, e.col), reverse=True):
        out = out[:at(e.line, e.col)] + e.text + out[at(e.end_line, e.end_col):]
    return out


# ── fixes for diagnostics ────────────────────────────────────────────────────

_DID_YOU_MEAN = re.compile(r"did you mean '?(§?[^'?]+)'?\?")
_WRITE = re.compile(r"write (([A-Za-z_][A-Za-z0-9_]*)(?:\([^()]*\)|\.[A-Za-z_][A-Za-z0-9_]*))")
_ADD_AFTER = re.compile(r"add '([^']+)' after '([^']+)'")
_SUBJECT_TO = re.compile(r"add `subject to §(\S+)` to section (\S+), or `notwithstanding "
                         r"§(\S+)` to section (\S+)")


def fixes(diag: Diagnostic, modules: list[ast.Module], texts: Mapping[Path, str]) -> list[Fix]:
    """The edits that fix `diag`, where one of its hints says what to write."""
    sp = diag.span
    if sp is None:
        return []
    out: list[Fix] = []
    for hint in diag.hints:
        m = _DID_YOU_MEAN.fullmatch(hint)
        if m:
            word = m.group(1)
            written = _span_text(sp, texts)
            if written is None or "\n" in written:
                continue
            if word.startswith("§") and not written.startswith("§"):
                word = word[1:]
            out.append(Fix(f"Change '{written}' to '{word}'", (_span_edit(sp, word),), diag,
                           preferred=True))
        elif (w := _WRITE.fullmatch(hint)) and _span_text(sp, texts) in (
                w.group(2), w.group(1).rpartition(".")[2]):
            # a name that needs its arguments, or a member its enumeration: write them
            out.append(Fix(f"Write {w.group(1)}", (_span_edit(sp, w.group(1)),), diag,
                           preferred=True))
        elif (a := _ADD_AFTER.fullmatch(hint)) and sp.line >= 1:
            line = (read(Path(sp.file), texts) or "").split("\n")[sp.line - 1:sp.line]
            at = line[0].rfind(a.group(2), 0, sp.col - 1) if line else -1
            if at >= 0:
                col = at + len(a.group(2))
                out.append(Fix(f"Add {a.group(1)} after '{a.group(2)}'",
                               (Edit(Path(sp.file).resolve(), sp.line - 1, col, sp.line - 1,
                                     col, a.group(1)),), diag, preferred=True))
        elif hint.startswith("add a line: "):
            out += _line_after(diag, hint.removeprefix("add a line: "), modules, texts)
        elif hint.startswith("round it explicitly"):
            written = _span_text(sp, texts)
            if written is None:
                continue
            for mode in ("half_up", "down"):
                out.append(Fix(f"Round it: round(..., {mode})",
                               (_span_edit(sp, f"round({written}, {mode})"),), diag,
                               preferred=mode == "half_up"))
        else:
            s = _SUBJECT_TO.fullmatch(hint)
            if s:
                out += _priority_fix(diag, "subject to", s.group(1), s.group(2), modules, texts)
                out += _priority_fix(diag, "notwithstanding", s.group(3), s.group(4), modules,
                                     texts)
    return out


def _line_after(diag: Diagnostic, line: str, modules: list[ast.Module],
                texts: Mapping[Path, str]) -> list[Fix]:
    """`line` added after the declaration whose name the diagnostic points at."""
    sp = diag.span
    assert sp is not None
    for m in modules:
        if m.file != sp.file:
            continue
        for items in (m.preamble, *(s.items for s in m.sections)):
            for d in items:
                where = d.span
                if where is None or not where.line <= sp.line <= where.end_line:
                    continue
                src = read(Path(m.file), texts)
                if src is None:
                    return []
                lines = src.split("\n")
                first = lines[where.line - 1]
                indent = " " * (len(first) - len(first.lstrip()) + 2)
                end = where.end_line  # 1-based: insert before the line after the declaration
                return [Fix(f"Add: {line}", (Edit(Path(m.file).resolve(), end, 0, end, 0,
                                                   f"{indent}{line}\n"),), diag)]
    return []


def _priority_fix(diag: Diagnostic, kind: str, ref: str, section: str,
                  modules: list[ast.Module], texts: Mapping[Path, str]) -> list[Fix]:
    """`kind §ref` added to section `section`: a line after its heading, or `, §ref` at the end
    of a line of that kind it has already."""
    for m in modules:
        for s in m.sections:
            if s.number != section or s.span is None:
                continue
            src = read(Path(m.file), texts)
            if src is None:
                return []
            lines = src.split("\n")
            file = Path(m.file).resolve()
            title = f"Add `{kind} §{ref}` to section {section}"
            for p in s.priorities:
                if p.kind == kind.replace(" ", "_") and p.span is not None:
                    end = lines[p.span.end_line - 1][: p.span.end_col - 1].rstrip()
                    return [Fix(title, (Edit(file, p.span.end_line - 1, len(end),
                                             p.span.end_line - 1, len(end), f", §{ref}"),),
                                diag)]
            # after the heading: the section line and any continued heading strings
            line = s.span.line  # 1-based line of `section`; lines[line] is the next one
            while line < len(lines) and lines[line].lstrip().startswith('"'):
                line += 1
            indent = " " * (len(lines[s.span.line - 1]) - len(lines[s.span.line - 1].lstrip())
                            + 2)
            return [Fix(title, (Edit(file, line, 0, line, 0, f"{indent}{kind} §{ref}\n"),),
                        diag)]
    return []


# ── rename ───────────────────────────────────────────────────────────────────

RENAMEABLE = ("definition", "fact", "event", "clause", "exception", "provision", "party",
              "role", "state", "enumeration", "enumeration member", "check")


class RenameRefused(Exception):
    """The rename cannot be done; the message says why."""


def rename_edits(decls: list[Any], refs: list[tuple[str, Span]], target: Any, new: str,
                 texts: Mapping[Path, str], reserved: Iterable[str],
                 recheck: Callable[[dict[Path, str]], list[Diagnostic]] | None = None,
                 before: list[Diagnostic] | None = None) -> list[Edit]:
    """The edits that rename the declaration `target` (an lsp.Decl) and every use of its name
    in the contract's files. Refused when the new name is not a name, is a keyword, is
    declared or used already, or when the old name means more than one thing; with `recheck`,
    also when the renamed contract has errors the contract had not."""
    old = target.name
    if target.kind not in RENAMEABLE:
        raise RenameRefused(f"a {target.kind} cannot be renamed")
    if not _IDENT.match(new):
        raise RenameRefused(f"'{new}' is not a name: a letter or _, then letters, digits or _")
    if new in set(reserved):
        raise RenameRefused(f"'{new}' is a keyword")
    if new == old:
        return []
    taken = [d for d in decls if d.name == new]
    if taken:
        d = taken[0]
        raise RenameRefused(f"'{new}' is already the name of a {d.kind}"
                            + (f" in §{d.section}" if d.section else ""))
    if any(n == new for n, _ in refs):
        raise RenameRefused(f"'{new}' is already used as a name in the contract")
    same = [d for d in decls if d.name == old]
    if len(same) > 1:
        where = ", ".join(f"§{d.section}" if d.section else "the preamble" for d in same)
        raise RenameRefused(f"'{old}' is declared {len(same)} times ({where}): rename one "
                            "declaration by hand")
    spans = {target.span, *(sp for n, sp in refs if n == old)}
    edits = []
    for sp in sorted(spans, key=lambda s: (s.file, s.line, s.col)):
        if _span_text(sp, texts) != old:
            raise RenameRefused(f"'{old}' is not where the analysis put it ({sp}): save or "
                                "check the file and try again")
        edits.append(_span_edit(sp, new))
    if recheck is not None:
        changed: dict[Path, str] = {}
        for file in {e.file for e in edits}:
            src = read(file, texts)
            if src is not None:
                changed[file] = apply_edits(src, [e for e in edits if e.file == file])
        after = recheck({**{p.resolve(): t for p, t in texts.items()}, **changed})
        old_errors = {(d.code, d.message.replace(old, new)) for d in before or []}
        new_errors = [d for d in after if (d.code, d.message) not in old_errors]
        if new_errors:
            d = new_errors[0]
            raise RenameRefused(f"renaming '{old}' to '{new}' would give {d.code}: {d.message}"
                                + (f" ({d.span})" if d.span else ""))
    return edits


# ── semantic tokens ──────────────────────────────────────────────────────────

TOKEN_TYPES = ["namespace", "type", "class", "enum", "enumMember", "function", "method",
               "variable", "parameter", "property", "event", "string"]
TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary"]

_KIND_TOKEN = {"definition": "function", "fact": "property", "event": "event",
               "party": "class", "role": "class", "enumeration": "enum",
               "enumeration member": "enumMember", "clause": "method", "exception": "method",
               "provision": "method", "state": "variable", "reading": "string",
               "check": "method"}
_TYPES = {"int", "bool", "date", "money", "decimal", "percent", "text", "duration", "number",
          "shares", "unrounded"}


def semantic_tokens(decls: list[Any], refs: list[tuple[str, Span]], file: str) -> list[int]:
    """The LSP encoding (relative positions, five numbers a token) of the names in `file`:
    declarations and uses, typed by what the name declares."""
    from .checker import BUILTINS

    kinds: dict[str, str] = {}
    for d in decls:
        kinds.setdefault(d.name, d.kind)
    found: dict[tuple[int, int], tuple[int, int, int]] = {}
    for d in decls:
        sp = d.span
        if sp.file == file and sp.line == sp.end_line:
            t = _KIND_TOKEN.get(d.kind, "variable")
            found[(sp.line, sp.col)] = (sp.end_col - sp.col, TOKEN_TYPES.index(t), 1)
    for name, sp in refs:
        if sp.file != file or sp.line != sp.end_line or (sp.line, sp.col) in found:
            continue
        mods = 0
        if name in kinds:
            t = _KIND_TOKEN.get(kinds[name], "variable")
        elif name in BUILTINS:
            t, mods = "function", 4
        elif name in _TYPES:
            t, mods = "type", 4
        else:
            t = "parameter"  # a variable the clause or definition binds
        found[(sp.line, sp.col)] = (sp.end_col - sp.col, TOKEN_TYPES.index(t), mods)
    data: list[int] = []
    prev_line, prev_col = 1, 1
    for (line, col), (length, index, mods) in sorted(found.items()):
        data += [line - prev_line, col - prev_col if line == prev_line else col - 1, length,
                 index, mods]
        prev_line, prev_col = line, col
    return data


# ── signatures ───────────────────────────────────────────────────────────────


def type_text(t: Any) -> str:
    from .fmt import _Printer

    return _Printer("", []).type(t)


def signature(node: Any) -> str | None:
    """A declaration as it is declared, without its body: `define f(x: int): money`."""
    def params(ps: tuple[ast.Param, ...]) -> str:
        return f"({', '.join(f'{p.name}: {type_text(p.type)}' for p in ps)})" if ps else ""

    if isinstance(node, ast.Define):
        return f"define {node.name}{params(node.params)}: {type_text(node.type)}"
    if isinstance(node, ast.StateDecl):
        return f"state {node.name}{params(node.params)}: {type_text(node.type)}"
    if isinstance(node, ast.FactDecl):
        q = "qualitative " if node.qualitative else ""
        over = " over time" if node.over_time else ""
        return f"{q}fact {node.name}{params(node.params)}: {type_text(node.type)}{over}"
    if isinstance(node, ast.EventDecl):
        q = "qualitative " if node.qualitative else ""
        fields = ", ".join(f"{f.name}: {type_text(f.type)}" for f in node.fields)
        return f"{q}event {node.name}" + (f"({fields})" if fields else "")
    if isinstance(node, ast.PartyDecl):
        return f"party {node.name}"
    if isinstance(node, ast.RoleDecl):
        return f"role {node.name}"
    if isinstance(node, ast.EnumDecl):
        return f"enum {node.name} {{ {', '.join(m.name for m in node.members)} }}"
    return None


@attrs.frozen
class Signature:
    label: str
    params: tuple[str, ...]
    doc: str | None
    active: int


def call_at(text: str, line: int, col: int) -> tuple[str, int] | None:
    """The function whose call's brackets enclose (line, col), and the index of the argument
    the position is in."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    if _in_comment(lines[line][:col]):
        return None
    before = "\n".join([_code(t) for t in lines[max(0, line - 20):line]]
                       + [lines[line][:col]])
    depth, commas = 0, 0
    in_string = False
    for i in range(len(before) - 1, -1, -1):
        c = before[i]
        if c == '"':
            in_string = not in_string
        if in_string:
            continue
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                if c != "(":
                    return None
                m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\Z", before[:i])
                return (m.group(1), commas) if m else None
            depth -= 1
        elif c == "," and depth == 0:
            commas += 1
    return None


def _in_comment(text: str) -> bool:
    """Does `text` (the start of a line) end inside a comment?"""
    return "#" in _STRINGS.sub("", text)


def _code(line: str) -> str:
    """A line without its comment."""
    bare = _STRINGS.sub(lambda m: " " * len(m.group()), line)
    return line[:bare.index("#")] if "#" in bare else line


_STRINGS = re.compile(r'"(?:[^"\\\n]|\\.)*"?')


def signature_for(name: str, active: int, decls: list[Any]) -> Signature | None:
    from .checker import BUILTIN_USAGE

    for d in decls:
        if d.name == name and isinstance(d.node, ast.Define | ast.FactDecl | ast.StateDecl) \
                and d.node.params:
            ps = tuple(f"{p.name}: {type_text(p.type)}" for p in d.node.params)
            label = f"{name}({', '.join(ps)}): {type_text(d.node.type)}"
            return Signature(label, ps, d.node.title, active)
    usage = BUILTIN_USAGE.get(name)
    if usage:
        inside = usage[len(name) + 1: -1]
        ps = tuple(p.strip() for p in inside.split(",")) if inside else ()
        return Signature(usage, ps, "built in", active)
    return None


# ── workspace symbols ────────────────────────────────────────────────────────


def matches(query: str, name: str) -> bool:
    """The query's letters appear in the name in order (case ignored), as editors match."""
    q = query.lower()
    it = iter(name.lower())
    return all(c in it for c in q)


__all__ = ["RENAMEABLE", "TOKEN_MODIFIERS", "TOKEN_TYPES", "Edit", "Fix", "RenameRefused",
           "Signature", "apply_edits", "call_at", "fixes", "format_edits", "matches", "read",
           "rename_edits", "semantic_tokens", "signature", "signature_for", "type_text"]
