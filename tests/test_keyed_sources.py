"""Loops over one event type narrowed by their first comparison (`compiler._Compiler.keyed_source`):
`x == w` (the event w itself, if the context sees it), `x.f == w.g` (a field of a variable bound
outside), and `any(x == w and ... for x in E)` with no `where` (also `as of` a day).  Each must
give exactly what the loop over every event gives: the same answers, assumptions, missing facts
and errors, traced or not, on the toy below and on the Savvis agreement's generated histories."""

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

#: a request counts if it is approved and, on its own day (for an Other) or today (for a
#: Req), has fewer than two links; `every_req` is an `all`, which a false first comparison
#: decides, so it must not be narrowed; `known_on` looks for a Req in a day's context, which
#: does not see later ones; a Note is qualitative (every one is read)
KEYED = '''
party Company
section 1 "Keyed"
  event Req "a request" (size: int)
  event Other "another kind of request" (size: int)
  event Link "a link to a request" (req: Req or Other, size: int)
  qualitative event Note "a note on a request" (req: Req or Other)
  fact approved(q: Req or Other): bool "the request was approved"
  define big(q: Req or Other): bool "approved, with fewer than two links" =
    approved(q) and count(l for l in Link where l.req == q) < 2
  define counts(q: Req or Other): bool "a Req big today, or an Other big on its own day" =
    any(x == q and big(x) for x in Req) or any((x == q and big(x)) as of x.date for x in Other)
  define every_req(q: Req or Other): bool "every Req is this one, and big" =
    all(x == q and big(x) for x in Req)
  define twin(l: Link): bool "another link to the same request, a larger one" =
    any(y.req == l.req and y != l and y.size > l.size for y in Link)
  define known_on(q: Req or Other, d: date): bool "a Req seen by a day" =
    any(x == q for x in Req) as of d
  define noted(q: Req or Other): bool "a note on the request" =
    any(n.req == q and approved(q) for n in Note)
  clause register: Company shall "register the request"
    upon Req or Other q
    when counts(q)
    within 30 days after q.date
  clause link: Company may "merge the link"
    upon Link l where twin(l) and every_req(l.req) == false or known_on(l.req, l.date - 9 days)
  exception noted_request: suspends §1.register
    for q
    upon Note n where n.req == q and noted(q)
    because "a note"
'''


