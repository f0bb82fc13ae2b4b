"""Allocation with caps, tiers and a reserve: properties checked with hypothesis (issue 17).

`allocate(T among h in S by WEIGHT [limited to CAP] [ranked by RANK] [reserving F for COND]
rounding MODE)`: docs/language.md §7.2, rrdsl/allocation.py.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import rrdsl
from rrdsl.allocation import Holder, allocate
from rrdsl.compiler import allocate as plain_allocate

holder_st = st.builds(
    lambda i, w, c, r, res: Holder(f"H{i}", w, c, r, res),
    st.integers(0, 0), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 60)),
    st.integers(0, 3), st.booleans())


@st.composite
def holders(draw: st.DrawFn) -> list[Holder]:
    hs = draw(st.lists(holder_st, min_size=1, max_size=7))
    return [Holder(f"H{i}", h.weight, h.cap, h.rank, h.reserved) for i, h in enumerate(hs)]


def _can_take(hs: list[Holder], total: int) -> int:
    """What can be allocated: the total, or less when every holder that can take any is
    capped (a holder of weight 0 takes nothing)."""
    takers = [h for h in hs if h.weight > 0 and (h.cap is None or h.cap > 0)]
    if not takers or total <= 0:
        return 0
    if all(h.cap is not None for h in takers):
        return min(total, sum(h.cap for h in takers if h.cap is not None))
    return total


@settings(max_examples=400, deadline=None)
@given(holders(), st.integers(-5, 300), st.one_of(st.none(), st.integers(0, 200)))
def test_largest_remainder_conserves_within_caps(hs: list[Holder], total: int,
                                                 floor: int | None) -> None:
    out = allocate(total, hs, "largest_remainder", floor)
    assert set(out) == {h.key for h in hs}
    assert sum(out.values()) == _can_take(hs, total)
    for h in hs:
        assert out[h.key] >= 0
        assert h.cap is None or out[h.key] <= h.cap
        if h.weight == 0:
            assert out[h.key] == 0


@settings(max_examples=400, deadline=None)
@given(holders(), st.integers(0, 300))
def test_a_tier_gets_nothing_until_the_tiers_before_it_are_full(hs: list[Holder],
                                                                total: int) -> None:
    out = allocate(total, hs, "largest_remainder")
    for low in hs:
        for high in hs:
            if high.rank > low.rank and out[high.key] > 0 and low.weight > 0:
                assert low.cap is not None and out[low.key] == low.cap


@settings(max_examples=400, deadline=None)
@given(holders(), st.integers(0, 300), st.integers(0, 200))
def test_the_reserve_goes_first_to_its_holders(hs: list[Holder], total: int,
                                               floor: int) -> None:
    out = allocate(total, hs, "largest_remainder", floor)
    group = [h for h in hs if h.reserved and h.weight > 0]
    room = _can_take(group, 10**9) if group else 0
    owed = min(floor, _can_take(hs, total), room)
    # rounding moves at most a unit per holder of the group
    assert sum(out[h.key] for h in group) >= owed - len(group)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=6), st.integers(-3, 400),
       st.sampled_from(["largest_remainder", "down"]))
def test_without_options_it_is_the_plain_pro_rata_division(weights: list[int], total: int,
                                                          rounding: str) -> None:
    hs = [Holder(f"H{i}", w) for i, w in enumerate(weights)]
    assert allocate(total, hs, rounding) == plain_allocate(
        total, [(h.key, h.weight) for h in hs], rounding)



@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(-20, 60)), min_size=1, max_size=7),
       st.integers(-3, 1000), st.sampled_from(["largest_remainder", "down"]))
def test_the_whole_number_division_is_the_exact_one(pairs: list[tuple[int, int]], total: int,
                                                   rounding: str) -> None:
    """`compiler.allocate` divides whole weights of a positive sum in whole numbers (a floor
    and a remainder each): the answer of the division with exact fractions, also with
    repeated names, negative weights and ties."""
    from rrdsl import compiler

    weights = [(f"H{k}", w) for k, w in pairs]
    wsum = sum(w for _, w in weights)
    if wsum <= 0 or total <= 0:
        return
    assert compiler.allocate(total, weights, rounding) == compiler._allocate_exactly(
        total, weights, wsum, rounding)

@settings(max_examples=300, deadline=None)
@given(holders(), st.integers(0, 300))
def test_down_keeps_the_floors_of_the_exact_shares(hs: list[Holder], total: int) -> None:
    down = allocate(total, hs, "down")
    exact = allocate(total, hs, "largest_remainder")
    for h in hs:
        assert exact[h.key] - 1 <= down[h.key] <= exact[h.key]
    assert sum(down.values()) <= sum(exact.values())


def test_a_tiered_cutback_with_a_floor_in_the_language(tmp_path: Path) -> None:
    """Holders other than the Investors are cut first; the Investors keep at least 25% of the
    offering; nobody gets more than it asked for."""
    (tmp_path / "c.rrd").write_text('''agreement toy "Toy" dated 2001-01-01

party Company "the Company"
role Holder "the Holders"

section 1 "Cutback"
  fact requested(h: Holder): shares "shares requested"
  fact investor(h: Holder): bool "an Investor"
  fact limit: shares "the underwriter's limit"
  define cut: map of Holder to shares "shares each holder may include" =
    allocate(limit
             among h in Holder
             by requested(h)
             limited to requested(h)
             ranked by if investor(h) then 1 else 2
             reserving round(limit * 25%, down)
             for investor(h)
             rounding largest_remainder)
''', encoding="utf-8")
    c = rrdsl.load(tmp_path / "c.rrd")

    def cut(requested: dict[str, int], investors: set[str], limit: int) -> dict[str, int]:
        facts = c.facts_from_mapping({
            "parties": dict.fromkeys(requested, "Holder"),
            "facts": {"requested": requested, "limit": limit,
                      "investor": {h: h in investors for h in requested}}})
        [v] = [v for v in c.evaluate(facts, datetime.date(2001, 6, 1)).values
               if v.label == "cut"]
        return dict(v.value)

    # the Investors first, each within what it asked; the others take the rest
    assert cut({"A": 300, "B": 100, "C": 1000}, {"A", "B"}, 1000) == {"A": 300, "B": 100,
                                                                      "C": 600}
    # the Investors cannot fill the limit: the others get the rest, pro rata
    assert cut({"A": 100, "C": 500, "D": 1500}, {"A"}, 1000) == {"A": 100, "C": 225, "D": 675}
    # a tie in the remainders: the larger weight, then the name that sorts first
    assert cut({"A": 1, "B": 1, "C": 1}, set(), 2) == {"A": 1, "B": 1, "C": 0}
