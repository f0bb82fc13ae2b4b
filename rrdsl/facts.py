"""Facts stage: a TOML or JSON fact file → a `FactSet` validated against the contract.

Every value is checked against the type the contract declares; every problem names the fact,
the expected type and its line and column in the file. Money and ratios are read as Decimal,
never float.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import ir
from .diagnostics import (
    SOURCES,
    Diagnostic,
    FactErrors,
    Span,
    date_problem,
    did_you_mean,
)
from .types import Type
from .values import EventValue, History

MAX_FACT_BYTES = 10_000_000
MAX_EVENTS = 100_000
MAX_SHARES = 10**15
#: Tables and lists inside one another in decoded fact or scenario data (a fact file's own
#: values need a handful; the limit stops a crafted file before any recursive step sees it).
MAX_NESTING = 64

PathT = tuple[str | int, ...]


class FactSet:
    """The validated facts: parties and their roles, static facts, dated events."""

    def __init__(self) -> None:
        self.parties: dict[str, set[str]] = {}
        self.roles: dict[str, tuple[str, ...]] = {}
        self.values: dict[str, Any] = {}  # fact → value, or {args tuple: value}
        # by type, for the types the facts give events of (an empty list made for each of an
        # agreement's sixty-odd types was most of a kept fact set's objects)
        self.events: dict[str, list[EventValue]] = {}
        self.events_by_id: dict[str, EventValue] = {}
        self.as_of: datetime.date | None = None
        # facts whose values change over time (a History in `values`): the days on which
        # any of their values may change, sorted
        self.changes: dict[str, list[datetime.date]] = {}
        self.file = "<facts>"
        # parties the file lists that are not parties of this agreement (their entry under
        # [parties] names the agreements they are party to, and not this one): no role of
        # this agreement counts them among its members
        self.outside: set[str] = set()
        # parties whose entry does not say which agreements they are party to, taken to be
        # parties of this agreement, a variant of the one the file was written for: assumed
        self.assumed_members: set[str] = set()
        # where each event is written in the fact file (its table), for fact-check warnings;
        # None for facts that did not come from a text
        self._locate: Callable[[str], Span | None] = lambda ev_id: None

    def event_location(self, ev_id: str) -> Span | None:
        """The place in the fact file where the event with this id is written."""
        return self._locate(ev_id)

    def party_names(self) -> list[str]:
        return sorted(self.parties)


# ── positions in the fact file ─────────────────────────────────────────────


class _Key:
    """Put at the end of a path, it means the key of that entry rather than its value."""

    def __repr__(self) -> str:
        return "KEY"


KEY: Any = _Key()


class _Positions:
    """Where each key path's key and value are written in a fact file's text, as character
    offsets (start, end). Filled by a lenient scanner that runs after the real parser has
    accepted the text; a path it did not see falls back to its nearest enclosing entry."""

    def __init__(self, text: str):
        self.text = text
        self.values: dict[PathT, tuple[int, int]] = {}
        self.keys: dict[PathT, tuple[int, int]] = {}
        self.duplicates: list[tuple[PathT, tuple[int, int]]] = []
        # a file the real parser rejects may stop the scan half way: positions found so far stand
        with contextlib.suppress(IndexError, ValueError, RecursionError):
            self._scan()

    def _scan(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def locate(self, path: PathT, key: bool = False) -> tuple[int, int] | None:
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return None

    def _skip(self, i: int, newlines: bool, comment: str = "#") -> int:
        t = self.text
        while i < len(t):
            c = t[i]
            if c in " \t\r" or (newlines and c == "\n"):
                i += 1
            elif newlines and comment and c == comment:
                while i < len(t) and t[i] != "\n":
                    i += 1
            else:
                break
        return i


class _JsonPositions(_Positions):
    def _scan(self) -> None:
        self._value(0, ())

    def _string_end(self, i: int) -> int:
        i += 1
        while self.text[i] != '"':
            i += 2 if self.text[i] == "\\" else 1
        return i + 1

    def _value(self, i: int, path: PathT) -> int:
        t = self.text
        i = self._skip(i, True, "")
        start = i
        c = t[i]
        if c == "{":
            i = self._skip(i + 1, True, "")
            seen: set[str] = set()
            while t[i] != "}":
                end = self._string_end(i)
                key = json.loads(t[i:end])
                if key in seen:
                    self.duplicates.append((path + (key,), (i, end)))
                seen.add(key)
                self.keys.setdefault(path + (key,), (i, end))
                i = self._skip(end, True, "")
                i = self._value(i + 1, path + (key,))  # past the ':'
                i = self._skip(i, True, "")
                if t[i] == ",":
                    i = self._skip(i + 1, True, "")
            end = i + 1
        elif c == "[":
            i = self._skip(i + 1, True, "")
            n = 0
            while t[i] != "]":
                i = self._skip(self._value(i, path + (n,)), True, "")
                n += 1
                if t[i] == ",":
                    i = self._skip(i + 1, True, "")
            end = i + 1
        elif c == '"':
            end = self._string_end(i)
        else:
            m = re.compile(r"[^,\]\}\s]+").match(t, i)
            end = m.end() if m else i + 1
        self.values.setdefault(path, (start, end))
        return end


class _TomlPositions(_Positions):
    _BARE = re.compile(r"[A-Za-z0-9_-]+")
    _SCALAR = re.compile(r"[^,\]\}\n#]+")

    def _scan(self) -> None:
        t = self.text
        arrays: dict[PathT, int] = {}
        table: PathT = ()
        i = 0
        while True:
            i = self._skip(i, True)
            if i >= len(t):
                return
            if t.startswith("[[", i):
                keys, spans, j = self._keys(i + 2)
                end = t.index("]]", j) + 2
                index = arrays.get(keys, 0)
                arrays[keys] = index + 1
                self._table(keys, spans, (i, end))
                table = keys + (index,)
                self.values[table] = (i, end)
                self.keys[table] = spans[-1]
            elif t[i] == "[":
                keys, spans, j = self._keys(i + 1)
                end = t.index("]", j) + 1
                self._table(keys, spans, (i, end))
                table = keys
            else:
                end = self._keyval(i, table)
            i = self._line_end(end)

    def _table(self, keys: PathT, spans: list[tuple[int, int]], where: tuple[int, int]) -> None:
        for n in range(1, len(keys) + 1):
            self.keys.setdefault(keys[:n], spans[n - 1])
            self.values.setdefault(keys[:n], where)

    def _line_end(self, i: int) -> int:
        i = self._skip(i, False)
        if i < len(self.text) and self.text[i] == "#":
            while i < len(self.text) and self.text[i] != "\n":
                i += 1
        return i

    def _keys(self, i: int) -> tuple[PathT, list[tuple[int, int]], int]:
        t = self.text
        keys: list[str] = []
        spans: list[tuple[int, int]] = []
        while True:
            i = self._skip(i, False)
            if t[i] == '"':
                j = i + 1
                while t[j] != '"':
                    j += 2 if t[j] == "\\" else 1
                keys.append(json.loads(t[i: j + 1]))
                end = j + 1
            elif t[i] == "'":
                end = t.index("'", i + 1) + 1
                keys.append(t[i + 1: end - 1])
            else:
                m = self._BARE.match(t, i)
                if not m:
                    raise ValueError("no key")
                keys.append(m.group())
                end = m.end()
            spans.append((i, end))
            i = self._skip(end, False)
            if i < len(t) and t[i] == ".":
                i += 1
                continue
            return tuple(keys), spans, i

    def _keyval(self, i: int, table: PathT) -> int:
        keys, spans, j = self._keys(i)
        path = table + keys
        for n in range(1, len(keys) + 1):
            self.keys.setdefault(table + keys[:n], spans[n - 1])
        if path in self.values:
            self.duplicates.append((path, spans[-1]))
        if self.text[j] != "=":
            raise ValueError("no =")
        return self._value(self._skip(j + 1, False), path)

    def _value(self, i: int, path: PathT) -> int:
        t = self.text
        start = i
        if t.startswith('"""', i) or t.startswith("'''", i):
            q = t[i: i + 3]
            end = t.index(q, i + 3) + 3
            while end < len(t) and t[end] == q[0]:
                end += 1
        elif t[i] == '"':
            j = i + 1
            while t[j] != '"':
                j += 2 if t[j] == "\\" else 1
            end = j + 1
        elif t[i] == "'":
            end = t.index("'", i + 1) + 1
        elif t[i] == "[":
            j = self._skip(i + 1, True)
            n = 0
            while t[j] != "]":
                j = self._skip(self._value(j, path + (n,)), True)
                n += 1
                if t[j] == ",":
                    j = self._skip(j + 1, True)
            end = j + 1
        elif t[i] == "{":
            j = self._skip(i + 1, False)
            while t[j] != "}":
                j = self._skip(self._keyval(j, path), False)
                if t[j] == ",":
                    j = self._skip(j + 1, False)
            end = j + 1
        else:
            m = self._SCALAR.match(t, i)
            end = i + len(m.group().rstrip()) if m else i + 1
        self.values[path] = (start, end)
        return end


