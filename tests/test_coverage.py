"""Coverage: paragraphs of the agreement encoded, clauses exercised, non-operative provisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rrdsl
from rrdsl.cli import main
from rrdsl.diagnostics import CheckErrors

ROOT = Path(__file__).resolve().parent.parent

CONTRACT = '''agreement toy "Toy" source "text.txt"
party Company
section 1 "Duty"
  clause act: Company shall "act" deadline "promptly"
section 2 "Headings"
  clause headings: nonoperative "Headings do not affect interpretation."
'''
TEXT = '''SECTION 1. DUTY. The Company shall act promptly.

SECTION 2. HEADINGS. Headings do not affect interpretation.

SECTION 3. NOTICES. Notices are in writing.
'''


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    (tmp_path / "text.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "toy.rrd").write_text(CONTRACT, encoding="utf-8")
    scen = tmp_path / "scenarios"
    scen.mkdir()
    (scen / "act.scenario.toml").write_text(
        'title = "t"\ncontract = "../toy.rrd"\nsection = "1"\ncites = "shall act"\n'
        'as_of = 2020-01-01\n[[expect]]\nclause = "1.act"\nstatus = "pending"\n',
        encoding="utf-8")
    return tmp_path


def test_coverage_counts_paragraphs_and_exercised_clauses(
        toy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(toy)
    assert main(["coverage", "toy.rrd", "--scenarios", "scenarios", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    kinds = {p["section"]: (p["kind"], p["encoded"]) for p in data["paragraphs"]}
    assert kinds == {"1": ("operative", True), "2": ("non-operative", True),
                     "3": ("operative", False)}
    assert data["totals"]["operative_encoded"] == 1 and data["totals"]["operative_paragraphs"] == 2
    assert data["totals"]["clauses_exercised"] == data["totals"]["clauses"] == 1
    assert data["totals"]["non_operative_provisions"] == 1


def test_coverage_text_ends_with_totals(toy: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(toy)
    assert main(["coverage", "toy.rrd", "--scenarios", "scenarios"]) == 0
    out = capsys.readouterr().out
    assert "NOT operative     §3" in out
    assert "Operative paragraphs encoded: 1 of 2 (50%); non-operative paragraphs marked: 1" in out


def test_nonoperative_provisions_are_cited_not_evaluated(toy: Path) -> None:
    c = rrdsl.load(toy / "toy.rrd")
    assert [p.id for p in c.ir.provisions] == ["2.headings"]
    o = c.evaluate(c.facts_from_mapping({}), __import__("datetime").date(2020, 1, 1))
    assert [r.instance for r in o.norms] == ["1.act"]


def test_a_missing_source_is_a_check_error(tmp_path: Path) -> None:
    (tmp_path / "c.rrd").write_text('agreement c "C" source "nope.txt"\n', encoding="utf-8")
    with pytest.raises(CheckErrors) as info:
        rrdsl.load(tmp_path / "c.rrd")
    assert info.value.diagnostics[0].code == "E212"


def test_the_2001_agreement_text_is_shipped_and_named() -> None:
    c = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    assert c.ir.source == "text/savvis-rra-2001.txt"
