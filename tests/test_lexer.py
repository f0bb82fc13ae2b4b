"""The pygments lexer: its keywords are the grammar's; it round-trips every clause file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments.token import Error, Keyword, Name

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
