"""Evaluator stage: `Plan` × `FactSet` × as-of date → `Outcome`.

For every clause instance (one per triggering event and per bearer) it decides the status —
not triggered, pending, in force, fulfilled, breached, expired, suspended, excused, or
undetermined (naming the missing facts) — with dates, numbers, citations and, on request, the
derivation tree.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

import attrs

from . import ir
from ._gc import collector_paused
from .calendars import BusinessCalendar
from .compiler import NOTED, Plan, day_count, snippet, unchanged_since, walk_days
from .diagnostics import Diagnostic, EvaluationError
from .facts import FactSet
from .runtime import OWN_DAY, Ctx, EvalFailure, Missing, Node
from .values import EventValue, event_order, show

try:  # the compiled build: Cython reads its directives below when it compiles this file
    import cython  # type: ignore[import-not-found, unused-ignore]
except ModuleNotFoundError:  # the Python sources, where they change nothing
    class cython:  # type: ignore[no-redef]
        cclass = no_gc = staticmethod(lambda cls: cls)

STATUSES = ("not_triggered", "pending", "in_force", "fulfilled", "breached", "expired",
            "suspended", "excused", "undetermined")
_T = TypeVar("_T")

MAX_VALUE_INSTANCES = 200
ONE_DAY = datetime.timedelta(days=1)
_DECIMAL_CONTEXT = decimal.Context(prec=60, traps=[decimal.FloatOperation,
                                                   decimal.InvalidOperation,
                                                   decimal.DivisionByZero])


@attrs.define
class Applied:
    """An exception that bears on a clause instance."""

    exception: str
    effect: str
    because: str
    start: datetime.date | None
    end: datetime.date | None  # last day (inclusive); None = no fixed end
    active: bool
    cite: ir.Cite


class _LazyList(Generic[_T]):
    """A result's list field, kept in a slot of its own (`_missing` for `missing`) that holds
    None until the list is first read or set: most stay empty, and an empty list each was two
    fifths of a kept outcome's memory.  To the reader it is a list like any other: the same
    one each time, changed in place, or set anew."""

    __slots__ = ("slot",)

    def __init__(self, slot: str):
        self.slot = slot

    @overload
    def __get__(self, obj: None, cls: type | None = None) -> _LazyList[_T]: ...

    @overload
    def __get__(self, obj: object, cls: type | None = None) -> list[_T]: ...

    def __get__(self, obj: object | None, cls: type | None = None) -> Any:
        if obj is None:
            return self
        found = getattr(obj, self.slot)
        if found is None:
            found = []
            setattr(obj, self.slot, found)
        return found

    def __set__(self, obj: object, value: list[_T]) -> None:
        setattr(obj, self.slot, value)


class _Record:
    """The base of the evaluator's result classes: plain classes with slots, compared, shown
    and constructed as attrs classes are (`__eq__` field by field, `__repr__` with the field
    names), but written out so that the compiled evaluator makes them as C structs (their
    declarations in evaluator.pxd): an evaluation makes about sixty, each with up to eighteen
    fields, and setting a field of an attrs class (an extension type cannot be one) costs a
    look-up of the attribute in its class each time."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # type: ignore[assignment]  # mutable, like an attrs class with eq

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({fields})"


@cython.no_gc
@cython.cclass
class NormResult(_Record):
    """One answer: what a party must, may or must not do, its status, and why.

    In the compiled build a result is not tracked by the cyclic garbage collector
    (`cython.no_gc`): nothing it refers to refers back to it, and a batch that keeps a few
    hundred thousand of them would otherwise have every full collection walk them all.

    `withs`: label, value, type, and the facts the value needs (empty when it is known; the
    value is then None): a value that cannot be computed leaves the status as it is.
    `beneficiaries_missing`: the facts `to` needs when the beneficiaries cannot be named (they
    are then None).  `period_end` is the period's last day, inclusive."""

    # the five lists are made when first read or set (`_LazyList`)
    __slots__ = ("_assumptions", "_beneficiaries_missing", "_exceptions", "_missing", "_withs",
                 "bearer", "beneficiaries", "breached_on", "deadline", "explanation", "instance",
                 "norm", "performed_on", "period_end", "period_start", "reason", "status",
                 "trigger")
    _fields = ("norm", "instance", "bearer", "beneficiaries", "trigger", "status", "reason",
               "deadline", "period_start", "period_end", "performed_on", "breached_on",
               "missing", "assumptions", "exceptions", "withs", "explanation",
               "beneficiaries_missing")
    missing: _LazyList[str] = _LazyList("_missing")  # the facts the answer needs
    assumptions: _LazyList[str] = _LazyList("_assumptions")  # the events taken as given
    exceptions: _LazyList[Applied] = _LazyList("_exceptions")  # those that bear on it
    withs: _LazyList[tuple[str, Any, Any, tuple[str, ...]]] = _LazyList("_withs")
    beneficiaries_missing: _LazyList[str] = _LazyList("_beneficiaries_missing")

    def __init__(self, norm: ir.Norm, instance: str, bearer: str | None,
                 beneficiaries: list[str] | None, trigger: EventValue | None, status: str,
                 reason: str, deadline: datetime.date | None = None,
                 period_start: datetime.date | None = None,
                 period_end: datetime.date | None = None,
                 performed_on: datetime.date | None = None,
                 breached_on: datetime.date | None = None, missing: list[str] | None = None,
                 assumptions: list[str] | None = None, exceptions: list[Applied] | None = None,
                 withs: list[tuple[str, Any, Any, tuple[str, ...]]] | None = None,
                 explanation: Node | None = None,
                 beneficiaries_missing: list[str] | None = None):
        self.norm, self.instance, self.bearer = norm, instance, bearer
        self.beneficiaries, self.trigger, self.status, self.reason = (
            beneficiaries, trigger, status, reason)
        self.deadline, self.period_start, self.period_end = deadline, period_start, period_end
        self.performed_on, self.breached_on = performed_on, breached_on
        self._missing, self._assumptions, self._exceptions = missing, assumptions, exceptions
        self._withs = withs
        self.explanation = explanation
        self._beneficiaries_missing = beneficiaries_missing


#: The fields `_result` sets, in NormResult's order (tests/test_fast_paths.py checks that they
#: are NormResult's fields: a field added to NormResult must be set in `_result` too).
_RESULT_FIELDS = NormResult._fields


def _in_instance(exc: Exception, n: ir.Norm, bearer: str | None,
                 event: EventValue | None) -> EvalFailure:
    """An evaluation failure (or a date out of the calendar, which the date steps report
    themselves but a day's step inside the engine may meet too) with the clause instance it
    happened in: the clause, the bearer, the event and its date."""
    if isinstance(exc, EvalFailure):
        f = exc
    else:
        f = EvalFailure("a date fell outside the calendar: dates run from 0001-01-01 to "
                        "9999-12-31", n.cite.span,
                        "check the dates of the events and facts (a year typed wrong?)")
    if f.context is None:
        who = [str(bearer)] if bearer is not None and n.bearer_var is not None else []
        about = ""
        if event is not None:
            who.append(event.id)
            about = f": {event.type} {event.id} of {event.date.isoformat()}"
        f.context = (f"in §{n.id}" + (f"[{', '.join(who)}]" if who else "") + about)
    return f


def _result(norm: ir.Norm, instance: str, bearer: str | None, trigger: EventValue | None,
            status: str, reason: str) -> NormResult:
    """`NormResult(norm, instance, bearer, None, trigger, status, reason)`, made directly:
    the constructor's defaults cost about as much again."""
    r: NormResult = NormResult.__new__(NormResult)
    r.norm, r.instance, r.bearer, r.beneficiaries, r.trigger = norm, instance, bearer, None, trigger
    r.status, r.reason = status, reason
    r.deadline = r.period_start = r.period_end = r.performed_on = r.breached_on = None
    r._missing = r._assumptions = r._exceptions = r._withs = None  # lists when asked for
    r.explanation = None
    r._beneficiaries_missing = None
    return r


@cython.no_gc
@cython.cclass
class ValueResult(_Record):
    """One derived value: the definition, its label with the arguments, and the value, or
    the facts it needs (the value is then None)."""

    __slots__ = ("_missing", "definition", "explanation", "label", "value")
    _fields = ("definition", "label", "value", "missing", "explanation")
    missing: _LazyList[str] = _LazyList("_missing")  # the facts the value needs

    def __init__(self, definition: ir.Definition, label: str, value: Any,
                 missing: list[str] | None = None, explanation: Node | None = None):
        self.definition, self.label, self.value = definition, label, value
        self._missing = missing  # a list when asked for (most values need nothing)
        self.explanation = explanation


