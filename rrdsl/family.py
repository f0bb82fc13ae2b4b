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
from typing import TYPE_CHECKING

import attrs

from . import ir
from .diagnostics import Diagnostic, did_you_mean
from .evaluator import NormResult, Outcome
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
    outcome = base.evaluate(facts, as_of, explain=explain, values=True)
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
        out.append(ReferenceResult(ref, True, answers, note, other.contract))
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
