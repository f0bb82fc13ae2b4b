"""`rrdsl serve`: the lawyer's workbench, a local web application over the public API.

The facts of a deal are stated in forms generated from the contract's own declarations
(parties and roles, facts with their types and histories, event types with their fields,
enumerations and descriptions); every answer is shown as of a chosen date with its citation
beside the agreement's paragraph, its derivation in words, a timeline (timeline.py) and what
changed against a baseline. Nothing here knows any agreement.

The facts being edited are a `Draft` of raw strings, kept per session (a random id in a
cookie) in memory: what a user types is never lost, valid or not. A draft is checked by
writing it as a TOML fact file (`draft_toml`, which records the line of every field) and
reading that with the engine, so a problem is the diagnostic `rrdsl eval` gives for the
downloaded file, shown beside the field whose line it points at.

Starlette (ASGI) serves it, uvicorn runs it, Jinja2 renders it (autoescaped). No JavaScript.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import threading
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .api import Contract, evaluate_family_text, load
from .browse import Browse, load_browse, section_sort_keys
from .checker import section_ancestors
from .diagnostics import Diagnostic, RrdslError, SourceRegistry, render_all
from .evaluator import STATUSES, NormResult, Outcome
from .facts import MAX_FACT_BYTES
from .report import explanation_text, membership_lines, norm_details, shown_part, term_text
from .runtime import Node
from .timeline import timeline_svg
from .types import Type
from .values import show
from .variants import answer_terms

Raw = Union[str, list[str], dict[str, "Raw"]]

FACTS_NAME = "facts.toml"  # the name of the downloaded fact file, used in its diagnostics
UPLOAD_LIMIT = MAX_FACT_BYTES + 65_536  # the fact file limit, and room for the form around it
MAX_SESSIONS = 200
TEMPLATES = Path(__file__).resolve().parent / "templates"


# ── the draft: what the user typed ─────────────────────────────────────────────


@dataclass
class PartyRow:
    name: str = ""
    roles: list[str] = field(default_factory=list)
    agreements: str = ""  # comma-separated agreement names; empty: not stated


@dataclass
class FactRow:
    keys: list[str]
    value: Raw = ""
    start: str = ""  # `from` of a dated value
    through: str = ""


@dataclass
class EventRow:
    type: str
    id: str = ""
    date: str = ""
    fields: dict[str, Raw] = field(default_factory=dict)


@dataclass
class Draft:
    as_of: str = ""
    parties: list[PartyRow] = field(default_factory=list)
    facts: dict[str, list[FactRow]] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)


# ── the declarations of the agreements served ─────────────────────────────────


class Workbench:
    """The agreements served, their declarations merged (the first declaration of a name wins),
    and the sessions."""

    def __init__(self, contracts: Sequence[Contract], facts_file: Path | None = None):
        self.contracts = list(contracts)
        self.facts_file = facts_file
        self.browse: dict[str, Browse | None] = {}
        for c in self.contracts:
            try:
                self.browse[c.name] = load_browse(c.path)
            except RrdslError:  # pragma: no cover - it was just loaded
                self.browse[c.name] = None
        irs = [c.ir for c in self.contracts]
        for c in self.contracts:
            if c.base is not None:
                irs.append(c.base.ir)
        self.parties: dict[str, str | None] = {}
        self.roles: dict[str, str | None] = {}
        self.enums: dict[str, tuple[tuple[str, str | None], ...]] = {}
        self.facts: dict[str, Any] = {}
        self.events: dict[str, Any] = {}
        self.definitions: dict[str, str | None] = {}
        for x in irs:
            for k, v in x.parties.items():
                self.parties.setdefault(k, v)
            for k, r in x.roles.items():
                self.roles.setdefault(k, r)
            for k, e in x.enums.items():
                self.enums.setdefault(k, e)
            for k, f in x.facts.items():
                self.facts.setdefault(k, f)
            for k, ev in x.events.items():
                self.events.setdefault(k, ev)
            for k, d in x.definitions.items():
                self.definitions.setdefault(k, d.title)
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()  # sessions, and evaluation (one at a time)

    def session(self, sid: str | None) -> tuple[str, Session]:
        with self.lock:
            if sid and sid in self.sessions:
                return sid, self.sessions[sid]
            while len(self.sessions) >= MAX_SESSIONS:
                self.sessions.pop(next(iter(self.sessions)))
            sid = secrets.token_urlsafe(18)
            s = Session()
            self.sessions[sid] = s
        if self.facts_file is not None:
            s.load_path(self, self.facts_file)
        return sid, s


@dataclass
class Change:
    agreement: str
    instance: str
    old: str
    new: str


@dataclass
class Session:
    draft: Draft = field(default_factory=Draft)
    messages: list[str] = field(default_factory=list)  # general notes (not about a field)
    load_problems: str = ""  # the diagnostics of the file last loaded
    baseline: dict[tuple[str, str], str] | None = None
    baseline_note: str = ""
    last: dict[tuple[str, str], str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def load_path(self, wb: Workbench, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.messages.append(f"cannot read {path}: {exc.strerror}")
            return
        self.load_bytes(wb, data, str(path), "facts")

    def load_bytes(self, wb: Workbench, data: bytes, name: str, kind: str) -> None:
        """Replace the draft with a fact file's facts (or a scenario's `given`)."""
        self.messages.clear()
        self.load_problems = ""
        if len(data) > MAX_FACT_BYTES:
            self.messages.append(f"{name} is {len(data):,} bytes; a fact file may have at most "
                                 f"{MAX_FACT_BYTES:,} (nothing was loaded)")
            return
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            self.messages.append(f"{name} is not UTF-8 text (nothing was loaded); save it as "
                                 "UTF-8")
            return
        if kind == "scenario":
            problem, facts_text = scenario_given(text, name)
            if problem:
                self.messages.append(problem)
                return
            text = facts_text
        draft, problems = draft_from_text(wb, text, name)
        self.load_problems = problems
        if draft is None:
            self.messages.append(f"{name} was not loaded: it is not a fact file the agreements "
                                 "can read (below); the facts you had are kept")
            return
        self.draft = draft
        self.baseline = None
        self.messages.append(f"loaded {name}")


def scenario_given(text: str, name: str) -> tuple[str | None, str]:
    """The `given` of a scenario as fact-file text (with the scenario's as_of)."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        return f"{name} is not valid TOML: {exc}", ""
    given = data.get("given")
    if not isinstance(given, dict):
        if "facts" in data:
            return (f"{name} names its facts in a separate file (facts = {data['facts']!r}): "
                    "load that fact file instead"), ""
        return f"{name} has no [given] facts: is it a scenario file?", ""
    if "as_of" in data and "as_of" not in given:
        given = {"as_of": data["as_of"], **given}
    return None, dump_mapping(given)


def dump_mapping(data: Mapping[str, Any]) -> str:
    """A decoded fact file as TOML again (only to feed it back through `draft_from_text`)."""
    out: list[str] = []
    if "as_of" in data:
        out.append(f"as_of = {_lit(data['as_of'])}")
    for table in ("parties", "facts"):
        if isinstance(data.get(table), dict):
            out.append(f"[{table}]")
            out += [f"{_key(k)} = {_lit(v)}" for k, v in data[table].items()]
    for typ, evs in (data.get("events") or {}).items() if isinstance(data.get("events"), dict) \
            else ():
        for ev in evs if isinstance(evs, list) else [evs]:
            out.append(f"[[events.{_key(typ)}]]")
            if isinstance(ev, dict):
                out += [f"{_key(k)} = {_lit(v)}" for k, v in ev.items()]
    for k in data:
        if k not in ("as_of", "parties", "facts", "events"):
            out.insert(0, f"{_key(k)} = {_lit(data[k])}")
    return "\n".join(out) + "\n"


def _lit(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_lit(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_lit(x)}" for k, x in v.items()) + " }"
    return _quote(str(v))


def _quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _quote(k)


def _raw(v: Any) -> Raw:
    """A decoded value as the text a form shows."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (datetime.date, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, list):
        return [str(_raw(x)) for x in v]
    if isinstance(v, dict):
        return {str(k): _raw(x) for k, x in v.items()}
    return str(v)


def _is_history(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(e, dict) and "from" in e for e in v)


def draft_from_text(wb: Workbench, text: str, name: str) -> tuple[Draft | None, str]:
    """A fact file's text as a draft, and the diagnostics the agreements give for it (rendered
    as the CLI renders them). None when the text is not TOML or not shaped like a fact file."""
    problems = ""
    sources = SourceRegistry()
    sources.add(name, text)
    with wb.lock:
        try:
            evaluate_family_text(wb.contracts, text, name, as_of=datetime.date(2000, 1, 1),
                                 values=False)
        except RrdslError as err:
            problems = render_all(err.diagnostics, sources)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError:
        return None, problems
    d = Draft()
    left_out: list[str] = []
    d.as_of = str(_raw(data.get("as_of", "")))
    parties = data.get("parties", {})
    for pname, spec in (parties.items() if isinstance(parties, dict) else ()):
        row = PartyRow(pname)
        if isinstance(spec, str):
            row.roles = [spec]
        elif isinstance(spec, list):
            row.roles = [str(x) for x in spec]
        elif isinstance(spec, dict):
            roles = spec.get("roles", spec.get("role", []))
            row.roles = [roles] if isinstance(roles, str) else [str(x) for x in roles or []]
            ags = spec.get("agreements")
            if isinstance(ags, list):
                row.agreements = ", ".join(str(x) for x in ags)
        d.parties.append(row)
    facts = data.get("facts", {})
    for fname, value in (facts.items() if isinstance(facts, dict) else ()):
        decl = wb.facts.get(fname)
        if decl is None:
            left_out.append(f"fact {fname}")
            continue
        rows: list[FactRow] = []

        def walk(v: Any, keys: list[str], depth: int) -> None:
            if depth and isinstance(v, dict):
                for k, sub in v.items():
                    walk(sub, [*keys, str(k)], depth - 1)
            elif _is_history(v):
                for e in v:
                    rows.append(FactRow(list(keys), _raw(e.get("value", "")),
                                        str(_raw(e.get("from", ""))),
                                        str(_raw(e.get("through", "")))))
            else:
                rows.append(FactRow(list(keys), _raw(v)))

        walk(value, [], len(decl.params))
        d.facts[fname] = rows
    events = data.get("events", {})
    for typ, evs in (events.items() if isinstance(events, dict) else ()):
        if typ not in wb.events:
            left_out.append(f"events of type {typ}")
            continue
        for n, ev in enumerate(evs if isinstance(evs, list) else [], start=1):
            if not isinstance(ev, dict):
                continue
            erow = EventRow(typ, str(ev.get("id", f"{typ}#{n}")), str(_raw(ev.get("date", ""))))
            for k, v in ev.items():
                if k not in ("id", "date"):
                    erow.fields[k] = _raw(v)
            d.events.append(erow)
    sort_events(d)
    if left_out:
        problems += ("\n" if problems else "") + (
            "not loaded into the forms (the agreements declare no such thing): "
            + ", ".join(left_out))
    return d, problems


def sort_events(d: Draft) -> None:
    """Events by date (stable; an event without a valid date keeps its place at the end)."""

    def key(e: EventRow) -> tuple[int, str]:
        try:
            return 0, datetime.date.fromisoformat(e.date).isoformat()
        except ValueError:
            return 1, ""

    d.events.sort(key=key)


# ── the draft as a fact file ──────────────────────────────────────────────────

_INT = re.compile(r"[+-]?\d+(_\d+)*")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
_DECIMAL = re.compile(r"[+-]?\d+(_\d+)*(\.\d+)?")


def toml_value(t: Type, raw: Raw) -> str | None:
    """The TOML text of a raw value of type `t`; None to leave it out. What is not written as
    the type expects is written as a string, so that the engine names the problem."""
    t = t.inner
    if t.kind == "set":
        items = raw if isinstance(raw, list) else [x.strip() for x in str(raw).split(",")
                                                  if x.strip()]
        parts = [toml_value(t.elem, x) for x in items]
        return "[" + ", ".join(p for p in parts if p is not None) + "]"
    if t.kind == "map":
        if not isinstance(raw, dict):
            return _quote(str(raw)) if raw else None
        entries = [(k, toml_value(t.args[1], v)) for k, v in raw.items()]
        return "{ " + ", ".join(f"{_key(k)} = {v}" for k, v in entries if v is not None) + " }"
    if isinstance(raw, (list, dict)):
        return _lit(raw)
    s = raw.strip()
    if s == "":
        return None
    k = t.kind
    if k == "bool" and s in ("true", "false"):
        return s
    if k in ("int", "shares") or (t.kind == "unrounded" and t.name == "shares"):
        if _THOUSANDS.fullmatch(s):
            s = s.replace(",", "")
        return s if _INT.fullmatch(s) else _quote(s)
    if k in ("money", "ratio", "unrounded"):
        return s if _DECIMAL.fullmatch(s) else _quote(s)
    if k == "date":
        try:
            return datetime.date.fromisoformat(s).isoformat() if len(s) == 10 else _quote(s)
        except ValueError:
            return _quote(s)
    return _quote(s)


@dataclass
class Written:
    text: str
    where: dict[int, str]  # line → the form field it writes


def draft_toml(wb: Workbench, d: Draft, expect: Sequence[str] = (), prefix: str = ""
               ) -> Written:
    """The draft as a fact file (with `prefix` "given." as a scenario's [given]); `expect`
    lines are appended (a scenario's expectations)."""
    lines: list[str] = []
    where: dict[int, str] = {}

    def put(text: str, key: str | None = None) -> None:
        lines.append(text)
        if key is not None:
            where[len(lines)] = key

    if d.as_of.strip() and not prefix:
        put(f"as_of = {toml_value(Type('date'), d.as_of) or ''}", "as_of")
    if d.parties:
        put("")
        put(f"[{prefix}parties]")
    for i, p in enumerate(d.parties):
        if not p.name.strip() and not p.roles:
            continue
        ags = [a.strip() for a in p.agreements.split(",") if a.strip()]
        roles = p.roles[0] if len(p.roles) == 1 else p.roles
        if ags:
            value = f"{{ roles = {_lit(p.roles)}, agreements = {_lit(ags)} }}"
        else:
            value = _lit(roles)
        put(f"{_key(p.name.strip())} = {value}", f"p{i}")
    fact_lines: list[tuple[str, str | None]] = []
    for name, rows in d.facts.items():
        decl = wb.facts.get(name)
        if decl is None:
            continue
        groups: dict[tuple[str, ...], list[int]] = {}
        for j, r in enumerate(rows):
            groups.setdefault(tuple(r.keys), []).append(j)
        for keys, idx in groups.items():
            used = [j for j in idx if rows[j].start.strip() or rows[j].through.strip()
                    or toml_value(decl.type, rows[j].value) is not None]
            if not used:
                continue
            head = ".".join([_key(name), *(_key(k) for k in keys)])
            first = rows[used[0]]
            if len(used) == 1 and not first.start.strip() and not first.through.strip():
                fact_lines.append((f"{head} = {toml_value(decl.type, first.value)}",
                                   f"f.{name}.{used[0]}"))
                continue
            fact_lines.append((f"{head} = [", f"f.{name}.{used[0]}"))
            for j in used:
                r = rows[j]
                parts = [f"from = {toml_value(Type('date'), r.start) or _quote('')}"]
                if r.through.strip():
                    parts.append(f"through = {toml_value(Type('date'), r.through)}")
                v = toml_value(decl.type, r.value)
                if v is not None:
                    parts.append(f"value = {v}")
                fact_lines.append(("  { " + ", ".join(parts) + " },", f"f.{name}.{j}"))
            fact_lines.append(("]", None))
    if fact_lines:
        put("")
        put(f"[{prefix}facts]")
        for text, key in fact_lines:
            put(text, key)
    order: list[str] = []
    for e in d.events:
        if e.type not in order:
            order.append(e.type)
    for typ in order:
        decl = wb.events.get(typ)
        for i, e in enumerate(d.events):
            if e.type != typ or decl is None:
                continue
            put("")
            put(f"[[{prefix}events.{typ}]]", f"e{i}")
            if e.id.strip():
                put(f"id = {_quote(e.id.strip())}", f"e{i}.id")
            if e.date.strip():
                put(f"date = {toml_value(Type('date'), e.date)}", f"e{i}.date")
            for fname, ftype in decl.fields:
                v = toml_value(ftype, e.fields.get(fname, ""))
                if v is not None:
                    put(f"{fname} = {v}", f"e{i}.{fname}")
    for ln in expect:
        put(ln)
    drop = 0
    while drop < len(lines) and lines[drop] == "":
        drop += 1
    return Written("\n".join(lines[drop:]) + "\n", {k - drop: v for k, v in where.items()})


# ── forms: widgets from types ────────────────────────────────────────────────


class Options:
    """What a value of each type may be, given the draft: the parties of a role, the ids of
    events of a type, the members of an enumeration."""

    def __init__(self, wb: Workbench, d: Draft):
        self.wb = wb
        self.d = d

    def choices(self, t: Type) -> list[tuple[str, str]] | None:
        t = t.inner
        if t.kind == "bool":
            return [("true", "yes (true)"), ("false", "no (false)")]
        if t.kind == "enum" and t.name in self.wb.enums:
            return [(m, f"{m} — {desc}" if desc and desc != m else m)
                    for m, desc in self.wb.enums[t.name]]
        if t.kind == "party":
            names = [p.name for p in self.d.parties if p.name
                     and (t.name is None or t.name in p.roles)]
            if t.name is None:  # any party: the agreement's own ones too
                names = list(self.wb.parties) + names
            return [(n, n) for n in dict.fromkeys(names)]
        if t.kind == "event":
            return [(e.id, f"{e.id} ({e.type} of {e.date or 'no date'})") for e in self.d.events
                    if e.id and (not t.names or e.type in t.names)]
        return None


def widget(opts: Options, t: Type, name: str, raw: Raw) -> dict[str, Any]:
    """A form field for a value of type `t` named `name`, showing `raw`."""
    optional = t.optional
    inner = t.inner
    w: dict[str, Any] = {"name": name, "type": str(t), "optional": optional}
    if inner.kind == "set":
        members = opts.choices(inner.elem)
        if members is not None:
            chosen = raw if isinstance(raw, list) else []
            extra = [(x, x) for x in chosen if x not in {m for m, _ in members}]
            w.update(kind="checks", choices=members + extra, value=chosen)
            return w
    if inner.kind == "map":
        keys = opts.choices(inner.args[0])
        if keys is not None:
            have = raw if isinstance(raw, dict) else {}
            names = [k for k, _ in keys] + [k for k in have if k not in {k for k, _ in keys}]
            w.update(kind="map", entries=[
                {"key": k, "field": widget(opts, inner.args[1], f"{name}.v{n}", have.get(k, ""))}
                for n, k in enumerate(names)])
            return w
    flat = raw if isinstance(raw, str) else (toml_value(t, raw) or "")
    choices = opts.choices(inner)
    if choices is not None:
        if flat and flat not in {c for c, _ in choices}:
            choices = [*choices, (flat, f"{flat} (not one of these)")]
        w.update(kind="select", choices=choices, value=flat)
    elif inner.kind == "date":
        w.update(kind="date", value=flat)
    elif inner.kind in ("int", "shares", "money", "ratio", "unrounded"):
        w.update(kind="number", value=flat, hint={
            "money": "e.g. 5000000 or $5,000,000.00", "ratio": "e.g. 0.5, 50% or 1/15",
        }.get(inner.kind, "a whole number, e.g. 600000 or 600,000"))
    else:
        w.update(kind="text", value=flat)
    return w


def read_widget(w: dict[str, Any], form: FormData) -> Raw:
    """The raw value a submitted form gives the field `w` (as rendered)."""
    kind = w.get("kind")
    if kind == "checks":
        return [str(x) for x in form.getlist(w["name"])]
    if kind == "map":
        out: dict[str, Raw] = {}
        for e in w["entries"]:
            v = read_widget(e["field"], form)
            if v not in ("", [], {}):
                out[e["key"]] = v
        return out
    got = form.get(w["name"])
    return got if isinstance(got, str) else ""


# ── the page model ───────────────────────────────────────────────────────────


def event_prefix(typ: str) -> str:
    """dn for DemandNotice: the initials of an event type, for the ids of new events."""
    caps = "".join(ch for ch in typ if ch.isupper()).lower()
    return caps or typ[:2].lower()


def form_model(wb: Workbench, d: Draft) -> dict[str, Any]:
    """The fields of the facts form, each with the widget it renders."""
    opts = Options(wb, d)
    parties = [{"i": i, "row": p, "roles": list(dict.fromkeys([*wb.roles, *p.roles]))}
               for i, p in enumerate(d.parties)]
    facts = []
    for name, decl in wb.facts.items():
        rows = []
        for j, r in enumerate(d.facts.get(name, [])):
            keys = []
            for n, (pname, ptype) in enumerate(decl.params):
                keys.append({"label": pname, "field": widget(
                    opts, ptype, f"f.{name}.{j}.k{n}", r.keys[n] if n < len(r.keys) else "")})
            rows.append({"j": j, "key": f"f.{name}.{j}", "params": keys, "row": r,
                         "value": widget(opts, decl.type, f"f.{name}.{j}.value", r.value)})
        facts.append({"name": name, "decl": decl, "type": str(decl.type), "rows": rows,
                      "params": ", ".join(f"{p}: {t}" for p, t in decl.params)})
    events = []
    for i, e in enumerate(d.events):
        decl = wb.events.get(e.type)
        fields = [] if decl is None else [
            {"name": fname, "key": f"e{i}.{fname}",
             "field": widget(opts, ftype, f"e{i}.{fname}", e.fields.get(fname, ""))}
            for fname, ftype in decl.fields]
        events.append({"i": i, "row": e, "decl": decl, "fields": fields})
    return {"parties": parties, "facts": facts, "events": events,
            "event_types": [(n, ev.title) for n, ev in wb.events.items()],
            "several": len(wb.contracts) > 1}


def read_form(wb: Workbench, d: Draft, form: FormData) -> Draft:
    """The draft as the submitted form states it (the form was rendered from `d`)."""
    model = form_model(wb, d)

    def text(name: str) -> str:
        v = form.get(name)
        return v if isinstance(v, str) else ""

    new = Draft(as_of=text("as_of").strip())
    for p in model["parties"]:
        i = p["i"]
        new.parties.append(PartyRow(text(f"p{i}.name"),
                                    [str(r) for r in form.getlist(f"p{i}.roles")],
                                    text(f"p{i}.agreements")))
    for f in model["facts"]:
        rows = []
        for r in f["rows"]:
            keys = [str(read_widget(k["field"], form)) for k in r["params"]]
            rows.append(FactRow(keys, read_widget(r["value"], form),
                                text(f"{r['key']}.from"), text(f"{r['key']}.through")))
        if rows:
            new.facts[f["name"]] = rows
    for e in model["events"]:
        i = e["i"]
        row = EventRow(e["row"].type, text(f"e{i}.id"), text(f"e{i}.date"))
        for fl in e["fields"]:
            row.fields[fl["name"]] = read_widget(fl["field"], form)
        new.events.append(row)
    return new


def apply_action(wb: Workbench, s: Session, action: str, form: FormData) -> None:
    d = s.draft
    verb, _, arg = action.partition(":")
    if verb == "add_party":
        d.parties.append(PartyRow("", [next(iter(wb.roles))] if wb.roles else []))
    elif verb == "delete_party" and arg.isdigit() and int(arg) < len(d.parties):
        d.parties.pop(int(arg))
    elif verb == "add_row" and arg in wb.facts:
        d.facts.setdefault(arg, []).append(FactRow([""] * len(wb.facts[arg].params)))
    elif verb == "delete_row":
        name, _, j = arg.rpartition(".")
        rows = d.facts.get(name, [])
        if j.isdigit() and int(j) < len(rows):
            rows.pop(int(j))
    elif verb == "add_event":
        typ = form.get("new_event_type")
        if not isinstance(typ, str) or typ not in wb.events:
            s.messages.append(f"unknown event type {typ!r}: the agreements declare "
                              + ", ".join(sorted(wb.events)))
            return
        ids = {e.id for e in d.events}
        n = 1
        while f"{event_prefix(typ)}{n}" in ids:
            n += 1
        d.events.append(EventRow(typ, f"{event_prefix(typ)}{n}", d.as_of))
        s.messages.append(f"added {typ} {event_prefix(typ)}{n}: fill in its fields")
    elif verb == "delete_event" and arg.isdigit() and int(arg) < len(d.events):
        e = d.events.pop(int(arg))
        s.messages.append(f"deleted {e.type} {e.id}")
    elif verb == "baseline":
        s.baseline = None  # the next evaluation becomes the baseline
    sort_events(d)


# ── answers ───────────────────────────────────────────────────────────────────


@dataclass
class Evaluation:
    outcomes: list[Outcome] = field(default_factory=list)
    problems: str = ""  # rendered diagnostics not tied to a field
    by_field: dict[str, list[str]] = field(default_factory=dict)
    toml: str = ""


def evaluate_draft(wb: Workbench, d: Draft) -> Evaluation:
    written = draft_toml(wb, d)
    ev = Evaluation(toml=written.text)
    sources = SourceRegistry()
    sources.add(FACTS_NAME, written.text)
    day = None
    if d.as_of.strip():
        try:
            day = datetime.date.fromisoformat(d.as_of.strip())
        except ValueError:
            pass
    with wb.lock:
        try:
            if len(wb.contracts) == 1:
                c = wb.contracts[0]
                facts = c.facts_from_text(written.text, "toml", FACTS_NAME)
                ev.outcomes = [c.evaluate(facts, day, explain=True)]
            else:
                ev.outcomes = evaluate_family_text(wb.contracts, written.text, FACTS_NAME, day,
                                                   explain=True)
        except RrdslError as err:
            place_diagnostics(ev, err.diagnostics, written, sources)
    return ev


def place_diagnostics(ev: Evaluation, diags: Iterable[Diagnostic], written: Written,
                      sources: SourceRegistry) -> None:
    general = []
    for dg in diags:
        text = render_all([dg], sources)
        key = written.where.get(dg.span.line) if dg.span is not None \
            and dg.span.file == FACTS_NAME else None
        if key is not None and re.fullmatch(r"e\d+", key):  # a field left out: beside it
            m = re.search(r"has no '(\w+)'", dg.message)
            if m:
                key = f"{key}.{m.group(1)}"
        if key is None:
            general.append(text)
        else:
            ev.by_field.setdefault(key, []).append(text)
    ev.problems = "\n".join(general)


def statuses(outcomes: Sequence[Outcome]) -> dict[tuple[str, str], str]:
    return {(o.contract.name, r.instance): r.status for o in outcomes for r in o.norms}


def changes(old: Mapping[tuple[str, str], str], new: Mapping[tuple[str, str], str]
            ) -> list[Change]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "no answer"), new.get(key, "no answer")
        if {a, b} == {"no answer", "not_triggered"}:  # an instance that came or went unnoticed
            continue
        if a != b:
            out.append(Change(key[0], key[1], a, b))
    return out


_STEP = {"fact": "found in the facts", "qualitative": "taken as given (an assumption)",
         "missing": "NOT GIVEN", "event": "event", "exception": "exception",
         "definition": "worked out", "condition": "tested", "clause": "the answer",
         "as_of": "read as of another day"}


def lawyer_steps(node: Node, terms: Mapping[str, str | None], seen: set[int] | None = None,
                 depth: int = 0) -> dict[str, Any]:
    """A derivation in words: each step says what was found, on which fact or event, under
    which section; a step already given is not repeated."""
    seen = set() if seen is None else seen
    value = node.value if isinstance(node.value, str) else show(node.value)
    value = {"yes": "yes", "no": "no"}.get(value, value)
    label = node.label
    head = label.split("(", 1)[0]
    term = terms.get(head)
    if node.kind == "missing":
        text = f"{label} is not given in the facts: the answer waits on it"
    elif node.kind in ("fact", "qualitative"):
        text = f"{label} is {value}"
    elif node.kind == "event":
        text = f"{label}, of {value}"
    elif node.kind == "clause":
        text = f"{label}: {value}" if label.startswith("§") else f"§{label}: {value}"
    else:
        text = f"{label}: {value}"
    if term:
        text += f" (“{term}”)"
    step: dict[str, Any] = {"what": _STEP.get(node.kind, node.kind), "text": text,
                            "section": node.section, "note": node.note if node.kind != "definition"
                            else None, "kind": node.kind, "children": [],
                            "repeated": id(node) in seen and bool(node.children)}
    seen.add(id(node))
    if not step["repeated"] and depth < 12:
        step["children"] = [lawyer_steps(c, terms, seen, depth + 1) for c in node.children]
    return step


def paragraph_for(b: Browse | None, section: str) -> tuple[str, str]:
    """(section shown, the agreement's text) of the paragraph a clause encodes."""
    if b is None:
        return "", ""
    for a in section_ancestors(section):
        u = b.units.get(a)
        if u is not None and u.paragraphs:
            return a, "\n\n".join(" ".join(p.text.split()) for p in u.paragraphs)
    return "", ""


def answer_model(wb: Workbench, o: Outcome, r: NormResult) -> dict[str, Any]:
    n = r.norm
    sec, para = paragraph_for(wb.browse.get(o.contract.name), n.section)
    loc = f"{n.cite.span.file}:{n.cite.span.line}" if n.cite.span else ""
    return {
        "r": r, "n": n, "status": r.status, "status_text": r.status.replace("_", " "),
        "details": norm_details(r),
        "withs": [(label, shown_part(v, t, needs)) for label, v, t, needs in r.withs],
        "exceptions": [f"§{x.exception} {x.effect} ({'applies' if x.active else 'applied'})"
                       + (f": {x.because}" if x.because else "") for x in r.exceptions],
        "terms": answer_terms(o.contract, o.facts, r),
        "cite": f"§{n.section} {n.heading}", "loc": loc,
        "para_section": sec, "paragraph": para,
        "steps": [lawyer_steps(r.explanation, wb.definitions)] if r.explanation else [],
        "tree": explanation_text(r.explanation) if r.explanation else "",
    }


def answers_model(wb: Workbench, outcomes: Sequence[Outcome], party: str, status: str,
                  section: str) -> list[dict[str, Any]]:
    out = []
    for o in outcomes:
        keys = section_sort_keys({r.norm.section for r in o.norms})
        groups: dict[str, list[dict[str, Any]]] = {}
        hidden = 0
        for r in sorted(o.norms, key=lambda r: keys[r.norm.section]):
            if status == "" and r.status == "not_triggered":
                hidden += 1
                continue
            if (party and r.bearer != party) or (status and r.status != status) or (
                    section and not _in_section(r.norm.section, section)):
                continue
            groups.setdefault(r.bearer or "?", []).append(answer_model(wb, o, r))
        ordered = sorted(groups, key=lambda p: (p not in o.contract.parties, p))
        out.append({
            "o": o, "name": o.contract.name, "title": o.contract.title,
            "groups": [(p, groups[p]) for p in ordered], "hidden": hidden,
            "amendments": o.amendments, "ignored": o.ignored_amendments,
            "references": o.references if not (party or status or section) else [],
            "membership": membership_lines(o), "term": term_text(o.term) if o.term else "",
            "warnings": [f"{w.event.type} {w.event.id} of {w.event.date}: {w.message} "
                         f"(check §{w.check.id})" for w in o.warnings],
            "assumed": sum(1 for x in o.contract.standing.values() if x.status == "assumed"),
            "known": sum(1 for x in o.contract.standing.values() if x.status == "known"),
            "summary": ", ".join(f"{sum(1 for r in o.norms if r.status == s)} "
                                 f"{s.replace('_', ' ')}" for s in STATUSES
                                 if any(r.status == s for r in o.norms)),
        })
    return out


def _in_section(number: str, wanted: str) -> bool:
    w = wanted.strip().lstrip("§").split(".", 1)[0]
    return number == w or number.startswith(w + "(")


# ── downloads ────────────────────────────────────────────────────────────────


def scenario_skeleton(wb: Workbench, d: Draft, outcomes: Sequence[Outcome]) -> str:
    expect = []
    for k, o in enumerate(outcomes):
        for r in o.norms:
            if r.status == "not_triggered":
                continue
            expect += ["", "[[expect]]", f"clause = {_quote(r.instance)}",
                       f"status = {_quote(r.status)}"]
            if k:
                expect.append(f"agreement = {_quote(o.contract.name)}")
    files = [str(c.path) for c in wb.contracts]
    head = [
        "# A scenario skeleton written by rrdsl serve: state what it tests (title, section,",
        "# cites), make `contract` relative to where this file is saved, and keep only the",
        "# expectations the sentence is about (each is the answer the workbench gave).",
        'title = ""',
        f"contract = {_lit(files) if len(files) > 1 else _quote(files[0])}",
        'section = ""',
        'cites = """"""',
        f"as_of = {toml_value(Type('date'), d.as_of) or _quote('')}",
        "",
    ]
    return "\n".join(head) + draft_toml(wb, d, expect, prefix="given.").text


# ── the application ──────────────────────────────────────────────────────────


COOKIE = "rrdsl_session"


def make_app(contracts: Sequence[Contract], facts_file: Path | None = None) -> Starlette:
    wb = Workbench(contracts, facts_file)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(default=True,
                                                                 default_for_string=True),
                             undefined=jinja2.StrictUndefined)

    def session(request: Request) -> tuple[str, Session]:
        return wb.session(request.cookies.get(COOKIE))

    def respond(sid: str, resp: Response) -> Response:
        resp.set_cookie(COOKIE, sid, httponly=True, samesite="strict")
        return resp

    def page(request: Request) -> Response:
        sid, s = session(request)
        q = request.query_params
        party, status, section = q.get("party", ""), q.get("status", ""), q.get("section", "")
        with s.lock:
            ev = evaluate_draft(wb, s.draft)
            changed: list[Change] = []
            if ev.outcomes:
                now = statuses(ev.outcomes)
                if s.baseline is None:
                    s.baseline, s.baseline_note = now, f"as of {ev.outcomes[0].as_of}"
                changed = changes(s.baseline, now)
            svg = Markup(timeline_svg(ev.outcomes, inline=True)) if ev.outcomes else Markup("")
            html = env.get_template("workbench.html").render(
                wb=wb, s=s, d=s.draft, form=form_model(wb, s.draft), ev=ev,
                answers=answers_model(wb, ev.outcomes, party, status, section),
                statuses=STATUSES, f_party=party, f_status=status, f_section=section,
                all_parties=sorted({r.bearer for o in ev.outcomes for r in o.norms
                                    if r.bearer}),
                changes=changed, svg=svg, titles=" · ".join(c.title for c in wb.contracts))
            s.messages.clear()
            s.load_problems = ""
        return respond(sid, HTMLResponse(html))

    async def too_big(request: Request) -> Response | None:
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) > UPLOAD_LIMIT:
            return refuse(int(size))
        chunks, n = [], 0
        async for chunk in request.stream():
            n += len(chunk)
            if n > UPLOAD_LIMIT:
                return refuse(n)
            chunks.append(chunk)
        request._body = b"".join(chunks)
        return None

    def refuse(n: int) -> Response:
        text = (f"The upload is {n:,} bytes or more; a fact file may have at most "
                f"{MAX_FACT_BYTES:,} bytes. Nothing was loaded: go back to the workbench.")
        return HTMLResponse(env.get_template("refused.html").render(message=text),
                            status_code=413)

    async def post_facts(request: Request) -> Response:
        refused = await too_big(request)
        if refused is not None:
            return refused
        form = await request.form(max_fields=20_000)
        sid, s = session(request)
        action = form.get("action")
        with s.lock:
            s.draft = read_form(wb, s.draft, form)
            sort_events(s.draft)
            if isinstance(action, str):
                apply_action(wb, s, action, form)
        return respond(sid, RedirectResponse(_back(form), status_code=303))

    async def post_load(request: Request) -> Response:
        refused = await too_big(request)
        if refused is not None:
            return refused
        form = await request.form()
        sid, s = session(request)
        upload = form.get("file")
        kind = "scenario" if form.get("kind") == "scenario" else "facts"
        with s.lock:
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read()
                s.load_bytes(wb, data, Path(upload.filename).name, kind)
            elif form.get("reload") and wb.facts_file is not None:
                s.load_path(wb, wb.facts_file)
            else:
                s.messages.append("choose a file to load")
        return respond(sid, RedirectResponse("/", status_code=303))

    def download(request: Request) -> Response:
        sid, s = session(request)
        kind = request.path_params["kind"]
        with s.lock:
            if kind == "facts.toml":
                body = draft_toml(wb, s.draft).text
            else:
                ev = evaluate_draft(wb, s.draft)
                body = scenario_skeleton(wb, s.draft, ev.outcomes)
        return respond(sid, Response(body, media_type="application/toml", headers={
            "Content-Disposition": f'attachment; filename="{kind}"'}))

    def svg(request: Request) -> Response:
        sid, s = session(request)
        with s.lock:
            ev = evaluate_draft(wb, s.draft)
        if not ev.outcomes:
            return respond(sid, Response("the facts have problems: see the workbench\n",
                                         status_code=409, media_type="text/plain"))
        return respond(sid, Response(timeline_svg(ev.outcomes), media_type="image/svg+xml"))

    return Starlette(routes=[
        Route("/", page, methods=["GET"]),
        Route("/facts", post_facts, methods=["POST"]),
        Route("/load", post_load, methods=["POST"]),
        Route("/download/{kind:str}", download, methods=["GET"]),
        Route("/timeline.svg", svg, methods=["GET"]),
    ])


def _back(form: FormData) -> str:
    """Back to the page, keeping the answer filters and the place in it."""
    from urllib.parse import urlencode

    keep = {k: v for k in ("party", "status", "section")
            if isinstance(v := form.get(k), str) and v}
    anchor = form.get("anchor")
    return "/" + (f"?{urlencode(keep)}" if keep else "") + (
        f"#{anchor}" if isinstance(anchor, str) and re.fullmatch(r"[\w.-]+", anchor) else "")


def serve(paths: Sequence[Path], facts: Path | None, host: str, port: int) -> int:
    import uvicorn

    contracts = [load(p) for p in paths]
    app = make_app(contracts, facts)
    print(f"rrdsl serve: the workbench for {', '.join(c.name for c in contracts)} at "
          f"http://{host if ':' not in host else f'[{host}]'}:{port}/ (Ctrl-C stops it)",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
