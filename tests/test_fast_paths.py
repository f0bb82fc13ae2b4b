"""The evaluator's shortcuts against the slow, obvious ways they replace."""

from __future__ import annotations

import datetime
import random
from pathlib import Path
from typing import Any

import rrdsl
from rrdsl import evaluator
from rrdsl.calendars import BusinessCalendar


def test_result_sets_every_field_of_norm_result() -> None:
    fields = evaluator._RESULT_FIELDS
    # the five lists are kept in slots of their own (`_missing`), made when first asked for
    assert sorted(fields) == sorted(f.lstrip("_") for f in evaluator.NormResult.__slots__)
    day = datetime.date(2001, 2, 20)
    given: dict[str, Any] = {  # a distinct value of the right type for each field
        "norm": object(), "instance": "i", "bearer": "b", "beneficiaries": ["x"],
        "trigger": None, "status": "pending", "reason": "r", "deadline": day,
        "period_start": day + datetime.timedelta(1), "period_end": day + datetime.timedelta(2),
        "performed_on": day + datetime.timedelta(3), "breached_on": day + datetime.timedelta(4),
        "missing": ["m"], "assumptions": ["a"], "exceptions": [], "withs": [("w", 1, None, ())],
        "explanation": None, "beneficiaries_missing": ["n"]}
    assert sorted(given) == sorted(fields)
    by_position = evaluator.NormResult(*[given[f] for f in fields])
    by_name = evaluator.NormResult(**given)
    assert all(getattr(by_position, f) is given[f] for f in fields)
    assert by_name == by_position
    norm = object()
    fast = evaluator._result(norm, "x[a]", "a", None, "pending", "")  # type: ignore[arg-type]
    slow = evaluator.NormResult(norm, "x[a]", "a", None, None, "pending", "")  # type: ignore[arg-type]
    assert fast == slow
    assert fast.missing is not slow.missing and fast.withs is not fast.exceptions


def test_a_result_makes_its_lists_when_asked_and_keeps_them() -> None:
    """The lists of a NormResult and a ValueResult are made on first use (most stay empty),
    and are then lists like any: the same one each time, changed in place, set anew."""
    norm = object()
    r = evaluator._result(norm, "x[a]", "a", None, "pending", "")  # type: ignore[arg-type]
    names = ("missing", "assumptions", "exceptions", "withs", "beneficiaries_missing")
    assert all(getattr(r, f"_{n}") is None for n in names)  # nothing made yet
    for n in names:
        first = getattr(r, n)
        assert first == [] and getattr(r, n) is first
        first.append("z")
        assert getattr(r, n) == ["z"]
        setattr(r, n, ["y"])
        assert getattr(r, n) == ["y"]
    v = evaluator.ValueResult(norm, "v", 1)  # type: ignore[arg-type]
    assert v._missing is None and v.missing == [] and v.missing is v.missing
    assert v == evaluator.ValueResult(norm, "v", 1, [])  # type: ignore[arg-type]
    assert repr(v).startswith("ValueResult(definition=") and "missing=[]" in repr(v)


def test_calendar_agrees_with_the_library() -> None:
    fast, slow = evaluator._Calendar("XFED"), BusinessCalendar("XFED")
    rnd = random.Random(7)
    for _ in range(3000):
        day = datetime.date(1998, 1, 1) + datetime.timedelta(days=rnd.randrange(12 * 366))
        n = rnd.randrange(-8, 9)
        assert fast.add(day, n) == slow.add(day, n), (day, n)
        assert fast.is_business_day(day) == slow.is_business_day(day), day


def without_derivations(x: object) -> object:
    """An answer's JSON without its derivations (which only a traced run gives)."""
    if isinstance(x, dict):
        return {k: without_derivations(v) for k, v in x.items() if k != "explanation"}
    if isinstance(x, list):
        return [without_derivations(v) for v in x]
    return x