def offsets_span(file: str, text: str, start: int, end: int) -> Span:
    """The span of text[start:end], in 1-based lines and character columns."""
    line = text.count("\n", 0, start) + 1
    line_start = text.rfind("\n", 0, start) + 1
    col = start - line_start + 1
    line_end = text.find("\n", start)
    stop = min(end, line_end if line_end >= 0 else len(text))
    return Span.point(file, line, col, max(1, stop - start))


_PARTY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RATIO = re.compile(r"\s*\d{1,18}\s*/\s*\d{1,18}\s*")  # "1/15"
_AMOUNT = re.compile(r"-?\d{1,30}(\.\d{1,12})?")  # "5000000.00", after "$", "," and "_" go


class _Loader:
    def __init__(self, contract: ir.Contract, file: str, text: str, kind: str,
                 prefix: PathT = (), foreign: frozenset[str] = frozenset()):
        self.c = contract
        self.foreign = foreign  # facts and event types other loaded agreements read
        self.prefix = prefix
        self.file = file
        self.kind = kind
        self.diags: list[Diagnostic] = []
        self._positions: _Positions | None = None  # scanned when a diagnostic needs a place
        self.text = text
        self.fs = FactSet()
        self.fs.file = file
        self.event_paths: dict[str, PathT] = {}
        if text:
            self.fs._locate = self.event_span
        self.pending_refs: list[tuple[Any, str, Type, PathT, Any]] = []
        # the histories of facts with parameters, with their arguments as written, checked
        # against the events they are about once every event is loaded
        self.histories: list[tuple[ir.Fact, tuple[Any, ...], History, PathT]] = []
        # the events with fields that refer to events, or hold sets or tables (_finish_all)
        self.unfinished: list[tuple[EventValue, list[str]]] = []

    def event_span(self, ev_id: str) -> Span | None:
        path = self.event_paths.get(ev_id)
        return None if path is None else self.span(path)

    def span(self, path: PathT) -> Span:
        key = bool(path) and path[-1] is KEY
        if key:
            path = path[:-1]
        if not self.text:  # data from a mapping: no text to point into
            return Span.point(self.file, 1, 1)
        if self._positions is None:
            self._positions = (_JsonPositions(self.text) if self.kind == "json"
                               else _TomlPositions(self.text))
        found = self._positions.locate(self.prefix + path, key)
        if found is None:
            return Span.point(self.file, 1, 1)
        return offsets_span(self.file, self.text, *found)

    def err(self, code: str, msg: str, path: PathT, *hints: str,
            expected: str | None = None) -> None:
        self.diags.append(Diagnostic(code, msg, self.span(path), expected=expected,
                                     hints=tuple(hints)))

    @staticmethod
    def where(path: PathT) -> str:
        out = ""
        for p in path:
            if p is KEY:
                continue
            out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + p)
        return out

    # ── the whole file ──────────────────────────────────────────────────────

    def load(self, data: Mapping[str, Any]) -> FactSet:
        known = {"as_of", "parties", "facts", "events"}
        for key in data:
            if key not in known:
                guess = did_you_mean(key, known)
                self.err("E502", f"unknown top-level key '{key}'", (key, KEY),
                         *((f"did you mean '{guess}'?",) if guess else ()),
                         expected="as_of, parties, facts, events")
        if "as_of" in data:
            self.fs.as_of = self.date(data["as_of"], ("as_of",), "as_of")
        self.load_parties(data.get("parties", {}))
        events = data.get("events", {})
        if isinstance(events, Mapping):
            self.load_events(events)
        else:
            self.err("E503", "'events' must be a table of event types", ("events",))
        facts = data.get("facts", {})
        if isinstance(facts, Mapping):
            self.load_facts(facts)
        else:
            self.err("E503", "'facts' must be a table", ("facts",))
        self.resolve_refs()
        self.check_histories()
        if self.diags:
            raise FactErrors(sorted(self.diags, key=lambda d: (d.span.line, d.span.col)
                                    if d.span else (0, 0)))
        return self.fs

    def load_parties(self, parties: Any) -> None:
        if not isinstance(parties, Mapping):
            self.err("E503", "'parties' must be a table: NAME = \"Role\"", ("parties",))
            return
        for name, roles in parties.items():
            path: PathT = ("parties", name)
            if not _PARTY_NAME.fullmatch(name):
                self.err("E504", f"party name '{name}' is not a name", path + (KEY,),
                         "use letters, digits and _ (for example WCAS_Management)")
                continue
            if name in self.c.parties:
                self.err("E504", f"'{name}' is a party of the agreement itself; do not list it",
                         path + (KEY,))
                continue
            agreements: Any = None
            if isinstance(roles, str):
                roles = [roles]
            elif isinstance(roles, Mapping):
                for key in roles:
                    if key not in ("role", "roles", "agreements"):
                        guess = did_you_mean(str(key), ("role", "roles", "agreements"))
                        self.err("E502", f"unknown key '{key}' for party '{name}'",
                                 path + (key, KEY),
                                 *((f"did you mean '{guess}'?",) if guess else ()),
                                 expected="role, roles, agreements")
                agreements = roles.get("agreements")
                roles = roles.get("roles", roles.get("role", []))
                roles = [roles] if isinstance(roles, str) else roles
            if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                self.err("E503", f"the role of party '{name}' must be a role name or a list of "
                         "them", path, expected=" or ".join(sorted(self.c.roles)))
                continue
            for r in roles:
                if r not in self.c.roles:
                    guess = did_you_mean(r, self.c.roles)
                    self.err("E504", f"unknown role '{r}' for party '{name}'", path,
                             *((f"did you mean '{guess}'?",) if guess else ()),
                             expected=" or ".join(sorted(self.c.roles)))
            self.fs.parties[name] = set(roles)
            if agreements is None:
                if self.c.based_on and self.c.amendment is None:
                    self.fs.assumed_members.add(name)
            elif self.membership(name, agreements, path + ("agreements",)) is False:
                self.fs.outside.add(name)
        for role in self.c.roles:
            self.fs.roles[role] = tuple(sorted(p for p, rs in self.fs.parties.items()
                                               if role in rs and p not in self.fs.outside))
        for p in self.c.parties:
            self.fs.parties.setdefault(p, set())

    def membership(self, name: str, agreements: Any, path: PathT) -> bool | None:
        """Whether the party is a party of this agreement, by the agreements its entry lists
        (None when the list is not valid).  An amendment is part of the agreement it amends."""
        own = self.c.based_on[0] if self.c.amendment is not None else self.c.name
        known = [own, *self.c.based_on, *self.c.refers]
        if isinstance(agreements, str):
            agreements = [agreements]
        if not isinstance(agreements, list) or not all(isinstance(a, str) for a in agreements):
            self.err("E503", f"the agreements of party '{name}' must be a list of agreement "
                     "names", path, expected=", ".join(dict.fromkeys(known)))
            return None
        ok = True
        for i, a in enumerate(agreements):
            if a not in known:
                hint = (f"'{a}' is an amendment: list the agreement it amends, '{own}'"
                        if self.c.amendment is not None and a == self.c.name else None)
                guess = did_you_mean(a, known)
                self.err("E504", f"unknown agreement '{a}' for party '{name}'", path + (i,),
                         *((hint,) if hint else (f"did you mean '{guess}'?",) if guess else ()),
                         expected="the name an agreement's header gives: "
                                  + ", ".join(dict.fromkeys(known)))
                ok = False
        return (own in agreements) if ok else None

    def load_events(self, events: Mapping[str, Any]) -> None:
        seq = 0
        for etype, entries in events.items():
            if etype not in self.c.events:
                if etype in self.foreign:
                    continue
                guess = did_you_mean(etype, [*self.c.events, *self.foreign])
                self.err("E505", f"unknown event type '{etype}'", ("events", etype, KEY),
                         *((f"did you mean '{guess}'?",) if guess else ()))
                continue
            decl = self.c.events[etype]
            if not isinstance(entries, list):
                self.err("E503", f"events.{etype} must be a list of events", ("events", etype),
                         f"in TOML write each as [[events.{etype}]]")
                continue
            declared = dict(decl.fields)
            kinds = [(fname, ftype, ftype.kind) for fname, ftype in decl.fields]
            # the fields whose values are completed once every event is loaded (_finish_all)
            later = [f for f, t in decl.fields if _unfinished(t)]
            out = []
            for n, entry in enumerate(entries):
                path: PathT = ("events", etype, n)
                seq += 1
                if seq > MAX_EVENTS:  # (data from a mapping: a file's are counted before)
                    self.diags.append(_events_limit(self.file, self.span(path)))
                    return
                if not isinstance(entry, Mapping):
                    self.err("E503", "an event must be a table of fields", path)
                    continue
                ev_id = entry["id"] if "id" in entry else f"{etype}#{n + 1}"
                if not isinstance(ev_id, str) or not ev_id:
                    self.err("E503", "an event id must be a text", path + ("id",))
                    ev_id = f"{etype}#{n + 1}"
                if "date" not in entry:
                    near = did_you_mean("date", [k for k in entry if k not in declared])
                    self.err("E506", f"event {ev_id} has no date",
                             path + ((near, KEY) if near else ()),
                             f"did you mean 'date' instead of '{near}'?" if near else
                             "every event needs: date = YYYY-MM-DD")
                    continue
                raw = entry["date"]
                date = raw if type(raw) is datetime.date else self.date(
                    raw, path + ("date",), f"the date of {ev_id}")
                fields: dict[str, Any] = {}
                misspelled: set[str] = set()
                for key in entry:
                    if key not in declared and key not in ("id", "date"):
                        guess = did_you_mean(key, [*declared, "id", "date"])
                        if guess is not None and guess not in entry:
                            misspelled.add(guess)
                        self.err("E502", f"event {etype} has no field '{key}'",
                                 path + (key, KEY),
                                 *((f"did you mean '{guess}'?",) if guess else ()),
                                 expected="one of " + ", ".join([*declared, "id", "date"]))
                for fname, ftype, kind in kinds:
                    if fname not in entry:
                        if ftype.optional:
                            fields[fname] = None
                        elif fname not in misspelled:  # reported with the misspelled key
                            self.err("E506", f"event {ev_id} ({etype}) has no '{fname}'",
                                     path, f"add {fname} = ... ({ftype})")
                        continue
                    raw = entry[fname]
                    fields[fname] = raw if _kept_as_is(raw, kind) else self.value(
                        raw, ftype, path + (fname,), f"field '{fname}' of {ev_id}")
                if date is None:
                    continue
                ev = EventValue(etype, ev_id, date, fields, seq)
                if ev_id in self.fs.events_by_id:
                    self.err("E508", f"two events have the id '{ev_id}'", path + ("id",),
                             "give each event its own id")
                    continue
                self.fs.events_by_id[ev_id] = ev
                self.event_paths[ev_id] = path
                out.append(ev)
                if later:
                    self.unfinished.append((ev, later))
            out.sort()
            self.fs.events[etype] = out

    def load_facts(self, facts: Mapping[str, Any]) -> None:
        for name, raw in facts.items():
            path: PathT = ("facts", name)
            if name not in self.c.facts:
                if name in self.foreign:
                    continue
                # several agreements read the file: the name may be meant for another of them
                guess = did_you_mean(name, [*self.c.facts, *self.foreign])
                self.err("E502", f"unknown fact '{name}'", path + (KEY,),
                         *((f"did you mean '{guess}'?",) if guess else ()),
                         "the contract declares the facts it reads with `fact`")
                continue
            fact = self.c.facts[name]
            if not fact.params:
                self.fs.values[name] = self.fact_value(raw, fact, (), path, f"fact '{name}'")
                continue
            table: dict[tuple[Any, ...], Any] = {}
            self.param_fact(fact, raw, 0, (), path, table)
            self.fs.values[name] = table

    def param_fact(self, fact: ir.Fact, raw: Any, depth: int, args: tuple[Any, ...],
                   path: PathT, table: dict[tuple[Any, ...], Any]) -> None:
        pname, ptype = fact.params[depth]
        if not isinstance(raw, Mapping):
            self.err("E503", f"fact '{fact.name}' is keyed by {pname} ({ptype}); give a table "
                     f"such as {{ NAME = value }}", path)
            return
        for key, sub in raw.items():
            kpath = path + (key,)
            k = self.key(key, ptype, kpath + (KEY,), f"a key of fact '{fact.name}'")
            if k is _BAD:
                continue
            if depth + 1 < len(fact.params):
                self.param_fact(fact, sub, depth + 1, args + (k,), kpath, table)
            else:
                table[args + (k,)] = self.fact_value(sub, fact, args + (k,), kpath,
                                                     f"fact '{fact.name}' for {key}")

    # ── histories: a fact's values from dates ───────────────────────────────

    def fact_value(self, raw: Any, fact: ir.Fact, args: tuple[Any, ...], path: PathT,
                   what: str) -> Any:
        """A fact's value, or its History when the fact file dates its values."""
        if _is_history(raw):
            h = self.history(raw, fact, path, what)
            if h is not _BAD and fact.params:
                self.histories.append((fact, args, h, path))
            return h
        if fact.over_time:
            self.err("E511", f"{what} changes over time (declared `over time`): give its "
                     "values from dates", path,
                     f"write a list of dated values: [{{ from = YYYY-MM-DD, value = "
                     f"{_example(fact.type)} }}, ...]",
                     expected="a history: a list of { from = DATE, value = ... }")
            return _BAD
        return self.value(raw, fact.type, path, what)

    def history(self, raw: list[Any], fact: ir.Fact, path: PathT, what: str) -> Any:
        """Each value with the day it holds from (and, optionally, the last day it holds),
        in date order, none overlapping the one before."""
        starts: list[datetime.date] = []
        ends: list[datetime.date | None] = []
        values: list[Any] = []
        where: list[str] = []
        bad = False
        for n, entry in enumerate(raw):
            epath = path + (n,)
            if not isinstance(entry, Mapping):
                self.err("E511", f"{what}: each value of a history is a table "
                         "{ from = DATE, value = ... }", epath)
                bad = True
                continue
            for key in entry:
                if key not in _HISTORY_KEYS:
                    guess = did_you_mean(key, _HISTORY_KEYS)
                    self.err("E502", f"a dated value of {what} has no key '{key}'",
                             epath + (key, KEY), *((f"did you mean '{guess}'?",) if guess else ()),
                             expected="from, through, value")
                    bad = True
            for key in ("from", "value"):
                if key not in entry:
                    self.err("E511", f"a dated value of {what} has no '{key}'", epath,
                             "write { from = YYYY-MM-DD, value = ... }: the day the value "
                             "holds from, and the value" if key == "from" else
                             f"add value = {_example(fact.type)}")
                    bad = True
            if "from" not in entry or "value" not in entry:
                continue
            start = self.date(entry["from"], epath + ("from",), f"the 'from' of {what}")
            end = self.date(entry["through"], epath + ("through",),
                            f"the 'through' of {what}") if "through" in entry else None
            v = self.value(entry["value"], fact.type, epath + ("value",), what)
            if start is None or ("through" in entry and end is None) or v is _BAD:
                bad = True
                continue
            if end is not None and end < start:
                self.err("E511", f"{what}: the value from {start} ends on {end}, before it "
                         "begins", epath + ("through",),
                         "'through' is the last day the value holds, on or after 'from'")
                bad = True
                continue
            if starts:
                prev, prev_end = starts[-1], ends[-1]
                if start <= prev:
                    self.err("E511", f"{what}: the value from {start} is listed after the "
                             f"value from {prev}", epath + ("from",),
                             "list the values of a history in date order, earliest first, "
                             "each from a later day")
                    bad = True
                    continue
                if prev_end is not None and start <= prev_end:
                    self.err("E511", f"{what}: the value from {start} overlaps the value "
                             f"before it, which holds through {prev_end}", epath + ("from",),
                             f"begin it after {prev_end}, or end the value before it earlier")
                    bad = True
                    continue
            sp = self.span(epath)
            starts.append(start)
            ends.append(end)
            values.append(v)
            where.append(f"{sp.file}:{sp.line}")
        if not raw:
            self.err("E511", f"{what}: a history needs at least one dated value", path,
                     "write [{ from = YYYY-MM-DD, value = ... }]")
            return _BAD
        return _BAD if bad else History(starts, ends, values, where)

    def check_histories(self) -> None:
        """A value dated before an event the fact is about: the fact cannot hold yet."""
        for fact, args, h, path in self.histories:
            for (pname, ptype), a in zip(fact.params, args, strict=True):
                if ptype.kind != "event":
                    continue
                ev = self.fs.events_by_id.get(a)
                if ev is None or not h.starts or h.starts[0] >= ev.date:
                    continue
                self.err("E512", f"fact '{fact.name}' for {', '.join(map(str, args))}: a value "
                         f"from {h.starts[0]} is dated before {ev.type} {ev.id} of "
                         f"{ev.date} ({pname}), which it is about", path + (0, "from"),
                         f"date it on or after {ev.date}: the fact cannot hold before its event")

    def key(self, key: str, t: Type, path: PathT, what: str) -> Any:
        if t.kind == "event":
            self.pending_refs.append((None, key, t, path, what))
            return key  # resolved to the event in resolve_refs
        v = self.value(key, t, path, what)
        return _BAD if v is _BAD else v

    def resolve_refs(self) -> None:
        for holder, key, t, path, what in self.pending_refs:
            ev = self.fs.events_by_id.get(key)
            if ev is None:
                guess = did_you_mean(key, self.fs.events_by_id)
                self.err("E509", f"{what}: no event has the id '{key}'", path,
                         *((f"did you mean '{guess}'?",) if guess else ()))
                continue
            if t.names and ev.type not in t.names:
                self.err("E503", f"{what}: '{key}' is a {ev.type}, but {t} is expected", path)
                continue
            if holder is not None:
                holder[0][holder[1]] = ev
        # parameterised facts keyed by events: re-key by the event itself
        for name in list(self.fs.values):
            fact = self.c.facts[name]
            if any(pt.kind == "event" for _, pt in fact.params):
                table = self.fs.values[name]
                self.fs.values[name] = {
                    tuple(self.fs.events_by_id.get(a, a) if pt.kind == "event" else a
                          for a, (_, pt) in zip(args, fact.params, strict=True)): v
                    for args, v in table.items()}

    # ── values ──────────────────────────────────────────────────────────────

    def date(self, raw: Any, path: PathT, what: str) -> datetime.date | None:
        if isinstance(raw, datetime.datetime):
            self.err("E507", f"{what} has a time of day; give a date only", path,
                     expected="a date (YYYY-MM-DD)")
            return None
        if isinstance(raw, datetime.date):
            return raw
        if isinstance(raw, str):
            if _ISO_DATE.fullmatch(raw):
                try:
                    return datetime.date.fromisoformat(raw)
                except ValueError:
                    pass
            self.err("E507", f"{what} is {_shown(raw)}, which is not a date: "
                     f"{date_problem(raw)}", path, expected="a date (YYYY-MM-DD)")
            return None
        self.err("E507", f"{what} is {_shown(raw)}, which is not a date", path,
                 expected="a date (YYYY-MM-DD)")
        return None

    def bad(self, raw: Any, t: Type, path: PathT, what: str, hint: str | None = None) -> Any:
        self.err("E503", f"{what} should be {_describe(t)}, not {_shown(raw)}", path,
                 *((hint,) if hint else ()), expected=str(t))
        return _BAD

    def value(self, raw: Any, t: Type, path: PathT, what: str) -> Any:
        k = t.kind
        if k == "opt":
            # TOML has no null: the word "none" gives an absent value (not for text facts)
            if raw is None or (raw == "none" and t.inner.kind != "text"):
                return None
            return self.value(raw, t.inner, path, what)
        if raw is None:
            return self.bad(raw, t, path, what)
        if k == "bool":
            return raw if isinstance(raw, bool) else self.bad(raw, t, path, what,
                                                              "write true or false")
        if k in ("int", "shares"):
            if isinstance(raw, bool) or not isinstance(raw, int):
                hint = "shares are whole numbers" if isinstance(raw, Decimal) else None
                return self.bad(raw, t, path, what, hint)
            if k == "shares" and raw < 0:
                return self.bad(raw, t, path, what, "a number of shares cannot be negative")
            if abs(raw) > MAX_SHARES:
                return self.bad(raw, t, path, what, f"numbers are limited to {MAX_SHARES:,}")
            return raw
        if k == "money":
            return self.money(raw, t, path, what)
        if k == "ratio":
            if isinstance(raw, str) and _RATIO.fullmatch(raw):
                num, den = (int(x) for x in raw.split("/"))
                if den == 0:
                    return self.bad(raw, t, path, what, "a ratio cannot divide by zero")
                return Fraction(num, den)  # "1/15": exact, where a decimal would not be
            if isinstance(raw, str) and raw.endswith("%"):
                m = self.money(raw[:-1], t, path, what)
                return m if m is _BAD else Fraction(m) / 100
            m = self.money(raw, t, path, what)
            return m if m is _BAD else Fraction(m)
        if k == "date":
            d = self.date(raw, path, what)
            return _BAD if d is None else d
        if k == "text":
            return raw if isinstance(raw, str) else self.bad(raw, t, path, what)
        if k == "enum":
            members = [m for m, _ in self.c.enums[t.name or ""]]
            if isinstance(raw, str) and raw in members:
                return raw
            guess = did_you_mean(str(raw), members)
            self.err("E503", f"{what} should be one of {', '.join(members)}, "
                     f"not {_shown(raw)}", path,
                     *((f"did you mean '{guess}'?",) if guess else ()), expected=str(t))
            return _BAD
        if k == "party":
            if not isinstance(raw, str):
                return self.bad(raw, t, path, what)
            if raw not in self.fs.parties:
                guess = did_you_mean(raw, self.fs.parties)
                self.err("E504", f"{what}: unknown party '{raw}'", path,
                         *((f"did you mean '{guess}'?",) if guess else ()),
                         "list every party under [parties] with its role")
                return _BAD
            if t.name and t.name not in self.fs.parties[raw]:
                self.err("E504", f"{what}: '{raw}' is not an {t.name}", path,
                         f"give it the role under [parties]: {raw} = \"{t.name}\"")
                return _BAD
            return raw
        if k == "event":
            if not isinstance(raw, str):
                return self.bad(raw, t, path, what, "refer to an event by its id")
            holder: list[Any] = [None]
            self.pending_refs.append(((holder, 0), raw, t, path, what))
            return _Ref(holder)
        if k == "set":
            if not isinstance(raw, list):
                return self.bad(raw, t, path, what, "write a list: [a, b]")
            items = [self.value(x, t.elem, path + (i,), what) for i, x in enumerate(raw)]
            return _SetRef(items)
        if k == "map":
            if not isinstance(raw, Mapping):
                return self.bad(raw, t, path, what, "write a table: { KEY = value }")
            out = {}
            for key, x in raw.items():
                kv = self.key(key, t.args[0], path + (key, KEY), what)
                if kv is _BAD:
                    continue
                out[kv] = self.value(x, t.args[1], path + (key,), what)
            return out
        return self.bad(raw, t, path, what)  # pragma: no cover

    def money(self, raw: Any, t: Type, path: PathT, what: str) -> Any:
        if isinstance(raw, bool):
            return self.bad(raw, t, path, what)
        if isinstance(raw, int):
            return Decimal(raw)
        if isinstance(raw, Decimal):
            if not raw.is_finite():
                return self.bad(raw, t, path, what)
            return raw
        if isinstance(raw, str):
            text = raw.strip().replace(",", "").replace("_", "")
            text = text[1:] if text.startswith("$") else text
            if _AMOUNT.fullmatch(text):
                try:
                    return Decimal(text)
                except InvalidOperation:  # pragma: no cover
                    pass
        return self.bad(raw, t, path, what, 'write an amount such as 5000000 or "$5,000,000.00"')


