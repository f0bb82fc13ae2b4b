"""Variants and amendments: a clause file that states only what it changes in another.

`agreement X "..." variant of "base.rrd"` and `amendment X "..." amends "base.rrd"` name a base
clause file. The base (with its imports) is loaded, then this file's declarations are applied:

* a plain declaration is added (a name the base already has is an error: use `replace`);
* `replace <declaration>` replaces the base's declaration of that name, of the same kind;
* `remove NAME, ...` removes base declarations;
* a section that the base also has is merged into the base's section (its priorities added);
* header parts the file leaves out (`dated`, `calendar`; and `source` for an amendment, which
  amends the same document) come from the base.

The result is a plain list of modules, which the checker checks as a whole; every declaration
keeps the span of the file it was written in, so diagnostics point into the file that caused
them. Term standings (`known` / `assumed`, and `inherited terms assumed`) are worked out here
too, and `assumed_terms` tells which assumed terms each answer rests on.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Iterator
from typing import Any
from pathlib import Path

import attrs

from . import ast, ir
from .diagnostics import Diagnostic, Label, Span, did_you_mean

MAX_VARIANT_DEPTH = 8

# the declarations whose standing a variant states: terms of the agreement, not vocabulary
TERM_KINDS = (ast.PartyDecl, ast.RoleDecl, ast.Define, ast.StateDecl, ast.Clause,
              ast.ExceptionDecl, ast.Governed)

_KIND_WORD = {
    ast.PartyDecl: "party", ast.RoleDecl: "role", ast.EnumDecl: "enumeration",
    ast.FactDecl: "fact", ast.EventDecl: "event", ast.Define: "definition",
    ast.StateDecl: "definition",
    ast.Clause: "clause", ast.ExceptionDecl: "exception", ast.NonOperative: "clause",
    ast.Governed: "clause", ast.Reading: "reading", ast.CheckDecl: "check",
}


def kind_word(d: object) -> str:
    return _KIND_WORD.get(type(d), "declaration")


@attrs.frozen
class Composition:
    """What a (possibly variant) clause file amounts to."""

    modules: tuple[ast.Module, ...]  # main module first; no Replace/Remove left
    standing: dict[str, ir.Standing]
    diagnostics: tuple[Diagnostic, ...]
    base_file: str | None = None  # the base clause file (display path), for a variant
    chain: tuple[str, ...] = ()  # names of the agreements this one is based on, nearest first
    removed: dict[str, Span | None] = attrs.field(factory=dict)  # name → its `remove`
    own_dated: datetime.date | None = None  # an amendment's own date
    base_files: frozenset[str] = frozenset()  # the files the base consists of
    # for browsing: the variant's own text of a section merged into the base's, by number,
    # and the base declarations the variant replaced or removed ("3(i).pay_fees", "limit")
    overlays: dict[str, tuple[Span, ...]] = attrs.field(factory=dict)
    dropped: frozenset[str] = frozenset()


CLAUSE_KINDS = (ast.Clause, ast.ExceptionDecl, ast.NonOperative, ast.Governed, ast.CheckDecl)


def _key(d: ast.Decl, section: str | None) -> str | None:
    """Clauses are known by section and name ("3(a).register"); the rest by name."""
    name = getattr(d, "name", None)
    if name is None or isinstance(d, ast.Reading):
        return None
    if isinstance(d, CLAUSE_KINDS):
        return f"{section}.{name}" if section is not None else name
    return str(name)


def _decls(modules: Iterable[ast.Module]) -> Iterator[tuple[str, int, ast.Decl]]:
    for mi, m in enumerate(modules):
        for d in m.preamble:
            k = _key(d, None)
            if k is not None:
                yield k, mi, d
        for s in m.sections:
            for d in s.items:
                k = _key(d, s.number)
                if k is not None:
                    yield k, mi, d


def _resolve(name: str, section: str | None, table: dict[str, ast.Decl]) -> str | None:
    """The key a name written in a variant means: this section's clause of that name, a plain
    name, or the only clause of that name in any section."""
    if section is not None and f"{section}.{name}" in table:
        return f"{section}.{name}"
    if name in table:
        return name
    clauses = [k for k, d in table.items() if k.endswith("." + name)
               and isinstance(d, CLAUSE_KINDS)]
    return clauses[0] if len(clauses) == 1 else None


def _rel_source(base_file: str, source: str, main_file: str) -> str:
    """The base's `source` (relative to the base file) relative to the main file."""
    target = Path(base_file).resolve().parent / source
    return os.path.relpath(target, Path(main_file).resolve().parent)


