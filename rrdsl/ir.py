"""IR: the checked contract — names resolved to ids, every expression typed.

The checker produces it; the compiler turns it into closures. Nothing here refers to Lark or
to AST node identity.
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from .diagnostics import Span
from .nodes import Node
from .types import Type

# ── expressions ─────────────────────────────────────────────────────────────


@attrs.frozen(repr=False, eq=False)
class E(Node):
    """Base of typed expressions. `op` names the construct; `args` are sub-expressions;
    `data` holds what is not an expression (a name, an operator, a constant)."""

    op: str
    type: Type
    args: tuple[E, ...] = ()
    data: Any = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


# op values and their data:
#   lit (value) · local (name) · fact (fact name; args = parameters) · call (definition name)
#   party (name) · role (role) · events (tuple of event type names) · enum (member name)
#   field (field name; args=[obj]) · index · agg ((func, var); args=[expr, source, where?])
#   allocate ((var, rounding); args=[total, source, weight]) · setcomp (var; [expr, src, where?])
#   setlit · arith (kind) · cmp (op) · member (negated) · and · or · not · neg · if
#   builtin (name, extra) · nth (amount, unit; args=[anchor]) · duration ((amount, unit))
#   at (args=[expr, day]: `expr as of day`, evaluated in the context of that day)
#   fold ((state name, ((event types, var, has where), ...)); args=[initial, then for each
#        step: an events node, its where if any, its value]: the body of a `state`)


# ── declarations ────────────────────────────────────────────────────────────


@attrs.frozen(repr=False, eq=False)
class Cite(Node):
    """Where something is said: the agreement's section and the clause file's line."""

    section: str | None
    span: Span | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"section": self.section}
        if self.span is not None:
            out["file"] = self.span.file
            out["line"] = self.span.line
        return out


@attrs.frozen(repr=False, eq=False)
class Fact(Node):
    name: str
    params: tuple[tuple[str, Type], ...]
    type: Type
    title: str | None
    qualitative: bool
    cite: Cite
    over_time: bool = False  # the fact file must give its values from dates


@attrs.frozen(repr=False, eq=False)
class Event(Node):
    name: str
    fields: tuple[tuple[str, Type], ...]
    title: str | None
    qualitative: bool
    cite: Cite

    def field_type(self, name: str) -> Type | None:
        for n, t in self.fields:
            if n == name:
                return t
        return None


@attrs.frozen(repr=False, eq=False)
class Definition(Node):
    name: str
    params: tuple[tuple[str, Type], ...]
    type: Type
    title: str | None
    body: E
    cite: Cite


@attrs.frozen(repr=False, eq=False)
class Trigger(Node):
    events: tuple[str, ...]
    var: str
    where: E | None


@attrs.frozen(repr=False, eq=False)
class Norm(Node):
    """A clause: an obligation, permission or prohibition."""

    id: str  # "3(a).register"
    section: str
    heading: str
    name: str
    modality: str  # obligation | permission | prohibition
    modal: str  # the words as written
    action: str
    bearer: str | None  # a party constant, or None when `each VAR in ROLE`
    bearer_var: str | None
    bearer_role: str | None
    beneficiary: E | None
    trigger: Trigger | None
    when: E | None
    deadline_kind: str | None  # within | by | text | None
    deadline: E | None  # a date expression (within is compiled to anchor + duration)
    deadline_text: str | None
    start: E | None  # from
    end: E | None  # until (exclusive) or through (inclusive)
    end_inclusive: bool
    fulfilled_kind: str | None  # by | when | on
    fulfilled: E | None
    fulfilled_trigger: Trigger | None
    breached_trigger: Trigger | None
    withs: tuple[tuple[str, E], ...]
    cite: Cite


@attrs.frozen(repr=False, eq=False)
class Exception_(Node):
    """An exception: suspends or excuses the instances of its target clauses."""

    id: str
    section: str
    name: str
    effect: str  # suspends | excuses
    targets: tuple[str, ...]  # norm ids
    bind_kind: str | None  # trigger | bearer | None
    bind_var: str | None
    trigger: Trigger | None
    when: E | None
    start: E | None
    end: E | None
    end_inclusive: bool
    because: str
    cite: Cite
    while_: E | None = None  # `while C`: applies in each period in which C holds


@attrs.frozen(repr=False, eq=False)
class Check(Node):
    """A fact check: every event of its types in a consistent fact file meets `cond`."""

    id: str  # SECTION.NAME
    section: str
    name: str
    title: str | None
    trigger: Trigger  # the event types and the variable (no `where`)
    cond: E
    cite: Cite


def norm_exprs(n: Norm) -> list[E]:
    """Every expression of a clause: `to`, `when`, the deadline, the period, the fulfilment,
    the conditions of its events, its `with` values."""
    out = [n.beneficiary, n.when, n.deadline, n.start, n.end, n.fulfilled,
           *(t.where for t in (n.trigger, n.fulfilled_trigger, n.breached_trigger)
             if t is not None)]
    out += [e for _, e in n.withs]
    return [e for e in out if e is not None]


def exception_exprs(x: Exception_) -> list[E]:
    """Every expression of an exception: `when`, its period, the condition of its event."""
    out = [x.when, x.while_, x.start, x.end,
           x.trigger.where if x.trigger is not None else None]
    return [e for e in out if e is not None]


@attrs.frozen(repr=False, eq=False)
class Section(Node):
    number: str
    heading: str
    cite: Cite
    items: int = 0  # priorities and declarations it holds


@attrs.frozen(repr=False, eq=False)
class Provision(Node):
    """A non-operative provision (`clause NAME: nonoperative "..."`): cited, never evaluated."""

    id: str
    section: str
    heading: str
    name: str
    text: str
    cite: Cite


@attrs.frozen(repr=False, eq=False)
class Reading(Node):
    name: str
    text: str
    cite: Cite


@attrs.frozen(repr=False, eq=False)
class Standing(Node):
    """Whether a term of a variant is *known* (from a text we have) or *assumed* (carried over
    as a modelling assumption), and why."""

    status: str  # known | assumed
    text: str
    span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class Reference(Node):
    """`clause NAME: governed by AGREEMENT.CLAUSE "matter"` — answered from another agreement."""

    id: str
    section: str
    heading: str
    name: str
    agreement: str  # the other agreement's name
    agreement_title: str  # as `refers to` describes it
    target: str  # the other agreement's clause name
    matter: str
    cite: Cite
    target_span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class AmendmentRule(Node):
    """`amended by EventType from DEFINITION`: how amendments of this agreement take
    effect. The definition takes one writing (an event of that type) and gives a date or none."""

    event: str
    definition: str
    cite: Cite


@attrs.frozen(repr=False, eq=False)
class Survival(Node):
    """`survives while COND`: the agreement ends, for the future, on the first day on or after
    its date on which COND does not hold."""

    cond: E
    cite: Cite


@attrs.frozen(repr=False, eq=False)
class Amendment(Node):
    """What an amendment file is: the agreement it amends and its writing in the facts."""

    name: str
    title: str
    base_file: str  # display path of the amended clause file
    writing: str  # the event id of the writing
    dated: datetime.date | None
    cite: Cite
    # `retroactive "why"`: it governs the answers to events before it took effect too;
    # None: only those to events on or after that day (the others stand as they were)
    retroactive: str | None = None


@attrs.frozen(repr=False, eq=False)
class Contract(Node):
    """A checked agreement, ready to compile."""

    name: str
    title: str
    dated: datetime.date | None
    calendar: str
    file: str
    parties: dict[str, str | None]
    roles: dict[str, str | None]
    enums: dict[str, tuple[tuple[str, str | None], ...]]
    facts: dict[str, Fact]
    events: dict[str, Event]
    definitions: dict[str, Definition]
    sections: dict[str, Section]
    norms: tuple[Norm, ...]
    exceptions: tuple[Exception_, ...]
    readings: tuple[Reading, ...]
    prevails: frozenset[tuple[str, str]]
    provisions: tuple[Provision, ...] = ()
    checks: tuple[Check, ...] = ()  # fact checks, in the order written
    # definitions that use one another for earlier events (checker.recursive_groups), each
    # group sorted
    recursion: tuple[tuple[str, ...], ...] = ()
    source: str | None = None  # path of the agreement's filed text, as the header gives it
    # variants and amendments
    base_file: str | None = None  # `variant of` / `amends`: the base clause file
    based_on: tuple[str, ...] = ()  # the agreements it is based on, nearest first
    amendment: Amendment | None = None  # set when the file is an amendment
    refers: dict[str, str] = attrs.field(factory=dict)  # other agreements: name → title
    references: tuple[Reference, ...] = ()
    amendment_rule: AmendmentRule | None = None
    survival: Survival | None = None  # how long the agreement lasts
    standing: dict[str, Standing] = attrs.field(factory=dict)  # term key → known/assumed
    assumed_by_norm: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    assumed_by_definition: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    # a variant: the roles each clause and definition ranges over (variants.roles_used), for
    # the memberships an answer rests on when the fact file does not state them
    roles_by_norm: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    roles_by_definition: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
