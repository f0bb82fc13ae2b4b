"""Report stage: `Outcome` → text for people (grouped by party) or JSON for tools.

The JSON shape is versioned (`SCHEMA`) and documented in docs/json-schema.md.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from typing import Any

import attrs

from . import ir
from .browse import section_sort_keys
from .evaluator import FactWarning, NormResult, Outcome, Term
from .family import AmendmentDecision, IgnoredAmendment, ReferenceResult
from .runtime import Node
from .values import show, to_json
from .variants import answer_terms, value_terms

SCHEMA = "rrdsl.result/3"
FAMILY_SCHEMA = "rrdsl.results/3"
EXPLAIN_SCHEMA = "rrdsl.explanation/2"

_ACTIVE = ("pending", "in_force", "breached", "suspended", "undetermined")


def _cite(section: str | None, file: str | None, line: int | None) -> str:
    where = f"{file}:{line}" if file and line else ""
    sec = f"§{section}" if section else ""
    return " ".join(x for x in (sec, f"({where})" if where else "") if x)


def _assumed(terms: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"term": k, "because": why} for k, why in terms]


def norm_json(r: NormResult, c: ir.Contract | None = None, facts: Any = None,
              steps: Steps | None = None) -> dict[str, Any]:
    n = r.norm
    out: dict[str, Any] = {
        "id": r.instance,
        "clause": n.id,
        "section": n.section,
        "heading": n.heading,
        "modality": n.modality,
        "modal": n.modal,
        "action": n.action,
        "bearer": r.bearer,
        "beneficiaries": r.beneficiaries,
        "trigger": to_json(r.trigger),
        "status": r.status,
        "reason": r.reason,
        "deadline": to_json(r.deadline),
        "deadline_text": n.deadline_text,
        "period": {"from": to_json(r.period_start), "through": to_json(r.period_end)},
        "performed_on": to_json(r.performed_on),
        "breached_on": to_json(r.breached_on),
        "beneficiaries_missing_facts": r.beneficiaries_missing,
        "values": [{"label": label, "value": to_json(v), "display": shown_part(v, t, needs),
                    "missing_facts": list(needs)}
                   for label, v, t, needs in r.withs],
        "exceptions": [{"id": a.exception, "effect": a.effect, "because": a.because,
                        "from": to_json(a.start), "through": to_json(a.end),
                        "active": a.active, "citation": a.cite.to_json()}
                       for a in r.exceptions],
        "missing_facts": r.missing,
        "assumptions": r.assumptions,
        "assumed_terms": _assumed(answer_terms(c, facts, r) if c else []),
        "citation": n.cite.to_json(),
    }
    if r.explanation is not None:
        out["explanation"] = node_json(r.explanation, steps)
    return out


class Steps:
    """The derivation steps written in one JSON document.  A step with children that the
    document reaches again (a definition's answer reused from the memo, by this derivation or
    another) is written in full where it is first reached, and after that as `same_as` its
    `id`, without children, as `explanation_text` prints "(as above)": the document grows with
    the steps it shows, where writing every repeat out grows exponentially with the history.
    `finish` numbers the steps referred to, 1, 2, ... in the order they are written."""

    __slots__ = ("again", "written")

    def __init__(self) -> None:
        self.written: dict[int, dict[str, Any]] = {}  # id(node) -> its node, written in full
        self.again: list[tuple[dict[str, Any], int]] = []  # a reference, and id(node)

    def finish(self) -> None:
        named = {key for _, key in self.again}
        ids: dict[int, int] = {}
        for key, out in self.written.items():
            if key in named:
                out["id"] = ids[key] = len(ids) + 1
            else:
                del out["id"]
        for out, key in self.again:
            out["same_as"] = ids[key]


def node_json(node: Node, steps: Steps | None = None) -> dict[str, Any]:
    """A derivation as a node of `rrdsl.explanation/2`; with `steps`, one of several in a
    document whose steps are numbered together (the caller calls `steps.finish()`)."""
    if steps is not None:
        return _node_json(node, steps)
    steps = Steps()
    out = _node_json(node, steps)
    steps.finish()
    return out


def _node_json(node: Node, steps: Steps) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": node.kind, "label": node.label,
                           "value": to_json(node.value) if not isinstance(node.value, str)
                           else node.value}
    if node.section:
        out["section"] = node.section
    if node.file:
        out["file"] = node.file
        out["line"] = node.line
    if node.note:
        out["note"] = node.note
    if node.kind == "qualitative":
        out["assumption"] = True
    if node.children:
        key = id(node)
        if key in steps.written:
            out["same_as"] = 0  # numbered by `finish`
            out["children"] = []
            steps.again.append((out, key))
            return out
        out["id"] = 0  # numbered by `finish`, or taken out if nothing refers to it
        steps.written[key] = out
    out["children"] = [_node_json(c, steps) for c in node.children]
    return out


def outcome_json(o: Outcome) -> dict[str, Any]:
    c = o.contract
    assumptions = sorted({a for r in o.norms for a in r.assumptions})
    missing = sorted({m for r in o.norms for m in answer_needs(r)} |
                     {m for v in o.values for m in v.missing})
    steps = Steps()  # the derivations' steps are numbered through the document
    doc = {
        "schema": SCHEMA,
        "agreement": {"name": c.name, "title": c.title, "file": c.file,
                      "dated": to_json(c.dated), "calendar": c.calendar,
                      "based_on": list(c.based_on),
                      "assumed_terms": sum(1 for x in c.standing.values()
                                           if x.status == "assumed"),
                      "known_terms": sum(1 for x in c.standing.values()
                                         if x.status == "known")},
        "as_of": o.as_of.isoformat(),
        "facts_file": o.facts.file,
        "norms": [norm_json(r, c, o.facts, steps) for r in o.norms],
        "values": [{"name": v.definition.name, "label": v.label, "term": v.definition.title,
                    "type": str(v.definition.type), "value": to_json(v.value),
                    "display": "undetermined" if v.missing else show(v.value, v.definition.type),
                    "missing_facts": v.missing, "citation": v.definition.cite.to_json(),
                    "assumed_terms": _assumed(value_terms(c, o.facts, v))}
                   for v in o.values],
        "warnings": [warning_json(w, o) for w in o.warnings],
        "references": [reference_json(x, steps) for x in o.references],
        "amendments": [amendment_json(a, steps) for a in o.amendments],
        "ignored_amendments": [ignored_json(x) for x in o.ignored_amendments],
        "term": term_json(o.term),
        "membership": {"outside": sorted(o.facts.outside),
                       "assumed": sorted(o.facts.assumed_members)},
        "assumptions": assumptions,
        "missing_facts": missing,
        "summary": {s: sum(1 for r in o.norms if r.status == s) for s in
                    ("not_triggered", "pending", "in_force", "fulfilled", "breached", "expired",
                     "suspended", "excused", "undetermined")},
    }
    steps.finish()
    return doc


def term_text(t: Term) -> str:
    """The agreement's life, in a line of the report."""
    sec = f"§{t.rule.cite.section}"
    if t.missing:
        return (f"{sec}: whether the Agreement still survives is undetermined: needs "
                f"{', '.join(t.missing)}; the answers take it as surviving")
    if t.ended_on is None:
        return f"{sec}: the Agreement survives"
    return (f"{sec}: the Agreement ended on {t.ended_on.isoformat()}, its last day; the "
            "answers are as they stood at the end of that day, and nothing after it counts")


