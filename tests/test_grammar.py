"""The grammar: strict LALR, keywords reported as written, keyword list consistent."""

from __future__ import annotations

import re

import lark
import pytest

from rrdsl.diagnostics import SyntaxErrors
from rrdsl.parser import grammar_text, keywords, parse


def test_grammar_builds_in_strict_mode_without_conflicts() -> None:
    # strict=True turns silent shift/reduce resolutions and terminal collisions into errors
    lark.Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True)


def _syntax_error(text: str) -> SyntaxErrors:
    with pytest.raises(SyntaxErrors) as info:
        parse(text, "t.rrd")
    return info.value


HEADER = 'agreement a "A"\nparty Savvis\nsection 1 "S"\n'


def test_misspelled_keyword_is_reported_as_the_word_written() -> None:
    err = _syntax_error(HEADER + 'clause c: Savvis shall "x"\n  within 3 days afterr 2001-01-01\n')
    d = err.diagnostics[0]
    assert d.message == "unexpected word 'afterr'"
    assert (d.span.line, d.span.col) == (5, 17)
    assert "did you mean 'after'?" in d.hints


def test_misspelled_statement_keyword_suggests_the_keyword() -> None:
    d = _syntax_error(HEADER + "defien x: int = 1\n").diagnostics[0]
    assert d.message == "unexpected word 'defien'"
    assert "did you mean 'define'?" in d.hints


def test_expected_tokens_are_listed_in_words() -> None:
    d = _syntax_error(HEADER + "define x: int = \n").diagnostics[0]
    assert d.code == "E103"
    assert d.expected is not None and "an expression" in d.expected


def test_impossible_date_is_a_syntax_error_at_the_date() -> None:
    d = _syntax_error(HEADER + "define x: date = 2001-02-30\n").diagnostics[0]
    assert d.code == "E104"
    assert (d.span.line, d.span.col) == (4, 18)


def test_every_keyword_is_a_string_literal_not_a_named_terminal() -> None:
    # named alternations of words would defeat the always-accept-NAME post-lexer
    for line in grammar_text().splitlines():
        m = re.match(r"^([A-Z_]+)(\.\d+)?:\s*(.*)$", line)
        if m:
            assert not re.search(r'"[a-z_]+"', m.group(3)), f"keyword terminal: {line}"


def test_keyword_set_covers_the_clause_vocabulary() -> None:
    for word in ("agreement", "section", "clause", "shall", "may", "upon", "within", "after",
                 "exception", "suspends", "excuses", "notwithstanding", "subject", "allocate"):
        assert word in keywords()


def test_section_reference_forms() -> None:
    m = parse(HEADER.replace('section 1 "S"', 'section 3(c)(viii) "S"\n  subject to §3(j), § 1'),
              "t.rrd")
    assert m.sections[0].number == "3(c)(viii)"
    assert m.sections[0].priorities[0].refs == ("3(j)", "1")


@pytest.mark.parametrize(("written", "value"), [
    (r'"a\\nb"', "a\\nb"),  # an escaped backslash, then the letter n
    (r'"a\nb"', "a\nb"),  # a line break
    (r'"\\" "n"', "\\n"),  # two pieces: a backslash, then n
    (r'"say \"no\"\\"', 'say "no"\\'),
])
def test_quoted_text_escapes_are_read_in_one_pass(written: str, value: str) -> None:
    assert parse(f"agreement a {written}\n", "t.rrd").header.title == value  # type: ignore[union-attr]
