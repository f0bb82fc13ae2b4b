"""`rrdsl diff A B`: how two agreements of a family differ, in text and in outcomes.

* **Structural**: the declarations of the two effective agreements (a variant or an amendment
  with its base applied), matched by name (clauses by section and name): added, removed,
  changed. A change confined to literals is shown as parameter changes (`2 → 3`); any other
  change shows the parts that differ, old → new, as written.
* **Behavioural**: both agreements evaluated over the same fact sets (the `[given]` facts and
  as-of date of each scenario file under `--scenarios DIR`); every answer whose status, dates,
  parties, exceptions or reported values differ is listed with both derivations.
"""

from __future__ import annotations

import datetime
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from . import ast
from .api import Contract, load
from .compiler import snippet
from .diagnostics import SOURCES, RrdslError, Span
from .evaluator import NormResult, Outcome, explain_some
from .facts import parse_facts
from .scenarios import read_scenario
from .loader import display_path, load_composition
from .report import explanation_text, node_json, norm_json, shown_part
from .values import show, to_json
from .variants import _decls, kind_word

SCHEMA = "rrdsl.diff/1"


@attrs.frozen
class Change:
    kind: str  # added | removed | changed
    key: str  # "3(a).register" or a name
    what: str  # clause, definition, party, ...
    section: str | None
    a_loc: str | None
    b_loc: str | None
    details: tuple[str, ...] = ()  # "2 → 3", "title: "x" → "y""
    parameters_only: bool = False


@attrs.frozen
class AnswerDiff:
    fact_set: str
    as_of: datetime.date
    answer: str  # "3(a).register[dn3]" or a value label
    kind: str  # norm | value
    a: Any  # NormResult | ValueResult | None
    b: Any
    differences: tuple[str, ...]


@attrs.frozen
class Diff:
    a: Contract
    b: Contract
    changes: tuple[Change, ...]
    header: tuple[str, ...]
    answers: tuple[AnswerDiff, ...]
    fact_sets: tuple[str, ...]
    skipped: tuple[str, ...]  # fact sets that could not be used, with why


# ── structural ──────────────────────────────────────────────────────────────


def _loc(d: object) -> str | None:
    sp = getattr(d, "span", None)
    return f"{sp.file}:{sp.line}" if isinstance(sp, Span) else None


def _shown(v: object) -> str:
    if isinstance(v, tuple):
        return "(" + "; ".join(_shown(x) for x in v) + ")" if v else "(none)"
    if isinstance(v, ast.Literal):
        text = snippet(v.span) if v.span is not None else ""
        return text if text and text != "?" else str(v.value)
    sp = getattr(v, "span", None)
    if isinstance(sp, Span):
        text = snippet(sp)
        if text and text != "?":
            return text
    if isinstance(v, str):
        return '"' + v + '"'
    return str(v)


def _leaf_changes(a: object, b: object, path: str) -> Iterator[tuple[str, object, object, bool]]:
    """(where, old, new, is_literal) for each place two equal-shaped trees differ; a place
    whose shape differs is one change of the whole subtree."""
    if a == b:
        return
    if isinstance(a, ast.Literal) and isinstance(b, ast.Literal):
        yield path, a, b, True
        return
    if type(a) is not type(b):
        yield path, a, b, False
        return
    if attrs.has(type(a)):
        for f in attrs.fields(type(a)):  # type: ignore[arg-type]
            if not f.eq:
                continue
            yield from _leaf_changes(getattr(a, f.name), getattr(b, f.name),
                                     f"{path}.{f.name}" if path else f.name)
        return
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _leaf_changes(x, y, f"{path}[{i}]")
        return
    yield path, a, b, False


