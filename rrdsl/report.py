"""Report stage: `Outcome` → text for people (grouped by party) or JSON for tools.

The JSON shape is versioned (`SCHEMA`) and documented in docs/json-schema.md.
"""

from __future__ import annotations

import json
from typing import Any

from .evaluator import NormResult, Outcome
from .runtime import Node
from .values import show, to_json

SCHEMA = "rrdsl.result/1"
EXPLAIN_SCHEMA = "rrdsl.explanation/1"

_ACTIVE = ("pending", "in_force", "breached", "suspended", "undetermined")


def _cite(section: str | None, file: str | None, line: int | None) -> str:
    where = f"{file}:{line}" if file and line else ""
    sec = f"§{section}" if section else ""
    return " ".join(x for x in (sec, f"({where})" if where else "") if x)


def norm_json(r: NormResult) -> dict[str, Any]:
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
        "values": [{"label": label, "value": to_json(v), "display": show(v, t)}
                   for label, v, t in r.withs],
        "exceptions": [{"id": a.exception, "effect": a.effect, "because": a.because,
                        "from": to_json(a.start), "through": to_json(a.end),
                        "active": a.active, "citation": a.cite.to_json()}
                       for a in r.exceptions],
        "missing_facts": r.missing,
        "assumptions": r.assumptions,
        "citation": n.cite.to_json(),
    }
    if r.explanation is not None:
        out["explanation"] = node_json(r.explanation)
    return out


def node_json(node: Node) -> dict[str, Any]:
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
    out["children"] = [node_json(c) for c in node.children]
    return out


def outcome_json(o: Outcome) -> dict[str, Any]:
    c = o.contract
    assumptions = sorted({a for r in o.norms for a in r.assumptions})
    missing = sorted({m for r in o.norms for m in r.missing} |
                     {m for v in o.values for m in v.missing})
    return {
        "schema": SCHEMA,
        "agreement": {"name": c.name, "title": c.title, "file": c.file,
                      "dated": to_json(c.dated), "calendar": c.calendar},
        "as_of": o.as_of.isoformat(),
        "facts_file": o.facts.file,
        "norms": [norm_json(r) for r in o.norms],
        "values": [{"name": v.definition.name, "label": v.label, "term": v.definition.title,
                    "type": str(v.definition.type), "value": to_json(v.value),
                    "display": "undetermined" if v.missing else show(v.value, v.definition.type),
                    "missing_facts": v.missing, "citation": v.definition.cite.to_json()}
                   for v in o.values],
        "assumptions": assumptions,
        "missing_facts": missing,
        "summary": {s: sum(1 for r in o.norms if r.status == s) for s in
                    ("not_triggered", "pending", "in_force", "fulfilled", "breached", "expired",
                     "suspended", "excused", "undetermined")},
    }


def outcome_text(o: Outcome, show_values: bool = True) -> str:
    c = o.contract
    lines = [f"{c.title} ({c.name})",
             f"as of {o.as_of.isoformat()} · facts: {o.facts.file}", ""]
    parties: dict[str, list[NormResult]] = {}
    quiet: list[NormResult] = []
    for r in o.norms:
        if r.status == "not_triggered":
            quiet.append(r)
            continue
        parties.setdefault(r.bearer or "?", []).append(r)
    for party in sorted(parties, key=lambda p: (p not in c.parties, p)):
        lines.append(party)
        for r in parties[party]:
            lines.extend(_norm_lines(r))
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
            lines.append(f"  §{v.definition.cite.section or '-'} {v.label} = {shown}{term}")
        lines.append("")
    assumptions = sorted({a for r in o.norms for a in r.assumptions})
    if assumptions:
        lines.append("Assumptions of this run (qualitative facts taken as given): "
                     + ", ".join(assumptions))
    missing = sorted({m for r in o.norms for m in r.missing} |
                     {m for v in o.values for m in v.missing})
    if missing:
        lines.append("Undetermined until these facts are given: " + ", ".join(missing))
    statuses = _ACTIVE + ("fulfilled", "expired", "excused")
    counts = {s: sum(1 for r in o.norms if r.status == s) for s in statuses}
    lines.append("Summary: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()
                                         if n))
    return "\n".join(lines).rstrip() + "\n"


def _norm_lines(r: NormResult) -> list[str]:
    n = r.norm
    head = f"  {n.modal.upper():9} §{r.instance} — {r.status.replace('_', ' ')}"
    if r.reason:
        head += f": {r.reason}"
    out = [head, f"            {n.action}"]
    details = []
    if r.beneficiaries:
        details.append("to " + ", ".join(r.beneficiaries))
    if r.trigger is not None:
        details.append(f"upon {r.trigger.type} {r.trigger.id} of {r.trigger.date.isoformat()}")
    if r.deadline is not None:
        details.append(f"deadline {r.deadline.isoformat()}")
    elif n.deadline_text:
        details.append(f"deadline: {n.deadline_text}")
    if r.period_start or r.period_end:
        details.append(f"period {r.period_start or '…'} through {r.period_end or 'no fixed end'}")
    if details:
        out.append("            " + " · ".join(details))
    for label, v, t in r.withs:
        out.append(f"            {label}: {show(v, t)}")
    for a in r.exceptions:
        state = "applies" if a.active else "applied"
        span = (f" from {a.start} through {a.end or 'no fixed end'}"
                if a.effect == "suspends" else "")
        out.append(f"            exception §{a.exception} {a.effect} ({state}{span})")
    if r.assumptions:
        out.append("            assumes: " + ", ".join(r.assumptions))
    out.append(f"            cites §{n.section} {n.heading} ({_loc(n.cite)})")
    return out


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
            "exception": "exception ", "definition": "", "condition": "", "clause": ""}[node.kind]
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
