"""A count compared with a number (`compiler._Compiler.count_cmp`) is decided as soon as it is
known, three-valued like `any`: once enough elements count, the elements that need missing facts
do not matter; when even counting all of those could not reach the number, neither.  The same
answers traced or not, the same as the full count wherever the full count is known, and the
reference below (counting by hand) everywhere."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rrdsl
from rrdsl import compiler
from rrdsl.report import explanation_text
from tests.test_engine import contract
from tests.test_prefix_sets import random_histories

#: the counts compared: a definition whose body is a count (`goods`, `others`, `flags`), a
#: count written in place, either way round; `>=`, `>`, `<`, `<=`; a qualitative event counted
COUNTS = '''
party Company
section 1 "Counts"
  event Item "an item" (size: int)
  qualitative event Flag "a flag on an item" (item: Item)
  fact ok(x: Item): bool "the item is good"
  define good(x: Item): bool "good: ok and of positive size" = ok(x) and x.size > 0
  define goods: int "the good items" = count(x for x in Item where good(x))
  define others(i: Item): int "the good items but one" =
    count(x for x in Item where x != i and good(x))
  define limit: int "the limit" = 2
  define flags(i: Item): int "the flags on an item" = count(f for f in Flag where f.item == i)
  clause two: Company shall "act once two items are good"
    upon Item i when goods >= limit within 30 days after i.date
  clause three: Company shall "act once more than two items are good"
    upon Item i when count(x for x in Item where good(x)) > limit within 30 days after i.date
  clause fewer: Company shall "act while fewer than two others are good"
    upon Item i when others(i) < 2 within 30 days after i.date
  clause at_most: Company shall "act while at most one other is good"
    upon Item i when 1 >= count(x for x in Item where x != i and good(x))
    within 30 days after i.date
  clause flagged: Company shall "act on a flagged item"
    upon Item i when flags(i) > 0 within 30 days after i.date
'''
AS_OF = datetime.date(2023, 1, 1)


def _facts(items: list[tuple[int, bool | None]], flags: list[int]) -> dict[str, Any]:
    """Items (size, ok or unknown), a day apart; flags on items (by index)."""
    start = datetime.date(2021, 1, 4)
    events: dict[str, Any] = {"Item": [
        {"id": f"i{n}", "date": (start + datetime.timedelta(days=n)).isoformat(), "size": size}
        for n, (size, _) in enumerate(items)]}
    if flags:
        events["Flag"] = [{"id": f"f{n}", "date": "2022-01-03", "item": f"i{k % len(items)}"}
                          for n, k in enumerate(flags)]
    return {"events": events,
            "facts": {"ok": {f"i{n}": ok for n, (_, ok) in enumerate(items) if ok is not None}}}


def _reference(items: list[tuple[int, bool | None]], flags: list[int]
               ) -> dict[str, bool | None]:
    """Each clause's condition by hand: True, False, or None (undetermined)."""
    def good(n: int) -> bool | None:
        size, ok = items[n]
        return False if size <= 0 else ok  # `and`: one false side decides it

    def at_least(k: int, which: list[int]) -> bool | None:
        known = sum(1 for n in which if good(n) is True)
        unknown = sum(1 for n in which if good(n) is None)
        if known >= k:
            return True
        if known + unknown < k:
            return False
        return None

    out: dict[str, bool | None] = {}
    everything = list(range(len(items)))
    for i in everything:
        rest = [n for n in everything if n != i]
        out[f"1.two[i{i}]"] = at_least(2, everything)
        out[f"1.three[i{i}]"] = at_least(3, everything)
        fewer = at_least(2, rest)
        out[f"1.fewer[i{i}]"] = None if fewer is None else not fewer
        at_most = at_least(2, rest)
        out[f"1.at_most[i{i}]"] = None if at_most is None else not at_most
        out[f"1.flagged[i{i}]"] = any(k % len(items) == i for k in flags)
    return out


def _conditions(c: rrdsl.Contract, facts: dict[str, Any], explain: bool = False,
                values: bool = True) -> dict[str, bool | None]:
    o = c.evaluate(c.facts_from_mapping(facts), AS_OF, explain=explain, values=values)
    seen = {"breached": True, "not_triggered": False, "undetermined": None}
    return {r.instance: seen[r.status] for r in o.norms}


