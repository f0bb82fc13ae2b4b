"""Lints: warnings about a contract that checks but is probably not what its author meant.

`rrdsl check` runs them after the checker has found no error (`check_path`). Each warning has a
stable code, printed like an error (`file:line:col`, the line, a caret); `--strict` makes
them errors. The catalogue with a bad example and its fix is docs/diagnostics.md.

| code | warns about |
|---|---|
| W101 | a definition nothing uses |
| W102 | a fact nothing uses |
| W103 | an exception that can never apply (statically false condition, or empty period) |
| W104 | a party both obliged and forbidden to do one action, possibly at the same time |
| W105 | a scenario that exercises nothing |
| W106 | a variant changed a number that an inherited clause's text still states |

"Statically false" is decided by `contradictory`: a conjunction (`and`) holding `false`, both
`c` and `not c`, or comparisons of one expression with constants that no value satisfies
(`x > 5 and x < 3`, `x == firm and x == open_market` for two members of an enumeration).
Nothing else is guessed, so a warning can be explained by pointing at the two conditions.

A warning is silenced by a comment `# rrdsl: allow W101` on the line of the declaration it is
about, or on the line just before it (several codes: `# rrdsl: allow W101, W102`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from . import ast, ir, numwords
from ._gc import collector_paused
from .checker import check as check_modules
from .diagnostics import Diagnostic, Label, RrdslError, Severity, Span
from .loader import display_path, load_composition
from .variants import Composition

CODES = ("W101", "W102", "W103", "W104", "W105", "W106")
_ALLOW = re.compile(r"#\s*rrdsl:\s*allow\s+([A-Z0-9 ,]+)")


def warning(code: str, message: str, span: Span | None, *hints: str,
            labels: tuple[Label, ...] = ()) -> Diagnostic:
    return Diagnostic(code, message, span, hints=hints, labels=labels,
                      severity=Severity.WARNING)


def check_path(path: Path) -> list[Diagnostic]:
    """What `rrdsl check` reports for a clause file (its errors, or, when there are none, its
    warnings) or for a scenario file (`*.scenario.toml`: its warnings)."""
    if path.name.endswith(".toml"):
        return lint_scenario(path)
    with collector_paused():
        try:
            comp = load_composition(path)
            modules = list(comp.modules)
            contract = check_modules(modules, comp)
        except RrdslError as e:
            return list(e.diagnostics)
        return lint_composition(comp) + lint_variant_numbers(comp, contract)


def lint_composition(comp: Composition) -> list[Diagnostic]:
    """The warnings of a contract; for a variant or amendment, those in its own files (its
    base's are reported when the base is checked)."""
    warnings = lint_modules(list(comp.modules))
    if comp.base_file is None:
        return warnings
    own = {m.file for m in comp.modules if m.file not in comp.base_files}
    return [w for w in warnings if w.span is None or w.span.file in own]


# ── variants: numbers their inherited text still states ─────────────────────

_NUMBER_WORDS = {0: "zero", **numwords.CARDINAL_OF}  # zero ... ninety-nine


def _number_forms(e: ast.Expr) -> tuple[str, ...] | None:
    """How an agreement's text may write the number a literal definition gives: `180`,
    `180 days`, `two`, `$5,000,000`. None for a definition that is not a literal number."""
    units: list[str] = []
    if isinstance(e, ast.DurationLit):
        n = e.amount
        word = e.unit.replace("_", " ")
        units = [f"{n:,} {word if n != 1 else word.rstrip('s')}", f"{n}-{word.rstrip('s')}"]
    elif isinstance(e, ast.Literal) and e.kind in ("int", "money") and e.value is not None:
        if e.kind == "money":
            v = e.value
            return (f"${v:,}", f"${v:,.2f}") if isinstance(v, (int, Decimal)) else None
        assert isinstance(e.value, int)
        n = e.value
    else:
        return None
    forms = [*units, f"{n:,}", str(n)]
    if n in _NUMBER_WORDS:
        forms.append(_NUMBER_WORDS[n])
    return tuple(dict.fromkeys(forms))


def _shown_literal(e: ast.Expr) -> str:
    if isinstance(e, ast.DurationLit):
        return f"{e.amount} {e.unit.replace('_', ' ')}"
    if isinstance(e, ast.Literal):
        return f"${e.value:,}" if e.kind == "money" else str(e.value)
    return "?"


def lint_variant_numbers(comp: Composition, contract: ir.Contract) -> list[Diagnostic]:
    """W106: a variant (or amendment) replaced a definition that was a number, and a clause or
    exception it inherits unchanged, which uses that definition, still states the old number
    in its text ("180 days" beside a 120-day period)."""
    if comp.base_file is None:
        return []
    try:
        base = load_composition(Path(comp.base_file))
    except RrdslError:
        return []
    base_defs = {d.name: d for m in base.modules for d, _ in _decls(m)
                 if isinstance(d, ast.Define)}
    changed: dict[str, tuple[tuple[str, ...], str, str]] = {}
    allowed = _allowed(list(comp.modules))
    for m in comp.modules:
        for d, _ in _decls(m):
            if not isinstance(d, ast.Define) or d.span is None or d.span.file in comp.base_files:
                continue  # the variant's own (or replacing) definitions only
            old = base_defs.get(d.name)
            if old is None:
                continue
            forms = _number_forms(old.expr)
            if forms is None or _number_forms(d.expr) == forms:
                continue
            if _is_allowed(warning("W106", "", d.span), allowed):
                continue  # `# rrdsl: allow W106` on the replacing definition
            changed[d.name] = (forms, _shown_literal(old.expr), _shown_literal(d.expr))
    if not changed:
        return []
    from .variants import _names_in, definition_uses, norm_exprs, reachable

    uses = definition_uses(contract)

    def reaches(names: set[str]) -> set[str]:
        return reachable(uses, names) & set(changed)

    items: list[tuple[str, str, Span | None, set[str]]] = []
    for n in contract.norms:
        names: set[str] = set()
        for e in norm_exprs(n):
            _names_in(e, names)
        items.append((f"clause §{n.id}", n.action, n.cite.span, names))
    for x in contract.exceptions:
        names = set()
        for e in ir.exception_exprs(x):
            _names_in(e, names)
        items.append((f"exception §{x.id}", x.because, x.cite.span, names))
    out = []
    for what, text, span, names in items:
        if span is None or span.file not in comp.base_files:
            continue  # the variant's own words: it wrote them knowing the number
        for name in sorted(reaches(names)):
            forms, was, now = changed[name]
            said = next((f for f in forms
                         if re.search(rf"(?<![\w$.,]){re.escape(f)}(?![\w,])", text)), None)
            if said is None:
                continue
            out.append(warning(
                "W106", f"{what}, inherited, says \"{said}\", but this agreement changed "
                f"'{name}' from {was} to {now}", span,
                f"replace the {what.split()[0]} with its text as changed, or, if the words "
                f"stand, say so with `# rrdsl: allow W106` on the definition of '{name}'"))
    return out


# ── contracts ────────────────────────────────────────────────────────────────


def lint_modules(modules: list[ast.Module]) -> list[Diagnostic]:
    """Every warning about a checked contract (its modules, main first)."""
    decls = [(d, sec) for m in modules for d, sec in _decls(m)]
    enum_members = {mem.name for d, _ in decls if isinstance(d, ast.EnumDecl)
                    for mem in d.members}
    out: list[Diagnostic] = []
    out += _unused(decls)
    for d, _ in decls:
        if isinstance(d, ast.ExceptionDecl):
            out += _never_applies(d, enum_members)
    out += _conflicts([(d, sec) for d, sec in decls if isinstance(d, ast.Clause)], enum_members)
    allowed = _allowed(modules)
    kept = [w for w in out if not _is_allowed(w, allowed)]
    return sorted(kept, key=lambda w: (w.span.file, w.span.line, w.span.col, w.code)
                  if w.span else ("", 0, 0, w.code))


def _decls(m: ast.Module) -> Iterator[tuple[Any, str | None]]:
    for d in m.preamble:
        yield d, None
    for s in m.sections:
        for d in s.items:
            yield d, s.number


_walk = ast.walk  # every AST node under a node (itself included)


def _uses(d: Any) -> frozenset[str]:
    """The names a declaration uses (not its own): kept for the declaration while it lives, so
    that the language server, which keeps the declarations of unchanged text, walks only the
    new ones."""
    kept = _USES.get(id(d))
    if kept is not None and kept[0] is d:
        return kept[1]
    names = set()
    for n in _walk(d):
        name = n.name if isinstance(n, ast.Name) else n.func if isinstance(n, ast.Call) \
            else n.definition if isinstance(n, ast.AmendedBy) else None
        if name is not None and not (isinstance(d, ast.Define) and d.name == name):
            names.add(name)
    if len(_USES) > 100_000:
        _USES.clear()
    _USES[id(d)] = (d, frozenset(names))  # the declaration held: its id is not reused
    return _USES[id(d)][1]


_USES: dict[int, tuple[Any, frozenset[str]]] = {}


def _unused(decls: list[tuple[Any, str | None]]) -> list[Diagnostic]:
    used: set[str] = set().union(*(_uses(d) for d, _ in decls))
    out = []
    for d, _ in decls:
        if isinstance(d, ast.Define) and d.name not in used:
            out.append(warning(
                "W101", f"definition '{d.name}' is not used by any clause, exception or "
                "definition", d.span,
                "use it, delete it, or, if it is there to be reported (rrdsl eval lists every "
                "derived value), say so with `# rrdsl: allow W101`"))
        elif isinstance(d, ast.FactDecl) and d.name not in used:
            out.append(warning(
                "W102", f"fact '{d.name}' is not used by any clause, exception or definition",
                d.span, "use it or delete it: fact files need not give facts nothing reads"))
    return out


# statically false conditions ─────────────────────────────────────────────────

_CONST_KINDS = ("int", "decimal", "money", "percent", "date")


def _conjuncts(e: Any) -> list[Any]:
    if isinstance(e, ast.BoolOp) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _const(e: Any, enum_members: set[str]) -> tuple[str, Any] | None:
    if isinstance(e, ast.Literal) and e.kind in _CONST_KINDS + ("text", "bool"):
        value = e.value
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return ("number", Decimal(value))
        return (e.kind, value)
    if isinstance(e, ast.Name) and e.name in enum_members:
        return ("enum", e.name)
    return None


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def contradictory(conditions: Iterable[Any], enum_members: set[str]) -> bool:
    """Is the conjunction of `conditions` false whatever the facts (by the rules above)?"""
    atoms = [a for c in conditions for a in _conjuncts(c)]
    if any(isinstance(a, ast.Literal) and a.value is False and a.kind == "bool" for a in atoms):
        return True
    if any(isinstance(a, ast.Not) and a.expr in atoms for a in atoms):
        return True
    bounds: dict[Any, list[tuple[str, tuple[str, Any]]]] = {}
    for a in atoms:
        if not isinstance(a, ast.Compare):
            continue
        left, right, op = a.left, a.right, a.op
        c = _const(right, enum_members)
        if c is None:
            c, left, op = _const(left, enum_members), right, _FLIP[op]
        if c is not None and _const(left, enum_members) is None:
            bounds.setdefault(left, []).append((op, c))
    return any(_empty(b) for b in bounds.values())


def _empty(bounds: list[tuple[str, tuple[str, Any]]]) -> bool:
    kinds = {k for _, (k, _) in bounds}
    if len(kinds) != 1:
        return False
    equal = {v for op, (_, v) in bounds if op == "=="}
    if len(equal) > 1:
        return True
    if kinds & {"enum", "text", "bool"}:
        return bool(equal) and any(op == "!=" and v in equal for op, (_, v) in bounds)
    lo: tuple[Any, bool] | None = None  # (value, inclusive)
    hi: tuple[Any, bool] | None = None
    for op, (_, v) in bounds:
        if op in ("==", ">", ">=") and (lo is None or v > lo[0] or (v == lo[0] and op == ">")):
            lo = (v, op != ">")
        if op in ("==", "<", "<=") and (hi is None or v < hi[0] or (v == hi[0] and op == "<")):
            hi = (v, op != "<")
    if any(op == "!=" and v in equal for op, (_, v) in bounds):
        return True
    if lo is None or hi is None:
        return False
    return bool(lo[0] > hi[0] or (lo[0] == hi[0] and not (lo[1] and hi[1])))


def _period(parts: Iterable[Any]) -> tuple[datetime.date | None, datetime.date | None]:
    """The literal first and last day of a period given by `from`/`until`/`through` dates."""
    start = last = None
    for p in parts:
        e = getattr(p, "expr", None)
        if not (isinstance(e, ast.Literal) and e.kind == "date"):
            continue
        assert isinstance(e.value, datetime.date)
        if isinstance(p, ast.FromPart):
            start = e.value
        elif isinstance(p, ast.Until):
            last = e.value - datetime.timedelta(days=1)
        elif isinstance(p, ast.Through):
            last = e.value
    return start, last


def _conditions(parts: Iterable[Any]) -> list[Any]:
    out = []
    for p in parts:
        if isinstance(p, ast.When):
            out.append(p.expr)
        elif isinstance(p, ast.Upon) and p.where is not None:
            out.append(p.where)
    return out


def _never_applies(d: ast.ExceptionDecl, enum_members: set[str]) -> list[Diagnostic]:
    conds = _conditions(d.parts)
    if conds and contradictory(conds, enum_members):
        return [warning("W103", f"exception '{d.name}' can never apply: its conditions "
                        "contradict each other", d.name_span or d.span,
                        "correct the condition; as written the exception never suspends or "
                        "excuses anything")]
    start, last = _period(d.parts)
    if start is not None and last is not None and last < start:
        return [warning("W103", f"exception '{d.name}' can never apply: its period ends "
                        f"({last.isoformat()}) before it begins ({start.isoformat()})",
                        d.name_span or d.span, "correct the dates of `from` and `until`")]
    return []


# obligation against prohibition ───────────────────────────────────────────────


def _bearer_key(c: ast.Clause) -> tuple[str, str]:
    b = c.bearer
    return ("each", b.role) if isinstance(b, ast.BearerEach) else ("party", b.name)


def _action_key(c: ast.Clause) -> str:
    return " ".join(c.action.lower().split())


def _conflicts(clauses: list[tuple[ast.Clause, str | None]],
               enum_members: set[str]) -> list[Diagnostic]:
    out = []
    duties = [(c, s) for c, s in clauses if c.modality == "obligation"]
    bans: dict[tuple[tuple[str, str], str], list[tuple[ast.Clause, str | None]]] = {}
    for c, s in clauses:  # by bearer and action: a duty is compared with the same ones only
        if c.modality == "prohibition":
            bans.setdefault((_bearer_key(c), _action_key(c)), []).append((c, s))
    for duty, dsec in duties:
        for ban, bsec in bans.get((_bearer_key(duty), _action_key(duty)), []):
            if contradictory(_conditions(duty.parts) + _conditions(ban.parts), enum_members):
                continue
            (s1, l1), (s2, l2) = _period(duty.parts), _period(ban.parts)
            if (s1 and l2 and l2 < s1) or (s2 and l1 and l1 < s2):
                continue
            who = " ".join(_bearer_key(duty)[1:])
            other = duty.name_span or duty.span
            out.append(warning(
                "W104", f"§{bsec}.{ban.name} forbids what §{dsec}.{duty.name} requires of "
                f"{who}, and both can be in force at once", ban.name_span or ban.span,
                "give one of them a condition or period that excludes the other, or an "
                "exception (`exception NAME: suspends ...`) saying which one prevails",
                labels=(Label(other, "the obligation"),) if other else ()))
    return out


# suppression ──────────────────────────────────────────────────────────────────


def _allowed(modules: list[ast.Module]) -> dict[tuple[str, int], set[str]]:
    """(file, line) → codes a `# rrdsl: allow ...` comment on that line allows."""
    out: dict[tuple[str, int], set[str]] = {}
    for m in modules:
        for c in m.comments:  # collected by the parse that made the module
            found = _ALLOW.search(c.text) if "allow" in c.text else None
            if found:
                out[(m.file, c.line)] = set(re.findall(r"W\d{3}", found.group(1)))
    return out


def _is_allowed(w: Diagnostic, allowed: dict[tuple[str, int], set[str]]) -> bool:
    if w.span is None:
        return False
    return any(w.code in allowed.get((w.span.file, line), set())
               for line in (w.span.line, w.span.line - 1))


# ── scenarios ────────────────────────────────────────────────────────────────


def lint_scenario(path: Path) -> list[Diagnostic]:
    """W105: a scenario that exercises nothing: it expects nothing, or it gives no events (and no
    fact file) and expects only that clauses are not triggered — nothing happens and nothing is
    expected to happen.

    The test is on the file as written (nothing is evaluated): an expectation exercises
    something when it names a value, a refused fact set (`fact_error`), an amendment's decision,
    a fact check's warning, an amendment warned of, or a clause with a status other than
    `not_triggered`
    (or without a status) and not `count = 0`; a scenario giving events whose expectations are
    all `not_triggered` is a negative test and exercises the conditions that keep the clauses
    from applying. Scenario errors are `rrdsl test`'s to report."""
    from .scenarios import read_scenario

    name = display_path(path)
    try:
        _, text, data = read_scenario(path)
    except RrdslError as e:  # a file rrdsl test could not run: its errors, at their places
        return list(e.diagnostics)
    expects = data.get("expect", [])
    if not isinstance(expects, list):
        return []
    from .scenarios import unknown_names

    names = unknown_names(path, name, text, data)
    if names:
        return names

    def exercises(exp: Any) -> bool:
        if not isinstance(exp, dict):
            return False
        if any(k in exp for k in ("value", "fact_error", "amendment", "warning")):
            return True  # a value, a refused fact set, an amendment's decision, a fact check
        if "ignored_amendment" in exp:
            return exp.get("count") != 0
        return "clause" in exp and exp.get("status") != "not_triggered" and \
            exp.get("count") != 0

    given = data.get("given", {})
    happened = "facts" in data or (isinstance(given, dict) and bool(given.get("events")))
    if any(exercises(e) for e in expects) or (expects and happened):
        return []
    if re.search(r"#\s*rrdsl:\s*allow\s+[A-Z0-9 ,]*W105", text):
        return []
    from .diagnostics import SOURCES

    SOURCES.add(name, text)
    line = next((i for i, t in enumerate(text.splitlines(), 1) if t.strip() == "[[expect]]"), 1)
    return [warning("W105", "this scenario exercises nothing: it gives no events and expects "
                    "no value and no clause that applies", Span.point(name, line, 1, 10),
                    "give the events the clause is about, or expect a value or a clause that "
                    "applies (status pending, in_force, fulfilled, ...)")]


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.rglob("*.scenario.toml")) if p.is_dir() else [p])
    return out


__all__ = ["CODES", "check_path", "contradictory", "lint_modules", "lint_scenario",
           "scenario_files"]
