"""Checker stage: parsed modules → `ir.Contract`.

Resolves every name (with "did you mean"), types every expression, rejects definition cycles,
and checks the priority edges between sections ("subject to", "notwithstanding", "except as
provided in") that authorise one clause to suspend or excuse another. All diagnostics of a run
are collected and raised together.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from . import ast, ir
from . import types as T
from .diagnostics import SOURCES, CheckErrors, Diagnostic, Label, Span, did_you_mean
from .sourcetext import keywords
from .types import Type
from .variants import Composition, assumed_terms, roles_used

ERROR = Type("error")
ROUNDING_MODES = ("half_up", "half_even", "down", "up", "floor", "ceiling")
ALLOCATION_ROUNDING = ("largest_remainder", "down")
BUILTINS = ("keys", "exists", "earlier", "later", "days_between", "days", "business_days",
            "months", "round", "abs", "dates", "overlap_days", "agreement_date", "first_day")
DEFAULT_CALENDAR = "XFED"
#: `for clause c` in an exception of `any clause`: the answer the exception is tried on
INSTANCE = Type("instance")
INSTANCE_FIELDS: dict[str, Type] = {
    "clause": T.TEXT,  # the clause's id: "3(a).further_notice"
    "instance": T.TEXT,  # the answer's id: "3(a).further_notice[dn1]"
    "bearer": T.opt_t(T.ANY_PARTY),  # the party bearing it
    "beneficiaries": T.set_t(T.ANY_PARTY),  # the parties it benefits (none: an empty set)
}
#: the statuses a clause instance's answer can have, for `§S.name[...] is STATUS` (an
#: undetermined answer makes the test undetermined, naming what it needs)
INSTANCE_STATUSES = ("not_triggered", "pending", "in_force", "fulfilled", "breached", "expired",
                     "suspended", "excused")
BUILTIN_USAGE = {
    "keys": "keys(map)", "exists": "exists(value)", "earlier": "earlier(date, date, ...)",
    "later": "later(date, date, ...)", "days_between": "days_between(first_date, second_date)",
    "days": "days(number)", "business_days": "business_days(number)",
    "months": "months(number)", "round": "round(amount, mode)", "abs": "abs(number)",
    "dates": "dates(first_day, last_day)",
    "overlap_days": "overlap_days(first_start, first_end, second_start, second_end)",
    "agreement_date": "agreement_date()",
    "first_day": "first_day(from_day, condition)",
}


def section_ancestors(number: str) -> list[str]:
    """`3(c)(viii)` → [`3(c)(viii)`, `3(c)`, `3`]; `2.1(b)` → [`2.1(b)`, `2.1`, `2`]."""
    out = [number]
    while True:
        m = re.match(r"^(.*)\([a-z0-9]+\)$", number) or re.match(r"^(\d.*)\.\d+$", number)
        if not m:
            break
        number = m.group(1)
        out.append(number)
    return out


def _ok(t: Type) -> bool:
    return t.kind == "error"


#: Levels of evaluation one expression may take: operations inside one another, counting the
#: body of every definition it calls (E407).  The evaluator follows the nesting on the
#: machine's stack; the 2001 agreement's deepest takes 34.
MAX_EVAL_DEPTH = 200


def _nesting(e: ir.E, depth: dict[str, int]) -> tuple[int, str | None, bool]:
    """The levels of evaluation `e` takes, given those of the definitions it calls: the
    call on its deepest path (or None), and whether a definition it calls is itself over the
    limit.  Iterative: the expression may be deep."""
    most, through, over = 0, None, False
    todo = [(e, 1)]
    while todo:
        x, level = todo.pop()
        if x.op == "call":
            inner = depth.get(x.data, 0)
            over = over or inner > MAX_EVAL_DEPTH
            if level + inner > most:
                most, through = level + inner, x.data
        elif level > most:
            most, through = level, None
        todo.extend((a, level + 1) for a in x.args if isinstance(a, ir.E))
    return most, through, over


def _steps(params: Sequence[tuple[str, Type]]) -> bool:
    """Does a definition of a recursive group with these parameters step: are they all events
    (it recurses on the last, the others fixed)?"""
    return bool(params) and all(t.kind == "event" for _, t in params)


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of a graph (Tarjan's algorithm, iterative), each
    sorted; nodes only named as targets count too."""
    nodes = sorted(set(graph) | {m for ms in graph.values() for m in ms})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        work = [(root, iter(sorted(graph.get(root, ()))))]
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


class _Scope:
    def __init__(self, names: dict[str, Type] | None = None):
        self.names = dict(names or {})

    def bind(self, name: str, t: Type) -> _Scope:
        s = _Scope(self.names)
        s.names[name] = t
        return s


class CheckMemo:
    """What one check of a contract found, kept for the next check of the same contract (the
    language server keeps one per contract, so that an edit is checked in proportion to what
    it changed).

    A definition or clause whose parsed node is the very object checked last time (the parse
    of an unchanged section is kept, `lsp.Parses`), checked among declarations equal to last
    time's (`Checker.environment`: the facts, events, signatures, parties, roles,
    enumerations, clauses' bearers and triggers, and the agreement's date), has the same
    result and the same diagnostics: they are replayed, not computed again. The nesting depth
    of an expression (E407) is kept the same way, with the depths of the definitions it
    calls. Entries not used by a check are dropped by it."""

    def __init__(self) -> None:
        self.env: tuple[Any, ...] | None = None
        self.defs: dict[int, tuple[Any, ...]] = {}
        self.clauses: dict[int, tuple[Any, ...]] = {}
        self.nesting: dict[int, tuple[Any, ...]] = {}
        self.refs: dict[int, tuple[Any, ...]] = {}  # an expression's status tests and calls
        self.graph: tuple[Any, ...] | None = None  # check_def_cycles: its input and output
        self.def_refs: tuple[Any, ...] | None = None  # check_status_cycles: the same
        self.depths: tuple[Any, ...] | None = None  # check_depth's definitions: the same
        self.root_depths: dict[str, int] | None = None  # the depths clauses were checked with
        self.status_graph: tuple[Any, ...] | None = None  # check_status_cycles: E408's input
        self.exceptions: dict[int, tuple[Any, ...]] = {}  # by exception
        self.exception_context: tuple[Any, ...] | None = None
        self.checks: dict[int, tuple[Any, ...]] = {}  # by check
        self.sigs: dict[int, tuple[Any, ...]] = {}  # declarations' types, by declaration
        self.sig_names: tuple[Any, ...] | None = None  # the type names they were made with
        self.hits = 0  # definitions and clauses replayed by the last check (for the tests)