@attrs.define
class FactWarning:
    """An event of the fact file that fails a fact check of the contract."""

    check: ir.Check
    event: EventValue

    @property
    def message(self) -> str:
        return self.check.title or f"{self.check.trigger.var}: {snippet(self.check.cond.span)}"


@attrs.define
class Term:
    """The agreement's own life (`survives while`) as of the evaluation date: the day it
    ended (the first day on or after its date at the end of which the condition did not
    hold: its last day), or None while it survives; `missing`: the facts the condition needs
    on a day before an end was found (whether it still survives is then undetermined, and
    the answers are given as if it did)."""

    rule: ir.Survival
    ended_on: datetime.date | None
    missing: list[str]


@attrs.define
class Outcome:
    contract: ir.Contract
    as_of: datetime.date
    norms: list[NormResult]
    values: list[ValueResult]
    facts: FactSet
    references: list[Any] = attrs.field(factory=list)  # family.ReferenceResult
    amendments: list[Any] = attrs.field(factory=list)  # family.AmendmentDecision
    # family.IgnoredAmendment: amendments the facts show took effect, not evaluated
    ignored_amendments: list[Any] = attrs.field(factory=list)
    warnings: list[FactWarning] = attrs.field(factory=list)  # events failing a fact check
    term: Term | None = None  # the agreement's life, when it says how long it survives


_CALENDARS: dict[str, BusinessCalendar] = {}


class _Calendar(BusinessCalendar):
    """A business-day calendar whose test reads a plain set of the holiday dates the library
    has computed so far (the library computes a year's holidays when a day of it is first
    asked for; its own `in` converts the key and checks the year on every call, which was
    ~5 % of an evaluation).  Exactly the library's answer: a year not yet computed is asked
    of the library, and the set is taken again whenever the library's table has grown."""

    def __init__(self, name: str):
        super().__init__(name)
        self._days: frozenset[datetime.date] = frozenset()
        self._years: frozenset[int] = frozenset()
        self._size = -1

    def _sync(self, day: datetime.date | None = None) -> None:
        table = self._table()
        if day is not None and day.year not in table.years:
            day in table  # noqa: B015 - the library computes the year's holidays
        self._days, self._years, self._size = frozenset(table), frozenset(table.years), len(table)

    def is_business_day(self, day: datetime.date) -> bool:
        if day.weekday() >= 5:
            return False
        if day.year not in self._years or len(self._table()) != self._size:
            self._sync(day)
        return day not in self._days

    def add(self, start: datetime.date, count: int) -> datetime.date:
        """The `count`-th business day following `start` (start itself is never counted)."""
        if len(self._table()) != self._size:
            self._sync()
        step = ONE_DAY if count >= 0 else -ONE_DAY
        day = start
        left = abs(count)
        while left:
            day += step
            if day.weekday() < 5:
                if day.year not in self._years:
                    self._sync(day)
                if day not in self._days:
                    left -= 1
        return day


def calendar_for(name: str) -> BusinessCalendar:
    cal = _CALENDARS.get(name)
    if cal is None:
        cal = _CALENDARS[name] = _Calendar(name)
    return cal


class _Instance:
    """Working state while one clause instance is decided."""

    def __init__(self, ctx: Ctx, env: dict[str, Any]):
        self.ctx = ctx
        self.env = env
        self.missing: set[str] = set()
        self.nodes: list[Node] = []