def test_the_fast_path_answers_as_the_traced_path_does() -> None:
    """Every field of every answer, decided by the fast path (no derivations) and by the traced
    path, on generated fact sets: a field the fast path's inline results forget shows here."""
    import json
    import sys

    from rrdsl.report import outcome_json

    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench import run

    contract = rrdsl.load(root / "contracts" / "savvis_2001.rrd")

    def plain(data: dict[str, object]) -> str:
        return json.dumps(without_derivations(data), sort_keys=True, default=str)

    for facts in run.build_fact_sets(contract, 120):
        fast = outcome_json(contract.evaluate(facts, facts.as_of))
        traced = outcome_json(contract.evaluate(facts, facts.as_of, explain=True))
        assert plain(fast) == plain(traced)


def test_a_recursive_group_is_judged_as_a_whole(tmp_path: Path) -> None:
    # `latest(d for d in S where C)` stops at the latest element meeting C only if C cannot
    # need a fact or fail: judged for a recursive group by assuming its definitions can't, then
    # taking back each that can (§3(c)(viii)'s search for the last day of a deferral uses it)
    plan = rrdsl.load(Path(__file__).parent.parent / "contracts" / "savvis_2001.rrd").plan
    judge, defs = plan._compiler, plan.contract.definitions
    assert plan.groups["delayed_until"].members == (
        "delayed_in_window", "delayed_until", "delays_request", "earlier_delays",
        "last_delayed_day", "prior_delays")
    # since a determination counts only while a valid request is pending (is_demand_notice,
    # short_form_valid: they read holdings and eligibility, which may be missing), the group
    # can need a fact: the search for a deferral's last day then tries every day, as it must
    assert not any(judge.infallible(defs[n].body)
                   for n in plan.groups["delayed_until"].members)
    assert not judge.infallible(defs["delays_something"].body)
    path = tmp_path / "toy.rrd"
    path.write_text('''agreement toy "Toy" dated 2020-01-01
party Company
section 1 "S"
  event Det "a determination"
  fact cap: int
  define a(m: Det): int = count({x for x in Det where x < m and b(x) > 0})
  define b(m: Det): int = a(m) + cap
''', encoding="utf-8")
    toy = rrdsl.load(path).plan
    assert not any(toy._compiler.infallible(toy.contract.definitions[n].body) for n in "ab")


def test_a_fact_set_lists_only_the_event_types_it_has_events_of() -> None:
    """The agreement has sixty-odd event types; a fact set keeps a list for those its facts
    give events of (an empty one if the file gives the type an empty list), and the
    evaluation reads any other type as having none."""
    root = Path(__file__).resolve().parent.parent
    contract = rrdsl.load(root / "contracts" / "savvis_2001.rrd")
    facts = contract.read_facts(root / "contracts" / "facts" / "demand-2001.toml")
    assert 0 < len(facts.events) < len(contract.ir.events)
    assert all(evs for evs in facts.events.values())
    assert "Transfer" in contract.ir.events and "Transfer" not in facts.events
    empty = contract.facts_from_mapping({"events": {"Transfer": []}})
    assert empty.events == {"Transfer": []}
    from rrdsl.report import dumps, outcome_json

    absent = dumps(outcome_json(contract.evaluate(facts)))
    for name in contract.ir.events:  # every type listed, as fact sets were made before
        facts.events.setdefault(name, [])
    assert dumps(outcome_json(contract.evaluate(facts))) == absent


def _nested() -> Any:
    from hypothesis import strategies as st

    keys = st.one_of(st.text(max_size=3), st.text(max_size=3), st.integers(0, 3))
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3),
                       st.dates(), st.decimals(allow_nan=False, places=2))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=3)), max_leaves=30)


def test_the_quick_shape_walk_finds_a_problem_where_the_walk_with_paths_does() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from rrdsl import facts

    @settings(max_examples=400, deadline=None)
    @given(_nested(), st.integers(0, 5))
    def check(data: Any, limit: int) -> None:
        assert facts._plain_shape(data, limit) == (facts._shape_walk(data, limit) is None)
        assert facts.shape_problem(data, limit) == facts._shape_walk(data, limit)

    check()
