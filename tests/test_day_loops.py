"""Loops over `dates(a, b)`: a call with the loop's day as an argument is not memoised (each
day's arguments are new), and `latest(d for d in dates(a, b))` is read off the range's end
without listing the days (`compiler._Compiler.compile_in_loop`, `range_end`).  Both must give
exactly what the plain way gives: the same answers, assumptions, missing facts and errors,
traced or not."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rrdsl
from rrdsl import compiler
from tests.test_engine import D, contract
# _evaluate: as of 2023-01-01; an error's code and message
from tests.test_prefix_sets import _evaluate, random_histories

#: §3(c)(viii)'s search for the last day of a delay, in small: a request's days of delay in
#: the year ending on each day, read day by day; whether a determination counts may need a
#: fact (`cleared`) the fact set does not give
DAYS = '''
party Company
section 1 "Days"
  event Req "a request"
  qualitative event Det "a determination" (days: int)
  fact cleared(m: Det): bool "the determination was cleared"
  fact window_start: date "the first day looked at"
  fact window_end: date "the last day looked at"
  define used(q: Req, m: Det, last: date): int "the request's days of delay in the year to a day" =
    sum(overlap_days(x.date, x.date + days(x.days), last - 12 months + 1 day, m.date)
        for x in Det where x < m and q.date <= x.date and cleared(x))
  define last_day(q: Req, m: Det): date? "the last day the determination delays the request" =
    latest(d for d in dates(m.date,
                            earlier(earliest(e for e in dates(m.date, m.date + 89 days)
                                             where used(q, m, e) + days_between(m.date, e) + 1
                                                   > 60),
                                    m.date + days(m.days))
                            - 1 day))
  define used_by_then(q: Req, m: Det): int "the request's days of delay in the year to m" =
    used(q, m, m.date)
  define busy_days: set of date "the days of the window on which some delay was used" =
    {d for d in dates(window_start, window_end)
     where any(any(used(q, m, d) > 0 for m in Det) for q in Req)}
  define window_last: date? "the window's last day" =
    latest(d for d in dates(window_start, window_end))
  define window_first: date? "the window's first day" =
    earliest(d for d in dates(window_start, window_end))
  clause register: Company shall "register the request"
    upon Req q
    within 120 days after q.date
  exception deferral: suspends §1.register
    for q
    upon Det m where q.date <= m.date and cleared(m)
    until last_day(q, m) + 1 day
    because "deferred"
'''


def _plain(tmp_path: Path, body: str) -> rrdsl.Contract:
    """The contract compiled without either shortcut: every call memoised, every range listed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "compile_in_loop",
                   lambda self, var, source, e: self.compile(e))
        mp.setattr(compiler._Compiler, "range_end", lambda self, source, at_end, extreme: None)
        return contract(tmp_path, body)


def _both(tmp_path: Path, facts: dict[str, Any], explain: bool = False) -> tuple[str, str]:
    fast, plain = contract(tmp_path, DAYS), _plain(tmp_path, DAYS)
    return _evaluate(fast, facts, explain), _evaluate(plain, facts, explain)


def _facts(reqs: list[str], dets: list[tuple[str, int, bool | None]], window: tuple[str, str]
           ) -> dict[str, Any]:
    return {
        "events": {
            "Req": [{"id": f"r{i}", "date": d} for i, d in enumerate(sorted(reqs))],
            "Det": [{"id": f"d{i}", "date": d, "days": n} for i, (d, n, _) in enumerate(dets)]},
        "facts": {"cleared": {f"d{i}": ok for i, (_, _, ok) in enumerate(dets) if ok is not None},
                  "window_start": window[0], "window_end": window[1]}}


def test_the_shortcuts_are_taken(tmp_path: Path) -> None:
    made: list[str] = []
    op_call = compiler._Compiler.op_call

    def recording(self: Any, e: Any) -> Any:
        fn = op_call(self, e)
        if e.data == "used":
            made.append(fn.__name__)
        return fn
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "op_call", recording)
        c = contract(tmp_path, DAYS)
    # in last_day's search and busy_days's set the day is an argument (a call site may be
    # compiled more than once); used_by_then's call, outside a loop over days, is memoised
    assert made.count("call_each_day") >= 2 and made.count("call_q") == 1, made
    assert c.plan.defs["window_last"].__name__ == "range_end"
    assert c.plan.defs["window_first"].__name__ == "range_end"
    plain = _plain(tmp_path, DAYS)
    assert plain.plan.defs["window_last"].__name__ != "range_end"