def _plain(tmp_path: Path, body: str) -> rrdsl.Contract:
    """The contract compiled with every loop over every event of its type."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "keyed_source", lambda self, src_e, where_e, var, src: None)
        return contract(tmp_path, body)


def _both(tmp_path: Path, facts: dict[str, Any], explain: bool = False) -> tuple[str, str]:
    fast, plain = contract(tmp_path, KEYED), _plain(tmp_path, KEYED)
    return _evaluate(fast, facts, explain), _evaluate(plain, facts, explain)


def _facts(reqs: list[tuple[str, str, bool | None]], links: list[tuple[str, int, int]],
           notes: list[tuple[str, int]]) -> dict[str, Any]:
    """Requests (date, kind, approved or unknown); links (date, request index, size); notes
    (date, request index)."""
    ids = [f"{kind[0].lower()}{i}" for i, (_, kind, _) in enumerate(reqs)]
    events: dict[str, list[dict[str, Any]]] = {"Req": [], "Other": [], "Link": [], "Note": []}
    for i, (day, kind, _) in enumerate(reqs):
        events[kind].append({"id": ids[i], "date": day, "size": i + 1})
    for j, (day, k, size) in enumerate(links):
        events["Link"].append({"id": f"l{j}", "date": day, "req": ids[k % len(ids)],
                               "size": size})
    for j, (day, k) in enumerate(notes):
        events["Note"].append({"id": f"n{j}", "date": day, "req": ids[k % len(ids)]})
    return {"events": {t: sorted(v, key=lambda e: e["date"]) for t, v in events.items() if v},
            "facts": {"approved": {ids[i]: ok for i, (_, _, ok) in enumerate(reqs)
                                   if ok is not None}}}


def test_the_narrowed_loops_are_taken(tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []
    keyed_events = compiler._keyed_events

    def recording(ctx: Any, name: str, field: str | None, key: Any) -> Any:
        seen.append((name, field))
        return keyed_events(ctx, name, field, key)
    facts = _facts([("2021-01-04", "Req", True), ("2021-02-01", "Other", True)],
                   [("2021-01-10", 0, 5), ("2021-03-01", 1, 7), ("2021-03-02", 1, 9)],
                   [("2021-01-20", 0)])
    c = contract(tmp_path, KEYED)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler, "_keyed_events", recording)
        c.evaluate(c.facts_from_mapping(facts), datetime.date(2023, 1, 1))
    # x == q in `counts` (both loops), y.req == l.req in `twin`, l.req == q in `big`; not the
    # `all` of every_req, nor the qualitative Note
    assert {("Req", None), ("Other", None), ("Link", "req")} <= set(seen), seen
    assert not any(name == "Note" for name, _ in seen)


def test_an_other_is_judged_on_its_own_day(tmp_path: Path) -> None:
    # o1's third link comes after its day: big as of its day, not today; r0 has two links today
    facts = _facts([("2021-01-04", "Req", True), ("2021-02-01", "Other", True)],
                   [("2021-01-10", 0, 5), ("2021-01-11", 0, 6), ("2021-01-30", 1, 7),
                    ("2021-03-01", 1, 9)],
                   [])
    fast, plain = _both(tmp_path, facts)
    assert fast == plain
    c = contract(tmp_path, KEYED)
    o = c.evaluate(c.facts_from_mapping(facts), datetime.date(2023, 1, 1))
    status = {r.instance: r.status for r in o.norms}
    assert status["1.register[r0]"] == "not_triggered"  # two links today
    assert status["1.register[o1]"] == "breached"  # one link on its day, two today


def test_a_missing_fact_and_a_note(tmp_path: Path) -> None:
    facts = _facts([("2021-01-04", "Req", None), ("2021-02-01", "Other", True),
                    ("2021-02-03", "Req", True)],
                   [("2021-02-10", 2, 5), ("2021-02-11", 2, 8)],
                   [("2021-01-20", 2), ("2021-02-20", 1)])
    fast, plain = _both(tmp_path, facts)
    assert fast == plain
    assert "approved(r0)" in fast and "noted_request" in fast


@pytest.mark.parametrize("explain", [False, True])
def test_explained_and_plain_runs_agree(tmp_path: Path, explain: bool) -> None:
    facts = _facts([("2021-01-04", "Req", True), ("2021-02-01", "Other", False),
                    ("2021-02-03", "Req", True)],
                   [("2021-02-10", 2, 5), ("2021-02-11", 2, 8), ("2021-02-12", 0, 1)],
                   [("2021-02-20", 0)])
    fast, plain = _both(tmp_path, facts, explain)
    assert fast == plain


def _history(draw: Any) -> dict[str, Any]:
    start = datetime.date(2021, 1, 1)
    day = st.integers(0, 700).map(lambda n: (start + datetime.timedelta(days=n)).isoformat())
    reqs = draw(st.lists(st.tuples(day, st.sampled_from(["Req", "Other"]),
                                   st.sampled_from([True, True, False, None])),
                         min_size=1, max_size=5))
    links = draw(st.lists(st.tuples(day, st.integers(0, 4), st.integers(1, 9)), max_size=8))
    notes = draw(st.lists(st.tuples(day, st.integers(0, 4)), max_size=3))
    return _facts(reqs, links, notes)


@random_histories(30)
@given(st.data())
def test_random_histories_answer_as_the_plain_way_does(tmp_path: Path,
                                                       data: st.DataObject) -> None:
    facts = _history(data.draw)
    fast, plain = _both(tmp_path, facts)
    assert fast == plain


def test_the_agreement_on_long_histories(tmp_path: Path) -> None:
    """The Savvis agreement (its first slice's sections and the rest) on generated histories
    ten times as long, in the same years and over ten times the years, answers byte for byte
    as with every loop over every event."""
    from bench.generate import generate
    from rrdsl.report import dumps, outcome_json

    root = Path(__file__).resolve().parents[1]
    path = root / "contracts" / "savvis_2001.rrd"
    fast = rrdsl.load(path)
    with pytest.MonkeyPatch.context() as mp:  # compiled as it is loaded
        mp.setattr(compiler._Compiler, "keyed_source", lambda self, src_e, where_e, var, src: None)
        plain = rrdsl.load(path)
    data = generate(3, 7, scale=10) + generate(3, 7, scale=10, years=True)
    for i, d in enumerate(data):
        a = dumps(outcome_json(fast.evaluate(fast.facts_from_mapping(d), values=True)))
        b = dumps(outcome_json(plain.evaluate(plain.facts_from_mapping(d), values=True)))
        assert a == b, f"history {i}"