def term_json(t: Term | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"survives": None if t.missing else t.ended_on is None,
            "ended_on": to_json(t.ended_on), "missing_facts": t.missing,
            "citation": t.rule.cite.to_json()}


def reference_json(x: ReferenceResult, steps: Steps | None = None) -> dict[str, Any]:
    ref = x.reference
    return {"clause": ref.id, "section": ref.section, "heading": ref.heading,
            "matter": ref.matter, "governed_by": {"agreement": ref.agreement,
                                                   "title": ref.agreement_title,
                                                   "clause": ref.target},
            "loaded": x.loaded, "status": x.status, "note": x.note,
            "answers": [norm_json(r, x.answered_by, x.facts, steps) for r in x.answers],
            "citation": ref.cite.to_json()}


def amendment_json(a: AmendmentDecision, steps: Steps | None = None) -> dict[str, Any]:
    m = a.amendment
    out: dict[str, Any] = {
        "name": m.name, "title": m.title, "amends": m.base_file, "writing": m.writing,
        "effective": a.effective, "effective_on": to_json(a.effective_on),
        "applied": a.applied, "reason": a.reason, "missing_facts": a.missing,
        "retroactive": m.retroactive is not None, "earlier_answers_differ": a.earlier,
        "rule": ({"definition": a.rule.definition, "citation": a.rule.cite.to_json()}
                 if a.rule else None)}
    if a.explanation is not None:
        out["explanation"] = node_json(a.explanation, steps)
    return out