class Evaluator:
    def __init__(self, plan: Plan, facts: FactSet, as_of: datetime.date, trace: bool = False,
                 with_values: bool = True):
        self.plan = plan
        self.c = plan.contract
        self.facts = facts
        self.as_of = as_of
        self.trace = trace
        self.with_values = with_values
        self.ctx = Ctx(facts, as_of, calendar_for(self.c.calendar), trace=trace)
        self.fns = plan.fns
        self.qualitative_events = _qualitative_events(plan)
        self._triggers: dict[tuple[str, ...], Sequence[EventValue]] = {}
        self._qualitative: set[str] = set()
        self._missing: set[str] = set()
        # the fast path's texts for a clause instance not triggered by its event (the same for
        # every bearer), made once per clause and event of this run
        self.as_of_text = as_of.isoformat()
        self._not_met: dict[tuple[str, EventValue], str] = {}
        # answers other clauses ask for (`§S.x[...] is STATUS`): by (norm, bearer, event,
        # day), and those being decided (a cycle the checker did not see is E408)
        self._statuses: dict[Any, Any] = {}
        self._asking: set[Any] = set()
        self._days: dict[datetime.date, Evaluator] = {}
        self.ctx.status_of = self.status_of

    def triggers(self, names: tuple[str, ...]) -> Sequence[EventValue]:
        """The events of these types as of the as-of date, in order (computed once)."""
        found = self._triggers.get(names)
        if found is None:
            if len(names) == 1:  # one type: already in (date, sequence) order
                found = self._triggers[names] = self.ctx.events(names[0])
            else:  # in (date, sequence) order: EventValue's order, without calling __lt__
                found = self._triggers[names] = sorted(
                    [e for name in names for e in self.ctx.events(name)], key=event_order)
        return found

    def run(self, term: bool = True, only: frozenset[str] | None = None) -> Outcome:
        """Every answer as of the evaluation date; `term=False`: without asking whether the
        agreement still survives (the answers as of its last day are asked so); `only`: the
        answers of the clauses with these ids, and no other (each is decided as in a run of
        them all: a clause that asks another's status asks it of its own)."""
        # localcontext works on a copy; the collector is paused: an evaluation frees its own
        # cycles, and the collector's passes during it found nothing to free (rrdsl/_gc.py)
        with decimal.localcontext(_DECIMAL_CONTEXT), collector_paused():
            try:
                life = self.term() if term and self.c.survival is not None else None
                if life is not None and life.ended_on is not None:
                    norms = self.after_the_end(life.ended_on, only)
                else:
                    norms = self.answers(only)
                values = self.values() if self.with_values else []
                warnings = self.fact_warnings()
            except EvalFailure as f:
                raise EvaluationError(Diagnostic(
                    f.code, f.message, f.span,
                    hints=tuple(h for h in (f.context, f.hint) if h))) from None
            except OverflowError:  # a date out of the calendar that no step above reported
                raise EvaluationError(Diagnostic(
                    "E601", "a date fell outside the calendar: dates run from 0001-01-01 to "
                    "9999-12-31", None,
                    hints=("check the dates of the events and facts (a year typed wrong?)",))
                ) from None
            except RecursionError:
                raise EvaluationError(Diagnostic(
                    "E602", "the evaluation went too deep", None,
                    hints=("simplify nested definitions",))) from None
            finally:
                self.ctx.release()
                for other in self._days.values():
                    other.ctx.release()
                self._days = {}
        return Outcome(self.c, self.as_of, norms, values, self.facts, warnings=warnings,
                       term=life)

    # ── answers other clauses ask for ───────────────────────────────────────

    def status_of(self, norm_id: str, bearer: str | None, event: EventValue | None,
                  day: datetime.date) -> str:
        """The status of a clause instance's answer on `day` (no later than the evaluation
        date), as `rrdsl eval --as-of DAY` would give it, for `§S.x[...] is STATUS`; Missing
        when it is undetermined, naming the facts it needs."""
        key = (norm_id, bearer, event, day)
        found = self._statuses.get(key)
        if found is None:
            if key in self._asking:
                raise EvalFailure(f"the answer of §{norm_id} depends on itself", None,
                                  code="E408")
            norm = next(n for n in self.c.norms if n.id == norm_id)
            if norm.bearer_var is None:
                bearer = norm.bearer
            if day >= self.as_of:
                on_day = self
            else:
                on_day = self._days.get(day) or self._days.setdefault(
                    day, Evaluator(self.plan, self.facts, day, with_values=False))
            self._asking.add(key)
            saved = on_day.ctx.qualitative, on_day.ctx.trace
            on_day.ctx.qualitative, on_day.ctx.trace = set(), None
            try:
                if event is not None and (event.date > day or (
                        norm.trigger is not None and event.type not in norm.trigger.events)):
                    found = ("not_triggered", ())  # not yet happened that day, or not its kind
                else:
                    r = on_day.instance(norm, bearer, event)
                    found = (r.status, tuple(r.missing))
            finally:
                on_day.ctx.qualitative, on_day.ctx.trace = saved
                self._asking.discard(key)
            self._statuses[key] = found
        if found[0] == "undetermined":
            raise Missing(frozenset(found[1]))
        status: str = found[0]
        return status

    # ── the agreement's own life ────────────────────────────────────────────

    def term(self) -> Term:
        """Whether the agreement survives on the evaluation date: its `survives while`
        condition judged day by day from the agreement's date, as an exception's `while` is
        (`while_periods`); it ends on the first day the condition does not hold."""
        rule = self.c.survival
        assert rule is not None
        if self.trace:
            # the term keeps no derivation: judged untraced, by an evaluator of its own (a
            # context is traced or not for its whole life), whose states fold each event once
            # (compiler.op_fold) where a traced context folds them again on every day
            other = Evaluator(self.plan, self.facts, self.as_of, trace=False,
                              with_values=False)
            try:
                return other.untraced_term()
            finally:
                other.ctx.release()
        return self.untraced_term()

    def untraced_term(self) -> Term:
        """`term`, in this evaluator's own (untraced) context."""
        rule = self.c.survival
        assert rule is not None
        fn = self.plan.fn(rule.cond)
        ctx = self.ctx
        saved_trace, saved_noted = ctx.trace, ctx.qualitative
        ctx.trace = None if saved_trace is None else []  # no answer's derivation
        ctx.qualitative = set()  # nor its assumptions

        try:
            periods, missing = self.while_periods(
                rule.cond, None, lambda day: fn(ctx.at(day), {}), strict=True)
        finally:
            ctx.trace, ctx.qualitative = saved_trace, saved_noted
        if periods is None:
            return Term(rule, None, sorted(missing))
        first = self.c.dated if self.c.dated is not None and self.c.dated <= self.as_of \
            else None
        if not periods or (first is not None and periods[0][0] > first):
            return Term(rule, first or self.as_of, [])
        last = periods[0][1]
        return Term(rule, None if last is None else last + ONE_DAY, [])

    def answers(self, only: frozenset[str] | None) -> list[NormResult]:
        """Every clause's answers as of this evaluation's date (`only`: as for `run`), without
        asking whether the agreement still survives: traced, each clause's derivation; else
        by the fast path."""
        if self.trace:
            return [r for n in self.c.norms if only is None or n.id in only
                    for r in self.norm(n)]
        out: list[NormResult] = []
        for np in _norm_plans(self.plan):
            if only is None or np.norm.id in only:
                self.fast_norm(np, out)
        return out

    def after_the_end(self, ended: datetime.date,
                      only: frozenset[str] | None = None) -> list[NormResult]:
        """The answers once the agreement has ended: each clause as it stood at the end of
        its last day (what was fulfilled, breached, excused or expired by then stands, what
        happened on that day included; what was pending, in force or suspended ended with the
        agreement), and an event after that day triggers nothing. `only`: as for `run`."""
        rule = self.c.survival
        assert rule is not None
        cite = f"§{rule.cite.section}"
        before = (self if ended >= self.as_of else Evaluator(
            self.plan, self.facts, ended, trace=self.trace, with_values=False))
        answers = before.answers(only)
        by_norm: dict[str, list[NormResult]] = {}
        for r in answers:
            if r.status in ("pending", "in_force", "suspended"):
                r.reason = (f"ended with the Agreement on {ended.isoformat()} ({cite}), when "
                            f"it was {r.status.replace('_', ' ')}"
                            + (f": {r.reason}" if r.reason else ""))
                r.status = "expired"
                if r.explanation is not None:
                    r.explanation.value = f"{r.status}: {r.reason}"
            by_norm.setdefault(r.norm.id, []).append(r)
        out: list[NormResult] = []
        for n in self.c.norms:
            if only is not None and n.id not in only:
                continue
            found = by_norm.get(n.id, [])
            later = [e for e in self.triggers(n.trigger.events) if e.date > ended] \
                if n.trigger is not None else []
            if later and all(r.trigger is None for r in found):
                found = []  # "no such event as of" the last day: there are some, after it
            out.extend(found)
            for bearer in self.bearers(n):
                for e in later:
                    label = f"{bearer}, {e.id}" if n.bearer_var is not None else e.id
                    r = NormResult(
                        n, f"{n.id}[{label}]", bearer, None, e, "not_triggered",
                        f"{e.type} {e.id} of {e.date.isoformat()} came after the Agreement "
                        f"ended on {ended.isoformat()} ({cite})")
                    if self.trace:
                        node = self.leaf(n, r.status)
                        node.value = f"{r.status}: {r.reason}"
                        node.children = [Node(
                            "event", f"{e.type} {e.id}", e.date.isoformat(),
                            self.c.events[e.type].cite.section,
                            note=f"after the Agreement's last day, {ended.isoformat()} "
                                 f"(survives while, {cite})")]
                        r.explanation = node
                    out.append(r)
        if before is not self:
            before.ctx.release()
        return out

    # ── helpers ─────────────────────────────────────────────────────────────

    def ev(self, inst: _Instance, e: ir.E | None, label: str, ctx: Ctx | None = None) -> Any:
        """Evaluate one expression of a clause; record a node when tracing."""
        if e is None:
            return None
        ctx = ctx or inst.ctx
        fn = self.plan.fn(e)
        if ctx.trace is None:
            return fn(ctx, inst.env)
        saved = ctx.trace
        kids: list[Node] = []
        ctx.trace = kids
        try:
            v = fn(ctx, inst.env)
        except Missing as m:
            inst.nodes.append(Node("condition", f"{label}: {snippet(e.span)}", None, None,
                                   e.span.file if e.span else None,
                                   e.span.line if e.span else None, kids,
                                   note="undetermined: needs " + ", ".join(sorted(m.needs))))
            raise
        finally:
            ctx.trace = saved
        inst.nodes.append(Node("condition", f"{label}: {snippet(e.span)}", show(v, e.type), None,
                               e.span.file if e.span else None, e.span.line if e.span else None,
                               kids))
        return v

    def try_ev(self, inst: _Instance, e: ir.E | None, label: str, ctx: Ctx | None = None) -> Any:
        if not self.trace:  # the fast path: no derivation nodes to record
            if e is None:
                return None
            fn = self.fns.get(id(e)) or self.plan.fn(e)
            try:
                return fn(ctx or inst.ctx, inst.env)
            except Missing as m:
                inst.missing |= m.needs
                return _UNKNOWN
        try:
            return self.ev(inst, e, label, ctx)
        except Missing as m:
            inst.missing |= m.needs
            return _UNKNOWN

    # ── clauses ─────────────────────────────────────────────────────────────

    def bearers(self, n: ir.Norm) -> list[str | None]:
        if n.bearer_role is not None:
            return list(self.facts.roles.get(n.bearer_role, ()))
        return [n.bearer]

    def norm(self, n: ir.Norm) -> Iterator[NormResult]:
        bearers = self.bearers(n)
        if n.trigger is None:
            for b in bearers:
                yield self.instance(n, b, None)
            return
        events = self.triggers(n.trigger.events)
        if not events:
            kinds = " or ".join(n.trigger.events)
            yield NormResult(n, n.id, n.bearer, None, None, "not_triggered",
                             f"no {kinds} as of {self.as_of.isoformat()}",
                             explanation=self.leaf(n, "not triggered") if self.trace else None)
            return
        for b, e in itertools.product(bearers, events):
            yield self.instance(n, b, e)

    def norm_some(self, n: ir.Norm, wanted: set[str]) -> Iterator[NormResult]:
        """`norm`'s answers whose instance ids are in `wanted`, the others not decided."""
        if n.trigger is not None and not self.triggers(n.trigger.events):
            yield from self.norm(n)  # its one answer: not triggered
            return
        events: Sequence[EventValue | None] = (
            [None] if n.trigger is None else self.triggers(n.trigger.events))
        for b, e in itertools.product(self.bearers(n), events):
            label = ([str(b)] if n.bearer_var is not None else []) + (
                [e.id] if e is not None else [])
            if n.id + (f"[{', '.join(label)}]" if label else "") in wanted:
                yield self.instance(n, b, e)

    def leaf(self, n: ir.Norm, note: str) -> Node:
        return Node("clause", f"§{n.id}: {n.modal} {n.action!r}", note, n.section,
                    n.cite.span.file if n.cite.span else None,
                    n.cite.span.line if n.cite.span else None)

    def instance(self, n: ir.Norm, bearer: str | None, event: EventValue | None) -> NormResult:
        env: dict[str, Any] = {}
        label = []
        if n.bearer_var is not None:
            env[n.bearer_var] = bearer
            label.append(str(bearer))
        if event is not None and n.trigger is not None:
            env[n.trigger.var] = event
            label.append(event.id)
        try:
            return self._instance(n, bearer, event, env, label)
        except (EvalFailure, OverflowError) as exc:  # say which instance it was
            raise _in_instance(exc, n, bearer, event) from None

    def _instance(self, n: ir.Norm, bearer: str | None, event: EventValue | None,
                  env: dict[str, Any], label: list[str]) -> NormResult:
        inst = _Instance(self.ctx, env)
        self.ctx.qualitative = set()
        instance_id = n.id + (f"[{', '.join(label)}]" if label else "")
        res = NormResult(n, instance_id, bearer, None, event, "pending", "")
        if event is not None and self.c.events[event.type].qualitative:
            self.ctx.qualitative.add(f"{event.type} {event.id}")
        if self.trace and event is not None:
            ecite = self.c.events[event.type].cite
            inst.nodes.append(Node("event", f"{event.type} {event.id}", event.date.isoformat(),
                                   ecite.section, ecite.span.file if ecite.span else None,
                                   ecite.span.line if ecite.span else None,
                                   note="qualitative: taken as given, an assumption of this run"
                                   if self.c.events[event.type].qualitative else None))
        self.decide(n, inst, res, event)
        res.missing = sorted(inst.missing)
        res.assumptions = sorted(self.ctx.qualitative)
        if self.trace:
            node = self.leaf(n, res.status)
            node.children = inst.nodes
            node.value = f"{res.status}: {res.reason}" if res.reason else res.status
            res.explanation = node
        return res

    def decide(self, n: ir.Norm, inst: _Instance, res: NormResult,
               event: EventValue | None) -> None:
        as_of = self.as_of
        # 1. the trigger's condition is judged on the facts as they stood on the event's day
        if n.trigger is not None and n.trigger.where is not None and event is not None:
            ok = self.try_ev(inst, n.trigger.where, "triggered where", self.ctx.at(event.date))
            if ok is _UNKNOWN:
                return self.undetermined(res, inst)
            if not ok:
                res.status = "not_triggered"
                res.reason = (f"{event.type} {event.id} of {event.date.isoformat()} does not "
                              f"meet: {snippet(n.trigger.where.span)}")
                return None
        if n.when is not None:
            ok = self.try_ev(inst, n.when, "when")
            if ok is _UNKNOWN:
                return self.undetermined(res, inst)
            if not ok:
                res.status = "not_triggered"
                res.reason = f"the condition does not hold: {snippet(n.when.span)}"
                return None
        # 2. who benefits, by when, for which period, with which numbers
        try:  # the beneficiaries and the `with` values may be undetermined on their own
            ben = self.ev(inst, n.beneficiary, "to")
        except Missing as m:
            res.beneficiaries_missing = sorted(m.needs)
            ben = None
        if ben is not None:
            res.beneficiaries = sorted(ben) if isinstance(ben, frozenset) else [ben]
        deadline = self.try_ev(inst, n.deadline, "deadline")
        start = self.try_ev(inst, n.start, "from")
        end = self.try_ev(inst, n.end, "through" if n.end_inclusive else "until")
        for label, e in n.withs:
            try:
                res.withs.append((label, self.ev(inst, e, label), e.type, ()))
            except Missing as m:
                res.withs.append((label, None, e.type, tuple(sorted(m.needs))))
        if _UNKNOWN in (deadline, start, end):
            return self.undetermined(res, inst)
        res.deadline = deadline
        res.period_start = start
        last = None if end is None else (end if n.end_inclusive else end - ONE_DAY)
        res.period_end = last
        # 3. exceptions: excused, suspended now, or suspended before
        for x in self.plan.exceptions_for.get(n.id, ()):
            res.exceptions.extend(self.exception(x, n, inst, event, res))
        excused, suspended_now = _in_effect(res.exceptions)
        # an exception that needs a missing fact matters unless the duty was performed on time
        unsure = bool(inst.missing)
        # 4. performance
        performed = False
        if n.fulfilled_kind == "by" and n.fulfilled_trigger is not None:
            ft = n.fulfilled_trigger

            def done_by(act: EventValue, ft: Any = ft) -> Any:  # on the facts of the act's day
                return self.try_ev(inst, ft.where, "fulfilled by",
                                   self.ctx.at(act.date)) if ft.where else True
            for done in _earliest_acts(self.ctx, ft.events, ft.var, inst.env, done_by,
                                       None, None):
                res.performed_on = done.date
                performed = True
                if self.c.events[done.type].qualitative:  # performance taken as given
                    self.ctx.qualitative.add(f"{done.type} {done.id}")
        elif n.fulfilled_kind == "when":
            ok = self.try_ev(inst, n.fulfilled, "fulfilled when")
            performed = ok is True
        elif n.fulfilled_kind == "on":
            d = self.try_ev(inst, n.fulfilled, "fulfilled on")
            if d is not _UNKNOWN and d is not None and d <= as_of:
                performed, res.performed_on = True, d
        if n.breached_trigger is not None:
            bt = n.breached_trigger

            def breach_by(act: EventValue, bt: Any = bt) -> Any:
                return self.try_ev(inst, bt.where, "breached by",
                                   self.ctx.at(act.date)) if bt.where else True
            for act in _earliest_acts(self.ctx, bt.events, bt.var, inst.env, breach_by,
                                      start, last):
                res.breached_on = act.date
                res.reason = f"{act.type} {act.id} on {act.date.isoformat()}"
                if self.c.events[act.type].qualitative:
                    self.ctx.qualitative.add(f"{act.type} {act.id}")
        if inst.missing and (unsure and not _on_time(performed, res, deadline) or (
                not performed and res.breached_on is None)):
            return self.undetermined(res, inst)
        # 5. status
        _settle(n, res, as_of, deadline, start, last, performed, excused, suspended_now)
        return None

    def undetermined(self, res: NormResult, inst: _Instance) -> None:
        res.status = "undetermined"
        res.reason = "needs " + ", ".join(sorted(inst.missing))

    def exception(self, x: ir.Exception_, n: ir.Norm, inst: _Instance,
                  event: EventValue | None, res: NormResult) -> Iterator[Applied]:
        env: dict[str, Any] = {}
        if x.bind_var is not None:
            env[x.bind_var] = _binding(x, res, event)
        sub = _Instance(self.ctx, env)
        sub.missing = inst.missing
        if x.trigger is not None:
            triggers: list[EventValue | None] = list(self.triggers(x.trigger.events))
        else:
            triggers = [None]
        for t in triggers:
            if t is not None and x.trigger is not None:
                env[x.trigger.var] = t
            before = len(sub.nodes)
            applies = True
            if x.trigger is not None and x.trigger.where is not None:
                applies = self.try_ev(sub, x.trigger.where, "where")
            if applies is True and x.when is not None:
                applies = self.try_ev(sub, x.when, "when")
            if applies is not True:
                if self.trace and applies is not False:
                    inst.nodes.append(self.exc_node(x, "undetermined", sub.nodes[before:]))
                continue
            if t is not None and self.c.events[t.type].qualitative:
                self.ctx.qualitative.add(f"{t.type} {t.id}")
            if x.while_ is not None:
                cond = x.while_
                periods, needs = self.while_periods(
                    cond, event, lambda day, c=cond: self.ev(
                        sub, c, f"while, on {day.isoformat()}", self.ctx.at(day)))
                inst.missing |= needs
                for first, last in periods or ():
                    applied = Applied(x.id, x.effect, x.because, first, last, last is None,
                                      x.cite)
                    if self.trace:
                        what = "applies" if applied.active else (
                            f"applied from {first} through {last}")
                        inst.nodes.append(self.exc_node(x, what, sub.nodes[before:]))
                        before = len(sub.nodes)
                    yield applied
                if periods is None and self.trace:
                    inst.nodes.append(self.exc_node(x, "undetermined", sub.nodes[before:]))
                continue
            start = self.try_ev(sub, x.start, "from") if x.start is not None else (
                t.date if t is not None else (event.date if event is not None else None))
            end = self.try_ev(sub, x.end, "until") if x.end is not None else None
            if _UNKNOWN in (start, end):
                continue
            last = None if end is None else (end if x.end_inclusive else end - ONE_DAY)
            if x.effect == "excuses":
                active = start is None or start <= self.as_of  # an excuse from a later date
            else:
                active = (start is None or start <= self.as_of) and (
                    last is None or self.as_of <= last)
                if x.end is not None and end is None:
                    last = None  # an end that has not been fixed yet (e.g. no effective date)
            applied = Applied(x.id, x.effect, x.because, start, last, active, x.cite)
            if self.trace:
                what = "applies" if active else (
                    f"applied from {start} through {last}" if last else "applies later")
                inst.nodes.append(self.exc_node(x, what, sub.nodes[before:]))
            yield applied

    def while_periods(self, cond: ir.E, event: EventValue | None, judge: Any,
                      strict: bool = False
                      ) -> tuple[list[tuple[datetime.date, datetime.date | None]] | None,
                                 frozenset[str]]:
        """The periods in which an exception's `while` condition holds: each its first day
        and its last day (None: it still holds on the evaluation date).  The condition is
        judged (`judge(day)`, which may raise Missing) from the target instance's event (or,
        for a clause without one, the agreement's date) through the evaluation date, on the
        first day and on each day on which its value may change: the day of an event it
        reads, the first day of a value of a fact it reads, the day after a value's last
        day; or on every day, if it reads its own day (another clause's answer, `first_day`),
        at most MAX_DATES of them (E601).  A stretch of days on which it needs a missing fact
        is in no period; when the evaluation date is in one (or, `strict`, when any day is),
        the answer is None with the facts it needs."""
        types, facts = self.plan.day_reads(cond)
        ctx, as_of = self.ctx, self.as_of
        points: set[datetime.date] = set()
        for t in types:
            points.update(ev.date for ev in ctx.events(t))
        for f in facts:
            points.update(self.facts.changes.get(f, ()))
        lower = event.date if event is not None else self.c.dated
        if lower is None or lower > as_of:
            lower = min((p for p in points if p <= as_of), default=as_of)
        if OWN_DAY in types:
            n = day_count(lower, as_of, cond.span, "the `while` would be judged on")
            days = list(walk_days(lower, n))
        else:
            days = [lower, *sorted(p for p in points if lower < p <= as_of)]
        periods: list[tuple[datetime.date, datetime.date | None]] = []
        first: datetime.date | None = None
        needs: frozenset[str] = frozenset()
        for day in days:
            try:
                holds = judge(day)
            except Missing as m:
                needs = m.needs
                if strict:
                    return None, needs
                if first is not None:  # not known to hold past the day before
                    periods.append((first, day - ONE_DAY))
                    first = None
                continue
            needs = frozenset()
            if holds and first is None:
                first = day
            elif not holds and first is not None:
                periods.append((first, day - ONE_DAY))
                first = None
        if needs:  # the evaluation date is in a stretch of days it cannot be judged on
            return None, needs
        if first is not None:
            periods.append((first, None))
        return periods, frozenset()

    def exc_node(self, x: ir.Exception_, value: str, kids: list[Node]) -> Node:
        return Node("exception", f"§{x.id}: {x.effect} — {x.because}", value, x.section,
                    x.cite.span.file if x.cite.span else None,
                    x.cite.span.line if x.cite.span else None, list(kids))

    # ── the untraced fast path ──────────────────────────────────────────────
    #
    # The same decisions as norm/instance/decide/exception above, on closures looked up once
    # per plan (`_NormPlan`), without derivation nodes.  The traced path above is the
    # reference; the bench (bench/run.py) and tests/test_bench_smoke.py compare the two.

    def fast_norm(self, np: _NormPlan, out: list[NormResult]) -> None:
        n = np.norm
        if np.bearer_role is not None:
            bearers: Any = self.facts.roles.get(np.bearer_role, ())
        else:
            bearers = (n.bearer,)
        if np.trigger_events is None:
            events: Any = (None,)
        else:
            events = self.triggers(np.trigger_events)
            if not events:
                out.append(_result(n, n.id, n.bearer, None, "not_triggered",
                                   f"no {np.kinds} as of {self.as_of_text}"))
                return
        ctx, decide, qualitative_events = self.ctx, self.fast_decide, self.qualitative_events
        memo = ctx.root.memo
        bearer_var, trigger_var, nid = np.bearer_var, np.trigger_var, n.id
        # one set of each per run, emptied for each instance (each result gets sorted copies)
        qualitative, missing = self._qualitative, self._missing
        res: NormResult  # a C struct in the compiled build: its fields are set directly
        where, where_at, not_met = np.where, np.where_at, self._not_met
        # the context each event's condition is judged in: the event's day, or this one when
        # nothing the condition reads changed after that day (unchanged_since)
        days: dict[EventValue, Ctx] = {}
        bearer = event = None
        try:
            for bearer in bearers:
                for event in events:
                    # one clause instance: its bindings and its id
                    if bearer_var is not None:
                        if event is not None:
                            env: dict[str, Any] = {bearer_var: bearer, trigger_var: event}
                            instance_id = f"{nid}[{bearer}, {event.id}]"
                        else:
                            env = {bearer_var: bearer}
                            instance_id = f"{nid}[{bearer}]"
                    elif event is not None:
                        env = {trigger_var: event}
                        instance_id = f"{nid}[{event.id}]"
                    else:
                        env = {}
                        instance_id = nid
                    qualitative.clear()
                    memo.pop(NOTED, None)  # what a memo hit noted into it last: emptied
                    missing.clear()
                    ctx.qualitative = qualitative
                    # the result, made as `_result` makes it (inline: one call fewer per instance;
                    # a field added to NormResult must be set here too)
                    res = NormResult.__new__(NormResult)
                    res.norm, res.instance, res.bearer, res.beneficiaries = n, instance_id, bearer, None
                    res.trigger, res.status, res.reason = event, "pending", ""
                    res.deadline = res.period_start = res.period_end = None
                    res.performed_on = res.breached_on = None
                    res._missing = res._assumptions = res._exceptions = res._withs = None
                    res.explanation = None
                    res._beneficiaries_missing = None
                    if event is not None and event.type in qualitative_events:
                        qualitative.add(f"{event.type} {event.id}")
                    # 1. the trigger's condition is judged on the facts as they stood on the
                    # event's day (a condition that reads no event has the same value in every
                    # context); here, so that an instance its event does not trigger (most of a
                    # clause's instances for each party and event) is decided without a call
                    if where is not None and event is not None:
                        if where_at:
                            wctx = days.get(event)
                            if wctx is None:
                                wctx = days[event] = ctx if unchanged_since(
                                    ctx, event.date, np.where_types, np.where_facts) else ctx.at(
                                    event.date)
                        else:
                            wctx = ctx
                        try:
                            ok = where(wctx, env)
                        except Missing as m:
                            missing |= m.needs
                            _undetermined(res, missing)
                        else:
                            if ok:
                                decide(np, env, missing, res, event)
                            else:
                                res.status = "not_triggered"
                                key = (nid, event)
                                reason = not_met.get(key)
                                if reason is None:
                                    reason = not_met[key] = (
                                        f"{event.type} {event.id} of {event.date.isoformat()} "
                                        f"does not meet: {np.where_text}")
                                res.reason = reason
                    else:
                        decide(np, env, missing, res, event)
                    if missing:
                        res._missing = sorted(missing)
                    if qualitative:
                        res._assumptions = sorted(qualitative)
                    out.append(res)
        except (EvalFailure, OverflowError) as exc:  # say which instance it was
            raise _in_instance(exc, n, bearer, event) from None

    def fast_decide(self, np: _NormPlan, env: dict[str, Any], missing: set[str],
                    res: NormResult, event: EventValue | None) -> None:
        """Steps 1 (after the trigger's condition, which fast_norm judges) to 5."""
        n = np.norm
        ctx = self.ctx
        as_of = self.as_of
        if np.when is not None:
            try:
                ok = np.when(ctx, env)
            except Missing as m:
                missing |= m.needs
                return _undetermined(res, missing)
            if not ok:
                res.status = "not_triggered"
                res.reason = f"the condition does not hold: {np.when_text}"
                return None
        # 2. who benefits, by when, for which period, with which numbers
        if np.values_part:
            unknown = False
            if np.ben is not None:
                try:
                    ben = np.ben(ctx, env)
                except Missing as m:  # the beneficiaries are undetermined, not the status
                    res.beneficiaries_missing = sorted(m.needs)
                    ben = None
                if ben is not None:
                    res.beneficiaries = sorted(ben) if isinstance(ben, frozenset) else [ben]
            deadline = start = end = None
            if np.deadline is not None:
                try:
                    deadline = np.deadline(ctx, env)
                except Missing as m:
                    missing |= m.needs
                    unknown = True
            if np.start is not None:
                try:
                    start = np.start(ctx, env)
                except Missing as m:
                    missing |= m.needs
                    unknown = True
            if np.end is not None:
                try:
                    end = np.end(ctx, env)
                except Missing as m:
                    missing |= m.needs
                    unknown = True
            for label, fn, t in np.withs:
                try:
                    res.withs.append((label, fn(ctx, env), t, ()))
                except Missing as m:  # the value is undetermined, not the status
                    res.withs.append((label, None, t, tuple(sorted(m.needs))))
            if unknown:
                return _undetermined(res, missing)
            res.deadline = deadline
            res.period_start = start
            last = None if end is None else (end if n.end_inclusive else end - ONE_DAY)
            res.period_end = last
        else:
            deadline = start = last = None
        # 3. exceptions: excused, suspended now, or suspended before
        suspended_now: Applied | None = None
        excused: Applied | None = None
        if np.exceptions:
            applies: list[Applied] = []
            for xp in np.exceptions:
                self.fast_exception(xp, missing, event, res, applies)
            if applies:
                res._exceptions = applies
                excused, suspended_now = _in_effect(applies)
        # an exception that needs a missing fact matters unless the duty was performed on time
        unsure = bool(missing)
        # 4. performance
        performed = False
        if np.performance:
            if np.fulfilled_by is not None:
                var, names, where, at = np.fulfilled_by
                for e in _earliest_acts(ctx, names, var, env,
                                        _judge(ctx, env, where, at, missing), None, None):
                    res.performed_on = e.date
                    performed = True
                    if self.c.events[e.type].qualitative:  # performance taken as given
                        self.ctx.qualitative.add(f"{e.type} {e.id}")
            elif np.fulfilled_when is not None:
                try:
                    performed = np.fulfilled_when(ctx, env) is True
                except Missing as m:
                    missing |= m.needs
            elif np.fulfilled_on is not None:
                try:
                    d = np.fulfilled_on(ctx, env)
                except Missing as m:
                    missing |= m.needs
                    d = None
                if d is not None and d <= as_of:
                    performed, res.performed_on = True, d
            if np.breached_by is not None:
                var, names, where, at = np.breached_by
                for e in _earliest_acts(ctx, names, var, env,
                                        _judge(ctx, env, where, at, missing), start, last):
                    res.breached_on = e.date
                    res.reason = f"{e.type} {e.id} on {e.date.isoformat()}"
                    if self.c.events[e.type].qualitative:
                        self.ctx.qualitative.add(f"{e.type} {e.id}")
        if missing and (unsure and not _on_time(performed, res, deadline) or (
                not performed and res.breached_on is None)):
            return _undetermined(res, missing)
        # 5. status
        _settle(n, res, as_of, deadline, start, last, performed, excused, suspended_now)
        return None

    def fast_exception(self, xp: _ExceptionPlan, missing: set[str], event: EventValue | None,
                       res: NormResult, out: list[Applied]) -> None:
        """Append to `out` each application of the exception to this clause instance."""
        x = xp.exception
        ctx = self.ctx
        env: dict[str, Any] = {}
        if x.bind_var is not None:
            env[x.bind_var] = _binding(x, res, event)
        triggers: Any = self.triggers(xp.trigger_events) if xp.trigger_events else (None,)
        for t in triggers:
            if t is not None:
                env[xp.trigger_var] = t
            if xp.where is not None:
                try:
                    if xp.where(ctx, env) is not True:
                        continue
                except Missing as m:
                    missing |= m.needs
                    continue
            if xp.when is not None:
                try:
                    if xp.when(ctx, env) is not True:
                        continue
                except Missing as m:
                    missing |= m.needs
                    continue
            if t is not None and t.type in self.qualitative_events:
                ctx.qualitative.add(f"{t.type} {t.id}")
            if xp.while_ is not None and x.while_ is not None:
                cond = xp.while_
                periods, needs = self.while_periods(
                    x.while_, event, lambda day, c=cond: c(ctx.at(day), env))
                missing |= needs
                for first, last in periods or ():
                    out.append(Applied(x.id, x.effect, x.because, first, last, last is None,
                                       x.cite))
                continue
            if xp.start is not None:
                try:
                    start = xp.start(ctx, env)
                except Missing as m:
                    missing |= m.needs
                    start = _UNKNOWN
            else:
                start = t.date if t is not None else (event.date if event is not None else None)
            end = None
            if xp.end is not None:
                try:
                    end = xp.end(ctx, env)
                except Missing as m:
                    missing |= m.needs
                    end = _UNKNOWN
            if start is _UNKNOWN or end is _UNKNOWN:
                continue
            last = None if end is None else (end if x.end_inclusive else end - ONE_DAY)
            if x.effect == "excuses":
                active = start is None or start <= self.as_of  # an excuse from a later date
            else:
                active = (start is None or start <= self.as_of) and (
                    last is None or self.as_of <= last)
                if x.end is not None and end is None:
                    last = None  # an end that has not been fixed yet (e.g. no effective date)
            out.append(Applied(x.id, x.effect, x.because, start, last, active, x.cite))

    # ── fact checks ─────────────────────────────────────────────────────────

    def fact_warnings(self) -> list[FactWarning]:
        """Every event (as of the evaluation date) that fails a check: its condition, judged
        on the facts as they stood on the event's day (as a trigger's condition is), is false.
        A condition that needs a missing fact is not known to fail, and is not reported."""
        out: list[FactWarning] = []
        root = self.ctx
        root.qualitative = set()  # what a check reads is no assumption of any answer
        traced = root.trace is not None
        recorded = self.facts.events
        for check, cond, at, types, facts, var, names in _check_plans(self.plan):
            for name in names:  # a fact set has no event of many checks' types
                if recorded.get(name):
                    break
            else:
                continue
            env: dict[str, Any] = {}  # one for the check's events (no closure keeps it)
            for event in self.triggers(names):
                # the event's day, or this one when nothing the condition reads changed
                # since (as for a trigger's condition: the same value, and this context's
                # memo already holds much of what it reads)
                ctx = root.at(event.date) if at and not unchanged_since(
                    root, event.date, types, facts) else root
                if traced:  # a check adds no derivation
                    saved, ctx.trace = ctx.trace, []
                env[var] = event
                try:
                    ok = cond(ctx, env)
                except Missing:
                    continue
                finally:
                    if traced:
                        ctx.trace = saved
                if ok is False:
                    out.append(FactWarning(check, event))
        return out

    # ── derived values ──────────────────────────────────────────────────────

    def values(self) -> list[ValueResult]:
        if self.trace:
            return self.traced_values()
        kinds, specs = _value_specs(self.plan)
        domain = self.domain
        doms = [domain(kind, what) for kind, what in kinds]  # each at most MAX_VALUE_INSTANCES
        out: list[ValueResult] = []
        append = out.append
        ctx = self.ctx
        memo = ctx.memo
        get = memo.get
        r: ValueResult  # a C struct in the compiled build: its fields are set directly
        for d, name, prefix, fn, params, dix, events, qual in specs:
            if len(dix) == 1:  # the common case, without the general path's tuples
                p0, ev = params[0], events[0]
                for x in doms[dix[0]]:
                    # party values are names (show(name) is the name), events show their id.
                    # What the clauses already asked for is in the memo (the compiler's key;
                    # a definition resting on assumptions keeps them beside its value).
                    if qual:
                        hit = get((name, (x,)), _NOTHING)
                        v = _NOTHING if hit is _NOTHING else hit[0]
                    else:
                        v = get((name, x), _NOTHING)
                    if v is _NOTHING:
                        try:
                            v = fn(ctx, {p0: x})
                        except Missing as m:  # kept without its traceback (no cycle)
                            v = Missing(m.needs)
                        if not qual:
                            memo[(name, x)] = v
                    # made as `_result` makes a NormResult: without the constructor's call
                    r = ValueResult.__new__(ValueResult)
                    r.definition, r.label = d, f"{prefix}{x.id if ev else x})"
                    if type(v) is Missing:
                        r.value, r._missing = None, sorted(v.needs)
                    else:
                        r.value, r._missing = v, None
                    r.explanation = None
                    append(r)
                continue
            if len(dix) == 2:  # as above, for two parameters (no tuples or joins)
                p0, p1 = params
                ev0, ev1 = events
                left = MAX_VALUE_INSTANCES
                ys = doms[dix[1]]
                for x in doms[dix[0]]:
                    if left <= 0:
                        break
                    head = f"{prefix}{x.id if ev0 else x}, "
                    for y in (ys if len(ys) <= left else ys[:left]):
                        if qual:
                            hit = get((name, (x, y)), _NOTHING)
                            v = _NOTHING if hit is _NOTHING else hit[0]
                        else:
                            v = get((name, x, y), _NOTHING)
                        if v is _NOTHING:
                            try:
                                v = fn(ctx, {p0: x, p1: y})
                            except Missing as m:
                                v = Missing(m.needs)
                            if not qual:
                                memo[(name, x, y)] = v
                        r = ValueResult.__new__(ValueResult)
                        r.definition, r.label = d, f"{head}{y.id if ev1 else y})"
                        if type(v) is Missing:
                            r.value, r._missing = None, sorted(v.needs)
                        else:
                            r.value, r._missing = v, None
                        r.explanation = None
                        append(r)
                    left -= len(ys)
                continue
            if not dix:
                combos: Any = ((),)
            else:
                combos = itertools.islice(itertools.product(*[doms[k] for k in dix]),
                                          MAX_VALUE_INSTANCES)
            for combo in combos:
                label = name + ("(" + ", ".join([v.id if type(v) is EventValue else v
                                                 for v in combo]) + ")" if combo else "")
                if qual:
                    hit = get((name, combo), _NOTHING)
                    v = _NOTHING if hit is _NOTHING else hit[0]
                else:
                    v = get((name, *combo) if combo else name, _NOTHING)
                if v is _NOTHING:
                    try:
                        v = fn(ctx, dict(zip(params, combo, strict=True)))
                    except Missing as m:
                        v = Missing(m.needs)
                    if not qual:
                        memo[(name, *combo) if combo else name] = v
                if type(v) is Missing:
                    append(ValueResult(d, label, None, sorted(v.needs), None))
                else:
                    append(ValueResult(d, label, v, None, None))
        return out

    def domain(self, kind: str, what: Any) -> Sequence[Any]:
        """The arguments a derived value is reported for: the parties (of a role), or the events
        of the named types in (date, sequence) order; at most MAX_VALUE_INSTANCES of them."""
        if kind == "role":
            found: Sequence[Any] = sorted(self.facts.roles.get(what, ()))
        elif kind == "parties":
            found = sorted(self.facts.parties)
        elif len(what) == 1:  # one type: already in order
            found = self.ctx.events(what[0])
        else:
            found = sorted([e for n in what for e in self.ctx.events(n)], key=event_order)
        return found if len(found) <= MAX_VALUE_INSTANCES else found[:MAX_VALUE_INSTANCES]

    def traced_values(self, only: set[str] | None = None) -> list[ValueResult]:
        # the same definitions and arguments as `values`, each with its derivation; `only`:
        # just the values with these labels
        kinds, specs = _value_specs(self.plan)
        doms = [self.domain(kind, what) for kind, what in kinds]
        out = []
        for d, _name, _prefix, fn, params, dix, _events, _qual in specs:
            for combo in itertools.islice(itertools.product(*[doms[k] for k in dix]),
                                          MAX_VALUE_INSTANCES):
                env = dict(zip(params, combo, strict=True))
                shown = [v.id if isinstance(v, EventValue) else show(v) for v in combo]
                label = d.name + (f"({', '.join(shown)})" if combo else "")
                if only is not None and label not in only:
                    continue
                saved = self.ctx.trace
                kids: list[Node] = []
                self.ctx.trace = kids
                try:
                    v = fn(self.ctx, env)
                    missing: list[str] = []
                except Missing as m:
                    v, missing = None, sorted(m.needs)
                finally:
                    self.ctx.trace = saved
                node = Node("definition", label, show(v, d.type) if not missing else
                            "undetermined", d.cite.section,
                            d.cite.span.file if d.cite.span else None,
                            d.cite.span.line if d.cite.span else None, kids, note=d.title)
                out.append(ValueResult(d, label, v, missing, node))
        return out


