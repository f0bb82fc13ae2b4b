"""A family of agreements evaluated together: cross-agreement references and amendments.

* A clause `governed by AGREEMENT.CLAUSE` is answered from that agreement when it is loaded
  alongside (`rrdsl eval A.rrd B.rrd FACTS`); otherwise the answer says the matter is governed by
  an agreement that is not loaded.
* An amendment is applied only when the amended agreement's own amendment rule (`amended by
  EventType from DEFINITION`) says its writing took effect on or before the as-of date;
  the decision, and which agreement was evaluated, are part of the outcome.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from . import ir
from .diagnostics import Diagnostic, did_you_mean
from .evaluator import NormResult, Outcome
from .loader import display_path
from .runtime import Node

if TYPE_CHECKING:
    from .api import Contract
    from .facts import FactSet


@attrs.define
class ReferenceResult:
    """The answer to a matter this agreement sends to another agreement."""

    reference: ir.Reference
    loaded: bool
    answers: list[NormResult]  # the other agreement's answers for the clause (when loaded)
    note: str  # one line for people
    answered_by: ir.Contract | None = None  # the agreement that answered
    facts: FactSet | None = None  # the facts as that agreement read them

    @property
    def status(self) -> str:
        if not self.loaded:
            return "not_loaded"
        return "answered" if self.answers else "no_answer"


@attrs.define
class AmendmentDecision:
    """Whether an amendment was effective as of the date, under the amended agreement's rule."""

    amendment: ir.Amendment
    rule: ir.AmendmentRule | None
    effective: bool | None  # None: undetermined (facts missing)
    effective_on: datetime.date | None
    applied: bool  # the outcome is of the agreement as amended
    reason: str
    missing: list[str] = attrs.field(factory=list)
    explanation: Node | None = None
    # applied and not retroactive: the answers (and derived values) to events before it took
    # effect, kept as the agreement gave them before the amendment
    earlier: int = 0


@attrs.define
class IgnoredAmendment:
    """An amendment of the agreement that the facts show took effect, while the agreement
    was evaluated without it (alone, not with the amendment's clause file)."""

    writing: str  # the writing's event id
    effective_on: datetime.date
    rule: ir.AmendmentRule
    files: list[str]  # clause files that are amendments with this writing, as found

    @property
    def message(self) -> str:
        where = (" (" + ", ".join(self.files) + ")") if self.files else \
            " (no clause file of it was found beside the agreement)"
        return (f"the facts show the amendment in writing '{self.writing}' took effect on "
                f"{self.effective_on} under §{self.rule.cite.section}; this evaluation is "
                f"of the agreement without it: evaluate its amendment file{where} to apply it")


def decide_amendment(amended: ir.Contract, base: Contract, facts: FactSet,
                     as_of: datetime.date, explain: bool = False) -> AmendmentDecision:
    """Decide under the *base* agreement's amendment rule whether the writing took effect."""
    a = amended.amendment
    assert a is not None
    rule = base.ir.amendment_rule
    if rule is None:  # the checker requires one; kept for a base edited since
        return AmendmentDecision(a, None, None, None, False,
                                 f"{base.ir.name} does not say how it may be amended")
    writing = facts.events_by_id.get(a.writing)
    cite = f"§{rule.cite.section}"
    if writing is None or writing.type != rule.event:
        what = (f"the facts have no {rule.event} with the id '{a.writing}'" if writing is None
                else f"'{a.writing}' in the facts is {writing.type}, not {rule.event}")
        return AmendmentDecision(a, rule, False, None, False,
                                 f"not effective: {what}, so there is no writing ({cite})")
    if writing.date > as_of:
        return AmendmentDecision(a, rule, False, None, False,
                                 f"not effective as of {as_of}: the writing is dated "
                                 f"{writing.date} ({cite})")
    outcome = base.evaluate(facts, as_of, explain=explain, values=True,
                            _known_writings=frozenset({a.writing}))
    label = f"{rule.definition}({a.writing})"
    found = [v for v in outcome.values if v.label == label]
    if not found:
        return AmendmentDecision(a, rule, None, None, False,
                                 f"undetermined: {rule.definition} was not derived ({cite})")
    v = found[0]
    if v.missing:
        return AmendmentDecision(
            a, rule, None, None, False,
            f"undetermined under {cite} (needs {', '.join(v.missing)}); evaluated without it",
            list(v.missing), v.explanation)
    day = v.value
    if day is None:
        term = base.ir.definitions[rule.definition].title or rule.definition
        return AmendmentDecision(a, rule, False, None, False,
                                 f"not effective: {term} — no such day as of {as_of} ({cite})",
                                 [], v.explanation)
    if day > as_of:
        return AmendmentDecision(a, rule, False, day, False,
                                 f"not yet effective as of {as_of}: takes effect {day} ({cite})",
                                 [], v.explanation)
    return AmendmentDecision(a, rule, True, day, True,
                             f"effective on {day} under {cite}", [], v.explanation)


