"""Compiler stage: `ir.Contract` → `Plan`, every expression compiled once into a closure.

A closure takes `(ctx, env)` — the evaluation context and the local bindings — and returns a
value or raises `Missing`. No Python source is generated; nothing is `exec`uted.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import heapq
import itertools
import operator
from collections.abc import Callable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any, NoReturn, TypeVar

from . import ir
from .allocation import Holder
from .allocation import allocate as allocate_holders
from .diagnostics import SOURCES, Span
from .runtime import OWN_DAY, Ctx, EvalFailure, Missing, Node
from .runtime import _event_date as _EVENT_DATE  # an event's date, for bisect
from .types import Type
from .values import Duration, EventValue, History, event_order, show

_T = TypeVar("_T")

Fn = Callable[[Ctx, dict[str, Any]], Any]
#: An order comparison with its operands swapped: `w > x` is `x < w`.
_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
#: The order comparisons, as functions.
_ORDERS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}

_NOTHING = object()
_NO_NOTES: frozenset[str] = frozenset()
MAX_DATES = 3660  # dates(a, b) lists at most ten years of days


def _ordered(xs: Any) -> Any:
    """A set's elements in sorted order, so that what an evaluation reads first (and so which
    missing fact it names, which assumption it notes, the order of a derivation's steps) does
    not depend on Python's hash seed; any other collection as it is (lists of events are
    already in date order)."""
    if type(xs) is frozenset or type(xs) is set:
        return sorted(xs) if len(xs) > 1 else xs
    return xs


def snippet(span: Span | None) -> str:
    """The source text an expression was written as (one line, spaces folded)."""
    if span is None:
        return "?"
    parts = []
    for n in range(span.line, span.end_line + 1):
        line = SOURCES.line(span.file, n) or ""
        start = span.col - 1 if n == span.line else 0
        end = span.end_col - 1 if n == span.end_line else len(line)
        parts.append(line[start:end])
    return " ".join(" ".join(parts).split())


class Plan:
    """A compiled contract: closures for definitions, and the IR of clauses and exceptions."""

    def __init__(self, contract: ir.Contract):
        self.contract = contract
        self.defs: dict[str, Fn] = {}
        self.fns: dict[int, Fn] = {}  # id(ir.E) → closure, for the evaluator's lookups
        self.cache: dict[Any, Any] = {}  # what the evaluator derives once per plan
        self.qual_defs = _qualitative_definitions(contract)
        self.event_reads = _event_reads(contract)
        groups = [_Group(contract, members) for members in contract.recursion]
        self.groups: dict[str, _Group] = {}  # recursive definitions, by member
        for group in groups:
            self.groups.update(dict.fromkeys(group.members, group))
        self._compiler = _Compiler(self)
        for group in groups:
            # first, while no judgement is half made (one in progress counts as fallible)
            self._compiler.group_infallible(group)
        for name, d in contract.definitions.items():
            self.defs[name] = self._compiler.compile(d.body)
        self.exceptions_for: dict[str, list[ir.Exception_]] = {}
        for x in contract.exceptions:
            for t in x.targets:
                self.exceptions_for.setdefault(t, []).append(x)
        for n in contract.norms:
            for e in ir.norm_exprs(n):
                self.fn(e)
        for x in contract.exceptions:
            for e in ir.exception_exprs(x):
                self.fn(e)
        for check in contract.checks:
            self.fn(check.cond)
        if contract.survival is not None:
            self.fn(contract.survival.cond)

    def value_fn(self, name: str) -> Fn:
        """The definition's body as a closure of its parameters' bindings, to compute its
        value directly (the evaluator's derived values); a member of a recursive group enters
        its group as a call of it would."""
        group = self.groups.get(name)
        if group is None or name not in group.enter:
            return self.defs[name]
        enter = group.enter[name]
        params = [p for p, _ in self.contract.definitions[name].params]
        return lambda ctx, env: enter(ctx, tuple([env[p] for p in params]))

    def reads_events(self, e: ir.E) -> bool:
        """Does evaluating `e` read any event or fact of the fact set, or its own day
        (directly or through a definition)?  If not, its value is the same in every context:
        on every day."""
        todo = [e]
        while todo:
            x = todo.pop()
            if x.op in ("events", "fact", "status") or (
                    x.op == "builtin" and x.data[0] == "first_day") or (
                    x.op == "call" and self.event_reads[x.data]):
                return True
            todo.extend(x.args)
        return False

    def day_reads(self, e: ir.E) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The event types and the facts evaluating `e` reads (directly or through a
        definition), sorted: its value can change only on the day of such an event or a day
        on which such a fact's value changes."""
        key = ("day_reads", id(e))
        found = self.cache.get(key)
        if found is None:
            names: set[str] = set()
            todo = [e]
            while todo:
                x = todo.pop()
                called = _reads_here(self.contract, x, names)
                if called is not None:
                    names |= self.event_reads[called]
                todo.extend(x.args)
            found = self.cache[key] = (
                tuple(sorted(n for n in names if n[0] != "#")),
                tuple(sorted(n[1:] for n in names if n[0] == "#")))
        return found

    def fn(self, e: ir.E) -> Fn:
        f = self.fns.get(id(e))
        if f is None:
            f = self._compiler.compile(e)
            self.fns[id(e)] = f
        return f


def _qualitative_definitions(c: ir.Contract) -> frozenset[str]:
    """Definitions that read a qualitative fact or event, directly or through another: their
    memo entries keep the assumptions they rest on, so a reused value still reports them."""
    direct: dict[str, bool] = {}
    calls: dict[str, set[str]] = {}
    for name, d in c.definitions.items():
        hit, called, todo = False, set(), [d.body]
        while todo:
            e = todo.pop()
            if (e.op == "fact" and c.facts[e.data].qualitative) or (
                    e.op == "events" and any(c.events[n].qualitative for n in e.data)):
                hit = True
            elif e.op == "call":
                called.add(e.data)
            todo.extend(e.args)
        direct[name], calls[name] = hit, called
    found = {n for n, h in direct.items() if h}
    changed = True
    while changed:
        changed = False
        for n, called in calls.items():
            if n not in found and called & found:
                found.add(n)
                changed = True
    return frozenset(found)


def _reads_here(c: ir.Contract, x: ir.E, found: set[str]) -> str | None:
    """Add to `found` what `x` itself reads of the day: the event types of an events node,
    "#NAME" for a fact, everything for another clause's answer (it may read anything), and
    OWN_DAY for that and for `first_day`; the definition `x` calls, if it is a call (what
    that reads is the caller's to add)."""
    if x.op == "events":
        found.update(x.data)
    elif x.op == "fact":
        found.add("#" + x.data)
    elif x.op == "status":
        found.update(c.events)
        found.update("#" + f for f in c.facts)
        found.add(OWN_DAY)
    elif x.op == "builtin" and x.data[0] == "first_day":
        found.add(OWN_DAY)
    elif x.op == "call":
        return x.data  # type: ignore[no-any-return]
    return None


def _event_reads(c: ir.Contract) -> dict[str, frozenset[str]]:
    """The event types each definition reads, directly or through another, and the facts it
    reads, each as "#NAME", and OWN_DAY if it reads the context's day itself.  Nothing else a
    definition reads depends on the context's day (roles and the calendar are the same on
    every day), so a context that sees the same events of these types as the root, and the
    same values of these facts (no change of a fact's history between the two days:
    Ctx.same_as_root), gets the same answer from it, unless it reads its own day."""
    reads: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, d in c.definitions.items():
        found: set[str] = set()
        called: set[str] = set()
        todo = [d.body]
        while todo:
            e = todo.pop()
            other = _reads_here(c, e, found)
            if other is not None:
                called.add(other)
            todo.extend(e.args)
        reads[name], calls[name] = found, called
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            for other in called:
                if not reads[other] <= reads[name]:
                    reads[name] |= reads[other]
                    changed = True
    return {name: frozenset(r) for name, r in reads.items()}


def unchanged_since(ctx: Ctx, day: datetime.date, types: tuple[str, ...],
                    facts: tuple[str, ...]) -> bool:
    """Did no event of these types happen, and no value of these facts change, after `day`
    and by the context's day?  Then what reads only them has the same value on both days
    (what reads its own day, OWN_DAY among the types, has its own value on each day)."""
    if day >= ctx.cutoff:
        return True
    for t in types:
        if t == OWN_DAY:
            return False
        evs = ctx.events(t)
        if evs and evs[-1].date > day:
            return False
    for f in facts:
        changes = ctx.facts.changes.get(f)
        if changes and bisect.bisect_right(changes, day) < bisect.bisect_right(changes, ctx.cutoff):
            return False
    return True


def _lent(ctx: Ctx, sub: Ctx, fn: Fn, env: dict[str, Any], trace: Any = _NOTHING) -> Any:
    """`fn` evaluated in `sub`, the context of an earlier day (`Ctx.of_day`), for `ctx`: noting its
    assumptions into ctx's set and its derivation into ctx's (or into `trace`).  Sub's own
    are put back after: it may be in use further up, by a computation whose assumptions and
    derivation would otherwise go astray."""
    if sub is ctx:
        return fn(ctx, env)
    saved, noted = sub.trace, sub.qualitative
    sub.trace = ctx.trace if trace is _NOTHING else trace
    sub.qualitative = ctx.qualitative
    try:
        return fn(sub, env)
    finally:
        sub.trace, sub.qualitative = saved, noted


def _kept_noted(ctx: Ctx, sub: Ctx, fn: Fn, env: dict[str, Any], memo: dict[Any, Any],
                key: Any) -> Any:
    """`_lent` (`fn` in `sub` for ctx: ctx itself, or an earlier day's context), its value
    kept in `memo` under `key` with the assumptions it rested on, which are noted into ctx's
    set (`_noted_hit` notes them again for each later use): a definition's memo entry, or an
    `as of` whose expression may note assumptions."""
    outer = ctx.qualitative
    inner: set[str] = set()
    ctx.qualitative = inner
    try:
        v = _lent(ctx, sub, fn, env)
    except Missing as m:
        memo[key] = (Missing(m.needs), _notes(ctx, inner))
        raise
    finally:
        ctx.qualitative = outer
        if inner:
            outer |= inner
    memo[key] = (v, _notes(ctx, inner))
    return v


def add_duration(day: datetime.date, d: Duration, sign: int, ctx: Ctx,
                 span: Span | None = None) -> datetime.date:
    n = d.amount * sign
    try:
        if d.unit == "days":
            return day + datetime.timedelta(days=n)
        if d.unit == "business_days":
            return ctx.calendar.add(day, n)
        if d.unit == "months":
            return add_months(day, n)
        return add_months(day, 12 * n)
    except (OverflowError, ValueError):
        raise date_overflow(day, n, d.unit, span) from None


#: The last and first days a date can have (Python's `datetime.date`, and so rrdsl's).
LAST_DAY, FIRST_DAY = datetime.date.max, datetime.date.min

#: Days from the calendar's first day to its last: a step of more leaves it from any day.
_CALENDAR_DAYS = (datetime.date.max - datetime.date.min).days

_UNIT_WORDS = {"days": "days", "business_days": "business days", "months": "months",
               "years": "years"}


def date_overflow(day: datetime.date, n: int, unit: str, span: Span | None) -> EvalFailure:
    """A date step that leaves the calendar rrdsl can count in (past 9999-12-31, before
    0001-01-01): an evaluation error at the step, naming the date it started from."""
    word = _UNIT_WORDS.get(unit, unit)
    sign = "+" if n >= 0 else "-"
    edge = "after" if n >= 0 else "before"
    last = LAST_DAY if n >= 0 else FIRST_DAY
    return EvalFailure(
        f"{day.isoformat()} {sign} {abs(n)} {word} falls {edge} {last.isoformat()}, the "
        f"{'last' if n >= 0 else 'first'} day a date can have", span,
        "dates run from 0001-01-01 to 9999-12-31: check the dates of the events and facts "
        "(a year typed wrong?)")


def _missing(ctx: Ctx, cite: ir.Cite, label: str, note: str) -> NoReturn:
    """A fact the run needs is not given: traced, say where it is declared; then stop."""
    if ctx.trace is not None:
        ctx.trace.append(Node("missing", label, None, cite.section,
                              cite.span.file if cite.span else None,
                              cite.span.line if cite.span else None, note=note))
    raise Missing(frozenset({label}))


def _noted_all(ctx: Ctx, types: frozenset[str]) -> bool:
    """Has the run noted, as assumptions, every event of these (qualitative) types it sees?"""
    noted = ctx.qualitative
    for t in types:
        for ev in ctx.events(t):
            if f"{ev.type} {ev.id}" not in noted:
                return False
    return True


def _date_step(anchor: Fn, n: int, unit: str, var: str | None = None,
               span: Span | None = None) -> Fn:
    """`anchor + n units` (none stays none), as add_duration computes it; `var`: the anchor is
    that bound variable, read directly (a call fewer). A step out of the calendar (past
    9999-12-31) is an evaluation error at `span` (date_overflow)."""
    if unit == "days" and abs(n) > _CALENDAR_DAYS:  # leaves the calendar from any day

        def out_of_calendar(ctx: Ctx, env: dict[str, Any]) -> Any:
            a = env[var] if var is not None else anchor(ctx, env)
            if a is None:
                return None
            raise date_overflow(a, n, unit, span)
        return out_of_calendar
    if unit == "days":
        step = datetime.timedelta(days=n)
        if var is not None:
            def days_var(ctx: Ctx, env: dict[str, Any]) -> Any:
                a = env[var]
                if a is None:
                    return None
                try:
                    return a + step
                except OverflowError:
                    raise date_overflow(a, n, unit, span) from None
            return days_var

        def days(ctx: Ctx, env: dict[str, Any]) -> Any:
            a = anchor(ctx, env)
            if a is None:
                return None
            try:
                return a + step
            except OverflowError:
                raise date_overflow(a, n, unit, span) from None
        return days
    if unit == "business_days":
        def business_days(ctx: Ctx, env: dict[str, Any]) -> Any:
            a = env[var] if var is not None else anchor(ctx, env)
            if a is None:
                return None
            try:
                return ctx.calendar.add(a, n)
            except OverflowError:
                raise date_overflow(a, n, unit, span) from None
        return business_days
    months = n if unit == "months" else 12 * n

    def by_months(ctx: Ctx, env: dict[str, Any]) -> Any:
        a = env[var] if var is not None else anchor(ctx, env)
        if a is None:
            return None
        try:
            return add_months(a, months)
        except (OverflowError, ValueError):
            raise date_overflow(a, n, unit, span) from None
    return by_months


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: datetime.date, n: int) -> datetime.date:
    """`day + relativedelta(months=n)`, exactly: the same day of the month `n` months on, or
    the month's last day when it is shorter (31 January + 1 month = 28 or 29 February)."""
    m = day.month - 1 + n
    year, month = day.year + m // 12, m % 12 + 1
    last = _MONTH_DAYS[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    return datetime.date(year, month, day.day if day.day <= last else last)


def round_value(x: Any, unit: Any, mode: str, result: str) -> Any:
    """Round exactly to a multiple of `unit` (default: a cent, a share, 0.01%)."""
    if x is None:
        return None
    if unit is None:
        unit = Decimal("0.01") if result == "money" else (
            Fraction(1, 10000) if result == "ratio" else 1)
    k = _exact_round(Fraction(x) / Fraction(unit), mode)
    if result == "money":
        return Decimal(k) * Decimal(unit)
    if result in ("shares", "int"):
        return int(k * Fraction(unit))
    return Fraction(k) * Fraction(unit)


def _exact_round(q: Fraction, mode: str) -> int:
    floor = q.numerator // q.denominator
    rem = q - floor
    if rem == 0:
        return floor
    if mode == "floor":
        return floor
    if mode == "ceiling":
        return floor + 1
    if mode == "down":
        return floor if q >= 0 else floor + 1
    if mode == "up":
        return floor + 1 if q >= 0 else floor
    half = Fraction(1, 2)
    if rem > half:
        return floor + 1
    if rem < half:
        return floor
    if mode == "half_even":
        return floor if floor % 2 == 0 else floor + 1
    return floor + 1 if q >= 0 else floor  # half_up: away from zero


def allocate(total: int, weights: list[tuple[Any, int]], rounding: str) -> dict[Any, int]:
    """Divide `total` pro rata by weights. largest_remainder sums exactly to `total`
    (floors first; leftover shares one each to the largest remainders, ties to the larger
    weight, then to the earlier name); down keeps only the floors."""
    wsum = sum(w for _, w in weights)
    if wsum == 0 or total <= 0:
        return {k: 0 for k, _ in weights}
    if wsum < 0 or not all(type(w) is int for _, w in weights):
        return _allocate_exactly(total, weights, wsum, rounding)
    # whole weights of a positive sum: each exact share total * w / wsum is its floor and a
    # remainder over wsum, one denominator for all, so the remainders order as the shares'
    # fractional parts do (the same answer as `_allocate_exactly`, without a Fraction each)
    out: dict[Any, int] = {}
    rem: dict[Any, int] = {}
    for k, w in weights:
        out[k], rem[k] = divmod(total * w, wsum)
    if rounding == "largest_remainder":
        left = total - sum(out.values())
        order = sorted(weights, key=lambda kw: (-rem[kw[0]], -kw[1], str(kw[0])))
        for k, _ in order[:left]:
            out[k] += 1
    return out


def _allocate_exactly(total: int, weights: list[tuple[Any, Any]], wsum: Any,
                      rounding: str) -> dict[Any, int]:
    """`allocate` with each share an exact fraction (weights of any number type)."""
    shares = {k: Fraction(total * w, wsum) for k, w in weights}
    out = {k: int(v.numerator // v.denominator) for k, v in shares.items()}
    if rounding == "largest_remainder":
        left = total - sum(out.values())
        order = sorted(weights, key=lambda kw: (-(shares[kw[0]] - out[kw[0]]), -kw[1], str(kw[0])))
        for k, _ in order[:left]:
            out[k] += 1
    return out


def _num(a: Any, b: Any) -> tuple[Any, Any]:
    # `type(x) is Fraction`, not isinstance: Fraction's metaclass is ABCMeta, whose
    # isinstance is slow; the engine makes no subclasses of Fraction.
    if type(a) is Fraction or type(b) is Fraction:
        return Fraction(a), Fraction(b)
    return a, b


def _label_args(args: tuple[Any, ...]) -> str:
    return ", ".join(a.id if type(a) is EventValue else (a if type(a) is str else show(a))
                     for a in args)


class _CallSteps:
    """The derivation steps of the calls of one definition (`op_call`'s traced calls, and
    `count_cmp`'s call of a definition that counts): a call's label, and its step with the
    value shown or with the facts it needed."""

    __slots__ = ("name", "has_params", "section", "file", "line", "title")

    def __init__(self, d: ir.Definition) -> None:
        span = d.cite.span
        self.name, self.has_params, self.title = d.name, bool(d.params), d.title
        self.section = d.cite.section
        self.file = span.file if span else None
        self.line = span.line if span else None

    def label(self, vals: tuple[Any, ...]) -> str:
        return f"{self.name}({_label_args(vals)})" if self.has_params else self.name

    def valued(self, label: str, shown: str, kids: list[Node]) -> Node:
        return Node("definition", label, shown, self.section, self.file, self.line, kids,
                    note=self.title)

    def undetermined(self, label: str, m: Missing, kids: list[Node]) -> Node:
        return Node("definition", label, None, self.section, self.file, self.line, kids,
                    note="undetermined: needs " + ", ".join(sorted(m.needs)))


#: Static kinds whose values are never a Fraction, an event or a duration: `==` and `<` on
#: them need none of the engine's conversions (the checker types every expression).
_PLAIN = frozenset({"int", "shares", "money", "date", "text", "enum", "party", "bool"})


def _field_of_local(e: ir.E) -> tuple[str, str] | None:
    """(variable, field) when `e` is a field of a bound variable (`n.date`), else None."""
    if e.op == "field" and e.args[0].op == "local":
        return e.args[0].data, e.data
    return None


def _plain(t: Type) -> bool:
    return t.inner.kind in _PLAIN


def _eventish(t: Type) -> bool:
    """Values of this type are events or none (for which `_eq` is `is`)."""
    return t.kind == "none" or t.inner.kind == "event"


class _Group:
    """Definitions that use one another for earlier events (checker.recursive_groups), as the
    evaluator runs them.  Its *stepping* definitions are those whose parameters are all
    events: each recurses on its last parameter, the others (if any) fixed.  Before one is
    computed for some arguments (untraced: for a use for an event earlier than the one being
    computed; traced: always), it is computed with the same other arguments on every
    earlier event of its last parameter's type not yet done, in the fact set's order, so that
    a use for an earlier event finds its answer in the memo: the depth of the evaluation
    stays that of one event, however many events came before.  A use of a stepping
    definition for a later event than the one being computed, or with the arguments of a
    computation in progress, or with other arguments than the last of the computation in
    progress, is error E603 (every cycle of the group passes through one)."""

    __slots__ = ("enter", "members", "types")

    def __init__(self, contract: ir.Contract, members: tuple[str, ...]):
        self.members = members
        # the stepping members (parameters all events), with their last parameter's types
        self.types: dict[str, tuple[str, ...]] = {}
        for name in members:
            params = contract.definitions[name].params
            if params and all(t.kind == "event" for _, t in params):
                self.types[name] = tuple(params[-1][1].names) or tuple(contract.events)
        # by stepping member, set by the compiler (each is called somewhere in the group):
        # its checked call, which first computes the earlier events, given the arguments
        # (the evaluator's derived values call it: Plan.value_fn)
        self.enter: dict[str, Callable[[Ctx, tuple[Any, ...]], Any]] = {}


def _group_call(group: _Group, name: str, params: list[str], args: list[Fn],
                traced: Callable[[Ctx, tuple[Any, ...]], Any], untraced: Callable[..., Any],
                qual: bool, span: Span | None,
                day_of: Callable[[Ctx, tuple[Any, ...]], Any] | None) -> Fn:
    """A call of a recursive group's stepping definition (its other definitions are called as
    any definition is: every cycle through them passes through one of these)."""

    def memo_call(ctx: Ctx, vals: tuple[Any, ...]) -> Any:
        if ctx.trace is not None:
            return traced(ctx, vals)
        local = dict(zip(params, vals))  # as many as the call site's (op_call)
        if qual:
            return untraced(ctx, (name, vals), local)
        return untraced(ctx, (name, *vals), local)

    types = group.types[name]

    def enter(ctx: Ctx, vals: tuple[Any, ...]) -> Any:
        event = vals[-1]  # the recursion's event; the other arguments stay fixed
        stack = ctx.recursion.get(group)
        if ctx.trace is None:  # a value already in the memo: no call to make or check
            if stack:
                _not_later(stack, name, vals, event, span)
            if qual:
                hit = ctx.memo.get((name, vals), _NOTHING)
                if hit is not _NOTHING:
                    return _noted_hit(ctx, hit)
            else:
                hit = ctx.memo.get((name, *vals), _NOTHING)
                if hit is not _NOTHING:
                    if type(hit) is Missing:
                        raise Missing(hit.needs)
                    return hit
        first = stack is None  # the group's first call in this context
        if stack is None:
            stack = ctx.recursion[group] = []
        try:
            # the earlier events first: in a traced run always (each derivation is its
            # event's own); untraced, only for a use for an event earlier than the one being
            # computed.  A call from outside the group, or for the event in progress, is
            # computed at once, and so are the earlier events' values only if it uses them:
            # most computations never do (a determination that defers nothing does not ask
            # what the earlier ones delayed), and the depth stays bounded all the same (a use
            # for an earlier event computes every event before it first, in order).
            if event is not None and (ctx.trace is not None or (
                    stack and stack[-1][2] is not None and stack[-1][2] is not event)):
                _earlier_first(ctx, name, types, vals[:-1], stack, event, memo_call, span,
                               day_of)
            return _in_group(ctx, stack, name, vals, event, memo_call, span)
        finally:
            if first:
                del ctx.recursion[group]

    group.enter.setdefault(name, enter)  # any call site's: they are the same

    def recursive_call(ctx: Ctx, env: dict[str, Any]) -> Any:
        return enter(ctx, tuple([a(ctx, env) for a in args]))
    return recursive_call


#: The memo key's first part for the assumption sets of an evaluation's memo entries (no
#: definition's name begins with "#")
_NOTES = "#notes"


def _notes(ctx: Ctx, inner: set[str]) -> frozenset[str]:
    """The assumptions a memo entry rests on, frozen: one object for each distinct set in an
    evaluation (kept in its root context's memo).  On a long history most entries rest on
    the same assumptions (every qualitative event of a type read), and a frozenset of its
    own for each would be as many objects for the garbage collector to walk again and
    again: a third of the time at 30x."""
    if not inner:
        return _NO_NOTES
    memo = ctx.root.memo
    last = memo.get(NOTED)
    if last is not None and last[0] is inner and len(last[1]) == len(inner):
        # all it holds came from the last memo hit noted into it (a computation that read
        # one answer resting on assumptions and nothing else): that hit's set, not a copy
        return last[1]  # type: ignore[no-any-return]
    found = frozenset(inner)
    table = memo.get(_NOTES)
    if table is None:
        table = memo[_NOTES] = {}
    return table.setdefault(found, found)  # type: ignore[no-any-return]


#: The key, in an evaluation's root memo, of the last assumption set noted by a memo hit and
#: the set it was noted into (no definition's name begins with "#"): whoever empties a set
#: of assumptions in place must drop it (the evaluator does)
NOTED = "#noted"


def _noted_hit(ctx: Ctx, hit: tuple[Any, frozenset[str]]) -> Any:
    """A memo entry of a definition that rests on assumptions: (value or Missing, the
    assumptions), noted for this run as if the value were computed again.  The same
    assumptions (one object: `_notes`) just noted into the same set are not noted again: a
    loop over earlier events reads one entry after another resting on the same hundred
    events, and noting each would cost as much as the hundred again."""
    v, used = hit
    if used:
        into = ctx.qualitative
        memo = ctx.root.memo
        last = memo.get(NOTED)
        if last is None or last[1] is not used or last[0] is not into:
            into.update(used)
            memo[NOTED] = (into, used)
    if type(v) is Missing:
        raise Missing(v.needs)
    return v


def _same_but_last(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """`a[:-1] == b[:-1]`, without the two slices (asked at each call inside a recursive
    group; the arguments are mostly the very same objects)."""
    if len(a) != len(b):
        return len(a) <= 1 and len(b) <= 1  # both slices empty
    for i in range(len(a) - 1):
        x, y = a[i], b[i]
        if x is not y and x != y:
            return False
    return True


def _not_later(stack: list[tuple[str, tuple[Any, ...], Any]], name: str,
               vals: tuple[Any, ...], event: Any, span: Span | None) -> None:
    """E603 unless the arguments but the last are those of the innermost call in progress
    (the recursion keeps them), and `event`, the last, is its event or an earlier one."""
    inner, held, outer = stack[-1]
    if not _same_but_last(held, vals):
        raise EvalFailure(
            f"recursive use of '{name}({_label_args(vals)})' while computing "
            f"'{inner}({_label_args(held)})': the arguments before the last differ", span,
            "a definition of several events recurses on its last one: the others must stay "
            "those of the computation in progress", code="E603")
    if event is None:
        return
    if outer is not None and outer is not event and outer < event:
        raise EvalFailure(
            f"recursive use of '{name}' for a later event: {event.type} {event.id} "
            f"({event.date.isoformat()}), while computing for {outer.type} {outer.id} "
            f"({outer.date.isoformat()})", span,
            "a definition that uses itself, or others that use it, may do so only for the "
            "same event or an earlier one", code="E603")


def _in_group(ctx: Ctx, stack: list[tuple[str, tuple[Any, ...], Any]], name: str,
              vals: tuple[Any, ...], event: Any, call: Callable[[Ctx, tuple[Any, ...]], Any],
              span: Span | None) -> Any:
    """A member's call inside its group: for no later event than the call it is made in, and
    not with the definition and arguments of a call in progress (it would wait on itself)."""
    if stack:
        _not_later(stack, name, vals, event, span)
        for n, v, _ in stack:
            if n == name and v == vals:
                raise EvalFailure(
                    f"recursive use of '{name}({_label_args(vals)})' to compute itself", span,
                    "for the same event, definitions may use one another only without coming "
                    "back to the one they started from", code="E603")
    stack.append((name, vals, event))
    trace = ctx.trace
    try:
        v = call(ctx, vals)
    finally:
        stack.pop()
    if trace is not None and trace and stack and event is not None:
        outer = stack[-1][2]
        if outer is not None and event < outer:
            # used for an earlier event: its derivation is that event's own (its derived
            # value), not repeated under every later use, which would multiply it
            step = trace[-1]
            trace[-1] = Node(step.kind, step.label, step.value, step.section, step.file,
                             step.line, note=f"derived for the earlier {event.type} {event.id}")
    return v


#: The memo key's first part for how far `_earlier_first` has gone with a definition (no
#: definition's name begins with "#"), in a context and for every context
_EARLIER_DONE = "#earlier"
_EARLIER_ALL = "#earlier-all"


def _earlier_first(ctx: Ctx, name: str, types: tuple[str, ...], fixed: tuple[Any, ...],
                   stack: list[tuple[str, tuple[Any, ...], Any]], event: Any,
                   call: Callable[[Ctx, tuple[Any, ...]], Any], span: Span | None,
                   day_of: Callable[[Ctx, tuple[Any, ...]], Any] | None = None) -> None:
    """Before a stepping definition is computed for `event` (its last argument, after the
    `fixed` others), compute it with the same others for every earlier event of `types` not
    yet done in this context, earliest first, each noting nothing (its
    derivation and assumptions are kept in the memo with its value, and given to the calls
    that use it): then each of those computations finds the earlier values it uses in the
    memo, and the evaluation goes no deeper for the hundredth event than for the first.  A
    computation that fails is left to fail again where its value is used, if it is.

    A definition whose answer, given its arguments, is taken as of a day that depends on
    them alone (`day_of`: `_Compiler.fixed_day`) has that answer in every context of that
    day or later, so how far the events are done is also kept for every context, in the
    evaluation date's memo (with the latest day any of them was taken as of): a context
    whose day is not before that day goes on from there, and an untraced pass whose every
    event's day it covers moves it on."""
    until = event_order(event)
    marker = (_EARLIER_DONE, name, fixed)
    # in the memo: the events before this one are done, and this one by the call that set
    # it, which computes it next (or is computing it)
    done = ctx.memo.get(marker)
    latest: Any = None  # the latest day one of the events done was taken as of, if known
    if day_of is not None and ctx.trace is None:
        root = ctx.root
        common = (_EARLIER_ALL, name, fixed)
        kept = root.memo.get(common)  # (how far, the latest day) for every context
        if kept is not None and (ctx is root or kept[1] <= ctx.cutoff):
            if done is None or kept[0] > done:
                done = kept[0]
            if done == kept[0]:
                latest = kept[1]
        elif done is None:
            latest = FIRST_DAY  # from the first event: every day is known
    if done is not None and done >= until:
        return
    ctx.memo[marker] = until
    found: list[EventValue] = []
    for t in types:  # each type's events are in order: those after `done`, before `until`
        evs = ctx.events(t)
        lo = 0 if done is None else bisect.bisect_right(evs, done, key=event_order)
        found.extend(evs[lo:bisect.bisect_left(evs, until, key=event_order)])
    if not found:
        return
    trace, noted = ctx.trace, ctx.qualitative
    try:
        for x in sorted(found, key=event_order):
            if latest is not None:
                try:
                    day = day_of(ctx, fixed + (x,))  # type: ignore[misc]
                except (Missing, EvalFailure):
                    day = None
                if day is None or (day > ctx.cutoff and ctx is not root):
                    latest = None  # this one is this context's own
                elif day > latest:
                    latest = day
            ctx.trace = None if trace is None else []
            ctx.qualitative = set()
            with contextlib.suppress(Missing, EvalFailure):
                _in_group(ctx, stack, name, fixed + (x,), x, call, span)
    finally:
        ctx.trace, ctx.qualitative = trace, noted
    if latest is not None:
        kept = root.memo.get(common)
        if kept is None or kept[0] < until:
            root.memo[common] = (until, latest)


def _local_names(e: ir.E) -> tuple[str, ...]:
    """The names of the variables `e` reads (also those its own loops bind), sorted."""
    found: set[str] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if x.op == "local":
            found.add(x.data)
        stack.extend(x.args)
    return tuple(sorted(found))


def _reads_only(e: ir.E, var: str, inside: bool) -> bool:
    """`e` is the variable `var` or one of its fields (`inside`), or else a variable bound
    outside or one of its fields: a value read from the bindings, which cannot fail."""
    if e.op == "field" and e.data not in ("date", "id"):
        e = e.args[0]
    return e.op == "local" and (e.data == var) is inside


def _earlier_bound(c: ir.E, var: str) -> tuple[str, str] | None:
    """`x < w` or `x <= w` (also `w > x`, `w >= x`), x the variable `var` and w another bound
    variable, both events: (w, "<" or "<="); else None."""
    if c.op != "cmp" or c.data not in ("<", "<=", ">", ">="):
        return None
    a, b = c.args
    op = c.data
    if b.op == "local" and b.data == var:  # `w > x` is `x < w`
        a, b = b, a
        op = _SWAPPED[op]
    if op not in ("<", "<=") or not (
            a.op == "local" and a.data == var and b.op == "local" and b.data != var
            and _eventish(a.type) and _eventish(b.type)):
        return None
    return b.data, op


#: The memo key's first part for what a context knows of a set of earlier events that a
#: recursion reads (`_Prefix`; no definition's name begins with "#")
_PREFIX = "#prefix"


class _Prefix:
    """What one context knows of `{x for x in E where x < w and f(a..., x)}` for fixed `a...`
    (f a stepping definition of a recursive group, recursing on its last argument): the
    answer for every w is the events of E before w for which f is true, so the answer for
    one w is the answer for an earlier w and the events in between.  Kept: the events of E
    this context sees (`events`), how many of them were decided (`done`), those for which f
    was true (`included`, by position), the assumptions each decision rested on (`notes`:
    each distinct set with the first position it came from), and the first position at
    which f needed a missing fact (`missing`: the position and f's memo entry), where the
    loop stopped.  One kept for every context (`_Compiler.fixed_day`) also keeps, for each
    position, the latest day any decision up to it was taken as of (`horizon`): a context
    may read the decisions up to the last position whose horizon is not after its day."""

    __slots__ = ("done", "events", "horizon", "included", "missing", "notes")

    def __init__(self, events: tuple[EventValue, ...]):
        self.events = events
        self.done = 0
        self.included: list[tuple[int, EventValue]] = []
        self.notes: list[tuple[int, frozenset[str]]] = []
        self.missing: tuple[int, Any] | None = None
        self.horizon: list[datetime.date] = []


def _decide_from(ctx: Ctx, env: dict[str, Any], var: str, known: _Prefix, n: int,
                 held: tuple[Any, ...], decide: Fn, entry: Callable[..., Any], qual: bool,
                 memo: dict[Any, Any], key: Any,
                 day_of: Callable[[Ctx, tuple[Any, ...]], Any] | None = None) -> bool:
    """Decide f for the events of `known` from the first not yet decided to the n-th, in
    order, by the loop's own call (which notes what it rests on, or raises Missing or
    EvalFailure as the loop would), and keep each answer (`compiler._Prefix`, in `memo`
    under `key`).  False if f's memo did not keep an answer (it keeps every one: its
    arguments are events), and then the set is no longer kept; or, for a set kept for every
    context (`day_of`: the day f's answer is taken as of, given its arguments), at the
    first event whose answer this context cannot give for all (its day is after this
    context's), where the set stays as it is."""
    env2 = dict(env)
    events = known.events
    horizon = known.horizon
    day: Any = None
    for i in range(known.done, n):
        x = events[i]
        env2[var] = x
        if day_of is not None:
            try:
                day = day_of(ctx, (*held, x))
            except (Missing, EvalFailure):  # the loop's own call fails as it would
                return False
            if day is None or (day > ctx.cutoff and ctx is not ctx.root):
                return False
            if horizon and horizon[-1] > day:
                day = horizon[-1]
        try:
            v = decide(ctx, env2)
        except Missing:
            hit = entry(ctx, held, x)
            if hit is None:  # not kept: this set is decided by the loop from now on
                del memo[key]
            else:
                known.missing, known.done = (i, hit), i + 1
                if day_of is not None:
                    horizon.append(day)
            raise
        hit = entry(ctx, held, x)
        if hit is None:
            del memo[key]
            return False
        if day_of is not None:
            horizon.append(day)
        if qual:
            used = hit[1]
            if used and (not known.notes or known.notes[-1][1] is not used):
                known.notes.append((i, used))
        if v:
            known.included.append((i, x))
        known.done = i + 1
    return True


def _event_day(e: EventValue) -> datetime.date:
    return e.date


def day_count(a: datetime.date, b: datetime.date, span: Span | None,
              doing: str = "dates(...) would list") -> int:
    """How many days `dates(a, b)` lists (0 or less: none), or error E601 past MAX_DATES
    (`doing` says what would go through them)."""
    n = (b - a).days + 1
    if n > MAX_DATES:
        raise EvalFailure(f"{doing} {n:,} days; the limit is {MAX_DATES:,}", span)
    return n


_ONE_DAY = datetime.timedelta(days=1)
_ONE_DAY_BACK = datetime.timedelta(days=-1)


def walk_days(first: datetime.date, n: int, backwards: bool = False) -> Iterator[datetime.date]:
    """The `n` days from `first` on, in order (backwards: from `first` + n - 1 days down to
    `first`): `first + timedelta(days=i)` for each i in range(n), each day a day from the one
    before, without making a timedelta for each (none when n <= 0)."""
    if n <= 0:
        return
    if backwards:
        day, step = first + datetime.timedelta(days=n - 1), _ONE_DAY_BACK
    else:
        day, step = first, _ONE_DAY
    yield day
    for _ in range(n - 1):
        day = day + step
        yield day


#: The memo key's first part for the values of a state after each event (op_fold)
_FOLD = "#fold"

#: The memo key's first part for an index of the evaluation's events by a field, kept in its
#: root context (no definition's name begins with "#")
_INDEX = "#index"

#: The memo key's first part for the names of a context's qualitative events of a type, as
#: noted when they are read (no definition's name begins with "#")
_LABELS = "#labels"


def _keyed_events(ctx: Ctx, name: str, field: str | None, key: Any) -> Any:
    """The events of type `name` this context sees whose `field` is the event `key` (`is`),
    in the fact set's order, or with no field `key` itself if the context sees it.  From an
    index of the evaluation's events of the type by that field (or by themselves), made once
    in its root context (and made again if the root's events are not those it was made
    from): a context of an earlier day sees of each entry the events up to its day (a type's
    events are in date order, and a context sees those of them up to its day: `Ctx.events`).
    An index made in each day's context, as before, cost every event of the type for each
    day: on a history k times as long in years, k² (docs/performance.md, the ninth round)."""
    root = ctx.root
    evs = root._events.get(name)
    if evs is None:
        evs = root.events(name)
    mkey = (_INDEX, name, field)
    found = root.memo.get(mkey)
    if found is None or found[0] is not evs:
        table: dict[int, list[Any]] = {}
        if field is None:
            for x in evs:
                table[id(x)] = [x]
        else:
            for x in evs:
                table.setdefault(id(x.fields[field]), []).append(x)
        found = root.memo[mkey] = (evs, table)
    got = found[1].get(id(key), ())
    if got and got[-1].date > ctx.cutoff:  # a context of an earlier day: those up to it
        return got[:bisect.bisect_right(got, ctx.cutoff, key=_EVENT_DATE)]
    return got


class _Compiler:
    #: Does an untraced `EXPR as of DAY` keep its value in the memo of the day's context, by
    #: the values of the variables EXPR reads (`op_at`)?  Always; the tests turn it off to
    #: compare with evaluating each time.
    share_as_of = True

    def __init__(self, plan: Plan):
        self.plan = plan
        self.contract = plan.contract
        self._infallible: dict[int, bool] = {}
        self._group_ok: dict[int, dict[str, bool]] = {}  # group_infallible, by id(group)
        # the variables of the loops over `dates(a, b)` being compiled: a call with one of
        # them as an argument is not memoised (`op_call`)
        self._day_vars: frozenset[str] = frozenset()
        self._fixed_days: dict[str, Callable[[Ctx, tuple[Any, ...]], Any] | None] = {}

    def in_own_scope(self, build: Callable[[], _T]) -> _T:
        """`build()`, compiling part of a definition's body in its own scope: no variable of
        a loop over `dates(a, b)` being compiled around the call site is bound there."""
        saved = self._day_vars
        self._day_vars = frozenset()
        try:
            return build()
        finally:
            self._day_vars = saved

    def compile_in_loop(self, var: str, source: ir.E, e: ir.E) -> Fn:
        """Compile `e`, an expression of a loop whose variable `var` ranges over `source`."""
        saved = self._day_vars
        if source.op == "builtin" and source.data[0] == "dates":
            self._day_vars = saved | {var}
        else:
            self._day_vars = saved - {var}  # an inner loop's variable of the same name
        try:
            return self.compile(e)
        finally:
            self._day_vars = saved

    def notes(self, e: ir.E, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """The qualitative event types whose reading evaluating `e` may note as assumptions."""
        out: set[str] = set()
        if e.op == "events":
            out.update(n for n in e.data if self.contract.events[n].qualitative)
        elif e.op == "call" and e.data not in seen:
            out |= self.notes(self.contract.definitions[e.data].body, seen | {e.data})
        for a in e.args:
            out |= self.notes(a, seen)
        return frozenset(out)

    def infallible(self, e: ir.E) -> bool:
        """Can evaluating `e` neither need a fact (Missing) nor fail (EvalFailure)?  Then an
        evaluation that is skipped changes nothing but the memo and, perhaps, the assumptions
        noted (`notes`), and a search may stop early.  Conservative: False when unsure.  The
        limits on work (the days `dates` lists, E601; recursion that does not go back in time,
        E603) are not counted: an evaluation that is skipped does no work to limit."""
        key = id(e)
        found = self._infallible.get(key)
        if found is not None:
            return found
        op, args = e.op, e.args
        group = self.plan.groups.get(e.data) if op == "call" else None
        if group is not None:  # judged with its group (not cached: the group's may change)
            return self.group_infallible(group)[e.data] and all(
                self.infallible(a) for a in args)
        self._infallible[key] = False  # a definition that reaches itself: unsure
        ok: bool
        if op in ("lit", "local", "party", "role", "duration") or op == "events":
            ok = True
        elif op == "call":
            ok = self.infallible(self.contract.definitions[e.data].body)
        elif op == "arith":
            kind = e.data[1]
            ok = (kind in ("date", "num") and e.data[0] != "/") or (
                kind in ("set", "duration") and not any(a.type.optional for a in args))
        elif op == "member":
            ok = not args[1].type.optional
        elif op in ("field", "cmp", "and", "or", "not", "neg", "if", "setlit", "nth", "agg",
                    "setcomp", "at"):
            ok = True
        elif op == "builtin":
            name = e.data[0]
            # `dates` fails only past its size limit (MAX_DATES), a bound on the work, not a
            # fact of the answer: a search that needs fewer days need not meet it
            ok = name in ("exists", "earlier", "later", "days_between", "abs", "overlap_days",
                          "days", "business_days", "months", "dates") or (
                name in ("keys", "values") and not args[0].type.optional)
        else:  # fact (may be missing), index, division, dates, round, allocate: may fail
            ok = False
        ok = ok and all(self.infallible(a) for a in args)
        self._infallible[key] = ok
        return ok

    def group_infallible(self, group: _Group) -> dict[str, bool]:
        """`infallible` for the definitions of a recursive group, by member: the greatest
        answer consistent with their bodies (assumed infallible, then each found fallible
        taken back, until nothing changes).  A use that is E603 (for a later event, or
        waiting on itself) is a fault of the contract's recursion, not counted here: a search
        that stops early may not meet it."""
        found = self._group_ok.get(id(group))
        if found is not None:
            return found
        assume = self._group_ok[id(group)] = dict.fromkeys(group.members, True)
        while True:
            before = set(self._infallible)
            result = {m: self.infallible(self.contract.definitions[m].body)
                      for m in group.members}
            if result == assume:
                return assume
            assume.update(result)  # only from true to false: it ends
            for key in set(self._infallible) - before:  # judged on what was assumed
                del self._infallible[key]

    def compile(self, e: ir.E) -> Fn:
        op = e.op
        method = getattr(self, "op_" + op, None)
        if method is None:  # pragma: no cover - the checker rejects programs with errors
            raise AssertionError(op)
        fn: Fn = method(e)
        return fn

    def op_lit(self, e: ir.E) -> Fn:
        v = e.data
        return lambda ctx, env: v

    def op_duration(self, e: ir.E) -> Fn:
        d = Duration(*e.data)
        return lambda ctx, env: d

    def op_local(self, e: ir.E) -> Fn:
        name = e.data
        return lambda ctx, env: env[name]

    def op_party(self, e: ir.E) -> Fn:
        name = e.data
        return lambda ctx, env: name

    def op_role(self, e: ir.E) -> Fn:
        role = e.data
        return lambda ctx, env: frozenset(ctx.facts.roles.get(role, ()))

    def op_events(self, e: ir.E) -> Fn:
        names = e.data
        qualitative = [n for n in names if self.contract.events[n].qualitative]
        if len(names) == 1:
            name = names[0]
            if qualitative:
                # every qualitative event read is an assumption, named by its id (none if the
                # fact set has none of them)
                def qual_events(ctx: Ctx, env: dict[str, Any]) -> Any:
                    found = ctx.events(name)
                    if found:
                        # the names, made once per context (and again if its events change)
                        key = (_LABELS, name)
                        kept = ctx.memo.get(key)
                        if kept is None or kept[0] is not found:
                            kept = ctx.memo[key] = (
                                found, [f"{ev.type} {ev.id}" for ev in found])
                        ctx.qualitative.update(kept[1])
                    return found
                return qual_events

            def events(ctx: Ctx, env: dict[str, Any]) -> Any:
                found = ctx._events.get(name)
                return ctx.events(name) if found is None else found
            return events

        def union(ctx: Ctx, env: dict[str, Any]) -> Any:
            found = tuple(sorted([x for n in names for x in ctx.events(n)], key=event_order))
            ctx.qualitative.update(f"{ev.type} {ev.id}" for ev in found
                                   if ev.type in qualitative)
            return found
        return union

    def op_fact(self, e: ir.E) -> Fn:
        name = e.data
        fact = self.contract.facts[name]
        args = [self.compile(a) for a in e.args]
        qual = fact.qualitative
        cite = fact.cite
        note = "qualitative: taken as given, an assumption of this run" if qual else None

        def slow(ctx: Ctx, key: tuple[Any, ...] | None) -> Any:
            """The general path: a missing fact, a qualitative one, or a traced run."""
            if key is not None:
                table = ctx.facts.values.get(name)
                v = _NOTHING if table is None else table.get(key, _NOTHING)
                label = f"{name}({_label_args(key)})"
            else:
                v = ctx.facts.values.get(name, _NOTHING)
                label = name
            dated = None
            if type(v) is History:  # the value in force on the context's day
                h: History = v
                i = h.index(ctx.cutoff)
                if i < 0:
                    _missing(ctx, cite, f"{label} on {ctx.cutoff.isoformat()}",
                             "the fact file gives no value for that day")
                v = h.values[i]
                end = h.ends[i]
                dated = (f"the value from {h.starts[i].isoformat()}"
                         + (f" through {end.isoformat()}" if end is not None else "")
                         + f" ({h.where[i]}), read on {ctx.cutoff.isoformat()}")
            if v is _NOTHING:
                _missing(ctx, cite, label, "not in the fact set")
            if qual:
                ctx.qualitative.add(label)
            if ctx.trace is not None:
                what = note if dated is None else (dated if note is None else f"{note}; {dated}")
                ctx.trace.append(Node("qualitative" if qual else "fact", label, v, cite.section,
                                      cite.span.file if cite.span else None,
                                      cite.span.line if cite.span else None, note=what))
            return v

        if qual:  # always the general path: it records the assumption
            if not args:
                return lambda ctx, env: slow(ctx, None)
            if len(args) == 1:
                q0 = args[0]
                return lambda ctx, env: slow(ctx, (q0(ctx, env),))
            if len(args) == 2:
                q0, q1 = args
                return lambda ctx, env: slow(ctx, (q0(ctx, env), q1(ctx, env)))
            return lambda ctx, env: slow(ctx, tuple([a(ctx, env) for a in args]))

        # the fast path (a plain fact that is there, no trace) labels nothing
        if not args:
            def read0(ctx: Ctx, env: dict[str, Any]) -> Any:
                v = ctx.facts.values.get(name, _NOTHING)
                if v is _NOTHING or ctx.trace is not None or type(v) is History:
                    return slow(ctx, None)
                return v
            return read0
        if len(args) == 1:
            a0 = args[0]
            v0 = e.args[0].data if e.args[0].op == "local" else None

            def read1(ctx: Ctx, env: dict[str, Any]) -> Any:
                key = (env[v0] if v0 is not None else a0(ctx, env),)
                table = ctx.facts.values.get(name)
                if table is None or ctx.trace is not None:
                    return slow(ctx, key)
                v = table.get(key, _NOTHING)
                return slow(ctx, key) if v is _NOTHING or type(v) is History else v
            return read1

        if len(args) == 2 and e.args[0].op == e.args[1].op == "local":
            w0, w1 = e.args[0].data, e.args[1].data

            def read2(ctx: Ctx, env: dict[str, Any]) -> Any:
                key = (env[w0], env[w1])
                table = ctx.facts.values.get(name)
                if table is None or ctx.trace is not None:
                    return slow(ctx, key)
                v = table.get(key, _NOTHING)
                return slow(ctx, key) if v is _NOTHING or type(v) is History else v
            return read2

        def read(ctx: Ctx, env: dict[str, Any]) -> Any:
            key = tuple([a(ctx, env) for a in args])
            table = ctx.facts.values.get(name)
            if table is None or ctx.trace is not None:
                return slow(ctx, key)
            v = table.get(key, _NOTHING)
            return slow(ctx, key) if v is _NOTHING or type(v) is History else v
        return read

    def op_call(self, e: ir.E) -> Fn:
        name = e.data
        d = self.contract.definitions[name]
        params = [p for p, _ in d.params]
        args = [self.compile(a) for a in e.args]
        # one argument for each parameter (the checker's arity check): the calls below pair
        # them with a plain zip, whose `strict=True` would cost a keyword parse at each call
        assert len(args) == len(params), (name, len(args), len(params))
        defs = self.plan.defs
        rtype = d.type
        steps = _CallSteps(d)

        def traced(ctx: Ctx, vals: tuple[Any, ...]) -> Any:
            """A traced run: memo entries are (value or Missing, derivation node)."""
            key: Any = (name, vals)
            try:
                hit = ctx.memo.get(key, _NOTHING)
            except TypeError:  # an unhashable argument (a map): no memo
                key, hit = None, _NOTHING
            if hit is not _NOTHING:
                v, node, noted = hit
                ctx.qualitative.update(noted)
                if node is not None:
                    ctx.trace.append(node)  # type: ignore[union-attr]
                if isinstance(v, Missing):
                    raise v
                return v
            body = defs[name]
            local = dict(zip(params, vals, strict=True))
            label = steps.label(vals)
            saved = ctx.trace
            assert saved is not None
            kids: list[Node] = []
            ctx.trace = kids
            outer = ctx.qualitative
            used: set[str] = set()
            ctx.qualitative = used
            try:
                v = body(ctx, local)
            except Missing as m:
                node = steps.undetermined(label, m, kids)
                saved.append(node)
                if key is not None:
                    ctx.memo[key] = (m, node, frozenset(used))
                raise
            finally:
                ctx.trace = saved
                ctx.qualitative = outer
                outer |= used
            node = steps.valued(label, show(v, rtype), kids)
            saved.append(node)
            if key is not None:
                ctx.memo[key] = (v, node, frozenset(used))
            return v

        if any(a.op == "local" and a.data in self._day_vars for a in e.args):
            # `f(q, m, e)` for each day e of `dates(a, b)`: every call has arguments of its
            # own, so a memo entry would be made and never read again.  Untraced, the body is
            # evaluated at once, in this context (which the root would answer the same), its
            # assumptions noted straight into this run's set, as a memoised call notes them.
            def call_each_day(ctx: Ctx, env: dict[str, Any]) -> Any:
                vals = tuple([a(ctx, env) for a in args])
                if ctx.trace is not None:
                    return traced(ctx, vals)
                return defs[name](ctx, dict(zip(params, vals)))
            return call_each_day

        # A sub-context (the facts as of an earlier day) that sees the same events of every
        # type the definition reads as the root context gets the same answer as the root: on
        # a memo miss there, the root answers (`shared`) and both memoise the answer.
        reads = self.plan.event_reads[name]
        free = not reads  # reads no event: the same answer in every context

        # Untraced runs memoise the value itself, or the facts it was missing (a context is
        # traced or not for its whole life, so the two layouts never meet in one memo).  The
        # memo keeps a Missing of its own and a hit raises a new one: an exception that was
        # raised holds its traceback, whose frames hold the memo, a cycle only the garbage
        # collector could free.
        def shared(ctx: Ctx, root: Ctx, key: Any, local: dict[str, Any]) -> Any:
            hit = root.memo.get(key, _NOTHING)
            if hit is _NOTHING:
                try:
                    v = defs[name](root, local)
                except Missing as m:
                    ctx.memo[key] = root.memo[key] = Missing(m.needs)
                    raise
                ctx.memo[key] = root.memo[key] = v
                return v
            ctx.memo[key] = hit
            if type(hit) is Missing:
                raise Missing(hit.needs)
            return hit

        def fresh(ctx: Ctx, key: Any, local: dict[str, Any]) -> Any:
            """A memo miss: evaluate (in the root context when it answers the same)."""
            root = ctx.root
            if root is not ctx and (free or ctx.same_as_root(name, reads)):
                return shared(ctx, root, key, local)
            try:
                v = defs[name](ctx, local)
            except Missing as m:
                ctx.memo[key] = Missing(m.needs)
                raise
            ctx.memo[key] = v
            return v

        def untraced(ctx: Ctx, key: Any, local: dict[str, Any]) -> Any:
            memo = ctx.memo
            try:
                hit = memo.get(key, _NOTHING)
            except TypeError:  # an unhashable argument (a map): no memo
                return defs[name](ctx, local)
            if hit is not _NOTHING:
                if type(hit) is Missing:
                    raise Missing(hit.needs)
                return hit
            return fresh(ctx, key, local)

        if name in self.plan.qual_defs:
            def untraced_q(ctx: Ctx, key: Any, local: dict[str, Any]) -> Any:
                """Memo entries are (value or Missing, the assumptions it rests on)."""
                memo = ctx.memo
                try:
                    hit = memo.get(key, _NOTHING)
                except TypeError:
                    return defs[name](ctx, local)
                if hit is not _NOTHING:
                    return _noted_hit(ctx, hit)
                root = ctx.root
                if root is not ctx and (free or ctx.same_as_root(name, reads)):
                    # answered by the root, noting into this run's set
                    saved = root.qualitative
                    root.qualitative = ctx.qualitative
                    try:
                        return untraced_q(root, key, local)
                    finally:
                        root.qualitative = saved
                        entry = root.memo.get(key, _NOTHING)
                        if entry is not _NOTHING:
                            memo[key] = entry
                return _kept_noted(ctx, ctx, defs[name], local, memo, key)

            group = self.plan.groups.get(name)
            if group is not None and name in group.types:  # stepping: computed in order
                return _group_call(group, name, params, args, traced, untraced_q, True, e.span,
                                   self.fixed_day(name))

            if len(args) == 1:
                a0, p0 = args[0], params[0]
                v0 = e.args[0].data if e.args[0].op == "local" else None

                def call_q1(ctx: Ctx, env: dict[str, Any]) -> Any:
                    x = env[v0] if v0 is not None else a0(ctx, env)
                    if ctx.trace is not None:
                        return traced(ctx, (x,))
                    return untraced_q(ctx, (name, (x,)), {p0: x})
                return call_q1
            if len(args) == 2:
                a0, a1 = args
                p0, p1 = params
                v0 = e.args[0].data if e.args[0].op == "local" else None
                v1 = e.args[1].data if e.args[1].op == "local" else None

                def call_q2(ctx: Ctx, env: dict[str, Any]) -> Any:
                    x = env[v0] if v0 is not None else a0(ctx, env)
                    y = env[v1] if v1 is not None else a1(ctx, env)
                    if ctx.trace is not None:
                        return traced(ctx, (x, y))
                    return untraced_q(ctx, (name, (x, y)), {p0: x, p1: y})
                return call_q2

            def call_q(ctx: Ctx, env: dict[str, Any]) -> Any:
                vals = tuple([a(ctx, env) for a in args])
                if ctx.trace is not None:
                    return traced(ctx, vals)
                return untraced_q(ctx, (name, vals), dict(zip(params, vals)))
            return call_q

        group = self.plan.groups.get(name)
        if group is not None and name in group.types:  # stepping: computed in order
            return _group_call(group, name, params, args, traced, untraced, False, e.span,
                               self.fixed_day(name))

        if not args:
            def call0(ctx: Ctx, env: dict[str, Any]) -> Any:
                if ctx.trace is not None:
                    return traced(ctx, ())
                return untraced(ctx, name, {})
            return call0
        if len(args) == 1:
            a0, p0 = args[0], params[0]
            v0 = e.args[0].data if e.args[0].op == "local" else None

            fa = _field_of_local(e.args[0])
            if fa is not None and fa[1] not in ("date", "id"):
                w, f = fa  # `underwritten_offering(q.method)`: the field read here

                def call1_field(ctx: Ctx, env: dict[str, Any]) -> Any:
                    x = None if (o := env[w]) is None else o.fields[f]
                    if ctx.trace is not None:
                        return traced(ctx, (x,))
                    key = (name, x)
                    memo = ctx.memo
                    try:
                        hit = memo.get(key, _NOTHING)
                    except TypeError:  # an unhashable argument (a map): no memo
                        return defs[name](ctx, {p0: x})
                    if hit is not _NOTHING:
                        if type(hit) is Missing:
                            raise Missing(hit.needs)
                        return hit
                    root = ctx.root
                    if root is not ctx and (free or ctx.same_as_root(name, reads)):
                        return shared(ctx, root, key, {p0: x})
                    try:
                        v = defs[name](ctx, {p0: x})
                    except Missing as m:
                        memo[key] = Missing(m.needs)
                        raise
                    memo[key] = v
                    return v
                return call1_field

            def call1(ctx: Ctx, env: dict[str, Any]) -> Any:
                x = env[v0] if v0 is not None else a0(ctx, env)
                if ctx.trace is not None:
                    return traced(ctx, (x,))
                key = (name, x)
                memo = ctx.memo
                try:
                    hit = memo.get(key, _NOTHING)
                except TypeError:  # an unhashable argument (a map): no memo
                    return defs[name](ctx, {p0: x})
                if hit is not _NOTHING:
                    if type(hit) is Missing:
                        raise Missing(hit.needs)
                    return hit
                root = ctx.root
                if root is not ctx and (free or ctx.same_as_root(name, reads)):
                    return shared(ctx, root, key, {p0: x})
                try:
                    v = defs[name](ctx, {p0: x})
                except Missing as m:
                    memo[key] = Missing(m.needs)
                    raise
                memo[key] = v
                return v
            return call1
        if len(args) == 2:
            a0, a1 = args
            p0, p1 = params
            v0 = e.args[0].data if e.args[0].op == "local" else None
            v1 = e.args[1].data if e.args[1].op == "local" else None

            f0, f1 = _field_of_local(e.args[0]), _field_of_local(e.args[1])
            if f0 is not None and f1 is not None and f0[0] == f1[0]:
                # `received(n.channel, n.date)`: two fields of one bound variable, read here
                var, n0, n1 = f0[0], f0[1], f1[1]

                def call2_fields(ctx: Ctx, env: dict[str, Any]) -> Any:
                    o = env[var]
                    if o is None:
                        x = y = None
                    else:
                        x = o.date if n0 == "date" else o.id if n0 == "id" else o.fields[n0]
                        y = o.date if n1 == "date" else o.id if n1 == "id" else o.fields[n1]
                    if ctx.trace is not None:
                        return traced(ctx, (x, y))
                    key = (name, x, y)
                    memo = ctx.memo
                    try:
                        hit = memo.get(key, _NOTHING)
                    except TypeError:  # an unhashable argument (a map): no memo
                        return defs[name](ctx, {p0: x, p1: y})
                    if hit is not _NOTHING:
                        if type(hit) is Missing:
                            raise Missing(hit.needs)
                        return hit
                    root = ctx.root
                    if root is not ctx and (free or ctx.same_as_root(name, reads)):
                        return shared(ctx, root, key, {p0: x, p1: y})
                    try:
                        v = defs[name](ctx, {p0: x, p1: y})
                    except Missing as m:
                        memo[key] = Missing(m.needs)
                        raise
                    memo[key] = v
                    return v
                return call2_fields

            def call2(ctx: Ctx, env: dict[str, Any]) -> Any:
                x = env[v0] if v0 is not None else a0(ctx, env)
                y = env[v1] if v1 is not None else a1(ctx, env)
                if ctx.trace is not None:
                    return traced(ctx, (x, y))
                key = (name, x, y)
                memo = ctx.memo
                try:
                    hit = memo.get(key, _NOTHING)
                except TypeError:  # an unhashable argument (a map): no memo
                    return defs[name](ctx, {p0: x, p1: y})
                if hit is not _NOTHING:
                    if type(hit) is Missing:
                        raise Missing(hit.needs)
                    return hit
                root = ctx.root
                if root is not ctx and (free or ctx.same_as_root(name, reads)):
                    return shared(ctx, root, key, {p0: x, p1: y})
                try:
                    v = defs[name](ctx, {p0: x, p1: y})
                except Missing as m:
                    memo[key] = Missing(m.needs)
                    raise
                memo[key] = v
                return v
            return call2

        def call(ctx: Ctx, env: dict[str, Any]) -> Any:
            vals = tuple([a(ctx, env) for a in args])
            if ctx.trace is not None:
                return traced(ctx, vals)
            return untraced(ctx, (name, *vals), dict(zip(params, vals)))
        return call

    def op_field(self, e: ir.E) -> Fn:
        name = e.data
        if e.args[0].op == "local":  # a field of a bound variable: `d.shares`, `q.date`
            var = e.args[0].data
            if name == "date":
                return lambda ctx, env: None if (o := env[var]) is None else o.date
            if name == "id":
                return lambda ctx, env: None if (o := env[var]) is None else o.id
            return lambda ctx, env: None if (o := env[var]) is None else o.fields[name]
        obj = self.compile(e.args[0])
        if name == "date":
            return lambda ctx, env: None if (o := obj(ctx, env)) is None else o.date
        if name == "id":
            return lambda ctx, env: None if (o := obj(ctx, env)) is None else o.id
        return lambda ctx, env: None if (o := obj(ctx, env)) is None else o.fields[name]

    def op_index(self, e: ir.E) -> Fn:
        obj, key = self.compile(e.args[0]), self.compile(e.args[1])
        span = e.span

        def index(ctx: Ctx, env: dict[str, Any]) -> Any:
            m, k = obj(ctx, env), key(ctx, env)
            if k not in m:
                raise EvalFailure(f"no entry for {show(k)} in {snippet(span)}", span,
                                  f"guard it: if {show(k)} in keys(...) then ... else ...")
            return m[k]
        return index

    def keyed_source(self, src_e: ir.E, where_e: ir.E | None, var: str,
                     src: Fn) -> Fn | None:
        """`x for x in E where x.f == w ...` (E one event type, not qualitative; `x.f` and `w`
        events, `w` bound outside or a field of a variable bound outside; the comparison alone
        or first in an `and`): the events of E whose field f is w, from an index of E by f, in
        place of every event of E; and for `x == w`, w itself if the context sees it.  The same
        answer: for the others the condition is false at its first comparison, which reads
        only bindings (it cannot be missing a fact, fail, note an assumption or trace a
        step).  A traced run takes every event, as before.  Without this, a definition that
        looks up the events referring to one event (`for r in RegistrationStatement where
        r.request == q`) reads all of them, for every q: a history k times as long costs k²."""
        if where_e is None or src_e.op != "events" or len(src_e.data) != 1:
            return None
        name = src_e.data[0]
        c = where_e
        while c.op == "and":  # the comparison made first
            c = c.args[0]
        if self.contract.events[name].qualitative:
            return self.earlier_source(c, var, src)
        if c.op != "cmp" or c.data != "==":
            return self.earlier_source(c, var, src)
        a, b = c.args
        if _reads_only(b, var, True):
            a, b = b, a
        field: str | None
        if a.op == "local" and a.data == var:
            field = None
        elif a.op == "field" and _reads_only(a, var, True):
            field = a.data
        else:
            return None
        if not (_reads_only(b, var, False) and _eventish(a.type) and _eventish(b.type)):
            return None
        w = self.compile(b)

        def keyed(ctx: Ctx, env: dict[str, Any]) -> Any:
            if ctx.trace is not None:
                return src(ctx, env)
            return _keyed_events(ctx, name, field, w(ctx, env))
        return keyed

    def earlier_source(self, c: ir.E, var: str, src: Fn) -> Fn | None:
        """`x for x in E where x < w ...` (or `x <= w`, `w > x`, `w >= x`; E one event type,
        `w` an event bound outside; the comparison alone or first in an `and`): the events of
        E before `w` (or up to it), found by bisecting E's events, which are in the fact
        set's order, in place of every event of E.  The same answer, as for `keyed_source`:
        for the others the condition is false at its first comparison, which reads only
        bindings; the events of a qualitative type are still all read (each is noted as an
        assumption, as reading them does).  A traced run takes every event.  Without this,
        a recursion over earlier events (`{x for x in Det where x < m and ...}`, for every m)
        reads every event for every m."""
        bound = _earlier_bound(c, var)
        if bound is None:
            return None
        w, op = bound
        find = bisect.bisect_left if op == "<" else bisect.bisect_right

        def earlier(ctx: Ctx, env: dict[str, Any]) -> Any:
            found = src(ctx, env)
            if ctx.trace is not None:
                return found
            bound = env[w]
            if bound is None:  # `x < none` is false
                return ()
            return found[:find(found, event_order(bound), key=event_order)]
        return earlier

    def loop_parts(self, e: ir.E) -> tuple[str, Fn, Fn, Fn | None, Fn | None]:
        """An aggregate's variable, value, source, `where` (or None) and the source narrowed
        by the `where`'s first comparison (`keyed_source`, or None)."""
        var = e.data[1]
        val = self.compile_in_loop(var, e.args[1], e.args[0])
        src = self.compile(e.args[1])
        where = self.compile_in_loop(var, e.args[1], e.args[2]) if len(e.args) > 2 else None
        keyed = self.keyed_source(e.args[1], e.args[2] if len(e.args) > 2 else None, var, src)
        return var, val, src, where, keyed

    def op_agg(self, e: ir.E) -> Fn:
        func = e.data[0]
        var, val, src, where, keyed = self.loop_parts(e)
        if keyed is None and func == "any" and len(e.args) == 2:
            # `any(x == w and ... for x in E)` (also `as of` a day): an element whose first
            # comparison is false is false, whatever the day, so it cannot decide `any`
            body = e.args[0].args[0] if e.args[0].op == "at" else e.args[0]
            keyed = self.keyed_source(e.args[1], body, var, src)
        if keyed is not None:
            src = keyed
        zero: Any = Decimal(0) if e.type.inner.kind == "money" else 0
        # `count(x for x in ...)`: a bound variable or a literal cannot fail, so it need not
        # be evaluated; any other counted expression is (it may need a missing fact)
        trivial = e.args[0].op in ("local", "lit")

        # Each loop binds the variable in one copy of the bindings, reused for every item: an
        # item's value is computed before the next item is bound, and no closure keeps `env`.
        def items(ctx: Ctx, env: dict[str, Any]) -> Any:
            s = src(ctx, env)
            env2 = dict(env)
            if where is None:
                for x in s:
                    env2[var] = x
                    yield val(ctx, env2)
                return
            for x in s:
                env2[var] = x
                if where(ctx, env2):
                    yield val(ctx, env2)

        if func == "sum":
            if e.type.kind == "duration":
                return lambda ctx, env: Duration(sum(d.amount for d in items(ctx, env)), "days")

            se = e.args[1]
            if (se.op == "events" and len(se.data) == 1 and keyed is None
                    and not self.contract.events[se.data[0]].qualitative):
                # `sum(s.shares for s in SharesSold where ...)`: the events (a tuple, in order,
                # the same traced or not) read from the context here
                ename = se.data[0]

                def total_events(ctx: Ctx, env: dict[str, Any]) -> Any:
                    found = ctx._events.get(ename)
                    if found is None:
                        found = ctx.events(ename)
                    acc = zero
                    env2 = dict(env)
                    needs: frozenset[str] | None = None
                    for x in found:
                        env2[var] = x
                        try:
                            if where is None or where(ctx, env2):
                                acc = acc + val(ctx, env2)
                        except Missing as m:  # every missing fact is named, whatever the order
                            needs = m.needs if needs is None else needs | m.needs
                    if needs:
                        raise Missing(needs)
                    return acc
                return total_events

            def total(ctx: Ctx, env: dict[str, Any]) -> Any:
                acc = zero
                env2 = dict(env)
                needs: frozenset[str] = frozenset()
                for x in (src(ctx, env) if ctx.trace is None else _ordered(src(ctx, env))):
                    env2[var] = x
                    try:
                        if where is None or where(ctx, env2):
                            acc = acc + val(ctx, env2)
                    except Missing as m:  # every missing fact is named, whatever the order
                        needs |= m.needs
                if needs:
                    raise Missing(needs)
                return acc
            return total
        if func == "count":
            upto = self.count_upto(e, (var, val, src, where))

            def count(ctx: Ctx, env: dict[str, Any]) -> Any:
                return upto(ctx, env, None)[0]
            return count
        if func in ("all", "any"):
            # three-valued, like `and`/`or`: one false (all) or one true (any) decides even
            # when other elements need missing facts; otherwise every missing fact is named
            decisive = func == "any"

            def quantifier(ctx: Ctx, env: dict[str, Any]) -> Any:
                env2 = dict(env)
                needs: frozenset[str] = frozenset()
                # in a fixed order: which element decides, and so which qualitative facts the
                # answer rests on, must not depend on Python's hash seed
                for x in _ordered(src(ctx, env)):
                    env2[var] = x
                    try:
                        if (where is None or where(ctx, env2)) and bool(val(ctx, env2)) is decisive:
                            return decisive
                    except Missing as m:
                        needs |= m.needs
                if needs:
                    raise Missing(needs)
                return not decisive
            return quantifier
        pick = min if func in ("min", "earliest") else max
        src_t = e.args[1].type
        if (where is not None and e.args[0].op == "local" and e.args[0].data == var
                and src_t.kind == "set" and src_t.elem.kind in ("date", "int", "shares")
                and self.infallible(e.args[2])):
            # `latest(d for d in S where P(d))` with a P that cannot fail: try the elements
            # from the extreme end and stop at the first that meets P.  The elements not tried
            # could only have noted assumptions (the qualitative events read, by id): if the
            # run has not yet noted every event P could read, P is tried on the rest too, as a
            # full scan would.  (A traced run looks at every element: the derivation shows each.)
            backwards = pick is max
            may_note = self.notes(e.args[2])
            if e.args[1].op == "builtin" and e.args[1].data[0] == "dates":
                # dates(a, b): walk the days from the end, without making the set
                first, last = (self.compile(a) for a in e.args[1].args)
                span = e.args[1].span

                def days(ctx: Ctx, env: dict[str, Any]) -> Any:
                    a, b = first(ctx, env), last(ctx, env)
                    return walk_days(a, day_count(a, b, span), backwards)
            else:
                def days(ctx: Ctx, env: dict[str, Any]) -> Any:
                    return iter(sorted(src(ctx, env), reverse=backwards))

            def search(ctx: Ctx, env: dict[str, Any]) -> Any:
                if ctx.trace is not None:
                    return extreme(ctx, env)
                env2 = dict(env)
                elems = days(ctx, env)
                for x in elems:
                    if x is None:
                        continue
                    env2[var] = x
                    if where(ctx, env2):
                        if may_note and not _noted_all(ctx, may_note):
                            for y in elems:  # the rest, as a full scan would
                                if y is not None:
                                    env2[var] = y
                                    where(ctx, env2)
                        return x
                return None

        def extreme(ctx: Ctx, env: dict[str, Any]) -> Any:
            # a plain loop (items() without its generator): the first missing fact stops it
            vals = []
            env2 = dict(env)
            for x in _ordered(src(ctx, env)):  # which missing fact stops it: a fixed one
                env2[var] = x
                if where is None or where(ctx, env2):
                    v = val(ctx, env2)
                    if v is not None:
                        vals.append(v)
            if not vals:
                return None
            if len(vals) == 1:
                return vals[0]
            for v in vals:
                if type(v) is Fraction:
                    return pick([Fraction(v) for v in vals])
            return pick(vals)
        if where is None and e.args[0].op == "local" and e.args[0].data == var:
            ends = self.range_end(e.args[1], pick is max, extreme)
            if ends is not None:
                return ends
        if (where is not None and e.args[0].op == "local" and e.args[0].data == var
                and src_t.kind == "set" and src_t.elem.kind in ("date", "int", "shares")
                and self.infallible(e.args[2])):
            return search
        if (where is None and e.args[0].op == "local" and e.args[0].data == var
                and e.args[1].op == "setlit" and len(e.args[1].args) == 2):
            # `max({a, b})`: the two values compared, without the set, its sort and the loop.
            # The same answer: both are computed in the order written (the first missing
            # fact stops it, as in the set literal), `none` is left out, and of two equal
            # values the first is the answer, as the set keeps the first.
            first, second = (self.compile(a) for a in e.args[1].args)

            def extreme2(ctx: Ctx, env: dict[str, Any]) -> Any:
                a = first(ctx, env)
                b = second(ctx, env)
                if a is None or b is None:
                    return b if a is None else a
                if type(a) is Fraction or type(b) is Fraction:
                    return pick(Fraction(a), Fraction(b))
                return pick(a, b)
            return extreme2
        return extreme

    def range_end(self, source: ir.E, at_end: bool, extreme: Fn) -> Fn | None:
        """`latest(d for d in dates(a, b))`: b (earliest: a), or none when b is before a,
        without listing and sorting the days, and with the same limit on how many days; a
        traced run takes `extreme`, the loop.  None for any other source."""
        if source.op != "builtin" or source.data[0] != "dates":
            return None
        first, last = (self.compile(a) for a in source.args)
        span = source.span

        def range_end(ctx: Ctx, env: dict[str, Any]) -> Any:
            if ctx.trace is not None:
                return extreme(ctx, env)
            a, b = first(ctx, env), last(ctx, env)
            if day_count(a, b, span) <= 0:
                return None
            return b if at_end else a
        return range_end

    def op_allocate(self, e: ir.E) -> Fn:
        var, rounding, parts = e.data
        fns = [self.compile(a) for a in e.args]
        total, src, weight = fns[:3]
        opt: dict[str, Fn | None] = {"cap": None, "rank": None, "reserve": None}
        rest = fns[3:]
        for p in parts:
            opt[p] = rest.pop(0)
        cond = rest.pop(0) if "reserve" in parts else None
        cap, rank, reserve = opt["cap"], opt["rank"], opt["reserve"]
        money = e.type.args[1].kind == "money"
        span = e.span

        def units(v: Any, what: str) -> int:
            if not money:
                return int(v)
            cents = v * 100
            if cents != cents.to_integral_value():
                raise EvalFailure(f"{what} {show(v)} is not a whole number of cents; round it "
                                  "before allocating it", span, "round(total, $0.01, half_up)")
            return int(cents)

        def alloc(ctx: Ctx, env: dict[str, Any]) -> Any:
            t = total(ctx, env)
            env2 = dict(env)
            if not parts:
                weights = []
                for x in sorted(src(ctx, env), key=str):
                    env2[var] = x
                    weights.append((x, weight(ctx, env2)))
                got = allocate(units(t, "the total"), weights, rounding)
            else:
                holders = []
                for x in sorted(src(ctx, env), key=str):
                    env2[var] = x
                    holders.append(Holder(
                        x, weight(ctx, env2),
                        units(cap(ctx, env2), "the cap") if cap is not None else None,
                        rank(ctx, env2) if rank is not None else 0,
                        bool(cond(ctx, env2)) if cond is not None else False))
                floor = units(reserve(ctx, env), "the reserve") if reserve is not None else None
                got = allocate_holders(units(t, "the total"), holders, rounding, floor)
            if not money:
                return got
            return {k: Decimal(c) / 100 for k, c in got.items()}
        return alloc

    def op_setcomp(self, e: ir.E) -> Fn:
        var = e.data
        val = self.compile_in_loop(var, e.args[1], e.args[0])
        src = events = self.compile(e.args[1])
        where = self.compile_in_loop(var, e.args[1], e.args[2]) if len(e.args) > 2 else None
        keyed = self.keyed_source(e.args[1], e.args[2] if len(e.args) > 2 else None, var, src)
        if keyed is not None:
            src = keyed

        if e.args[0].op == "local" and e.args[0].data == var and where is not None:
            # `{i for i in group where P(i)}`: the element itself, without a call to read it
            def filtered(ctx: Ctx, env: dict[str, Any]) -> Any:
                out = set()
                env2 = dict(env)
                for x in _ordered(src(ctx, env)):  # which missing fact stops it: a fixed one
                    env2[var] = x
                    if where(ctx, env2):
                        out.add(x)
                return frozenset(out)
            return self.prefix_set(e, var, events, filtered) or filtered

        def comp(ctx: Ctx, env: dict[str, Any]) -> Any:
            out = set()
            env2 = dict(env)
            for x in _ordered(src(ctx, env)):  # which missing fact stops it: a fixed one
                env2[var] = x
                if where is None or where(ctx, env2):
                    out.add(val(ctx, env2))
            return frozenset(out)
        return comp

    def prefix_set(self, e: ir.E, var: str, src: Fn, filtered: Fn) -> Fn | None:
        """`{x for x in E where x < w and f(a..., x)}`, f a stepping definition of a recursive
        group called with bound variables (E's events before w for which f is true: a
        recursion's earlier determinations that did something), decided once per event of E
        in a context, not once per w (`_Prefix`).  A recursion asks it for every w, so without
        this the events before the k-th w are looked up k times over: k² memo hits, each
        noting its assumptions, most of the time of a long history.  The same answer as the
        loop (`filtered`), with the same assumptions noted, the same missing fact (at the
        same event: the loop stops there) and the same errors: the events not decided before
        are decided by the loop's own call, in order; for those decided before, the check a
        memo hit makes (E603: no later event than the computation in progress) is made for
        the last of them, which is the latest (if it fails, the loop runs as it is and fails
        where it would), and their assumptions are noted as their memo hits note them.  A
        traced run takes the loop (each decision is a step of its derivation).  `src`: the
        loop's source read whole (E's events; a qualitative type's noted, as the loop reads)."""
        src_e, where_e = e.args[1], e.args[2]
        if src_e.op != "events" or len(src_e.data) != 1 or where_e.op != "and":
            return None
        bound = _earlier_bound(where_e.args[0], var)
        r = where_e.args[1]
        if bound is None or r.op != "call":
            return None
        w, op = bound
        name = r.data
        group = self.plan.groups.get(name)
        if (group is None or name not in group.types or not r.args
                or any(a.op != "local" for a in r.args) or r.args[-1].data != var):
            return None
        fixed = tuple(a.data for a in r.args[:-1])
        if var in fixed or w in fixed:
            return None
        qual = name in self.plan.qual_defs
        decide = self.compile(r)
        find = bisect.bisect_left if op == "<" else bisect.bisect_right
        span = r.span
        day_of = self.fixed_day(name)
        of_type = src_e.data[0]

        def entry(ctx: Ctx, held: tuple[Any, ...], x: EventValue) -> Any:
            """f's memo entry for (held..., x), as `_group_call` keeps it (None if none)."""
            return ctx.memo.get((name, (*held, x)) if qual else (name, *held, x))

        def prefix(ctx: Ctx, env: dict[str, Any]) -> Any:
            if ctx.trace is not None:
                return filtered(ctx, env)
            found = src(ctx, env)
            until = env[w]
            if until is None:  # `x < none` is false
                return frozenset()
            n = find(found, event_order(until), key=event_order)
            held = tuple([env[a] for a in fixed])
            key = (_PREFIX, id(e), held)
            memo = ctx.memo
            try:
                known = memo.get(key)
            except TypeError:  # an unhashable argument (a map): the loop
                return filtered(ctx, env)
            common = False
            root = ctx.root
            if day_of is not None and (known is None or ctx is root):
                # one set for every context, the evaluation date's (over its events): read
                # up to the last position whose answers this context's day covers, or
                # extended from the first not decided if it covers every one before
                kept = root.memo.get(key)
                if kept is None:
                    kept = root.memo[key] = _Prefix(root.events(of_type))
                covered = kept.done if ctx is root else bisect.bisect_right(kept.horizon,
                                                                            ctx.cutoff)
                if covered >= n or covered == kept.done:
                    known, memo, common = kept, root.memo, True
            if known is None or (not common and known.events is not found):
                known = memo[key] = _Prefix(found)
            stop = n if known.missing is None else min(n, known.missing[0] + 1)
            old = min(stop, known.done)
            stack = ctx.recursion.get(group)
            if stack and old:
                try:  # the check of the latest: it passes for all or fails at one of them
                    _not_later(stack, name, (*held, found[old - 1]), found[old - 1], span)
                except EvalFailure:
                    return filtered(ctx, env)
            for first, used in known.notes:  # what their memo hits would note
                if first >= old:
                    break
                _noted_hit(ctx, (True, used))
            missing = known.missing
            if missing is not None and missing[0] < n:
                hit = missing[1]
                if qual:
                    return _noted_hit(ctx, hit)  # notes what it rests on, and raises
                raise Missing(hit.needs)
            if known.done < n and not _decide_from(ctx, env, var, known, n, held, decide,
                                                   entry, qual, memo, key,
                                                   day_of if common else None):
                return filtered(ctx, env)  # the loop, as before
            return frozenset([x for i, x in known.included if i < n])
        return prefix

    def fixed_day(self, name: str) -> Callable[[Ctx, tuple[Any, ...]], Any] | None:
        """Is definition `name` `EXPR as of DAY`, DAY reading no event, fact or day of the
        context and noting nothing?  Then, given its arguments, its answer is the same in
        every context whose day is DAY or later (EXPR's in the context of DAY), and a set of
        earlier events it decides (`prefix_set`) is kept once for all contexts: the function
        of the arguments giving DAY.  None otherwise."""
        if name in self._fixed_days:
            return self._fixed_days[name]
        d = self.contract.definitions[name]
        found: Callable[[Ctx, tuple[Any, ...]], Any] | None = None
        day_e = d.body.args[1] if d.body.op == "at" else None
        if day_e is not None and self.plan.day_reads(day_e) == ((), ()) \
                and not self.notes(day_e):
            day = self.in_own_scope(lambda: self.compile(day_e))
            params = tuple(p for p, _ in d.params)

            def day_of(ctx: Ctx, args: tuple[Any, ...]) -> Any:
                return day(ctx, dict(zip(params, args)))
            found = day_of
        self._fixed_days[name] = found
        return found

    def op_setlit(self, e: ir.E) -> Fn:
        if all(a.op in ("lit", "party") for a in e.args):  # `{S4, S8, unavailable}`: made once
            const = frozenset(a.data for a in e.args)
            return lambda ctx, env: const
        items = [self.compile(a) for a in e.args]
        return lambda ctx, env: frozenset([i(ctx, env) for i in items])

    def op_arith(self, e: ir.E) -> Fn:
        left, right = self.compile(e.args[0]), self.compile(e.args[1])
        op, kind = e.data
        span = e.span
        if kind == "date":
            sign = 1 if op == "+" else -1
            if e.args[1].op == "duration":  # `d + 30 days`: the step is known
                return _date_step(left, e.args[1].data[0] * sign, e.args[1].data[1],
                                  e.args[0].data if e.args[0].op == "local" else None, span)

            def date_arith(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                return None if a is None or b is None else add_duration(a, b, sign, ctx, span)
            return date_arith
        if kind == "set":
            if op == "+":
                return lambda ctx, env: frozenset(left(ctx, env)) | frozenset(right(ctx, env))
            return lambda ctx, env: frozenset(left(ctx, env)) - frozenset(right(ctx, env))
        if kind == "duration":
            return lambda ctx, env: Duration(left(ctx, env).amount + right(ctx, env).amount, "days")
        plain = _plain(e.args[0].type) and _plain(e.args[1].type)
        if plain and op in "+-":  # integers or money: never a Fraction to convert
            if e.args[1].op == "lit" and e.args[1].data is not None:  # `x + 1`: read directly
                k = e.args[1].data
                if op == "+":
                    return lambda ctx, env: None if (a := left(ctx, env)) is None else a + k
                return lambda ctx, env: None if (a := left(ctx, env)) is None else a - k
            if op == "+":
                def add_plain(ctx: Ctx, env: dict[str, Any]) -> Any:
                    a, b = left(ctx, env), right(ctx, env)
                    return None if a is None or b is None else a + b
                return add_plain

            def sub_plain(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                return None if a is None or b is None else a - b
            return sub_plain
        if op == "+":
            def add(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                if a is None or b is None:
                    return None
                a, b = _num(a, b)
                return a + b
            return add
        if op == "-":
            def sub(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                if a is None or b is None:
                    return None
                a, b = _num(a, b)
                return a - b
            return sub
        if op == "*":
            exact = e.type.inner.kind in ("unrounded", "ratio")

            def mul(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                if a is None or b is None:
                    return None
                if exact:
                    return Fraction(a) * Fraction(b)
                return a * b
            return mul

        def div(ctx: Ctx, env: dict[str, Any]) -> Any:
            a, b = left(ctx, env), right(ctx, env)
            if a is None or b is None:
                return None
            if b == 0:
                raise EvalFailure(f"division by zero in {snippet(span)}", span,
                                  "guard the division: if ... == 0 then ... else ...")
            return Fraction(a) / Fraction(b)
        return div

    def op_cmp(self, e: ir.E) -> Fn:
        bounded = self.count_cmp(e)
        if bounded is not None:
            return bounded
        left, right = self.compile(e.args[0]), self.compile(e.args[1])
        op = e.data
        plain = _plain(e.args[0].type) and _plain(e.args[1].type)
        eventish = _eventish(e.args[0].type) and _eventish(e.args[1].type)
        fused = self.fused_eq(e, op, eventish, plain)
        if fused is not None:
            return fused
        if op in ("==", "!=") and eventish:
            # events (or none) on both sides: the engine's == is identity
            if op == "==":
                return lambda ctx, env: left(ctx, env) is right(ctx, env)
            return lambda ctx, env: left(ctx, env) is not right(ctx, env)
        if op in ("==", "!="):
            if plain:  # no events, fractions or durations: Python's == is the engine's
                if op == "==":
                    return lambda ctx, env: bool(left(ctx, env) == right(ctx, env))
                return lambda ctx, env: left(ctx, env) != right(ctx, env)
            if op == "==":
                return lambda ctx, env: _eq(left(ctx, env), right(ctx, env))
            return lambda ctx, env: not _eq(left(ctx, env), right(ctx, env))
        f = _ORDERS[op]
        if eventish:
            # events in the fact set's order: by date, on one day as the file lists them
            def event_order_cmp(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                if a is None or b is None:
                    return False
                return f(event_order(a), event_order(b))
            return event_order_cmp
        if plain:  # the operator itself, not `f` (a call fewer)
            if e.args[1].op == "lit" and e.args[1].data is not None:  # `x <= 90`
                k = e.args[1].data
                if op == "<":
                    return lambda ctx, env: False if (a := left(ctx, env)) is None else a < k
                if op == "<=":
                    return lambda ctx, env: False if (a := left(ctx, env)) is None else a <= k
                if op == ">":
                    return lambda ctx, env: False if (a := left(ctx, env)) is None else a > k
                return lambda ctx, env: False if (a := left(ctx, env)) is None else a >= k
            if op == "<":
                def lt_plain(ctx: Ctx, env: dict[str, Any]) -> Any:
                    a, b = left(ctx, env), right(ctx, env)
                    return False if a is None or b is None else a < b
                return lt_plain
            if op == "<=":
                def le_plain(ctx: Ctx, env: dict[str, Any]) -> Any:
                    a, b = left(ctx, env), right(ctx, env)
                    return False if a is None or b is None else a <= b
                return le_plain
            if op == ">":
                def gt_plain(ctx: Ctx, env: dict[str, Any]) -> Any:
                    a, b = left(ctx, env), right(ctx, env)
                    return False if a is None or b is None else a > b
                return gt_plain

            def ge_plain(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                return False if a is None or b is None else a >= b
            return ge_plain

        def order(ctx: Ctx, env: dict[str, Any]) -> Any:
            a, b = left(ctx, env), right(ctx, env)
            if a is None or b is None:
                return False
            if isinstance(a, Duration):
                a, b = a.amount, b.amount
            a, b = _num(a, b)
            return f(a, b)
        return order

    def _counted(self, e: ir.E) -> ir.E | None:
        """The `count(...)` that `e` is: itself, or the body of the definition it calls when
        that body is a count (and the definition is not one of a recursive group)."""
        if e.op == "agg" and e.data[0] == "count":
            return e
        if e.op == "call" and e.data not in self.plan.groups:
            body = self.contract.definitions[e.data].body
            if body.op == "agg" and body.data[0] == "count":
                return body
        return None

    def count_cmp(self, e: ir.E) -> Fn | None:
        """`count(...) >= k` (or `>`, `<`, `<=`, either way round; or `f(...) >= k` where the
        body of f is a count), k an int that cannot fail: decided as soon as it is known.
        Three-valued, like `any`: the elements are tried in order and the count stops once
        enough of them count, whatever the elements not tried would need; when some need
        missing facts it is still decided if counting all of those could not reach k;
        otherwise it needs what they need (language.md, "Aggregates").  None for any other
        comparison."""
        op = e.data
        if op not in ("<", "<=", ">", ">="):
            return None
        a, b = e.args
        if self._counted(a) is None and self._counted(b) is not None:
            a, b = b, a
            op = _SWAPPED[op]
        counted = self._counted(a)
        if counted is None or b.type.kind != "int" or not self.infallible(b):
            return None
        f = _ORDERS[op]
        bump = 1 if op in (">", "<=") else 0  # count > k: k + 1 of them decide it
        right = self.compile(b)
        if a.op == "agg":
            upto = self.count_upto(a)

            def count_cmp(ctx: Ctx, env: dict[str, Any]) -> Any:
                k = right(ctx, env)
                return f(upto(ctx, env, k + bump)[0], k)
            return count_cmp
        name = a.data
        d = self.contract.definitions[name]
        params = [p for p, _ in d.params]
        args = [self.compile(x) for x in a.args]
        upto = self.in_own_scope(lambda: self.count_upto(counted))
        rtype = d.type
        steps = _CallSteps(d)

        def count_call_cmp(ctx: Ctx, env: dict[str, Any]) -> Any:
            k = right(ctx, env)
            vals = tuple([x(ctx, env) for x in args])
            local = dict(zip(params, vals, strict=True))
            trace = ctx.trace
            if trace is None:
                return f(upto(ctx, local, k + bump)[0], k)
            # a step of the derivation for the definition, its value as far as it was counted
            label = steps.label(vals)
            kids: list[Node] = []
            ctx.trace = kids
            try:
                n, how = upto(ctx, local, k + bump)
            except Missing as m:
                trace.append(steps.undetermined(label, m, kids))
                raise
            finally:
                ctx.trace = trace
            shown = show(n, rtype)
            trace.append(steps.valued(label, f"{how} {shown}" if how else shown, kids))
            return f(n, k)
        return count_call_cmp

    def count_upto(self, e: ir.E, parts: tuple[str, Fn, Fn, Fn | None] | None = None
                   ) -> Callable[[Ctx, dict[str, Any], int | None], tuple[int, str]]:
        """`count(...)` counted until t of its elements count: (n, "at least") with n >= t
        once they do; else (n, "") the whole count; or, when some elements need missing facts
        and even all of them counted would be fewer than t, (that most, "at most");
        otherwise Missing, naming every fact the elements need.  With t None, the whole
        count (or Missing).  `parts`: the loop's variable, value, source and `where`, if
        `op_agg` has them compiled."""
        if parts is None:
            var, val, src, where, keyed = self.loop_parts(e)
            if keyed is not None:
                src = keyed
        else:
            var, val, src, where = parts
        trivial = e.args[0].op in ("local", "lit")
        # which elements are tried first decides which facts are read when the count may
        # stop: in a fixed order, unless no element can need a fact or note an assumption.
        # A whole count reads every element (a traced one in order: its derivation's steps)
        any_order = where is None and trivial

        def upto(ctx: Ctx, env: dict[str, Any], t: int | None) -> tuple[int, str]:
            if t is not None and t <= 0:
                return 0, "at least"
            n = unknown = 0
            env2 = dict(env)
            needs: frozenset[str] = frozenset()
            s = src(ctx, env)
            if not (any_order or (t is None and ctx.trace is None)):
                s = _ordered(s)
            for x in s:
                env2[var] = x
                try:
                    if where is None or where(ctx, env2):
                        if not trivial:
                            val(ctx, env2)
                        n += 1
                        if t is not None and n >= t:
                            return n, "at least"
                except Missing as m:
                    unknown += 1
                    needs |= m.needs
            if needs:
                if t is not None and n + unknown < t:
                    return n + unknown, "at most"
                raise Missing(needs)
            return n, ""
        return upto

    def fused_eq(self, e: ir.E, op: str, eventish: bool, plain: bool) -> Fn | None:
        """`q.investor == i`, `x != d`, `channel == mail`: the commonest comparisons, reading
        their operands themselves (the same as the general closures, one call instead of
        three)."""
        if op not in ("==", "!=") or not (eventish or plain):
            return None
        a, b = e.args
        if (a.op, b.op) in (("local", "field"), ("lit", "local")):
            a, b = b, a  # == and != are symmetric
        if b.op == "local":
            w = b.data
            if a.op == "local":
                v = a.data
                if eventish:
                    if op == "==":
                        return lambda ctx, env: env[v] is env[w]
                    return lambda ctx, env: env[v] is not env[w]
                if op == "==":
                    return lambda ctx, env: bool(env[v] == env[w])
                return lambda ctx, env: env[v] != env[w]
            if a.op == "field" and a.args[0].op == "local" and a.data not in ("date", "id"):
                v, f = a.args[0].data, a.data
                if eventish:
                    if op == "==":
                        return lambda ctx, env: (
                            None if (o := env[v]) is None else o.fields[f]) is env[w]
                    return lambda ctx, env: (
                        None if (o := env[v]) is None else o.fields[f]) is not env[w]
                if op == "==":
                    return lambda ctx, env: bool(
                        (None if (o := env[v]) is None else o.fields[f]) == env[w])
                return lambda ctx, env: (
                    None if (o := env[v]) is None else o.fields[f]) != env[w]
        if a.op == "local" and b.op == "lit" and plain:
            v, c = a.data, b.data
            if op == "==":
                return lambda ctx, env: bool(env[v] == c)
            return lambda ctx, env: env[v] != c
        return None

    def op_member(self, e: ir.E) -> Fn:
        a, b = e.args
        if a.op == "local" and b.op == "field" and b.args[0].op == "local" and b.data not in (
                "date", "id"):  # `i in n.recipients`, reading both itself
            v, w, f = a.data, b.args[0].data, b.data
            if e.data:
                return lambda ctx, env: env[v] not in (  # type: ignore[operator]
                    None if (o := env[w]) is None else o.fields[f])
            return lambda ctx, env: env[v] in (  # type: ignore[operator]
                None if (o := env[w]) is None else o.fields[f])
        item, coll = self.compile(e.args[0]), self.compile(e.args[1])
        if e.data:
            return lambda ctx, env: item(ctx, env) not in coll(ctx, env)
        return lambda ctx, env: item(ctx, env) in coll(ctx, env)

    def op_and(self, e: ir.E) -> Fn:
        left, right = self.compile(e.args[0]), self.compile(e.args[1])
        c = e.args[0]
        if c.op == "cmp" and c.data == "==":
            a, b = c.args
            if a.op == "local" and b.op == "field":
                a, b = b, a
            eventish = _eventish(a.type) and _eventish(b.type)
            if (b.op == "local" and a.op == "field" and a.args[0].op == "local"
                    and a.data not in ("date", "id") and (eventish or (
                        _plain(a.type) and _plain(b.type)))):
                # `q.request == d and ...`: the comparison (which reads only bindings, so
                # cannot be missing a fact) made here, as fused_eq makes it
                v, f, w = a.args[0].data, a.data, b.data
                if eventish:
                    def and_is(ctx: Ctx, env: dict[str, Any]) -> Any:
                        if (None if (o := env[v]) is None else o.fields[f]) is not env[w]:
                            return False
                        return right(ctx, env)
                    return and_is

                def and_eq(ctx: Ctx, env: dict[str, Any]) -> Any:
                    same = (None if (o := env[v]) is None else o.fields[f]) == env[w]
                    if not same:
                        return False
                    return right(ctx, env)
                return and_eq

        def and_(ctx: Ctx, env: dict[str, Any]) -> Any:
            try:
                a = left(ctx, env)
            except Missing as m:  # three-valued: false on the right still decides
                try:
                    b = right(ctx, env)
                except Missing as m2:
                    raise Missing(m.needs | m2.needs) from None
                if b is False:
                    return False
                raise
            if not a:
                return False
            return right(ctx, env)
        return and_

    def op_or(self, e: ir.E) -> Fn:
        left, right = self.compile(e.args[0]), self.compile(e.args[1])

        def or_(ctx: Ctx, env: dict[str, Any]) -> Any:
            try:
                a = left(ctx, env)
            except Missing as m:
                try:
                    b = right(ctx, env)
                except Missing as m2:
                    raise Missing(m.needs | m2.needs) from None
                if b is True:
                    return True
                raise
            if a:
                return True
            return right(ctx, env)
        return or_

    def op_not(self, e: ir.E) -> Fn:
        x = self.compile(e.args[0])
        return lambda ctx, env: not x(ctx, env)

    def op_neg(self, e: ir.E) -> Fn:
        x = self.compile(e.args[0])
        return lambda ctx, env: None if (v := x(ctx, env)) is None else -v

    def op_if(self, e: ir.E) -> Fn:
        c, a, b = (self.compile(x) for x in e.args)
        if e.args[2].op == "local":  # `... else sent`: the variable read here
            var = e.args[2].data
            return lambda ctx, env: a(ctx, env) if c(ctx, env) else env[var]
        return lambda ctx, env: a(ctx, env) if c(ctx, env) else b(ctx, env)

    def op_at(self, e: ir.E) -> Fn:
        """`expr as of day`: `expr` in the context of that day (the events up to it, each
        fact's value on it); a day after the context's own is the context's own day (what has
        not yet happened is not known)."""
        inner, day = self.compile(e.args[0]), self.compile(e.args[1])
        types, facts = self.plan.day_reads(e.args[0])
        names = _local_names(e.args[0])
        qual = bool(self.notes(e.args[0]))
        shared = self.share_as_of
        marker = object()  # this expression's memo keys

        def at(ctx: Ctx, env: dict[str, Any]) -> Any:
            d = day(ctx, env)
            if ctx.trace is None and not shared:
                if unchanged_since(ctx, d, types, facts):
                    return inner(ctx, env)
                return _lent(ctx, ctx.of_day(d), inner, env)
            if ctx.trace is None:
                # kept in the memo of the day's context, by the values of the variables
                # `inner` reads: every context that asks about the same day (a
                # determination's day, asked on each later day a deadline is judged, or
                # each later determination's) shares one evaluation
                holder = ctx.of_day(d)
                memo = holder.memo
                key: Any = (marker, *[env.get(n) for n in names])
                try:
                    hit = memo.get(key, _NOTHING)
                except TypeError:  # a value that cannot be a key (a map): no memo
                    key, hit = None, _NOTHING
                if hit is not _NOTHING:
                    if qual:  # with the assumptions it rests on, noted again
                        return _noted_hit(ctx, hit)
                    if type(hit) is Missing:
                        raise Missing(hit.needs)
                    return hit
                # nothing `inner` reads changed after `d`: its value on `d` is its value
                # today, read in this context (its memo)
                sub = ctx if unchanged_since(ctx, d, types, facts) else holder
                if key is None:
                    return _lent(ctx, sub, inner, env)
                if qual:
                    return _kept_noted(ctx, sub, inner, env, memo, key)
                try:
                    v = _lent(ctx, sub, inner, env)
                except Missing as m:
                    memo[key] = Missing(m.needs)
                    raise
                memo[key] = v
                return v
            if d >= ctx.cutoff:
                return inner(ctx, env)
            saved = ctx.trace
            kids: list[Node] = []
            v = _lent(ctx, ctx.of_day(d), inner, env, kids)
            saved.append(Node("as_of", f"as it stood on {d.isoformat()}", show(v, e.type),
                              children=kids))
            return v
        return at

    def op_status(self, e: ir.E) -> Fn:
        """`§S.x[args] is STATUS`: the answer of that clause instance on the context's day,
        decided by the evaluator (the context's `status_of`); an undetermined answer makes the
        test undetermined, naming what it needs."""
        norm_id, status, has_bearer, has_event = e.data
        args = [self.compile(a) for a in e.args]
        label = f"§{norm_id}"

        def test(ctx: Ctx, env: dict[str, Any]) -> Any:
            vals = [a(ctx, env) for a in args]
            bearer = vals[0] if has_bearer else None
            event = vals[-1] if has_event else None
            found = ctx.root.status_of(norm_id, bearer, event, ctx.cutoff)
            if ctx.trace is not None:
                shown = label + (f"[{_label_args(tuple(vals))}]" if vals else "")
                ctx.trace.append(Node("condition", f"{shown} on {ctx.cutoff.isoformat()}",
                                      found, norm_id.split(".")[0]))
            return found == status
        return test

    def op_fold(self, e: ir.E) -> Fn:
        """A state (`state NAME ... initially E upon ...: V`): its initial value, then, for
        each event of its steps' types seen on the context's day, in the fact set's order,
        each step of that type whose `where` holds becomes the value; a step is judged on the
        facts as they stood on the day of its event.  In a derivation, one step per event
        that changed the value."""
        name, spec = e.data
        initial = self.compile(e.args[0])
        steps: list[tuple[frozenset[str], str, Fn | None, Fn]] = []
        types: list[str] = []
        k = 1
        on_day = False  # does a step read what changes from day to day (then: on its day)
        for events, var, has_where in spec:
            k += 1  # the events node: for the stages that ask what a definition reads
            where = self.compile(e.args[k]) if has_where else None
            on_day = on_day or (has_where and self.plan.reads_events(e.args[k]))
            k += has_where
            steps.append((frozenset(events), var, where, self.compile(e.args[k])))
            on_day = on_day or self.plan.reads_events(e.args[k])
            k += 1
            types.extend(t for t in events if t not in types)
        merged = "|".join(types)  # the key of the events of every step's type, in order
        qualitative = frozenset(t for t in types if self.contract.events[t].qualitative)
        rtype = e.type

        def step(ctx: Ctx, ev: EventValue, v: Any, env2: dict[str, Any]) -> tuple[Any, bool]:
            """The steps of one event, judged on its day's facts (that day's context lent for
            it, as `_lent` lends it): the state's value after the event, and whether a step
            applied.  Traced, what the steps read is left out of the derivation: the fold
            shows one node for each event that changed the value."""
            trace = ctx.trace
            day = ctx.of_day(ev.date) if on_day else ctx
            saved, noted = day.trace, day.qualitative
            day.trace, day.qualitative = trace, ctx.qualitative
            changed = False
            try:
                for kinds, var, where, value in steps:
                    if ev.type not in kinds:
                        continue
                    env2[var] = ev
                    env2[name] = v
                    if trace is not None:
                        day.trace = []
                    if where is None or where(day, env2):
                        v = value(day, env2)
                        changed = True
            finally:
                day.trace, day.qualitative = saved, noted
            return v, changed

        def fold(ctx: Ctx, env: dict[str, Any]) -> Any:
            v = initial(ctx, env)
            if len(types) == 1:
                found: Any = ctx.events(types[0])
            else:
                found = ctx._events.get(merged)
                if found is None:
                    # the evaluation date's context merges the types once; a context of an
                    # earlier day sees the events up to its day, a prefix of those
                    root = ctx.root
                    whole = root._events.get(merged)
                    if whole is None:
                        whole = root._events[merged] = tuple(
                            sorted([x for t in types for x in root.events(t)], key=event_order))
                    if root is not ctx:
                        whole = whole[:bisect.bisect_right(whole, ctx.cutoff, key=_event_day)]
                        ctx._events[merged] = whole
                    found = whole
            if not found:
                return v
            if ctx.trace is None and not qualitative:
                try:
                    key = (_FOLD, name, tuple(env.items()), v)
                    hash(key)
                except TypeError:  # an unhashable argument or initial value: folded here
                    pass
                else:
                    return resume(ctx, env, key, v, found)
            env2 = dict(env)
            trace = ctx.trace
            for ev in found:
                v, changed = step(ctx, ev, v, env2)
                if changed:
                    if ev.type in qualitative:
                        ctx.qualitative.add(f"{ev.type} {ev.id}")
                    if trace is not None:
                        trace.append(Node("condition",
                                          f"upon {ev.type} {ev.id} of {ev.date.isoformat()}",
                                          show(v, rtype)))
            return v

        def resume(ctx: Ctx, env: dict[str, Any], key: Any, v: Any, found: Any) -> Any:
            """The fold, untraced, from where an earlier fold of the same state (the same
            arguments and initial value) in this evaluation stopped.  Every context of an
            evaluation sees a prefix of the same events, in the same order, and a step's value
            is the same in each (it reads no event or fact, or is judged on its event's own
            day): the state's value after each event is kept, by event, in the evaluation
            date's context, and a context of an earlier day reads it there.  Without this, a
            state read on each day of a history (`restricted_stock(i) as of d`, a `while`) is
            folded over the whole history each time: a history k times as long costs k²."""
            memo = ctx.root.memo
            n = len(found)
            kept = memo.get(key)
            start, after = 0, []
            if kept is not None:
                evs, vals = kept
                m = len(vals)
                if m >= n and evs[n - 1] is found[n - 1]:
                    return vals[n - 1]
                if m and m <= n and found[m - 1] is evs[m - 1]:
                    start, after, v = m, vals, vals[m - 1]
            memo[key] = (found, after)  # kept as it grows: a failure keeps what came before
            env2 = dict(env)
            for i in range(start, n):
                v = step(ctx, found[i], v, env2)[0]
                after.append(v)
            return v
        return fold

    def first_day(self, e: ir.E, start: Fn, cond: Fn) -> Fn:
        """`first_day(D, C)`: the first day, from D through the context's day, on which C
        holds, C judged on the facts as they stood on each day (none if there is none yet).
        C can change only on the day of an event it reads or a day on which a fact it reads
        takes a new value: it is judged on D and on those days only; or, if C reads its own
        day (another clause's answer, another `first_day`), on every day (error E601 past
        MAX_DATES of them)."""
        types, facts = self.plan.day_reads(e.args[1])
        span = e.span

        def first(ctx: Ctx, env: dict[str, Any]) -> Any:
            d = start(ctx, env)
            if d > ctx.cutoff:
                return None
            if OWN_DAY in types:
                n = day_count(d, ctx.cutoff, span, "first_day(...) would judge its condition on")
                for day in walk_days(d, n):
                    if _lent(ctx, ctx.of_day(day), cond, env):
                        return day
                return None
            if _lent(ctx, ctx.of_day(d), cond, env):
                return d
            # the later days, in order, each once: merged from the events' days (each type's
            # events are in date order, those after d found by bisection) and the facts' days
            # of change (in order), as far as the first day C holds (not all of them sorted
            # first: a history k times as long would cost k for each call)
            cutoff = ctx.cutoff
            streams: list[Iterator[datetime.date]] = []
            for t in types:
                evs = ctx.events(t)
                lo = bisect.bisect_right(evs, d, key=_EVENT_DATE)
                streams.append(x.date for x in itertools.islice(evs, lo, None))
            for f in facts:
                days = ctx.facts.changes.get(f, ())
                lo = bisect.bisect_right(days, d)
                later = itertools.islice(days, lo, None)
                streams.append(itertools.takewhile(lambda p: p <= cutoff, later))
            last = d
            for day in heapq.merge(*streams):
                if day != last:
                    last = day
                    if _lent(ctx, ctx.of_day(day), cond, env):
                        return day
            return None
        return first

    def op_nth(self, e: ir.E) -> Fn:
        return _date_step(self.compile(e.args[0]), e.data[0], e.data[1],
                          e.args[0].data if e.args[0].op == "local" else None, e.span)

    def op_builtin(self, e: ir.E) -> Fn:
        name, extra = e.data
        args = [self.compile(a) for a in e.args]
        if name == "keys":
            return lambda ctx, env: frozenset(args[0](ctx, env))
        if name == "values":
            return lambda ctx, env: tuple(args[0](ctx, env).values())
        if name == "exists":
            return lambda ctx, env: args[0](ctx, env) is not None
        if name in ("earlier", "later"):
            pick = min if name == "earlier" else max

            if len(args) == 2:  # earlier(a, b): the one that is not none, or the min (max)
                g1, g2 = args
                first = name == "earlier"

                def pick_two(ctx: Ctx, env: dict[str, Any]) -> Any:
                    a, b = g1(ctx, env), g2(ctx, env)
                    if a is None:
                        return b
                    if b is None:
                        return a
                    return (a if a <= b else b) if first else (a if a >= b else b)
                return pick_two

            def pick_date(ctx: Ctx, env: dict[str, Any]) -> Any:
                vals = [v for a in args if (v := a(ctx, env)) is not None]
                return pick(vals) if vals else None
            return pick_date
        if name == "days_between":
            d0 = _field_of_local(e.args[0])
            if d0 is not None and d0[1] == "date" and e.args[1].op == "local":
                # `days_between(m.date, d)`: both read here (two calls fewer)
                v0, v1 = d0[0], e.args[1].data

                def between_read(ctx: Ctx, env: dict[str, Any]) -> Any:
                    o, b = env[v0], env[v1]
                    return None if o is None or b is None else (b - o.date).days
                return between_read

            def between(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = args[0](ctx, env), args[1](ctx, env)
                return None if a is None or b is None else (b - a).days
            return between
        if name in ("days", "business_days", "months"):
            return lambda ctx, env: Duration(args[0](ctx, env), name)
        if name == "abs":
            return lambda ctx, env: None if (v := args[0](ctx, env)) is None else abs(v)
        if name == "dates":
            span = e.span

            def dates(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = args[0](ctx, env), args[1](ctx, env)
                n = day_count(a, b, span)
                return frozenset(walk_days(a, n))
            return dates
        if name == "first_day":
            return self.first_day(e, args[0], args[1])
        if name == "overlap_days":
            f1, f2, f3, f4 = args
            d1, d4 = _field_of_local(e.args[0]), _field_of_local(e.args[3])
            if d1 is not None and d4 is not None and d1[1] == d4[1] == "date":
                # `overlap_days(x.date, ..., ..., m.date)`: the two dates of events read here
                v1, v4 = d1[0], d4[0]

                def overlap_read(ctx: Ctx, env: dict[str, Any]) -> Any:
                    o1 = env[v1]
                    a1 = None if o1 is None else o1.date
                    a2, b1 = f2(ctx, env), f3(ctx, env)
                    o4 = env[v4]
                    if a1 is None or a2 is None or b1 is None or o4 is None:
                        return None
                    b2 = o4.date
                    days = ((a2 if a2 < b2 else b2) - (a1 if a1 > b1 else b1)).days
                    return days if days > 0 else 0
                return overlap_read

            def overlap(ctx: Ctx, env: dict[str, Any]) -> Any:
                a1, a2, b1, b2 = f1(ctx, env), f2(ctx, env), f3(ctx, env), f4(ctx, env)
                if a1 is None or a2 is None or b1 is None or b2 is None:
                    return None
                days = ((a2 if a2 < b2 else b2) - (a1 if a1 > b1 else b1)).days
                return days if days > 0 else 0
            return overlap
        if name == "round":
            result = e.type.kind
            unit = args[1] if len(args) > 1 else None
            return lambda ctx, env: round_value(args[0](ctx, env),
                                                unit(ctx, env) if unit else None, extra, result)
        raise AssertionError(name)  # pragma: no cover


def _eq(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ta is EventValue or tb is EventValue:
        return a is b
    if ta is Fraction or tb is Fraction:
        if a is None or b is None:
            return a is b
        return bool(Fraction(a) == Fraction(b))
    return bool(a == b)


def compile_contract(contract: ir.Contract) -> Plan:
    """Compile a checked contract once; evaluate the plan against many fact sets."""
    return Plan(contract)