_NOTHING: Any = object()


def _qualitative_events(plan: Plan) -> frozenset[str]:
    found = plan.cache.get("qualitative_events")
    if found is None:
        found = plan.cache["qualitative_events"] = frozenset(
            name for name, ev in plan.contract.events.items() if ev.qualitative)
    return found


def _in_effect(applied: list[Applied]) -> tuple[Applied | None, Applied | None]:
    """The first active excuse, and the active suspension that lasts longest."""
    excused: Applied | None = None
    suspended: Applied | None = None
    for a in applied:
        if not a.active:
            continue
        if a.effect == "excuses":
            excused = excused or a
        elif suspended is None or _later(a.end, suspended.end):
            suspended = a
    return excused, suspended


def _settle(n: ir.Norm, res: NormResult, as_of: datetime.date,
            deadline: datetime.date | None, start: datetime.date | None,
            last: datetime.date | None, performed: bool, excused: Applied | None,
            suspended_now: Applied | None) -> None:
    """Step 5 of deciding a clause instance, shared by the traced and the fast path: the
    first status that applies (docs/language.md §11)."""
    if performed:
        done = res.performed_on
        if deadline is not None and done is not None and done > deadline:
            late = (f"performed on {done.isoformat()}, after the deadline "
                    f"{deadline.isoformat()}")
            if excused is not None:  # the lateness is excused (a waiver of the breach)
                res.status = "excused"
                res.reason = f"{excused.because} (§{excused.cite.section}); {late}"
            else:
                res.status = "breached"
                res.reason = late
        else:
            res.status = "fulfilled"
            res.reason = f"performed on {res.performed_on.isoformat()}" if res.performed_on \
                else "the fulfilment condition holds"
        return
    if excused is not None:
        res.status = "excused"
        res.reason = f"{excused.because} (§{excused.cite.section})"
        return
    if res.breached_on is not None:
        res.status = "breached"
        res.reason = f"prohibited act: {res.reason}"
        return
    if start is not None and start > as_of:
        res.status = "not_triggered"
        res.reason = f"the period begins on {start.isoformat()}"
        return
    if suspended_now is not None and deadline is not None and as_of > deadline and (
            suspended_now.start is not None and suspended_now.start > deadline):
        suspended_now = None  # the deadline had passed before the suspension began
    if suspended_now is not None:
        res.status = "suspended"
        until = (f"through {suspended_now.end.isoformat()}" if suspended_now.end
                 else "with no fixed end yet")
        res.reason = f"{suspended_now.because} (§{suspended_now.cite.section}); {until}"
        return
    if n.modality == "obligation" and deadline is not None and as_of > deadline:
        res.status = "breached"
        res.reason = f"not performed by the deadline {deadline.isoformat()}"
        return
    if last is not None and as_of > last:
        res.status = "expired"
        res.reason = f"the period ended on {last.isoformat()}"
        return
    if n.modality == "obligation" and (n.fulfilled_kind or n.deadline_kind):
        res.status = "pending"
        res.reason = (f"due by {deadline.isoformat()}" if deadline else
                      (n.deadline_text or "not yet performed"))
    else:
        res.status = "in_force"
        res.reason = f"through {last.isoformat()}" if last else ""
    return


