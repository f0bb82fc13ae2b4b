"""The JSON output validates against the published schema, docs/rrdsl-result.schema.json."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import rrdsl
from rrdsl.report import outcome_json

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "rrdsl-result.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("as_of", ["2001-05-01", "2001-06-15", "2002-06-15"])
@pytest.mark.parametrize("explain", [False, True])
def test_eval_json_validates_against_the_schema(as_of: str, explain: bool) -> None:
    c = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    facts = c.read_facts(ROOT / "contracts" / "facts" / "demand-2001.toml")
    out = outcome_json(c.evaluate(facts, datetime.date.fromisoformat(as_of), explain=explain))
    data = json.loads(json.dumps(out))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


def test_the_schema_rejects_a_wrong_status() -> None:
    c = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    facts = c.read_facts(ROOT / "contracts" / "facts" / "demand-2001.toml")
    data = json.loads(json.dumps(outcome_json(c.evaluate(facts))))
    data["norms"][0]["status"] = "maybe"
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data))


def test_family_and_amendment_json_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    from rrdsl.api import evaluate_family
    from rrdsl.report import family_json

    monkeypatch.chdir(ROOT)
    contracts = [rrdsl.load("contracts/savvis_2001.rrd"),
                 rrdsl.load("contracts/original_2000.rrd")]
    outcomes = evaluate_family(contracts, "contracts/facts/family-2001.toml", explain=True)
    data = json.loads(json.dumps(family_json(outcomes)))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["results"][0]["references"][0]["loaded"] is True
    amended = rrdsl.load("contracts/savvis_2001_amendment_1.rrd")
    facts = amended.read_facts("contracts/facts/demand-2001.toml")
    data = json.loads(json.dumps(outcome_json(amended.evaluate(facts))))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["amendments"][0]["applied"] is False


def test_diff_json_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    from rrdsl.diff import diff, diff_json

    monkeypatch.chdir(ROOT)
    d = diff(Path("contracts/savvis_2001.rrd"), Path("contracts/savvis_2001_amendment_1.rrd"),
             Path("contracts/scenarios/savvis_2001_amendment_1"))
    data = json.loads(json.dumps(diff_json(d)))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert any(a["kind"] == "norm" for a in data["answers"])
    assert any(a["kind"] == "value" for a in data["answers"])
