"""Segmenting the filed text of the 2001 agreement into numbered paragraphs."""

from __future__ import annotations

from pathlib import Path

from rrdsl.agreement_text import by_section, parse_agreement_text, section_text

TEXT = (Path(__file__).resolve().parent.parent / "contracts" / "text" /
        "savvis-rra-2001.txt").read_text(encoding="utf-8")
PARAS = parse_agreement_text(TEXT)
SECTIONS = by_section(PARAS)


def test_every_numbered_paragraph_of_the_agreement_is_found() -> None:
    expected = ["1", "2", "2(a)", "2(b)", "2(c)", "3", "3(a)", "3(b)", "3(c)"]
    expected += [f"3(c)({r})" for r in ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii")]
    expected += ["3(d)", "3(e)", "3(f)"] + [f"3(f)({r})" for r in
                                           ("i", "ii", "iii", "iv", "v", "vi", "vii")]
    expected += ["3(g)", "3(h)", "3(i)", "3(j)", "4", "4(a)", "4(b)", "4(c)", "4(d)", "5", "6",
                 "7", "7(i)", "7(ii)", "8"] + [f"8({c})" for c in "abcdefghij"]
    expected += ["8(f)(i)", "8(f)(ii)"]
    assert sorted(expected) == sorted(s for s in SECTIONS if s not in ("preamble", "signatures"))


def test_headings_spanning_lines_are_read_whole() -> None:
    assert SECTIONS["4(b)"][0].heading == ("Selling Investor Indemnification of Savvis and the "
                                          "Other Selling Stockholders")
    assert SECTIONS["3(c)(viii)"][0].heading == ("Certain Provisions Relating to Required "
                                                "Registrations")


def test_a_paragraph_broken_by_a_page_is_joined() -> None:
    (p,) = SECTIONS["2(b)"]
    assert "no such opinion shall be required in the case of a transfer" in p.words
    assert "<PAGE>" not in p.text


def test_unnumbered_paragraphs_return_to_their_lettered_paragraph() -> None:
    assert SECTIONS["3(f)"][1].words.startswith('For purposes of paragraphs (f)(i) and (f)(ii)')
    assert SECTIONS["8(f)"][1].words.startswith("or, in any case, at such other address")
    assert "fifth business day following the date of such mailing" in SECTIONS["8(f)"][1].words


def test_section_text_includes_subparagraphs() -> None:
    text = " ".join(section_text(PARAS, "3(c)").split())
    assert "Notwithstanding anything to the contrary" in text
    assert "more than twice or for more than an aggregate of" in text