class _Ref:
    """An event reference, filled in once every event is loaded."""

    __slots__ = ("holder",)

    def __init__(self, holder: list[Any]):
        self.holder = holder


class _SetRef:
    __slots__ = ("items",)

    def __init__(self, items: list[Any]):
        self.items = items


class _Bad:
    def __repr__(self) -> str:
        return "<bad>"


_BAD: Any = _Bad()


def _describe(t: Type) -> str:
    """What a value of type `t` looks like in a fact file."""
    k = t.kind
    if k == "opt":
        return _describe(t.inner)
    simple = {
        "bool": "true or false", "int": "a whole number", "shares": "a whole number of shares",
        "money": "an amount of money", "ratio": 'a ratio such as 0.5 or "50%"',
        "date": "a date (YYYY-MM-DD)", "text": "a quoted text", "set": "a list",
        "map": "a table",
    }
    if k in simple:
        return simple[k]
    if k == "party":
        return f"the name of {_an(t.name)}" if t.name else "the name of a party"
    if k == "event":
        return f"the id of {_an(str(t))}" if t.names else "the id of an event"
    return _an(str(t))


def _an(s: str) -> str:
    return ("an " if s[:1].lower() in "aeiou" else "a ") + s


def _shown(raw: Any) -> str:
    """A value as the fact file writes it."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return json.dumps(raw, ensure_ascii=False)
    if isinstance(raw, (int, Decimal)):
        return str(raw)
    if isinstance(raw, (datetime.date, datetime.time)):
        return raw.isoformat()
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, Mapping):
        return "a table"
    if raw is None:
        return "null"
    return repr(raw)


def _is_history(raw: Any) -> bool:
    """A list of tables with a `from` key: the values of a fact from dates."""
    return isinstance(raw, list) and bool(raw) and all(isinstance(x, Mapping) for x in raw) \
        and any("from" in x for x in raw)


_HISTORY_KEYS = ("from", "through", "value")


def _example(t: Type) -> str:
    """A value of type `t` as a fact file writes it, for hints."""
    k = t.inner.kind
    return {"bool": "true", "int": "1", "shares": "1_000_000", "money": '"$5,000,000"',
            "ratio": '"50%"', "date": "2001-02-20", "text": '"..."', "set": "[...]",
            "map": "{ ... }"}.get(k, '"..."')


def _finish(v: Any) -> Any:
    if isinstance(v, History):
        v.values = [_finish(x) for x in v.values]
        return v
    if isinstance(v, _Ref):
        return v.holder[0]
    if isinstance(v, _SetRef):
        return frozenset(_finish(x) for x in v.items)
    if isinstance(v, dict):
        return {_finish(k): _finish(x) for k, x in v.items()}
    return v


def _kept_as_is(raw: Any, kind: str) -> bool:
    """Is `raw` a valid value of a type of this kind that `_Loader.value` would keep as it is?
    (The common values of event fields, checked without the path and the description that
    `value` is given for its messages; False sends a value to `value`, which decides.)"""
    t = type(raw)
    if kind == "shares":
        return t is int and 0 <= raw <= MAX_SHARES
    if kind == "text":
        return t is str
    if kind == "bool":
        return t is bool
    if kind == "date":
        return t is datetime.date
    if kind == "int":
        return t is int and -MAX_SHARES <= raw <= MAX_SHARES
    return False


def _unfinished(t: Type) -> bool:
    """Is a value of type `t` loaded as something `_finish` completes (an event reference, a
    set, a table, or an optional one of them)?"""
    return t.kind in ("event", "set", "map") or (t.kind == "opt" and _unfinished(t.inner))


def _finish_all(fs: FactSet, unfinished: list[tuple[EventValue, list[str]]]) -> None:
    """Completes what was loaded before every event was: the fields of `unfinished` events
    (those with fields of the types `_unfinished` names), then the facts."""
    for ev, names in unfinished:
        fields = ev.fields
        for k in names:
            fields[k] = _finish(fields[k])
    fs.values = {k: _finish(v) for k, v in fs.values.items()}
    for name, v in fs.values.items():
        found = [v] if isinstance(v, History) else (
            [x for x in v.values() if isinstance(x, History)] if isinstance(v, dict) else [])
        if found:
            fs.changes[name] = sorted({d for h in found for d in h.changes()})


def parse_facts(contract: ir.Contract, data: Mapping[str, Any], file: str = "<facts>",
                text: str = "", kind: str = "toml", prefix: PathT = (),
                foreign: frozenset[str] = frozenset()) -> FactSet:
    """Validate already-decoded fact data (a TOML/JSON-shaped mapping) against the contract.
    `text` and `prefix` let errors point at the place in the file the data came from; facts
    and event types named in `foreign` (read by other agreements evaluated with the same
    facts) are passed over."""
    if not isinstance(data, Mapping):
        raise FactErrors(Diagnostic("E503", "the facts must be a table", Span.point(file, 1, 1)))
    if not text:  # a mapping from a Python caller, not decoded from a file: check its shape
        problem = shape_problem(data)
        if problem is not None:
            path, msg, hint = problem
            where = _Loader.where(path)
            where = where if len(where) <= 60 else where[:59] + "…"
            raise FactErrors(Diagnostic("E503", f"{msg}" + (f" (at {where})" if where else ""),
                                        Span.point(file, 1, 1), hints=(hint,)))
    if count_events(data) > MAX_EVENTS:  # before any event is built
        loader = _Loader(contract, file, text, kind, prefix, foreign)
        raise FactErrors(_events_limit(file, loader.span(("events",))))
    loader = _Loader(contract, file, text, kind, prefix, foreign)
    fs = loader.load(data)
    _finish_all(fs, loader.unfinished)
    return fs


def nested_deeper(data: Any, limit: int) -> bool:
    """Are decoded tables and lists nested more than `limit` deep? (The quick test for decoded
    text, whose keys are texts: containers only are visited, without recursion.)"""
    stack: list[tuple[Any, int]] = [(data, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        v, depth = pop()
        if depth > limit:
            return True
        children = v.values() if isinstance(v, dict) else v
        depth += 1
        for x in children:
            if isinstance(x, dict | list):
                push((x, depth))
    return False


#: Values that are never tables or lists (the quick walk of `_plain_shape` does not visit them)
_LEAVES = frozenset({str, int, bool, float, Decimal, Fraction, datetime.date,
                     datetime.datetime, type(None)})


def _plain_shape(data: Any, limit: int) -> bool:
    """Are all keys of `data`'s tables texts, and nothing nested more than `limit` deep?  The
    quick walk of `shape_problem`: no paths made, leaves not visited."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        v, depth = pop()
        depth += 1  # the depth of its entries
        if type(v) is dict or isinstance(v, Mapping):
            if v and depth > limit:
                return False
            for k, x in v.items():
                if type(k) is not str and not isinstance(k, str):
                    return False
                if type(x) not in _LEAVES:
                    push((x, depth))
        elif isinstance(v, list | tuple):
            if v and depth > limit:
                return False
            for x in v:
                if type(x) not in _LEAVES:
                    push((x, depth))
    return True