def _binding(x: ir.Exception_, res: NormResult, event: EventValue | None) -> Any:
    """What an exception's `for` binds on this clause instance: its bearer, its triggering
    event, or (`for clause c`, an exception of any clause) the answer itself, read as an event
    of its own whose fields are `clause`, `instance`, `bearer` and `beneficiaries` (an empty set
    when the clause names none, or the facts cannot name them)."""
    if x.bind_kind == "bearer":
        return res.bearer
    if x.bind_kind == "instance":
        return EventValue("clause", res.instance, event.date if event is not None else
                          datetime.date.min, {
                              "clause": res.norm.id, "instance": res.instance,
                              "bearer": res.bearer,
                              "beneficiaries": frozenset(res.beneficiaries or ())}, 0)
    return event


def _on_time(performed: bool, res: NormResult, deadline: datetime.date | None) -> bool:
    """Performed, and not after the deadline: fulfilled whatever an exception says."""
    return performed and (deadline is None or res.performed_on is None
                          or res.performed_on <= deadline)


def _undetermined(res: NormResult, missing: set[str]) -> None:
    res.status = "undetermined"
    res.reason = "needs " + ", ".join(sorted(missing))


class _ExceptionPlan:
    """An exception's closures, looked up once per plan."""

    __slots__ = ("end", "exception", "start", "trigger_events", "trigger_var", "when", "where",
                 "while_")

    def __init__(self, plan: Plan, x: ir.Exception_):
        fn = plan.fn
        self.exception = x
        self.trigger_events = x.trigger.events if x.trigger is not None else ()
        # the variable bound to the trigger ("" when there is none: it is then never bound)
        self.trigger_var: str = x.trigger.var if x.trigger is not None else ""
        self.where = fn(x.trigger.where) if x.trigger and x.trigger.where else None
        self.when = fn(x.when) if x.when is not None else None
        self.while_ = fn(x.while_) if x.while_ is not None else None
        self.start = fn(x.start) if x.start is not None else None
        self.end = fn(x.end) if x.end is not None else None


