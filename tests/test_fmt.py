"""rrdsl fmt: one canonical layout, every comment kept, meaning unchanged, idempotent."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from rrdsl import ast
from rrdsl.diagnostics import RrdslError, SyntaxErrors
from rrdsl.fmt import RULES, WIDTH, format_text, quote, text_pieces
from rrdsl.parser import parse, parse_with_comments

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_FILES = sorted((ROOT / "contracts").rglob("*.rrd"))
GOLDEN = sorted((ROOT / "tests" / "fmt").glob("*.rrd"))
GOLDEN_INPUTS = [p for p in GOLDEN if not p.name.endswith(".expected.rrd")]


def _comments(text: str) -> list[str]:
    return sorted(c.text for c in parse_with_comments(text)[1])


def _assert_formats(text: str) -> str:
    out = format_text(text, "t.rrd")
    assert parse(out, "t.rrd") == parse(text, "t.rrd")  # spans are left out of equality
    assert format_text(out, "t.rrd") == out  # idempotent
    assert _comments(out) == _comments(text)  # every comment kept
    return out


def test_every_ast_node_class_has_a_printing_rule() -> None:
    classes = {cls for _, cls in inspect.getmembers(ast, inspect.isclass)
               if attrs.has(cls) and cls.__module__ == ast.__name__}
    missing = sorted(c.__name__ for c in classes - set(RULES))
    assert not missing, (
        f"no printing rule in rrdsl/fmt.py for {missing}: add a method decorated with "
        "@_rule(ast.TheClass) to _Printer")


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    expected = path.with_name(path.name.replace(".rrd", ".expected.rrd")).read_text("utf-8")
    assert _assert_formats(path.read_text("utf-8")) == expected
    assert format_text(expected) == expected


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=lambda p: p.name)
def test_contract_files_keep_their_meaning_and_comments(path: Path) -> None:
    _assert_formats(path.read_text("utf-8"))


def test_text_pieces_join_to_the_text_and_fit() -> None:
    value = 'a "quoted" word and a back\\slash, ' * 8
    pieces = text_pieces(value, 40)
    assert all(len(p) <= 40 for p in pieces)
    assert parse(f'reading r: {" ".join(pieces)}').preamble[0] == ast.Reading("r", value)
    assert quote("x\ny") == '"x\\ny"'


def test_long_lines_are_broken() -> None:
    names = " and ".join(f"condition_number_{i}" for i in range(12))
    out = _assert_formats(f"define d: bool = {names}\n")
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    assert out.splitlines()[2].startswith("  and condition_number_1")


def test_a_long_aggregate_of_a_set_is_broken_inside_its_brackets() -> None:
    long = " + ".join(f"quantity_number_{i}" for i in range(6))
    out = _assert_formats(f"define d: int = max({{{long}, 0}})\n")
    assert max(len(line) for line in out.splitlines()) <= WIDTH
    assert out.splitlines()[0] == "define d: int ="
    assert out.splitlines()[1].startswith("  max({quantity_number_0")


def test_a_long_expression_as_of_a_day_is_broken_inside_its_brackets() -> None:
    names = " and ".join(f"condition_number_{i}" for i in range(6))
    out = _assert_formats(f"define d: bool = ({names}) as of start_of_the_period\n")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    assert lines[1] == "  (condition_number_0"
    assert lines[-1] == "   and condition_number_5) as of start_of_the_period"


def test_comments_in_an_expression_move_before_its_statement() -> None:
    out = _assert_formats("define d: bool =\n  a  # first\n  and b  # second\n")
    assert out == "# first\n# second\ndefine d: bool = a and b\n"


def test_a_file_that_does_not_parse_is_an_error() -> None:
    with pytest.raises(SyntaxErrors):
        format_text('section 1 "x" clause')


# ── properties ────────────────────────────────────────────────────────────────

from tests.test_fuzz import _GRAMMAR, _explicit  # noqa: E402  (the fuzzer's program generator)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(_GRAMMAR, start="start", explicit=_explicit()))
def test_generated_programs_format_to_the_same_ast(text: str) -> None:
    try:
        parse(text, "t.rrd")
    except RrdslError:
        assume(False)
    _assert_formats(text)


_SOURCE = (ROOT / "contracts" / "savvis_2001" / "transfers.rrd").read_text("utf-8")
_LINES = _SOURCE.splitlines()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_LINES) - 1), st.booleans(),
                          st.text("abc §#", max_size=6)), max_size=6))
def test_comments_anywhere_are_kept(inserts: list[tuple[int, bool, str]]) -> None:
    lines = list(_LINES)
    for at, own_line, words in sorted(inserts, reverse=True):
        if own_line:
            lines.insert(at, "# " + words)
        elif '"' not in lines[at] and "#" not in lines[at]:
            lines[at] += "  # " + words
    _assert_formats("\n".join(lines) + "\n")


# ── the command ───────────────────────────────────────────────────────────────


def _rrdsl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rrdsl", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_fmt_check_diff_and_write(tmp_path: Path) -> None:
    messy = (ROOT / "tests" / "fmt" / "messy.rrd").read_text("utf-8")
    expected = (ROOT / "tests" / "fmt" / "messy.expected.rrd").read_text("utf-8")
    (tmp_path / "a.rrd").write_text(messy)
    (tmp_path / "b.rrd").write_text(expected)

    r = _rrdsl("fmt", "--check", ".", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout == "would reformat a.rrd\n", r
    assert (tmp_path / "a.rrd").read_text() == messy  # --check writes nothing

    r = _rrdsl("fmt", "--diff", "a.rrd", cwd=tmp_path)
    assert r.returncode == 0 and "+++ a.rrd (formatted)" in r.stdout
    assert (tmp_path / "a.rrd").read_text() == messy

    r = _rrdsl("fmt", "a.rrd", "b.rrd", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "reformatted a.rrd\n"
    assert (tmp_path / "a.rrd").read_text() == expected
    assert _rrdsl("fmt", "--check", ".", cwd=tmp_path).returncode == 0


def test_fmt_leaves_a_file_with_a_syntax_error_alone(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rrd"
    bad.write_text('section 1 "x"\n  clause\n')
    r = _rrdsl("fmt", "bad.rrd", cwd=tmp_path)
    assert r.returncode == 1
    assert "bad.rrd:2:9: error[E103]" in r.stderr and "not formatted" in r.stderr
    assert bad.read_text() == 'section 1 "x"\n  clause\n'
    assert _rrdsl("fmt", "nowhere.rrd", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=lambda p: p.name)
def test_contract_files_are_formatted(path: Path) -> None:
    text = path.read_text("utf-8")
    assert format_text(text, str(path)) == text, f"run: rrdsl fmt {path.relative_to(ROOT)}"