def _full_count(tmp_path: Path) -> rrdsl.Contract:
    """The contract compiled with every count counted in full before it is compared."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiler._Compiler, "count_cmp", lambda self, e: None)
        return contract(tmp_path, COUNTS)


def test_two_known_decide_whatever_a_third_needs(tmp_path: Path) -> None:
    facts = _facts([(1, True), (1, True), (1, None)], [])
    c = contract(tmp_path, COUNTS)
    assert _conditions(c, facts) == _reference([(1, True), (1, True), (1, None)], [])
    got = _conditions(c, facts)
    assert got["1.two[i0]"] is True  # two good of three: at least two, whatever i2 is
    assert got["1.three[i0]"] is None  # more than two: it turns on i2
    assert got["1.fewer[i2]"] is False and got["1.fewer[i0]"] is None
    # counted in full, the count needs ok(i2) and so does every comparison of it
    full = _conditions(_full_count(tmp_path), facts)
    assert full["1.two[i0]"] is None
    o = c.evaluate(c.facts_from_mapping(facts), AS_OF, explain=True)
    assert [v.missing for v in o.values if v.label == "goods"] == [["ok(i2)"]]  # the number
    tree = explanation_text(next(r.explanation for r in o.norms if r.instance == "1.two[i0]"))
    assert "goods = at least 2" in tree and "ok(i2)" not in tree  # i2 was never read


def test_too_few_possible_decide_too(tmp_path: Path) -> None:
    items: list[tuple[int, bool | None]] = [(1, True), (1, None), (1, False)]
    c = contract(tmp_path, COUNTS)
    got = _conditions(c, _facts(items, []))
    assert got == _reference(items, [])
    assert got["1.three[i0]"] is False  # at most two of three can be good: not more than two
    o = c.evaluate(c.facts_from_mapping(_facts(items, [])), AS_OF, explain=True)
    tree = explanation_text(next(r.explanation for r in o.norms if r.instance == "1.two[i0]"))
    assert "undetermined" in tree
    tree = explanation_text(next(r.explanation for r in o.norms
                                 if r.instance == "1.fewer[i1]"))
    assert "others(i1) = 1" in tree  # counted to the end, nothing missing: the number itself


def test_a_count_stops_once_it_is_decided(tmp_path: Path) -> None:
    def asked(c: rrdsl.Contract) -> list[str]:
        """The items whose `good` is worked out, in turn, with 50 good items."""
        body = c.plan.defs["good"]
        seen: list[str] = []

        def counting(ctx: Any, env: dict[str, Any]) -> Any:
            seen.append(env["x"].id)
            return body(ctx, env)
        items: list[tuple[int, bool | None]] = [(1, True)] * 50
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(c.plan.defs, "good", counting)
            assert _conditions(c, _facts(items, []), values=False) == _reference(items, [])
        return seen
    # no comparison reads past what decides it: `goods >= 2` the first two items, `count > 2`
    # three, `others(i) < 2` the first two but i (three in all); each once (the memo)
    assert asked(contract(tmp_path, COUNTS)) == ["i0", "i1", "i2"]
    assert len(set(asked(_full_count(tmp_path)))) == 50  # counted in full: every item


@pytest.mark.parametrize("explain", [False, True])
@random_histories(60)
@given(st.data())
def test_random_items_answer_as_counted_by_hand(tmp_path: Path, explain: bool,
                                               data: st.DataObject) -> None:
    items = data.draw(st.lists(st.tuples(st.sampled_from([1, 1, 0]),
                                         st.sampled_from([True, False, None])),
                               min_size=1, max_size=6))
    flags = data.draw(st.lists(st.integers(0, 5), max_size=3))
    facts = _facts(items, flags)
    got = _conditions(contract(tmp_path, COUNTS), facts, explain)
    assert got == _reference(items, flags)
    # wherever the full count is known, the answer is the one it gives
    full = _conditions(_full_count(tmp_path), facts, explain)
    assert all(got[k] == v for k, v in full.items() if v is not None)