def shape_problem(data: Any, limit: int = MAX_NESTING
                  ) -> tuple[PathT, str, str] | None:
    """What makes decoded data unlike any TOML or JSON text: a key that is not text, or tables
    and lists nested more than `limit` deep. (path, problem, fix), or None. Walks without
    recursion, so that no depth of nesting can exhaust the stack; the path of a problem is
    looked for only when the quick walk has found one."""
    return None if _plain_shape(data, limit) else _shape_walk(data, limit)


def _shape_walk(data: Any, limit: int) -> tuple[PathT, str, str] | None:
    """`shape_problem`'s walk that keeps the path to each value."""
    stack: list[tuple[PathT, Any]] = [((), data)]
    while stack:
        path, v = stack.pop()
        if len(path) > limit:
            return (path[:limit], f"tables and lists are nested more than {limit} deep",
                    "flatten the data: a fact file's values need only a few levels")
        if isinstance(v, Mapping):
            for k, x in v.items():
                if not isinstance(k, str):
                    return (path, f"the key {k!r} is not a text",
                            "keys are names, written as texts (as in a TOML or JSON file)")
                stack.append((path + (k,), x))
        elif isinstance(v, list | tuple):
            stack.extend((path + (i,), x) for i, x in enumerate(v))
    return None


def deep_offset(text: str, limit: int) -> int | None:
    """The offset of the first bracket that opens a level past `limit` (strings and comments
    skipped), found without recursion; None if there is none."""
    depth = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            q = text[i: i + 3] if text.startswith(c * 3, i) else c
            j = i + len(q)
            while j < n and not text.startswith(q, j):
                if text[j] == "\n" and len(q) == 1:
                    break
                j += 2 if text[j] == "\\" and c == '"' else 1
            i = j + len(q)
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c in "[{":
            depth += 1
            if depth > limit:
                return i
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def load_facts(contract: ir.Contract, path: Path, display: str | None = None,
               foreign: frozenset[str] = frozenset()) -> FactSet:
    """Read a .toml or .json fact file and validate it against the contract."""
    name = display or str(path)
    from .files import read_utf8

    text = read_utf8(path, name, MAX_FACT_BYTES, "E510", "fact file", FactErrors)
    SOURCES.add(name, text)
    kind = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_fact_text(contract, text, name, kind, foreign)