def structural(a_path: Path, b_path: Path, compositions: tuple[Any, Any] | None = None
               ) -> tuple[list[Change], list[str]]:
    """The declarations that differ; `compositions`: the two agreements' modules, when they
    were loaded already (Contract.composition)."""
    ca, cb = compositions or (load_composition(a_path), load_composition(b_path))

    def table(modules: tuple[ast.Module, ...]) -> dict[str, tuple[ast.Decl, str | None]]:
        out: dict[str, tuple[ast.Decl, str | None]] = {}
        for key, _, d in _decls(modules):
            section = key.rsplit(".", 1)[0] if "." in key else None
            out.setdefault(key, (d, section))
        for m in modules:  # readings by name too: a changed reading is a changed reading
            for s in m.sections:
                for d in s.items:
                    if isinstance(d, ast.Reading):
                        out.setdefault("reading " + d.name, (d, s.number))
            for d in m.preamble:
                if isinstance(d, ast.Reading):
                    out.setdefault("reading " + d.name, (d, None))
        return out

    ta, tb = table(ca.modules), table(cb.modules)
    changes: list[Change] = []
    for key in sorted(set(ta) | set(tb), key=_order):
        if key not in tb:
            d, sec = ta[key]
            changes.append(Change("removed", key, kind_word(d), sec, _loc(d), None))
        elif key not in ta:
            d, sec = tb[key]
            changes.append(Change("added", key, kind_word(d), sec, None, _loc(d)))
        elif ta[key][0] != tb[key][0]:
            (da, sec), (db, _) = ta[key], tb[key]
            leaves = list(_leaf_changes(da, db, ""))
            details = tuple(f"{_shown(x)} → {_shown(y)}" if lit
                            else f"{where or 'declaration'}: {_shown(x)} → {_shown(y)}"
                            for where, x, y, lit in leaves)
            changes.append(Change("changed", key, kind_word(da), sec, _loc(da), _loc(db),
                                  details, all(lit for *_, lit in leaves)))
    header: list[str] = []
    ha, hb = ca.modules[0].header, cb.modules[0].header
    if ha is not None and hb is not None:
        for field in ("dated", "calendar"):
            x, y = getattr(ha, field), getattr(hb, field)
            if x != y:
                header.append(f"{field}: {x} → {y}")
        ra, rb = ({r.name for r in h.refers} for h in (ha, hb))
        if ra != rb:
            header.append(f"refers to: {', '.join(sorted(ra)) or 'none'} → "
                          f"{', '.join(sorted(rb)) or 'none'}")
    na = sum(1 for s in ca.standing.values() if s.status == "assumed")
    nb = sum(1 for s in cb.standing.values() if s.status == "assumed")
    if na != nb:
        header.append(f"assumed terms: {na} → {nb}")
    return changes, header


def _order(key: str) -> tuple[int, str]:
    return (0 if "." not in key and not key.startswith("reading ") else 1, key)


# ── behavioural ─────────────────────────────────────────────────────────────


def _fact_sets(folder: Path) -> Iterator[tuple[Path, dict[str, Any], str]]:
    for p in sorted(folder.rglob("*.scenario.toml")):
        try:  # held to the limits; errors are rrdsl test's to report
            _, text, data = read_scenario(p)
        except RrdslError:
            continue
        yield p, data, text


def _norm_key(r: NormResult) -> str:
    return r.instance


def _norm_facts(r: NormResult) -> dict[str, str]:
    return {
        "status": r.status,
        "deadline": show(r.deadline),
        "period": f"{show(r.period_start)} through {show(r.period_end)}",
        "performed on": show(r.performed_on),
        "breached on": show(r.breached_on),
        "beneficiaries": (", ".join(r.beneficiaries or []) if not r.beneficiaries_missing
                          else shown_part(None, None, r.beneficiaries_missing)),
        "exceptions": ", ".join(f"{x.exception}{'' if x.active else ' (ended)'}"
                                for x in r.exceptions),
        **{f"value {label!r}": shown_part(v, t, needs) for label, v, t, needs in r.withs},
    }


def _compare(oa: Outcome, ob: Outcome, name: str) -> Iterator[AnswerDiff]:
    na = {_norm_key(r): r for r in oa.norms}
    nb = {_norm_key(r): r for r in ob.norms}
    for key in sorted(set(na) | set(nb)):
        ra, rb = na.get(key), nb.get(key)
        if ra is None or rb is None:
            # an answer only one agreement gives: a clause added or removed, or a new instance
            present = ra or rb
            assert present is not None
            if present.status == "not_triggered":
                continue
            yield AnswerDiff(name, oa.as_of, key, "norm", ra, rb,
                             ("only in " + (oa.contract.name if ra else ob.contract.name),))
            continue
        fa, fb = _norm_facts(ra), _norm_facts(rb)
        diffs = tuple(f"{k}: {fa.get(k, '—')} → {fb.get(k, '—')}"
                      for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k))
        if diffs:
            yield AnswerDiff(name, oa.as_of, key, "norm", ra, rb, diffs)
    va = {v.label: v for v in oa.values}
    vb = {v.label: v for v in ob.values}
    for label in sorted(set(va) & set(vb)):
        x, y = va[label], vb[label]
        sx = "undetermined" if x.missing else show(x.value, x.definition.type)
        sy = "undetermined" if y.missing else show(y.value, y.definition.type)
        if sx != sy:
            yield AnswerDiff(name, oa.as_of, label, "value", x, y, (f"{sx} → {sy}",))


