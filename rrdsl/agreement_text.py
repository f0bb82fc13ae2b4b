"""Agreement text: the filed text of an agreement → its paragraphs, each with its section number.

Used to show a clause beside the words it encodes and to measure coverage. Reads the common
layouts of filed agreements, paragraph by paragraph:

* EDGAR filings numbered as the 2001 agreement is: `SECTION 3.` headings, `(a) HEADING.`
  paragraphs, roman `(i)` sub-paragraphs;
* decimal numbering: `2.1 Demand Registration.`, `2.1. Demand Registration.`, `Section 2.1
  Demand Registration.` (any depth: `10.3.2`), with `2. REGISTRATION RIGHTS.` or `ARTICLE 2`
  for the top level; `(a)` under a decimal section is `2.1(a)`, `(i)` under that `2.1(a)(i)`;

with page numbers and `<PAGE>` markers skipped (a paragraph broken by a page is joined).
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
# decimal numbering: `2.1 Demand.`, `2.1. Demand.`, `Section 2.1 Demand.`, `SECTION 10.3.2. X`
_DECIMAL = re.compile(
    r"^(?:SECTION\s+|Section\s+)?(\d+(?:\.\d+)+)\.?\s+([A-Z][^.]{0,120}?)\.(\s|$)")
# a top level of decimal numbering: `2. REGISTRATION RIGHTS.`, `ARTICLE 2`, `Article II`
_TOP = re.compile(r"^(?:(\d+)\.\s+([A-Z][A-Z0-9 ;,'&\-()]+?)(?:\.(?:\s|$)|$)|"
                  r"(?:ARTICLE|Article)\s+(\d+|[IVXL]+)\.?\s*([A-Za-z][^.]*)?\.?$)")
# a short heading after a letter: `(a) Notice.` (at most six words)
_LETTER_HEADING = re.compile(r"^\([a-z]\)\s+([A-Z][\w'&\-]*(?:\s+[\w'&\-]+){0,5})\.(\s|$)")
# the letters that are also roman numerals, and the letter before each
_AFTER = {"i": "h", "v": "u", "x": "w"}
# a lettered paragraph with or without a heading: `(a) HEADING.`, `(a) Heading.` or `(a) text`
_LETTER_ANY = re.compile(r"^\(([a-z])\)\s+")


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


def _joined(out: list[Paragraph], body: str, last: int) -> bool:
    """A paragraph broken by a page: join it to its first part (the paragraph before, when that
    one does not end a sentence). Whether it was joined."""
    if not out or " ".join(out[-1].text.split()).endswith((".", ";", ":")):
        return False
    prev = out[-1]
    out[-1] = attrs.evolve(prev, text=prev.text + "\n" + body, last_line=last)
    return True


def _title_case(heading: str) -> str:
    small = {"of", "and", "the", "to", "in", "for", "on", "or", "a", "an"}
    words = heading.strip().rstrip(".").lower().split()
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))


def _arabic(roman: str) -> str:
    values = {"I": 1, "V": 5, "X": 10, "L": 50}
    total = 0
    for a, b in zip(roman, roman[1:] + " ", strict=True):
        v = values[a]
        total += -v if b != " " and values[b] > v else v
    return str(total)


def parse_agreement_text(text: str) -> list[Paragraph]:
    """The paragraphs of an agreement's text, each with its section number (the layout is
    found paragraph by paragraph: see the module's description)."""
    if any(_DECIMAL.match(" ".join(b.split())) for b in _decimal_candidates(text)):
        return _parse_decimal(text)
    return _parse_edgar(text)


def _decimal_candidates(text: str) -> Iterable[str]:
    for _, _, block, _ in _blocks(text.splitlines()):
        yield "\n".join(block)


def _parse_decimal(text: str) -> list[Paragraph]:
    """A text numbered `2.1`, `2.1(a)`, `2.1(a)(i)`, under `2.` or `ARTICLE 2` headings."""
    out: list[Paragraph] = []
    section, heading = "preamble", None
    decimal: str | None = None  # "2.1"
    letter: str | None = None  # "2.1(a)"
    for first, last, block, page_break in _blocks(text.splitlines()):
        body = "\n".join(block)
        words = " ".join(body.split())
        numbered = bool(_DECIMAL.match(words) or _TOP.match(words) or _LETTER_ANY.match(words)
                        or _ROMAN.match(words))
        if page_break and not numbered and section != "signatures" and _joined(out, body, last):
            continue
        if _STARS.match(words) or "IN WITNESS WHEREOF" in words:
            section, heading, decimal, letter = "signatures", "Signatures", None, None
        elif m := _DECIMAL.match(words):
            decimal, letter = m.group(1), None
            section, heading = decimal, m.group(2).strip()
            if heading.isupper():
                heading = _title_case(heading)
        elif m := _TOP.match(words):
            number = m.group(1) or m.group(3)
            number = _arabic(number) if not number.isdigit() else number
            decimal, letter = number, None
            section = number
            heading = _title_case(m.group(2) or m.group(4) or "") or None
        elif decimal is not None and (m := _ROMAN.match(words)) and letter is not None \
                and not (m.group(1) in _AFTER and letter.endswith(f"({_AFTER[m.group(1)]})")):
            section = f"{letter}({m.group(1)})"  # (i) under (a); but (i) after (h) is a letter
        elif decimal is not None and (m := _LETTER_ANY.match(words)):
            letter = f"{decimal}({m.group(1)})"
            section = letter
            h = _LETTER_HEADING.match(words)
            if h:
                heading = h.group(1)
        elif decimal is not None and (m := _ROMAN.match(words)):
            section = f"{decimal}({m.group(1)})"
        elif decimal is not None and words[:1].islower():
            pass  # a paragraph continuing the one before keeps its number
        elif decimal is not None:
            section = letter or decimal
        out.append(Paragraph(len(out), section, heading, body, first, last))
    return out


def _parse_edgar(text: str) -> list[Paragraph]:
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
        if page_break and not numbered and section != "signatures" and _joined(out, body, last):
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
    """The text of a section and of everything numbered under it (3(c) includes 3(c)(viii),
    2.1 includes 2.1(a) and 2.1.3)."""
    return "\n\n".join(p.text for p in paragraphs
                       if p.section == number or p.section.startswith((number + "(",
                                                                       number + ".")))
