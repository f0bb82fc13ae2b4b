"""The public Python API, which the CLI is built on: load a contract, read facts, evaluate.

    import rrdsl
    contract = rrdsl.load("contracts/savvis_2001.rrd")
    facts = contract.read_facts("contracts/facts/demand-2001.toml")
    outcome = contract.evaluate(facts, as_of=datetime.date(2001, 6, 15))
    for answer in outcome.norms: print(answer.instance, answer.status)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import ir
from .checker import check as check_modules
from .compiler import Plan, compile_contract
from .diagnostics import CheckErrors, Diagnostic, RrdslError, UsageError
from .evaluator import NormResult, Outcome, ValueResult, evaluate
from .facts import FactSet, load_facts, parse_fact_text, parse_facts
from .family import decide_amendment, missing_targets, resolve_references
from .loader import display_path, load_composition
from .variants import Composition


class Contract:
    """A checked and compiled agreement: compile once, evaluate many times."""

    def __init__(self, contract: ir.Contract, path: Path,
                 composition: Composition | None = None, loaded: Sequence[Contract] = ()):
        self.ir = contract
        self.path = path
        # the modules it was checked from, with its base's applied (rrdsl diff compares them)
        self.composition = composition
        self.plan: Plan = compile_contract(contract)
        # an amendment: the agreement it amends, evaluated when the amendment is not effective
        # (one of `loaded` when it is that file, as for `rrdsl diff BASE AMENDMENT`)
        self.base: Contract | None = None
        if contract.amendment is not None:
            assert contract.base_file is not None
            base = Path(contract.base_file).resolve()
            self.base = next((c for c in loaded if Path(c.path).resolve() == base), None) \
                or load(contract.base_file)

    @property
    def fact_names(self) -> frozenset[str]:
        """The facts and event types this agreement reads (for several agreements, one file)."""
        names = set(self.ir.facts) | set(self.ir.events)
        if self.base is not None:
            names |= self.base.fact_names
        return frozenset(names)

    @property
    def name(self) -> str:
        return self.ir.name

    @property
    def title(self) -> str:
        return self.ir.title

    def read_facts(self, path: str | Path, foreign: frozenset[str] = frozenset()) -> FactSet:
        """Read and validate a TOML or JSON fact file (raises FactErrors). Facts and event
        types in `foreign` belong to other agreements evaluated with the same file."""
        p = Path(path)
        return load_facts(self.ir, p, display_path(p), self.foreign_with_base(foreign))

    def facts_from_text(self, text: str, kind: str = "toml", name: str = "<facts>",
                        foreign: frozenset[str] = frozenset()) -> FactSet:
        return parse_fact_text(self.ir, text, name, kind, self.foreign_with_base(foreign))

    def facts_from_mapping(self, data: Mapping[str, Any], name: str = "<facts>",
                           foreign: frozenset[str] = frozenset()) -> FactSet:
        return parse_facts(self.ir, data, name, foreign=self.foreign_with_base(foreign))

    def foreign_with_base(self, foreign: frozenset[str]) -> frozenset[str]:
        """The facts to pass over when validating: `foreign`, and for an amendment those of
        the agreement it amends (the same facts serve both)."""
        return foreign | self.base.fact_names if self.base is not None else foreign

    def evaluate(self, facts: FactSet, as_of: datetime.date | None = None,
                 explain: bool = False, values: bool = True,
                 apply_amendment: bool | None = None) -> Outcome:
        """Every obligation, permission and prohibition as of the date (the fact file's
        `as_of` when not given), with derived values; `explain` records derivation trees.
        For an amendment, whether it applies is decided under the amended agreement's own
        rule, unless `apply_amendment` is True (evaluate as amended regardless)."""
        day = as_of or facts.as_of
        if day is None:
            raise UsageError(Diagnostic(
                "E702", "no as-of date: the fact file has no as_of and none was given",
                hints=("pass --as-of YYYY-MM-DD, or add as_of = YYYY-MM-DD to the fact file",)))
        if self.base is not None and apply_amendment:  # as if effective (rrdsl diff)
            outcome = evaluate(self.plan, facts, day, explain=explain, values=values)
            resolve_references(outcome, {})
            return outcome
        if self.base is not None:
            decision = decide_amendment(self.ir, self.base, facts, day, explain)
            if decision.applied:
                outcome = evaluate(self.plan, facts, day, explain=explain, values=values)
            else:
                outcome = self.base.evaluate(facts, day, explain=explain, values=values)
            outcome.amendments = [decision, *outcome.amendments]
            return outcome
        outcome = evaluate(self.plan, facts, day, explain=explain, values=values)
        resolve_references(outcome, {})
        return outcome


def evaluate_family(contracts: list[Contract], facts_path: str | Path,
                    as_of: datetime.date | None = None, explain: bool = False,
                    values: bool = True) -> list[Outcome]:
    """Evaluate several agreements against one fact file; a clause of one that is governed by
    another is answered from it. Each agreement validates the facts it reads; facts read only
    by another of the agreements are passed over."""
    problems = missing_targets(contracts)
    if problems:
        raise CheckErrors(problems)
    names = [c.fact_names for c in contracts]
    outcomes = []
    for i, c in enumerate(contracts):
        others = frozenset().union(*(n for j, n in enumerate(names) if j != i))
        facts = c.read_facts(facts_path, foreign=others - c.fact_names)
        outcomes.append(c.evaluate(facts, as_of, explain=explain, values=values))
    resolve_family(outcomes)
    return outcomes


def resolve_family(outcomes: list[Outcome]) -> None:
    """Answer the references of each outcome from the others."""
    loaded: dict[str, Outcome] = {}
    for o in outcomes:  # an amendment answers for the agreement it amends
        loaded.update(dict.fromkeys((o.contract.name, *o.contract.based_on[:1]), o)
                      if o.contract.amendment else {o.contract.name: o})
    for o in outcomes:
        resolve_references(o, loaded)


def load(path: str | Path, loaded: Sequence[Contract] = ()) -> Contract:
    """Parse, check and compile a clause file and its imports (raises RrdslError). A variant
    is loaded with the agreement it is based on, as one agreement; an amendment with the one it
    amends, taken from `loaded` when it is there (each file is read as it is now: give only
    agreements loaded just before)."""
    p = Path(path)
    comp = load_composition(p)
    return Contract(check_modules(list(comp.modules), comp), p, comp, loaded)


def check(path: str | Path) -> list[Diagnostic]:
    """All diagnostics of a clause file; an empty list when it is clean."""
    try:
        load(path)
    except RrdslError as e:
        return list(e.diagnostics)
    return []


__all__ = ["Contract", "FactSet", "NormResult", "Outcome", "ValueResult", "check",
           "evaluate_family", "load", "resolve_family"]
