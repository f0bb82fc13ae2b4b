"""Diagnostics: spans, the one error base class and its branches, and rendering.

Every stage records a `Span` where it raises; the boundary (CLI, API user) renders the
diagnostic with the source line and a caret.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

import attrs


@attrs.frozen
class Span:
    """A region of a source file: 1-based line and column, end exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    @classmethod
    def point(cls, file: str, line: int, col: int, width: int = 1) -> Span:
        return cls(file, line, col, line, col + max(width, 1))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Label:
    """A secondary place a diagnostic points at, with what it says about it."""

    span: Span
    message: str


@attrs.frozen
class Diagnostic:
    """One problem: a stable code, where, what is wrong, what was expected, how to fix it."""

    code: str
    message: str
    span: Span | None = None
    expected: str | None = None
    hints: tuple[str, ...] = ()
    labels: tuple[Label, ...] = ()
    severity: Severity = Severity.ERROR

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.span is not None:
            out["file"] = self.span.file
            out["line"] = self.span.line
            out["col"] = self.span.col
        if self.expected:
            out["expected"] = self.expected
        if self.hints:
            out["hints"] = list(self.hints)
        return out


class RrdslError(Exception):
    """The one error base class. Carries every diagnostic found, not just the first."""

    kind = "error"

    def __init__(self, diagnostics: Diagnostic | Sequence[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


class SyntaxErrors(RrdslError):
    kind = "syntax"


class CheckErrors(RrdslError):
    kind = "check"


class FactErrors(RrdslError):
    kind = "facts"


class EvaluationError(RrdslError):
    kind = "evaluation"


class ScenarioError(RrdslError):
    kind = "scenario"


class UsageError(RrdslError):
    kind = "usage"


class SourceRegistry:
    """Remembers the text of every file read, so diagnostics can show the line."""

    def __init__(self) -> None:
        self._texts: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        self._texts[file] = text.splitlines()

    def forget(self, file: str) -> None:
        """Drop a text no diagnostic will show any more (a batch reads many)."""
        self._texts.pop(file, None)

    def line(self, file: str, line: int) -> str | None:
        lines = self._texts.get(file)
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    def lines(self, file: str) -> list[str] | None:
        """The lines remembered of `file` (to put back with `put_lines`)."""
        return self._texts.get(file)

    def put_lines(self, file: str, lines: list[str]) -> None:
        self._texts[file] = lines


SOURCES = SourceRegistry()


def render(diag: Diagnostic, sources: SourceRegistry = SOURCES) -> str:
    """Render as `file:line:col: error[CODE]: message`, the source line, a caret, and hints."""
    where = f"{diag.span}: " if diag.span else ""
    out = [f"{where}{diag.severity.value}[{diag.code}]: {diag.message}"]
    if diag.span is not None:
        out.extend(_excerpt(diag.span, sources))
    for label in diag.labels:
        out.append(f"  note: {label.span}: {label.message}")
        out.extend(_excerpt(label.span, sources))
    if diag.expected:
        out.append(f"  expected: {diag.expected}")
    for hint in diag.hints:
        out.append(f"  help: {hint}")
    return "\n".join(out)


#: Control characters of a source line are shown as their Unicode pictures (NUL as ␀), so
#: that an excerpt never writes a raw control character to the terminal.
_CONTROL_PICTURES = {c: 0x2400 + c for c in range(32)} | {0x7F: 0x2421}

#: Source lines longer than this are shown as a window around the caret.
EXCERPT_WIDTH = 100


def _excerpt(span: Span, sources: SourceRegistry) -> list[str]:
    text = sources.line(span.file, span.line)
    if text is None:
        return []
    text = text.expandtabs(1).translate(_CONTROL_PICTURES)  # one character for one: the
    col = span.col                                             # caret stays in place
    width = (span.end_col - span.col) if span.end_line == span.line else len(text) - col + 1
    width = max(1, min(width, max(1, len(text) - col + 1)))
    if len(text) > EXCERPT_WIDTH:
        start = max(0, min(col - 1 - EXCERPT_WIDTH // 2, len(text) - EXCERPT_WIDTH))
        shown = text[start: start + EXCERPT_WIDTH]
        lead = "…" if start > 0 else ""
        trail = "…" if start + EXCERPT_WIDTH < len(text) else ""
        text = lead + shown + trail
        col = col - start + len(lead)
        width = max(1, min(width, EXCERPT_WIDTH - (col - 1 - len(lead))))
    gutter = f"{span.line:>5} | "
    caret = " " * (len(gutter) - 2) + "| " + " " * (col - 1) + "^" * width
    return [gutter + text, caret]


def render_all(diags: Iterable[Diagnostic], sources: SourceRegistry = SOURCES) -> str:
    return "\n".join(render(d, sources) for d in diags)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to `word`, if one is close: fewest edits (a swap of two letters
    counts as one), then the same length, then the most letters in common."""
    import difflib

    close = difflib.get_close_matches(word, sorted(set(candidates)), n=5, cutoff=0.6)
    if not close:
        return None

    def key(c: str) -> tuple[int, int, float, str]:
        ratio = difflib.SequenceMatcher(None, word, c).ratio()
        return (edit_distance(word.lower(), c.lower()), abs(len(c) - len(word)), -ratio, c)

    return min(close, key=key)


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def date_problem(text: str) -> str:
    """Why `text`, written like YYYY-MM-DD, is not a calendar date, in plain words."""
    import calendar
    import re

    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not m:
        return "a date is written YYYY-MM-DD"
    year, month, day = (int(g) for g in m.groups())
    if year < 1:
        return "there is no year 0000"
    if not 1 <= month <= 12:
        return f"there is no month {m.group(2)}; months run from 01 to 12"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{_MONTHS[month - 1]} {year} has {last} days"
    return "it is not a calendar date"


def byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as the decoded line shows) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    prefix = data[line_start:offset]
    if line == 1 and prefix.startswith(b"\xef\xbb\xbf"):
        prefix = prefix[3:]
    return line, len(prefix.decode("utf-8", errors="replace")) + 1