_EVENT_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*events[ \t]*\.", re.M)


def too_many_events(name: str, text: str) -> Diagnostic | None:
    """E510 when a TOML text has more than MAX_EVENTS `[[events.TYPE]]` headers, at the first
    one too many: found by a scan of the text, before it is decoded."""
    for n, m in enumerate(_EVENT_HEADER.finditer(text), 1):
        if n > MAX_EVENTS:
            end = text.find("\n", m.start())
            return _events_limit(name, offsets_span(name, text, m.start(),
                                                    end if end >= 0 else len(text)))
    return None


def _events_limit(name: str, at: Span) -> Diagnostic:
    return Diagnostic("E510", f"more than {MAX_EVENTS:,} events", at,
                      hints=(f"a fact set holds at most {MAX_EVENTS:,} events: split it, or "
                             "leave out events older than the matters evaluated",))


def count_events(data: Any) -> int:
    """The number of events decoded data lists (before any is built)."""
    events = data.get("events") if isinstance(data, Mapping) else None
    if not isinstance(events, Mapping):
        return 0
    return sum(len(v) for v in events.values() if isinstance(v, list))


def parse_fact_text(contract: ir.Contract, text: str, name: str, kind: str,
                    foreign: frozenset[str] = frozenset()) -> FactSet:
    text = text.removeprefix("\ufeff")  # a byte order mark is not part of the first line
    SOURCES.add(name, text)
    if kind != "json":  # refused before the text is decoded (language.md §16)
        many = too_many_events(name, text)
        if many is not None:
            raise FactErrors(many)
    duplicates: list[str] = []
    try:
        if kind == "json":
            raw = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant,
                             object_pairs_hook=lambda pairs: _object(pairs, duplicates))
        else:
            raw = tomllib.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise FactErrors(Diagnostic(
                "E501", "the fact file is empty", Span.point(name, 1, 1),
                hints=('a JSON fact file is one object: { "as_of": "YYYY-MM-DD", '
                       '"parties": {...}, "facts": {...}, "events": {...} }',))) from None
        msg = exc.msg[:1].lower() + exc.msg[1:]
        before = text[: exc.pos].rstrip()
        hints: tuple[str, ...] = ()
        if before.endswith(",") and text[exc.pos: exc.pos + 1] in ("}", "]"):
            hints = (f"remove the comma before '{text[exc.pos]}': JSON allows no comma after "
                     "the last item",)
        raise FactErrors(Diagnostic("E501", f"this is not valid JSON: {msg}",
                                    Span.point(name, exc.lineno, exc.colno),
                                    hints=hints)) from None
    except tomllib.TOMLDecodeError as exc:
        raise FactErrors(_toml_error(str(exc), text, name)) from None
    except ValueError as exc:  # NaN or Infinity in JSON
        m = re.search(r"-?\b(NaN|Infinity)\b", text)
        span = offsets_span(name, text, m.start(), m.end()) if m else Span.point(name, 1, 1)
        raise FactErrors(Diagnostic("E501", f"this is not valid {kind.upper()}: {exc}", span,
                                    hints=("write a number, or leave the key out",))) from None
    except RecursionError:
        raise FactErrors(_too_deep(name, text)) from None
    if duplicates:
        positions = _JsonPositions(text)
        path, where = positions.duplicates[0] if positions.duplicates else ((), (0, 1))
        raise FactErrors(Diagnostic(
            "E501", f"the key '{path[-1] if path else duplicates[0]}' appears twice in one "
            "object", offsets_span(name, text, *where),
            hints=("give each key once; a second value would silently replace the first",)))
    if count_events(raw) > MAX_EVENTS:  # before any event is built or any place is found
        m = re.search(r'"events"' if kind == "json" else r"^[ \t]*\[?[ \t]*events\b", text, re.M)
        raise FactErrors(_events_limit(name, offsets_span(name, text, m.start(), m.end())
                                       if m else Span.point(name, 1, 1)))
    if text.count("[") + text.count("{") > MAX_NESTING and nested_deeper(raw, MAX_NESTING):
        raise FactErrors(_too_deep(name, text))
    if not isinstance(raw, dict):
        start = len(text) - len(text.lstrip())
        raise FactErrors(Diagnostic("E503", "a fact file must be a table (a JSON object) at the "
                                    f"top, not {_shown(raw)}",
                                    offsets_span(name, text, start, start + 1),
                                    hints=('write { "as_of": ..., "parties": {...}, '
                                           '"facts": {...}, "events": {...} }',)))
    return parse_facts(contract, raw, name, text, kind, foreign=foreign)