class _NormPlan:
    """A clause's closures, texts and exceptions, looked up once per plan."""

    __slots__ = (
        "bearer_role",
        "bearer_var",
        "ben",
        "breached_by",
        "deadline",
        "end",
        "exceptions",
        "fulfilled_by",
        "fulfilled_on",
        "fulfilled_when",
        "kinds",
        "norm",
        "obligation",
        "performance",
        "start",
        "trigger_events",
        "trigger_var",
        "values_part",
        "when",
        "when_text",
        "where",
        "where_at",
        "where_facts",
        "where_text",
        "where_types",
        "withs",
    )

    def __init__(self, plan: Plan, n: ir.Norm, exceptions: dict[str, _ExceptionPlan]):
        fn = plan.fn

        def opt(e: ir.E | None) -> Any:
            return None if e is None else fn(e)

        self.norm = n
        self.kinds = " or ".join(n.trigger.events) if n.trigger else ""
        self.trigger_events = n.trigger.events if n.trigger else None
        # the variable bound to the trigger ("" when there is none: it is then never bound)
        self.trigger_var: str = n.trigger.var if n.trigger else ""
        self.bearer_role = n.bearer_role
        self.bearer_var = n.bearer_var
        where = n.trigger.where if n.trigger else None
        self.where = opt(where)
        self.where_at = where is not None and plan.reads_events(where)
        self.where_types, self.where_facts = plan.day_reads(where) if where is not None \
            else ((), ())
        self.where_text = snippet(where.span) if where is not None else ""
        self.when = opt(n.when)
        self.when_text = snippet(n.when.span) if n.when is not None else ""
        self.ben = opt(n.beneficiary)
        self.deadline = opt(n.deadline)
        self.start = opt(n.start)
        self.end = opt(n.end)
        self.withs = tuple((label, fn(e), e.type) for label, e in n.withs)
        self.exceptions = tuple(exceptions[x.id] for x in plan.exceptions_for.get(n.id, ()))
        self.fulfilled_by = self.fulfilled_when = self.fulfilled_on = None
        ft = n.fulfilled_trigger
        if n.fulfilled_kind == "by" and ft is not None:
            self.fulfilled_by = (ft.var, ft.events, opt(ft.where),
                                 ft.where is not None and plan.reads_events(ft.where))
        elif n.fulfilled_kind == "when":
            self.fulfilled_when = fn(n.fulfilled)  # type: ignore[arg-type]
        elif n.fulfilled_kind == "on":
            self.fulfilled_on = fn(n.fulfilled)  # type: ignore[arg-type]
        bt = n.breached_trigger
        self.breached_by = (bt.var, bt.events, opt(bt.where),
                            bt.where is not None and plan.reads_events(bt.where)) \
            if bt is not None else None
        # whether the clause has any part of step 2 (values) and of step 4 (performance)
        self.values_part = any(x is not None for x in (
            self.ben, self.deadline, self.start, self.end)) or bool(self.withs)
        self.performance = any(x is not None for x in (
            self.fulfilled_by, self.fulfilled_when, self.fulfilled_on, self.breached_by))
        self.obligation = n.modality == "obligation"


