"""The parser sets its parse tree's positions itself (`parser._with_positions`), not through
Lark's `propagate_positions=True`, for speed; these tests require every node's positions equal
to the ones Lark's own gives, on every clause file of the repository and on generated ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Tree

from rrdsl import parser
from rrdsl.sourcetext import grammar_text, prepared

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for folder in ("contracts", "tests") for p in (ROOT / folder).rglob("*.rrd"))


def _lark_own() -> Lark:
    """The parser as rrdsl configures it, with Lark's own position propagation."""
    return Lark(grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
                postlex=parser._KeywordPostLex(), maybe_placeholders=True,
                lexer_callbacks={"COMMENT": parser._collect_comment})


_REFERENCE: list[Lark] = []


def _reference() -> Lark:
    if not _REFERENCE:
        _REFERENCE.append(_lark_own())
    return _REFERENCE[0]


def _positions(tree: Tree[Any]) -> list[tuple[Any, ...]]:
    return [(n.data, n.meta.empty, *(getattr(n.meta, a, None) for a in
                                     ("line", "column", "end_line", "end_column")))
            for n in tree.iter_subtrees_topdown()]


def _parses(text: str) -> Tree[Any] | None:
    try:
        return _reference().parse(text)
    except Exception:  # not a clause file the grammar accepts: nothing to compare
        return None


def test_the_repository_has_clause_files() -> None:
    assert len(FILES) > 50
    assert ROOT / "contracts" / "savvis_2001.rrd" in FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_positions_equal_lark_own(path: Path) -> None:
    try:
        text = prepared(path.read_text(encoding="utf-8"), str(path))
    except UnicodeDecodeError:  # a test of the message for a file not in UTF-8
        pytest.skip("not UTF-8")
    expected = _parses(text)
    if expected is None:
        pytest.skip("a file with a syntax error (a test of diagnostics)")
    got = parser.lark_parser().parse(text)
    assert _positions(got) == _positions(expected)


def test_inlined_rules_pass_their_brackets_to_the_parent() -> None:
    """`(a and b) or c`: the parenthesised part is inlined; the `or` starts at the bracket."""
    text = ('agreement t "T" dated 2001-01-01\n\nsection 1 "S"\n'
            '  define x(a: bool, b: bool, c: bool): bool =\n    (a and b) or c\n')
    tree = parser.lark_parser().parse(prepared(text, "t.rrd"))
    or_ = next(tree.find_data("or_"))
    and_ = next(tree.find_data("and_"))
    assert (or_.meta.line, or_.meta.column) == (5, 5)  # at "("
    assert (and_.meta.line, and_.meta.column, and_.meta.end_column) == (5, 6, 13)
    assert _positions(tree) == _positions(_reference().parse(prepared(text, "t.rrd")))


_HEAD = 'agreement t "T" dated 2001-01-01\n\nsection 1 "S"\n  define x: bool =\n    '
_ATOMS = st.sampled_from(["a", "b", "1", "2%", "$5", "true", "none", "x.y", "d.date", "[1, 2]"])
_EXPRS = st.recursive(_ATOMS, lambda e: st.one_of(
    st.tuples(e, st.sampled_from(["and", "or", "+", "-", "*", "==", "<", "in"]), e).map(" ".join),
    e.map("({})".format), e.map("not {}".format), e.map("-{}".format),
    st.tuples(e, e).map(lambda t: "f({}, {})".format(*t)), e.map("{}.z".format),
    st.tuples(e, e, e).map(lambda t: "if {} then {} else {}".format(*t))), max_leaves=12)
# some texts that are not expressions too, mostly rejected by the grammar
_WORDS = st.lists(st.sampled_from(["a", "(", ")", "and", "or", "not", "+", "==", "1", ","]),
                  min_size=1, max_size=10).map(" ".join)


def test_generated_expressions_parse() -> None:
    """The generated expressions below are clause files (some of them parse)."""
    assert _parses(prepared(_HEAD + "(a and not b) or f(c)\n", "t.rrd")) is not None


@settings(max_examples=300, deadline=None)
@given(st.one_of(_EXPRS, _WORDS))
def test_positions_equal_lark_own_on_generated_expressions(expr: str) -> None:
    text = prepared(_HEAD + expr + "\n", "t.rrd")
    expected = _parses(text)
    if expected is not None:
        assert _positions(parser.lark_parser().parse(text)) == _positions(expected)
