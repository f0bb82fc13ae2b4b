"""A recursive definition whose answer is taken as of a day its arguments alone give (`f(q, m) =
E as of D(q, m)`, D reading no event or fact: `compiler._Compiler.fixed_day`) has, given its
arguments, the same answer in every context whose day is D or later.  So the set of earlier
events it decides (`{x for x in Det where x < m and f(q, x)}`, `compiler._Prefix`) and how far
its earlier events are computed (`compiler._earlier_first`) are kept once for every context,
not once per context.  The answers must be exactly those of keeping them per context: the same
values, assumptions, missing facts and errors, for contexts before D too (a request whose day
of receipt is after a determination's day)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rrdsl
from rrdsl import compiler
from tests.test_engine import contract
# _evaluate: as of 2023-01-01, the outcome's JSON or the errors' codes and messages
from tests.test_prefix_sets import _evaluate, random_histories

#: §3(c)(viii)'s shape, each delay judged on its first day: the later of the determination's
#: day and the day the request is received (`received`: DAYS after it is sent), as the
#: Savvis encoding's `delays_request` is; the defer clause is judged on each determination's
#: day, so every determination's context asks for the earlier delays of every request
DEFERRALS = '''
party Company
section 1 "Deferrals"
  event Req "a request"
  qualitative event Det "a determination" (days: int)
  event Revoked "a determination revoked" (det: Det)
  fact cleared(m: Det): bool "the determination was cleared"
  define received(q: Req): date "the day the request is received" = q.date + DAYS days
  define delays(q: Req, m: Det): bool "the determination delays the request" =
    (received(q) <= m.date + 30 days
     and count(r for r in Revoked where r.det == m) == 0
     and cleared(m)
     and count(prior(q, m)) < 2
     and used(q, m) + m.days <= 90) as of later(m.date, received(q))
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

#: delivered by hand (received the day it is sent), or by mail (received 20 days later: a
#: determination's context before then asks about a request it cannot judge for all, not
#: knowing whether a determination is revoked before the request is received)
BODIES = {"hand": DEFERRALS.replace("DAYS", "0"), "mail": DEFERRALS.replace("DAYS", "20")}


def _each_context(tmp_path: Path, body: str) -> rrdsl.Contract:
    """The contract compiled with what the recursion knows kept per context."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "fixed_day", lambda self, name: None)
        return contract(tmp_path, body)


def _history(draw: Any) -> dict[str, Any]:
    start = datetime.date(2020, 1, 1)
    day = st.integers(0, 700).map(lambda n: (start + datetime.timedelta(days=n)).isoformat())
    reqs = draw(st.lists(day, min_size=1, max_size=4))
    dets = draw(st.lists(st.tuples(day, st.integers(1, 60), st.sampled_from(
        [True, True, False, None])), max_size=10))
    dets.sort(key=lambda det: det[0])  # by date; those of a day in the order drawn
    reqs.sort()
    gone = draw(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 25)), max_size=3))
    revoked = sorted(((datetime.date.fromisoformat(dets[k][0]) + datetime.timedelta(days=n)
                       ).isoformat(), k) for k, n in gone if k < len(dets))
    return {
        "events": {
            "Req": [{"id": f"r{i}", "date": d} for i, d in enumerate(reqs)],
            "Revoked": [{"id": f"v{i}", "date": d, "det": f"d{k}"}
                        for i, (d, k) in enumerate(revoked)],
            "Det": [{"id": f"d{i}", "date": d, "days": n} for i, (d, n, _) in enumerate(dets)]},
        "facts": {"cleared": {f"d{i}": ok for i, (_, _, ok) in enumerate(dets)
                              if ok is not None}}}


def test_the_shape_is_recognised(tmp_path: Path) -> None:
    c = contract(tmp_path, BODIES["hand"])
    assert c.plan.defs["earlier"].__name__ == "prefix"
    found = []
    original = compiler._Compiler.fixed_day

    def recording(self: Any, name: str) -> Any:
        found.append((name, original(self, name) is not None))
        return original(self, name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "fixed_day", recording)
        contract(tmp_path, BODIES["hand"])
    assert ("delays", True) in found


def test_fewer_evaluations_the_same_answers(tmp_path: Path) -> None:
    """Ten determinations a month apart, each judged on its own day, against two requests:
    each determination's context used to decide every earlier one again."""
    dets = [{"id": f"d{i}", "date": f"2020-{i + 2:02d}-01", "days": 5} for i in range(10)]
    facts = {"events": {"Req": [{"id": "r0", "date": "2020-01-10"},
                                {"id": "r1", "date": "2020-01-20"}], "Det": dets},
             "facts": {"cleared": {d["id"]: True for d in dets}}}

    def evaluations(c: rrdsl.Contract) -> int:
        """How many times the body of `delays` is evaluated."""
        defs = c.plan.defs
        body, count = defs["delays"], [0]

        def counting(ctx: Any, env: Any) -> Any:
            count[0] += 1
            return body(ctx, env)
        defs["delays"] = counting
        try:
            c.evaluate(c.facts_from_mapping(facts), datetime.date(2023, 1, 1), values=False)
        finally:
            defs["delays"] = body
        return count[0]
    for body in BODIES.values():
        kept, each = contract(tmp_path, body), _each_context(tmp_path, body)
        assert evaluations(kept) < evaluations(each)
        for explain in (False, True):
            assert _evaluate(contract(tmp_path, body), facts, explain) == _evaluate(
                _each_context(tmp_path, body), facts, explain)


