"""Contexts of earlier days (the facts as they stood on a day) in an evaluation: a context lent
to a nested evaluation gets its own set of assumptions back after (`compiler._lent`), so each
answer, with the assumptions it rests on, is that of a traced run, which builds every
answer's derivation in its own day's context."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rrdsl
from tests.test_engine import answer, contract
from tests.test_fast_paths import without_derivations
from tests.test_prefix_sets import _evaluate, random_histories

START = datetime.date(2021, 1, 4)


def _day(n: int) -> str:
    return (START + datetime.timedelta(days=n)).isoformat()


def _facts(reqs: list[int], dones: list[tuple[int, int]], holds: list[tuple[int, int]]
           ) -> dict[str, Any]:
    """Requests (day); Dones (day, request index); Holds (day, length): days from START."""
    events: dict[str, list[dict[str, Any]]] = {
        "Req": [{"id": f"q{i}", "date": _day(d), "size": 1} for i, d in enumerate(reqs)],
        "Done": [{"id": f"d{i}", "date": _day(d), "req": f"q{k % len(reqs)}"}
                 for i, (d, k) in enumerate(dones)],
        "Hold": [{"id": f"h{i}", "date": _day(d), "until": _day(d + n)}
                 for i, (d, n) in enumerate(holds)]}
    return {"events": {t: sorted(v, key=lambda e: e["date"]) for t, v in events.items() if v}}


#: `f(q)` rests on the Holds (qualitative), and first asks `g(q)`, which reads no Hold: in the
#: context of the request's day (h2 comes later), g's answer is the evaluation date's (no Done
#: or Req after that day), whose `open_on` asks about the request's day again, in the context
#: that is computing f: its set of assumptions, if re-pointed, would lose f's Holds (the
#: second clause, which reads f's answer from the memo, would rest on nothing)
NOTES = '''
party Company
section 1 "Notes"
  event Req "a request" (size: int)
  event Done "a request registered" (req: Req)
  qualitative event Hold "a hold on requests, taken as given" (until: date)
  define open_on(q: Req, d: date): bool "the request is open on a day" =
    count(z for z in Done where z.req == q) == 0 as of d
  define g(q: Req): bool "the request was open on its day" = open_on(q, q.date)
  define f(q: Req): int "one if the request was open on its day, and the holds" =
    (if g(q) then 1 else 0) + count(h for h in Hold)
  clause first: Company shall "act on the request"
    upon Req q where f(q) > 0 within 10 days after q.date
  clause second: Company shall "report on the request"
    upon Req q where f(q) > 0 within 20 days after q.date
'''


@pytest.mark.parametrize("explain", [False, True], ids=["fast", "traced"])
def test_the_assumptions_noted_in_a_context_in_use_stay_with_its_answer(
        tmp_path: Path, explain: bool) -> None:
    facts = {"events": {
        "Hold": [{"id": "h1", "date": "2021-01-02", "until": "2021-02-01"},
                 {"id": "h2", "date": "2021-01-20", "until": "2021-02-01"}],
        "Req": [{"id": "q1", "date": "2021-01-10", "size": 1}],
        "Done": [{"id": "d1", "date": "2021-01-05", "req": "q1"}]}}
    c = contract(tmp_path, NOTES)
    o = c.evaluate(c.facts_from_mapping(facts), datetime.date(2021, 3, 1), explain=explain)
    # each trigger is judged on 2021-01-10, when h1 had been made (h2 not yet): both rest on it
    for clause in ("first", "second"):
        r = answer(o, f"1.{clause}[q1]")
        assert (r.status, list(r.assumptions)) == ("breached", ["Hold h1"]), clause


def _history(draw: Any) -> dict[str, Any]:
    day = st.integers(0, 200)
    reqs = draw(st.lists(day, min_size=1, max_size=3))
    dones = draw(st.lists(st.tuples(day, st.integers(0, 2)), max_size=5))
    holds = draw(st.lists(st.tuples(day, st.integers(1, 60)), max_size=6))
    return _facts(reqs, dones, holds)


@random_histories(60)
@given(st.data())
def test_random_histories_rest_on_the_assumptions_of_the_traced_run(
        tmp_path: Path, data: st.DataObject) -> None:
    facts = _history(data.draw)
    c = contract(tmp_path, NOTES)
    plain = without_derivations(json.loads(_evaluate(c, facts, False)))
    assert plain == without_derivations(json.loads(_evaluate(c, facts, True)))


def test_the_agreement_on_long_histories_answers_as_the_traced_run() -> None:
    """The Savvis agreement on generated histories ten times as dense and over ten times the
    years: every answer, with its assumptions, as a traced run gives it.  Among them (the
    seventh dense history) a §3(c)(viii) determination that delays no request, whose answer
    rests on the earlier determinations it was counted against, noted in the context of its
    day while other computations use that context too."""
    from bench.generate import generate
    from rrdsl.report import outcome_json

    path = Path(__file__).resolve().parents[1] / "contracts" / "savvis_2001.rrd"
    c = rrdsl.load(path)
    data = generate(8, 7, scale=10) + generate(3, 7, scale=10, years=True)
    for i, d in enumerate(data):
        fs = c.facts_from_mapping(d)
        plain = without_derivations(outcome_json(c.evaluate(fs, values=True)))
        traced = without_derivations(outcome_json(c.evaluate(fs, values=True, explain=True)))
        assert plain == traced, f"history {i}"
