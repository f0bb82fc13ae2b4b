"""The malformed-input corpus: every bad clause file and fact file, run through the CLI.

Each case is a small file that makes one mistake, beside a golden `NAME.expected` that holds
exactly what the CLI writes to stderr, then `exit: N`:

    tests/bad/clauses/NAME.rrd    `rrdsl check tests/bad/clauses/NAME.rrd`
    tests/bad/facts/NAME.toml     `rrdsl eval contracts/savvis_2001.rrd tests/bad/facts/NAME.toml`
    tests/bad/facts/NAME.json     (the same, for JSON)

`tests/bad/clauses/lib/` holds files that cases import; they are not cases themselves.

The goldens are the specification of the messages: review a changed golden as you would review
code. After an intended change of wording, rewrite them with

    python -m pytest tests/test_bad_inputs.py --update-goldens

and read the diff.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rrdsl import api
from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "bad"
CLAUSE_DIR = BAD / "clauses"
FACT_DIR = BAD / "facts"
CONTRACT = "contracts/savvis_2001.rrd"

CLAUSES = sorted(CLAUSE_DIR.glob("*.rrd"))
FACTS = sorted(p for p in FACT_DIR.iterdir() if p.suffix in (".toml", ".json"))

#: Cases where no place in a file is meaningful (a usage error before any value is wrong).
NO_POSITION = {"facts/no_as_of.toml"}
#: Cases with a position but no source line to show under it.
NO_EXCERPT = {"clauses/empty.rrd", "facts/json_empty.json"}
#: Usage errors exit 2; every other bad input exits 1.
USAGE = {"facts/no_as_of.toml"}

LOCATION = re.compile(r"^\S+:\d+:\d+: error\[E\d{3}\]: \S", re.MULTILINE)
CARET = re.compile(r"^ +\| *\^+$", re.MULTILINE)


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _golden(path: Path) -> Path:
    return path.with_suffix(".expected")


def _run(argv: list[str], monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> str:
    monkeypatch.chdir(ROOT)
    try:
        code: Any = main(argv)
    except SystemExit as exc:  # argparse exits on usage errors
        code = exc.code
    _, err = capsys.readouterr()
    return f"{err}exit: {code}\n"


_LOADED: dict[Path, api.Contract] = {}


@pytest.fixture
def cached_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check and compile the contract once for all fact cases; each case still runs the CLI."""
    real_load = api.load

    def load(path: str | Path) -> api.Contract:
        key = (ROOT / path).resolve()
        if key not in _LOADED:
            _LOADED[key] = real_load(path)
        return _LOADED[key]

    monkeypatch.setattr(api, "load", load)


def _compare(case: Path, actual: str, request: pytest.FixtureRequest) -> None:
    name = _id(case)
    assert "Traceback" not in actual, f"{name}: the CLI printed a traceback\n{actual}"
    code = int(actual.rsplit("exit: ", 1)[1])
    assert code == (2 if name in USAGE else 1), f"{name}: exit status {code}\n{actual}"
    if name not in NO_POSITION:
        assert LOCATION.search(actual), f"{name}: no file:line:col location\n{actual}"
        if name not in NO_EXCERPT:
            assert CARET.search(actual), f"{name}: no source line with a caret\n{actual}"
    golden = _golden(case)
    if request.config.getoption("--update-goldens"):
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.is_file(), f"{name}: no golden {golden.name}; run with --update-goldens"
    assert actual == golden.read_text(encoding="utf-8"), f"{name}: output differs from golden"


@pytest.mark.parametrize("case", CLAUSES, ids=_id)
def test_bad_clause_file(case: Path, request: pytest.FixtureRequest,
                         monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    actual = _run(["check", str(case.relative_to(ROOT))], monkeypatch, capsys)
    _compare(case, actual, request)


@pytest.mark.parametrize("case", FACTS, ids=_id)
def test_bad_fact_file(case: Path, request: pytest.FixtureRequest,
                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                       cached_contract: None) -> None:
    actual = _run(["eval", CONTRACT, str(case.relative_to(ROOT))], monkeypatch, capsys)
    _compare(case, actual, request)


@pytest.mark.parametrize("folder, suffixes", [(CLAUSE_DIR, {".rrd"}),
                                              (FACT_DIR, {".toml", ".json"})],
                         ids=["clauses", "facts"])
def test_every_case_has_a_golden_and_every_golden_a_case(folder: Path,
                                                          suffixes: set[str]) -> None:
    cases = [p for p in folder.iterdir() if p.suffix in suffixes]
    stems = [p.stem for p in cases]
    assert len(stems) == len(set(stems)), "two cases share a name; goldens would collide"
    goldens = {p.stem for p in folder.glob("*.expected")}
    assert sorted(set(stems) - goldens) == [], "cases without a golden"
    assert sorted(goldens - set(stems)) == [], "goldens without a case"
    others = [p.name for p in folder.iterdir()
              if p.is_file() and p.suffix not in suffixes | {".expected"}]
    assert others == [], "files that are neither cases nor goldens"


def test_corpus_size() -> None:
    assert len(CLAUSES) >= 34
    assert len(FACTS) >= 17
