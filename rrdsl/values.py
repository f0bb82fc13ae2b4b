"""Runtime values: events, durations, and how every value is shown to people and to tools.

Integers are `int`; money is `Decimal`; ratios are exact `Fraction`s; dates are
`datetime.date`; parties and enumeration members are `str`; sets are `frozenset`; maps are
`dict`; absence is `None`.
"""

from __future__ import annotations

import bisect
import datetime
import operator
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .types import Type


class EventValue:
    """One dated event of the fact set."""

    __slots__ = ("date", "fields", "id", "seq", "type")

    def __init__(self, type: str, id: str, date: datetime.date, fields: dict[str, Any],
                 seq: int):
        self.type = type
        self.id = id
        self.date = date
        self.fields = fields
        self.seq = seq

    def __repr__(self) -> str:
        return f"{self.type}({self.id}, {self.date})"

    def __lt__(self, other: EventValue) -> bool:  # (date, seq) < (other.date, other.seq)
        d, o = self.date, other.date
        return d < o or (d == o and self.seq < other.seq)


class History:
    """A fact's values over time, as the fact file dates them: each value holds from its day
    (`starts`) through its last day (`ends`, inclusive; None: until the next value, or on
    every later day).  On a day no value covers (before the first, or in a gap) the fact is
    missing.  `where`: each value's place in the fact file ("facts.toml:12"), for
    derivations."""

    __slots__ = ("ends", "starts", "values", "where")

    def __init__(self, starts: list[datetime.date], ends: list[datetime.date | None],
                 values: list[Any], where: list[str]):
        self.starts = starts
        self.ends = ends
        self.values = values
        self.where = where

    def index(self, day: datetime.date) -> int:
        """The position of the value in force on `day`, or -1 when none is."""
        i = bisect.bisect_right(self.starts, day) - 1
        if i < 0:
            return -1
        end = self.ends[i]
        return -1 if end is not None and day > end else i

    def changes(self) -> list[datetime.date]:
        """The days on which the fact's value may change: each value's first day, and the
        day after each last day."""
        out = list(self.starts)
        # a value that holds through the calendar's last day never changes after it
        out.extend(e + datetime.timedelta(days=1) for e in self.ends
                   if e is not None and e < datetime.date.max)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and (self.starts, self.ends, self.values) == (
            other.starts, other.ends, other.values)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{s}..{'' if e is None else e}: {v!r}"
                 for s, e, v in zip(self.starts, self.ends, self.values, strict=True)]
        return f"History({', '.join(parts)})"


#: The sort key of EventValue's order, (date, sequence), for sorting only events (in C).
event_order = operator.attrgetter("date", "seq")


class Duration:
    __slots__ = ("amount", "unit")

    def __init__(self, amount: int, unit: str):
        self.amount = amount
        self.unit = unit  # days | business_days | months | years

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Duration):
            return False
        return (self.amount, self.unit) == (other.amount, other.unit)

    def __hash__(self) -> int:
        return hash((self.amount, self.unit))

    def __str__(self) -> str:
        unit = self.unit.replace("_", " ")
        return f"{self.amount} {unit[:-1] if abs(self.amount) == 1 else unit}"


def money_text(v: Decimal) -> str:
    sign = "-" if v < 0 else ""
    v = abs(v)
    q = v.quantize(Decimal("0.01")) if v == v.quantize(Decimal("0.01")) else v
    whole, _, frac = f"{q:f}".partition(".")
    return f"{sign}${int(whole):,}" + (f".{frac}" if frac else "")


def ratio_text(v: Fraction) -> str:
    pct = v * 100
    if pct.denominator == 1:
        return f"{pct.numerator}%"
    d = Decimal(pct.numerator) / Decimal(pct.denominator)
    return f"{d.quantize(Decimal('0.0001')).normalize():f}% (exactly {v.numerator}/{v.denominator})"


def show(v: Any, t: Type | None = None) -> str:
    """A value as a person reads it."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    kind = t.inner.kind if t is not None else None
    if kind == "unrounded" or isinstance(v, Fraction):
        if t is not None and t.inner.kind == "unrounded" and t.inner.name == "money":
            return f"${float(v):,.6f} (unrounded, exactly {v})"
        if t is not None and t.inner.kind == "unrounded":
            return f"{v} (unrounded)"
        return ratio_text(v) if isinstance(v, Fraction) else str(v)
    if isinstance(v, Decimal):
        return money_text(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, EventValue):
        return f"{v.type} {v.id} of {v.date.isoformat()}"
    if isinstance(v, Duration):
        return str(v)
    if isinstance(v, (frozenset, set, tuple, list)):
        elem = t.inner.elem if t is not None and t.inner.kind == "set" else None
        items = sorted(show(x, elem) for x in v)
        return "{" + ", ".join(items) + "}" if items else "{}"
    if isinstance(v, dict):
        vt = t.inner.args[1] if t is not None and t.inner.kind == "map" else None
        pairs = sorted(v.items(), key=lambda kv: str(kv[0]))
        return ", ".join(f"{k}: {show(x, vt)}" for k, x in pairs) or "{}"
    return str(v)


def to_json(v: Any) -> Any:
    """A value in the JSON output: money and ratios as exact strings, dates as ISO strings."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, Decimal):
        return f"{v:f}"
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, EventValue):
        return {"event": v.type, "id": v.id, "date": v.date.isoformat()}
    if isinstance(v, Duration):
        return {"amount": v.amount, "unit": v.unit}
    if isinstance(v, (frozenset, set, tuple, list)):
        return sorted((to_json(x) for x in v), key=lambda x: str(x))
    if isinstance(v, dict):
        return {str(k if not isinstance(k, EventValue) else k.id): to_json(x)
                for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    return str(v)
