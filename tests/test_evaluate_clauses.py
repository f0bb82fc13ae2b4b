"""`Contract.evaluate(..., clauses=...)`: the answers of some clauses, each what the evaluation of
them all gives, and a clear error for a clause the agreement does not have."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate
from rrdsl import load
from rrdsl.diagnostics import UsageError
from rrdsl.facts import parse_facts
from rrdsl.report import dumps, outcome_json
from rrdsl.scenarios import find, read_scenario

ROOT = Path(__file__).resolve().parent.parent
AGREEMENT = ROOT / "contracts" / "savvis_2001.rrd"


@pytest.fixture(scope="module")
def contract() -> Any:
    return load(AGREEMENT)


def answers(outcome: Any, ids: set[str] | None = None) -> list[str]:
    """The clause answers of an outcome as its JSON gives them, those of the clauses `ids`
    when given; of a derivation, its conclusion (the steps of a document are numbered through
    it, and a step shown before is referred to: the same derivation of one clause is written
    out in full when that clause is alone)."""
    out = []
    for n in outcome_json(outcome)["norms"]:
        if ids is None or n["clause"] in ids:
            if n.get("explanation") is not None:
                n["explanation"] = {k: n["explanation"][k] for k in ("label", "value")}
            out.append(dumps(n))
    return out


SUBSETS = [{"3(a).register"}, {"3(a).further_notice", "3(a).register", "3(b).register",
                                "3(c)(iii).cutback_right"}, {"3(c)(viii).defer", "3(d).include", "8(i).specific_performance"}]


@pytest.mark.parametrize("scale", [1, 10])
def test_some_clauses_are_answered_as_in_the_whole_evaluation(contract: Any,
                                                               scale: int) -> None:
    ids = [n.id for n in contract.ir.norms]
    subsets = [s & set(ids) for s in SUBSETS] + [set(ids[::7])]
    assert all(subsets)
    for k, data in enumerate(generate(25 if scale == 1 else 4, 20010220, scale)):
        facts = parse_facts(contract.ir, data, f"generated#{k}")
        whole = contract.evaluate(facts, values=False)
        for only in subsets:
            some = contract.evaluate(facts, values=False, clauses=sorted(only))
            assert {r.norm.id for r in some.norms} <= only
            assert answers(some) == answers(whole, only)


def test_explained_answers_are_the_same(contract: Any) -> None:
    data = generate(3, 7)
    for k, d in enumerate(data):
        facts = parse_facts(contract.ir, d, f"generated#{k}")
        whole = contract.evaluate(facts, values=False, explain=True)
        some = contract.evaluate(facts, values=False, explain=True, clauses="3(a).register")
        assert answers(some) == answers(whole, {"3(a).register"})
        assert [r.explanation is not None for r in some.norms] == [True] * len(some.norms)


def scenarios() -> list[Path]:
    """The scenarios of one agreement whose facts are given in the scenario and that check
    clause answers: the ended agreement (§6), amendments in and out of effect, suspensions
    and exceptions among them."""
    found = []
    for path in find([ROOT / "contracts" / "scenarios"]):
        _, _, data = read_scenario(path, check=False)
        if (isinstance(data.get("contract"), str) and "given" in data
                and any("clause" in e for e in data.get("expect", []))):
            found.append(path)
    return found


def test_the_clauses_a_scenario_checks_are_answered_as_in_the_whole_evaluation() -> None:
    """Every such scenario (the 2001 agreement's, its amendment's, the 2000 agreement's): the
    clauses it expects answers of, evaluated alone, answer as the whole evaluation does."""
    checked = 0
    loaded: dict[Path, Any] = {}
    for path in scenarios():
        _, text, data = read_scenario(path, check=False)
        where = (path.parent / data["contract"]).resolve()
        contract = loaded.get(where) or loaded.setdefault(where, load(where))
        facts = parse_facts(contract.ir, data["given"], str(path), text, "toml",
                            prefix=("given",), foreign=contract.foreign_with_base(frozenset()))
        day = data["as_of"]
        only = {e["clause"].removeprefix("§").split("[", 1)[0]  # an instance: its clause
                for e in data["expect"] if "clause" in e}
        names = set(contract._clause_names())
        # the rest are clauses governed by another agreement (Outcome.references)
        assert only - names <= {r.id for r in contract.ir.references}, path.name
        only &= names
        whole = contract.evaluate(facts, day, values=False)
        some = contract.evaluate(facts, day, values=False, clauses=only)
        assert answers(some) == answers(whole, only), path.name
        checked += 1
    assert checked > 300  # of §2 to §8, the amendment's (5), the ended agreement's (5)


def test_an_amendment_answers_the_clauses_of_the_agreement_it_amends() -> None:
    amendment = load(ROOT / "contracts" / "savvis_2001_amendment_1.rrd")
    base_ids = {n.id for n in amendment.base.ir.norms}
    assert set(amendment._clause_names()) >= base_ids
    facts = amendment.facts_from_mapping({"parties": {"WCAS": "Investor"}})
    out = amendment.evaluate(facts, datetime.date(2001, 6, 1), clauses=["§3(a).register"])
    assert {r.norm.id for r in out.norms} <= {"3(a).register"}


@pytest.mark.parametrize("clauses, message, hint", [
    (["3(a).registr"], "has no clause '3(a).registr'", "did you mean '3(a).register'?"),
    (["nothing_like_it"], "has no clause 'nothing_like_it'", "`rrdsl show` lists them"),
    ([3], "must be a clause id", None),
    (7, "must be clause ids", None),
])
def test_a_clause_it_does_not_have_is_a_usage_error(contract: Any, clauses: Any,
                                                    message: str, hint: str | None) -> None:
    facts = contract.facts_from_mapping({"parties": {"WCAS": "Investor"}})
    with pytest.raises(UsageError) as err:
        contract.evaluate(facts, datetime.date(2001, 6, 1), clauses=clauses)
    [d] = err.value.diagnostics
    assert d.code == "E701" and message in d.message
    if hint is not None:
        assert any(hint in h for h in d.hints)


def test_one_text_or_a_section_sign_names_a_clause(contract: Any) -> None:
    facts = contract.facts_from_mapping({"parties": {"WCAS": "Investor"}})
    day = datetime.date(2001, 6, 1)
    one = contract.evaluate(facts, day, clauses="3(a).register")
    signed = contract.evaluate(facts, day, clauses=["§3(a).register"])
    assert answers(one) == answers(signed) == answers(contract.evaluate(facts, day),
                                                      {"3(a).register"})
    assert contract.evaluate(facts, day, clauses=[]).norms == []
    again = contract.evaluate(facts, day, clauses="3(a).register")  # checked once, then kept
    assert answers(again) == answers(one)
    with pytest.raises(UsageError):
        contract.evaluate(facts, day, clauses=["3(a).register", ["unhashable"]])


@pytest.mark.parametrize("section", ["3(a)", "3(c)", "§3(c)(viii)", "3(a).register", "9"])
def test_eval_section_evaluates_only_its_clauses_and_answers_the_same(
        contract: Any, section: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`rrdsl eval --section` asks only for the clauses under the section: its report is the
    whole evaluation's, filtered."""
    import json

    from rrdsl.cli import _clauses_under, main
    from rrdsl.report import select_norms

    facts_file = ROOT / "contracts" / "facts" / "demand-2001.toml"
    asked = _clauses_under(contract, section)
    ids = [n.id for n in contract.ir.norms]
    assert set(asked) <= set(ids) and (section == "9") == (not asked)
    assert main(["eval", str(AGREEMENT), str(facts_file), "--section", section,
                 "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    facts = contract.read_facts(facts_file)
    whole = select_norms(contract.evaluate(facts), None, None, section)
    want = json.loads(dumps(outcome_json(whole)))
    assert got["norms"] == want["norms"] and got["values"] == want["values"]
    assert got["summary"] == want["summary"]