def ignored_json(x: IgnoredAmendment) -> dict[str, Any]:
    return {"writing": x.writing, "effective_on": to_json(x.effective_on), "files": x.files,
            "message": x.message, "citation": x.rule.cite.to_json()}


def family_json(outcomes: list[Outcome]) -> dict[str, Any]:
    return {"schema": FAMILY_SCHEMA, "results": [outcome_json(o) for o in outcomes]}


def family_text(outcomes: list[Outcome], show_values: bool = True) -> str:
    rule = "═" * 78 + "\n"
    return rule.join(outcome_text(o, show_values) for o in outcomes)


def outcome_text(o: Outcome, show_values: bool = True) -> str:
    c = o.contract
    lines = [f"{c.title} ({c.name})",
             f"as of {o.as_of.isoformat()} · facts: {o.facts.file}"]
    if c.based_on:
        lines.append("a variant of " + " ← ".join(c.based_on))
    assumed = sorted(k for k, x in c.standing.items() if x.status == "assumed")
    if c.standing:
        known = sum(1 for x in c.standing.values() if x.status == "known")
        lines.append(f"terms: {known} known, {len(assumed)} assumed — answers resting on an "
                     "assumed term say so (⚠ assumed)")
        if assumed:
            lines.append(f"assumed unless stated otherwise: {_default_assumption(c)}")
    lines.extend(membership_lines(o))
    for a in o.amendments:
        verdict = ("evaluated WITH the amendment" if a.applied
                   else "evaluated WITHOUT the amendment")
        lines.append(f"amendment {a.amendment.name} (\"{a.amendment.title}\"): {a.reason}; "
                     f"{verdict}")
        if a.applied and a.amendment.retroactive is None:
            lines.append(f"  it governs events from {a.effective_on}: answers to earlier events "
                         f"stand as the agreement gave them before it ({a.earlier} of them "
                         "differ from what it would give)")
        elif a.applied:
            lines.append("  retroactive: it governs earlier events too "
                         f"({a.amendment.retroactive})")
    for x in o.ignored_amendments:
        lines.append(f"⚠ {x.message}")
    if o.term is not None:
        lines.append(term_text(o.term))
    lines.append("")
    if o.warnings:
        lines.append(f"Fact warnings ({len(o.warnings)}): events of the fact file that fail a "
                     "check of the contract; the answers take the facts as given")
        for w in o.warnings:
            lines.extend(warning_lines(w, o))
        lines.append("")
    parties: dict[str, list[NormResult]] = {}
    quiet: list[NormResult] = []
    for r in o.norms:
        if r.status == "not_triggered":
            quiet.append(r)
            continue
        parties.setdefault(r.bearer or "?", []).append(r)
    keys = section_sort_keys({r.norm.section for r in o.norms})
    for party in sorted(parties, key=lambda p: (p not in c.parties, p)):
        lines.append(party)
        for r in sorted(parties[party], key=lambda r: keys[r.norm.section]):
            lines.extend(_norm_lines(r, c, o.facts))
        lines.append("")
    if o.references:
        lines.append("Governed by other agreements")
        for x in o.references:
            ref = x.reference
            lines.append(f"  §{ref.id} — {ref.matter}")
            lines.append(f"            {x.note}")
            for r in x.answers:
                lines.extend("    " + ln for ln in _norm_lines(r, x.answered_by, x.facts))
            lines.append(f"            cites §{ref.section} {ref.heading} ({_loc(ref.cite)})")
        lines.append("")
    if quiet:
        lines.append(f"Not triggered ({len(quiet)})")
        for r in quiet:
            lines.append(f"  §{r.instance}: {r.reason}")
        lines.append("")
    if show_values and o.values:
        lines.append("Derived values")
        for v in o.values:
            shown = ("undetermined: needs " + ", ".join(v.missing)) if v.missing \
                else show(v.value, v.definition.type)
            term = f'  "{v.definition.title}"' if v.definition.title else ""
            flag = "  ⚠ assumed" if value_terms(c, o.facts, v) else ""
            lines.append(f"  §{v.definition.cite.section or '-'} {v.label} = {shown}{term}{flag}")
        lines.append("")
    assumptions = sorted({a for r in o.norms for a in r.assumptions})
    if assumptions:
        lines.append("Assumptions of this run (qualitative facts taken as given): "
                     + ", ".join(assumptions))
    missing = sorted({m for r in o.norms for m in answer_needs(r)} |
                     {m for v in o.values for m in v.missing})
    if missing:
        lines.append("Undetermined until these facts are given: " + ", ".join(missing))
    statuses = _ACTIVE + ("fulfilled", "expired", "excused")
    counts = {s: sum(1 for r in o.norms if r.status == s) for s in statuses}
    lines.append("Summary: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()
                                         if n))
    return "\n".join(lines).rstrip() + "\n"


