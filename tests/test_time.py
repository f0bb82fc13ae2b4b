"""Time: facts with a history, `as of`, exceptions `while`, `first_day`, states and the
agreement's own life (`survives while`), on small agreements written for the test.

The expected answers come from docs/language.md (§3.4, §3.7, §6.7, §7.3, §9.2, §11.1, §20),
docs/scenarios.md ("Facts that change over time") and docs/diagnostics.md (E220, E511, E512).
Most tests run both ways: untraced (the fast path) and with `explain=True` (the traced path).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rrdsl
from rrdsl.diagnostics import CheckErrors, FactErrors
from rrdsl.report import node_json, outcome_json
from tests.test_engine import _walk as walk  # the derivation, node by node

D = datetime.date
EXPLAIN = pytest.mark.parametrize("explain", [False, True], ids=["fast", "traced"])


def contract(tmp_path: Path, body: str, header: str = 'agreement toy "Toy" dated 2020-01-01\n'
             ) -> rrdsl.Contract:
    path = tmp_path / "toy.rrd"
    path.write_text(header + body, encoding="utf-8")
    return rrdsl.load(path)


def run(c: rrdsl.Contract, facts: dict[str, Any], as_of: datetime.date,
        explain: bool = False, trees: bool = True) -> rrdsl.Outcome:
    """Evaluate; traced, every answer has a derivation whose root says its status."""
    o = c.evaluate(c.facts_from_mapping(facts), as_of, explain=explain)
    assert all((v.explanation is not None) == explain for v in o.values)
    if trees:
        for r in o.norms:
            assert (r.explanation is not None) == explain, r.instance
            if r.explanation is not None:
                shown = str(r.explanation.value)
                assert shown in (r.status, "not triggered") or shown.startswith(
                    r.status + ": "), (r.instance, r.status, shown)
    return o


def answer(o: rrdsl.Outcome, instance: str) -> rrdsl.NormResult:
    found = [r for r in o.norms if r.instance == instance]
    assert found, [r.instance for r in o.norms]
    return found[0]


def value(o: rrdsl.Outcome, label: str) -> Any:
    found = [v for v in o.values if v.label == label]
    assert found, [v.label for v in o.values]
    assert found[0].missing == [], (label, found[0].missing)
    return found[0].value


def missing(o: rrdsl.Outcome, label: str) -> list[str]:
    found = [v for v in o.values if v.label == label]
    assert found, [v.label for v in o.values]
    assert found[0].value is None
    return found[0].missing


def periods(r: rrdsl.NormResult) -> list[tuple[str, datetime.date | None,
                                               datetime.date | None, bool]]:
    return [(a.exception, a.start, a.end, a.active) for a in r.exceptions]


def walk_json(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out, todo = [], [doc]
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(n.get("children", []))
    return out


def check_errors(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(CheckErrors) as info:
        contract(tmp_path, body)
    return [f"{d.code} {d.message}" for d in info.value.diagnostics]


def hist(*values: tuple[str, Any] | tuple[str, Any, str]) -> list[dict[str, Any]]:
    """A history: (from, value) or (from, value, through)."""
    out = []
    for v in values:
        entry: dict[str, Any] = {"from": v[0], "value": v[1]}
        if len(v) == 3:
            entry["through"] = v[2]
        out.append(entry)
    return out


# --- a fact with a history, read on the trigger's day and on the evaluation date ------------

ELIGIBLE = '''
party Company
role Holder
section 1 "Requests"
  fact eligible(h: Holder): bool over time "the holder is eligible"
  event Request "a request" (by: Holder)
  clause answer: Company shall "answer the request"
    upon Request r where eligible(r.by)
    deadline "promptly"
  clause act: each h in Holder may "act" when eligible(h)
'''

# not eligible, eligible from 2020-03-01, not eligible again from 2020-05-01
CHANGING = hist(("2020-01-01", False), ("2020-03-01", True), ("2020-05-01", False))
REQUESTS = [{"id": "r1", "date": "2020-02-29", "by": "H"},   # the last day before
            {"id": "r2", "date": "2020-03-01", "by": "H"},   # the first eligible day
            {"id": "r3", "date": "2020-04-30", "by": "H"},   # the last eligible day
            {"id": "r4", "date": "2020-05-01", "by": "H"}]   # the first day after


@EXPLAIN
def test_a_trigger_condition_reads_a_history_on_the_day_of_the_event(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ELIGIBLE)
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": CHANGING}},
             "events": {"Request": REQUESTS}}
    # on 2020-06-01 H is no longer eligible, but each request was judged on its own day
    o = run(c, facts, D(2020, 6, 1), explain)
    assert [answer(o, f"1.answer[r{k}]").status for k in (1, 2, 3, 4)] == [
        "not_triggered", "pending", "pending", "not_triggered"]
    assert "does not meet" in answer(o, "1.answer[r1]").reason
    assert "eligible(r.by)" in answer(o, "1.answer[r4]").reason
    # the same requests, seen on 2020-03-01: r1 still not, r2 is owed, r3 and r4 not yet made
    o = run(c, facts, D(2020, 3, 1), explain)
    assert [(r.instance, r.status) for r in o.norms if r.norm.name == "answer"] == [
        ("1.answer[r1]", "not_triggered"), ("1.answer[r2]", "pending")]


@EXPLAIN
def test_a_when_condition_reads_a_history_on_the_evaluation_date(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ELIGIBLE)
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": CHANGING}}}
    got = {day: answer(run(c, facts, day, explain), "1.act[H]").status
           for day in (D(2020, 2, 29), D(2020, 3, 1), D(2020, 4, 30), D(2020, 5, 1))}
    assert got == {D(2020, 2, 29): "not_triggered", D(2020, 3, 1): "in_force",
                   D(2020, 4, 30): "in_force", D(2020, 5, 1): "not_triggered"}
    r = answer(run(c, facts, D(2020, 5, 1), explain), "1.act[H]")
    assert "condition does not hold" in r.reason


@EXPLAIN
def test_a_history_of_one_value_holds_from_its_day_on(tmp_path: Path, explain: bool) -> None:
    # an `over time` fact must be given as a history (E511, below), even of a single value
    c = contract(tmp_path, ELIGIBLE)
    facts = {"parties": {"H": "Holder"},
             "facts": {"eligible": {"H": hist(("2020-01-01", True))}},
             "events": {"Request": [{"id": "r1", "date": "2020-01-01", "by": "H"}]}}
    o = run(c, facts, D(2030, 1, 1), explain)
    assert answer(o, "1.answer[r1]").status == "pending"
    assert answer(o, "1.act[H]").status == "in_force"


# --- days a history does not cover ------------------------------------------------------------

@EXPLAIN
def test_a_day_before_the_first_value_is_missing_and_named_with_the_day(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ELIGIBLE)
    facts = {"parties": {"H": "Holder"},
             "facts": {"eligible": {"H": hist(("2020-03-01", True))}},
             "events": {"Request": [{"id": "r1", "date": "2020-02-10", "by": "H"},
                                    {"id": "r2", "date": "2020-03-02", "by": "H"}]}}
    o = run(c, facts, D(2020, 2, 20), explain)
    act = answer(o, "1.act[H]")
    assert (act.status, act.missing) == ("undetermined", ["eligible(H) on 2020-02-20"])
    assert "eligible(H) on 2020-02-20" in act.reason
    # the trigger's condition needs the value on the request's day, which nothing gives
    o = run(c, facts, D(2020, 4, 1), explain)
    r1 = answer(o, "1.answer[r1]")
    assert (r1.status, r1.missing) == ("undetermined", ["eligible(H) on 2020-02-10"])
    assert answer(o, "1.answer[r2]").status == "pending"
    assert answer(o, "1.act[H]").status == "in_force"


@EXPLAIN
def test_a_through_gap_is_missing_on_the_days_between(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ELIGIBLE)
    gap = hist(("2020-01-01", True, "2020-01-31"), ("2020-03-01", True))
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": gap}},
             "events": {"Request": [{"id": "r1", "date": "2020-01-31", "by": "H"},
                                    {"id": "r2", "date": "2020-02-01", "by": "H"},
                                    {"id": "r3", "date": "2020-02-29", "by": "H"},
                                    {"id": "r4", "date": "2020-03-01", "by": "H"}]}}
    o = run(c, facts, D(2020, 3, 15), explain)
    assert [(answer(o, f"1.answer[r{k}]").status, answer(o, f"1.answer[r{k}]").missing)
            for k in (1, 2, 3, 4)] == [
        ("pending", []),
        ("undetermined", ["eligible(H) on 2020-02-01"]),
        ("undetermined", ["eligible(H) on 2020-02-29"]),
        ("pending", [])]
    assert answer(run(c, facts, D(2020, 1, 31), explain), "1.act[H]").status == "in_force"
    during = answer(run(c, facts, D(2020, 2, 15), explain), "1.act[H]")
    assert (during.status, during.missing) == ("undetermined", ["eligible(H) on 2020-02-15"])
    assert answer(run(c, facts, D(2020, 3, 1), explain), "1.act[H]").status == "in_force"


@EXPLAIN
def test_after_the_through_of_the_last_value_the_fact_is_missing(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ELIGIBLE)
    facts = {"parties": {"H": "Holder"},
             "facts": {"eligible": {"H": hist(("2020-01-01", True, "2020-01-31"))}}}
    assert answer(run(c, facts, D(2020, 1, 31), explain), "1.act[H]").status == "in_force"
    r = answer(run(c, facts, D(2020, 2, 1), explain), "1.act[H]")
    assert (r.status, r.missing) == ("undetermined", ["eligible(H) on 2020-02-01"])


def test_the_explanation_names_the_dated_value_read_and_the_day_missing(
        tmp_path: Path) -> None:
    c = contract(tmp_path, ELIGIBLE)
    text = ('[parties]\nH = "Holder"\n\n[facts]\neligible = { H = [\n'
            '  { from = 2020-01-01, value = false, through = 2020-01-31 },\n'
            '  { from = 2020-03-01, value = true },\n] }\n')
    facts = c.facts_from_text(text, name="f.toml")
    r = answer(c.evaluate(facts, D(2020, 3, 10), explain=True), "1.act[H]")
    assert r.status == "in_force" and r.explanation is not None
    read = [n for n in walk(r.explanation) if n.kind == "fact"]
    assert [(n.label, n.note) for n in read] == [
        ("eligible(H)", "the value from 2020-03-01 (f.toml:7), read on 2020-03-10")]
    r = answer(c.evaluate(facts, D(2020, 2, 10), explain=True), "1.act[H]")
    assert r.status == "undetermined" and r.explanation is not None
    gone = [n for n in walk(r.explanation) if n.kind == "missing"]
    assert [(n.label, n.note) for n in gone] == [
        ("eligible(H) on 2020-02-10", "the fact file gives no value for that day")]


# --- EXPR as of DAY ---------------------------------------------------------------------------

AS_OF = '''
party Company
section 1 "S"
  fact price: money over time "the price"
  event Sale "a sale" (shares: shares)
  define sold: shares "shares sold" = sum(s.shares for s in Sale)
  define sold_by_february: shares = sold as of 2020-02-01
  define sold_by_june: shares = sold as of 2020-06-01
  define price_in_january: money = price as of 2020-01-15
  define price_in_june: money = price as of 2020-06-01
  define sold_before(s: Sale): shares = sold as of (s.date - 1 day)
'''
PRICES = hist(("2020-01-01", 10), ("2020-02-01", 20))
SALES = [{"id": "s1", "date": "2020-01-10", "shares": 100},
         {"id": "s2", "date": "2020-02-01", "shares": 30},
         {"id": "s3", "date": "2020-03-01", "shares": 50}]


@EXPLAIN
def test_as_of_an_earlier_day_reads_the_events_and_facts_of_that_day(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, AS_OF)
    o = run(c, {"facts": {"price": PRICES}, "events": {"Sale": SALES}}, D(2020, 4, 1), explain)
    assert value(o, "sold") == 180
    assert value(o, "sold_by_february") == 130  # the sale of 2020-02-01 included; s3 invisible
    assert value(o, "price_in_january") == Decimal(10)
    assert [value(o, f"sold_before(s{k})") for k in (1, 2, 3)] == [0, 100, 130]


@EXPLAIN
def test_as_of_a_day_after_the_evaluation_date_reads_the_evaluation_date(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, AS_OF)
    facts = {"facts": {"price": PRICES}, "events": {"Sale": SALES}}
    o = run(c, facts, D(2020, 1, 20), explain)
    # nothing is read past 2020-01-20: the sale and the price of 2020-02-01 are not yet known
    assert value(o, "sold_by_february") == 100
    assert value(o, "sold_by_june") == 100
    assert value(o, "price_in_june") == Decimal(10)
    o = run(c, facts, D(2020, 4, 1), explain)
    assert value(o, "sold_by_june") == 180
    assert value(o, "price_in_june") == Decimal(20)


def test_an_as_of_step_appears_in_the_explanation(tmp_path: Path) -> None:
    c = contract(tmp_path, AS_OF)
    o = run(c, {"facts": {"price": PRICES}, "events": {"Sale": SALES}}, D(2020, 4, 1), True)
    root = next(v for v in o.values if v.label == "sold_by_february").explanation
    assert root is not None
    steps = [n for n in walk(root) if n.kind == "as_of"]
    assert [n.label for n in steps] == ["as it stood on 2020-02-01"]
    doc = node_json(root)
    found = [n for n in walk_json(doc) if n["kind"] == "as_of"]
    assert [n["label"] for n in found] == ["as it stood on 2020-02-01"]
    assert found[0]["value"] == "130"
    # a day after the one being judged is that day: no step on another day
    root = next(v for v in o.values if v.label == "sold_by_june").explanation
    assert root is not None
    assert [n.label for n in walk(root) if n.kind == "as_of"] == []


# --- exceptions `while C` ---------------------------------------------------------------------

WHILE = '''
party Company
role Holder
section 1 "Rights"
  fact eligible(h: Holder): bool over time "eligible under the rule"
  clause demand: each h in Holder may "demand registration"
  exception excluded: suspends demand
    for Holder h
    while eligible(h)
    because "during any period in which the holder is eligible"
'''


@EXPLAIN
def test_a_while_exception_suspends_inside_its_period_and_not_after(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, WHILE)
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": CHANGING}}}

    def at(day: datetime.date) -> rrdsl.NormResult:
        return answer(run(c, facts, day, explain), "1.demand[H]")

    before = at(D(2020, 2, 29))
    assert (before.status, before.exceptions) == ("in_force", [])
    for day in (D(2020, 3, 1), D(2020, 4, 30)):
        r = at(day)
        assert r.status == "suspended", day
        assert periods(r) == [("1.excluded", D(2020, 3, 1), None, True)], day
    after = at(D(2020, 5, 1))
    assert after.status == "in_force"
    assert periods(after) == [("1.excluded", D(2020, 3, 1), D(2020, 4, 30), False)]
    assert after.exceptions[0].effect == "suspends"


@EXPLAIN
def test_a_while_exception_applies_once_for_each_period(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, WHILE)
    twice = hist(("2020-01-01", False), ("2020-03-01", True), ("2020-05-01", False),
                 ("2020-07-01", True))
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": twice}}}
    r = answer(run(c, facts, D(2020, 8, 1), explain), "1.demand[H]")
    assert r.status == "suspended"
    assert periods(r) == [("1.excluded", D(2020, 3, 1), D(2020, 4, 30), False),
                          ("1.excluded", D(2020, 7, 1), None, True)]
    doc = outcome_json(run(c, facts, D(2020, 8, 1), explain))
    norm = next(n for n in doc["norms"] if n["id"] == "1.demand[H]")
    assert [(e["id"], e["from"], e["through"], e["active"]) for e in norm["exceptions"]] == [
        ("1.excluded", "2020-03-01", "2020-04-30", False), ("1.excluded", "2020-07-01", None, True)]


BLACKOUT = '''
party Company
section 1 "Requests"
  fact blocked: bool over time "registration is blocked"
  event Request "a request"
  clause register: Company shall "register the shares"
    upon Request r
    within 60 days after r.date
  exception blackout: suspends register
    while blocked
    because "during any blackout period"
'''


@EXPLAIN
def test_a_while_exception_on_a_triggered_clause_is_judged_from_the_trigger(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, BLACKOUT)
    facts = {"facts": {"blocked": hist(("2020-01-01", True), ("2020-02-01", False))},
             "events": {"Request": [{"id": "r1", "date": "2020-01-20"},
                                    {"id": "r2", "date": "2020-02-05"}]}}
    o = run(c, facts, D(2020, 1, 25), explain)
    r1 = answer(o, "1.register[r1]")
    # blocked since 2020-01-01, but the first day judged is the request's
    assert r1.status == "suspended"
    assert periods(r1) == [("1.blackout", D(2020, 1, 20), None, True)]
    o = run(c, facts, D(2020, 2, 10), explain)
    r1 = answer(o, "1.register[r1]")
    assert (r1.status, r1.deadline) == ("pending", D(2020, 3, 20))  # the deadline does not move
    assert periods(r1) == [("1.blackout", D(2020, 1, 20), D(2020, 1, 31), False)]
    r2 = answer(o, "1.register[r2]")
    assert (r2.status, r2.exceptions) == ("pending", [])


@EXPLAIN
def test_a_while_exception_reads_no_day_before_the_trigger(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, BLACKOUT)
    # nothing is known of the blackout before 2020-01-15; the request is of 2020-01-20
    facts = {"facts": {"blocked": hist(("2020-01-15", True), ("2020-02-01", False))},
             "events": {"Request": [{"id": "r1", "date": "2020-01-20"}]}}
    r1 = answer(run(c, facts, D(2020, 1, 25), explain), "1.register[r1]")
    assert (r1.status, r1.missing) == ("suspended", [])
    assert periods(r1) == [("1.blackout", D(2020, 1, 20), None, True)]


@EXPLAIN
def test_a_gap_before_the_evaluation_date_leaves_the_answer_of_the_day_determined(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, WHILE)
    # the agreement is dated 2020-01-01; H's eligibility is recorded from 2020-02-01 only
    facts = {"parties": {"H": "Holder"},
             "facts": {"eligible": {"H": hist(("2020-02-01", False))}}}
    r = answer(run(c, facts, D(2020, 3, 1), explain), "1.demand[H]")
    assert (r.status, r.missing) == ("in_force", [])


@EXPLAIN
def test_a_gap_on_the_evaluation_date_makes_the_answer_undetermined(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, WHILE)
    gap = hist(("2020-01-01", False, "2020-01-31"), ("2020-03-01", False))
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": gap}}}
    r = answer(run(c, facts, D(2020, 2, 15), explain), "1.demand[H]")
    assert r.status == "undetermined"
    # the day named is one the gap holds: its first day, or the evaluation date
    assert len(r.missing) == 1
    assert r.missing[0] in ("eligible(H) on 2020-02-01", "eligible(H) on 2020-02-15")
    # once the history resumes, the gap lies before the evaluation date
    r = answer(run(c, facts, D(2020, 3, 15), explain), "1.demand[H]")
    assert (r.status, r.missing) == ("in_force", [])


# --- first_day(d, c) --------------------------------------------------------------------------

FIRST_DAY = '''
party Company
section 1 "S"
  fact eligible: bool over time "eligible to use the short form"
  event Filing "a filing"
  define became_eligible: date? = first_day(2020-01-01, eligible)
  define eligible_from_march_15: date? = first_day(2020-03-15, eligible)
  define eligible_from_april_10: date? = first_day(2020-04-10, eligible)
  define first_filing: date? = first_day(2020-01-01, count(Filing) > 0)
  clause maintain: Company shall "continue to qualify"
    when exists(first_day(2020-01-01, eligible))
    from first_day(2020-01-01, eligible)
'''
ELIGIBLE_IN_MARCH = hist(("2020-01-01", False), ("2020-03-01", True), ("2020-04-01", False))


@EXPLAIN
def test_first_day_is_none_before_and_the_exact_day_a_history_starts_to_hold(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, FIRST_DAY)
    facts = {"facts": {"eligible": ELIGIBLE_IN_MARCH}}
    o = run(c, facts, D(2020, 2, 29), explain)
    assert value(o, "became_eligible") is None
    assert answer(o, "1.maintain").status == "not_triggered"
    o = run(c, facts, D(2020, 3, 1), explain)
    assert value(o, "became_eligible") == D(2020, 3, 1)
    # no longer eligible on 2020-06-01: the first day stays, and so does the duty
    o = run(c, facts, D(2020, 6, 1), explain)
    assert value(o, "became_eligible") == D(2020, 3, 1)
    assert value(o, "eligible_from_march_15") == D(2020, 3, 15)  # the first day tried is d
    assert value(o, "eligible_from_april_10") is None
    maintain = answer(o, "1.maintain")
    assert (maintain.status, maintain.period_start) == ("in_force", D(2020, 3, 1))


@EXPLAIN
def test_first_day_with_events_is_the_day_of_the_event(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, FIRST_DAY)
    facts = {"facts": {"eligible": ELIGIBLE_IN_MARCH},
             "events": {"Filing": [{"id": "f1", "date": "2020-02-10"},
                                   {"id": "f2", "date": "2020-02-20"}]}}
    assert value(run(c, facts, D(2020, 2, 9), explain), "first_filing") is None
    assert value(run(c, facts, D(2020, 2, 10), explain), "first_filing") == D(2020, 2, 10)
    assert value(run(c, facts, D(2020, 6, 1), explain), "first_filing") == D(2020, 2, 10)



FIRST_DAY_MIXED = '''
party Company
section 1 "S"
  fact eligible: bool over time "eligible to use the short form"
  event Filing "a filing"
  define ready: date? = first_day(2020-02-01, eligible and count(Filing) >= 2)
'''


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.integers(1, 200), st.booleans()), max_size=8),
       first=st.booleans(), filings=st.lists(st.integers(0, 200), max_size=6),
       as_of=st.integers(0, 220))
def test_first_day_is_the_first_day_on_which_the_condition_holds(
        tmp_path: Path, changes: list[tuple[int, bool]], first: bool, filings: list[int],
        as_of: int) -> None:
    """`first_day` judges its condition only on the days an event or a fact's value may
    change it (found by bisection and merged in order, as far as the first day it holds):
    the answer is the first day, walking every day, on which it holds."""
    start = D(2020, 1, 1)
    day = lambda n: start + datetime.timedelta(days=n)  # noqa: E731
    value_on = {0: first, **dict(changes)}  # the last value drawn for a day stands
    steps = sorted(value_on.items())
    facts = {"facts": {"eligible": hist(*((day(n).isoformat(), v) for n, v in steps))},
             "events": {"Filing": [{"id": f"f{i}", "date": day(n).isoformat()}
                                   for i, n in enumerate(sorted(filings))]}}

    def holds(n: int) -> bool:
        eligible = [v for m, v in steps if m <= n][-1]
        return eligible and sum(1 for f in filings if f <= n) >= 2
    today = day(as_of)
    expected = next((day(n) for n in range(31, as_of + 1) if holds(n)), None)
    c = contract(tmp_path, FIRST_DAY_MIXED)
    assert value(run(c, facts, today, False), "ready") == expected

# --- state ------------------------------------------------------------------------------------

HOLDINGS = '''
party Company
role Holder
section 1 "Holdings"
  event Issue "an issuance" (holder: Holder, shares: shares)
  event Transfer "a transfer" (transferor: Holder, transferee: Holder, shares: shares)
  event Split "a stock split" (factor: int)
  state holdings(h: Holder): shares "shares held"
    initially 0
    upon Issue e where e.holder == h: holdings + e.shares
    upon Transfer t where t.transferor == h: holdings - t.shares
    upon Transfer t where t.transferee == h: holdings + t.shares
    upon Split c: holdings * c.factor
  define held(h: Holder): shares = holdings(h)
  define held_in_january(h: Holder): shares = holdings(h) as of 2020-01-31
'''


def holdings_facts(split_first: bool) -> dict[str, Any]:
    issues = [{"id": "i1", "date": "2020-01-10", "holder": "A", "shares": 100},
              {"id": "i2", "date": "2020-02-01", "holder": "B", "shares": 5}]
    splits = [{"id": "sp1", "date": "2020-02-01", "factor": 2}]
    transfers = [{"id": "t1", "date": "2020-01-20", "transferor": "A", "transferee": "B",
                  "shares": 40}]
    events = ({"Split": splits, "Issue": issues} if split_first
              else {"Issue": issues, "Split": splits})
    events["Transfer"] = transfers
    return {"parties": {"A": "Holder", "B": "Holder"}, "events": events}


@EXPLAIN
def test_a_state_starts_from_its_initial_value_and_steps_in_event_order(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, HOLDINGS)
    facts = holdings_facts(split_first=True)
    o = run(c, facts, D(2020, 1, 5), explain)
    assert (value(o, "held(A)"), value(o, "held(B)")) == (0, 0)
    o = run(c, facts, D(2020, 1, 20), explain)
    assert (value(o, "held(A)"), value(o, "held(B)")) == (60, 40)
    # 2020-02-01: the split (listed first) makes 120 and 80, then B is issued 5
    o = run(c, facts, D(2020, 3, 1), explain)
    assert (value(o, "held(A)"), value(o, "held(B)")) == (120, 85)
    # listed the other way, B's 5 shares are split too: (40 + 5) * 2
    o = run(c, holdings_facts(split_first=False), D(2020, 3, 1), explain)
    assert (value(o, "held(A)"), value(o, "held(B)")) == (120, 90)


@EXPLAIN
def test_a_state_read_as_of_an_earlier_day_sees_the_events_up_to_it(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, HOLDINGS)
    facts = holdings_facts(split_first=True)
    o = run(c, facts, D(2020, 3, 1), explain)
    assert (value(o, "held_in_january(A)"), value(o, "held_in_january(B)")) == (60, 40)
    # as of a day after the evaluation date: the evaluation date
    o = run(c, facts, D(2020, 1, 15), explain)
    assert (value(o, "held_in_january(A)"), value(o, "held_in_january(B)")) == (100, 0)


def test_a_state_derivation_shows_one_step_per_event_that_changed_it(tmp_path: Path) -> None:
    c = contract(tmp_path, HOLDINGS)
    o = run(c, holdings_facts(split_first=True), D(2020, 3, 1), explain=True)
    steps = {}
    for holder in ("A", "B"):
        root = next(v for v in o.values if v.label == f"held({holder})").explanation
        assert root is not None
        doc = node_json(root)
        state = next(n for n in walk_json(doc) if n["label"] == f"holdings({holder})")
        steps[holder] = [(n["label"], n["value"]) for n in state["children"]]
    assert steps == {
        "A": [("upon Issue i1 of 2020-01-10", "100"), ("upon Transfer t1 of 2020-01-20", "60"),
              ("upon Split sp1 of 2020-02-01", "120")],
        "B": [("upon Transfer t1 of 2020-01-20", "40"), ("upon Split sp1 of 2020-02-01", "80"),
              ("upon Issue i2 of 2020-02-01", "85")]}


LEVEL = '''
party Company
section 1 "S"
  event Bump "a bump" (double: bool)
  state level: int "the level"
    initially 1
    upon Bump b: level + 1
    upon Bump b where b.double: level * 2
  define current: int = level
'''


@EXPLAIN
def test_two_steps_on_one_event_apply_in_the_order_written(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, LEVEL)
    facts = {"events": {"Bump": [{"id": "b1", "date": "2020-01-10", "double": True},
                                 {"id": "b2", "date": "2020-01-20", "double": False}]}}
    assert value(run(c, facts, D(2020, 1, 5), explain), "current") == 1
    assert value(run(c, facts, D(2020, 1, 10), explain), "current") == 4  # (1 + 1) * 2
    assert value(run(c, facts, D(2020, 1, 20), explain), "current") == 5


COUNTED = '''
party Company
role Holder
section 1 "S"
  fact eligible(h: Holder): bool over time "eligible"
  event Issue "an issuance" (holder: Holder, shares: shares)
  state counted(h: Holder): shares "shares issued while eligible"
    initially 0
    upon Issue e where e.holder == h and eligible(h): counted + e.shares
  define total(h: Holder): shares = counted(h)
'''


@EXPLAIN
def test_a_step_is_judged_on_the_day_of_its_event(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, COUNTED)
    facts = {"parties": {"A": "Holder"},
             "facts": {"eligible": {"A": hist(("2020-01-01", False), ("2020-03-01", True))}},
             "events": {"Issue": [{"id": "i1", "date": "2020-02-01", "holder": "A", "shares": 100},
                                  {"id": "i2", "date": "2020-03-05", "holder": "A", "shares": 10}]}}
    # A is eligible on 2020-04-01, but was not when i1 was issued
    assert value(run(c, facts, D(2020, 4, 1), explain), "total(A)") == 10


@EXPLAIN
def test_a_missing_fact_in_a_step_makes_the_state_undetermined_from_that_event(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, COUNTED)
    facts = {"parties": {"A": "Holder"},
             "facts": {"eligible": {"A": hist(("2020-03-01", True))}},
             "events": {"Issue": [{"id": "i1", "date": "2020-02-01", "holder": "A", "shares": 100},
                                  {"id": "i2", "date": "2020-03-05", "holder": "A", "shares": 10}]}}
    assert value(run(c, facts, D(2020, 1, 15), explain), "total(A)") == 0
    o = run(c, facts, D(2020, 4, 1), explain)
    assert missing(o, "total(A)") == ["eligible(A) on 2020-02-01"]


FACTOR = '''
party Company
role Holder
section 1 "S"
  fact factor: int "the split factor"
  event Issue "an issuance" (holder: Holder, shares: shares)
  event Split "a stock split"
  state holdings(h: Holder): shares "shares held"
    initially 0
    upon Issue e where e.holder == h: holdings + e.shares
    upon Split c: holdings * factor
  define held(h: Holder): shares = holdings(h)
  define held_before_split(h: Holder): shares = holdings(h) as of 2020-01-31
  clause sell: each h in Holder may "sell" when holdings(h) > 0
'''


@EXPLAIN
def test_a_missing_plain_fact_in_a_step_leaves_earlier_days_determined(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, FACTOR)
    facts = {"parties": {"A": "Holder"},
             "events": {"Issue": [{"id": "i1", "date": "2020-01-10", "holder": "A",
                                   "shares": 100}],
                        "Split": [{"id": "sp1", "date": "2020-02-01"}]}}
    o = run(c, facts, D(2020, 1, 20), explain)
    assert value(o, "held(A)") == 100
    assert answer(o, "1.sell[A]").status == "in_force"
    o = run(c, facts, D(2020, 3, 1), explain)
    assert missing(o, "held(A)") == ["factor"]
    assert value(o, "held_before_split(A)") == 100
    sell = answer(o, "1.sell[A]")
    assert (sell.status, sell.missing) == ("undetermined", ["factor"])
    facts["facts"] = {"factor": 2}
    assert value(run(c, facts, D(2020, 3, 1), explain), "held(A)") == 200


ADJUSTED = '''
party Company
role Holder
section 1 "S"
  event Issue "an issuance" (holder: Holder, shares: shares)
  qualitative event Adjustment "a good-faith adjustment" (holder: Holder, shares: shares)
  state holdings(h: Holder): shares "shares held"
    initially 0
    upon Issue e where e.holder == h: holdings + e.shares
    upon Adjustment a where a.holder == h: holdings + a.shares
  clause sell: each h in Holder may "sell" when holdings(h) > 100
'''


@EXPLAIN
def test_a_qualitative_event_in_a_step_is_an_assumption(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ADJUSTED)
    facts = {"parties": {"A": "Holder"},
             "events": {"Issue": [{"id": "i1", "date": "2020-01-10", "holder": "A",
                                   "shares": 100}],
                        "Adjustment": [{"id": "adj1", "date": "2020-01-20", "holder": "A",
                                        "shares": 50}]}}
    before = answer(run(c, facts, D(2020, 1, 15), explain), "1.sell[A]")
    assert (before.status, before.assumptions) == ("not_triggered", [])
    after = answer(run(c, facts, D(2020, 2, 1), explain), "1.sell[A]")
    assert (after.status, after.assumptions) == ("in_force", ["Adjustment adj1"])


def test_a_step_may_not_call_the_state_itself(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, HOLDINGS.replace(
        "upon Issue e where e.holder == h: holdings + e.shares",
        "upon Issue e where e.holder == h: holdings(h) + e.shares"))
    assert [e[:4] for e in errs] == ["E401"]


def test_a_step_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, HOLDINGS.replace("holdings * c.factor", "c.date"))
    assert [e[:4] for e in errs] == ["E301"]
    errs = check_errors(tmp_path, LEVEL.replace("initially 1", "initially true"))
    assert [e[:4] for e in errs] == ["E301"]


# --- survives while ---------------------------------------------------------------------------

SURVIVAL = '''
party Company
role Holder
section 1 "Rights"
  fact held(h: Holder): shares over time "shares held"
  event Sale "a public sale" (seller: Holder, shares: shares)
  event Request "a request for registration"
  event Registration "a registration" (request: Request)
  event Compete "an act of competition"
  define remaining(h: Holder): shares "shares still held" =
    held(h) - sum(s.shares for s in Sale where s.seller == h)
  clause register: Company shall "register the shares"
    upon Request r
    within 30 days after r.date
    fulfilled by Registration x where x.request == r
  clause no_compete: Company shall not "compete"
    breached by Compete c
  clause demand: each h in Holder may "demand registration"
section 6 "Duration"
  survives while any(remaining(h) > 0 for h in Holder)
'''


def survival_facts(held: list[dict[str, Any]]) -> dict[str, Any]:
    return {"parties": {"H": "Holder"}, "facts": {"held": {"H": held}},
            "events": {
                "Request": [{"id": "r0", "date": "2020-01-01"},   # never registered
                            {"id": "r2", "date": "2020-01-05"},   # registered on time
                            {"id": "r1", "date": "2020-02-01"},   # due 2020-03-02
                            {"id": "r3", "date": "2020-02-25"}],  # after the end
                "Registration": [{"id": "reg2", "date": "2020-01-10", "request": "r2"}],
                "Compete": [{"id": "c1", "date": "2020-02-10"}],
                # H sells its last share on 2020-02-20: the agreement ends that day
                "Sale": [{"id": "s1", "date": "2020-02-20", "seller": "H", "shares": 100}]}}


# H holds 100 shares; 200 from 2020-03-01 (the agreement does not revive)
HELD = hist(("2020-01-01", 100), ("2020-03-01", 200))


@EXPLAIN
def test_the_day_before_the_last_day_the_answers_are_unchanged(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, SURVIVAL)
    o = run(c, survival_facts(HELD), D(2020, 2, 19), explain)
    assert [(r.instance, r.status) for r in o.norms] == [
        ("1.register[r0]", "breached"), ("1.register[r2]", "fulfilled"),
        ("1.register[r1]", "pending"), ("1.no_compete", "breached"), ("1.demand[H]", "in_force")]
    term = outcome_json(o)["term"]
    assert (term["survives"], term["ended_on"], term["missing_facts"]) == (True, None, [])


@EXPLAIN
def test_after_the_end_what_was_open_expires_and_what_was_decided_stands(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, SURVIVAL)
    o = run(c, survival_facts(HELD), D(2020, 3, 10), explain, trees=False)
    # r1 was pending on the last day, 2020-02-19 (its deadline, 2020-03-02, has since passed)
    r1 = answer(o, "1.register[r1]")
    assert r1.status == "expired"
    assert "ended with the Agreement on 2020-02-20" in r1.reason
    assert "pending" in r1.reason
    demand = answer(o, "1.demand[H]")
    assert demand.status == "expired"
    assert "ended with the Agreement on 2020-02-20" in demand.reason
    assert answer(o, "1.register[r0]").status == "breached"  # an end undoes no breach
    assert answer(o, "1.register[r2]").status == "fulfilled"
    compete = answer(o, "1.no_compete")
    assert (compete.status, compete.breached_on) == ("breached", D(2020, 2, 10))
    r3 = answer(o, "1.register[r3]")
    assert r3.status == "not_triggered"
    assert "came after the Agreement ended on 2020-02-20" in r3.reason
    # the agreement does not revive when H holds shares again; derived values are of today
    term = outcome_json(o)["term"]
    assert (term["survives"], term["ended_on"], term["missing_facts"]) == (False, "2020-02-20", [])
    assert term["citation"]["section"] == "6"
    assert value(o, "remaining(H)") == 100


@EXPLAIN
def test_on_the_day_of_the_end_the_agreement_has_ended(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, SURVIVAL)
    o = run(c, survival_facts(HELD), D(2020, 2, 20), explain, trees=False)
    assert answer(o, "1.register[r1]").status == "expired"
    assert outcome_json(o)["term"]["ended_on"] == "2020-02-20"


@EXPLAIN
def test_what_is_done_on_the_last_day_counts_and_nothing_after_it(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, SURVIVAL)
    facts = survival_facts(HELD)
    facts["events"]["Registration"].append({"id": "reg1", "date": "2020-02-20", "request": "r1"})
    facts["events"]["Request"].append({"id": "r4", "date": "2020-02-20"})
    facts["events"]["Compete"] = [{"id": "c2", "date": "2020-02-25"}]
    o = run(c, facts, D(2020, 3, 10), explain, trees=False)
    r1 = answer(o, "1.register[r1]")
    assert (r1.status, r1.performed_on) == ("fulfilled", D(2020, 2, 20))
    r4 = answer(o, "1.register[r4]")  # made on the last day: owed, and ended with it
    assert r4.status == "expired"
    assert "ended with the Agreement on 2020-02-20" in r4.reason and "pending" in r4.reason
    # an act after the last day breaches nothing: the prohibition ended with the Agreement
    compete = answer(o, "1.no_compete")
    assert (compete.status, compete.breached_on) == ("expired", None)
    assert "ended with the Agreement on 2020-02-20" in compete.reason
    facts["events"]["Compete"] = [{"id": "c3", "date": "2020-02-20"}]
    compete = answer(run(c, facts, D(2020, 3, 10), explain, trees=False), "1.no_compete")
    assert (compete.status, compete.breached_on) == ("breached", D(2020, 2, 20))


@EXPLAIN
def test_undetermined_survival_names_the_facts_and_answers_as_if_it_survived(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, SURVIVAL)
    # H's holdings are recorded from 2020-01-15 only; the agreement is dated 2020-01-01
    facts = survival_facts(hist(("2020-01-15", 100)))
    facts["events"]["Sale"] = []
    o = run(c, facts, D(2020, 3, 10), explain)
    term = outcome_json(o)["term"]
    assert (term["survives"], term["ended_on"]) == (None, None)
    assert term["missing_facts"] == ["held(H) on 2020-01-01"]
    assert answer(o, "1.register[r1]").status == "breached"  # not performed by 2020-03-02
    assert answer(o, "1.demand[H]").status == "in_force"
    assert answer(o, "1.register[r3]").status == "pending"


def test_survives_while_twice_is_refused(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, SURVIVAL + "  survives while count(Holder) > 0\n")
    assert errs == ["E220 the agreement says twice how long it survives"]


@EXPLAIN
def test_the_json_term_is_null_without_survives_while(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, ELIGIBLE)
    facts = {"parties": {"H": "Holder"}, "facts": {"eligible": {"H": CHANGING}}}
    doc = outcome_json(run(c, facts, D(2020, 6, 1), explain))
    assert doc["schema"] == "rrdsl.result/3"
    assert "term" in doc and doc["term"] is None


# --- fact files: histories validated ----------------------------------------------------------

VALIDATED = '''
party Company
role Holder
section 1 "S"
  fact eligible(h: Holder): bool over time "eligible"
  fact held(h: Holder): shares "shares held"
  event Notice "a notice"
  qualitative fact acceptable(n: Notice): bool "the notice is acceptable"
  clause act: each h in Holder may "act" when eligible(h) and held(h) > 0
  clause reply: Company shall "reply" upon Notice n where acceptable(n) within 10 days after n.date
'''
HEAD = '[parties]\nH = "Holder"\n\n[facts]\nheld = { H = 100 }\n'


def fact_errors(c: rrdsl.Contract, text: str, kind: str = "toml") -> list[Any]:
    with pytest.raises(FactErrors) as info:
        c.facts_from_text(text, kind=kind, name="f." + kind)
    return list(info.value.diagnostics)


@pytest.mark.parametrize(("history", "words"), [
    ("[{ from = 2020-03-01, value = true }, { from = 2020-01-01, value = false }]",
     "listed after"),
    ("[{ from = 2020-01-01, through = 2020-03-01, value = true }, "
     "{ from = 2020-02-01, value = false }]", None),
    ("[{ from = 2020-01-01, value = true }, { from = 2020-01-01, value = false }]", None),
    ("[{ from = 2020-01-01, through = 2020-01-31, value = true }, "
     "{ from = 2020-01-31, value = false }]", None),
    ("[{ from = 2020-03-01, through = 2020-02-01, value = true }]", None),
    ("[]", None),
    ("[{ value = true }]", "from"),
    ("[{ from = 2020-01-01 }]", "value"),
    ("true", None),
], ids=["out_of_order", "overlap", "same_from", "through_on_next_from", "through_before_from",
        "empty", "no_from", "no_value", "plain_value_for_over_time"])
def test_a_malformed_history_is_e511(tmp_path: Path, history: str, words: str | None) -> None:
    c = contract(tmp_path, VALIDATED)
    errs = fact_errors(c, HEAD + f"eligible = {{ H = {history} }}\n")
    assert [d.code for d in errs] == ["E511"], [(d.code, d.message) for d in errs]
    d = errs[0]
    assert "eligible" in d.message
    assert d.span is not None and (d.span.file, d.span.line) == ("f.toml", 6)
    if words:
        assert words in d.message


def test_a_well_formed_history_is_accepted(tmp_path: Path) -> None:
    c = contract(tmp_path, VALIDATED)
    facts = c.facts_from_text(
        HEAD.replace("held = { H = 100 }", "held = { H = [{ from = 2020-01-01, value = 100 }] }")
        + "eligible = { H = [{ from = 2020-01-01, through = 2020-01-31, value = true }, "
          "{ from = 2020-02-01, value = false }] }\n")
    o = c.evaluate(facts, D(2020, 1, 31))
    assert answer(o, "1.act[H]").status == "in_force"
    assert answer(c.evaluate(facts, D(2020, 2, 1)), "1.act[H]").status == "not_triggered"


def test_an_unknown_key_in_a_dated_value_is_e502_with_a_suggestion(tmp_path: Path) -> None:
    c = contract(tmp_path, VALIDATED)
    errs = fact_errors(c, HEAD + "eligible = { H = [{ from = 2020-01-01, value = true, "
                                 "thru = 2020-02-01 }] }\n")
    assert [d.code for d in errs] == ["E502"], [(d.code, d.message) for d in errs]
    assert "thru" in errs[0].message
    assert any("did you mean 'through'?" in h for h in errs[0].hints), errs[0].hints


def test_a_value_of_an_event_keyed_fact_before_its_event_is_e512(tmp_path: Path) -> None:
    c = contract(tmp_path, VALIDATED)
    tail = '\n[[events.Notice]]\nid = "n1"\ndate = 2020-05-02\n'
    body = HEAD + "eligible = { H = [{ from = 2020-01-01, value = true }] }\n"
    errs = fact_errors(c, body + "acceptable = { n1 = [{ from = 2020-04-01, value = true }] }\n"
                       + tail)
    assert [d.code for d in errs] == ["E512"], [(d.code, d.message) for d in errs]
    assert "2020-04-01" in errs[0].message and "n1" in errs[0].message
    assert errs[0].span is not None and errs[0].span.line == 7
    # on the event's own day it is accepted
    facts = c.facts_from_text(
        body + "acceptable = { n1 = [{ from = 2020-05-02, value = true }] }\n" + tail)
    r = answer(c.evaluate(facts, D(2020, 5, 5)), "1.reply[n1]")
    assert (r.status, r.assumptions) == ("pending", ["acceptable(n1)"])


def test_a_wrong_typed_value_inside_a_history_is_e503(tmp_path: Path) -> None:
    c = contract(tmp_path, VALIDATED)
    line = 'eligible = { H = [{ from = 2020-01-01, value = "yes" }] }'
    errs = fact_errors(c, HEAD + line + "\n")
    assert [d.code for d in errs] == ["E503"], [(d.code, d.message) for d in errs]
    assert errs[0].span is not None
    assert (errs[0].span.line, errs[0].span.col) == (6, line.index('"yes"') + 1)
    errs = fact_errors(c, HEAD.replace(
        "held = { H = 100 }", "held = { H = [{ from = 2020-01-01, value = -5 }] }")
        + "eligible = { H = [{ from = 2020-01-01, value = true }] }\n")
    assert [d.code for d in errs] == ["E503"]


def test_histories_are_read_from_json_too(tmp_path: Path) -> None:
    c = contract(tmp_path, VALIDATED)
    text = ('{"parties": {"H": "Holder"}, "facts": {"held": {"H": 100}, "eligible": {"H": '
            '[{"from": "2020-01-01", "value": false}, {"from": "2020-03-01", "value": true}]}}}')
    facts = c.facts_from_text(text, kind="json")
    assert answer(c.evaluate(facts, D(2020, 2, 1)), "1.act[H]").status == "not_triggered"
    assert answer(c.evaluate(facts, D(2020, 3, 1)), "1.act[H]").status == "in_force"
    errs = fact_errors(c, text.replace('"2020-03-01"', '"2019-03-01"'), kind="json")
    assert [d.code for d in errs] == ["E511"]


# --- what reads the context's own day ---------------------------------------------------------

#: nothing happens after January: a context of a day in May sees what the evaluation date's
#: context sees, but `first_day` from June, and a clause's answer (its deadline passes in
#: March), still differ between the two days
OWN_DAY = '''
party Company
section 1 "S"
  event Filing "a filing"
  clause file_report: Company shall "file the report"
    upon Filing f
    within 60 days after f.date
  define from_june: date? "the first day from June with a filing" =
    first_day(2020-06-01, count(Filing) > 0)
  define from_june_in_may: date? "from_june as it stood in May" = from_june as of 2020-05-15
  define from_june_in_may_inline: date? "the same, written out" =
    first_day(2020-06-01, count(Filing) > 0) as of 2020-05-15
  define late(f: Filing): bool "the report is overdue" = §1.file_report[f] is breached
  define late_in_february(f: Filing): bool "overdue as it stood in February" =
    late(f) as of 2020-02-15
  define late_in_february_inline(f: Filing): bool "the same, written out" =
    (§1.file_report[f] is breached) as of 2020-02-15
  define first_late_day(f: Filing): date? "the first day the report was overdue" =
    first_day(2020-01-01, §1.file_report[f] is breached)
'''


@EXPLAIN
def test_what_reads_the_day_is_judged_on_that_day(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, OWN_DAY)
    facts = {"events": {"Filing": [{"id": "f1", "date": "2020-01-10"}]}}
    o = run(c, facts, D(2020, 12, 1), explain)
    assert value(o, "from_june") == D(2020, 6, 1)
    assert value(o, "from_june_in_may") is None
    assert value(o, "from_june_in_may_inline") is None
    assert value(o, "late(f1)") is True  # due through 2020-03-10
    assert value(o, "late_in_february(f1)") is False
    assert value(o, "late_in_february_inline(f1)") is False
    # no event or fact changes on 2020-03-11: only a day that reads its own day finds it
    assert value(o, "first_late_day(f1)") == D(2020, 3, 11)


def test_a_first_day_that_reads_no_event_is_judged_on_each_day(tmp_path: Path) -> None:
    body = OWN_DAY + '''  define june: date? "June's first day, once it has come" =
    first_day(2020-06-01, true)
  clause report_june: Company shall "report on June"
    upon Filing f where exists(first_day(2020-06-01, true))
'''
    c = contract(tmp_path, body)
    facts = {"events": {"Filing": [{"id": "f1", "date": "2020-01-10"},
                                   {"id": "f2", "date": "2020-07-01"}]}}
    o = run(c, facts, D(2020, 12, 1), False)
    assert value(o, "june") == D(2020, 6, 1)
    # the where of `upon` is judged on the filing's day: June had not come on 2020-01-10
    assert answer(o, "1.report_june[f1]").status == "not_triggered"
    assert answer(o, "1.report_june[f2]").status != "not_triggered"


def test_a_first_day_of_a_clause_answer_tries_at_most_ten_years(tmp_path: Path) -> None:
    c = contract(tmp_path, OWN_DAY)
    facts = {"events": {"Filing": [{"id": "f1", "date": "2020-01-10"}]}}
    with pytest.raises(rrdsl.RrdslError) as err:
        run(c, facts, D(2031, 1, 1), False)
    assert "first_day(...) would judge its condition on 4,019 days; the limit is 3,660" in str(
        err.value.diagnostics[0].message)


#: an exception `while` another clause's instance is breached: the breach comes with a
#: deadline, on a day without an event
WHILE_BREACHED = '''
party Company
section 1 "S"
  event Invoice "an invoice"
  event Order "an order"
  clause pay: Company shall "pay the invoice"
    upon Invoice v
    within 10 days after v.date
  clause deliver: Company shall "deliver the order"
    upon Order o
    within 60 days after o.date
  exception unpaid: suspends §1.deliver
    for o
    while any(§1.pay[v] is breached for v in Invoice)
    because "an invoice is overdue"
'''


@EXPLAIN
def test_a_while_that_reads_a_clause_answer_is_judged_on_every_day(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, WHILE_BREACHED)
    facts = {"events": {"Invoice": [{"id": "v1", "date": "2020-01-01"}],
                        "Order": [{"id": "o1", "date": "2020-01-05"}]}}
    # the invoice is due through 2020-01-11: on that day the order is not suspended, from the
    # next it is, though nothing happened on 2020-01-12
    r = answer(run(c, facts, D(2020, 1, 11), explain), "1.deliver[o1]")
    assert r.status == "pending"
    r = answer(run(c, facts, D(2020, 2, 1), explain), "1.deliver[o1]")
    assert r.status == "suspended"
    assert [(x.exception, x.start, x.end) for x in r.exceptions] == [
        ("1.unpaid", D(2020, 1, 12), None)]