def _norm_plans(plan: Plan) -> list[_NormPlan]:
    found = plan.cache.get("norm_plans")
    if found is None:
        excs = {x.id: _ExceptionPlan(plan, x) for x in plan.contract.exceptions}
        found = plan.cache["norm_plans"] = [_NormPlan(plan, n, excs)
                                            for n in plan.contract.norms]
    return found


def _check_plans(plan: Plan) -> list[tuple[ir.Check, Any, bool, tuple[str, ...],
                                           tuple[str, ...], str, tuple[str, ...]]]:
    """Each fact check with its closure, whether it reads events (then it is judged in the
    context of the event's day), the event types and facts it reads (`day_reads`), its
    variable and the types of its events, computed once per plan."""
    found = plan.cache.get("check_plans")
    if found is None:
        found = plan.cache["check_plans"] = [
            (c, plan.fn(c.cond), plan.reads_events(c.cond), *plan.day_reads(c.cond),
             c.trigger.var, tuple(c.trigger.events))
            for c in plan.contract.checks]
    return found


def _value_specs(plan: Plan) -> tuple[list[tuple[str, Any]], list[tuple[Any, ...]]]:
    """The definitions reported as derived values (every parameter a party or an event of
    named types) with how to enumerate their arguments, computed once per plan: the kinds of
    argument (("role", name), ("parties", None) or ("events", names)), each listed once, and
    for each definition (definition, name, label prefix, closure, parameters, the index of
    each parameter's kind, whether each is an event, whether it rests on assumptions)."""
    found = plan.cache.get("value_specs")
    if found is None:
        kinds: list[tuple[str, Any]] = []
        specs: list[tuple[Any, ...]] = []
        for d in plan.contract.definitions.values():
            dix: list[int] = []
            for _, t in d.params:
                if t.kind == "party":
                    kind: tuple[str, Any] = ("role", t.name) if t.name else ("parties", None)
                elif t.kind == "event" and t.names:
                    kind = ("events", tuple(t.names))
                else:
                    break
                if kind not in kinds:
                    kinds.append(kind)
                dix.append(kinds.index(kind))
            else:
                specs.append((d, d.name, d.name + "(", plan.value_fn(d.name),
                              [p for p, _ in d.params], tuple(dix),
                              tuple(kinds[k][0] == "events" for k in dix),
                              d.name in plan.qual_defs))
        found = plan.cache["value_specs"] = (kinds, specs)
    return found


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


