"""AST: the frozen tree the parser produces from clause-file text.

Each node documents the surface syntax it stands for. Spans ride on nodes but stay out of
equality (`eq=False`), so two equal subtrees from different places compare equal.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from .diagnostics import Span
from .nodes import Node


def _span() -> Span | None:
    return attrs.field(default=None, eq=False, repr=False)  # type: ignore[no-any-return]


# ── types ────────────────────────────────────────────────────────────────────


@attrs.frozen(repr=False, eq=False)
class NamedType(Node):
    """`shares`, `money`, `Investor`, `DemandNotice` — resolved by the checker."""

    name: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class UnionType(Node):
    """`DemandNotice or ShortFormNotice` — an event of any of these types."""

    names: tuple[str, ...]
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class SetType(Node):
    """`set of T`"""

    elem: TypeExpr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class MapType(Node):
    """`map of K to V`"""

    key: TypeExpr
    value: TypeExpr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class OptionalType(Node):
    """`T?` — a value that may be absent (`none`)."""

    inner: TypeExpr
    span: Span | None = _span()


TypeExpr = (
    NamedType
    | UnionType
    | SetType
    | MapType
    | OptionalType
)


# ── expressions ──────────────────────────────────────────────────────────────


@attrs.frozen(repr=False, eq=False)
class Name(Node):
    """`restricted_stock`, `d`, `Investor`, `firm_commitment` — any identifier."""

    name: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Call(Node):
    """`f(a, b)` — a definition, a parameterised fact or a built-in function."""

    func: str
    args: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Attr(Node):
    """`d.shares` — a field of an event (or `date`, `id`)."""

    obj: Expr
    name: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Index(Node):
    """`m[i]` — the value of a map at a key."""

    obj: Expr
    key: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Aggregate(Node):
    """`sum(e for x in S where c)`; also count, all, any, min, max, earliest, latest."""

    func: str
    expr: Expr
    var: str
    source: Expr
    where: Expr | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class AggregateSet(Node):
    """`sum(S)`, `count(S)` — an aggregate over a set (or a map's values)."""

    func: str
    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Allocate(Node):
    """`allocate(T among x in S by w rounding largest_remainder)` — pro-rata division."""

    total: Expr
    var: str
    source: Expr
    weight: Expr
    rounding: str
    span: Span | None = _span()
    rounding_span: Span | None = _span()
    cap: Expr | None = None  # `limited to CAP`: each holder's cap
    rank: Expr | None = None  # `ranked by RANK`: tiers, the lowest rank first
    reserve: Expr | None = None  # `reserving FLOOR for CONDITION`: the floor ...
    reserve_for: Expr | None = None  # ... and the condition of the holders it is for


@attrs.frozen(repr=False, eq=False)
class SetComprehension(Node):
    """`{e for x in S where c}`"""

    expr: Expr
    var: str
    source: Expr
    where: Expr | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class SetLiteral(Node):
    """`{a, b, c}`"""

    items: tuple[Expr, ...]
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Literal(Node):
    """A literal: `42`, `1.5`, `$5,000,000`, `50%`, `2001-02-20`, `"text"`, `true`, `none`.

    `kind` is one of int, decimal, money, percent, date, text, bool, none.
    """

    kind: str
    value: int | Decimal | datetime.date | str | bool | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class DurationLit(Node):
    """`30 days`, `5 business days`, `12 months`, `1 year`; `five days`, `thirty (30) days`."""

    amount: int
    unit: str  # days | business_days | months | years
    span: Span | None = _span()
    # written `calendar day(s)`: the same as `day(s)`, kept as the author wrote it
    calendar: bool = attrs.field(default=False, eq=False, repr=False)
    # the number as written in words (`five`, `thirty (30)`), kept for the formatter; None: digits
    words: str | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class NthAfter(Node):
    """`180th day after X`, `5th business day following X`, `the fifth business day following X`
    — the date that many units later."""

    amount: int
    unit: str
    anchor: Expr
    span: Span | None = _span()
    word: str = attrs.field(default="after", eq=False, repr=False)  # "after" or "following"
    calendar: bool = attrs.field(default=False, eq=False, repr=False)  # `calendar day`
    # the ordinal as written in words (`fifth`, `the fifth`, `the 5th`); None: `5th`
    words: str | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class BinOp(Node):
    """`a + b`, `a - b`, `a * b`, `a / b`"""

    op: str
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Compare(Node):
    """`a == b`, `!=`, `<`, `<=`, `>`, `>=`"""

    op: str
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Member(Node):
    """`x in S`, `x not in S`"""

    item: Expr
    collection: Expr
    negated: bool
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class BoolOp(Node):
    """`a and b`, `a or b` (three-valued: a missing fact only matters if it decides)."""

    op: str
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Not(Node):
    """`not a`"""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Neg(Node):
    """`-a`"""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class StatusTest(Node):
    """`§3(a).further_notice[d] is breached` — whether the answer of a clause instance, on the
    day being judged, has the status named; the arguments are the instance's bearer (for an
    `each` clause) and its triggering event (for an `upon` clause), in that order."""

    section: str
    clause: str
    args: tuple[Expr, ...]
    status: str
    span: Span | None = _span()
    status_span: Span | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class AsOf(Node):
    """`expr as of day` — `expr` read on the facts as they stood on `day`: the events up to
    that day, each fact's value on that day."""

    expr: Expr
    day: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class IfThenElse(Node):
    """`if c then a else b`"""

    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span | None = _span()


Expr = (
    Name
    | Call
    | Attr
    | Index
    | Aggregate
    | AggregateSet
    | Allocate
    | SetComprehension
    | SetLiteral
    | Literal
    | DurationLit
    | NthAfter
    | BinOp
    | Compare
    | Member
    | BoolOp
    | Not
    | Neg
    | AsOf
    | StatusTest
    | IfThenElse
)


# ── declarations ─────────────────────────────────────────────────────────────


@attrs.frozen(repr=False, eq=False)
class AgreementRef(Node):
    """`refers to original_2000 "the Original Registration Rights Agreement"` (header)."""

    name: str
    title: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Header(Node):
    """`agreement NAME "Title" dated DATE calendar "XFED" source "text/agreement.txt"`, with,
    for a variant, `variant of "base.rrd"` and `inherited terms assumed "why"`; or
    `amendment NAME "Title" amends "agreement.rrd" writing "id"` for an amendment."""

    name: str
    title: str
    dated: datetime.date | None = None
    calendar: str | None = None
    span: Span | None = _span()
    calendar_span: Span | None = _span()
    source: str | None = None  # the agreement's filed text, relative to the clause file
    source_span: Span | None = _span()
    kind: str = "agreement"  # agreement | amendment
    base: str | None = None  # `variant of` / `amends`: the base clause file, relative
    base_span: Span | None = _span()
    writing: str | None = None  # an amendment's writing: an event id in the fact file
    writing_span: Span | None = _span()
    inherited_assumed: str | None = None  # `inherited terms assumed "why"`
    inherited_span: Span | None = _span()
    refers: tuple[AgreementRef, ...] = ()
    # an amendment: `retroactive "why"` — it governs answers to events before it took effect
    retroactive: str | None = None
    retroactive_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Import(Node):
    """`import "lib/vocabulary.rrd"` — a path relative to the importing file."""

    path: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class PartyDecl(Node):
    """`party Savvis "Savvis Communications Corporation"` — a party the agreement names."""

    name: str
    title: str | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class RoleDecl(Node):
    """`role Investor "the Investors"` — a class of parties; fact files name its members."""

    name: str
    title: str | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class EnumMember(Node):
    name: str
    title: str | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class EnumDecl(Node):
    """`enum Form "registration form" { S1 "Form S-1", S3 "Form S-3" }`"""

    name: str
    title: str | None
    members: tuple[EnumMember, ...]
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Param(Node):
    name: str
    type: TypeExpr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class FactDecl(Node):
    """`[qualitative] fact NAME[(p: T, ...)]: T [over time] "description"` — read from the
    fact file; `over time`: the fact file must give its values from dates (a history)."""

    name: str
    params: tuple[Param, ...]
    type: TypeExpr
    title: str | None
    qualitative: bool
    span: Span | None = _span()
    over_time: bool = False


@attrs.frozen(repr=False, eq=False)
class Field(Node):
    name: str
    type: TypeExpr
    title: str | None
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class EventDecl(Node):
    """`[qualitative] event NAME "description" (field: T, ...)` — dated events in the facts.

    Every event also has `date` (when it happened) and `id`.
    """

    name: str
    title: str | None
    fields: tuple[Field, ...]
    qualitative: bool
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Define(Node):
    """`define NAME[(p: T, ...)]: T ["Defined Term"] = expr`"""

    name: str
    params: tuple[Param, ...]
    type: TypeExpr
    title: str | None
    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class StateStep(Node):
    """`upon EventType var [where cond]: expr` — on each such event (meeting `cond`) the state
    becomes `expr`, in which the state's own name is its value before the event."""

    events: tuple[str, ...]
    var: str
    where: Expr | None
    expr: Expr
    span: Span | None = _span()
    event_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class StateDecl(Node):
    """`state NAME[(p: T, ...)]: T ["Defined Term"] initially expr` followed by one or more
    `upon EventType var [where cond]: expr` — a value that runs over the dated events (shares
    held, after issuances, transfers, sales and splits), read on any day as it stood then."""

    name: str
    params: tuple[Param, ...]
    type: TypeExpr
    title: str | None
    initial: Expr
    steps: tuple[StateStep, ...]
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Reading(Node):
    """`reading NAME: "the interpretive choice this encoding makes"`"""

    name: str
    text: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Target(Node):
    """`§3(a).register` or `register` (a clause of the same section), or `any clause` (every
    clause of the agreement: `every` is then true)."""

    section: str | None
    name: str
    span: Span | None = _span()
    every: bool = False

    def __str__(self) -> str:
        if self.every:
            return "any clause"
        return f"§{self.section}.{self.name}" if self.section else self.name


# clause parts ───────────────────────────────────────────────────────────────


@attrs.frozen(repr=False, eq=False)
class ToPart(Node):
    """`to EXPR` — the beneficiary (a party or a set of parties)."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Upon(Node):
    """`upon EventType [or EventType ...] var [where cond]` — one instance per matching event."""

    events: tuple[str, ...]
    var: str
    where: Expr | None
    span: Span | None = _span()
    event_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class When(Node):
    """`when cond` — a condition that must hold (judged as of the evaluation date)."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Within(Node):
    """`within DURATION after|following DATE` — the last day to perform (inclusive)."""

    duration: Expr
    anchor: Expr
    span: Span | None = _span()
    word: str = attrs.field(default="after", eq=False, repr=False)  # "after" or "following"


@attrs.frozen(repr=False, eq=False)
class ByDate(Node):
    """`by DATE` — the last day to perform (inclusive)."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class DeadlineText(Node):
    """`deadline "as expeditiously as possible"` — a qualitative time standard."""

    text: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class FromPart(Node):
    """`from DATE` — the first day of the period."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Until(Node):
    """`until DATE` — the period ends on that day (exclusive: in force before it)."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Through(Node):
    """`through DATE` — the period ends at the end of that day (inclusive)."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class FulfilledBy(Node):
    """`fulfilled by EventType var [where cond]` — performed by the earliest matching event."""

    event: str
    var: str
    where: Expr | None
    span: Span | None = _span()
    event_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class FulfilledWhen(Node):
    """`fulfilled when cond` — deemed performed when the condition holds."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class FulfilledOn(Node):
    """`fulfilled on DATE?` — performed on that date, once it has come."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class BreachedBy(Node):
    """`breached by EventType var [where cond]` — a prohibited act within the period."""

    event: str
    var: str
    where: Expr | None
    span: Span | None = _span()
    event_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class WithPart(Node):
    """`with "label" = expr` — a number or date reported with the answer."""

    label: str
    expr: Expr
    span: Span | None = _span()


ClausePart = (
    ToPart
    | Upon
    | When
    | Within
    | ByDate
    | DeadlineText
    | FromPart
    | Until
    | Through
    | FulfilledBy
    | FulfilledWhen
    | FulfilledOn
    | BreachedBy
    | WithPart
)


@attrs.frozen(repr=False, eq=False)
class BearerParty(Node):
    """`Savvis shall ...` — a named party bears the norm."""

    name: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class BearerEach(Node):
    """`each i in Investor shall ...` — one instance per party of the role."""

    var: str
    role: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Clause(Node):
    """`clause NAME: BEARER shall|will|may|shall not|will not "action" PARTS...`"""

    name: str
    bearer: BearerParty | BearerEach
    modal: str  # the words as written: "shall", "will", "may", "shall not", "will not"
    action: str
    parts: tuple[ClausePart, ...]
    span: Span | None = _span()
    name_span: Span | None = _span()

    @property
    def modality(self) -> str:
        if self.modal in ("shall", "will"):
            return "obligation"
        if self.modal == "may":
            return "permission"
        return "prohibition"


@attrs.frozen(repr=False, eq=False)
class NonOperative(Node):
    """`clause NAME: nonoperative "what the provision says"` — a provision with no duty,
    right or prohibition to evaluate (headings, severability, counterparts)."""

    name: str
    text: str
    span: Span | None = _span()
    name_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class ForBinding(Node):
    """`for EventType var` or `for Role var` — binds the target clause's trigger or bearer."""

    type: str | None
    var: str
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class WhilePart(Node):
    """`while cond` — an exception applies in each period in which `cond` holds, judged day
    by day ("during any period in which ...")."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Because(Node):
    """`because "reason"`"""

    text: str
    span: Span | None = _span()


ExceptionPart = (
    ForBinding
    | Upon
    | When
    | WhilePart
    | FromPart
    | Until
    | Through
    | Because
)


@attrs.frozen(repr=False, eq=False)
class ExceptionDecl(Node):
    """`exception NAME: suspends|excuses TARGET, ... [for ...] [upon ...] [when ...] [until ...]
    because "reason"`"""

    name: str
    effect: str  # suspends | excuses
    targets: tuple[Target, ...]
    parts: tuple[ExceptionPart, ...]
    span: Span | None = _span()
    name_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class CheckDecl(Node):
    """`check NAME ["what it says"]: for EventType [or ...] var requires COND` — a condition
    every such event of a consistent fact file meets; one that does not is reported."""

    name: str
    title: str | None
    events: tuple[str, ...]
    var: str
    cond: Expr
    span: Span | None = _span()
    name_span: Span | None = _span()
    event_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class Priority(Node):
    """`subject to §3(j)`, `notwithstanding §3(a)`, `notwithstanding anything to the contrary`,
    `except as provided in §3(c)(v)`."""

    kind: str  # subject_to | notwithstanding | notwithstanding_all | except_as_provided
    refs: tuple[str, ...]
    span: Span | None = _span()
    ref_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class Governed(Node):
    """`clause NAME: governed by AGREEMENT.CLAUSE "the matter"` — a matter this agreement sends
    to another agreement; answered from that agreement when it is loaded."""

    name: str
    agreement: str
    target: str
    matter: str
    span: Span | None = _span()
    name_span: Span | None = _span()
    target_span: Span | None = _span()
    agreement_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class AmendedBy(Node):
    """`amended by EventType from DEFINITION` — how an amendment of this agreement
    takes effect: the definition gives the day a writing (an event) takes effect, if any."""

    event: str
    definition: str
    span: Span | None = _span()
    event_span: Span | None = _span()
    definition_span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Survives(Node):
    """`survives while COND` — the agreement's own life: it ends for the future on the first
    day, on or after its date, on which COND does not hold."""

    expr: Expr
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Replace(Node):
    """`replace <declaration>` (variants and amendments): the base's declaration of that name
    is replaced by this one."""

    decl: (PartyDecl | RoleDecl | EnumDecl | FactDecl | EventDecl | Define | StateDecl | Clause
           | ExceptionDecl | CheckDecl)
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Remove(Node):
    """`remove NAME, ... [because "why"]` (variants and amendments)."""

    names: tuple[str, ...]
    because: str | None
    span: Span | None = _span()
    name_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(repr=False, eq=False)
class TermMark(Node):
    """`known NAME, ...: "where it is known from"` / `assumed NAME, ...: "why"` — the standing
    of a variant's terms."""

    status: str  # known | assumed
    names: tuple[str, ...]
    text: str
    span: Span | None = _span()
    name_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


Decl = (
    PartyDecl
    | RoleDecl
    | EnumDecl
    | FactDecl
    | EventDecl
    | Define
    | StateDecl
    | Clause
    | ExceptionDecl
    | CheckDecl
    | Reading
    | NonOperative
    | Governed
    | AmendedBy
    | Survives
    | Replace
    | Remove
    | TermMark
)


@attrs.frozen(repr=False, eq=False)
class Section(Node):
    """`section 3(c)(viii) "Heading"` followed by its priorities and declarations."""

    number: str
    heading: str
    priorities: tuple[Priority, ...]
    items: tuple[Decl, ...]
    span: Span | None = _span()


@attrs.frozen(repr=False, eq=False)
class Module(Node):
    """One clause file: optional header, imports, preamble declarations, sections."""

    file: str
    header: Header | None
    imports: tuple[Import, ...]
    preamble: tuple[Decl, ...]
    sections: tuple[Section, ...]
    # the file's `# comments` (parser.Comment), in order: the grammar ignores them; the
    # formatter keeps them and the lints read `# rrdsl: allow` from them
    comments: tuple[Any, ...] = attrs.field(default=(), eq=False, repr=False)


def walk(node: Any) -> Iterator[Any]:
    """Every AST node under `node` (itself included)."""
    stack = [node]
    pop, push, known = stack.pop, stack.extend, _CHILDREN
    while stack:
        n = pop()
        if isinstance(n, tuple):
            push(n)
            continue
        cls = type(n)
        children = known[cls] if cls in known else _children(cls)
        if children is not None:
            yield n
            push(children(n))


def shift_lines(node: Any, delta: int) -> Any:
    """`node` as it would be parsed `delta` lines further down: every span moved (the language
    server keeps the parse of text that only moved). Parts without spans are kept as they
    are, the same objects."""
    if isinstance(node, Span):
        return attrs.evolve(node, line=node.line + delta, end_line=node.end_line + delta)
    if isinstance(node, tuple):
        moved = tuple(shift_lines(x, delta) for x in node)
        return node if all(a is b for a, b in zip(moved, node, strict=True)) else moved
    cls = type(node)
    names = _ALL_FIELDS.get(cls)
    if names is None:
        if not attrs.has(cls):
            return node
        names = _ALL_FIELDS[cls] = tuple(f.name for f in attrs.fields(cls))
    values = [getattr(node, name) for name in names]
    moved_values = [shift_lines(v, delta) for v in values]
    if all(a is b for a, b in zip(moved_values, values, strict=True)):
        return node
    new = object.__new__(cls)  # (frozen: the fields are set as attrs's own __init__ sets them)
    for name, value in zip(names, moved_values, strict=True):
        object.__setattr__(new, name, value)
    return new


_ALL_FIELDS: dict[type, tuple[str, ...]] = {}


#: For each AST class, a function from a node to the values of its fields that may hold
#: nodes, as a tuple (an attrgetter, which `walk` calls for every node: faster than reading
#: the fields one by one); None for a class that is not the AST's.
_CHILDREN: dict[type, Callable[[Any], tuple[Any, ...]] | None] = {}


def _children(cls: type) -> Callable[[Any], tuple[Any, ...]] | None:
    children: Callable[[Any], tuple[Any, ...]] | None = None
    if attrs.has(cls):
        names = [f.name for f in attrs.fields(cls) if not f.name.endswith("span")]
        children = operator.attrgetter(*names) if len(names) > 1 else _fields(names)
    _CHILDREN[cls] = children
    return children


def _fields(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """`_children` of a class with one such field or none (attrgetter gives a tuple only for
    more than one)."""
    return lambda node: tuple([getattr(node, name) for name in names])
