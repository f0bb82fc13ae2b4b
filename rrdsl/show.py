"""`rrdsl show`: a section's clauses, highlighted, beside the agreement's own words, with the
cross-references they make and receive (see browse.py for how those are worked out)."""

from __future__ import annotations

from pygments import highlight
from pygments.formatters import TerminalFormatter

from .browse import VERBS, Browse, Item, Ref, Unit
from .lexer import RrdslLexer

_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _code(lines: list[str], first: int, color: bool) -> list[str]:
    text = "\n".join(lines) + "\n"
    if color:
        text = highlight(text, RrdslLexer(), TerminalFormatter())
    width = len(str(first + len(lines) - 1))
    out = []
    for k, line in enumerate(text.rstrip("\n").split("\n")):
        number = f"{first + k:>{width}}"
        out.append(f"  {_DIM}{number}{_RESET} │ {line}" if color else f"  {number} │ {line}")
    return out


def _where(b: Browse, r: Ref) -> str:
    return f"   ({r.span.file}:{r.span.line})" if r.span else ""


def _made(b: Browse, r: Ref) -> str:
    if r.target_kind == "all":
        return f"{b.describe_source(r)} applies notwithstanding anything to the contrary"
    return f"{b.describe_source(r)} {VERBS[r.kind][0]} {b.describe(r)}"


def _received(b: Browse, r: Ref) -> str:
    return f"{b.describe_source(r)} {VERBS[r.kind][1]} {b.describe(r)}"


def show_unit(b: Browse, unit: Unit, item: Item | None = None, color: bool = False) -> str:
    def head(text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if color else text

    title = f"§{item.id}" if item else f"§{unit.number}"
    lines = [head(f"{title} {unit.heading or ''}".rstrip())]
    if unit.file is not None and unit.first_line is not None and unit.last_line is not None:
        first, last = ((item.span.line, item.span.end_line) if item
                       else (unit.first_line, unit.last_line))
        lines.append(f"{unit.file}, lines {first}-{last}")
        lines.append("")
        lines += _code(b.lines(unit.file, first, last), first, color)
        if unit.dropped and item is None:
            lines += ["", "Replaced or removed by " + b.contract.name + ": "
                      + ", ".join(unit.dropped)]
        for file, a, z in (unit.also if item is None else ()):
            lines += ["", f"{file}, lines {a}-{z}", ""]
            lines += _code(b.lines(file, a, z), a, color)
    else:
        lines.append(f"not encoded in {b.contract.file}")
    lines.append("")
    if unit.paragraphs:
        src = b.source_display
        lines.append(head(f"The agreement ({src}, lines {unit.paragraphs[0].first_line}-"
                          f"{unit.paragraphs[-1].last_line}):"))
        for p in unit.paragraphs:
            lines += ["  " + t for t in p.text.splitlines()]
            lines.append("")
    elif b.source_path is None:
        lines += ["The contract names no agreement text (add `source \"text/FILE.txt\"` to its "
                  "header).", ""]
    else:
        lines += [f"The agreement's text has no paragraph numbered {unit.number}.", ""]
    if unit.encoded:
        made = b.refs_made(unit, item)
        received = b.refs_received(unit, item)
        lines.append(head("References made:" if made else "References made: none"))
        lines += [f"  {_made(b, r)}{_where(b, r)}" for r in made]
        lines.append(head("References received:" if received else "References received: none"))
        lines += [f"  {_received(b, r)}{_where(b, r)}" for r in received]
        lines.append("")
    return "\n".join(lines)


def show(b: Browse, section: str | None = None, color: bool = False) -> str:
    """The text `rrdsl show CONTRACT [SECTION]` prints (raises E706 for an unknown section)."""
    if section is None:
        units, item = list(b.units.values()), None
        head = [f"{b.contract.title} ({b.contract.name}) — {b.contract.file}"]
        imports = [r for r in b.refs if r.kind == "imports"]
        head += [f"  {r.source} imports {r.target}" for r in imports]
        parts = ["\n".join(head) + "\n"]
    else:
        units, item = b.select(section)
        parts = []
    rule = "─" * 72
    parts += [show_unit(b, u, item, color) for u in units]
    return f"\n{rule}\n".join(parts).rstrip("\n") + "\n"
