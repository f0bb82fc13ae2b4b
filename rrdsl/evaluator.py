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
from collections.abc import Iterator
from typing import Any

import attrs

from . import ir
from .calendars import BusinessCalendar
from .compiler import Plan, snippet
from .diagnostics import Diagnostic, EvaluationError
from .facts import FactSet
from .runtime import Ctx, EvalFailure, Missing, Node
from .values import EventValue, show

STATUSES = ("not_triggered", "pending", "in_force", "fulfilled", "breached", "expired",
            "suspended", "excused", "undetermined")
MAX_VALUE_INSTANCES = 200
ONE_DAY = datetime.timedelta(days=1)


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


@attrs.define
class NormResult:
    """One answer: what a party must, may or must not do, its status, and why."""

    norm: ir.Norm
    instance: str
    bearer: str | None
    beneficiaries: list[str] | None
    trigger: EventValue | None
    status: str
    reason: str
    deadline: datetime.date | None = None
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None  # last day, inclusive
    performed_on: datetime.date | None = None
    breached_on: datetime.date | None = None
    missing: list[str] = attrs.field(factory=list)
    assumptions: list[str] = attrs.field(factory=list)
    exceptions: list[Applied] = attrs.field(factory=list)
    withs: list[tuple[str, Any, Any]] = attrs.field(factory=list)  # label, value, type
    explanation: Node | None = None


@attrs.define
class ValueResult:
    definition: ir.Definition
    label: str
    value: Any
    missing: list[str] = attrs.field(factory=list)
    explanation: Node | None = None


@attrs.define
class Outcome:
    contract: ir.Contract
    as_of: datetime.date
    norms: list[NormResult]
    values: list[ValueResult]
    facts: FactSet


_CALENDARS: dict[str, BusinessCalendar] = {}


