"""Allocation: a total divided among holders pro rata, with caps, tiers and a reserved floor.

    allocate(TOTAL among h in S by WEIGHT
             [limited to CAP] [ranked by RANK] [reserving FLOOR for CONDITION]
             rounding largest_remainder|down)

Computed exactly (fractions), then rounded once:

1. **What can be allocated**: `TOTAL`, or, with caps, no more than the caps add up to.
2. **The reserve** (`reserving FLOOR for CONDITION`): the holders meeting the condition get
   `FLOOR` between them first (no more than what can be allocated, nor than their caps), pro
   rata by weight, each within its cap.
3. **The tiers** (`ranked by RANK`): what is left goes to the holders of the lowest rank, pro
   rata by weight, each within what is left of its cap; what they cannot take goes to the next
   rank, and so on. Without ranks, every holder is of one rank.
4. **Within a rank (or the reserve)**: pro rata by weight; a holder whose share would pass
   its cap gets its cap, and the rest is divided again among the others ("water-filling").
   Holders of weight 0 get nothing.
5. **Rounding**, once, over the whole allocation: each holder gets the whole-unit floor of
   its exact share; `largest_remainder` then gives the units left over one each to the largest
   fractional remainders (ties: the larger weight, then the name that sorts first), so the
   allocation sums exactly to what was allocated; `down` keeps the floors. No holder ever
   gets more than its cap (a cap is a whole number of units, and only a holder with a
   fractional share gets a unit more).

A negative or zero total, cap or floor counts as zero. Units are whole shares, or whole cents
for money (the caller converts).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from fractions import Fraction

import attrs


@attrs.frozen
class Holder:
    """One holder of an allocation: its weight, cap (None: none) and rank, and whether the
    reserve is for it."""

    key: Hashable
    weight: int
    cap: int | None = None
    rank: int = 0
    reserved: bool = False


def allocate(total: int, holders: Sequence[Holder], rounding: str,
             floor: int | None = None) -> dict[Hashable, int]:
    """The whole units each holder gets (see the module's description)."""
    out: dict[Hashable, int] = {h.key: 0 for h in holders}
    if total <= 0 or not holders:
        return out
    room: dict[Hashable, Fraction | None] = {
        h.key: None if h.cap is None else Fraction(max(h.cap, 0)) for h in holders}
    left = Fraction(total)
    caps = [room[h.key] for h in holders if h.weight > 0]
    if caps and all(c is not None for c in caps):
        left = min(left, sum((c for c in caps if c is not None), Fraction(0)))
    exact: dict[Hashable, Fraction] = {h.key: Fraction(0) for h in holders}
    if floor is not None and floor > 0:
        group = [h for h in holders if h.reserved]
        given = _fill(min(Fraction(floor), left), group, room, exact)
        left -= given
    for rank in sorted({h.rank for h in holders}):
        if left <= 0:
            break
        tier = [h for h in holders if h.rank == rank]
        left -= _fill(left, tier, room, exact)
    whole = {k: v.numerator // v.denominator for k, v in exact.items()}
    if rounding == "largest_remainder":
        allocated = sum(exact.values(), Fraction(0))
        spare = int(allocated) - sum(whole.values())
        weight = {h.key: h.weight for h in holders}
        order = sorted((k for k in exact if exact[k] != whole[k]),
                       key=lambda k: (-(exact[k] - whole[k]), -weight[k], str(k)))
        for k in order[:spare]:
            whole[k] += 1
    out.update(whole)
    return out


def _open(room: Fraction | None) -> bool:
    return room is None or room > 0


def _fill(amount: Fraction, holders: Sequence[Holder],
          room: dict[Hashable, Fraction | None], exact: dict[Hashable, Fraction]) -> Fraction:
    """Divide up to `amount` among the holders pro rata by weight, each within its room;
    returns what was given (less than `amount` when their rooms fill or all weigh 0)."""
    active = [h for h in holders if h.weight > 0 and _open(room[h.key])]
    todo = amount
    while todo > 0 and active:
        weights = sum(h.weight for h in active)
        full = [h for h in active
                if (r := room[h.key]) is not None and todo * h.weight / weights >= r]
        if not full:
            for h in active:
                share = todo * h.weight / weights
                exact[h.key] += share
                r = room[h.key]
                if r is not None:
                    room[h.key] = r - share
            todo = Fraction(0)
            break
        for h in full:
            r = room[h.key]
            assert r is not None
            exact[h.key] += r
            todo -= r
            room[h.key] = Fraction(0)
        active = [h for h in active if h not in full]
    return amount - todo