def _too_deep(name: str, text: str) -> Diagnostic:
    offset = deep_offset(text, MAX_NESTING)
    at = (offsets_span(name, text, offset, offset + 1) if offset is not None
          else Span.point(name, 1, 1))
    return Diagnostic("E501", f"the fact file is nested too deeply: tables and lists more than "
                      f"{MAX_NESTING} deep", at,
                      hints=("a fact file's values need only a few levels",))


def _object(pairs: list[tuple[str, Any]], duplicates: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            duplicates.append(key)
        out[key] = value
    return out


def _toml_error(message: str, text: str, name: str) -> Diagnostic:
    """A tomllib error as a diagnostic at its place, in plain words where we can do better."""
    lines = text.splitlines() or [""]
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
    else:  # "at end of document"
        line, col = len(lines), len(lines[-1]) + 1
    source = lines[line - 1] if line <= len(lines) else ""
    for d in re.finditer(r"\d{4}-\d{2}-\d{2}", source):
        if d.start() <= col - 1 <= d.end():
            try:
                datetime.date.fromisoformat(d.group())
            except ValueError:
                return Diagnostic("E507", f"{d.group()} is not a date: {date_problem(d.group())}",
                                  Span.point(name, line, d.start() + 1, 10),
                                  hints=("write a real calendar date as YYYY-MM-DD",))
    if msg.startswith(("Cannot overwrite a value", "Duplicate inline table key")):
        dups = [(p, w) for p, w in _TomlPositions(text).duplicates
                if text.count("\n", 0, w[0]) + 1 == line]
        if dups:
            path, where = dups[0]
            return Diagnostic("E501", f"'{path[-1]}' is given a value twice",
                              offsets_span(name, text, *where),
                              hints=("give each key once",))
    m2 = re.match(r"Cannot declare \((.*)\) twice", msg)
    if m2:
        keys = ".".join(k.strip().strip("'\"") for k in m2.group(1).split(",") if k.strip())
        return Diagnostic("E501", f"the table [{keys}] is declared twice",
                          Span.point(name, line, 1, len(source.rstrip())),
                          hints=("put all its keys under one heading; for a list of tables "
                                 f"write [[{keys}]]",))
    msg = msg[:1].lower() + msg[1:]
    return Diagnostic("E501", f"this is not valid TOML: {msg}", Span.point(name, line, col))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")

