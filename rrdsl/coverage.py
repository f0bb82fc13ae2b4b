"""Coverage: which paragraphs of the agreement's text a contract encodes, and which of its
clauses the scenarios exercise.

A paragraph is encoded when the contract has a section of the same number holding at least
one declaration or priority. A clause (obligation, permission, prohibition, exception,
non-operative provision or definition) is exercised by a scenario that names it in an
expectation, names a derived value of it, or declares its section.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from . import ir
from .agreement_text import Paragraph, parse_agreement_text
from .checker import section_ancestors
from .diagnostics import Diagnostic, Span, UsageError


@attrs.frozen
class ParagraphCoverage:
    paragraph: Paragraph
    kind: str  # operative | non-operative | heading
    clauses: tuple[str, ...]
    scenarios: tuple[str, ...]

    @property
    def encoded(self) -> bool:
        return bool(self.clauses)


@attrs.frozen
class ClauseCoverage:
    id: str
    kind: str  # obligation | permission | prohibition | exception | non-operative | definition
    section: str
    scenarios: tuple[str, ...]


@attrs.frozen
class Coverage:
    contract: ir.Contract
    source: str
    paragraphs: tuple[ParagraphCoverage, ...]
    clauses: tuple[ClauseCoverage, ...]
    scenario_count: int

    def totals(self) -> dict[str, int]:
        operative = [p for p in self.paragraphs if p.kind == "operative"]
        return {
            "paragraphs": len(self.paragraphs),
            "operative_paragraphs": len(operative),
            "operative_encoded": sum(1 for p in operative if p.encoded),
            "non_operative_paragraphs": sum(1 for p in self.paragraphs
                                            if p.kind == "non-operative"),
            "clauses": sum(1 for c in self.clauses if c.kind != "non-operative"),
            "clauses_exercised": sum(1 for c in self.clauses
                                     if c.scenarios and c.kind != "non-operative"),
            "non_operative_provisions": sum(1 for c in self.clauses
                                            if c.kind == "non-operative"),
            "scenarios": self.scenario_count,
        }


def _clauses(c: ir.Contract) -> list[tuple[str, str, str]]:
    out = [(n.id, n.modality, n.section) for n in c.norms]
    out += [(x.id, "exception", x.section) for x in c.exceptions]
    out += [(p.id, "non-operative", p.section) for p in c.provisions]
    out += [(d.name, "definition", d.cite.section or "") for d in c.definitions.values()
            if d.cite.section]
    return out


def _scenario_uses(path: Path, contract_path: Path) -> tuple[set[str], set[str], str] | None:
    """(clause ids named, definition names named, section declared), or None if the scenario
    is about another contract."""
    from .scenarios import scenario_data

    data = scenario_data(path)  # held to the limits; errors are rrdsl test's to report
    if data is None:
        return None
    target = data.get("contract")
    if not isinstance(target, str) or (path.parent / target).resolve() != contract_path:
        return None
    clauses: set[str] = set()
    values: set[str] = set()
    for exp in data.get("expect", []):
        if not isinstance(exp, dict):
            continue
        if isinstance(exp.get("clause"), str):
            clauses.add(exp["clause"].lstrip("§").split("[", 1)[0])
        if isinstance(exp.get("value"), str):
            values.add(exp["value"].split("(", 1)[0])
        for x in exp.get("exceptions", []) if isinstance(exp.get("exceptions"), list) else []:
            clauses.add(str(x))
    return clauses, values, str(data.get("section", "")).lstrip("§")


def coverage(contract: ir.Contract, contract_path: Path,
             scenario_files: Iterable[Path]) -> Coverage:
    if contract.source is None:
        raise UsageError(Diagnostic(
            "E705", f"{contract.file} does not name the agreement's text",
            hints=('add to its header: source "text/agreement.txt"',)))
    source = (contract_path.parent / contract.source)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(Diagnostic("E705", f"cannot read the agreement's text {source}: {exc}")
                         ) from None
    clauses = _clauses(contract)
    by_section: dict[str, list[tuple[str, str]]] = {}
    for cid, kind, sec in clauses:
        by_section.setdefault(sec, []).append((cid, kind))
    uses: dict[str, tuple[set[str], set[str], str]] = {}
    for f in sorted(scenario_files):
        u = _scenario_uses(f, contract_path.resolve())
        if u is not None:
            uses[f.as_posix()] = u

    def exercised(cid: str, kind: str, sec: str) -> tuple[str, ...]:
        out = []
        for name, (named, values, declared) in uses.items():
            if (cid in named or (kind == "definition" and cid in values)
                    or (declared and declared in section_ancestors(sec))):
                out.append(name)
        return tuple(out)

    clause_cov = tuple(ClauseCoverage(cid, kind, sec, exercised(cid, kind, sec))
                       for cid, kind, sec in clauses)
    scen_by_clause = {c.id: c.scenarios for c in clause_cov}
    paragraphs = []
    for p in parse_agreement_text(text):
        if p.section in ("preamble", "signatures"):
            continue
        here = by_section.get(p.section, [])
        section = contract.sections.get(p.section)
        ids = tuple(cid for cid, _ in here)
        if not ids and section is not None and section.items:
            ids = (f"§{p.section}",)  # a section that holds only priorities
        words = p.words
        heading_only = words.rstrip(".").upper() == words.rstrip(".") and len(words) < 120
        if heading_only and not here:
            kind = "heading"
        elif here and all(k == "non-operative" for _, k in here):
            kind = "non-operative"
        else:
            kind = "operative"
        scen = sorted({s for cid, _ in here for s in scen_by_clause.get(cid, ())})
        paragraphs.append(ParagraphCoverage(p, kind, ids, tuple(scen)))
    if not paragraphs:
        raise UsageError(Diagnostic(
            "E705", f"found no numbered paragraph in the agreement's text {source}: its layout "
                    "is not one rrdsl reads, so there is nothing to measure coverage against",
            Span.point(str(source), 1, 1),
            hints=("number its sections as `SECTION 3.` with `(a) HEADING.` paragraphs, or "
                   "`2.1 Heading.` / `Section 2.1 Heading.` with `(a)` paragraphs "
                   "(docs/browsing.md)",)))
    return Coverage(contract, str(source), tuple(paragraphs), clause_cov, len(uses))


def coverage_text(cov: Coverage) -> str:
    lines = [f"Coverage of {cov.source} by {cov.contract.file}", ""]
    for pc in cov.paragraphs:
        p = pc.paragraph
        head = f"§{p.section} (lines {p.first_line}-{p.last_line}) {p.words[:60]}…"
        if pc.kind == "heading":
            lines.append(f"  heading   {head}")
            continue
        mark = "ok " if pc.encoded else "NOT"
        kind = "non-operative" if pc.kind == "non-operative" else "operative"
        lines.append(f"  {mark} {kind:13} {head}")
        if pc.clauses:
            lines.append("      encoded by " + ", ".join(pc.clauses))
            lines.append(f"      exercised by {len(pc.scenarios)} scenario(s)")
    unexercised = [c for c in cov.clauses if not c.scenarios and c.kind != "non-operative"]
    if unexercised:
        lines.append("")
        lines.append(f"Clauses no scenario exercises ({len(unexercised)}):")
        for c in unexercised:
            lines.append(f"  §{c.id} ({c.kind})" if c.kind != "definition" else
                         f"  define {c.id} (§{c.section})")
    t = cov.totals()
    ops = t["operative_paragraphs"]
    pct_text = f"{100 * t['operative_encoded'] / ops:.0f}%" if ops else "none to encode"
    cpct = 100 * t["clauses_exercised"] / t["clauses"] if t["clauses"] else 100
    lines += ["",
              f"Operative paragraphs encoded: {t['operative_encoded']} of "
              f"{t['operative_paragraphs']} ({pct_text}); non-operative paragraphs marked: "
              f"{t['non_operative_paragraphs']}",
              f"Clauses exercised by scenarios: {t['clauses_exercised']} of {t['clauses']} "
              f"({cpct:.0f}%), besides {t['non_operative_provisions']} non-operative "
              f"provision(s), which have nothing to exercise; scenarios read: {t['scenarios']}"]
    return "\n".join(lines) + "\n"


def coverage_json(cov: Coverage) -> dict[str, Any]:
    return {
        "schema": "rrdsl.coverage/1",
        "contract": cov.contract.file,
        "source": cov.source,
        "paragraphs": [{"section": pc.paragraph.section, "first_line": pc.paragraph.first_line,
                        "last_line": pc.paragraph.last_line, "kind": pc.kind,
                        "encoded": pc.encoded, "clauses": list(pc.clauses),
                        "scenarios": list(pc.scenarios)} for pc in cov.paragraphs],
        "clauses": [{"id": c.id, "kind": c.kind, "section": c.section,
                     "scenarios": list(c.scenarios)} for c in cov.clauses],
        "totals": cov.totals(),
    }
