"""The pygments lexer: its keywords are the grammar's; it round-trips every clause file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from rrdsl.lexer import KEYWORDS, RrdslLexer
from rrdsl.parser import keywords

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "contracts").rglob("*.rrd"))


def test_keyword_list_is_exactly_the_grammars() -> None:
    assert set(KEYWORDS) == set(keywords())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_contract_files_lex_without_error_and_join_back(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tokens = list(RrdslLexer().get_tokens_unprocessed(text))
    assert "".join(v for _, _, v in tokens) == text
    assert not [v for _, t, v in tokens if t in Error]


def test_section_numbers_and_modals_are_marked() -> None:
    toks = [(t, v) for t, v in RrdslLexer().get_tokens('section 3(c)(viii) "D"\n'
                                                       "  subject to §3(j)\n"
                                                       '  clause c: Savvis shall not "x"\n')]
    assert (Name.Label, "3(c)(viii)") in toks and (Name.Label, "§3(j)") in toks
    assert (Keyword.Reserved, "shall") in toks


# ── golden tokens ────────────────────────────────────────────────────────────

GOLDEN_SOURCE = '''section 3(c)(viii) "Deferral" # note
  notwithstanding anything to the contrary
  clause defer: each i in Investor may not
    "x \\"y\\""
    upon MaterialDeferral m where m.shares >= 1_000 and fee != $5,000,000.00
    within 30 business days after m.date + 10% of 2001-02-20
    fulfilled by X n where n.demand == none
import "lib/x.rrd"
qualitative fact f: bool "the 3rd" and §8(f)(ii) "unclosed
'''

GOLDEN_TOKENS = [
    (Keyword.Declaration, "section"), (Name.Label, "3(c)(viii)"), (String.Double, '"Deferral"'),
    (Comment.Single, "# note"),
    (Keyword, "notwithstanding"), (Keyword, "anything"), (Keyword, "to"), (Keyword, "the"),
    (Keyword, "contrary"),
    (Keyword.Declaration, "clause"), (Name, "defer"), (Punctuation, ":"), (Keyword, "each"),
    (Name, "i"), (Operator.Word, "in"), (Name.Class, "Investor"), (Keyword.Reserved, "may"),
    (Operator.Word, "not"),
    (String.Double, '"x \\"y\\""'),
    (Keyword, "upon"), (Name.Class, "MaterialDeferral"), (Name, "m"), (Keyword, "where"),
    (Name, "m"), (Punctuation, "."), (Name, "shares"), (Operator, ">="),
    (Number.Integer, "1_000"), (Operator.Word, "and"), (Name, "fee"), (Operator, "!="),
    (Number.Float, "$5,000,000.00"),
    (Keyword, "within"), (Number.Integer, "30"), (Keyword, "business"), (Keyword, "days"),
    (Keyword, "after"), (Name, "m"), (Punctuation, "."), (Name, "date"), (Operator, "+"),
    (Number.Float, "10%"), (Keyword, "of"), (Number.Other, "2001-02-20"),
    (Keyword, "fulfilled"), (Keyword, "by"), (Name.Class, "X"), (Name, "n"), (Keyword, "where"),
    (Name, "n"), (Punctuation, "."), (Name, "demand"), (Operator, "=="),
    (Keyword.Constant, "none"),
    (Keyword.Declaration, "import"), (String.Double, '"lib/x.rrd"'),
    (Keyword.Declaration, "qualitative"), (Keyword.Declaration, "fact"), (Name, "f"),
    (Punctuation, ":"), (Name, "bool"), (String.Double, '"the 3rd"'), (Operator.Word, "and"),
    (Name.Label, "§8(f)(ii)"), (String.Double, '"unclosed'),
]


def test_golden_tokens() -> None:
    got = [(t, v) for t, v in RrdslLexer().get_tokens(GOLDEN_SOURCE) if t not in Whitespace]
    assert got == GOLDEN_TOKENS


def test_number_words_before_a_unit_are_numbers_and_elsewhere_names() -> None:
    src = ("define d: date = the fifth business day after sent + forty-five (45) days\n"
           "define e: int = one + first + fourty-five days\n")
    got = [(t, v) for t, v in RrdslLexer().get_tokens(src) if t not in Whitespace]
    assert (Keyword, "the") in got and (Number.Integer, "fifth") in got
    assert (Number.Integer, "forty-five") in got and (Number.Integer, "45") in got
    # no unit after them: names; a misspelt compound is not a number either
    assert {(Name, "one"), (Name, "first"), (Name, "fourty"), (Name, "five")} <= set(got)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_text_lexes_without_error_and_joins_back(text: str) -> None:
    tokens = list(RrdslLexer().get_tokens_unprocessed(text))
    assert "".join(v for _, _, v in tokens) == text
    assert not [v for _, t, v in tokens if t in Error]


def _pygmentize() -> list[str]:
    script = Path(sys.executable).parent / "pygmentize"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pygments"]


def test_pygmentize_finds_the_lexer_by_file_name_and_by_name() -> None:
    path = str(ROOT / "contracts" / "savvis_2001.rrd")
    guess = subprocess.run([*_pygmentize(), "-N", path], capture_output=True, text=True,
                           check=True)
    assert guess.stdout.strip() == "rrdsl"
    by_file = subprocess.run([*_pygmentize(), "-f", "terminal", path], capture_output=True,
                             text=True, check=True)
    by_name = subprocess.run([*_pygmentize(), "-l", "rrdsl", "-f", "terminal", path],
                             capture_output=True, text=True, check=True)
    assert by_file.stdout == by_name.stdout
    assert "\x1b[" in by_file.stdout and "Deferral for material information" in by_file.stdout