def compose(main: ast.Module, base: Composition, base_header: ast.Header | None) -> Composition:
    """Apply `main` (a variant or amendment) to its base's modules."""
    diags: list[Diagnostic] = list(base.diagnostics)
    header = main.header
    assert header is not None and header.base is not None
    where: dict[str, ast.Decl] = {}
    for k, _, d in _decls(base.modules):
        where.setdefault(k, d)
    dropped: set[str] = set()
    removed: dict[str, Span | None] = {}
    own_terms: dict[str, ast.Decl] = {}
    marks: list[tuple[ast.TermMark, str | None]] = []

    def live(k: str) -> bool:
        return k in where and k not in dropped

    def resolve(name: str, section: str | None) -> str | None:
        return _resolve(name, section, {k: d for k, d in where.items() if live(k)})

    def candidates() -> list[str]:
        return sorted({k.rsplit(".", 1)[-1] for k in where if live(k)})

    def apply(items: tuple[ast.Decl, ...], section: str | None) -> list[ast.Decl]:
        kept: list[ast.Decl] = []
        for d in items:
            if isinstance(d, ast.Replace):
                new = d.decl
                k = _key(new, section)
                assert k is not None
                if not live(k):
                    guess = did_you_mean(new.name, candidates())
                    where_ = f" of §{section}" if isinstance(new, CLAUSE_KINDS) else ""
                    diags.append(Diagnostic(
                        "E214", f"nothing named '{new.name}'{where_} in the base to replace",
                        d.span, hints=((f"did you mean '{guess}'?",) if guess else ())
                        + ("to add a new declaration, leave out `replace`",)))
                    continue
                old = where[k]
                if kind_word(old) != kind_word(new):
                    diags.append(Diagnostic(
                        "E214", f"'{new.name}' is {_a(kind_word(old))} in the base; it can "
                        f"only be replaced by {_a(kind_word(old))}", d.span,
                        labels=_label(old, "declared here")))
                    continue
                dropped.add(k)
                kept.append(new)
                if isinstance(new, TERM_KINDS):
                    own_terms[k] = new
            elif isinstance(d, ast.Remove):
                for name, sp in zip(d.names, d.name_spans or (d.span,) * len(d.names),
                                    strict=False):
                    k2 = resolve(name, section)
                    if k2 is None:
                        guess = did_you_mean(name, candidates())
                        diags.append(Diagnostic(
                            "E214", f"nothing named '{name}' in the base to remove", sp,
                            hints=(f"did you mean '{guess}'?",) if guess else ()))
                    else:
                        dropped.add(k2)
                        removed[name] = sp
            elif isinstance(d, ast.TermMark):
                marks.append((d, section))
            else:
                k = _key(d, section)
                if k is not None and live(k):
                    diags.append(Diagnostic(
                        "E202", f"'{getattr(d, 'name', k)}' is already declared in the base",
                        d.span, hints=(f"write `replace` before the declaration to replace "
                                       f"the base's {kind_word(where[k])}",),
                        labels=_label(where[k], "the base's declaration")))
                    continue
                kept.append(d)
                if k is not None and isinstance(d, TERM_KINDS):
                    own_terms[k] = d
        return kept

    preamble = apply(main.preamble, None)
    base_sections = {s.number for m in base.modules for s in m.sections}
    own_sections: list[ast.Section] = []
    merged: dict[str, ast.Section] = {}
    for s in main.sections:
        items = tuple(apply(s.items, s.number))
        if s.number in base_sections:
            merged[s.number] = attrs.evolve(s, items=items)
        else:
            own_sections.append(attrs.evolve(s, items=items))

    def keep(items: tuple[ast.Decl, ...], section: str | None) -> tuple[ast.Decl, ...]:
        return tuple(d for d in items if _key(d, section) not in dropped)

    modules: list[ast.Module] = []
    for m in base.modules:
        sections = []
        for s in m.sections:
            items = keep(s.items, s.number)
            if s.number in merged:
                v = merged[s.number]
                extra = tuple(p for p in v.priorities if p not in s.priorities)
                s = attrs.evolve(s, heading=v.heading, priorities=s.priorities + extra,
                                 items=items + v.items)
            else:
                s = attrs.evolve(s, items=items)
            sections.append(s)
        modules.append(attrs.evolve(m, header=None, preamble=keep(m.preamble, None),
                                    sections=tuple(sections)))
    merged_header = _merge_header(main, header, base_header, base)
    main_module = attrs.evolve(main, header=merged_header, preamble=tuple(preamble),
                               sections=tuple(own_sections))
    all_modules = (main_module, *modules)

    # standing of terms ------------------------------------------------------
    effective: dict[str, ast.Decl] = {}
    for k, _, d in _decls(all_modules):
        effective.setdefault(k, d)
    standing: dict[str, ir.Standing] = {n: st for n, st in base.standing.items()
                                        if n in effective and n not in dropped}
    if header.inherited_assumed is not None:
        for k, d in effective.items():
            if isinstance(d, TERM_KINDS) and k not in own_terms and k not in standing:
                standing[k] = ir.Standing("assumed", header.inherited_assumed,
                                          header.inherited_span)
    marked: dict[str, Span | None] = {}
    for mark, section in marks:
        for name, sp in zip(mark.names, mark.name_spans or (mark.span,) * len(mark.names),
                            strict=False):
            key = _resolve(name, section, effective)
            found = effective.get(key) if key else None
            if key is None or found is None or not isinstance(found, TERM_KINDS):
                what = ("it is not a term (only parties, roles, definitions and clauses "
                        "are)" if found is not None else "no such name")
                guess = did_you_mean(name, sorted({x.rsplit(".", 1)[-1]
                                                   for x, y in effective.items()
                                                   if isinstance(y, TERM_KINDS)}))
                diags.append(Diagnostic(
                    "E215", f"cannot mark '{name}' {mark.status}: {what}", sp,
                    hints=(f"did you mean '{guess}'?",) if guess and found is None else ()))
                continue
            if key in marked:
                first = marked[key]
                diags.append(Diagnostic("E215", f"'{name}' is marked twice", sp,
                                        labels=(Label(first, "first marked here"),)
                                        if first else ()))
                continue
            marked[key] = sp
            standing[key] = ir.Standing(mark.status, mark.text, mark.span)
    if header.inherited_assumed is not None:
        for k, term in own_terms.items():
            if k not in marked:
                label = str(getattr(term, "name", k))
                diags.append(Diagnostic(
                    "E215", f"the {kind_word(term)} '{label}' is neither known nor assumed",
                    getattr(term, "name_span", None) or term.span,
                    hints=(f"add `known {label}: \"where the text says so\"` or "
                           f"`assumed {label}: \"why it is assumed\"`",)))
    return Composition(tuple(all_modules), standing, tuple(diags), base.modules[0].file,
                       ((base_header.name,) if base_header else ()) + base.chain,
                       {**base.removed, **removed}, header.dated,
                       frozenset(m.file for m in base.modules),
                       _overlays(base.overlays, main.sections, base_sections),
                       base.dropped | dropped)


