"""Segmenting the filed text of the 2001 agreement into numbered paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

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


# ── other layouts: decimal numbering ─────────────────────────────────────────

DECIMAL = (Path(__file__).resolve().parent / "data" / "decimal-agreement.txt").read_text(
    encoding="utf-8")


def test_decimal_numbering_is_read_at_every_depth() -> None:
    paras = parse_agreement_text(DECIMAL)
    assert [(p.section, p.heading) for p in paras if p.section != "preamble"] == [
        ("2", "Registration Rights"), ("2.1", "Demand Registration"), ("2.1(a)", "Notice"),
        ("2.1(b)", "Underwriting"), ("2.1(b)(i)", "Underwriting"), ("2.10", "Termination"),
        ("10.3", "Notices"), ("signatures", "Signatures")]
    assert "one business day after sending" in section_text(paras, "10.3")
    assert "(i) the underwriter limits" in section_text(paras, "2.1(b)")


def test_a_roman_i_after_h_is_the_letter() -> None:
    text = ("1.1 Terms. The terms.\n\n     (h) Eighth. x\n\n     (i) Ninth. y\n\n"
            "     (j) Tenth. z\n\n          (i) first sub-paragraph\n")
    assert [p.section for p in parse_agreement_text(text)] == [
        "1.1", "1.1(h)", "1.1(i)", "1.1(j)", "1.1(j)(i)"]


def test_article_headings_give_the_top_level() -> None:
    text = "ARTICLE II\n\n2.1 Demand. The demand right.\n\nArticle III. Other Matters\n"
    assert [p.section for p in parse_agreement_text(text)] == ["2", "2.1", "3"]


def test_coverage_of_a_decimal_agreement(tmp_path: Path) -> None:
    import rrdsl
    from rrdsl.coverage import coverage

    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "ira.txt").write_text(DECIMAL, encoding="utf-8")
    clauses = '''agreement ira "Investor Rights Agreement"
  dated 2026-01-01
  source "text/ira.txt"

party Company "the Company"
role Holder "the Holders"


section 2 "Registration Rights"


section 2.1 "Demand Registration"
  subject to §2.10
  event Request "a demand" (by: Holder)
  clause register: Company shall "register the shares" upon Request r within 60 days after r.date


section 2.1(a) "Notice"
  clause notify: Company shall "notify the other Holders" upon Request r within 10 days after r.date


section 2.1(b) "Underwriting"
  reading underwritten: "the conditions of an underwritten demand are not encoded in this test"


section 2.1(b)(i) "Cutback"
  clause cutback: nonoperative "the underwriter limits the number of shares"


section 2.10 "Termination"
  fact terminated: bool "the rights have terminated"
  exception ended: excuses §2.1.register when terminated because "the rights terminated"


section 10.3 "Notices"
  clause deemed: nonoperative "notices are deemed delivered one business day after sending"
'''
    (tmp_path / "ira.rrd").write_text(clauses, encoding="utf-8")
    c = rrdsl.load(tmp_path / "ira.rrd")
    cov = coverage(c.ir, tmp_path / "ira.rrd", [])
    got = {pc.paragraph.section: (pc.kind, pc.encoded) for pc in cov.paragraphs}
    assert got == {"2": ("heading", False), "2.1": ("operative", True),
                   "2.1(a)": ("operative", True), "2.1(b)": ("operative", True),
                   "2.1(b)(i)": ("non-operative", True), "2.10": ("operative", True),
                   "10.3": ("non-operative", True)}


def test_coverage_refuses_a_text_with_no_numbered_paragraph(tmp_path: Path) -> None:
    import rrdsl
    from rrdsl.coverage import coverage
    from rrdsl.diagnostics import UsageError

    (tmp_path / "t.txt").write_text("Just some prose.\n\nAnd more prose.\n", encoding="utf-8")
    (tmp_path / "x.rrd").write_text('agreement x "X"\n  source "t.txt"\n', encoding="utf-8")
    with pytest.raises(UsageError) as e:
        coverage(rrdsl.load(tmp_path / "x.rrd").ir, tmp_path / "x.rrd", [])
    [d] = e.value.diagnostics
    assert d.code == "E705" and "found no numbered paragraph" in d.message


def test_decimal_sections_through_the_commands(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`section 2.1`, `§2.1.register`, `rrdsl show ira.rrd 2.1`, `rrdsl explain ...
    2.1.register[r1]` and a scenario's `clause = "2.1(a).notify"`."""
    from rrdsl.cli import main

    (tmp_path / "ira.rrd").write_text('''agreement ira "Investor Rights Agreement"
  dated 2026-01-01

party Company "the Company"

role Holder "the Holders"


section 2.1 "Demand Registration"
  subject to §2.10

  event Request "a demand" (by: Holder)

  clause register: Company shall
    "register the shares"
    upon Request r
    within 60 days after r.date


section 2.1(a) "Notice"

  clause notify: Company shall
    "notify the other Holders"
    upon Request r
    within 10 days after r.date


section 2.10 "Termination"

  fact terminated: bool "the rights have terminated"

  exception ended: excuses §2.1.register
    when terminated
    because "the registration rights terminated"
''', encoding="utf-8")
    (tmp_path / "f.toml").write_text('as_of = 2026-03-01\n[parties]\nH = "Holder"\n[facts]\n'
                                     'terminated = false\n[[events.Request]]\nid = "r1"\n'
                                     'date = 2026-02-01\nby = "H"\n', encoding="utf-8")
    c, f = str(tmp_path / "ira.rrd"), str(tmp_path / "f.toml")
    assert main(["check", "--strict", c]) == 0
    assert main(["show", c, "2.1", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "§2.1 Demand Registration" in out and "§2.10.ended excuses §2.1.register" in out
    assert main(["explain", c, f, "2.1.register[r1]"]) == 0
    assert "§2.1.register: shall 'register the shares' = pending" in capsys.readouterr().out
    (tmp_path / "t.scenario.toml").write_text('''title = "decimal clause ids"
contract = "ira.rrd"
section = "2.1(a)"
cites = "The Company shall notify the other Holders within 10 days."
as_of = 2026-03-01
[given.parties]
H = "Holder"
[given.facts]
terminated = false
[[given.events.Request]]
id = "r1"
date = 2026-02-01
by = "H"
[[expect]]
clause = "2.1(a).notify"
status = "breached"
deadline = 2026-02-11
''', encoding="utf-8")
    assert main(["test", str(tmp_path / "t.scenario.toml")]) == 0
