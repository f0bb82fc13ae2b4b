"""Types of the clause language: what the checker assigns to every expression.

Integers (`int`, `shares`), money (`Decimal`), ratios (exact fractions), dates, durations,
booleans, text, enumerations, parties of a role, events, sets, maps and optional values.
"""

from __future__ import annotations

import attrs

NUMERIC = frozenset({"int", "shares", "money", "ratio", "unrounded"})
PRIMITIVES = ("bool", "int", "shares", "money", "ratio", "date", "text", "duration")


@attrs.frozen
class Type:
    """A type. `kind` is a primitive name or enum, party, event, set, map, opt, unrounded, none,
    nothing (the element type of an empty set)."""

    kind: str
    name: str | None = None  # enum name, party role, unrounded base
    names: frozenset[str] = frozenset()  # event type names; empty = any event
    args: tuple[Type, ...] = ()

    def __str__(self) -> str:
        k = self.kind
        if k == "enum" or k == "party":
            return self.name or "party"
        if k == "event":
            return " or ".join(sorted(self.names)) if self.names else "event"
        if k == "set":
            return f"set of {self.args[0]}"
        if k == "map":
            return f"map of {self.args[0]} to {self.args[1]}"
        if k == "opt":
            return f"{self.args[0]}?"
        if k == "unrounded":
            return f"unrounded {self.name}"
        return k

    @property
    def elem(self) -> Type:
        return self.args[0]

    @property
    def inner(self) -> Type:
        """The type without optionality."""
        return self.args[0] if self.kind == "opt" else self

    @property
    def optional(self) -> bool:
        return self.kind in ("opt", "none")


def prim(kind: str) -> Type:
    return Type(kind)


BOOL, INT, SHARES, MONEY, RATIO = (prim(k) for k in ("bool", "int", "shares", "money", "ratio"))
DATE, TEXT, DURATION = prim("date"), prim("text"), prim("duration")
NONE, NOTHING = prim("none"), prim("nothing")
ANY_PARTY = Type("party")
ANY_EVENT = Type("event")


def enum_t(name: str) -> Type:
    return Type("enum", name)


def party_t(role: str | None) -> Type:
    return Type("party", role)


def event_t(*names: str) -> Type:
    return Type("event", None, frozenset(names))


def set_t(elem: Type) -> Type:
    return Type("set", args=(elem,))


def map_t(key: Type, value: Type) -> Type:
    return Type("map", args=(key, value))


def opt_t(inner: Type) -> Type:
    if inner.kind in ("opt", "none"):
        return inner
    return Type("opt", args=(inner,))


def unrounded(base: str) -> Type:
    return Type("unrounded", base)


def is_integer(t: Type) -> bool:
    return t.kind in ("int", "shares")


def assignable(src: Type, dst: Type) -> bool:
    """May a value of type `src` stand where `dst` is expected?"""
    if src == dst:
        return True
    if dst.kind == "opt":
        return src.kind == "none" or assignable(src.inner, dst.inner)
    if src.kind == "nothing":
        return True
    if is_integer(src) and is_integer(dst):
        return True
    if src.kind == "int" and dst.kind in ("money", "ratio"):
        return True
    if src.kind == "party" and dst.kind == "party":
        return dst.name is None or src.name == dst.name
    if src.kind == "event" and dst.kind == "event":
        return not dst.names or (bool(src.names) and src.names <= dst.names)
    if src.kind == "set" and dst.kind == "set":
        return assignable(src.elem, dst.elem)
    if src.kind == "map" and dst.kind == "map":
        return assignable(src.args[0], dst.args[0]) and assignable(src.args[1], dst.args[1])
    return False


def join(a: Type, b: Type) -> Type | None:
    """The least type both `a` and `b` fit, or None when they do not mix."""
    if assignable(a, b):
        return b
    if assignable(b, a):
        return a
    if a.kind == "none":
        return opt_t(b)
    if b.kind == "none":
        return opt_t(a)
    if a.optional or b.optional:
        j = join(a.inner, b.inner)
        return opt_t(j) if j else None
    if a.kind == "party" and b.kind == "party":
        return ANY_PARTY
    if a.kind == "event" and b.kind == "event":
        if a.names and b.names:
            return Type("event", None, a.names | b.names)
        return ANY_EVENT
    if a.kind == "set" and b.kind == "set":
        e = join(a.elem, b.elem)
        return set_t(e) if e else None
    # an unrounded number and a rounded one of its kind (or an int): still unrounded
    for u, other in ((a, b), (b, a)):
        if u.kind == "unrounded" and u.name is not None and other.kind != "unrounded" \
                and assignable(other, Type(u.name)):
            return u
    return None


def comparable(a: Type, b: Type) -> bool:
    """May `a < b` be asked? Numbers of one kind, dates, texts, events; none compares false.
    Durations are not ordered: 1 month and 30 days have no fixed order."""
    a, b = a.inner, b.inner
    if a.kind == "none" or b.kind == "none":
        return True
    if is_integer(a) and is_integer(b):
        return True
    ka = a.name if a.kind == "unrounded" else a.kind
    kb = b.name if b.kind == "unrounded" else b.kind
    if {ka, kb} <= {"money", "int"} and "money" in (ka, kb):
        return True
    if {ka, kb} <= {"ratio", "int"}:
        return True
    if {ka, kb} <= {"shares", "int"}:
        return True
    # two events: the earlier-dated first, on one day the one the fact file lists first
    return ka == kb and ka in ("money", "ratio", "date", "text", "event")