def calendar_for(name: str) -> BusinessCalendar:
    cal = _CALENDARS.get(name)
    if cal is None:
        cal = _CALENDARS[name] = BusinessCalendar(name)
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

    def run(self) -> Outcome:
        ctx_dec = decimal.Context(prec=60, traps=[decimal.FloatOperation, decimal.InvalidOperation,
                                                  decimal.DivisionByZero])
        with decimal.localcontext(ctx_dec):
            try:
                norms = [r for n in self.c.norms for r in self.norm(n)]
                values = self.values() if self.with_values else []
            except EvalFailure as f:
                raise EvaluationError(Diagnostic(
                    "E601", f.message, f.span, hints=(f.hint,) if f.hint else ())) from None
            except RecursionError:
                raise EvaluationError(Diagnostic(
                    "E602", "the evaluation went too deep", None,
                    hints=("simplify nested definitions",))) from None
        return Outcome(self.c, self.as_of, norms, values, self.facts)

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
        events = sorted(e for name in n.trigger.events for e in self.ctx.events(name))
        if not events:
            kinds = " or ".join(n.trigger.events)
            yield NormResult(n, n.id, n.bearer, None, None, "not_triggered",
                             f"no {kinds} as of {self.as_of.isoformat()}",
                             explanation=self.leaf(n, "not triggered") if self.trace else None)
            return
        for b, e in itertools.product(bearers, events):
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

    def decide(self, n: ir.Norm, inst: _Instance, res: NormResult,  # noqa: C901
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
        ben = self.try_ev(inst, n.beneficiary, "to")
        if ben is not None and ben is not _UNKNOWN:
            res.beneficiaries = sorted(ben) if isinstance(ben, frozenset) else [ben]
        deadline = self.try_ev(inst, n.deadline, "deadline")
        start = self.try_ev(inst, n.start, "from")
        end = self.try_ev(inst, n.end, "through" if n.end_inclusive else "until")
        for label, e in n.withs:
            v = self.try_ev(inst, e, label)
            res.withs.append((label, None if v is _UNKNOWN else v, e.type))
        if _UNKNOWN in (deadline, start, end):
            return self.undetermined(res, inst)
        res.deadline = deadline
        res.period_start = start
        last = None if end is None else (end if n.end_inclusive else end - ONE_DAY)
        res.period_end = last
        # 3. exceptions: excused, suspended now, or suspended before
        suspended_now: Applied | None = None
        excused: Applied | None = None
        for x in self.plan.exceptions_for.get(n.id, ()):
            for applied in self.exception(x, n, inst, event, res.bearer):
                res.exceptions.append(applied)
                if applied.effect == "excuses":
                    excused = excused or applied
                elif applied.active:
                    if suspended_now is None or _later(applied.end, suspended_now.end):
                        suspended_now = applied
        if inst.missing:
            return self.undetermined(res, inst)
        # 4. performance
        performed = False
        if n.fulfilled_kind == "by" and n.fulfilled_trigger is not None:
            ft = n.fulfilled_trigger
            for name in ft.events:
                for e in self.ctx.events(name):
                    inst.env[ft.var] = e
                    ok = self.try_ev(inst, ft.where, "fulfilled by") if ft.where else True
                    if ok is True and (res.performed_on is None or e.date < res.performed_on):
                        res.performed_on = e.date
                        performed = True
            inst.env.pop(ft.var, None)
        elif n.fulfilled_kind == "when":
            ok = self.try_ev(inst, n.fulfilled, "fulfilled when")
            performed = ok is True
        elif n.fulfilled_kind == "on":
            d = self.try_ev(inst, n.fulfilled, "fulfilled on")
            if d is not _UNKNOWN and d is not None and d <= as_of:
                performed, res.performed_on = True, d
        if n.breached_trigger is not None:
            bt = n.breached_trigger
            for name in bt.events:
                for e in self.ctx.events(name):
                    if (start is not None and e.date < start) or (last is not None and e.date > last):
                        continue
                    inst.env[bt.var] = e
                    ok = self.try_ev(inst, bt.where, "breached by") if bt.where else True
                    if ok is True and (res.breached_on is None or e.date < res.breached_on):
                        res.breached_on = e.date
                        res.reason = f"{e.type} {e.id} on {e.date.isoformat()}"
            inst.env.pop(bt.var, None)
        if inst.missing and not performed and res.breached_on is None:
            return self.undetermined(res, inst)
        # 5. status
        if performed:
            if deadline is not None and res.performed_on is not None and res.performed_on > deadline:
                res.status = "breached"
                res.reason = (f"performed on {res.performed_on.isoformat()}, after the deadline "
                              f"{deadline.isoformat()}")
            else:
                res.status = "fulfilled"
                res.reason = f"performed on {res.performed_on.isoformat()}" if res.performed_on \
                    else "the fulfilment condition holds"
            return None
        if excused is not None:
            res.status = "excused"
            res.reason = f"{excused.because} (§{excused.cite.section})"
            return None
        if res.breached_on is not None:
            res.status = "breached"
            res.reason = f"prohibited act: {res.reason}"
            return None
        if start is not None and start > as_of:
            res.status = "not_triggered"
            res.reason = f"the period begins on {start.isoformat()}"
            return None
        if suspended_now is not None:
            res.status = "suspended"
            until = (f"through {suspended_now.end.isoformat()}" if suspended_now.end
                     else "with no fixed end yet")
            res.reason = f"{suspended_now.because} (§{suspended_now.cite.section}); {until}"
            return None
        if n.modality == "obligation" and deadline is not None and as_of > deadline:
            res.status = "breached"
            res.reason = f"not performed by the deadline {deadline.isoformat()}"
            return None
        if last is not None and as_of > last:
            res.status = "expired"
            res.reason = f"the period ended on {last.isoformat()}"
            return None
        if n.modality == "obligation" and (n.fulfilled_kind or n.deadline_kind):
            res.status = "pending"
            res.reason = (f"due by {deadline.isoformat()}" if deadline else
                          (n.deadline_text or "not yet performed"))
        else:
            res.status = "in_force"
            res.reason = f"through {last.isoformat()}" if last else ""
        return None

    def undetermined(self, res: NormResult, inst: _Instance) -> None:
        res.status = "undetermined"
        res.reason = "needs " + ", ".join(sorted(inst.missing))

    def exception(self, x: ir.Exception_, n: ir.Norm, inst: _Instance,
                  event: EventValue | None, bearer: str | None) -> Iterator[Applied]:
        env: dict[str, Any] = {}
        if x.bind_var is not None:
            env[x.bind_var] = bearer if x.bind_kind == "bearer" else event
        sub = _Instance(self.ctx, env)
        sub.missing = inst.missing
        if x.trigger is not None:
            triggers: list[EventValue | None] = sorted(
                e for name in x.trigger.events for e in self.ctx.events(name))
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
            start = self.try_ev(sub, x.start, "from") if x.start is not None else (
                t.date if t is not None else (event.date if event is not None else None))
            end = self.try_ev(sub, x.end, "until") if x.end is not None else None
            if _UNKNOWN in (start, end):
                continue
            last = None if end is None else (end if x.end_inclusive else end - ONE_DAY)
            if x.effect == "excuses":
                active = True
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

    def exc_node(self, x: ir.Exception_, value: str, kids: list[Node]) -> Node:
        return Node("exception", f"§{x.id}: {x.effect} — {x.because}", value, x.section,
                    x.cite.span.file if x.cite.span else None,
                    x.cite.span.line if x.cite.span else None, list(kids))

    # ── derived values ──────────────────────────────────────────────────────

    def values(self) -> list[ValueResult]:
        out = []
        for d in self.c.definitions.values():
            domains = []
            for _, t in d.params:
                if t.kind == "party":
                    domains.append(sorted(self.facts.roles.get(t.name, ()) if t.name
                                          else self.facts.parties))
                elif t.kind == "event" and t.names:
                    domains.append(sorted(e for n in t.names for e in self.ctx.events(n)))
                else:
                    domains = None  # type: ignore[assignment]
                    break
            if domains is None:
                continue
            fn = self.plan.defs[d.name]
            for combo in itertools.islice(itertools.product(*domains), MAX_VALUE_INSTANCES):
                env = {p: v for (p, _), v in zip(d.params, combo)}
                label = d.name + (f"({', '.join(v.id if isinstance(v, EventValue) else show(v) for v in combo)})" if combo else "")
                node = None
                if self.trace:
                    saved = self.ctx.trace
                    kids: list[Node] = []
                    self.ctx.trace = kids
                try:
                    v = fn(self.ctx, env)
                    missing: list[str] = []
                except Missing as m:
                    v, missing = None, sorted(m.needs)
                finally:
                    if self.trace:
                        self.ctx.trace = saved
                if self.trace:
                    node = Node("definition", label, show(v, d.type) if not missing else
                                "undetermined", d.cite.section,
                                d.cite.span.file if d.cite.span else None,
                                d.cite.span.line if d.cite.span else None, kids, note=d.title)
                out.append(ValueResult(d, label, v, missing, node))
        return out


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


_UNKNOWN: Any = _Unknown()


def _later(a: datetime.date | None, b: datetime.date | None) -> bool:
    if a is None:
        return b is not None
    return b is not None and a > b


def evaluate(plan: Plan, facts: FactSet, as_of: datetime.date, explain: bool = False,
             values: bool = True) -> Outcome:
    """Evaluate a compiled contract against a fact set as of a date."""
    return Evaluator(plan, facts, as_of, trace=explain, with_values=values).run()