def test_a_context_before_the_day_decides_for_itself(tmp_path: Path) -> None:
    """A request mailed on 2020-01-01 is received on 01-21.  On 01-10, d1's day, d0 (01-05)
    seems to delay it: d0's revocation on 01-15 is not yet known.  Judged on 01-21, d0
    delays nothing, so d1 and d2 are its first two delays; with d0's answer of 01-10 kept
    for every context, d2 would be its third and be refused (not triggered)."""
    facts = {"events": {"Req": [{"id": "r0", "date": "2020-01-01"}],
                        "Det": [{"id": f"d{i}", "date": day, "days": 5} for i, day in
                                enumerate(["2020-01-05", "2020-01-10", "2020-02-01",
                                           "2020-02-10"])],
                        "Revoked": [{"id": "v0", "date": "2020-01-15", "det": "d0"}]},
             "facts": {"cleared": {f"d{i}": True for i in range(4)}}}
    kept = _evaluate(contract(tmp_path, BODIES["mail"]), facts, False)
    assert kept == _evaluate(_each_context(tmp_path, BODIES["mail"]), facts, False)
    assert '"id": "1.defer[d2]"' in kept
    status = {n["id"]: n["status"] for n in json.loads(kept)["norms"]}
    assert status["1.defer[d2]"] == "in_force" and status["1.defer[d3]"] == "not_triggered"


#: a run of determinations on consecutive days, counted back from each one, judged on its
#: day: each counts the one the day before, a recursion as long as the run
RUNS = '''
party Company
section 1 "Runs"
  event Req "a request"
  event Det "a determination"
  define run(q: Req, m: Det): int "determinations on consecutive days up to this one" =
    (1 + sum(run(q, x) for x in Det where x < m and x.date == m.date - 1 day))
    as of later(m.date, q.date)
  clause note: Company may "note a long run"
    upon Det m where m.date >= 2021-08-01 and any(run(q, m) > 400 for q in Req)
'''


def test_a_long_recursion_goes_no_deeper(tmp_path: Path) -> None:
    """Six hundred determinations on consecutive days, from 2020-01-01; the first judged
    asks about the 578th (2021-08-01), which counts the one before, and so on back: what the
    recursion has computed, kept for every context, still has a context compute the earlier
    events first, in order, so the evaluation goes no deeper for the 578th than for the
    first (no E602), and answers as kept per context."""
    start = datetime.date(2020, 1, 1)
    dets = [{"id": f"d{i}", "date": (start + datetime.timedelta(days=i)).isoformat()}
            for i in range(600)]
    facts = {"events": {"Req": [{"id": "r0", "date": "2019-12-01"}], "Det": dets}}
    kept = _evaluate(contract(tmp_path, RUNS), facts, False)
    assert "E602" not in kept
    status = {n["id"]: n["status"] for n in json.loads(kept)["norms"]}
    assert status["1.note[d578]"] == "in_force" and status["1.note[d577]"] == "not_triggered"
    assert kept == _evaluate(_each_context(tmp_path, RUNS), facts, False)


@pytest.mark.parametrize("delivery", sorted(BODIES))
@random_histories(40)
@given(st.data())
def test_random_histories_answer_as_kept_per_context(tmp_path: Path, delivery: str,
                                                      data: st.DataObject) -> None:
    facts = _history(data.draw)
    body = BODIES[delivery]
    assert _evaluate(contract(tmp_path, body), facts, False) == _evaluate(
        _each_context(tmp_path, body), facts, False)


def test_the_agreement_on_long_histories() -> None:
    """The Savvis agreement (`delays_request ... as of delay_start(q, m)`) on generated
    histories ten times as dense and over ten times the years, with and without derived
    values, answers byte for byte as with what the recursion knows kept per context."""
    from bench.generate import generate
    from rrdsl.report import dumps, outcome_json

    path = Path(__file__).resolve().parents[1] / "contracts" / "savvis_2001.rrd"
    kept = rrdsl.load(path)
    with pytest.MonkeyPatch.context() as mp:  # compiled as it is loaded
        mp.setattr(compiler._Compiler, "fixed_day", lambda self, name: None)
        each = rrdsl.load(path)
    data = generate(4, 5, scale=10) + generate(3, 5, scale=10, years=True)
    for i, d in enumerate(data):
        for values in (False, True):
            a = dumps(outcome_json(kept.evaluate(kept.facts_from_mapping(d), values=values)))
            b = dumps(outcome_json(each.evaluate(each.facts_from_mapping(d), values=values)))
            assert a == b, f"history {i}"