_UNKNOWN: Any = _Unknown()


def _earliest_acts(ctx: Ctx, names: Any, var: str, env: dict[str, Any],
                   judge: Callable[[EventValue], Any], start: datetime.date | None,
                   last: datetime.date | None) -> list[EventValue]:
    """The search for performance (`fulfilled by`) and breach (`breached by`), the traced
    path's and the fast path's: the events of these types (each type in turn, each in the
    fact set's order) from `start` through `last` that `judge` finds to be the act (True),
    each bound to `var` while it is judged, those earlier than every one found before it,
    in the order found (the last is the earliest act)."""
    found: list[EventValue] = []
    best: datetime.date | None = None
    for name in names:
        for e in ctx.events(name):
            if (start is not None and e.date < start) or (last is not None and e.date > last):
                continue
            env[var] = e
            if judge(e) is True and (best is None or e.date < best):
                best = e.date
                found.append(e)
    env.pop(var, None)
    return found


def _judge(ctx: Ctx, env: dict[str, Any], where: Any, at: bool,
           missing: set[str]) -> Callable[[EventValue], Any]:
    """The fast path's judge of an act: its condition on the facts as they stood on the act's
    day (`at`: it reads what changes from day to day), a missing fact noted and unknown."""
    def judge(e: EventValue) -> Any:
        if where is None:
            return True
        try:
            return where(ctx.at(e.date) if at else ctx, env)
        except Missing as m:
            missing.update(m.needs)
            return _UNKNOWN
    return judge


def _later(a: datetime.date | None, b: datetime.date | None) -> bool:
    if a is None:
        return b is not None
    return b is not None and a > b


def evaluate(plan: Plan, facts: FactSet, as_of: datetime.date, explain: bool = False,
             values: bool = True, only: frozenset[str] | None = None) -> Outcome:
    """Evaluate a compiled contract against a fact set as of a date (`only`: the answers of
    the clauses with these ids and no other)."""
    return Evaluator(plan, facts, as_of, trace=explain, with_values=values).run(only=only)


def explain_some(plan: Plan, facts: FactSet, as_of: datetime.date, instances: set[str],
                 labels: set[str], term: Term | None = None
                 ) -> tuple[list[NormResult], list[ValueResult]]:
    """Some answers of `evaluate(..., explain=True)`, with their derivations: the clause
    instances with these ids and the derived values with these labels, and nothing else
    (`rrdsl diff` explains only the answers that differ: a long history's derivations of
    every answer are many times the evaluation).  Each is what the full traced run gives:
    the traced path decides each clause and value on its own.  Once the agreement has ended,
    every clause is decided (as `evaluate` does), and those asked for returned.  `term`: the
    agreement's term as an evaluation of the same facts and day found it (not judged again)."""
    e = Evaluator(plan, facts, as_of, trace=True, with_values=False)
    c = plan.contract
    with decimal.localcontext(_DECIMAL_CONTEXT), collector_paused():
        try:
            life = None if c.survival is None else term if term is not None else e.term()
            if life is not None and life.ended_on is not None:
                norms = [r for r in e.after_the_end(life.ended_on) if r.instance in instances]
            else:
                ids = {i.split("[", 1)[0] for i in instances}
                norms = [r for n in c.norms if n.id in ids for r in e.norm_some(n, instances)]
            values = e.traced_values(labels) if labels else []
        except EvalFailure as f:
            raise EvaluationError(Diagnostic(
                f.code, f.message, f.span, hints=(f.hint,) if f.hint else ())) from None
        except RecursionError:
            raise EvaluationError(Diagnostic(
                "E602", "the evaluation went too deep", None,
                hints=("simplify nested definitions",))) from None
        finally:
            e.ctx.release()
            for other in e._days.values():
                other.ctx.release()
            e._days = {}
    return norms, values