def test_a_history_with_a_missing_fact(tmp_path: Path) -> None:
    facts = _facts(["2020-01-15"], [("2020-02-01", 40, True), ("2020-03-05", 50, True),
                                    ("2020-04-20", 50, None)], ("2020-03-01", "2020-03-10"))
    fast, plain = _both(tmp_path, facts)
    assert fast == plain
    # worked by hand from the toy's definitions: d0 delays r0 for its own 40 days,
    # 2020-02-01 through 2020-03-11 (no earlier delay: the 60-day limit is not reached).
    # d1 (2020-03-05) counts d0's 33 days before it (Feb 1 to Mar 4 of leap 2020) in every
    # year ending on one of its days, so its 27th day, 2020-03-31, is the last before 60
    o = contract(tmp_path, DAYS).evaluate(
        contract(tmp_path, DAYS).facts_from_mapping(facts), D(2022, 1, 1))
    got = {v.label: v.value for v in o.values}
    assert got["last_day(r0, d0)"] == D(2020, 3, 11)
    assert got["last_day(r0, d1)"] == D(2020, 3, 31)
    assert got["window_last"] == D(2020, 3, 10) and got["window_first"] == D(2020, 3, 1)
    assert got["busy_days"] == frozenset(D(2020, 3, k) for k in range(1, 11))
    assert "cleared(d2)" in fast


def test_an_empty_window_and_a_window_too_long(tmp_path: Path) -> None:
    dets = [("2020-02-01", 40, True)]
    empty = _facts(["2020-01-15"], dets, ("2020-03-10", "2020-03-01"))
    fast, plain = _both(tmp_path, empty)
    assert fast == plain
    o = contract(tmp_path, DAYS).evaluate(
        contract(tmp_path, DAYS).facts_from_mapping(empty), D(2022, 1, 1))
    got = {v.label: v.value for v in o.values}
    assert got["window_last"] is None and got["window_first"] is None
    assert got["busy_days"] == frozenset()
    one = _facts(["2020-01-15"], dets, ("2020-03-10", "2020-03-10"))
    o = contract(tmp_path, DAYS).evaluate(
        contract(tmp_path, DAYS).facts_from_mapping(one), D(2022, 1, 1))
    got = {v.label: v.value for v in o.values}
    assert got["window_last"] == got["window_first"] == D(2020, 3, 10)
    too_long = _facts(["2020-01-15"], dets, ("2000-01-01", "2020-03-10"))
    fast, plain = _both(tmp_path, too_long)
    assert fast == plain
    assert "would list 7,375 days; the limit is 3,660" in fast


@pytest.mark.parametrize("explain", [False, True])
def test_explained_and_plain_runs_agree(tmp_path: Path, explain: bool) -> None:
    dets = [(f"2020-0{k + 2}-0{k + 1}", 20 + 10 * k, True) for k in range(5)]
    facts = _facts(["2020-01-15", "2020-03-02"], dets, ("2020-02-25", "2020-04-05"))
    fast, plain = _both(tmp_path, facts, explain)
    assert fast == plain
    assert fast.count("deferral") >= 5


def _history(draw: Any) -> dict[str, Any]:
    start = datetime.date(2020, 1, 1)
    day = st.integers(0, 700).map(lambda n: (start + datetime.timedelta(days=n)).isoformat())
    reqs = draw(st.lists(day, min_size=1, max_size=3))
    dets = draw(st.lists(st.tuples(day, st.integers(1, 90), st.sampled_from(
        [True, True, False, None])), max_size=6))
    dets.sort(key=lambda det: det[0])
    window = sorted(draw(st.lists(day, min_size=2, max_size=2)), reverse=draw(st.booleans()))
    return _facts(reqs, dets, (window[0], window[1]))


@random_histories(30)
@given(st.data())
def test_random_histories_answer_as_the_plain_way_does(tmp_path: Path,
                                                       data: st.DataObject) -> None:
    facts = _history(data.draw)
    fast, plain = _both(tmp_path, facts)
    assert fast == plain


@given(st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)),
       st.integers(min_value=-3, max_value=400), st.booleans())
def test_walking_the_days_lists_what_adding_each_count_of_days_lists(
        first: datetime.date, n: int, backwards: bool) -> None:
    # compiler.walk_days steps a day at a time; the days it lists are first + i days, for i
    # in range(n) (backwards: the other way round), and none past the calendar's ends
    last = (datetime.date.max - first).days
    n = min(n, last + 1)  # dates(a, b) never asks for a day past the calendar's last
    expected = [first + datetime.timedelta(days=i) for i in range(n)]
    assert list(compiler.walk_days(first, n, backwards)) == (
        expected[::-1] if backwards else expected)


@given(st.lists(st.sampled_from([1, 2, "a", None]), max_size=4),
       st.lists(st.sampled_from([1, 2, "a", None]), max_size=4))
def test_same_but_last_is_the_comparison_of_the_slices(a: list[Any], b: list[Any]) -> None:
    # the recursion check (compiler._not_later) compares all arguments but the last
    assert compiler._same_but_last(tuple(a), tuple(b)) == (tuple(a)[:-1] == tuple(b)[:-1])