class Checker:
    def __init__(self, modules: Sequence[ast.Module], composition: Composition | None = None,
                 memo: CheckMemo | None = None):
        self.modules = list(modules)
        self.composition = composition
        self.memo = memo
        self._nesting_next: dict[int, tuple[Any, ...]] = {}
        self._refs_next: dict[int, tuple[Any, ...]] = {}
        self._reuse = False  # the memo's results hold (`CheckMemo`)
        self.diags: list[Diagnostic] = list(composition.diagnostics) if composition else []
        self.governed: list[tuple[ast.Governed, str, str]] = []
        self.amended_by: list[tuple[ast.AmendedBy, str]] = []
        self.survives: list[tuple[ast.Survives, str]] = []
        # the clauses whose answers each definition's body tests (`§S.x[...] is STATUS`)
        self.status_uses: dict[str, set[str]] = {}
        self.decl_spans: dict[str, Span | None] = {}
        self.parties: dict[str, str | None] = {}
        self.roles: dict[str, str | None] = {}
        self.enums: dict[str, ast.EnumDecl] = {}
        self.enum_members: dict[str, list[str]] = {}  # member → enums having it
        self.fact_decls: dict[str, tuple[ast.FactDecl, str | None]] = {}
        self.event_decls: dict[str, tuple[ast.EventDecl, str | None]] = {}
        self.def_decls: dict[str, tuple[ast.Define | ast.StateDecl, str | None]] = {}
        self.facts: dict[str, ir.Fact] = {}
        self.events: dict[str, ir.Event] = {}
        self.def_sigs: dict[str, tuple[tuple[tuple[str, Type], ...], Type]] = {}
        self.definitions: dict[str, ir.Definition] = {}
        self.def_deps: dict[str, set[str]] = {}
        self.groups: dict[str, tuple[str, ...]] = {}  # recursive groups, by member
        self.group_faults: dict[str, str] = {}  # why a cycle is no recursive group, by member
        self.current_def: str | None = None
        self.sections: dict[str, tuple[ast.Section, str]] = {}
        self.clauses: list[tuple[ast.Clause, str, str]] = []  # clause, section, heading
        self.exceptions: list[tuple[ast.ExceptionDecl, str]] = []
        self.provisions: list[tuple[ast.NonOperative, str, str]] = []
        self.readings: list[ir.Reading] = []
        self.check_decls: list[tuple[ast.CheckDecl, str]] = []
        self._declared: set[tuple[str, str | None, str]] = set()  # (kind, section, name) seen
        self.reserved = keywords()

    # ── diagnostics ─────────────────────────────────────────────────────────

    def err(self, code: str, msg: str, span: Span | None, *hints: str,
            expected: str | None = None, labels: Iterable[Label] = ()) -> Type:
        self.diags.append(Diagnostic(code, msg, span, expected=expected, hints=tuple(hints),
                                     labels=tuple(labels)))
        return ERROR

    def unknown(self, kind: str, name: str, span: Span | None, candidates: Iterable[str],
                code: str = "E201") -> Type:
        removed = self.composition.removed if self.composition else {}
        if name in removed:
            return self.err("E214", f"'{name}' is removed, but the agreement still uses it",
                            removed[name],
                            "replace the declarations that use it as well, or keep it",
                            labels=(Label(span, "still used here"),) if span else ())
        guess = did_you_mean(name, candidates)
        hints = (f"did you mean '{guess}'?",) if guess else ()
        return self.err(code, f"unknown {kind} '{name}'", span, *hints)

    # ── entry ───────────────────────────────────────────────────────────────

    def check(self) -> ir.Contract:
        main = self.modules[0]
        for m in self.modules[1:]:
            if m.header is not None:
                self.err("E207", "an imported file cannot declare an agreement", m.header.span,
                         "remove the `agreement` line from the imported file")
        for m in self.modules:
            for d in m.preamble:
                self.collect(d, None, "")
            for s in m.sections:
                self.collect_section(s)
        self.resolve_signatures()
        memo = self.memo
        reuse = False
        if memo is not None:
            env = self.environment()
            # (the memo holds again only once this check is through: a check cut short by an
            # error of the engine leaves nothing to replay)
            reuse, memo.env, memo.hits = memo.env == env, None, 0
        self._reuse = reuse
        defs: dict[int, tuple[Any, ...]] = {}
        for name, (d, sec) in self.def_decls.items():
            hit = memo.defs.get(id(d)) if memo is not None and reuse else None
            if hit is not None and hit[0] is d and hit[1] == (name, sec):
                self.replay_definition(name, hit)
                defs[id(d)] = hit
                continue
            first = len(self.diags)
            self.check_definition(name, d, sec)
            defs[id(d)] = (d, (name, sec), self.definitions[name], set(self.def_deps[name]),
                           set(self.status_uses.get(name, ())), self.diags[first:])
        if memo is not None:
            memo.defs = defs
        callees_first = self.check_def_cycles()
        norms = self.check_clauses(reuse)
        prevails = self.check_priorities()
        exceptions = self.check_exceptions(norms, prevails)
        checks = self.check_checks()
        self.check_status_cycles(norms, exceptions)
        if not any(d.code == "E401" for d in self.diags):
            self.check_depth(callees_first, norms, exceptions, checks)
        amendment_rule = self.check_amendment_rule()
        survival = self.check_survival()
        header = main.header
        references = self.check_references(header) if header is not None else []
        if header is not None and header.kind == "amendment" and amendment_rule is None \
                and not self.diags:
            self.err("E217", f"the agreement {header.base!r} does not say how it may be "
                     "amended", header.base_span,
                     "in the section of the agreement that says how it may be amended, add "
                     "`amended by EventType from definition`")
        calendar = DEFAULT_CALENDAR
        if header is None:
            empty = not (main.imports or main.preamble or main.sections)
            if empty and SOURCES.line(main.file, 1) is None:
                what = "the file is empty"
            elif empty:
                what = "the file has only comments"
            else:
                what = "the file does not begin with an `agreement` line"
            if empty:
                what += "; a contract begins with an `agreement` line"
            self.err("E208", what,
                     Span.point(main.file, 1, 1),
                     'begin with: agreement NAME "Title" dated YYYY-MM-DD')
        elif header.calendar is not None:
            calendar = header.calendar
            from .calendars import known_calendar

            if not known_calendar(calendar):
                from .calendars import calendar_names

                guess = did_you_mean(calendar, calendar_names())
                self.err("E209", f"unknown business-day calendar {calendar!r}",
                         header.calendar_span,
                         *((f"did you mean {guess!r}?",) if guess else ()),
                         expected="a market code such as \"XFED\" or \"XNYS\", or a country "
                         "such as \"US\" or \"US-NY\"")
        if header is not None and header.source is not None:
            self.check_source(main.file, header.source, header.source_span)
        if memo is not None:
            if not any(d.code == "E401" for d in self.diags):  # (else kept as they were:
                memo.nesting = self._nesting_next      # check_depth did not run)
                memo.refs = self._refs_next
            memo.env = env
        if self.diags:
            raise CheckErrors(sorted(self.diags, key=_diag_key))
        assert header is not None
        return ir.Contract(
            name=header.name, title=header.title, dated=header.dated, calendar=calendar,
            file=main.file, parties=self.parties, roles=self.roles,
            enums={n: tuple((m.name, m.title) for m in e.members) for n, e in self.enums.items()},
            facts=self.facts, events=self.events, definitions=self.definitions,
            sections={n: ir.Section(n, s.heading, ir.Cite(n, s.span),
                                    len(s.items) + len(s.priorities))
                      for n, (s, _) in self.sections.items()},
            norms=tuple(norms), exceptions=tuple(exceptions), readings=tuple(self.readings),
            checks=tuple(checks),
            recursion=tuple(sorted(set(self.groups.values()))),
            prevails=frozenset(prevails),
            provisions=tuple(ir.Provision(f"{sec}.{p.name}", sec, head, p.name, p.text,
                                          ir.Cite(sec, p.span))
                             for p, sec, head in self.provisions),
            source=header.source, survival=survival,
            **self.family_fields(header, tuple(references), amendment_rule))

    def environment(self) -> tuple[Any, ...]:
        """What checking a definition or clause reads besides its own text (`CheckMemo`)."""
        header = self.modules[0].header
        removed = self.composition.removed if self.composition else {}
        clauses = []
        for c, sec, _ in self.clauses:
            upon = next((p.events for p in c.parts if isinstance(p, ast.Upon)), None)
            b = c.bearer  # (its place matters only to the message of an unknown role)
            bearer = (b.name,) if isinstance(b, ast.BearerParty) else \
                (b.var, b.role, None if b.role in self.roles else b.span)
            clauses.append((sec, c.name, bearer, upon))
        # (of the declarations, what the checking of an expression reads: not their titles or
        # places, so that editing a title checks nothing else again)
        return ({n: (f.params, f.type) for n, f in self.facts.items()},
                {n: e.fields for n, e in self.events.items()}, self.def_sigs,
                tuple(self.parties), tuple(self.roles),
                {n: tuple(m.name for m in e.members) for n, e in self.enums.items()},
                self.enum_members, removed, clauses,
                (header is None, header.dated if header is not None else None))

    def replay_definition(self, name: str, hit: tuple[Any, ...]) -> None:
        _, _, definition, deps, status_uses, diags = hit
        self.definitions[name] = definition
        self.def_deps[name] = set(deps)
        if status_uses:
            self.status_uses[name] = set(status_uses)
        self.diags.extend(diags)
        assert self.memo is not None
        self.memo.hits += 1

    def expr_refs(self, e: ir.E) -> tuple[frozenset[str], tuple[str, ...]]:
        """The clauses whose answers `e` tests (`§S.x[...] is STATUS`) and the definitions it
        calls (sorted), kept in the memo by expression."""
        memo = self.memo
        if memo is not None:
            hit = memo.refs.get(id(e))
            if hit is None or hit[0] is not e:
                hit = self._refs_next.get(id(e))
            if hit is not None and hit[0] is e:
                self._refs_next[id(e)] = hit
                return hit[1], hit[2]
        tested: set[str] = set()
        calls: set[str] = set()
        todo = [e]
        while todo:
            x = todo.pop()
            if x.op == "status":
                tested.add(x.data[0])
            elif x.op == "call" and isinstance(x.data, str):
                calls.add(x.data)
            todo.extend(a for a in x.args if isinstance(a, ir.E))
        found = (frozenset(tested), tuple(sorted(calls)))
        if memo is not None:
            self._refs_next[id(e)] = (e, *found)
        return found

    def _carry_refs(self, e: ir.E) -> None:
        """Keep `e`'s entry of `expr_refs` for the next check, though this one did not ask."""
        assert self.memo is not None
        hit = self.memo.refs.get(id(e))
        if hit is not None and hit[0] is e:
            self._refs_next[id(e)] = hit

    def nesting(self, e: ir.E, depth: dict[str, int]) -> tuple[int, str | None, bool]:
        """`_nesting`, kept in the memo by expression and the depths of what it calls (a call
        of anything but a definition has no depth of its own)."""
        memo = self.memo
        if memo is None:
            return _nesting(e, depth)
        key = tuple(depth.get(n, 0) for n in self.expr_refs(e)[1])
        kept = self._nesting_next.get(id(e)) or memo.nesting.get(id(e))
        if kept is not None and kept[0] is e and kept[1] == key:
            self._nesting_next[id(e)] = kept
            return kept[2]  # type: ignore[no-any-return]
        got = _nesting(e, depth)
        self._nesting_next[id(e)] = (e, key, got)
        return got

    def family_fields(self, header: ast.Header, references: tuple[ir.Reference, ...],
                      rule: ir.AmendmentRule | None) -> dict[str, Any]:
        comp = self.composition
        amendment = None
        if header.kind == "amendment" and comp is not None and comp.base_file is not None:
            amendment = ir.Amendment(header.name, header.title, comp.base_file,
                                     header.writing or "", comp.own_dated,
                                     ir.Cite(None, header.span), header.retroactive)
        return {
            "base_file": comp.base_file if comp else None,
            "based_on": comp.chain if comp else (),
            "amendment": amendment,
            "refers": {r.name: r.title for r in header.refers},
            "references": references,
            "amendment_rule": rule,
            "standing": dict(comp.standing) if comp else {},
        }

    def check_source(self, file: str, source: str, span: Span | None) -> None:
        """The agreement's text must exist inside the contract's own directory tree."""
        from pathlib import Path

        from . import files

        root = files.real(Path(file)).parent
        target = files.real(root / source)
        if not target.is_relative_to(root):
            self.err("E212", f"source {source!r} leaves the contract's directory tree", span,
                     "keep the agreement's text beside the clause file, e.g. in text/")
        elif not files.is_file(target):
            self.err("E212", f"source {source!r}: no such file", span,
                     "the path is relative to the clause file")

    # ── declarations ────────────────────────────────────────────────────────

    def declare(self, kind: str, name: str, span: Span | None) -> bool:
        if name in self.reserved:
            self.err("E206", f"'{name}' is a keyword of the language and cannot name a {kind}",
                     span, f"choose another name, such as '{name}_'")
            return False
        if name in self.decl_spans:
            prev = self.decl_spans[name]
            self.err("E202", f"'{name}' is declared twice", span,
                     labels=(Label(prev, "first declared here"),) if prev else ())
            return False
        self.decl_spans[name] = span
        return True

    def local_name(self, name: str, span: Span | None, kind: str) -> None:
        """A parameter or variable: its name cannot be a keyword either."""
        if name in self.reserved:
            self.err("E206", f"'{name}' is a keyword of the language and cannot name {kind}",
                     span, f"choose another name, such as '{name}_'")

    def collect_section(self, s: ast.Section) -> None:
        if s.number in self.sections:
            prev = self.sections[s.number][0].span
            self.err("E406", f"section {s.number} appears twice", s.span,
                     "put all clauses of a section under one heading",
                     labels=(Label(prev, "first here"),) if prev else ())
            return
        self.sections[s.number] = (s, s.heading)
        for d in s.items:
            self.collect(d, s.number, s.heading)

    def collect(self, d: ast.Decl, section: str | None, heading: str) -> None:
        # (the commonest first)
        if isinstance(d, (ast.Clause, ast.ExceptionDecl, ast.NonOperative, ast.Governed)):
            if section is None:
                what = "exception" if isinstance(d, ast.ExceptionDecl) else "clause"
                self.err("E210", f"{what} '{d.name}' is not inside a section", d.span,
                         'every clause names its section: put it after `section N "Heading"`')
                return
            if isinstance(d, ast.Clause):
                self.clauses.append((d, section, heading))
            elif isinstance(d, ast.Governed):
                self.governed.append((d, section, heading))
            elif isinstance(d, ast.NonOperative):
                self.provisions.append((d, section, heading))
            else:
                self.exceptions.append((d, section))
        elif isinstance(d, ast.Define | ast.StateDecl):
            if self.declare("definition", d.name, d.span):
                self.def_decls[d.name] = (d, section)
        elif isinstance(d, ast.PartyDecl):
            if self.declare("party", d.name, d.span):
                self.parties[d.name] = d.title
        elif isinstance(d, ast.RoleDecl):
            if self.declare("role", d.name, d.span):
                self.roles[d.name] = d.title
        elif isinstance(d, ast.EnumDecl):
            if self.declare("enumeration", d.name, d.span):
                self.enums[d.name] = d
                seen: set[str] = set()
                for m in d.members:
                    if m.name in seen:
                        self.err("E202", f"'{m.name}' appears twice in enum {d.name}", m.span)
                    if m.name in self.reserved:
                        self.err("E206", f"'{m.name}' is a keyword and cannot be an enum member",
                                 m.span)
                    seen.add(m.name)
                    self.enum_members.setdefault(m.name, []).append(d.name)
        elif isinstance(d, ast.FactDecl):
            if self.declare("fact", d.name, d.span):
                self.fact_decls[d.name] = (d, section)
        elif isinstance(d, ast.EventDecl):
            if self.declare("event", d.name, d.span):
                self.event_decls[d.name] = (d, section)
        elif isinstance(d, (ast.Replace, ast.Remove, ast.TermMark)):
            word = {ast.Replace: "replace", ast.Remove: "remove"}.get(type(d)) or \
                getattr(d, "status", "known")
            self.err("E214", f"`{word}` belongs in a variant or an amendment", d.span,
                     "write it in the file whose header says `variant of` or `amends`, not in "
                     "a file it imports")
        elif isinstance(d, ast.AmendedBy):
            if section is None:
                self.err("E210", "`amended by` is not inside a section", d.span,
                         "put it in the section that says how the agreement may be amended")
                return
            self.amended_by.append((d, section))
        elif isinstance(d, ast.Survives):
            if section is None:
                self.err("E210", "`survives while` is not inside a section", d.span,
                         "put it in the section that says how long the agreement lasts")
                return
            self.survives.append((d, section))
        elif isinstance(d, ast.CheckDecl):
            if section is None:
                self.err("E210", f"check '{d.name}' is not inside a section", d.span,
                         'every check names its section: put it after `section N "Heading"`')
                return
            if ("check", section, d.name) in self._declared:
                self.err("E202", f"check '{section}.{d.name}' is declared twice",
                         d.name_span or d.span)
                return
            self._declared.add(("check", section, d.name))
            self.check_decls.append((d, section))
        elif isinstance(d, ast.Reading):
            if ("reading", None, d.name) in self._declared:
                self.err("E202", f"reading '{d.name}' is declared twice", d.span)
            self._declared.add(("reading", None, d.name))
            self.readings.append(ir.Reading(d.name, d.text, ir.Cite(section, d.span)))

    def resolve_type(self, t: ast.TypeExpr) -> Type:
        if isinstance(t, ast.OptionalType):
            return T.opt_t(self.resolve_type(t.inner))
        if isinstance(t, ast.SetType):
            return T.set_t(self.resolve_type(t.elem))
        if isinstance(t, ast.MapType):
            return T.map_t(self.resolve_type(t.key), self.resolve_type(t.value))
        if isinstance(t, ast.UnionType):
            for n in t.names:
                if n not in self.event_decls:
                    return self.unknown("event", n, t.span, self.event_decls, code="E203")
            return T.event_t(*t.names)
        n = t.name
        if n in T.PRIMITIVES:
            return T.prim(n)
        if n == "event":
            return T.ANY_EVENT
        if n == "party":
            return T.ANY_PARTY
        if n in self.enums:
            return T.enum_t(n)
        if n in self.roles:
            return T.party_t(n)
        if n in self.event_decls:
            return T.event_t(n)
        cands = [*T.PRIMITIVES, "event", "party", *self.enums, *self.roles, *self.event_decls]
        return self.unknown("type", n, t.span, cands, code="E203")

    def resolve_signatures(self) -> None:
        memo = self.memo
        names = (tuple(self.enums), tuple(self.roles), tuple(self.event_decls))
        kept: dict[int, tuple[Any, ...]] = {}
        old = memo.sigs if memo is not None and memo.sig_names == names else {}

        def resolved(node: Any, key: Any, compute: Callable[[], Any]) -> Any:
            """What `compute` makes of `node`, kept in the memo with its diagnostics: a
            declaration's types depend on the names of the types alone."""
            hit = old.get(id(node))
            if hit is None or hit[0] is not node or hit[1] != key:
                first = len(self.diags)
                hit = (node, key, compute(), self.diags[first:])
            else:
                self.diags.extend(hit[3])
            kept[id(node)] = hit
            return hit[2]

        for name, (d, sec) in self.fact_decls.items():
            self.facts[name] = resolved(d, (name, sec),
                                        functools.partial(self.fact_signature, name, d, sec))
        for name, (ev, sec) in self.event_decls.items():
            self.events[name] = resolved(ev, (name, sec),
                                         functools.partial(self.event_signature, name, ev, sec))
        for name, (define, _) in self.def_decls.items():
            self.def_sigs[name] = resolved(define, name,
                                           functools.partial(self.definition_signature, define))
        if memo is not None:
            memo.sigs, memo.sig_names = kept, names

    def fact_signature(self, name: str, d: ast.FactDecl, sec: str | None) -> ir.Fact:
        for p in d.params:
            self.local_name(p.name, p.span, "a parameter")
        params = tuple((p.name, self.resolve_type(p.type)) for p in d.params)
        for (pn, pt), p in zip(params, d.params, strict=True):
            if pt.kind not in ("party", "enum", "event", "error"):
                self.err("E302", f"fact parameter '{pn}' has type {pt}; fact parameters "
                         "must be parties, enumerations or events", p.span,
                         "the fact file keys each value by a party, member or event id")
        return ir.Fact(name, params, self.resolve_type(d.type), d.title, d.qualitative,
                       ir.Cite(sec, d.span), d.over_time)

    def event_signature(self, name: str, ev: ast.EventDecl, sec: str | None) -> ir.Event:
        fields = []
        seen: set[str] = set()
        for f in ev.fields:
            if f.name in ("date", "id"):
                self.err("E202", f"every event already has a field '{f.name}'", f.span)
            elif f.name in seen:
                self.err("E202", f"field '{f.name}' appears twice in event {name}", f.span)
            seen.add(f.name)
            fields.append((f.name, self.resolve_type(f.type)))
        return ir.Event(name, tuple(fields), ev.title, ev.qualitative, ir.Cite(sec, ev.span))

    def definition_signature(self, define: ast.Define | ast.StateDecl
                             ) -> tuple[tuple[tuple[str, Type], ...], Type]:
        for p in define.params:
            self.local_name(p.name, p.span, "a parameter")
        params = tuple((p.name, self.resolve_type(p.type)) for p in define.params)
        return params, self.resolve_type(define.type)

    def check_definition(self, name: str, d: ast.Define | ast.StateDecl, sec: str | None
                         ) -> None:
        params, rtype = self.def_sigs[name]
        self.current_def = name
        self.def_deps[name] = set()
        scope = _Scope(dict(params))
        if isinstance(d, ast.StateDecl):
            body = self.state_body(name, d, scope, rtype)
        else:
            body = self.expr(d.expr, scope)
            self.expect(body, rtype, d.expr.span, f"the definition of '{name}'")
        self.current_def = None
        self.definitions[name] = ir.Definition(name, params, rtype, d.title, body,
                                               ir.Cite(sec, d.span))

    def state_body(self, name: str, d: ast.StateDecl, scope: _Scope, rtype: Type) -> ir.E:
        """A state as a definition whose body folds its events: `fold` with the initial value,
        then for each step the events it reads (for the stages that ask which events a
        definition reads), its `where` if any, and the value it makes."""
        initial = self.expr(d.initial, scope)
        self.expect(initial, rtype, d.initial.span, f"the initial value of '{name}'")
        args: list[ir.E] = [initial]
        steps: list[tuple[tuple[str, ...], str, bool]] = []
        before = scope.bind(name, rtype)  # in a step, the name is the value before the event
        for st in d.steps:
            for n in ast.walk((st.where, st.expr)):
                if isinstance(n, ast.Call) and n.func == name:
                    self.err("E401", f"a step of state '{name}' uses '{name}(...)' itself",
                             n.span, f"its value before the event is the bare name '{name}'; "
                             "a call would wait on the value being computed")
            trigger, inner = self.trigger(
                ast.Upon(st.events, st.var, st.where, st.span, st.event_spans), before)
            value = self.expr(st.expr, inner)
            self.expect(value, rtype, st.expr.span, f"the value '{name}' takes upon "
                        f"{' or '.join(st.events)}")
            args.append(ir.E("events", T.set_t(T.event_t(*st.events)), data=tuple(st.events),
                             span=st.span))
            if trigger.where is not None:
                args.append(trigger.where)
            args.append(value)
            steps.append((tuple(st.events), st.var, trigger.where is not None))
        self.def_deps[name].discard(name)  # a call of itself is reported above, once
        return ir.E("fold", rtype, tuple(args), (name, tuple(steps)), d.span)

    def check_def_cycles(self) -> list[str]:
        """Depth-first search with an explicit stack: long chains of definitions are fine.
        Returns the definitions each after those it uses (a cycle's back edge aside).  A
        cycle is E401 unless its definitions form a recursive group (`recursive_groups`)."""
        memo = self.memo
        # (a cycle's message names where its definitions are: found again, not replayed)
        if memo is not None and self._reuse and memo.graph is not None \
                and not memo.graph[4] and memo.graph[0] == self.def_deps:
            _, self.groups, self.group_faults, order, diags = memo.graph
            self.diags.extend(diags)
            return list(order)
        first = len(self.diags)
        order = self._def_cycles()
        if memo is not None:
            memo.graph = ({n: set(ds) for n, ds in self.def_deps.items()}, self.groups,
                          self.group_faults, list(order), self.diags[first:])
        return order

    def _def_cycles(self) -> list[str]:
        groups = self.groups = self.recursive_groups()
        state: dict[str, int] = {}
        order: list[str] = []
        for root in sorted(self.def_deps):
            if root in state:
                continue
            state[root] = 1
            path = [root]
            todo = [iter(sorted(self.def_deps.get(root, ())))]
            while todo:
                m = next(todo[-1], None)
                if m is None:
                    todo.pop()
                    done = path.pop()
                    state[done] = 2
                    order.append(done)
                    continue
                if state.get(m) == 1:
                    if m in groups and groups[m] is groups.get(path[-1]):
                        continue  # recursion on earlier events, checked as a group
                    cycle = path[path.index(m):] + [m]
                    d = self.def_decls[m][0]
                    hints = ["a definition may use another only if that one does not use "
                             "it back, or only for an earlier event (recursion: every "
                             "definition of the cycle has an event parameter, and the cycle "
                             "passes through one whose parameters are all events, which "
                             "recurses on its last parameter)"]
                    fault = self.group_faults.get(m)
                    if fault is not None:
                        hints.insert(0, fault)
                    self.err("E401", "definitions refer to each other in a cycle: "
                             + " → ".join(cycle), d.span, *hints)
                elif m not in state:
                    state[m] = 1
                    path.append(m)
                    todo.append(iter(sorted(self.def_deps.get(m, ()))))
        return order

    def recursive_groups(self) -> dict[str, tuple[str, ...]]:
        """The definitions that use one another in a cycle and may: every definition of the
        cycle's strongly connected component has an event parameter, and every cycle passes
        through one whose parameters are all events (a *stepping* definition: it recurses on
        its last parameter, for the same other arguments, so all the group's stepping
        definitions have the same other parameters), so that, evaluated on the earlier
        events first, none waits on itself.  By member, its group (the same tuple object for
        all).  For a component that does not qualify, `self.group_faults` says why, by
        member (the E401 hint)."""
        out: dict[str, tuple[str, ...]] = {}
        self.group_faults = {}
        for comp in _components(self.def_deps):
            if len(comp) == 1 and comp[0] not in self.def_deps.get(comp[0], ()):
                continue  # no cycle
            sigs = {n: self.def_sigs.get(n, ((), None))[0] for n in comp}
            eventless = [n for n in comp if not any(t.kind == "event" for _, t in sigs[n])]
            if eventless:
                if len(eventless) == len(comp):
                    continue  # a plain cycle, no recursion on events
                fault = (f"'{eventless[0]}' has no event parameter: every definition of a "
                         "recursive cycle needs one")
                self.group_faults.update(dict.fromkeys(comp, fault))
                continue
            stepping = {n for n in comp if _steps(sigs[n])}
            rest = {n: {m for m in self.def_deps.get(n, ()) if m in comp and m not in stepping}
                    for n in comp if n not in stepping}
            loops = [c for c in _components(rest) if len(c) > 1 or c[0] in rest.get(c[0], ())]
            if loops:  # a cycle that no stepping definition breaks (or none has one)
                fault = (f"the cycle through {', '.join(repr(n) for n in loops[0])} passes "
                         "through no definition whose parameters are all events (recursion "
                         "steps on the last of them, for earlier events)")
                self.group_faults.update(dict.fromkeys(comp, fault))
                continue
            fixed = {n: tuple(t for _, t in sigs[n][:-1]) for n in sorted(stepping)}
            odd = [n for n in fixed if fixed[n] != next(iter(fixed.values()))]
            if odd:  # the recursion keeps the other arguments: they must be alike
                fault = (f"'{next(iter(fixed))}' and '{odd[0]}' recurse on their last "
                         "parameters but differ in the others: the recursion keeps those, so "
                         "they must be the same")
                self.group_faults.update(dict.fromkeys(comp, fault))
                continue
            group = tuple(sorted(comp))
            for n in comp:
                out[n] = group
        return out

    def check_depth(self, order: Sequence[str], norms: Sequence[ir.Norm],
                    exceptions: Sequence[ir.Exception_], checks: Sequence[ir.Check]) -> None:
        """E407: no expression takes more than MAX_EVAL_DEPTH levels of evaluation.  Reported
        once, where the limit is passed: at the definition (or clause) whose own body passes
        it, not at the definitions and clauses that use it.  `order`: the definitions, each
        after those it uses (check_def_cycles)."""
        memo = self.memo
        defs = tuple(self.definitions.get(name) for name in order)
        kept = memo.depths if memo is not None else None
        if kept is not None and not kept[5] and kept[0] == order and len(kept[1]) == len(defs) \
                and all(a is b for a, b in zip(kept[1], defs, strict=True)) \
                and kept[2] == self.groups:
            depth, through = dict(kept[3]), dict(kept[4])
            self.diags.extend(kept[5])
            assert memo is not None
            for d in defs:  # their nesting stays in the memo, for an edit that needs it
                if d is not None and id(d.body) in memo.nesting:
                    self._nesting_next[id(d.body)] = memo.nesting[id(d.body)]
                    self._carry_refs(d.body)
        else:
            first = len(self.diags)
            depth, through = self.definition_depths(order)
            if memo is not None:
                memo.depths = (list(order), defs, dict(self.groups), dict(depth),
                               dict(through), self.diags[first:])
        roots = [(f"clause {n.id}", e) for n in norms for e in ir.norm_exprs(n)]
        roots += [(f"exception {x.id}", e) for x in exceptions for e in ir.exception_exprs(x)]
        roots += [(f"check {c.id}", c.cond) for c in checks]
        # the definitions' depths as last time: an expression kept in the memo has its depth
        same = memo is not None and memo.root_depths == depth
        if memo is not None:
            memo.root_depths = depth
        for what, e in roots:
            hit = memo.nesting.get(id(e)) if same else None  # type: ignore[union-attr]
            if hit is not None and hit[0] is e:
                self._nesting_next[id(e)] = hit
                self._carry_refs(e)
                levels, via, over = hit[2]
            else:
                levels, via, over = self.nesting(e, depth)
            if levels > MAX_EVAL_DEPTH and not over:
                self._too_deep(f"this expression of {what}", levels, via, through, e.span)

    def definition_depths(self, order: Sequence[str]
                          ) -> tuple[dict[str, int], dict[str, str | None]]:
        """The levels of evaluation of each definition and the call on its deepest path;
        E407 for those over the limit (`check_depth`)."""
        depth: dict[str, int] = {}
        through: dict[str, str | None] = {}
        # a recursive group: a call inside it for an earlier event finds its answer computed
        # (the evaluator computes the group's stepping definitions on the earlier events
        # first), one for the same event computes it then, at most once per definition and
        # arguments (which keep all but the last); so the group's depth is at most the sum of
        # its definitions' own (each inner call one level), and a call into it from outside
        # takes that many
        own: dict[str, int] = {}
        for name in order:
            d = self.definitions.get(name)
            if d is None:  # a name the checker reported as unknown
                continue
            group = self.groups.get(name)
            if group is None:
                levels, via, over = self.nesting(d.body, depth)
                depth[name], through[name] = levels, via
                if levels > MAX_EVAL_DEPTH and not over:
                    self._too_deep(f"evaluating '{name}'", levels, via, through,
                                   self.def_decls[name][0].span)
                continue
            levels, via, over = self.nesting(d.body, {**depth, **dict.fromkeys(group, 1)})
            own[name], through[name] = levels, via
            if all(m in own for m in group):
                total = sum(own[m] for m in group)
                for m in group:
                    depth[m] = total
                if total > MAX_EVAL_DEPTH:
                    self._too_deep(f"evaluating the recursive definitions {', '.join(group)}",
                                   total, None, through, self.def_decls[group[0]][0].span)
        return depth, through

    def _too_deep(self, what: str, levels: int, via: str | None,
                  through: dict[str, str | None], span: Span | None) -> None:
        chain: list[str] = []
        while via is not None:
            chain.append(via)
            via = through.get(via)
        hints = []
        if chain:
            shown = " → ".join(chain if len(chain) <= 6 else [*chain[:4], "…", chain[-1]])
            many = f" ({len(chain)} definitions)" if len(chain) > 6 else ""
            hints.append(f"its deepest path runs through {shown}{many}")
        hints.append("compute long chains in fewer steps: fewer definitions each using the "
                     "next, or fewer operations inside one another")
        self.err("E407", f"{what} nests {levels} levels deep; the limit is {MAX_EVAL_DEPTH}",
                 span, *hints)

    def expect(self, e: ir.E, want: Type, span: Span | None, what: str) -> None:
        if _ok(e.type) or _ok(want) or T.assignable(e.type, want):
            return
        hint: tuple[str, ...] = ()
        if _has_unrounded(e.type):
            hint = ("round it explicitly, e.g. round(..., half_up) or round(..., down)",)
        elif e.type.optional and T.assignable(e.type.inner, want):
            hint = ("the value may be none; use earlier(...) or if exists(x) then ... else ...",)
        self.err("E301", f"{what} is {e.type}, but {want} is expected", span, *hint)

    def boolean(self, e: ast.Expr, scope: _Scope, what: str) -> ir.E:
        out = self.expr(e, scope)
        written = _source_text(e.span)
        if written and out.type.inner.kind in T.NUMERIC and not _ok(out.type):
            self.err("E301", f"{what} is {out.type}, but bool is expected", e.span,
                     f"a condition is true or false; compare the number, e.g. {written} > 0")
            return out
        self.expect(out, T.BOOL, e.span, what)
        return out

    def date_expr(self, e: ast.Expr, scope: _Scope, what: str) -> ir.E:
        out = self.expr(e, scope)
        self.expect(out, T.opt_t(T.DATE), e.span, what)
        return out

    # ── expressions ─────────────────────────────────────────────────────────

    def expr(self, e: ast.Expr, scope: _Scope) -> ir.E:
        sp = e.span
        if isinstance(e, ast.Literal):
            return self.literal(e)
        if isinstance(e, ast.DurationLit):
            return ir.E("duration", T.DURATION, data=(e.amount, e.unit), span=sp)
        if isinstance(e, ast.NthAfter):
            anchor = self.date_expr(e.anchor, scope, "the date counted from")
            t = T.opt_t(T.DATE) if anchor.type.optional else T.DATE
            return ir.E("nth", t, (anchor,), (e.amount, e.unit), sp)
        if isinstance(e, ast.Name):
            return self.name(e, scope)
        if isinstance(e, ast.Call):
            return self.call(e, scope)
        if isinstance(e, ast.Attr):
            return self.attr(e, scope)
        if isinstance(e, ast.Index):
            obj = self.expr(e.obj, scope)
            key = self.expr(e.key, scope)
            if _ok(obj.type):
                return ir.E("error", ERROR, span=sp)
            if obj.type.kind != "map":
                self.err("E301", f"only a map can be indexed; this is {obj.type}", e.obj.span)
                return ir.E("error", ERROR, span=sp)
            self.expect(key, obj.type.args[0], e.key.span, "the key")
            return ir.E("index", obj.type.args[1], (obj, key), span=sp)
        if isinstance(e, (ast.Aggregate, ast.AggregateSet)):
            return self.aggregate(e, scope)
        if isinstance(e, ast.Allocate):
            return self.allocate(e, scope)
        if isinstance(e, ast.SetComprehension):
            val, src, where = self.ranged(e, scope)
            args = (val, src) + ((where,) if where else ())
            return ir.E("setcomp", T.set_t(val.type), args, e.var, sp)
        if isinstance(e, ast.SetLiteral):
            items = tuple(self.expr(i, scope) for i in e.items)
            elem: Type = T.NOTHING
            for it, ie in zip(items, e.items, strict=True):
                j = T.join(elem, it.type)
                if j is None and not _ok(it.type):
                    self.err("E301", f"a set cannot mix {elem} and {it.type}", ie.span)
                elem = j or ERROR
            return ir.E("setlit", T.set_t(elem), items, span=sp)
        if isinstance(e, ast.BinOp):
            return self.arith(e, scope)
        if isinstance(e, ast.Compare):
            left, right = self.expr(e.left, scope), self.expr(e.right, scope)
            if not (_ok(left.type) or _ok(right.type)):
                if e.op in ("==", "!="):
                    if T.join(left.type, right.type) is None:
                        self.err("E301", f"cannot compare {left.type} with {right.type}", sp)
                elif not T.comparable(left.type, right.type):
                    kinds = {left.type.inner.kind, right.type.inner.kind}
                    hint: tuple[str, ...] = ()
                    if "date" in kinds and kinds & T.NUMERIC:
                        hint = ("a date compares with a date: add a duration to one side "
                                "(d.date + 30 days) or count days with days_between(a, b)",)
                    self.err("E301", f"cannot compare {left.type} with {right.type} using "
                             f"{e.op}", sp, *hint,
                             expected="two numbers of one kind, two dates, two texts or two events")
            return ir.E("cmp", T.BOOL, (left, right), e.op, sp)
        if isinstance(e, ast.Member):
            item, coll = self.expr(e.item, scope), self.expr(e.collection, scope)
            if not (_ok(item.type) or _ok(coll.type)):
                if coll.type.kind == "set":
                    elem = coll.type.elem
                elif coll.type.kind == "map":
                    elem = coll.type.args[0]
                else:
                    self.err("E301", f"'in' needs a set or a map on its right; this is "
                             f"{coll.type}", e.collection.span)
                    elem = ERROR
                if not _ok(elem) and elem.kind != "nothing" and T.join(item.type, elem) is None:
                    self.err("E301", f"a {item.type} cannot be a member of a set of {elem}", sp)
            return ir.E("member", T.BOOL, (item, coll), e.negated, sp)
        if isinstance(e, ast.BoolOp):
            left = self.boolean(e.left, scope, f"the left side of '{e.op}'")
            right = self.boolean(e.right, scope, f"the right side of '{e.op}'")
            return ir.E(e.op, T.BOOL, (left, right), span=sp)
        if isinstance(e, ast.Not):
            return ir.E("not", T.BOOL, (self.boolean(e.expr, scope, "the operand of 'not'"),),
                        span=sp)
        if isinstance(e, ast.Neg):
            x = self.expr(e.expr, scope)
            if not _ok(x.type) and x.type.inner.kind not in T.NUMERIC:
                self.err("E301", f"cannot negate {x.type}", sp)
            return ir.E("neg", x.type, (x,), span=sp)
        if isinstance(e, ast.StatusTest):
            return self.status_test(e, scope)
        if isinstance(e, ast.AsOf):
            inner = self.expr(e.expr, scope)
            day = self.expr(e.day, scope)
            self.expect(day, T.DATE, e.day.span, "the day of 'as of'")
            return ir.E("at", inner.type, (inner, day), span=sp)
        if isinstance(e, ast.IfThenElse):
            cond = self.boolean(e.cond, scope, "the condition of 'if'")
            a, b = self.expr(e.then, scope), self.expr(e.otherwise, scope)
            if (cond.op == "builtin" and cond.data[0] == "exists" and cond.args[0] == a
                    and a.type.optional):
                # `if exists(x) then x else y`: in the `then` branch x is not none
                a = attrs.evolve(a, type=a.type.inner)
            joined = None if _ok(a.type) or _ok(b.type) else T.join(a.type, b.type)
            if joined is None and not (_ok(a.type) or _ok(b.type)):
                self.err("E301", f"'then' gives {a.type} but 'else' gives {b.type}", sp)
            return ir.E("if", joined or ERROR, (cond, a, b), span=sp)
        raise AssertionError(type(e))  # pragma: no cover

    def status_test(self, e: ast.StatusTest, scope: _Scope) -> ir.E:
        """`§S.name[args] is STATUS`: the clause must exist and be evaluated (not
        nonoperative), its arguments name one instance (bearer, then event), and the status
        is one an answer can have."""
        sp = e.span
        args = tuple(self.expr(a, scope) for a in e.args)
        found = [c for c, sec, _ in self.clauses if sec == e.section and c.name == e.clause]
        if not found:
            known = [f"§{sec}.{c.name}" for c, sec, _ in self.clauses]
            self.unknown("clause", f"§{e.section}.{e.clause}", sp, known)
            return ir.E("error", ERROR, span=sp)
        c = found[0]
        want: list[tuple[str, Type]] = []
        if isinstance(c.bearer, ast.BearerEach):
            want.append((c.bearer.role, self.resolve_type(ast.NamedType(c.bearer.role,
                                                                        c.bearer.span))))
        upon = [p for p in c.parts if isinstance(p, ast.Upon)]
        if upon:
            want.append((" or ".join(upon[0].events), T.event_t(*upon[0].events)))
        ref = f"§{e.section}.{e.clause}"
        if len(args) != len(want):
            usage = ref + ("[" + ", ".join(w for w, _ in want) + "]" if want else "")
            what = (" and ".join(f"its {w}" for w, _ in want) if want else "nothing: it has "
                    "one answer")
            return self.err_e("E302", f"{ref} names an answer by {what}: give {len(want)} "
                              f"argument(s), not {len(args)}", sp, f"write {usage} is STATUS")
        for a, ae, (what, t) in zip(args, e.args, want, strict=True):
            if t.kind == "event" and a.type.kind == "event" and a.type.names & t.names:
                continue  # an event of another type has an answer too: not triggered
            self.expect(a, t, ae.span, f"the {what} of {ref}")
        if e.status not in INSTANCE_STATUSES:
            guess = did_you_mean(e.status, INSTANCE_STATUSES)
            return self.err_e("E302", f"'{e.status}' is not a status an answer can have",
                              e.status_span or sp,
                              *((f"did you mean '{guess}'?",) if guess else ()),
                              "one of " + ", ".join(INSTANCE_STATUSES))
        if self.current_def is not None:
            self.status_uses.setdefault(self.current_def, set()).add(f"{e.section}.{e.clause}")
        return ir.E("status", T.BOOL, args, (f"{e.section}.{e.clause}", e.status,
                                              isinstance(c.bearer, ast.BearerEach),
                                              bool(upon)), sp)

    def literal(self, e: ast.Literal) -> ir.E:
        from decimal import Decimal
        from fractions import Fraction

        k, v = e.kind, e.value
        if k == "int":
            return ir.E("lit", T.INT, data=v, span=e.span)
        if k == "decimal":
            assert isinstance(v, Decimal)
            return ir.E("lit", T.RATIO, data=Fraction(v), span=e.span)
        if k == "percent":
            assert isinstance(v, Decimal)
            return ir.E("lit", T.RATIO, data=Fraction(v) / 100, span=e.span)
        if k == "money":
            return ir.E("lit", T.MONEY, data=v, span=e.span)
        if k == "date":
            return ir.E("lit", T.DATE, data=v, span=e.span)
        if k == "text":
            return ir.E("lit", T.TEXT, data=v, span=e.span)
        if k == "bool":
            return ir.E("lit", T.BOOL, data=v, span=e.span)
        return ir.E("lit", T.NONE, data=None, span=e.span)

    def all_names(self, scope: _Scope) -> list[str]:
        return [*scope.names, *self.def_sigs, *self.facts, *self.parties, *self.roles,
                *self.events, *self.enum_members]

    def name(self, e: ast.Name, scope: _Scope) -> ir.E:
        n, sp = e.name, e.span
        if n in scope.names:
            return ir.E("local", scope.names[n], data=n, span=sp)
        if n in self.def_sigs:
            params, rtype = self.def_sigs[n]
            if params:
                self.err("E302", f"'{n}' needs {_args(len(params))}", sp,
                         f"write {n}({', '.join(p for p, _ in params)})")
                return ir.E("error", ERROR, span=sp)
            self.note_dep(n)
            return ir.E("call", rtype, (), n, sp)
        if n in self.facts:
            f = self.facts[n]
            if f.params:
                self.err("E302", f"fact '{n}' needs {_args(len(f.params))}", sp,
                         f"write {n}({', '.join(p for p, _ in f.params)})")
                return ir.E("error", ERROR, span=sp)
            return ir.E("fact", f.type, (), n, sp)
        if n in self.parties:
            return ir.E("party", T.ANY_PARTY, data=n, span=sp)
        if n in self.roles:
            return ir.E("role", T.set_t(T.party_t(n)), data=n, span=sp)
        if n in self.events:
            return ir.E("events", T.set_t(T.event_t(n)), data=(n,), span=sp)
        if n in self.enum_members:
            owners = self.enum_members[n]
            if len(owners) > 1:
                self.err("E201", f"'{n}' is a member of several enumerations: "
                         + ", ".join(owners), sp, f"write {owners[0]}.{n}")
                return ir.E("error", ERROR, span=sp)
            return ir.E("lit", T.enum_t(owners[0]), data=n, span=sp)
        if n in BUILTINS:
            self.err("E302", f"'{n}' is a function; call it with arguments", sp)
            return ir.E("error", ERROR, span=sp)
        self.unknown("name", n, sp, self.all_names(scope))
        return ir.E("error", ERROR, span=sp)

    def note_dep(self, name: str) -> None:
        if self.current_def is not None:
            self.def_deps.setdefault(self.current_def, set()).add(name)

    def call(self, e: ast.Call, scope: _Scope) -> ir.E:
        f, sp = e.func, e.span
        args = tuple(self.expr(a, scope) for a in e.args) if f != "round" else ()
        if f in self.def_sigs:
            params, rtype = self.def_sigs[f]
            self.check_args(f, params, args, e)
            self.note_dep(f)
            return ir.E("call", rtype, args, f, sp)
        if f in self.facts:
            fact = self.facts[f]
            self.check_args(f, fact.params, args, e)
            return ir.E("fact", fact.type, args, f, sp)
        if f in BUILTINS:
            return self.builtin(e, args, scope)
        cands = [*self.def_sigs, *self.facts, *BUILTINS]
        self.unknown("function", f, sp, cands)
        return ir.E("error", ERROR, span=sp)

    def check_args(self, f: str, params: Sequence[tuple[str, Type]], args: Sequence[ir.E],
                   e: ast.Call) -> None:
        if len(params) != len(args):
            self.err("E302", f"'{f}' takes {_args(len(params))}, not {len(args)}", e.span,
                     f"write {f}({', '.join(p for p, _ in params)})")
            return
        for (pn, pt), a, ae in zip(params, args, e.args, strict=True):
            self.expect(a, pt, ae.span, f"argument '{pn}' of '{f}'")

    def builtin(self, e: ast.Call, args: tuple[ir.E, ...], scope: _Scope) -> ir.E:
        f, sp = e.func, e.span

        def arity(*ns: int) -> bool:
            if len(e.args) not in ns:
                self.err("E302", f"'{f}' takes {' or '.join(map(str, ns[:-1]))}"
                         f"{' or ' if len(ns) > 1 else ''}{_args(ns[-1])}, not {len(e.args)}",
                         sp, f"write {BUILTIN_USAGE[f]}")
                return False
            return True

        if f == "keys":
            if not arity(1):
                return ir.E("error", ERROR, span=sp)
            m = args[0]
            if _ok(m.type):
                return ir.E("error", ERROR, span=sp)
            if m.type.kind != "map":
                self.err("E301", f"keys(...) needs a map; this is {m.type}", e.args[0].span)
                return ir.E("error", ERROR, span=sp)
            return ir.E("builtin", T.set_t(m.type.args[0]), args, ("keys", None), sp)
        if f == "exists":
            if not arity(1):
                return ir.E("error", ERROR, span=sp)
            return ir.E("builtin", T.BOOL, args, ("exists", None), sp)
        if f in ("earlier", "later"):
            if len(args) < 1:
                return self.err_e("E302", f"'{f}' needs at least one date", sp)
            certain = False
            for a, ae in zip(args, e.args, strict=True):
                self.expect(a, T.opt_t(T.DATE), ae.span, f"an argument of '{f}'")
                certain = certain or a.type == T.DATE
            # one certain date makes the result certain: none arguments are skipped
            t = T.DATE if certain else T.opt_t(T.DATE)
            return ir.E("builtin", t, args, (f, None), sp)
        if f == "days_between":
            if not arity(2):
                return ir.E("error", ERROR, span=sp)
            for a, ae in zip(args, e.args, strict=True):
                self.expect(a, T.opt_t(T.DATE), ae.span, "an argument of 'days_between'")
            opt = any(a.type.optional for a in args)
            return ir.E("builtin", T.opt_t(T.INT) if opt else T.INT, args, (f, None), sp)
        if f in ("days", "business_days", "months"):
            if not arity(1):
                return ir.E("error", ERROR, span=sp)
            self.expect(args[0], T.INT, e.args[0].span, f"the argument of '{f}'")
            return ir.E("builtin", T.DURATION, args, (f, None), sp)
        if f == "abs":
            if not arity(1):
                return ir.E("error", ERROR, span=sp)
            if not _ok(args[0].type) and args[0].type.inner.kind not in T.NUMERIC:
                return self.err_e("E301", f"abs(...) needs a number; this is {args[0].type}",
                                  e.args[0].span)
            return ir.E("builtin", args[0].type, args, (f, None), sp)
        if f == "dates":
            if not arity(2):
                return ir.E("error", ERROR, span=sp)
            for a, ae in zip(args, e.args, strict=True):
                self.expect(a, T.DATE, ae.span, "an argument of 'dates'")
            return ir.E("builtin", T.set_t(T.DATE), args, (f, None), sp)
        if f == "overlap_days":
            if not arity(4):
                return ir.E("error", ERROR, span=sp)
            for a, ae in zip(args, e.args, strict=True):
                self.expect(a, T.opt_t(T.DATE), ae.span, "an argument of 'overlap_days'")
            opt = any(a.type.optional for a in args)
            return ir.E("builtin", T.opt_t(T.INT) if opt else T.INT, args, (f, None), sp)
        if f == "first_day":  # the first day from a day on which a condition holds
            if not arity(2):
                return ir.E("error", ERROR, span=sp)
            self.expect(args[0], T.DATE, e.args[0].span, "the first argument of 'first_day'")
            self.expect(args[1], T.BOOL, e.args[1].span, "the condition of 'first_day'")
            return ir.E("builtin", T.opt_t(T.DATE), args, (f, None), sp)
        if f == "agreement_date":  # the `dated` of the agreement being checked (a variant's own)
            if not arity(0):
                return ir.E("error", ERROR, span=sp)
            header = self.modules[0].header
            if header is not None and header.dated is None:
                return self.err_e("E219", "agreement_date() needs the agreement's date", sp,
                                  "add it to the agreement line: dated YYYY-MM-DD")
            dated = header.dated if header is not None else None
            return ir.E("lit", T.DATE, data=dated, span=sp)
        if f == "round":
            return self.round_call(e, scope)
        raise AssertionError(f)  # pragma: no cover

    def err_e(self, code: str, msg: str, sp: Span | None, *hints: str) -> ir.E:
        self.err(code, msg, sp, *hints)
        return ir.E("error", ERROR, span=sp)

    def round_call(self, e: ast.Call, scope: _Scope) -> ir.E:
        sp = e.span
        if len(e.args) not in (2, 3):
            return self.err_e("E302", "round takes (amount, mode) or (amount, unit, mode)", sp,
                              "for example round(loss * share, $0.01, half_up)")
        x = self.expr(e.args[0], scope)
        mode_e = e.args[-1]
        if not isinstance(mode_e, ast.Name) or mode_e.name not in ROUNDING_MODES:
            got = mode_e.name if isinstance(mode_e, ast.Name) else "this"
            guess = did_you_mean(got, ROUNDING_MODES)
            return self.err_e("E302", f"'{got}' is not a rounding mode", mode_e.span,
                              *((f"did you mean '{guess}'?",) if guess else ()))
        unit = self.expr(e.args[1], scope) if len(e.args) == 3 else None
        t = x.type.inner
        if _ok(t):
            return ir.E("error", ERROR, span=sp)
        base = t.name if t.kind == "unrounded" else t.kind
        if base not in ("money", "shares", "int", "ratio"):
            return self.err_e("E301", f"cannot round {x.type}", e.args[0].span)
        rt = {"money": T.MONEY, "shares": T.SHARES, "int": T.INT, "ratio": T.RATIO}[str(base)]
        args = (x,) + ((unit,) if unit else ())
        return ir.E("builtin", rt, args, ("round", mode_e.name), sp)

    def attr(self, e: ast.Attr, scope: _Scope) -> ir.E:
        sp = e.span
        if (isinstance(e.obj, ast.Name) and e.obj.name in self.enums
                and e.obj.name not in scope.names):
            en = self.enums[e.obj.name]
            members = [m.name for m in en.members]
            if e.name not in members:
                guess = did_you_mean(e.name, members)
                self.err("E201", f"enumeration {en.name} has no member '{e.name}'", sp,
                         *((f"did you mean '{guess}'?",) if guess else ()),
                         expected="one of " + ", ".join(members))
                return ir.E("error", ERROR, span=sp)
            return ir.E("lit", T.enum_t(en.name), data=e.name, span=sp)
        obj = self.expr(e.obj, scope)
        t = obj.type
        if _ok(t):
            return ir.E("error", ERROR, span=sp)
        if t.kind == "instance":  # `for clause c`: c.clause, c.instance, c.bearer, ...
            if e.name not in INSTANCE_FIELDS:
                guess = did_you_mean(e.name, INSTANCE_FIELDS)
                return self.err_e("E201", f"a clause's answer has no '{e.name}'", sp,
                                  *((f"did you mean '{guess}'?",) if guess else ()),
                                  "it has " + ", ".join(INSTANCE_FIELDS))
            return ir.E("field", INSTANCE_FIELDS[e.name], (obj,), e.name, sp)
        if t.inner.kind != "event":
            return self.err_e("E301", f"'.{e.name}' needs an event; this is {t}", sp)
        opt = t.optional
        if e.name == "date":
            ft: Type | None = T.DATE
        elif e.name == "id":
            ft = T.TEXT
        else:
            names = t.inner.names
            if not names:
                return self.err_e("E201", f"'{e.name}' is not a field of every event; only "
                                  "'date' and 'id' are", sp,
                                  "bind a typed variable, e.g. `for DemandNotice d`")
            ft = None
            for n in sorted(names):
                fty = self.events[n].field_type(e.name) if n in self.events else None
                if fty is None:
                    if n not in self.events:
                        return ir.E("error", ERROR, span=sp)
                    fields = [f for f, _ in self.events[n].fields] + ["date", "id"]
                    guess = did_you_mean(e.name, fields)
                    return self.err_e("E201", f"event {n} has no field '{e.name}'", sp,
                                      *((f"did you mean '{guess}'?",) if guess else ()))
                if ft is not None and ft != fty:
                    return self.err_e("E301", f"field '{e.name}' has different types in "
                                      + " and ".join(sorted(names)), sp)
                ft = fty
        assert ft is not None
        return ir.E("field", T.opt_t(ft) if opt else ft, (obj,), e.name, sp)

    def elem_type(self, src: ir.E, span: Span | None) -> Type:
        t = src.type
        if _ok(t):
            return ERROR
        if t.kind == "set":
            return t.elem
        if t.kind == "map":
            return t.args[0]
        self.err("E301", f"expected a set to range over; this is {t}", span)
        return ERROR

    def ranged(self, e: ast.Aggregate | ast.SetComprehension, scope: _Scope
               ) -> tuple[ir.E, ir.E, ir.E | None]:
        """`EXPR for VAR in SOURCE [where COND]`: the value, the source and the condition,
        VAR bound to the source's elements in the value and the condition."""
        src = self.expr(e.source, scope)
        elem = self.elem_type(src, e.source.span)
        self.local_name(e.var, e.span, "a variable")
        inner = scope.bind(e.var, elem)
        where = self.boolean(e.where, inner, "the where condition") if e.where else None
        return self.expr(e.expr, inner), src, where

    def aggregate(self, e: ast.Aggregate | ast.AggregateSet, scope: _Scope) -> ir.E:
        sp = e.span
        func = e.func
        if isinstance(e, ast.Aggregate):
            val, src, where = self.ranged(e, scope)
            var = e.var
        else:
            src = self.expr(e.expr, scope)
            if _ok(src.type):
                return ir.E("error", ERROR, span=sp)
            if src.type.kind == "map":
                elem = src.type.args[1]
                var = "$v"
                val = ir.E("local", elem, data=var, span=sp)
                src = ir.E("builtin", T.set_t(elem), (src,), ("values", None), sp)
            else:
                elem = self.elem_type(src, e.expr.span)
                var = "$v"
                val = ir.E("local", elem, data=var, span=sp)
            where = None
        vt = val.type
        nonempty_literal = src.op == "setlit" and bool(src.args)
        if _ok(vt):
            rt: Type = ERROR
        elif func == "count":
            rt = T.INT
        elif func in ("all", "any"):
            self.expect(val, T.BOOL, sp, f"the value {func}(...) tests")
            rt = T.BOOL
        elif func == "sum":
            if vt.kind not in T.NUMERIC:
                hint = ("durations of different units do not add up; count days with "
                        "days_between(...) and sum the numbers",) if vt.kind == "duration" else ()
                return self.err_e("E301", f"cannot sum {vt}", sp, *hint)
            rt = vt
        elif func in ("min", "max"):
            if vt.inner.kind not in T.NUMERIC and vt.inner.kind != "date":
                return self.err_e("E301", f"cannot take the {func} of {vt}", sp)
            rt = vt if nonempty_literal else T.opt_t(vt)
        else:  # earliest, latest
            if not T.assignable(vt, T.opt_t(T.DATE)):
                return self.err_e("E301", f"{func}(...) needs dates; this is {vt}", sp)
            rt = T.opt_t(T.DATE)
        args = (val, src) + ((where,) if where else ())
        return ir.E("agg", rt, args, (func, var), sp)

    def allocate(self, e: ast.Allocate, scope: _Scope) -> ir.E:
        total = self.expr(e.total, scope)
        src = self.expr(e.source, scope)
        elem = self.elem_type(src, e.source.span)
        weight = self.expr(e.weight, scope.bind(e.var, elem))
        money = total.type == T.MONEY
        if not money:
            self.expect(total, T.SHARES, e.total.span, "the total to allocate")
        self.expect(weight, T.SHARES, e.weight.span, "the weight")
        if e.rounding not in ALLOCATION_ROUNDING:
            guess = did_you_mean(e.rounding, ALLOCATION_ROUNDING)
            self.err("E302", f"'{e.rounding}' is not an allocation rounding", e.rounding_span,
                     *((f"did you mean '{guess}'?",) if guess else ()),
                     expected=" or ".join(ALLOCATION_ROUNDING))
        unit = T.MONEY if money else T.SHARES
        each = scope.bind(e.var, elem)
        parts: list[str] = []
        extra: list[ir.E] = []
        if e.cap is not None:
            cap = self.expr(e.cap, each)
            self.expect(cap, unit, e.cap.span, "the cap (limited to)")
            parts.append("cap")
            extra.append(cap)
        if e.rank is not None:
            rank = self.expr(e.rank, each)
            self.expect(rank, T.INT, e.rank.span, "the rank (ranked by)")
            parts.append("rank")
            extra.append(rank)
        if e.reserve is not None and e.reserve_for is not None:
            floor = self.expr(e.reserve, scope)
            self.expect(floor, unit, e.reserve.span, "the reserve (reserving)")
            cond = self.boolean(e.reserve_for, each, "the holders the reserve is for")
            parts.append("reserve")
            extra += [floor, cond]
        # money is divided in whole cents, shares in whole shares
        return ir.E("allocate", T.map_t(elem, unit),
                    (total, src, weight, *extra), (e.var, e.rounding, tuple(parts)), e.span)

    def arith(self, e: ast.BinOp, scope: _Scope) -> ir.E:
        left, right = self.expr(e.left, scope), self.expr(e.right, scope)
        sp, op = e.span, e.op
        a, b = left.type, right.type
        if _ok(a) or _ok(b):
            return ir.E("arith", ERROR, (left, right), op, sp)
        opt = a.optional or b.optional
        ai, bi = a.inner, b.inner

        def out(t: Type, kind: str) -> ir.E:
            return ir.E("arith", T.opt_t(t) if opt else t, (left, right), (op, kind), sp)

        ka = ai.name if ai.kind == "unrounded" else ai.kind
        kb = bi.name if bi.kind == "unrounded" else bi.kind
        unr = ai.kind == "unrounded" or bi.kind == "unrounded"
        if op in "+-":
            if ai.kind == "date" and bi.kind == "duration":
                return out(T.DATE, "date")
            if ai.kind == "set" and bi.kind == "set":
                j = T.join(ai, bi)
                if j is not None:
                    return ir.E("arith", j, (left, right), (op, "set"), sp)
            if T.is_integer(ai) and T.is_integer(bi):
                return out(T.SHARES if "shares" in (ka, kb) else T.INT, "num")
            for base in ("money", "ratio"):
                if {ka, kb} <= {base, "int"} and base in (ka, kb):
                    return out(T.unrounded(base) if unr else T.prim(base), "num")
            if unr and ka == kb:
                return out(T.unrounded(str(ka)), "num")
            if ai.kind == "date" and bi.kind == "date":
                return self.err_e("E301", "dates cannot be subtracted", sp,
                                  "use days_between(a, b)")
            if ai.kind == "date" and bi.kind in ("int", "shares"):
                written = _source_text(sp)
                fix = (f"give the unit: {written} days, or {written} business days"
                       if written and isinstance(e.right, ast.Literal) else
                       "give the unit, e.g. d.date + 30 days or d.date + 10 business days")
                return self.err_e("E301", f"cannot {'add' if op == '+' else 'subtract'} {b} "
                                  f"{'to' if op == '+' else 'from'} a date; a date moves by a "
                                  "duration", sp, fix)
            mixed = ("money and shares do not add up; multiply shares by a price per share "
                     "to get money",) if {ka, kb} == {"money", "shares"} else ()
            return self.err_e("E301", f"cannot {'add' if op == '+' else 'subtract'} {b} "
                              f"{'to' if op == '+' else 'from'} {a}", sp, *mixed)
        kinds = {ka, kb}
        if op == "*":
            if T.is_integer(ai) and T.is_integer(bi):
                if ka == "shares" and kb == "shares":
                    return self.err_e("E301", "shares times shares has no meaning", sp)
                return out(T.SHARES if "shares" in kinds else T.INT, "num")
            # a price times a number of shares is an amount of money
            if (kinds <= {"money", "int", "shares"} and "money" in kinds
                    and not ("money" == ka == kb)):
                return out(T.unrounded("money") if unr else T.MONEY, "num")
            if "ratio" in kinds and kinds <= {"ratio", "int"}:
                return out(T.RATIO, "num")
            if kinds == {"ratio", "money"} or kinds == {"ratio", "shares"}:
                return out(T.unrounded(str((kinds - {"ratio"}).pop())), "num")
            return self.err_e("E301", f"cannot multiply {a} by {b}", sp)
        # division: shares by a number is a number of shares, not yet rounded
        if ka == "shares" and kb == "int":
            return out(T.unrounded("shares"), "num")
        if (T.is_integer(ai) and T.is_integer(bi)) or ka == kb == "money" or (
                ka == kb == "ratio") or (ka == "ratio" and kb == "int"):
            return out(T.RATIO, "num")
        if ka in ("money", "shares") and kb in ("int", "shares", "ratio") and ka != kb:
            return out(T.unrounded(str(ka)), "num")
        return self.err_e("E301", f"cannot divide {a} by {b}", sp)

    # ── clauses ─────────────────────────────────────────────────────────────

    def check_clauses(self, reuse: bool = False) -> list[ir.Norm]:
        """The clauses' norms. `reuse`: the memo's clauses were checked among the same
        declarations (`CheckMemo`)."""
        norms: list[ir.Norm] = []
        seen: dict[str, Span | None] = {}
        memo = self.memo
        kept: dict[int, tuple[Any, ...]] = {}
        for c, section, heading in self.clauses:
            nid = f"{section}.{c.name}"
            if nid in seen:
                first = seen[nid]
                self.err("E202", f"section {section} has two clauses named '{c.name}'", c.span,
                         labels=(Label(first, "first here"),) if first else ())
                continue
            seen[nid] = c.span
            hit = memo.clauses.get(id(c)) if memo is not None and reuse else None
            if hit is not None and hit[0] is c and hit[1] == (section, heading):
                norm = hit[2]
                self.diags.extend(hit[3])
                memo.hits += 1  # type: ignore[union-attr]
            else:
                start = len(self.diags)
                norm = self.check_clause(c, section, heading, nid)
                hit = (c, (section, heading), norm, self.diags[start:])
            kept[id(c)] = hit
            if norm is not None:
                norms.append(norm)
        if memo is not None:
            memo.clauses = kept
        for x, section in self.exceptions:
            nid = f"{section}.{x.name}"
            if nid in seen:
                self.err("E202", f"section {section} has two clauses named '{x.name}'", x.span)
            seen[nid] = x.span
        for p, section, _ in self.provisions:
            nid = f"{section}.{p.name}"
            if nid in seen:
                self.err("E202", f"section {section} has two clauses named '{p.name}'", p.span)
            seen[nid] = p.span
        for g, section, _ in self.governed:
            nid = f"{section}.{g.name}"
            if nid in seen:
                self.err("E202", f"section {section} has two clauses named '{g.name}'", g.span)
            seen[nid] = g.span
        return norms

    # ── other agreements: references and amendments ─────────────────────────

    def check_references(self, header: ast.Header) -> list[ir.Reference]:
        refers = {r.name: r for r in header.refers}
        for r in header.refers:
            if r.name == header.name:
                self.err("E216", f"'{r.name}' is this agreement's own name", r.span)
        out = []
        for g, section, heading in self.governed:
            ref = refers.get(g.agreement)
            if ref is None:
                guess = did_you_mean(g.agreement, list(refers))
                self.err("E216", f"unknown agreement '{g.agreement}'", g.agreement_span or g.span,
                         *((f"did you mean '{guess}'?",) if guess else
                           (f'name it in the header: refers to {g.agreement} "its title"',)))
                continue
            out.append(ir.Reference(f"{section}.{g.name}", section, heading, g.name,
                                    g.agreement, ref.title, g.target, g.matter,
                                    ir.Cite(section, g.span), g.target_span))
        return out

    def check_amendment_rule(self) -> ir.AmendmentRule | None:
        rule = None
        for a, section in self.amended_by:
            if rule is not None:
                self.err("E217", "the agreement says twice how it may be amended", a.span,
                         labels=(Label(rule.cite.span, "first here"),) if rule.cite.span
                         else ())
                continue
            if a.event not in self.events:
                self.unknown("event type", a.event, a.event_span, self.events)
                continue
            sig = self.def_sigs.get(a.definition)
            if sig is None:
                self.unknown("definition", a.definition, a.definition_span, self.def_sigs)
                continue
            params, rtype = sig
            if (len(params) != 1 or params[0][1].kind != "event"
                    or a.event not in (params[0][1].names or ())
                    or rtype.inner != T.DATE):
                self.err("E217", f"'{a.definition}' must take one {a.event} and give the date "
                         f"the amendment takes effect (date?)", a.definition_span,
                         f"define {a.definition}(w: {a.event}): date? = ...")
                continue
            rule = ir.AmendmentRule(a.event, a.definition, ir.Cite(section, a.span))
        return rule

    def check_status_cycles(self, norms: list[ir.Norm], exceptions: list[ir.Exception_]
                            ) -> None:
        """E408: a clause whose answer tests, through its parts, the definitions they use or
        the exceptions bearing on it, its own answer (`§S.x[...] is STATUS`), directly or
        through other clauses: no answer could be decided first."""
        # the answers each definition tests, through the definitions it uses: the same for
        # every definition of a strongly connected group; groups come callees first
        memo = self.memo
        key = (self.def_deps, self.status_uses)
        if memo is not None and memo.def_refs is not None and memo.def_refs[0] == key:
            def_refs: dict[str, set[str]] = memo.def_refs[1]
        else:
            def_refs = {}
            for comp in _components(self.def_deps):
                tests: set[str] = set()
                for name in comp:
                    tests.update(self.status_uses.get(name, ()))
                    for dep in self.def_deps.get(name, ()):
                        if dep not in comp:
                            tests |= def_refs.get(dep, set())
                for name in comp:
                    def_refs[name] = tests
            if memo is not None:
                memo.def_refs = (({n: set(v) for n, v in self.def_deps.items()},
                                  {n: set(v) for n, v in self.status_uses.items()}), def_refs)

        def of_def(name: str) -> set[str]:
            return def_refs.get(name) or set(self.status_uses.get(name, ()))

        def of_expr(e: ir.E) -> set[str]:
            tested, calls = self.expr_refs(e)
            out = set(tested)
            for name in calls:
                out |= of_def(name)
            return out

        graph: dict[str, set[str]] = {}
        for n in norms:
            graph[n.id] = set().union(*(of_expr(e) for e in ir.norm_exprs(n)))
        for x in exceptions:
            refs = set().union(*(of_expr(e) for e in ir.exception_exprs(x)))
            for t in x.targets:
                graph.setdefault(t, set()).update(refs)
        if memo is not None:
            if memo.status_graph is not None and not memo.status_graph[1] \
                    and memo.status_graph[0] == graph:  # (a message names the clause's place)
                self.diags.extend(memo.status_graph[1])
                return
            start_diags = len(self.diags)
            self.status_cycles(graph, norms)
            memo.status_graph = (graph, self.diags[start_diags:])
            return
        self.status_cycles(graph, norms)

    def status_cycles(self, graph: dict[str, set[str]], norms: list[ir.Norm]) -> None:
        """E408 for each cycle of `graph` (a clause → the clauses its answer tests)."""
        if not any(graph.values()):
            return
        by_id = {n.id: n for n in norms}
        reported: set[str] = set()
        for start in graph:
            stack: list[tuple[str, list[str]]] = [(start, [start])]
            seen: set[str] = set()
            while stack:
                node, path = stack.pop()
                for nxt in sorted(graph.get(node, ())):
                    if nxt == start:
                        cycle = path + [start]
                        if start not in reported:
                            reported.update(cycle)
                            first = by_id.get(start)
                            self.err("E408", "the answer of §" + start + " depends on itself: "
                                     + " → ".join("§" + c for c in cycle),
                                     first.cite.span if first else None,
                                     "a clause may test the answer of another only if that one "
                                     "does not test it back")
                    elif nxt not in seen:
                        seen.add(nxt)
                        stack.append((nxt, path + [nxt]))

    def check_survival(self) -> ir.Survival | None:
        """`survives while C`: at most one, C a condition on the facts of a day."""
        rule = None
        for d, section in self.survives:
            if rule is not None:
                self.err("E220", "the agreement says twice how long it survives", d.span,
                         "keep one `survives while` line", labels=(
                             (Label(rule.cite.span, "first here"),) if rule.cite.span else ()))
                continue
            cond = self.boolean(d.expr, _Scope(), "the condition of `survives while`")
            rule = ir.Survival(cond, ir.Cite(section, d.span))
        return rule

    def once(self, parts: Sequence[Any], groups: dict[str, tuple[type, ...]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        p: Any
        for p in parts:
            for key, classes in groups.items():
                if isinstance(p, classes):
                    if key in found and key != "with":
                        self.err("E404", f"a clause has one {key} part; this is a second",
                                 getattr(p, "span", None),
                                 labels=(Label(found[key].span, "the first"),))
                    else:
                        found[key] = p
        return found

    def check_clause(self, c: ast.Clause, section: str, heading: str, nid: str) -> ir.Norm | None:
        scope = _Scope()
        bearer = bearer_var = bearer_role = None
        if isinstance(c.bearer, ast.BearerParty):
            if c.bearer.name not in self.parties:
                if c.bearer.name in self.roles:
                    self.err("E201", f"'{c.bearer.name}' is a role, not a party", c.bearer.span,
                             f"write: each i in {c.bearer.name} {c.modal} ...")
                else:
                    self.unknown("party", c.bearer.name, c.bearer.span, self.parties)
            bearer = c.bearer.name
        else:
            if c.bearer.role not in self.roles:
                self.unknown("role", c.bearer.role, c.bearer.span, self.roles)
            bearer_var, bearer_role = c.bearer.var, c.bearer.role
            self.local_name(c.bearer.var, c.bearer.span, "a variable")
            scope = scope.bind(c.bearer.var, T.party_t(c.bearer.role))
        parts = self.once(c.parts, {
            "to": (ast.ToPart,), "upon": (ast.Upon,), "when": (ast.When,),
            "deadline": (ast.Within, ast.ByDate, ast.DeadlineText),
            "from": (ast.FromPart,), "end": (ast.Until, ast.Through),
            "fulfilment": (ast.FulfilledBy, ast.FulfilledWhen, ast.FulfilledOn),
            "breach": (ast.BreachedBy,),
        })
        trigger = None
        if "upon" in parts:
            trigger, scope = self.trigger(parts["upon"], scope)
        modality = c.modality
        beneficiary = when = deadline = start = end = fulfilled = None
        deadline_kind = deadline_text = fulfilled_kind = None
        fulfilled_trigger = breached_trigger = None
        end_inclusive = False
        if "to" in parts:
            beneficiary = self.expr(parts["to"].expr, scope)
            if not _ok(beneficiary.type) and not (
                    T.assignable(beneficiary.type, T.ANY_PARTY)
                    or T.assignable(beneficiary.type, T.set_t(T.ANY_PARTY))):
                self.err("E301", f"the beneficiary is {beneficiary.type}; a party or a set of "
                         "parties is expected", parts["to"].span)
        if "when" in parts:
            when = self.boolean(parts["when"].expr, scope, "the 'when' condition")
        if "deadline" in parts:
            d = parts["deadline"]
            if isinstance(d, ast.Within):
                dur = self.expr(d.duration, scope)
                self.expect(dur, T.DURATION, d.duration.span, "the length of time")
                anchor = self.date_expr(d.anchor, scope, "the date counted from")
                t = T.opt_t(T.DATE) if anchor.type.optional else T.DATE
                expr = ir.E("arith", t, (anchor, dur), ("+", "date"), d.span)
                if modality == "obligation":
                    deadline_kind, deadline = "within", expr
                else:
                    end, end_inclusive = expr, True
                    if "end" in parts:
                        self.err("E404", "'within' already ends the period; remove 'until' or "
                                 "'through'", parts["end"].span)
            elif isinstance(d, ast.ByDate):
                if modality != "obligation":
                    self.err("E405", f"'by' sets a deadline, which only an obligation has; "
                             f"this clause is {_a(modality)}", d.span,
                             "use 'through' to end the period")
                deadline_kind, deadline = "by", self.date_expr(d.expr, scope, "the deadline")
            else:
                if modality != "obligation":
                    self.err("E405", f"a deadline only belongs to an obligation; this clause "
                             f"is {_a(modality)}", d.span)
                deadline_kind, deadline_text = "text", d.text
        if "from" in parts:
            start = self.date_expr(parts["from"].expr, scope, "the start of the period")
        if "end" in parts:
            p = parts["end"]
            end = self.date_expr(p.expr, scope, "the end of the period")
            end_inclusive = isinstance(p, ast.Through)
        if "fulfilment" in parts:
            p = parts["fulfilment"]
            if modality == "prohibition":
                self.err("E405", "a prohibition is not fulfilled; it is breached", p.span,
                         "use 'breached by EventType e where ...'")
            if isinstance(p, ast.FulfilledBy):
                fulfilled_kind = "by"
                fulfilled_trigger, _ = self.trigger(
                    ast.Upon((p.event,), p.var, p.where, p.span,
                             (p.event_span,) if p.event_span else ()), scope)
            elif isinstance(p, ast.FulfilledWhen):
                fulfilled_kind = "when"
                fulfilled = self.boolean(p.expr, scope, "the fulfilment condition")
            else:
                fulfilled_kind = "on"
                fulfilled = self.date_expr(p.expr, scope, "the fulfilment date")
        if "breach" in parts:
            p = parts["breach"]
            if modality != "prohibition":
                self.err("E405", f"only a prohibition is 'breached by' an act; this clause is "
                         f"{_a(modality)}", p.span,
                         "an obligation is breached when its deadline passes; a permission is "
                         "not breached")
            breached_trigger, _ = self.trigger(
                ast.Upon((p.event,), p.var, p.where, p.span,
                         (p.event_span,) if p.event_span else ()), scope)
        withs = []
        for p in c.parts:
            if isinstance(p, ast.WithPart):
                withs.append((p.label, self.expr(p.expr, scope)))
        return ir.Norm(
            id=nid, section=section, heading=heading, name=c.name, modality=modality,
            modal=c.modal, action=c.action, bearer=bearer, bearer_var=bearer_var,
            bearer_role=bearer_role, beneficiary=beneficiary, trigger=trigger, when=when,
            deadline_kind=deadline_kind, deadline=deadline, deadline_text=deadline_text,
            start=start, end=end, end_inclusive=end_inclusive, fulfilled_kind=fulfilled_kind,
            fulfilled=fulfilled, fulfilled_trigger=fulfilled_trigger,
            breached_trigger=breached_trigger, withs=tuple(withs), cite=ir.Cite(section, c.span))

    def trigger(self, u: ast.Upon, scope: _Scope) -> tuple[ir.Trigger, _Scope]:
        known = True
        for n, ev in enumerate(u.events):
            if ev not in self.events:
                known = False
                span = u.event_spans[n] if n < len(u.event_spans) else u.span
                self.unknown("event", ev, span, self.events)
        # an unknown event type is reported once; the variable then checks as anything
        t = T.event_t(*u.events) if known else ERROR
        self.local_name(u.var, u.span, "an event variable")
        inner = scope.bind(u.var, t)
        where = self.boolean(u.where, inner, "the 'where' condition") if u.where else None
        return ir.Trigger(tuple(u.events), u.var, where), inner

    # ── priorities and exceptions ───────────────────────────────────────────

    def check_priorities(self) -> set[tuple[str, str]]:
        """Explicit edges (winner, loser); `notwithstanding anything` is ('*' winner)."""
        edges: dict[tuple[str, str], Span | None] = {}
        self.prevail_all: set[str] = set()
        for number, (s, _) in self.sections.items():
            for p in s.priorities:
                if p.kind == "notwithstanding_all":
                    self.prevail_all.add(number)
                    continue
                for k, ref in enumerate(p.refs):
                    ref_span = p.ref_spans[k] if k < len(p.ref_spans) else p.span
                    if ref not in self.sections:
                        guess = did_you_mean(ref, [n for n in self.sections if n != number])
                        self.err("E204", f"there is no section {ref}", ref_span,
                                 *((f"did you mean §{guess}?",) if guess else ()))
                        continue
                    if ref == number:
                        self.err("E402", f"section {number} refers to itself", ref_span,
                                 "a section needs no priority over itself; remove the reference")
                        continue
                    edge = (number, ref) if p.kind == "notwithstanding" else (ref, number)
                    edges[edge] = p.span
        # cycles among explicit edges
        graph: dict[str, set[str]] = {}
        for a, b in edges:
            graph.setdefault(a, set()).add(b)
        state: dict[str, int] = {}

        def visit(n: str, path: list[str]) -> None:
            state[n] = 1
            for m in sorted(graph.get(n, ())):
                if state.get(m) == 1:
                    cyc = path[path.index(m):] + [m] if m in path else [n, m]
                    # tell it from the edge that closes the circle, (n, m), where it is reported
                    pairs = list(itertools.pairwise(cyc))
                    pairs = pairs[-1:] + pairs[:-1]
                    first = pairs[0]
                    self.err("E402", "the priority between sections goes round in a circle: "
                             + " over ".join(f"§{a}" for a, _ in pairs) + f" over §{first[0]}",
                             edges.get(first),
                             "one of these sections must give way: remove one 'subject to', "
                             "'notwithstanding' or 'except as provided in'",
                             labels=[Label(sp, f"this makes §{a} prevail over §{b}")
                                     for a, b in pairs[1:] if (sp := edges.get((a, b)))])
                elif m not in state:
                    visit(m, path + [m])
            state[n] = 2

        for n in sorted(graph):
            if n not in state:
                visit(n, [n])
        self.edge_spans = edges
        return set(edges)

    def prevails(self, winner: str, loser: str, edges: set[tuple[str, str]]) -> bool | None:
        """True if `winner` prevails over `loser`; False if an explicit edge says the opposite."""
        wa, la = section_ancestors(winner), section_ancestors(loser)
        for w in wa:
            for lo in la:
                if (lo, w) in edges:
                    return False
        for w in wa:
            for lo in la:
                if (w, lo) in edges:
                    return True
        if any(w in self.prevail_all for w in wa):
            return True
        return None

    def check_exceptions(self, norms: list[ir.Norm], edges: set[tuple[str, str]]
                         ) -> list[ir.Exception_]:
        by_id = {n.id: n for n in norms}
        out: list[ir.Exception_] = []
        memo = self.memo
        # an exception reads, besides the declarations, the clauses it bears on (by identity),
        # the clauses' ids and the priorities (`CheckMemo`)
        same = (memo is not None and self._reuse and memo.exception_context is not None
                and memo.exception_context == (tuple(by_id), edges))
        kept: dict[int, tuple[Any, ...]] = {}
        for x, section in self.exceptions:
            bears: list[ir.Norm | None] = []
            for t in x.targets:
                bears.extend(norms if t.every else
                             [by_id.get(f"{t.section or section}.{t.name}")])
            hit = memo.exceptions.get(id(x)) if memo is not None and same else None
            if hit is not None and hit[0] is x and hit[1] == section \
                    and len(hit[2]) == len(bears) \
                    and all(a is b for a, b in zip(hit[2], bears, strict=True)):
                self.diags.extend(hit[4])
                out.append(hit[3])
            else:
                start = len(self.diags)
                hit = (x, section, bears, self.check_exception(x, section, norms, by_id, edges),
                       self.diags[start:])
                out.append(hit[3])
            kept[id(x)] = hit
        if memo is not None:
            memo.exceptions, memo.exception_context = kept, (tuple(by_id), set(edges))
        return out

    def check_exception(self, x: ast.ExceptionDecl, section: str, norms: list[ir.Norm],
                        by_id: dict[str, ir.Norm], edges: set[tuple[str, str]]
                        ) -> ir.Exception_:
        targets: list[ir.Norm] = []
        for t in x.targets:
            if t.every:  # the agreement's own rule for every clause: no priority needed
                have = {n.id for n in targets}
                targets.extend(n for n in norms if n.id not in have)
                continue
            tid = f"{t.section or section}.{t.name}"
            if tid not in by_id:
                self.unknown("clause", str(t), t.span,
                             [f"§{i}" if t.section else i.split(".", 1)[1] for i in by_id
                              if t.section or i.startswith(section + ".")])
                continue
            norm = by_id[tid]
            targets.append(norm)
            related = (section in section_ancestors(norm.section)
                       or norm.section in section_ancestors(section))
            if not related:
                verdict = self.prevails(section, norm.section, edges)
                if verdict is False:
                    self.err("E402", f"exception '{x.name}' of §{section} overrides "
                             f"§{norm.section}, but §{norm.section} prevails over §{section}",
                             t.span, "remove the exception or the conflicting priority")
                elif verdict is None:
                    self.err("E403", f"exception '{x.name}' of §{section} overrides "
                             f"§{norm.section}, but nothing says §{section} prevails over it",
                             t.span,
                             f"add `subject to §{section}` to section {norm.section}, or "
                             f"`notwithstanding §{norm.section}` to section {section}")
        parts = self.once(x.parts, {
            "for": (ast.ForBinding,), "upon": (ast.Upon,), "when": (ast.When,),
            "while": (ast.WhilePart,), "from": (ast.FromPart,),
            "end": (ast.Until, ast.Through), "because": (ast.Because,)})
        scope = _Scope()
        bind_kind = bind_var = None
        if "for" in parts and targets:
            fb = parts["for"]
            bind_var = fb.var
            self.local_name(fb.var, fb.span, "a variable")
            bind_kind, bt = self.binding(fb, targets)
            scope = scope.bind(fb.var, bt)
        trigger = None
        if "upon" in parts:
            trigger, scope = self.trigger(parts["upon"], scope)
        when = self.boolean(parts["when"].expr, scope, "the 'when' condition") \
            if "when" in parts else None
        start = self.date_expr(parts["from"].expr, scope, "the start") \
            if "from" in parts else None
        end = end_incl = None
        if "end" in parts:
            end = self.date_expr(parts["end"].expr, scope, "the end")
            end_incl = isinstance(parts["end"], ast.Through)
        while_ = self.boolean(parts["while"].expr, scope, "the 'while' condition") \
            if "while" in parts else None
        if "while" in parts:
            for key in ("from", "end"):
                if key in parts:
                    self.err("E404", "'while' gives the periods of the exception itself; "
                             f"it cannot be combined with '{_PART_WORD[type(parts[key])]}'",
                             parts[key].span,
                             "keep 'while', or state the period with from/until/through")
        if x.effect == "excuses" and ("end" in parts or "while" in parts):
            part = parts["end"] if "end" in parts else parts["while"]
            self.err("E405", "an excuse has no end; to lift a duty for a time, use "
                     "'suspends'", part.span)
        if "because" not in parts:
            self.err("E404", f"exception '{x.name}' does not say why: it has no 'because' "
                     "part", x.name_span or x.span,
                     'add a line: because "the words of the agreement that make the exception"')
        return ir.Exception_(
            id=f"{section}.{x.name}", section=section, name=x.name, effect=x.effect,
            targets=tuple(t.id for t in targets), bind_kind=bind_kind, bind_var=bind_var,
            trigger=trigger, when=when, while_=while_, start=start, end=end,
            end_inclusive=bool(end_incl),
            because=parts["because"].text if "because" in parts else "",
            cite=ir.Cite(section, x.span))

    def check_checks(self) -> list[ir.Check]:
        out = []
        memo = self.memo
        kept: dict[int, tuple[Any, ...]] = {}
        for d, section in self.check_decls:
            hit = memo.checks.get(id(d)) if memo is not None and self._reuse else None
            if hit is None or hit[0] is not d or hit[1] != section:
                start = len(self.diags)
                trigger, scope = self.trigger(
                    ast.Upon(d.events, d.var, None, d.span, d.event_spans), _Scope())
                cond = self.boolean(d.cond, scope, "the 'requires' condition")
                hit = (d, section, ir.Check(f"{section}.{d.name}", section, d.name, d.title,
                                            trigger, cond, ir.Cite(section, d.span)),
                       self.diags[start:])
            else:
                self.diags.extend(hit[3])
            kept[id(d)] = hit
            out.append(hit[2])
        if memo is not None:
            memo.checks = kept
        return out

    def binding(self, fb: ast.ForBinding, targets: list[ir.Norm]) -> tuple[str, Type]:
        if fb.type == "clause":  # the answer itself: its clause, instance, bearer, beneficiaries
            return "instance", INSTANCE
        if fb.type is not None and fb.type in self.roles:
            for n in targets:
                if n.bearer_role != fb.type:
                    self.err("E301", f"clause §{n.id} is not borne by each {fb.type}", fb.span)
            return "bearer", T.party_t(fb.type)
        if fb.type is not None and fb.type not in self.events:
            self.unknown("event or role", fb.type, fb.span, [*self.events, *self.roles])
            return "trigger", ERROR
        t: Type | None = None
        for n in targets:
            if n.trigger is None:
                self.err("E301", f"clause §{n.id} has no 'upon' event to bind", fb.span)
                return "trigger", ERROR
            nt = T.event_t(*n.trigger.events)
            t = nt if t is None else T.join(t, nt)
        assert t is not None
        if fb.type is not None:
            want = T.event_t(fb.type)
            if not T.assignable(t, want):
                self.err("E301", f"the clauses this exception overrides are triggered by {t}, "
                         f"not {fb.type}", fb.span, f"write `for {fb.var}` to bind any event")
            return "trigger", want
        return "trigger", t


#: the word of an exception's period part, for messages
_PART_WORD: dict[type, str] = {ast.FromPart: "from", ast.Until: "until", ast.Through: "through"}


def _source_text(span: Span | None) -> str | None:
    """The text a one-line span covers, if the source is known."""
    if span is None or span.line != span.end_line:
        return None
    line = SOURCES.line(span.file, span.line)
    return line[span.col - 1: span.end_col - 1] if line is not None else None


def _args(n: int) -> str:
    return f"{n} argument" if n == 1 else f"{n} arguments"


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _diag_key(d: Diagnostic) -> tuple[str, int, int]:
    if d.span is None:
        return ("", 0, 0)
    return (d.span.file, d.span.line, d.span.col)


def _has_unrounded(t: Type) -> bool:
    """An unrounded number, or a set, map or optional of one."""
    stack = [t]
    while stack:
        x = stack.pop()
        if x.kind == "unrounded":
            return True
        stack.extend(x.args)
    return False


def check(modules: Sequence[ast.Module], composition: Composition | None = None,
          memo: CheckMemo | None = None) -> ir.Contract:
    """Check parsed modules (main first) and return the IR contract, or raise CheckErrors.
    For a variant or amendment, `composition` carries its term standings and the problems
    found while applying it to its base. `memo` keeps what this check found for the next
    check of the same contract (`CheckMemo`)."""
    c = Checker(modules, composition, memo).check()
    if c.standing:
        by_norm, by_def = assumed_terms(c)
        c = attrs.evolve(c, assumed_by_norm=by_norm, assumed_by_definition=by_def)
    if c.based_on and c.amendment is None:
        roles_norm, roles_def = roles_used(c)
        c = attrs.evolve(c, roles_by_norm=roles_norm, roles_by_definition=roles_def)
    return c
