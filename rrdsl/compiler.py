"""Compiler stage: `ir.Contract` → `Plan`, every expression compiled once into a closure.

A closure takes `(ctx, env)` — the evaluation context and the local bindings — and returns a
value or raises `Missing`. No Python source is generated; nothing is `exec`uted.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from dateutil.relativedelta import relativedelta

from . import ir
from .diagnostics import SOURCES, Span
from .runtime import Ctx, EvalFailure, Missing, Node
from .values import Duration, EventValue, show

Fn = Callable[[Ctx, dict[str, Any]], Any]

_NOTHING = object()


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
        self._compiler = _Compiler(self)
        for name, d in contract.definitions.items():
            self.defs[name] = self._compiler.compile(d.body)
        self.exceptions_for: dict[str, list[ir.Exception_]] = {}
        for x in contract.exceptions:
            for t in x.targets:
                self.exceptions_for.setdefault(t, []).append(x)
        for n in contract.norms:
            for e in _norm_exprs(n):
                self.fn(e)
        for x in contract.exceptions:
            for e in (x.trigger.where if x.trigger else None, x.when, x.start, x.end):
                if e is not None:
                    self.fn(e)

    def fn(self, e: ir.E) -> Fn:
        f = self.fns.get(id(e))
        if f is None:
            f = self._compiler.compile(e)
            self.fns[id(e)] = f
        return f


def _norm_exprs(n: ir.Norm) -> list[ir.E]:
    out = [n.beneficiary, n.when, n.deadline, n.start, n.end, n.fulfilled,
           n.trigger.where if n.trigger else None,
           n.fulfilled_trigger.where if n.fulfilled_trigger else None,
           n.breached_trigger.where if n.breached_trigger else None]
    out += [e for _, e in n.withs]
    return [e for e in out if e is not None]


def add_duration(day: datetime.date, d: Duration, sign: int, ctx: Ctx) -> datetime.date:
    n = d.amount * sign
    if d.unit == "days":
        return day + datetime.timedelta(days=n)
    if d.unit == "business_days":
        return ctx.calendar.add(day, n)
    if d.unit == "months":
        return day + relativedelta(months=n)
    return day + relativedelta(years=n)


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
    shares = {k: Fraction(total * w, wsum) for k, w in weights}
    out = {k: int(v.numerator // v.denominator) for k, v in shares.items()}
    if rounding == "largest_remainder":
        left = total - sum(out.values())
        order = sorted(weights, key=lambda kw: (-(shares[kw[0]] - out[kw[0]]), -kw[1], str(kw[0])))
        for k, _ in order[:left]:
            out[k] += 1
    return out


def _num(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Fraction) or isinstance(b, Fraction):
        return Fraction(a), Fraction(b)
    return a, b


def _label_args(args: tuple[Any, ...]) -> str:
    return ", ".join(a.id if isinstance(a, EventValue) else show(a) for a in args)


class _Compiler:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.contract = plan.contract

    def compile(self, e: ir.E) -> Fn:  # noqa: C901 - one dispatch over ops
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

            def events(ctx: Ctx, env: dict[str, Any]) -> Any:
                if qualitative:
                    ctx.qualitative.update(qualitative)
                return ctx.events(name)
            return events

        def union(ctx: Ctx, env: dict[str, Any]) -> Any:
            ctx.qualitative.update(qualitative)
            return tuple(sorted(x for n in names for x in ctx.events(n)))
        return union

    def op_fact(self, e: ir.E) -> Fn:
        name = e.data
        fact = self.contract.facts[name]
        args = [self.compile(a) for a in e.args]
        qual = fact.qualitative
        cite = fact.cite
        note = "qualitative: taken as given, an assumption of this run" if qual else None

        def read(ctx: Ctx, env: dict[str, Any]) -> Any:
            if args:
                key = tuple(a(ctx, env) for a in args)
                table = ctx.facts.values.get(name)
                v = _NOTHING if table is None else table.get(key, _NOTHING)
                label = f"{name}({_label_args(key)})"
            else:
                v = ctx.facts.values.get(name, _NOTHING)
                label = name
            if v is _NOTHING:
                if ctx.trace is not None:
                    ctx.trace.append(Node("missing", label, None, cite.section,
                                          cite.span.file if cite.span else None,
                                          cite.span.line if cite.span else None,
                                          note="not in the fact set"))
                raise Missing(frozenset({label}))
            if qual:
                ctx.qualitative.add(label)
            if ctx.trace is not None:
                ctx.trace.append(Node("qualitative" if qual else "fact", label, v, cite.section,
                                      cite.span.file if cite.span else None,
                                      cite.span.line if cite.span else None, note=note))
            return v
        return read

    def op_call(self, e: ir.E) -> Fn:
        name = e.data
        d = self.contract.definitions[name]
        params = [p for p, _ in d.params]
        args = [self.compile(a) for a in e.args]
        defs = self.plan.defs
        cite = d.cite
        rtype = d.type
        file = cite.span.file if cite.span else None
        line = cite.span.line if cite.span else None

        def call(ctx: Ctx, env: dict[str, Any]) -> Any:
            vals = tuple(a(ctx, env) for a in args)
            key = (name, vals)
            try:
                hit = ctx.memo.get(key, _NOTHING)
            except TypeError:  # an unhashable argument (a map): no memo
                key, hit = None, _NOTHING
            if hit is not _NOTHING:
                v, node = hit
                if ctx.trace is not None and node is not None:
                    ctx.trace.append(node)
                if isinstance(v, Missing):
                    raise v
                return v
            body = defs[name]
            local = dict(zip(params, vals))
            label = f"{name}({_label_args(vals)})" if params else name
            if ctx.trace is None:
                try:
                    v = body(ctx, local)
                except Missing as m:
                    if key is not None:
                        ctx.memo[key] = (m, None)
                    raise
                if key is not None:
                    ctx.memo[key] = (v, None)
                return v
            saved = ctx.trace
            kids: list[Node] = []
            ctx.trace = kids
            try:
                v = body(ctx, local)
            except Missing as m:
                node = Node("definition", label, None, cite.section, file, line, kids,
                            note="undetermined: needs " + ", ".join(sorted(m.needs)))
                saved.append(node)
                if key is not None:
                    ctx.memo[key] = (m, node)
                raise
            finally:
                ctx.trace = saved
            node = Node("definition", label, show(v, rtype), cite.section, file, line, kids,
                        note=d.title)
            saved.append(node)
            if key is not None:
                ctx.memo[key] = (v, node)
            return v
        return call

    def op_field(self, e: ir.E) -> Fn:
        obj = self.compile(e.args[0])
        name = e.data
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

    def op_agg(self, e: ir.E) -> Fn:
        func, var = e.data
        val = self.compile(e.args[0])
        src = self.compile(e.args[1])
        where = self.compile(e.args[2]) if len(e.args) > 2 else None
        zero: Any = Decimal(0) if e.type.inner.kind == "money" else 0

        def items(ctx: Ctx, env: dict[str, Any]) -> Any:
            s = src(ctx, env)
            if where is None:
                for x in s:
                    env2 = dict(env)
                    env2[var] = x
                    yield val(ctx, env2)
                return
            for x in s:
                env2 = dict(env)
                env2[var] = x
                if where(ctx, env2):
                    yield val(ctx, env2)

        if func == "sum":
            if e.type.kind == "duration":
                return lambda ctx, env: Duration(sum(d.amount for d in items(ctx, env)), "days")
            return lambda ctx, env: sum(items(ctx, env), zero)
        if func == "count":
            return lambda ctx, env: sum(1 for _ in items(ctx, env))
        if func == "all":
            return lambda ctx, env: all(items(ctx, env))
        if func == "any":
            return lambda ctx, env: any(items(ctx, env))
        pick = min if func in ("min", "earliest") else max

        def extreme(ctx: Ctx, env: dict[str, Any]) -> Any:
            vals = [v for v in items(ctx, env) if v is not None]
            if not vals:
                return None
            if any(isinstance(v, Fraction) for v in vals):
                vals = [Fraction(v) for v in vals]
            return pick(vals)
        return extreme

    def op_allocate(self, e: ir.E) -> Fn:
        var, rounding = e.data
        total, src, weight = (self.compile(a) for a in e.args)

        def alloc(ctx: Ctx, env: dict[str, Any]) -> Any:
            t = total(ctx, env)
            weights = []
            for x in sorted(src(ctx, env), key=str):
                env2 = dict(env)
                env2[var] = x
                weights.append((x, weight(ctx, env2)))
            return allocate(t, weights, rounding)
        return alloc

    def op_setcomp(self, e: ir.E) -> Fn:
        var = e.data
        val = self.compile(e.args[0])
        src = self.compile(e.args[1])
        where = self.compile(e.args[2]) if len(e.args) > 2 else None

        def comp(ctx: Ctx, env: dict[str, Any]) -> Any:
            out = set()
            for x in src(ctx, env):
                env2 = dict(env)
                env2[var] = x
                if where is None or where(ctx, env2):
                    out.add(val(ctx, env2))
            return frozenset(out)
        return comp

    def op_setlit(self, e: ir.E) -> Fn:
        items = [self.compile(a) for a in e.args]
        return lambda ctx, env: frozenset(i(ctx, env) for i in items)

    def op_arith(self, e: ir.E) -> Fn:
        left, right = self.compile(e.args[0]), self.compile(e.args[1])
        op, kind = e.data
        span = e.span
        if kind == "date":
            sign = 1 if op == "+" else -1

            def date_arith(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = left(ctx, env), right(ctx, env)
                return None if a is None or b is None else add_duration(a, b, sign, ctx)
            return date_arith
        if kind == "set":
            if op == "+":
                return lambda ctx, env: frozenset(left(ctx, env)) | frozenset(right(ctx, env))
            return lambda ctx, env: frozenset(left(ctx, env)) - frozenset(right(ctx, env))
        if kind == "duration":
            return lambda ctx, env: Duration(left(ctx, env).amount + right(ctx, env).amount, "days")
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
        left, right = self.compile(e.args[0]), self.compile(e.args[1])
        op = e.data
        if op == "==":
            return lambda ctx, env: _eq(left(ctx, env), right(ctx, env))
        if op == "!=":
            return lambda ctx, env: not _eq(left(ctx, env), right(ctx, env))
        import operator

        f = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

        def order(ctx: Ctx, env: dict[str, Any]) -> Any:
            a, b = left(ctx, env), right(ctx, env)
            if a is None or b is None:
                return False
            if isinstance(a, Duration):
                a, b = a.amount, b.amount
            a, b = _num(a, b)
            return f(a, b)
        return order

    def op_member(self, e: ir.E) -> Fn:
        item, coll = self.compile(e.args[0]), self.compile(e.args[1])
        if e.data:
            return lambda ctx, env: item(ctx, env) not in coll(ctx, env)
        return lambda ctx, env: item(ctx, env) in coll(ctx, env)

    def op_and(self, e: ir.E) -> Fn:
        left, right = self.compile(e.args[0]), self.compile(e.args[1])

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
        return lambda ctx, env: a(ctx, env) if c(ctx, env) else b(ctx, env)

    def op_nth(self, e: ir.E) -> Fn:
        anchor = self.compile(e.args[0])
        d = Duration(*e.data)
        return lambda ctx, env: None if (a := anchor(ctx, env)) is None else add_duration(a, d, 1, ctx)

    def op_builtin(self, e: ir.E) -> Fn:  # noqa: C901
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

            def pick_date(ctx: Ctx, env: dict[str, Any]) -> Any:
                vals = [v for a in args if (v := a(ctx, env)) is not None]
                return pick(vals) if vals else None
            return pick_date
        if name == "days_between":
            def between(ctx: Ctx, env: dict[str, Any]) -> Any:
                a, b = args[0](ctx, env), args[1](ctx, env)
                return None if a is None or b is None else (b - a).days
            return between
        if name in ("days", "business_days", "months"):
            return lambda ctx, env: Duration(args[0](ctx, env), name)
        if name == "abs":
            return lambda ctx, env: None if (v := args[0](ctx, env)) is None else abs(v)
        if name == "round":
            result = e.type.kind
            unit = args[1] if len(args) > 1 else None
            return lambda ctx, env: round_value(args[0](ctx, env),
                                                unit(ctx, env) if unit else None, extra, result)
        raise AssertionError(name)  # pragma: no cover


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, EventValue) or isinstance(b, EventValue):
        return a is b
    if isinstance(a, Fraction) or isinstance(b, Fraction):
        if a is None or b is None:
            return a is b
        return bool(Fraction(a) == Fraction(b))
    return bool(a == b)


def compile_contract(contract: ir.Contract) -> Plan:
    """Compile a checked contract once; evaluate the plan against many fact sets."""
    return Plan(contract)
