"""Agreement text: the filed text of an agreement → its paragraphs, each with its section number.

Used to show a clause beside the words it encodes and to measure coverage. Understands the
layout of EDGAR filings: `SECTION 3.` headings, `(a) HEADING.` paragraphs, roman `(i)`
sub-paragraphs, page numbers and `<PAGE>` markers (a paragraph broken by a page is joined).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

_SECTION = re.compile(r"^SECTION\s+(\d+)\.\s+([A-Z0-9 ;,'&\-()]+?)\.(\s|$)")
_LETTER = re.compile(r"^\(([a-z])\)\s+([A-Z][A-Z0-9 ;,'&\-()]+?)\.(\s|$)")
_STARS = re.compile(r"^[*\s]+$")
_ROMAN = re.compile(r"^\s*\((i{1,3}|iv|v|vi{0,3}|ix|x)\)\s+")
_PAGE = re.compile(r"^\s*(<PAGE>|\d{1,3})\s*$")


@attrs.frozen
class Paragraph:
    """One paragraph of the agreement, in reading order."""

    index: int
    section: str  # "3(c)(viii)", "1", "preamble", "signatures"
    heading: str | None  # the heading of the section or lettered paragraph it sits in
    text: str
    first_line: int
    last_line: int

    @property
    def words(self) -> str:
        return " ".join(self.text.split())


def _blocks(lines: list[str]) -> Iterable[tuple[int, int, list[str], bool]]:
    """Blocks of non-blank lines: (first line, last line, lines, page break before)."""
    block: list[str] = []
    start = 0
    page_break = False
    pending_break = False
    for n, line in enumerate(lines, start=1):
        if _PAGE.match(line):
            pending_break = True
            if block:
                yield start, n - 1, block, page_break
                block, page_break = [], False
            continue
        if not line.strip():
            if block:
                yield start, n - 1, block, page_break
                block, page_break = [], False
            continue
        if not block:
            start = n
            page_break, pending_break = pending_break, False
        block.append(line)
    if block:
        yield start, len(lines), block, page_break


def _title_case(heading: str) -> str:
    small = {"of", "and", "the", "to", "in", "for", "on", "or", "a", "an"}
    words = heading.strip().rstrip(".").lower().split()
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


def parse_agreement_text(text: str) -> list[Paragraph]:
    lines = text.splitlines()
    out: list[Paragraph] = []
    section = "preamble"
    top: str | None = None  # "3"
    letter: str | None = None  # "3(c)"
    heading: str | None = None
    for first, last, block, page_break in _blocks(lines):
        body = "\n".join(block)
        words = " ".join(body.split())
        numbered = bool(_SECTION.match(words) or _LETTER.match(words) or _ROMAN.match(words))
        if out and page_break and not numbered and section != "signatures":
            prev = out[-1]
            if not " ".join(prev.text.split()).endswith((".", ";", ":")):
                # a paragraph broken by a page: join it to its first part
                out[-1] = attrs.evolve(prev, text=prev.text + "\n" + body, last_line=last)
                continue
        if _STARS.match(words) or "IN WITNESS WHEREOF" in words:
            section, heading, top, letter = "signatures", "Signatures", None, None
        elif m := _SECTION.match(words):
            top, letter = m.group(1), None
            section = top
            heading = _title_case(m.group(2))
        elif top is not None and (m := _LETTER.match(words)):
            letter = f"{top}({m.group(1)})"
            section = letter
            heading = _title_case(m.group(2))
        elif top is not None and (m := _ROMAN.match(words)):
            section = f"{letter or top}({m.group(1)})"
        elif top is not None and not block[0].startswith((" " * 5, "\t")):
            section = letter or top  # an unindented paragraph returns to the lettered level
        elif top is not None and section != (letter or top) and words[:1].islower():
            section = letter or top  # "or, in any case, ..." continues the lettered paragraph
        out.append(Paragraph(len(out), section, heading, body, first, last))
    return out


def by_section(paragraphs: Iterable[Paragraph]) -> dict[str, list[Paragraph]]:
    out: dict[str, list[Paragraph]] = {}
    for p in paragraphs:
        out.setdefault(p.section, []).append(p)
    return out


def section_text(paragraphs: Iterable[Paragraph], number: str) -> str:
    """The text of a section and of everything numbered under it (3(c) includes 3(c)(viii))."""
    return "\n\n".join(p.text for p in paragraphs
                       if p.section == number or p.section.startswith(number + "("))
