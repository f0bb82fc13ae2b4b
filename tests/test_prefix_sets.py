"""Sets of earlier events that a recursion reads (`compiler._Prefix`): `{x for x in E where x < m
and f(q, x)}` is decided once per event of E in a context instead of once per m.  It must give
exactly what the plain loop gives: the same answers, the same assumptions noted, the same
missing facts, the same errors, in every order the sets are asked for."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rrdsl
from rrdsl import compiler
from rrdsl.diagnostics import RrdslError
from rrdsl.report import dumps, outcome_json
from tests.test_engine import D, contract

#: §3(c)(viii)'s shape: a determination delays a request unless two earlier delays of it in the
#: twelve months before, or their days, leave no room; whether it delays may need a fact
#: (`cleared`) the fact set does not give
DEFERRALS = '''
party Company
section 1 "Deferrals"
  event Req "a request"
  qualitative event Det "a determination" (days: int)
  fact cleared(m: Det): bool "the determination was cleared"
  define delays(q: Req, m: Det): bool "the determination delays the request" =
    q.date <= m.date and cleared(m) and count(prior(q, m)) < 2 and used(q, m) + m.days <= 90
  define earlier(q: Req, m: Det): set of Det "the request's earlier delays" =
    {x for x in Det where x < m and delays(q, x)}
  define prior(q: Req, m: Det): set of Det "the request's delays in the twelve months before" =
    {x for x in earlier(q, m) where x.date > m.date - 12 months}
  define used(q: Req, m: Det): int "the request's days of delay in the twelve months before" =
    sum(x.days for x in prior(q, m))
  define delayed(m: Det): bool "the determination delays some request" =
    any(delays(q, m) for q in Req)
  clause defer: Company may "defer" upon Det m where delayed(m)
  clause register: Company shall "register the request"
    upon Req q
    within 120 days after q.date
  exception deferral: suspends §1.register
    for q
    upon Det m where delays(q, m)
    until m.date + 30 days
    because "deferred"
'''


def random_histories(examples: int) -> Any:
    """The hypothesis settings of the tests that compile a toy contract into `tmp_path` and
    try it on generated histories: no deadline and no complaint of slowness (a compile takes
    its time), the function-scoped `tmp_path` reused on purpose (each example rewrites the
    same file)."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _evaluate(c: rrdsl.Contract, facts: dict[str, Any], explain: bool) -> str:
    try:
        o = c.evaluate(c.facts_from_mapping(facts), D(2023, 1, 1), explain=explain)
    except RrdslError as e:
        return "\n".join(f"{d.code} {d.message}" for d in e.diagnostics)
    return dumps(outcome_json(o))


def _both(tmp_path: Path, body: str, facts: dict[str, Any], explain: bool = False
          ) -> tuple[str, str]:
    """The outcome with the sets kept, and with the plain loop (a contract compiled without)."""
    kept = contract(tmp_path, body)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "prefix_set", lambda self, e, var, src, filtered: None)
        plain = contract(tmp_path, body)
    return _evaluate(kept, facts, explain), _evaluate(plain, facts, explain)


def test_the_shape_is_recognised(tmp_path: Path) -> None:
    c = contract(tmp_path, DEFERRALS)
    assert c.plan.defs["earlier"].__name__ == "prefix"
    assert c.plan.defs["prior"].__name__ != "prefix"  # a set of a set: the loop


def _history(draw: Any) -> dict[str, Any]:
    start = datetime.date(2020, 1, 1)
    day = st.integers(0, 900).map(lambda n: (start + datetime.timedelta(days=n)).isoformat())
    reqs = draw(st.lists(day, min_size=1, max_size=4))
    dets = draw(st.lists(st.tuples(day, st.integers(1, 60), st.sampled_from(
        [True, False, None])), max_size=9))
    dets.sort(key=lambda det: det[0])  # by date; those of a day in the order drawn
    return {
        "events": {
            "Req": [{"id": f"r{i}", "date": d} for i, d in enumerate(sorted(reqs))],
            "Det": [{"id": f"d{i}", "date": d, "days": n} for i, (d, n, _) in enumerate(dets)]},
        "facts": {"cleared": {f"d{i}": ok for i, (_, _, ok) in enumerate(dets)
                              if ok is not None}}}


@random_histories(40)
@given(st.data())
def test_kept_sets_answer_as_the_loop_does(tmp_path: Path, data: st.DataObject) -> None:
    facts = _history(data.draw)
    kept, plain = _both(tmp_path, DEFERRALS, facts)
    assert kept == plain


def test_a_missing_fact_stops_the_set_where_the_loop_stops(tmp_path: Path) -> None:
    dets = [{"id": f"d{i}", "date": f"2020-0{i + 2}-01", "days": 10} for i in range(5)]
    facts = {"events": {"Req": [{"id": "r0", "date": "2020-01-15"}], "Det": dets},
             "facts": {"cleared": {"d0": True, "d2": True, "d3": True, "d4": True}}}
    kept, plain = _both(tmp_path, DEFERRALS, facts)
    assert kept == plain
    # d1 may delay r0 (one delay before it): its answer, and every later one, needs the fact
    assert kept.count('"cleared(d1)"') > 4


def test_explained_runs_take_the_loop_and_agree(tmp_path: Path) -> None:
    dets = [{"id": f"d{i}", "date": f"2020-0{i + 2}-01", "days": 30} for i in range(6)]
    facts = {"events": {"Req": [{"id": "r0", "date": "2020-01-15"},
                                {"id": "r1", "date": "2020-04-15"}], "Det": dets},
             "facts": {"cleared": {d["id"]: True for d in dets}}}
    kept, plain = _both(tmp_path, DEFERRALS, facts, explain=True)
    assert kept == plain


@pytest.mark.parametrize("use", [
    # another request's set, asked while a computation for this request is in progress
    "all(count({x for x in Det where x < m and first(p, x)}) == 0 for p in Req where p < q)",
    # this request's set, before and after a later one was asked
    "count({x for x in Det where x < m and first(q, x)}) < 2",
])
def test_errors_are_those_of_the_loop(tmp_path: Path, use: str) -> None:
    body = f'''
party Company
section 1 "S"
  event Req "a request"
  event Det "a determination"
  define first(q: Req, m: Det): bool =
    {use}
  define late(q: Req, m: Det): int = count({{x for x in Det where x < m and first(q, x)}})
'''
    reqs = [{"id": "r1", "date": "2020-01-01"}, {"id": "r2", "date": "2020-01-02"}]
    dets = [{"id": f"d{i}", "date": f"2020-02-0{i + 1}"} for i in range(4)]
    kept, plain = _both(tmp_path, body, {"events": {"Req": reqs, "Det": dets}})
    assert kept == plain
