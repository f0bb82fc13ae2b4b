"""Facts stage: a TOML or JSON fact file → a `FactSet` validated against the contract.

Every value is checked against the type the contract declares; every problem names the fact,
the expected type and its line and column in the file. Money and ratios are read as Decimal,
never float.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import ir
from .diagnostics import SOURCES, Diagnostic, FactErrors, Span, did_you_mean
from .types import Type
from .values import EventValue

MAX_FACT_BYTES = 10_000_000
MAX_EVENTS = 100_000
MAX_SHARES = 10**15

PathT = tuple[str | int, ...]


class FactSet:
    """The validated facts: parties and their roles, static facts, dated events."""

    def __init__(self) -> None:
        self.parties: dict[str, set[str]] = {}
        self.roles: dict[str, tuple[str, ...]] = {}
        self.values: dict[str, Any] = {}  # fact → value, or {args tuple: value}
        self.events: dict[str, list[EventValue]] = {}
        self.events_by_id: dict[str, EventValue] = {}
        self.as_of: datetime.date | None = None
        self.file = "<facts>"

    def party_names(self) -> list[str]:
        return sorted(self.parties)


# ── positions in the fact file ─────────────────────────────────────────────


class _JsonPositions:
    """Maps a key path to where its value starts in a JSON text."""

    def __init__(self, text: str):
        self.pos: dict[PathT, int] = {}
        self.text = text
        try:
            self._value(0, ())
        except (IndexError, ValueError):
            pass

    def _ws(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t\r\n":
            i += 1
        return i

    def _string_end(self, i: int) -> int:
        i += 1
        while self.text[i] != '"':
            i += 2 if self.text[i] == "\\" else 1
        return i + 1

    def _value(self, i: int, path: PathT) -> int:
        i = self._ws(i)
        self.pos[path] = i
        c = self.text[i]
        if c == "{":
            i = self._ws(i + 1)
            if self.text[i] == "}":
                return i + 1
            while True:
                i = self._ws(i)
                end = self._string_end(i)
                key = json.loads(self.text[i:end])
                self.pos[path + (key,)] = i
                i = self._ws(end)
                i = self._value(i + 1, path + (key,))
                i = self._ws(i)
                if self.text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if c == "[":
            i = self._ws(i + 1)
            if self.text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = self._value(i, path + (n,))
                i = self._ws(i)
                n += 1
                if self.text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if c == '"':
            return self._string_end(i)
        m = re.compile(r"[^,\]\}\s]+").match(self.text, i)
        return m.end() if m else i + 1

    def find(self, path: PathT) -> int | None:
        while path:
            if path in self.pos:
                return self.pos[path]
            path = path[:-1]
        return None


class _TomlPositions:
    """Finds where a key path is written in a TOML text (tables, arrays of tables, inline)."""

    HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.tables: list[tuple[tuple[str, ...], int, bool]] = []  # (path, line index, is array)
        for n, line in enumerate(self.lines):
            m = self.HEADER.match(line)
            if m:
                keys = tuple(k.strip().strip('"') for k in m.group(2).split("."))
                self.tables.append((keys, n, m.group(1) == "[["))

    def _region(self, start: int) -> range:
        nxt = [n for _, n, _ in self.tables if n > start]
        return range(start + 1, min(nxt) if nxt else len(self.lines))

    def find(self, path: PathT) -> tuple[int, int] | None:
        keys = [str(k) for k in path if not isinstance(k, int)]
        index = next((k for k in path if isinstance(k, int)), None)
        # the longest table header that is a prefix of the path
        best: tuple[int, int] | None = None  # (line, depth)
        region: range = range(0, len(self.lines))
        count: dict[tuple[str, ...], int] = {}
        for tpath, n, is_array in self.tables:
            count[tpath] = count.get(tpath, 0) + 1
            if tuple(keys[: len(tpath)]) != tpath:
                continue
            if is_array and index is not None and count[tpath] - 1 != index:
                continue
            if best is None or len(tpath) > best[1]:
                best = (n, len(tpath))
                region = self._region(n)
        depth = best[1] if best else 0
        if best is None:
            heads = [n for _, n, _ in self.tables]
            region = range(0, min(heads) if heads else len(self.lines))
        rest = keys[depth:]
        if not rest:
            return (best[0] + 1, 1) if best else None
        found: tuple[int, int] | None = None
        for n in region:
            line = self.lines[n]
            m = re.match(r"\s*(\"?)" + re.escape(rest[0]) + r"\1\s*=", line)
            if m:
                col = line.index(rest[0]) + 1
                found = (n + 1, col)
                for sub in rest[1:]:
                    mm = re.search(r"(?<![\w-])" + re.escape(sub) + r"\s*=", line)
                    if mm:
                        found = (n + 1, mm.start() + 1)
                break
        if found is None and best is not None:
            return (best[0] + 1, 1)
        return found


class _Loader:
    def __init__(self, contract: ir.Contract, file: str, text: str, kind: str,
                 prefix: PathT = ()):
        self.c = contract
        self.prefix = prefix
        self.file = file
        self.kind = kind
        self.diags: list[Diagnostic] = []
        self.locate = _JsonPositions(text) if kind == "json" else _TomlPositions(text)
        self.json_text = text
        self.fs = FactSet()
        self.fs.file = file
        self.pending_refs: list[tuple[Any, str, Type, PathT, Any]] = []

    def span(self, path: PathT) -> Span:
        path = self.prefix + path
        if isinstance(self.locate, _JsonPositions):
            pos = self.locate.find(path)
            if pos is None:
                return Span.point(self.file, 1, 1)
            line = self.json_text.count("\n", 0, pos) + 1
            col = pos - (self.json_text.rfind("\n", 0, pos) + 1) + 1
            return Span.point(self.file, line, col)
        found = self.locate.find(path)
        if found is None:
            return Span.point(self.file, 1, 1)
        return Span.point(self.file, found[0], found[1])

    def err(self, code: str, msg: str, path: PathT, *hints: str, expected: str | None = None) -> None:
        self.diags.append(Diagnostic(code, msg, self.span(path), expected=expected,
                                     hints=tuple(hints)))

    @staticmethod
    def where(path: PathT) -> str:
        out = ""
        for p in path:
            out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + p)
        return out

    # ── the whole file ──────────────────────────────────────────────────────

    def load(self, data: Mapping[str, Any]) -> FactSet:
        known = {"as_of", "parties", "facts", "events"}
        for key in data:
            if key not in known:
                guess = did_you_mean(key, known)
                self.err("E502", f"unknown top-level key '{key}'", (key,),
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
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                self.err("E504", f"party name '{name}' is not a name", path,
                         "use letters, digits and _ (for example WCAS_Management)")
                continue
            if name in self.c.parties:
                self.err("E504", f"'{name}' is a party of the agreement itself; do not list it",
                         path)
                continue
            if isinstance(roles, str):
                roles = [roles]
            elif isinstance(roles, Mapping):
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
        for role in self.c.roles:
            self.fs.roles[role] = tuple(sorted(p for p, rs in self.fs.parties.items()
                                               if role in rs))
        for p in self.c.parties:
            self.fs.parties.setdefault(p, set())

    def load_events(self, events: Mapping[str, Any]) -> None:
        seq = 0
        for etype, entries in events.items():
            if etype not in self.c.events:
                guess = did_you_mean(etype, self.c.events)
                self.err("E505", f"unknown event type '{etype}'", ("events", etype),
                         *((f"did you mean '{guess}'?",) if guess else ()))
                continue
            decl = self.c.events[etype]
            if not isinstance(entries, list):
                self.err("E503", f"events.{etype} must be a list of events", ("events", etype),
                         f"in TOML write each as [[events.{etype}]]")
                continue
            out = []
            for n, entry in enumerate(entries):
                path: PathT = ("events", etype, n)
                seq += 1
                if seq > MAX_EVENTS:
                    self.err("E510", f"more than {MAX_EVENTS:,} events", path)
                    return
                if not isinstance(entry, Mapping):
                    self.err("E503", f"an event must be a table of fields", path)
                    continue
                ev_id = entry.get("id", f"{etype}#{n + 1}")
                if not isinstance(ev_id, str) or not ev_id:
                    self.err("E503", "an event id must be a text", path + ("id",))
                    ev_id = f"{etype}#{n + 1}"
                if "date" not in entry:
                    self.err("E506", f"event {ev_id} has no date", path,
                             "every event needs: date = YYYY-MM-DD")
                    continue
                date = self.date(entry["date"], path + ("date",), f"the date of {ev_id}")
                fields: dict[str, Any] = {}
                declared = dict(decl.fields)
                for key in entry:
                    if key not in declared and key not in ("id", "date"):
                        guess = did_you_mean(key, [*declared, "id", "date"])
                        self.err("E502", f"event {etype} has no field '{key}'", path + (key,),
                                 *((f"did you mean '{guess}'?",) if guess else ()),
                                 expected="one of " + ", ".join([*declared, "id", "date"]))
                for fname, ftype in decl.fields:
                    if fname not in entry:
                        if ftype.optional:
                            fields[fname] = None
                        else:
                            self.err("E506", f"event {ev_id} ({etype}) has no '{fname}'",
                                     path, f"add {fname} = ... ({ftype})")
                        continue
                    fields[fname] = self.value(entry[fname], ftype, path + (fname,),
                                               f"field '{fname}' of {ev_id}")
                if date is None:
                    continue
                ev = EventValue(etype, ev_id, date, fields, seq)
                if ev_id in self.fs.events_by_id:
                    self.err("E508", f"two events have the id '{ev_id}'", path + ("id",),
                             "give each event its own id")
                    continue
                self.fs.events_by_id[ev_id] = ev
                out.append(ev)
            out.sort()
            self.fs.events[etype] = out
        for etype in self.c.events:
            self.fs.events.setdefault(etype, [])

    def load_facts(self, facts: Mapping[str, Any]) -> None:
        for name, raw in facts.items():
            path: PathT = ("facts", name)
            if name not in self.c.facts:
                guess = did_you_mean(name, self.c.facts)
                self.err("E502", f"unknown fact '{name}'", path,
                         *((f"did you mean '{guess}'?",) if guess else ()),
                         "the contract declares the facts it reads with `fact`")
                continue
            fact = self.c.facts[name]
            if not fact.params:
                self.fs.values[name] = self.value(raw, fact.type, path, f"fact '{name}'")
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
            k = self.key(key, ptype, kpath, f"a key of fact '{fact.name}'")
            if k is _BAD:
                continue
            if depth + 1 < len(fact.params):
                self.param_fact(fact, sub, depth + 1, args + (k,), kpath, table)
            else:
                table[args + (k,)] = self.value(sub, fact.type, kpath,
                                                f"fact '{fact.name}' for {key}")

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
        for name, fact in self.c.facts.items():
            if any(pt.kind == "event" for _, pt in fact.params) and name in self.fs.values:
                table = self.fs.values[name]
                self.fs.values[name] = {
                    tuple(self.fs.events_by_id.get(a, a) if pt.kind == "event" else a
                          for a, (_, pt) in zip(args, fact.params)): v
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
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError as exc:
                self.err("E507", f"{what} is not a date: {raw!r} ({exc})", path,
                         expected="a date (YYYY-MM-DD)")
                return None
        self.err("E507", f"{what} is not a date: {raw!r}", path, expected="a date (YYYY-MM-DD)")
        return None

    def bad(self, raw: Any, t: Type, path: PathT, what: str, hint: str | None = None) -> Any:
        shown = repr(raw) if not isinstance(raw, (dict, list)) else type(raw).__name__
        self.err("E503", f"{what} should be {_a(t)}, not {shown}", path,
                 *((hint,) if hint else ()), expected=str(t))
        return _BAD

    def value(self, raw: Any, t: Type, path: PathT, what: str) -> Any:  # noqa: C901
        k = t.kind
        if k == "opt":
            return None if raw is None else self.value(raw, t.inner, path, what)
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
            self.err("E503", f"{what} should be one of {', '.join(members)}, not {raw!r}", path,
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
                kv = self.key(key, t.args[0], path + (key,), what)
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
            if re.fullmatch(r"-?\d{1,30}(\.\d{1,12})?", text):
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


def _a(t: Type) -> str:
    s = str(t)
    return ("an " if s[:1] in "aeiou" else "a ") + s


def _finish(v: Any) -> Any:
    if isinstance(v, _Ref):
        return v.holder[0]
    if isinstance(v, _SetRef):
        return frozenset(_finish(x) for x in v.items)
    if isinstance(v, dict):
        return {_finish(k): _finish(x) for k, x in v.items()}
    return v


def _finish_all(fs: FactSet) -> None:
    for events in fs.events.values():
        for ev in events:
            ev.fields = {k: _finish(v) for k, v in ev.fields.items()}
    fs.values = {k: _finish(v) for k, v in fs.values.items()}


def parse_facts(contract: ir.Contract, data: Mapping[str, Any], file: str = "<facts>",
                text: str = "", kind: str = "toml", prefix: PathT = ()) -> FactSet:
    """Validate already-decoded fact data (a TOML/JSON-shaped mapping) against the contract.
    `text` and `prefix` let errors point at the place in the file the data came from."""
    if not isinstance(data, Mapping):
        raise FactErrors(Diagnostic("E503", "the facts must be a table", Span.point(file, 1, 1)))
    loader = _Loader(contract, file, text, kind, prefix)
    fs = loader.load(data)
    _finish_all(fs)
    return fs


def load_facts(contract: ir.Contract, path: Path, display: str | None = None) -> FactSet:
    """Read a .toml or .json fact file and validate it against the contract."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FactErrors(Diagnostic("E510", f"cannot read {name}: {exc.strerror}")) from None
    if len(data) > MAX_FACT_BYTES:
        raise FactErrors(Diagnostic("E510", f"the fact file is {len(data):,} bytes; the limit "
                                    f"is {MAX_FACT_BYTES:,}", Span.point(name, 1, 1)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        SOURCES.add(name, data.decode("utf-8", errors="replace"))
        raise FactErrors(Diagnostic("E510", f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
                                    Span.point(name, line, 1),
                                    hints=("save the file as UTF-8",))) from None
    SOURCES.add(name, text)
    kind = "json" if path.suffix.lower() == ".json" else "toml"
    return parse_fact_text(contract, text, name, kind)


def parse_fact_text(contract: ir.Contract, text: str, name: str, kind: str) -> FactSet:
    SOURCES.add(name, text)
    try:
        if kind == "json":
            raw = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        else:
            raw = tomllib.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FactErrors(Diagnostic("E501", f"this is not valid JSON: {exc.msg}",
                                    Span.point(name, exc.lineno, exc.colno))) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        span = Span.point(name, int(m.group(1)), int(m.group(2))) if m else Span.point(name, 1, 1)
        raise FactErrors(Diagnostic("E501", f"this is not valid TOML: {msg}", span)) from None
    except ValueError as exc:
        raise FactErrors(Diagnostic("E501", f"this is not valid {kind.upper()}: {exc}",
                                    Span.point(name, 1, 1))) from None
    except RecursionError:
        raise FactErrors(Diagnostic("E501", "the fact file is nested too deeply",
                                    Span.point(name, 1, 1))) from None
    if not isinstance(raw, dict):
        raise FactErrors(Diagnostic("E503", "a fact file must be a table (a JSON object) at the "
                                    "top", Span.point(name, 1, 1)))
    return parse_facts(contract, raw, name, text, kind)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")