def warning_lines(w: FactWarning, o: Outcome) -> list[str]:
    """A fact warning as the text report shows it: where the event is, what it fails."""
    ev, check = w.event, w.check
    at = o.facts.event_location(ev.id)
    where = f" ({at})" if at is not None else ""
    return [f"  ⚠ {ev.type} {ev.id} of {ev.date.isoformat()}{where}: {w.message}",
            f"    check §{check.id} ({_loc(check.cite)})"]


def warning_json(w: FactWarning, o: Outcome) -> dict[str, Any]:
    at = o.facts.event_location(w.event.id)
    return {"check": w.check.id, "event": to_json(w.event), "message": w.message,
            "location": None if at is None else {"file": at.file, "line": at.line,
                                                 "column": at.col},
            "citation": w.check.cite.to_json()}


def shown_part(v: Any, t: Any, needs: Sequence[str]) -> str:
    """A `with` value (or the beneficiaries) as the reports show it: undetermined, with the
    facts it needs, when those are not given."""
    return "undetermined: needs " + ", ".join(needs) if needs else show(v, t)


def answer_needs(r: NormResult) -> list[str]:
    """Every fact an answer needs: its status's, its beneficiaries' and its values'."""
    return sorted({*r.missing, *r.beneficiaries_missing,
                   *(m for _, _, _, needs in r.withs for m in needs)})


def norm_details(r: NormResult) -> list[str]:
    """Beneficiaries, trigger, deadline and period of an answer, each a short phrase."""
    details = []
    if r.beneficiaries:
        details.append("to " + ", ".join(r.beneficiaries))
    elif r.beneficiaries_missing:
        details.append("to: " + shown_part(None, None, r.beneficiaries_missing))
    if r.trigger is not None:
        details.append(f"upon {r.trigger.type} {r.trigger.id} of {r.trigger.date.isoformat()}")
    if r.deadline is not None:
        details.append(f"deadline {r.deadline.isoformat()}")
    elif r.norm.deadline_text:
        details.append(f"deadline: {r.norm.deadline_text}")
    if r.period_start or r.period_end:
        details.append(f"period {r.period_start or '…'} through {r.period_end or 'no fixed end'}")
    return details


def _norm_lines(r: NormResult, c: ir.Contract | None = None, facts: Any = None) -> list[str]:
    n = r.norm
    head = f"  {n.modal.upper():9} §{r.instance} — {r.status.replace('_', ' ')}"
    if r.reason:
        head += f": {r.reason}"
    out = [head, f"            {n.action}"]
    details = norm_details(r)
    if details:
        out.append("            " + " · ".join(details))
    for label, v, t, needs in r.withs:
        out.append(f"            {label}: {shown_part(v, t, needs)}")
    for a in r.exceptions:
        state = "applies" if a.active else "applied"
        span = (f" from {a.start}" + (f" through {a.end}" if a.end else ", no end fixed yet")
                if a.effect == "suspends" else "")
        out.append(f"            exception §{a.exception} {a.effect} ({state}{span})")
    if r.assumptions:
        out.append("            assumes: " + ", ".join(r.assumptions))
    terms = answer_terms(c, facts, r) if c is not None else []
    if c is not None and terms:
        out.append(f"            ⚠ assumed: rests on assumed terms of {c.name}: "
                   + ", ".join(k for k, _ in terms))
        default = _default_assumption(c)
        for k, why in terms:
            if why != default:
                out.append(f"              {k}: {why}")
    out.append(f"            cites §{n.section} {n.heading} ({_loc(n.cite)})")
    return out


def membership_lines(o: Outcome) -> list[str]:
    """Which of the fact file's parties are not parties of this agreement, and whose
    membership in it is assumed."""
    out = []
    fs, name = o.facts, o.contract.name
    if fs.outside:
        out.append(f"not parties of {name} (the fact file says so): "
                   + ", ".join(sorted(fs.outside)))
    if fs.assumed_members:
        out.append(f"⚠ taken to be parties of {name}, which the fact file does not say: "
                   + ", ".join(sorted(fs.assumed_members))
                   + " (list each one's agreements under [parties]: "
                   "NAME = { role = \"...\", agreements = [...] })")
    return out


