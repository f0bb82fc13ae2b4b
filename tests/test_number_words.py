"""Numbers of units in words (docs/language.md §14.2): `five business days`, `the fifth business
day following X`, `thirty (30) days` read as the digits do, keep their words through the
formatter and highlight as numbers, and reserve no word: `one`, `first`, `ten` stay names."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rrdsl
from rrdsl import ast, numwords
from rrdsl.cli import main
from rrdsl.diagnostics import SyntaxErrors
from rrdsl.fmt import format_text
from rrdsl.parser import grammar_text, parse

D = datetime.date
HEAD = 'agreement t "T"\n  dated 2001-01-01\n\nparty Savvis\n\n\nsection 1 "S"\n  fact sent: date\n'


def _expr(source: str) -> ast.Expr:
    module = parse(HEAD + f"  define x: date = {source}\n", "t.rrd")
    decl = module.sections[0].items[-1]
    assert isinstance(decl, ast.Define)
    return decl.expr


def _ordinal(n: int) -> str:
    return f"{n}th" if 10 <= n % 100 <= 20 else f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(
        n % 10, "th")


# ── the words ────────────────────────────────────────────────────────────────


def test_the_tables_run_from_one_to_ninety_nine() -> None:
    assert sorted(numwords.CARDINALS.values()) == list(range(1, 100))
    assert sorted(numwords.ORDINALS.values()) == list(range(1, 100))
    assert numwords.CARDINALS["forty-five"] == 45 and numwords.CARDINALS["thirty"] == 30
    assert numwords.ORDINALS["twenty-first"] == 21 and numwords.ORDINALS["ninetieth"] == 90
    assert numwords.ORDINALS["twelfth"] == 12 and numwords.ORDINALS["eighth"] == 8


def test_the_grammar_terminals_match_exactly_the_tables() -> None:
    terms = {m.group(1): m.group(2) for m in re.finditer(
        r"^([A-Z_]+)(?:\.[0-9]+)?:\s*/(.*)/\s*$", grammar_text(), re.M)}
    for name, table, others in (("NUMWORD", numwords.CARDINALS, numwords.ORDINALS),
                                ("ORDWORD", numwords.ORDINALS, numwords.CARDINALS)):
        pattern = re.compile(terms[name])
        for word in table:
            assert pattern.match(f"{word} days"), (name, word)
            assert not pattern.match(f"{word}"), (name, word)  # no unit: not a number
            assert not pattern.match(f"{word} dayz"), (name, word)
        for word in others:
            if word not in table:
                assert not pattern.match(f"{word} days"), (name, word)
    assert re.compile(terms["ORDWORD"]).match("the 5th day")
    assert terms["NUMWORD"] == numwords.NUMWORD_RE and terms["ORDWORD"] == numwords.ORDWORD_RE
    assert re.compile(terms["NUMWORD"]).match("five (5)days")
    assert not re.compile(terms["NUMWORD"]).match("fivedays")


# ── reading ──────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("words", "digits"), [
    ("sent + five business days", "sent + 5 business days"),
    ("sent + one business day", "sent + 1 business day"),
    ("sent + thirty (30) days", "sent + 30 days"),
    ("sent + ten days", "sent + 10 days"),
    ("sent + forty-five calendar days", "sent + 45 calendar days"),
    ("sent + twelve months", "sent + 12 months"),
    ("sent + two years", "sent + 2 years"),
    ("the fifth business day following sent", "5th business day following sent"),
    ("fifth business day following sent", "5th business day following sent"),
    ("the tenth day following sent", "10th day following sent"),
    ("the twenty-first calendar day after sent", "21st calendar day after sent"),
    ("the 180th day after sent", "180th day after sent"),
    ("the first month after sent", "1st month after sent"),
])
def test_words_read_as_the_digits(words: str, digits: str) -> None:
    assert _expr(words) == _expr(digits)  # spans and the words themselves aside


def test_words_are_kept_in_the_ast_as_written() -> None:
    e = _expr("sent + thirty(30)  days")
    assert isinstance(e, ast.BinOp) and isinstance(e.right, ast.DurationLit)
    assert (e.right.amount, e.right.unit, e.right.words) == (30, "days", "thirty (30)")
    n = _expr("the   fifth business day following sent")
    assert isinstance(n, ast.NthAfter)
    assert (n.amount, n.unit, n.words, n.word) == (5, "business_days", "the fifth", "following")
    assert _expr("5th day after sent").words is None  # type: ignore[union-attr]


def test_within_takes_a_length_in_words() -> None:
    m = parse(HEAD + '  clause notify: Savvis shall "notify"\n'
              "    within one business day after sent\n", "t.rrd")
    clause = m.sections[0].items[-1]
    assert isinstance(clause, ast.Clause)
    within = clause.parts[0]
    assert isinstance(within, ast.Within)
    assert within.duration == ast.DurationLit(1, "business_days")


def test_number_words_stay_names_everywhere_else() -> None:
    m = parse(HEAD + "  fact one: int\n  fact ten: int\n"
              "  define first: int = one + ten\n"
              "  define second: int = first - one * (ten)\n"
              "  define fifth(third: int): int = third + first\n"
              "  define y: int = fifth(one) + {one, ten}.count\n", "t.rrd")
    names = [d.name for d in m.sections[0].items]  # type: ignore[union-attr]
    assert names[1:] == ["one", "ten", "first", "second", "fifth", "y"]
    first = m.sections[0].items[3]
    assert isinstance(first, ast.Define)
    assert first.expr == ast.BinOp("+", ast.Name("one"), ast.Name("ten"))
    # a number word is read as a number only right before a unit of time
    assert _expr("sent + one + ten days") == _expr("sent + one + 10 days")


def test_names_one_first_ten_check_and_evaluate(tmp_path: Path) -> None:
    path = tmp_path / "names.rrd"
    path.write_text(HEAD.replace("  fact sent: date\n", "") +
                    "  fact one: int\n  define first: int = one + 1\n"
                    "  define ten: int = first * 5  # rrdsl: allow W101\n", encoding="utf-8")
    c = rrdsl.load(path)
    o = c.evaluate(c.facts_from_mapping({"facts": {"one": 1}}), D(2001, 2, 1))
    assert {v.label: v.value for v in o.values}["ten"] == 10


# ── the same answers ─────────────────────────────────────────────────────────

WORDS = '''
section 2 "Notices"
  event Request "a request" (channel: text)
  define received(r: Request): date =
    if r.channel == "mail" then the fifth business day following r.date else r.date
  define answer_by(r: Request): date = received(r) + thirty (30) days
  clause answer: Savvis shall "answer the request" upon Request r
    within ten business days after received(r)
  clause report: Savvis shall "report" upon Request r
    by the twenty-first day after answer_by(r)
  define review(r: Request): date = r.date + twelve months + one year
  # rrdsl: allow W101
'''

DIGITS = (WORDS.replace("the fifth business day", "5th business day")
          .replace("thirty (30) days", "30 days").replace("ten business days", "10 business days")
          .replace("the twenty-first day", "21st day").replace("twelve months", "12 months")
          .replace("one year", "1 year"))


def _outcome(tmp_path: Path, body: str, name: str, as_of: datetime.date) -> list[Any]:
    path = tmp_path / f"{name}.rrd"
    path.write_text(HEAD.replace("  fact sent: date\n", "") + body, encoding="utf-8")
    c = rrdsl.load(path)
    facts = c.facts_from_mapping({"events": {"Request": [
        {"id": "r1", "date": "2001-06-29", "channel": "mail"},
        {"id": "r2", "date": "2001-07-02", "channel": "hand"}]}})
    o = c.evaluate(facts, as_of)
    return ([(v.label, v.value) for v in o.values]
            + [(r.instance, r.status, r.deadline, r.reason)
               for r in o.norms])


@pytest.mark.parametrize("as_of", [D(2001, 7, 5), D(2001, 7, 30), D(2001, 9, 1)])
def test_a_contract_in_words_answers_as_the_same_in_digits(tmp_path: Path,
                                                           as_of: datetime.date) -> None:
    assert "fifth" not in DIGITS and "thirty" not in DIGITS
    words = _outcome(tmp_path, WORDS, "words", as_of)
    digits = _outcome(tmp_path, DIGITS, "digits", as_of)
    assert words == digits
    assert ("received(r1)", D(2001, 7, 9)) in words  # §14.1's example: 2001-07-04 a holiday


# ── the formatter keeps the words ────────────────────────────────────────────


def test_fmt_keeps_the_words_and_is_idempotent() -> None:
    source = (HEAD + "  define a: date = sent + five  business days  # five, as §2 says\n"
              "  define b: date = the fifth business day following sent\n"
              "  define c: date = sent + thirty(30) days + forty-five calendar days\n"
              "  define d: date = fifth day after sent\n"
              "  define e: date = sent + one days\n")
    once = format_text(source, "t.rrd")
    assert "sent + five business days  # five, as §2 says" in once
    assert "the fifth business day following sent" in once
    assert "thirty (30) days + forty-five calendar days" in once
    assert "define d: date = fifth day after sent" in once
    assert "sent + one day\n" in once  # the unit agrees with the number; the word stays
    assert not re.search(r"\b(5|30|45) ", once)
    assert format_text(once, "t.rrd") == once


# ── errors ───────────────────────────────────────────────────────────────────


def _error(body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "bad.rrd"
    path.write_text(HEAD + body + "\n", encoding="utf-8")
    assert main(["check", str(path)]) == 1
    return capsys.readouterr().err.replace(str(tmp_path) + "/", "")


def test_a_misspelt_number_word_is_reported_with_the_word_it_resembles(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = sent + fivty business days", tmp_path, capsys)
    assert err.splitlines()[:5] == [
        "bad.rrd:9:27: error[E115]: 'fivty' is not a number word",
        "    9 |   define r: date = sent + fivty business days",
        "      |                           ^^^^^",
        "  expected: a number before the unit, in digits (5) or words (one ... ninety-nine)",
        "  help: did you mean 'fifty'?"]


def test_a_misspelt_compound(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = sent + fourty-five days", tmp_path, capsys)
    assert "error[E115]: 'fourty-five' is not a number word" in err
    assert "^^^^^^^^^^^" in err and "did you mean 'forty-five'?" in err


def test_words_and_digits_that_disagree(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = sent + five (6) days", tmp_path, capsys)
    assert err.splitlines()[:4] == [
        "bad.rrd:9:27: error[E115]: 'five (6)': the words say 5, the digits 6",
        "    9 |   define r: date = sent + five (6) days",
        "      |                           ^^^^^^^^",
        "  help: write five (5), or six (6)"]


def test_an_ordinal_before_a_plural_unit(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = fifth business days after sent", tmp_path, capsys)
    assert "error[E101]: an ordinal names one day: 'fifth business days' mixes the two" in err
    assert "help: for a date, write 'fifth business day after X'" in err
    assert "help: for a length of time, write 'five business days'" in err


def test_a_length_where_a_date_is_wanted(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = five business day following sent", tmp_path, capsys)
    assert ("error[E101]: 'five business day' is a length of time, not a date: it cannot be "
            "followed by 'following' here") in err
    assert "write 'the fifth business day following X'" in err
    assert "'X + five business days'" in err
    assert "      |                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^" in err


def test_a_name_before_a_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = sent + later days", tmp_path, capsys)
    assert "error[E101]: unexpected word 'days' after the name 'later'" in err
    assert "written in digits or in words" in err


def test_a_number_word_parted_from_its_unit(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = sent + five # five\n    days", tmp_path, capsys)
    assert "error[E101]: 'five' is read as a number only where a value may be written" in err
    assert "help: write the number and its unit together: 'five days'" in err


def test_a_minus_without_spaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _error("  define r: date = sent-five days", tmp_path, capsys)
    assert "error[E101]: 'sent-five' is not a number word" in err
    assert "'sent - five days'" in err


def test_doubled_digits_may_touch_the_unit() -> None:
    assert _expr("sent + five (5)days") == _expr("sent + 5 days")


def test_the_error_positions_of_other_mistakes_are_unchanged() -> None:
    with pytest.raises(SyntaxErrors) as info:
        parse(HEAD + "  define r: date = sent + five days afterr sent\n", "t.rrd")
    d = info.value.diagnostics[0]
    assert (d.span.line, d.span.col, d.message) == (9, 37, "unexpected word 'afterr'")


# ── every number ─────────────────────────────────────────────────────────────


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 99), unit=st.sampled_from(
    ["day", "business day", "calendar day", "month", "year"]), the=st.booleans(),
    doubled=st.booleans())
def test_every_word_form_reads_as_its_digits(n: int, unit: str, the: bool,
                                              doubled: bool) -> None:
    plural = unit if n == 1 else unit + "s"
    card = numwords.CARDINAL_OF[n] + (f" ({n})" if doubled else "")
    assert _expr(f"sent + {card} {plural}") == _expr(f"sent + {n} {plural}")
    nth = ("the " if the else "") + numwords.ORDINAL_OF[n]
    assert _expr(f"{nth} {unit} after sent") == _expr(f"{_ordinal(n)} {unit} after sent")
