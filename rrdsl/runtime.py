"""Runtime: the evaluation context closures run in, missing facts, and derivation nodes.

A `Ctx` sees the fact set as of a cut-off date (events after it are invisible), memoises
definitions, and — when tracing — records a derivation node for every fact and definition used.
"""

from __future__ import annotations

import bisect
import datetime
import operator
from typing import TYPE_CHECKING, Any

from .facts import FactSet
from .values import EventValue

if TYPE_CHECKING:
    from .calendars import BusinessCalendar

_event_date = operator.attrgetter("date")  # an event's date (in C: bisect calls it often)


class Missing(Exception):
    """A fact the answer needs is not in the fact set."""

    def __init__(self, needs: frozenset[str]):
        super().__init__()
        self.needs = needs

    def __str__(self) -> str:  # composed on demand: most Missing are caught, never shown
        return ", ".join(sorted(self.needs))


class EvalFailure(Exception):
    """The contract asked for something impossible with these facts (e.g. division by zero)."""

    def __init__(self, message: str, span: Any, hint: str | None = None, code: str = "E601"):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.code = code
        self.context: str | None = None  # the clause instance it happened in, when known


def _no_status(norm_id: str, bearer: Any, event: Any, day: datetime.date) -> str:
    raise EvalFailure(f"the answer of §{norm_id} is asked outside an evaluation", None)


class Node:
    """One step of a derivation: a fact, a definition, a condition, an exception, a clause."""

    __slots__ = ("children", "file", "kind", "label", "line", "note", "section", "value")

    def __init__(self, kind: str, label: str, value: Any = None, section: str | None = None,
                 file: str | None = None, line: int | None = None,
                 children: list[Node] | None = None, note: str | None = None):
        self.kind = kind
        self.label = label
        self.value = value
        self.section = section
        self.file = file
        self.line = line
        self.children = children if children is not None else []
        self.note = note


#: In what a definition reads (compiler's `_event_reads`): the context's own day, which
#: `first_day` (the days it tries end there) and another clause's answer (a deadline passes on
#: a day without an event) read besides events and facts.  Not an event type's name, nor a
#: fact's ("#NAME").
OWN_DAY = "@day"


class Ctx:
    """Evaluation context at one cut-off date."""

    __slots__ = (
        "_at",
        "_events",
        "_same",
        "as_of",
        "calendar",
        "cutoff",
        "facts",
        "memo",
        "qualitative",
        "recursion",
        "root",
        "status_of",
        "trace",
    )

    def __init__(self, facts: FactSet, as_of: datetime.date, calendar: BusinessCalendar,
                 trace: bool = False, cutoff: datetime.date | None = None,
                 root: Ctx | None = None):
        self.facts = facts
        self.as_of = as_of
        self.cutoff = cutoff or as_of
        self.memo: dict[Any, Any] = {}
        self._events: dict[str, tuple[EventValue, ...]] = {}
        self.calendar = calendar
        self.trace: list[Node] | None = [] if trace else None
        self.qualitative: set[str] = set()
        self._at: dict[datetime.date, Ctx] = {}
        self._same: dict[str, bool] = {}
        # the recursive groups being evaluated in this context: by group, the stack of the
        # (definition, event) calls in progress (compiler._Group)
        self.recursion: dict[Any, list[tuple[str, tuple[Any, ...], Any]]] = {}
        self.root = root or self
        # the evaluator's answer of a clause instance on a day, for `§S.x[...] is STATUS`
        # (norm id, bearer, event, day → status; raises Missing when undetermined)
        self.status_of: Any = _no_status

    def release(self) -> None:
        """Drop what the evaluation kept (memo, sub-contexts, the link to itself), once it is
        done: a context refers to itself and to its sub-contexts, which refer back, so without
        this only the cyclic garbage collector could free it, and its runs would dominate the
        time of many evaluations in a row."""
        for sub in self._at.values():
            sub.memo = {}
            sub._events = {}
            sub.root = None  # type: ignore[assignment]
            sub._same = {}
        self._at = {}
        self.memo = {}
        self._events = {}
        self.root = None  # type: ignore[assignment]
        self.status_of = _no_status

    def events(self, name: str) -> tuple[EventValue, ...]:
        found = self._events.get(name)
        if found is None:
            evs = self.facts.events.get(name, [])
            if evs and evs[-1].date > self.cutoff:
                n = bisect.bisect_right(evs, self.cutoff, key=_event_date)
            else:
                n = len(evs)
            found = tuple(evs[:n])
            self._events[name] = found
        return found

    def changes(self, fact: str) -> int:
        """How many times the fact's values may have changed by this context's day (0 for a
        fact without a history)."""
        days = self.facts.changes.get(fact)
        return 0 if days is None else bisect.bisect_right(days, self.cutoff)

    def same_as_root(self, name: str, types: frozenset[str]) -> bool:
        """Does this context see the same events of these types (those definition `name`
        reads) as the root context?  Then the definition's answers are the root's."""
        found = self._same.get(name)
        if found is None:
            root = self.root
            found = True
            for t in types:
                if t == OWN_DAY:  # it reads its own day
                    if self.cutoff != root.cutoff:
                        found = False
                        break
                    continue
                if t[0] == "#":  # a fact: no change of its values between the two days
                    if self.changes(t[1:]) != root.changes(t[1:]):
                        found = False
                        break
                elif len(self.events(t)) != len(root.events(t)):
                    found = False
                    break
            self._same[name] = found
        return found

    def of_day(self, day: datetime.date) -> Ctx:
        """The context that sees only what had happened by `day` (this one if `day` is not
        earlier), as it is: not pointed at this context's derivation and assumptions, for it
        may be in use further up (compiler._lent lends it for an evaluation)."""
        if day >= self.cutoff:
            return self
        root = self.root
        sub = root._at.get(day)
        if sub is None:
            sub = root._at[day] = Ctx.__new__(Ctx)
            sub.facts, sub.as_of, sub.cutoff, sub.memo = self.facts, self.as_of, day, {}
            sub._events, sub.calendar, sub._at, sub.root = {}, self.calendar, {}, root
            sub._same, sub.recursion = {}, {}
            sub.trace, sub.qualitative = self.trace, self.qualitative
        return sub

    def at(self, day: datetime.date) -> Ctx:
        """`of_day`, pointed at this context's derivation and set of assumptions, and left
        so: for the evaluator's own questions, asked while nothing is in progress in that
        context (an evaluation in progress lends it instead: compiler._lent)."""
        sub = self.of_day(day)
        sub.trace = self.trace
        sub.qualitative = self.qualitative
        return sub