def keep_earlier_answers(amended: Outcome, before: Outcome, effective_on: datetime.date,
                         name: str) -> int:
    """An amendment that is not retroactive changes the agreement from the day it takes
    effect: an answer to an event before that day (a clause instance triggered by it, a
    derived value of it) stays the answer the agreement gave as it stood, and the amended
    agreement's answers are kept for the rest.  An answer kept that the amended agreement
    would give otherwise says so in its reason, and only those are counted: returns how
    many there are."""
    def earlier(ids: list[str]) -> bool:
        dated = [before.facts.events_by_id[x].date for x in ids
                 if x in before.facts.events_by_id]
        return bool(dated) and max(dated) < effective_on

    note = f" (the agreement as it stood before {name} took effect on {effective_on})"
    old = {r.instance: r for r in before.norms}
    norms, kept = [], 0
    for r in amended.norms:
        if r.trigger is not None and r.trigger.date < effective_on:
            was = old.pop(r.instance, None)
            if was is not None:
                if (was.status, was.deadline, was.period_end) != (r.status, r.deadline,
                                                                  r.period_end):
                    was.reason = (was.reason + note) if was.reason else note.strip(" ()")
                    kept += 1
                norms.append(was)
        else:
            old.pop(r.instance, None)
            norms.append(r)
    for r in old.values():  # answers of clauses the amendment removed or renamed
        if r.trigger is not None and r.trigger.date < effective_on:
            r.reason = (r.reason + note) if r.reason else note.strip(" ()")
            norms.append(r)
            kept += 1
    amended.norms = norms
    old_values = {v.label: v for v in before.values}
    values = []
    for v in amended.values:
        if earlier(_args(v.label)) and v.label in old_values:
            values.append(old_values[v.label])
        else:
            values.append(v)
    amended.values = values
    return kept


def _args(label: str) -> list[str]:
    if "(" not in label:
        return []
    return [a.strip() for a in label[label.index("(") + 1:label.rindex(")")].split(",")]


_AMENDMENT_HEAD = re.compile(r'^\s*amendment\s+\w+.*?\bamends\s+"([^"]+)".*?\bwriting\s+"([^"]+)"',
                             re.S | re.M)
_SCAN_LIMIT = 2000  # clause files looked at for amendment files, beside the agreement


def amendment_files(agreement: Path) -> dict[str, list[str]]:
    """The amendment clause files in the agreement's own directory tree that amend it, by
    writing id (read from their headers only)."""
    root = agreement.parent
    target = agreement.resolve()
    found: dict[str, list[str]] = {}
    for n, path in enumerate(sorted(root.rglob("*.rrd"))):
        if n >= _SCAN_LIMIT:
            break
        if any(part.startswith(".") or part in ("node_modules", "__pycache__")
               for part in path.relative_to(root).parts):
            continue
        try:
            with path.open(encoding="utf-8", errors="replace") as f:
                head = f.read(4096)
        except OSError:
            continue
        m = _AMENDMENT_HEAD.search(head)
        if m is None:
            continue
        try:
            if (path.parent / m.group(1)).resolve() != target:
                continue
        except (OSError, RuntimeError):
            continue
        found.setdefault(m.group(2), []).append(display_path(path))
    return found


def ignored_amendments(contract: Contract, outcome: Outcome, facts: FactSet,
                       as_of: datetime.date, known: frozenset[str]) -> list[IgnoredAmendment]:
    """The writings of amendments the facts show took effect by the as-of date, under the
    agreement's own amendment rule, other than those evaluated alongside (`known`)."""
    rule = contract.ir.amendment_rule
    if rule is None or contract.ir.amendment is not None:
        return []
    writings = [e for e in facts.events.get(rule.event, ()) if e.id not in known]
    if not writings:
        return []
    values = {v.label: v for v in outcome.values}
    if not any(f"{rule.definition}({e.id})" in values for e in writings):
        # the evaluation asked computed no derived values (values=False): they alone
        redone = contract.evaluate(facts, as_of, values=True, clauses=(),
                                   _known_writings=known | frozenset(e.id for e in writings))
        values = {v.label: v for v in redone.values}
    out = []
    for e in writings:
        v = values.get(f"{rule.definition}({e.id})")
        if v is None or v.missing or v.value is None or v.value > as_of:
            continue
        files = contract.amendment_files().get(e.id, [])
        out.append(IgnoredAmendment(e.id, v.value, rule, files))
    return out


def resolve_references(outcome: Outcome, loaded: dict[str, Outcome]) -> None:
    """Answer each `governed by` reference of the outcome's agreement from the loaded ones."""
    out: list[ReferenceResult] = []
    for ref in outcome.contract.references:
        other = loaded.get(ref.agreement)
        if other is None:
            out.append(ReferenceResult(
                ref, False, [],
                f"governed by {ref.agreement_title} ({ref.agreement}), which is not loaded: "
                f"evaluate it alongside to answer ({ref.matter})"))
            continue
        answers = [r for r in other.norms if r.norm.name == ref.target]
        note = (f"answered from {ref.agreement_title} ({ref.agreement}), "
                f"clause {ref.target}: {len(answers)} answer(s)")
        out.append(ReferenceResult(ref, True, answers, note, other.contract, other.facts))
    outcome.references = out


def missing_targets(contracts: list[Contract]) -> list[Diagnostic]:
    """References to a loaded agreement that has no clause of that name."""
    by_name = {c.ir.name: c for c in contracts}
    problems = []
    for c in contracts:
        for ref in c.ir.references:
            other = by_name.get(ref.agreement)
            if other is not None and not any(n.name == ref.target for n in other.ir.norms):
                guess = did_you_mean(ref.target, sorted({n.name for n in other.ir.norms}))
                problems.append(Diagnostic(
                    "E218", f"{ref.agreement} has no clause '{ref.target}'",
                    ref.target_span or ref.cite.span,
                    hints=(f"did you mean '{guess}'?",) if guess else ()))
    return problems
