"""Recursion on earlier events with other arguments fixed (language.md §3.6): a definition whose
parameters are all events recurses on its last one, for the same other arguments."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from rrdsl.diagnostics import CheckErrors, RrdslError
from tests.test_engine import D, _walk, answer, contract, run

#: Each request has its own two delays in twelve months: `delays(q, m)` reads the same
#: definition of the same request for the earlier determinations
PER_REQUEST = '''
party Company
section 1 "Deferrals"
  event Req "a request"
  qualitative event Det "a determination" (days: int)
  define delays(q: Req, m: Det): bool "the determination delays the request" =
    q.date <= m.date and count(prior(q, m)) < 2 and used(q, m) + m.days <= 90
  define prior(q: Req, m: Det): set of Det "the request's delays in the twelve months before" =
    {x for x in Det where x < m and x.date > m.date - 12 months and delays(q, x)}
  define used(q: Req, m: Det): int "the request's days of delay in the twelve months before" =
    sum(x.days for x in prior(q, m))
  define delayed(m: Det): bool "the determination delays some request" =
    any(delays(q, m) for q in Req)
  clause defer: Company may "defer" upon Det m where delayed(m)
'''

REQUESTS = [{"id": "r1", "date": "2020-01-10"}, {"id": "r2", "date": "2020-03-10"}]
DETERMINATIONS = [
    {"id": "d1", "date": "2020-02-01", "days": 10},  # r1's first
    {"id": "d2", "date": "2020-03-01", "days": 10},  # r1's second
    {"id": "d3", "date": "2020-04-01", "days": 10},  # r1's third (no), r2's first
    {"id": "d4", "date": "2020-05-01", "days": 10},  # r1's third (no), r2's second
    {"id": "d5", "date": "2020-06-01", "days": 10},  # a third for both: delays nothing
]


@pytest.mark.parametrize("explain", [False, True])
def test_a_definition_of_two_events_recurses_on_its_last(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, PER_REQUEST)
    assert c.ir.recursion == (("delays", "prior", "used"),)
    o = c.evaluate(c.facts_from_mapping({"events": {"Req": REQUESTS, "Det": DETERMINATIONS}}),
                   D(2020, 12, 1), explain=explain)
    got = {v.label: v.value for v in o.values}
    assert [got[f"delays(r1, d{k})"] for k in range(1, 6)] == [True, True, False, False, False]
    assert [got[f"delays(r2, d{k})"] for k in range(1, 6)] == [False, False, True, True, False]
    assert [got[f"delayed(d{k})"] for k in range(1, 6)] == [True, True, True, True, False]
    assert answer(o, "1.defer[d5]").status == "not_triggered"
    # r2's second rests on its first, and on r1's determinations read to find it
    assert answer(o, "1.defer[d4]").assumptions == ["Det d1", "Det d2", "Det d3", "Det d4"]
    if explain:
        step = next(v.explanation for v in o.values if v.label == "delays(r2, d4)")
        assert step is not None
        notes = {n.note for n in _walk(step) if n.label == "delays(r2, d3)"}
        assert notes == {"derived for the earlier Det d3"}


def test_traced_and_untraced_give_the_same_answers(tmp_path: Path) -> None:
    c = contract(tmp_path, PER_REQUEST)
    facts = c.facts_from_mapping({"events": {"Req": REQUESTS, "Det": DETERMINATIONS}})
    plain, traced = (c.evaluate(facts, D(2020, 12, 1), explain=e) for e in (False, True))
    assert [(v.label, v.value) for v in plain.values] == [
        (v.label, v.value) for v in traced.values]
    assert [(r.instance, r.status, r.assumptions) for r in plain.norms] == [
        (r.instance, r.status, r.assumptions) for r in traced.norms]


@pytest.mark.parametrize(("other", "computing"), [
    ("all(first(p, m) for p in Req where p < q)", "first(r2, d1)"),  # the same determination
    ("all(all(first(p, x) for x in Det where x < m) for p in Req where p < q)",
     "first(r2, d2)"),  # an earlier one
])
def test_the_other_arguments_stay_those_of_the_computation(tmp_path: Path, other: str,
                                                           computing: str) -> None:
    # recursion keeps the request: a use for another request (for the same determination or
    # an earlier one) could nest once for every request, past the bound on the depth
    c = contract(tmp_path, f'''
party Company
section 1 "S"
  event Req "a request"
  event Det "a determination"
  define first(q: Req, m: Det): bool =
    {other} and not any(x < m and first(q, x) for x in Det)
''')
    reqs = [{"id": "r1", "date": "2020-01-01"}, {"id": "r2", "date": "2020-01-02"}]
    dets = [{"id": "d1", "date": "2020-02-01"}, {"id": "d2", "date": "2020-02-02"}]
    with pytest.raises(RrdslError) as info:
        run(c, {"events": {"Req": reqs, "Det": dets}}, D(2020, 3, 1))
    (d,) = info.value.diagnostics
    assert d.code == "E603"
    assert d.message == (f"recursive use of 'first(r1, d1)' while computing '{computing}': "
                         "the arguments before the last differ")


@pytest.mark.parametrize(("where", "message"), [
    ("x > m", "recursive use of 'total' for a later event: Det d2 (2020-02-01), while "
              "computing for Det d1 (2020-01-01)"),
    ("x == m", "recursive use of 'total(r1, d1)' to compute itself"),
])
def test_two_event_recursion_must_go_back_in_time(tmp_path: Path, where: str,
                                                  message: str) -> None:
    c = contract(tmp_path, f'''
party Company
section 1 "S"
  event Req "a request"
  event Det "a determination" (days: int)
  define total(q: Req, m: Det): int = m.days + sum(total(q, x) for x in Det where {where})
''')
    dets = [{"id": "d1", "date": "2020-01-01", "days": 1},
            {"id": "d2", "date": "2020-02-01", "days": 2}]
    with pytest.raises(RrdslError) as info:
        run(c, {"events": {"Req": [{"id": "r1", "date": "2019-12-01"}], "Det": dets}},
            D(2020, 6, 1))
    (d,) = info.value.diagnostics
    assert (d.code, d.message) == ("E603", message)
    assert d.span is not None and d.span.line == 7


def _e401(tmp_path: Path, body: str) -> tuple[str, tuple[str, ...]]:
    with pytest.raises(CheckErrors) as info:
        contract(tmp_path, body)
    (d,) = info.value.diagnostics
    return f"{d.code} {d.message}", tuple(d.hints)


def test_a_cycle_with_no_definition_of_events_alone_is_e401(tmp_path: Path) -> None:
    # `a(m, k)` and `b(m, k)` have a parameter that is no event: neither steps on m
    msg, hints = _e401(tmp_path, '''
party Company
section 1 "S"
  event Det "a determination"
  define a(m: Det, k: int): int = b(m, k)
  define b(m: Det, k: int): int = sum(a(x, k) for x in Det where x < m)
''')
    assert msg == "E401 definitions refer to each other in a cycle: a → b → a"
    assert hints[0] == ("the cycle through 'a', 'b' passes through no definition whose "
                        "parameters are all events (recursion steps on the last of them, for "
                        "earlier events)")
    msg, hints = _e401(tmp_path, '''
party Company
section 1 "S"
  event Det "a determination"
  define a(m: Det): int = b
  define b: int = sum(a(x) for x in Det)
''')
    assert msg == "E401 definitions refer to each other in a cycle: a → b → a"
    assert hints[0] == "'b' has no event parameter: every definition of a recursive cycle needs one"


def test_the_stepping_definitions_of_a_cycle_share_their_other_parameters(
        tmp_path: Path) -> None:
    msg, hints = _e401(tmp_path, '''
party Company
section 1 "S"
  event Req "a request"
  event Det "a determination"
  define a(q: Req, m: Det): int = sum(b(x) for x in Det where x < m)
  define b(m: Det): int = sum(a(q, m) for q in Req)
''')
    assert msg == "E401 definitions refer to each other in a cycle: a → b → a"
    assert hints[0] == ("'a' and 'b' recurse on their last parameters but differ in the "
                        "others: the recursion keeps those, so they must be the same")


def test_two_event_recursion_over_many_events_stays_shallow(tmp_path: Path) -> None:
    # 2,000 determinations, each using the same request's value for the day before: computed
    # on the earlier determinations first, the last goes no deeper than the first
    c = contract(tmp_path, '''
party Company
section 1 "S"
  event Req "a request"
  event Det "a determination" (days: int)
  define total(q: Req, m: Det): int =
    m.days + sum(total(q, x) for x in Det where x < m and x.date == m.date - 1 day)
  clause act: Company may "act" upon Det m where m.days > 1
    with "so far" = sum(total(q, m) for q in Req)
''')
    dets: list[dict[str, Any]] = [
        {"id": f"d{k}", "date": (D(2020, 1, 1) + datetime.timedelta(days=k)).isoformat(),
         "days": 2 if k == 1999 else 1} for k in range(2000)]
    reqs = [{"id": "r1", "date": "2019-01-01"}, {"id": "r2", "date": "2019-01-02"}]
    o = c.evaluate(c.facts_from_mapping({"events": {"Req": reqs, "Det": dets}}),
                   D(2030, 1, 1), values=False)
    assert answer(o, "1.act[d1999]").withs[0][1] == 2 * 2001


def test_the_events_before_a_bound_event_are_those_every_event_gives(tmp_path: Path) -> None:
    # `x for x in E where x < m ...` reads E's events before m by bisection (untraced): the
    # same answers as the traced run, which reads every event, for each way of writing it,
    # on events of one day in the file's order, and with the assumptions of a qualitative type
    c = contract(tmp_path, '''
party Company
section 1 "S"
  event Det "a determination" (days: int)
  qualitative event Q "a qualitative determination" (days: int)
  define before(m: Det): int = sum(x.days for x in Det where x < m)
  define upto(m: Det): int = count(x for x in Det where x <= m and x.days > 0)
  define under(m: Det): set of Det = {x for x in Det where m > x}
  define reach(m: Det): bool = any(x.days > 1 for x in Det where m >= x)
  define qbefore(m: Q): int = sum(x.days for x in Q where x < m)
  clause act: Company may "act" upon Q m where qbefore(m) > 1
''')
    dets = [{"id": "a", "date": "2020-01-01", "days": 1},
            {"id": "b", "date": "2020-01-01", "days": 2},
            {"id": "c", "date": "2020-02-01", "days": 0},
            {"id": "d", "date": "2020-03-01", "days": 4}]
    qs = [{**d, "id": "q" + d["id"]} for d in dets]
    facts = c.facts_from_mapping({"events": {"Det": dets, "Q": qs}})
    plain, traced = (c.evaluate(facts, D(2020, 12, 1), explain=e) for e in (False, True))
    got = {v.label: v.value for v in plain.values}
    assert [got[f"before({k})"] for k in "abcd"] == [0, 1, 3, 3]
    assert [got[f"upto({k})"] for k in "abcd"] == [1, 2, 2, 3]
    assert [len(got[f"under({k})"]) for k in "abcd"] == [0, 1, 2, 3]
    assert [got[f"reach({k})"] for k in "abcd"] == [False, True, True, True]
    assert [(v.label, v.value) for v in plain.values] == [
        (v.label, v.value) for v in traced.values]
    assert [(r.instance, r.status, r.assumptions) for r in plain.norms] == [
        (r.instance, r.status, r.assumptions) for r in traced.norms]
    assert answer(plain, "1.act[qc]").assumptions == ["Q qa", "Q qb", "Q qc"]  # on its day