def _default_assumption(c: ir.Contract) -> str | None:
    """The reason most assumed terms share (a variant's `inherited terms assumed`)."""
    texts = [x.text for x in c.standing.values() if x.status == "assumed"]
    return max(set(texts), key=texts.count) if texts else None


def _loc(cite: Any) -> str:
    return f"{cite.span.file}:{cite.span.line}" if cite.span else "?"


def explanation_text(node: Node) -> str:
    """The derivation as an indented tree; a step already shown is not expanded again."""
    lines: list[str] = []
    _tree(node, "", "", lines, set())
    return "\n".join(lines) + "\n"


def _tree(node: Node, first: str, rest: str, lines: list[str], seen: set[int]) -> None:
    value = node.value if isinstance(node.value, str) else show(node.value)
    mark = " [assumption]" if node.kind == "qualitative" else ""
    kind = {"fact": "fact ", "qualitative": "fact ", "missing": "MISSING ", "event": "event ",
            "exception": "exception ", "definition": "", "condition": "", "clause": "",
            "as_of": ""}[node.kind]
    text = f"{kind}{node.label}"
    if node.kind != "missing":
        text += f" = {value}" if value not in ("", "none") or node.kind != "clause" else ""
    cite = _cite(node.section, node.file, node.line)
    repeated = id(node) in seen and bool(node.children)
    seen.add(id(node))
    lines.append(f"{first}{text}{mark}" + (f"   {cite}" if cite else "")
                 + ("   (as above)" if repeated else ""))
    if repeated:
        return
    if node.note and node.kind not in ("definition",):
        lines.append(f"{rest}   ({node.note})")
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        _tree(child, rest + ("└─ " if last else "├─ "), rest + ("   " if last else "│  "),
              lines, seen)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ── the terminal ─────────────────────────────────────────────────────────────

ANSI = {"pending": "33", "in force": "34", "breached": "1;31", "fulfilled": "32",
        "expired": "2", "suspended": "35", "excused": "2", "undetermined": "1;33",
        "not triggered": "2"}
_STATUS_AT = re.compile(r"^(\s+[A-Z][A-Z ]*?\s+§.*? — )(" + "|".join(ANSI) + r")(?=:|$)")
_SUMMARY = re.compile(r"(\d+ )(" + "|".join(ANSI) + r")(?=,|$)")


def colorize(text: str) -> str:
    """The text report with each answer's status (and the summary's) in colour (ANSI)."""
    out = []
    for line in text.split("\n"):
        line = _STATUS_AT.sub(lambda m: f"{m.group(1)}\x1b[{ANSI[m.group(2)]}m{m.group(2)}"
                              "\x1b[0m", line)
        if line.startswith("Summary: "):
            line = _SUMMARY.sub(lambda m: f"{m.group(1)}\x1b[{ANSI[m.group(2)]}m{m.group(2)}"
                                "\x1b[0m", line)
        out.append(line)
    return "\n".join(out)


def wrap_lines(text: str, width: int) -> str:
    """Lines longer than `width` wrapped at spaces, continued under their own indentation
    (an answer's first line under its text)."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip(" "))]
        more = " " * 12 if _STATUS_AT.match(line) else lead + "  "
        out.append(textwrap.fill(line, width, initial_indent="", subsequent_indent=more,
                                 break_long_words=False, break_on_hyphens=False,
                                 drop_whitespace=True) if len(more) < width // 2 else line)
    return "\n".join(out)


def under_section(want: str | None, number: str, clause: str,
                  instance: str | None = None) -> bool:
    """Whether an answer of the clause `clause`, in the section `number` (of the instance
    `instance`), is under `want`: a section (3(c) includes 3(c)(viii)), a clause id
    (3(a).register: its instances) or an instance's id; None: every answer is."""
    if want is None:
        return True
    want = want.lstrip("§")
    if "." in want:
        return want in (clause, instance)
    return number == want or number.startswith(want + "(")


def select_norms(o: Outcome, party: str | None, status: str | None,
                 section: str | None) -> Outcome:
    """The outcome with only the answers borne by `party`, of `status`, under `section`
    (`under_section`)."""

    def keep(r: NormResult) -> bool:
        if party is not None and r.bearer != party:
            return False
        if status is not None and r.status != status:
            return False
        return under_section(section, r.norm.section, r.norm.id, r.instance)

    # a clause answered by another agreement has no bearer or status here: kept only when
    # the filters name neither
    refs = [x for x in o.references if party is None and status is None
            and under_section(section, x.reference.section, x.reference.id)]
    return attrs.evolve(o, norms=[r for r in o.norms if keep(r)], references=refs)