def _overlays(inherited: dict[str, tuple[Span, ...]], sections: tuple[ast.Section, ...],
              base_sections: set[str]) -> dict[str, tuple[Span, ...]]:
    out = dict(inherited)
    for s in sections:
        if s.number in base_sections and s.span is not None:
            out[s.number] = (*out.get(s.number, ()), s.span)
    return out


def _merge_header(main: ast.Module, header: ast.Header, base_header: ast.Header | None,
                  base: Composition) -> ast.Header:
    if base_header is None:
        return header
    h = header
    if h.dated is None or h.kind == "amendment":  # an amendment has a date of its own,
        h = attrs.evolve(h, dated=base_header.dated)  # the agreement keeps its date
    if h.calendar is None and base_header.calendar is not None:
        h = attrs.evolve(h, calendar=base_header.calendar, calendar_span=base_header.calendar_span)
    if h.source is None and h.kind == "amendment" and base_header.source is not None:
        h = attrs.evolve(h, source=_rel_source(base.modules[0].file, base_header.source,
                                               main.file),
                         source_span=base_header.source_span)
    names = {r.name for r in h.refers} | {h.name}  # a variant does not refer to itself
    h = attrs.evolve(h, refers=h.refers + tuple(r for r in base_header.refers
                                                if r.name not in names))
    return h