def _facts(c: Contract, path: Path, data: dict[str, Any], text: str,
           names: frozenset[str]) -> Any:
    """A scenario's fact set as one agreement reads it: its `facts` file, or `[given]`."""
    foreign = names - c.fact_names
    if "facts" in data:
        return c.read_facts(path.parent / str(data["facts"]), foreign=foreign)
    return parse_facts(c.ir, data.get("given", {}), display_path(path), text, "toml",
                       prefix=("given",), foreign=c.foreign_with_base(foreign))


def behavioural(a: Contract, b: Contract, folder: Path
                ) -> tuple[list[AnswerDiff], list[str], list[str]]:
    answers: list[AnswerDiff] = []
    used: list[str] = []
    skipped: list[str] = []
    names = a.fact_names | b.fact_names
    for path, data, text in _fact_sets(folder):
        name = display_path(path)
        as_of = data.get("as_of")
        if not isinstance(as_of, datetime.date):
            skipped.append(f"{name}: no as_of date")
            continue
        SOURCES.add(name, text)
        outs: list[Outcome] = []
        facts: list[Any] = []
        try:
            for c in (a, b):
                facts.append(_facts(c, path, data, text, names))
                outs.append(c.evaluate(facts[-1], as_of, apply_amendment=True))
        except RrdslError as e:
            first = e.diagnostics[0] if e.diagnostics else None
            skipped.append(f"{name}: {first.message if first else 'not usable'}")
            continue
        used.append(name)
        found = list(_compare(outs[0], outs[1], name))
        if found:  # derivations only where something differs, and only of what differs
            explained = [_explained(c, fs, as_of, found, o.term)
                         for c, fs, o in zip((a, b), facts, outs, strict=True)]
            found = [attrs.evolve(x, a=explained[0].get((x.kind, x.answer)),
                                  b=explained[1].get((x.kind, x.answer))) for x in found]
        answers.extend(found)
    return _group_values(answers), used, skipped


def _explained(c: Contract, facts: Any, as_of: datetime.date, found: list[AnswerDiff],
               term: Any) -> dict[tuple[str, str], Any]:
    """The answers that differ, with their derivations, as one agreement gives them: by
    (kind, instance or label).  Only their clauses and values are evaluated traced
    (`explain_some`, given the term the untraced evaluation found); an answer the agreement
    does not give is absent."""
    instances = {x.answer for x in found if x.kind == "norm"}
    labels = {x.answer for x in found if x.kind == "value"}
    norms, values = explain_some(c.plan, facts, as_of, instances, labels, term)
    out: dict[tuple[str, str], Any] = {("norm", _norm_key(r)): r for r in norms}
    out.update({("value", v.label): v for v in values})
    return out


def _group_values(answers: list[AnswerDiff]) -> list[AnswerDiff]:
    """A derived value that differs the same way in many fact sets (a changed constant) is
    listed once, naming how many fact sets show it."""
    out: list[AnswerDiff] = []
    seen: dict[tuple[str, tuple[str, ...]], int] = {}
    counts: dict[int, int] = {}
    for x in answers:
        if x.kind != "value":
            out.append(x)
            continue
        key = (x.answer, x.differences)
        if key in seen:
            counts[seen[key]] += 1
            continue
        seen[key] = len(out)
        counts[len(out)] = 1
        out.append(x)
    return [attrs.evolve(x, fact_set=f"{x.fact_set} and {counts[i] - 1} other fact set(s)")
            if counts.get(i, 1) > 1 else x for i, x in enumerate(out)]


def diff(a_path: Path, b_path: Path, scenarios: Path | None = None) -> Diff:
    a = load(a_path)
    b = load(b_path, loaded=(a,))  # an amendment of A: A is its base, not loaded again
    changes, header = structural(a_path, b_path, (a.composition, b.composition)
                                 if a.composition and b.composition else None)
    answers: list[AnswerDiff] = []
    used: list[str] = []
    skipped: list[str] = []
    if scenarios is not None:
        answers, used, skipped = behavioural(a, b, scenarios)
    return Diff(a, b, tuple(changes), tuple(header), tuple(answers), tuple(used),
                tuple(skipped))


# ── output ──────────────────────────────────────────────────────────────────


