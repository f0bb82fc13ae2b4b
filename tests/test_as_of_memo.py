"""`EXPR as of DAY` keeps its value in the memo of that day's context (`compiler._Compiler.op_at`):
every context that asks about the same day with the same variables shares one evaluation.  The
answers must be those of evaluating it each time, traced or not, with missing facts, on the toy
below and on the Savvis agreement's generated histories."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rrdsl
from rrdsl import compiler
from tests.test_engine import contract
# _evaluate: as of 2023-01-01; an error's code and message
from tests.test_prefix_sets import _evaluate, random_histories

#: a hold is judged on its own day (`held`), whichever later day asks: `first_free` asks on
#: the day of every Done and Hold after the request's
DAYS = '''
party Company
section 1 "Days"
  event Req "a request" (size: int)
  event Done "a request registered" (req: Req)
  event Hold "a hold on requests" (until: date)
  fact approved(q: Req): bool "the request was approved"
  define open_on(q: Req, d: date): bool "the request is open on a day" =
    (approved(q) and count(z for z in Done where z.req == q) == 0) as of d
  define held(h: Hold): bool "a hold made while a request was open, judged on its day" =
    any(approved(q) and count(z for z in Done where z.req == q) == 0 for q in Req) as of h.date
  define first_free(q: Req): date? "the first day the request is done and no hold stands" =
    first_day(q.date, count(z for z in Done where z.req == q) > 0
                      and all(not held(h) or h.until < q.date for h in Hold))
  clause act: Company shall "act on a hold"
    upon Hold h when held(h) within 10 days after h.date
  clause open: Company may "report a request still open a month on"
    upon Req q when open_on(q, q.date + 30 days)
  clause finish: Company shall "finish the request"
    upon Req q within 60 days after q.date
    fulfilled when exists(first_free(q))
'''

#: the same with requests as qualitative events: the `as of` expressions that read them note
#: them as assumptions, which a memo hit must note again for the context that asks
QUAL_DAYS = DAYS.replace('  event Req "a request"', '  qualitative event Req "a request"')
assert QUAL_DAYS != DAYS


def _unshared(tmp_path: Path, body: str = DAYS) -> rrdsl.Contract:
    """The contract compiled with every `as of` evaluated each time it is asked."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "share_as_of", False)
        return contract(tmp_path, body)


def _facts(reqs: list[tuple[int, bool | None]], dones: list[tuple[int, int]],
           holds: list[tuple[int, int]]) -> dict[str, Any]:
    """Requests (day, approved or unknown); Dones (day, request index); Holds (day, length),
    days counted from 2021-01-04."""
    start = datetime.date(2021, 1, 4)

    def day(n: int) -> str:
        return (start + datetime.timedelta(days=n)).isoformat()
    events: dict[str, list[dict[str, Any]]] = {
        "Req": [{"id": f"q{i}", "date": day(d), "size": 1} for i, (d, _) in enumerate(reqs)],
        "Done": [{"id": f"d{i}", "date": day(d), "req": f"q{k % len(reqs)}"}
                 for i, (d, k) in enumerate(dones)],
        "Hold": [{"id": f"h{i}", "date": day(d), "until": day(d + n)}
                 for i, (d, n) in enumerate(holds)]}
    return {"events": {t: sorted(v, key=lambda e: e["date"]) for t, v in events.items() if v},
            "facts": {"approved": {f"q{i}": ok for i, (_, ok) in enumerate(reqs)
                                   if ok is not None}}}


@pytest.mark.parametrize("body", [DAYS, QUAL_DAYS], ids=["plain", "qualitative"])
def test_one_evaluation_for_every_context_that_asks(tmp_path: Path, body: str) -> None:
    facts = _facts([(0, True), (3, True), (5, True), (8, True)],
                   [(20 + 9 * i, i) for i in range(12)],
                   [(10 + 7 * i, 40) for i in range(12)])

    def evaluations(c: rrdsl.Contract) -> int:
        """How many times a request's Done events are looked up."""
        keyed_events = compiler._keyed_events
        calls: list[str] = []

        def recording(ctx: Any, name: str, field: str | None, key: Any) -> Any:
            calls.append(name)
            return keyed_events(ctx, name, field, key)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(compiler, "_keyed_events", recording)
            c.evaluate(c.facts_from_mapping(facts), datetime.date(2023, 1, 1), values=False)
        return calls.count("Done")
    shared = evaluations(contract(tmp_path, body))
    each_time = evaluations(_unshared(tmp_path, body))
    assert shared < each_time
    for explain in (False, True):
        answer = _evaluate(contract(tmp_path, body), facts, explain)
        assert answer == _evaluate(_unshared(tmp_path, body), facts, explain)
        if body is QUAL_DAYS:  # the requests are assumptions of the answers that read them
            assert '"Req q0' in answer, answer


def _history(draw: Any) -> dict[str, Any]:
    day = st.integers(0, 200)
    reqs = draw(st.lists(st.tuples(day, st.sampled_from([True, True, False, None])),
                         min_size=1, max_size=4))
    dones = draw(st.lists(st.tuples(day, st.integers(0, 3)), max_size=5))
    holds = draw(st.lists(st.tuples(day, st.integers(1, 60)), max_size=4))
    return _facts(reqs, dones, holds)


@pytest.mark.parametrize("body", [DAYS, QUAL_DAYS], ids=["plain", "qualitative"])
@pytest.mark.parametrize("explain", [False, True])
@random_histories(40)
@given(st.data())
def test_random_histories_answer_as_evaluating_each_time(tmp_path: Path, body: str,
                                                         explain: bool,
                                                         data: st.DataObject) -> None:
    facts = _history(data.draw)
    assert _evaluate(contract(tmp_path, body), facts, explain) == _evaluate(
        _unshared(tmp_path, body), facts, explain)


def test_the_agreement_on_long_histories() -> None:
    """The Savvis agreement on generated histories, ten times as long in the same years and
    over ten times the years, answers byte for byte as with each `as of` evaluated each time."""
    from bench.generate import generate
    from rrdsl.report import dumps, outcome_json

    path = Path(__file__).resolve().parents[1] / "contracts" / "savvis_2001.rrd"
    shared = rrdsl.load(path)
    with pytest.MonkeyPatch.context() as mp:  # compiled as it is loaded
        mp.setattr(compiler._Compiler, "share_as_of", False)
        each_time = rrdsl.load(path)
    data = generate(3, 11, scale=10) + generate(3, 11, scale=10, years=True)
    for i, d in enumerate(data):
        a = dumps(outcome_json(shared.evaluate(shared.facts_from_mapping(d), values=True)))
        b = dumps(outcome_json(each_time.evaluate(each_time.facts_from_mapping(d),
                                                  values=True)))
        assert a == b, f"history {i}"
