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

    def line(self, file: str, line: int) -> str | None:
        lines = self._texts.get(file)
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]


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


def _excerpt(span: Span, sources: SourceRegistry) -> list[str]:
    text = sources.line(span.file, span.line)
    if text is None:
        return []
    text = text.expandtabs(1)
    gutter = f"{span.line:>5} | "
    width = (span.end_col - span.col) if span.end_line == span.line else len(text) - span.col + 1
    width = max(1, min(width, max(1, len(text) - span.col + 1)))
    caret = " " * (len(gutter) - 2) + "| " + " " * (span.col - 1) + "^" * width
    return [gutter + text, caret]


def render_all(diags: Iterable[Diagnostic], sources: SourceRegistry = SOURCES) -> str:
    return "\n".join(render(d, sources) for d in diags)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return found[0] if found else None