def _side_by_side(left: list[str], right: list[str], width: int = 60) -> list[str]:
    def wrap(lines: list[str]) -> list[str]:
        out: list[str] = []
        for ln in lines:
            indent = len(ln) - len(ln.lstrip())
            out.extend(textwrap.wrap(ln, width, subsequent_indent=" " * (indent + 2),
                                     drop_whitespace=False) or [""])
        return out

    lw, rw = wrap(left), wrap(right)
    n = max(len(lw), len(rw))
    lw += [""] * (n - len(lw))
    rw += [""] * (n - len(rw))
    return [f"{x:<{width}} │ {y}".rstrip() for x, y in zip(lw, rw, strict=True)]


def _derivation(x: Any, name: str) -> list[str]:
    if x is None:
        return [f"(no answer in {name})"]
    head = (f"{x.instance}: {x.status}" if isinstance(x, NormResult)
            else f"{x.label} = {'undetermined' if x.missing else show(x.value)}")
    if x.explanation is None:
        return [head]
    return [head, *explanation_text(x.explanation).rstrip("\n").split("\n")]


def diff_text(d: Diff) -> str:
    an, bn = d.a.ir.name, d.b.ir.name
    lines = [f"Structural diff: {an} ({display_path(d.a.path)}) → {bn} "
             f"({display_path(d.b.path)})", ""]
    for h in d.header:
        lines.append(f"  header   {h}")
    if not d.changes and not d.header:
        lines.append("  no declaration differs")
    for c in d.changes:
        where = f"§{c.section} " if c.section else ""
        name = c.key.removeprefix("reading ")
        name = name.rsplit(".", 1)[-1] if c.section and c.what != "reading" else name
        loc = {"added": c.b_loc, "removed": c.a_loc}.get(c.kind) or f"{c.a_loc} → {c.b_loc}"
        if c.parameters_only:
            lines.append(f"  changed  {where}{c.what} {name}: {'; '.join(c.details)}  ({loc})")
            continue
        lines.append(f"  {c.kind:8} {where}{c.what} {name}  ({loc})")
        for det in c.details:
            lines.append(f"             {det}")
    lines.append("")
    lines.append(f"Behavioural diff over {len(d.fact_sets)} fact set(s)")
    for side in (d.a, d.b):
        if side.ir.amendment is not None:
            lines.append(f"  {side.ir.name} is an amendment: evaluated as if it had taken "
                         "effect")
    if not d.fact_sets:
        lines.append("  no fact sets: pass --scenarios DIR to run both agreements over the "
                     "scenarios' facts")
    elif not d.answers:
        lines.append("  every answer is the same")
    else:
        sets = len({x.fact_set.split(" and ", 1)[0] for x in d.answers})
        lines.append(f"  {len(d.answers)} answer(s) differ, in {sets} fact set(s)")
    for x in d.answers:
        lines.append("")
        lines.append(f"  {x.answer} — {x.fact_set}, as of {x.as_of}")
        for det in x.differences:
            lines.append(f"    {det}")
        lines.append("")
        lines.extend("    " + ln for ln in _side_by_side([f"── {an}"], [f"── {bn}"]))
        lines.extend("    " + ln for ln in _side_by_side(_derivation(x.a, an),
                                                         _derivation(x.b, bn)))
    if d.skipped:
        lines.append("")
        lines.append(f"Fact sets not used ({len(d.skipped)})")
        lines.extend(f"  {s}" for s in d.skipped)
    return "\n".join(lines).rstrip() + "\n"


def _answer_json(x: Any, c: Contract) -> dict[str, Any] | None:
    if x is None:
        return None
    if isinstance(x, NormResult):
        return norm_json(x, c.ir)
    out: dict[str, Any] = {"label": x.label, "value": to_json(x.value),
                           "display": "undetermined" if x.missing
                           else show(x.value, x.definition.type),
                           "missing_facts": x.missing}
    if x.explanation is not None:
        out["explanation"] = node_json(x.explanation)
    return out


def diff_json(d: Diff) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "a": {"name": d.a.ir.name, "file": display_path(d.a.path)},
        "b": {"name": d.b.ir.name, "file": display_path(d.b.path)},
        "header": list(d.header),
        "changes": [{"change": c.kind, "key": c.key, "what": c.what, "section": c.section,
                     "a": c.a_loc, "b": c.b_loc, "details": list(c.details),
                     "parameters_only": c.parameters_only} for c in d.changes],
        "fact_sets": list(d.fact_sets),
        "skipped": list(d.skipped),
        "answers": [{"fact_set": x.fact_set, "as_of": x.as_of.isoformat(), "answer": x.answer,
                     "kind": x.kind, "differences": list(x.differences),
                     "a": _answer_json(x.a, d.a), "b": _answer_json(x.b, d.b)}
                    for x in d.answers],
    }


__all__ = ["Diff", "diff", "diff_json", "diff_text"]