def _a(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


def _label(d: ast.Decl, text: str) -> tuple[Label, ...]:
    sp = getattr(d, "span", None)
    return (Label(sp, text),) if sp is not None else ()


# ── which assumed terms an answer rests on ──────────────────────────────────


def _names_in(e: ir.E | None, out: set[str]) -> None:
    if e is None:
        return
    stack = [e]
    while stack:
        x = stack.pop()
        if x.op in ("call", "party", "role"):
            out.add(x.data)
        stack.extend(x.args)


def norm_exprs(n: ir.Norm) -> list[ir.E | None]:
    return [n.beneficiary, n.trigger.where if n.trigger else None, n.when, n.deadline,
            n.start, n.end, n.fulfilled,
            n.fulfilled_trigger.where if n.fulfilled_trigger else None,
            n.breached_trigger.where if n.breached_trigger else None,
            *(e for _, e in n.withs)]


def definition_uses(c: ir.Contract) -> dict[str, set[str]]:
    """The names each definition's body uses directly (definitions, parties, roles)."""
    out: dict[str, set[str]] = {}
    for name, d in c.definitions.items():
        found: set[str] = set()
        _names_in(d.body, found)
        out[name] = found
    return out


def reachable(uses: dict[str, set[str]], names: set[str]) -> set[str]:
    """The names, and every name the definitions among them use, transitively."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(uses.get(n, ()))
    return seen


def assumed_terms(c: ir.Contract) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """For each clause (by id) and each definition (by name), the assumed terms it rests on:
    itself, the definitions, parties and roles it uses (transitively), and the exceptions
    that bear on it. Empty when the agreement marks no term assumed."""
    if not any(s.status == "assumed" for s in c.standing.values()):
        return {}, {}
    assumed = {n for n, s in c.standing.items() if s.status == "assumed"}
    direct = definition_uses(c)
    closure: dict[str, frozenset[str]] = {}

    def reach(names: set[str]) -> set[str]:
        return reachable(direct, names)

    for name in c.definitions:
        closure[name] = frozenset(reach({name}))
    by_def = {n: tuple(sorted(closure[n] & assumed)) for n in c.definitions}
    exc_for: dict[str, list[ir.Exception_]] = {}
    for x in c.exceptions:
        for t in x.targets:
            exc_for.setdefault(t, []).append(x)
    by_norm: dict[str, tuple[str, ...]] = {}
    for n in c.norms:
        names: set[str] = {n.id}
        if n.bearer:
            names.add(n.bearer)
        if n.bearer_role:
            names.add(n.bearer_role)
        for e in norm_exprs(n):
            _names_in(e, names)
        for x in exc_for.get(n.id, ()):
            names.add(x.id)
            for e in (x.trigger.where if x.trigger else None, x.when, x.start, x.end):
                _names_in(e, names)
        by_norm[n.id] = tuple(sorted(reach(names) & assumed))
    return by_norm, by_def


# ── which assumed memberships an answer rests on ────────────────────────────


def roles_used(c: ir.Contract) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """For each clause (by id) and each definition (by name), the roles its expressions use,
    directly or through the definitions they call: an answer that counts or ranges over a
    role's members rests on who they are.  A clause borne by each member of a role is not
    counted as using it (each instance is about its own bearer)."""
    roles = set(c.roles)
    direct = definition_uses(c)

    def reach(names: set[str]) -> tuple[str, ...]:
        return tuple(sorted(reachable(direct, names) & roles))

    by_def = {name: reach({name}) for name in c.definitions}
    by_norm: dict[str, tuple[str, ...]] = {}
    exc_for: dict[str, list[ir.Exception_]] = {}
    for x in c.exceptions:
        for t in x.targets:
            exc_for.setdefault(t, []).append(x)
    for n in c.norms:
        names: set[str] = set()
        for e in norm_exprs(n):
            _names_in(e, names)
        for x in exc_for.get(n.id, ()):
            for e in (x.trigger.where if x.trigger else None, x.when, x.start, x.end):
                _names_in(e, names)
        by_norm[n.id] = reach(names)
    return by_norm, by_def


def _membership_because(party: str, roles: Iterable[str], agreement: str) -> str:
    role = " and ".join(sorted(roles)) or "party"
    return (f"taken to be {_a(role)} of {agreement}: the fact file does not say which "
            f"agreements {party} is a party to")


def membership_terms(c: ir.Contract, facts: Any, parties: Iterable[str | None],
                     roles: Iterable[str]) -> list[tuple[str, str]]:
    """The assumed memberships (term, because) an answer rests on: those of the parties it
    is about, and of every assumed member of a role it ranges over."""
    assumed: set[str] = getattr(facts, "assumed_members", set())
    if not assumed:
        return []
    of: dict[str, set[str]] = {p: facts.parties.get(p, set()) for p in assumed}
    used = set(roles)
    hit = {p for p in parties if p in assumed}
    hit |= {p for p in assumed if of[p] & used}
    return [(f"party {p}", _membership_because(p, of[p], c.name)) for p in sorted(hit)]


def instance_parties(instance: str, facts: Any) -> list[str]:
    """The parties named among an instance's arguments (`clause[WCAS, dn1]`)."""
    if "[" not in instance:
        return []
    inner = instance[instance.index("[") + 1:instance.rindex("]")]
    return [a for a in (x.strip() for x in inner.split(",")) if a in facts.parties]


def answer_terms(c: ir.Contract, facts: Any, r: Any) -> list[tuple[str, str]]:
    """The assumed terms (term, because) an answer (a NormResult) rests on: the agreement's
    terms (`assumed_by_norm`) and the memberships of the fact file's parties."""
    if not c.assumed_by_norm and not getattr(facts, "assumed_members", None):
        return []  # an agreement of known terms, its parties stated: most evaluations
    out = [(k, c.standing[k].text) for k in c.assumed_by_norm.get(r.norm.id, ())
           if k in c.standing]
    if not getattr(facts, "assumed_members", None):
        return out
    parties = [r.bearer, *(r.beneficiaries or ()), *instance_parties(r.instance, facts)]
    return out + membership_terms(c, facts, parties, c.roles_by_norm.get(r.norm.id, ()))


def value_terms(c: ir.Contract, facts: Any, v: Any) -> list[tuple[str, str]]:
    """The same for a derived value (a ValueResult)."""
    if not c.assumed_by_definition and not getattr(facts, "assumed_members", None):
        return []
    name = v.definition.name
    out = [(k, c.standing[k].text) for k in c.assumed_by_definition.get(name, ())
           if k in c.standing]
    if not getattr(facts, "assumed_members", None):
        return out
    return out + membership_terms(c, facts, instance_parties(v.label, facts),
                                  c.roles_by_definition.get(name, ()))
