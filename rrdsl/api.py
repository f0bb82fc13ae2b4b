"""The public Python API, which the CLI is built on: load a contract, read facts, evaluate.

    import rrdsl
    contract = rrdsl.load("contracts/savvis_2001.rrd")
    facts = contract.read_facts("contracts/facts/demand-2001.toml")
    outcome = contract.evaluate(facts, as_of=datetime.date(2001, 6, 15))
    for answer in outcome.norms: print(answer.instance, answer.status)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import ir
from ._gc import collector_paused
from .checker import check as check_modules
from .compiler import Plan, compile_contract
from .diagnostics import CheckErrors, Diagnostic, EvaluationError, RrdslError, UsageError
from .evaluator import NormResult, Outcome, ValueResult, evaluate
from .facts import FactSet, load_facts, parse_fact_text, parse_facts
from .family import (
    amendment_files,
    decide_amendment,
    ignored_amendments,
    keep_earlier_answers,
    missing_targets,
    resolve_references,
)
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
        self._amendment_files: dict[str, list[str]] | None = None
        self._clauses: tuple[str, ...] | None = None  # _clause_names
        self._asked: dict[tuple[Any, ...], frozenset[str]] = {}  # _clause_ids, by what was named
        if contract.amendment is not None:
            assert contract.base_file is not None
            base = Path(contract.base_file).resolve()
            self.base = next((c for c in loaded if Path(c.path).resolve() == base), None) \
                or load(contract.base_file)

    def amendment_files(self) -> dict[str, list[str]]:
        """The amendment files beside this agreement that amend it, by writing id (looked
        for once, when the facts first show an amendment took effect)."""
        if self._amendment_files is None:
            self._amendment_files = amendment_files(self.path)
        return self._amendment_files

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
        if not isinstance(text, str):
            raise _bad_argument("text", text, "a str (decode bytes as UTF-8 first)")
        if kind not in ("toml", "json"):
            raise _bad_argument("kind", kind, 'the text\'s format, "toml" or "json"')
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
                 apply_amendment: bool | None = None, clauses: Any = None,
                 _known_writings: frozenset[str] = frozenset()) -> Outcome:
        """Every obligation, permission and prohibition as of the date (the fact file's
        `as_of` when not given), with derived values; `explain` records derivation trees.
        `clauses`: the ids of the clauses to answer ("3(a).register", "§3(b).register"; one
        text or several), every other clause left out of the outcome.
        For an amendment, whether it applies is decided under the amended agreement's own
        rule, unless `apply_amendment` is True (evaluate as amended regardless).  Unless the
        amendment is `retroactive`, an answer to an event before the day it took effect is
        the agreement's answer as it stood (`family.keep_earlier_answers`).  An agreement
        evaluated alone whose facts show an amendment of it took effect lists it in the
        outcome's `ignored_amendments` (`_known_writings`: those evaluated alongside)."""
        if not isinstance(facts, FactSet):
            raise _bad_argument("facts", facts, "a FactSet, from read_facts, facts_from_text "
                                "or facts_from_mapping")
        only = self._clause_ids(clauses)
        day = _as_of(as_of) if as_of is not None else facts.as_of
        if day is None:
            raise UsageError(Diagnostic(
                "E702", "no as-of date: the fact file has no as_of and none was given",
                hints=("pass --as-of YYYY-MM-DD, or add as_of = YYYY-MM-DD to the fact file",)))
        try:
            return self._evaluate(facts, day, explain, values, apply_amendment, only,
                                  _known_writings)
        except OverflowError:  # a date out of the calendar that the evaluator did not report
            raise EvaluationError(Diagnostic(
                "E601", "a date fell outside the calendar: dates run from 0001-01-01 to "
                "9999-12-31", hints=("check the dates of the events and facts (a year typed "
                                     "wrong?)",))) from None

    def _clause_norms(self) -> list[ir.Norm]:
        """The clauses an outcome may answer: this agreement's, and for an amendment also
        those of the agreement it amends that it does not replace (the outcome is that one's
        when the amendment does not apply)."""
        norms = list(self.ir.norms)
        if self.base is not None:
            ids = {n.id for n in norms}
            norms += [n for n in self.base._clause_norms() if n.id not in ids]
        return norms

    def _clause_names(self) -> tuple[str, ...]:
        """The ids of `_clause_norms`, found once."""
        if self._clauses is None:
            self._clauses = tuple(n.id for n in self._clause_norms())
        return self._clauses

    def _clause_ids(self, clauses: Any) -> frozenset[str] | None:
        """The clause ids `clauses` names (see `evaluate`), each checked; None for all."""
        if clauses is None:
            return None
        if isinstance(clauses, str):
            clauses = (clauses,)
        try:
            named = tuple(clauses)
        except TypeError:
            raise _bad_argument("clauses", clauses, "clause ids, such as "
                                "[\"3(a).register\"]") from None
        try:  # a batch asks for the same clauses of every fact set: checked once
            found = self._asked.get(named)
        except TypeError:  # something unhashable among them: reported below
            found = None
        if found is not None:
            return found
        known = self._clause_names()
        out = set()
        for x in named:
            if not isinstance(x, str):
                raise _bad_argument("clauses", x, "a clause id, such as \"3(a).register\"")
            cid = x.strip().removeprefix("§")
            if cid not in known:  # a tuple of at most a few hundred: found in a few µs
                from .diagnostics import did_you_mean

                close = did_you_mean(cid, known)
                raise UsageError(Diagnostic(
                    "E701", f"clauses: {self.name} has no clause {x!r}",
                    hints=(f"did you mean '{close}'?",) if close else (
                        "a clause id is its section and name, such as 3(a).register: "
                        "`rrdsl show` lists them",)))
            out.add(cid)
        if len(self._asked) < 64:
            self._asked[named] = frozenset(out)
        return frozenset(out)

    def _evaluate(self, facts: FactSet, day: datetime.date, explain: bool, values: bool,
                  apply_amendment: bool | None, only: frozenset[str] | None,
                  _known_writings: frozenset[str]) -> Outcome:
        if self.base is not None and apply_amendment:  # as if effective (rrdsl diff)
            outcome = evaluate(self.plan, facts, day, explain=explain, values=values, only=only)
            resolve_references(outcome, {})
            return outcome
        if self.base is not None:
            amendment = self.ir.amendment
            assert amendment is not None
            decision = decide_amendment(self.ir, self.base, facts, day, explain)
            before = self.base.evaluate(
                facts, day, explain=explain, values=values,
                clauses=None if only is None else sorted(
                    only.intersection(self.base._clause_names())),
                _known_writings=frozenset({amendment.writing}))
            if decision.applied:
                outcome = evaluate(self.plan, facts, day, explain=explain, values=values,
                                   only=only)
                resolve_references(outcome, {})
                if amendment.retroactive is None and decision.effective_on is not None:
                    decision.earlier = keep_earlier_answers(outcome, before,
                                                            decision.effective_on,
                                                            amendment.name)
            else:
                outcome = before
            outcome.amendments = [decision, *outcome.amendments]
            return outcome
        outcome = evaluate(self.plan, facts, day, explain=explain, values=values, only=only)
        resolve_references(outcome, {})
        outcome.ignored_amendments = ignored_amendments(self, outcome, facts, day,
                                                        _known_writings)
        return outcome


def _bad_argument(name: str, value: Any, expected: str) -> UsageError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return UsageError(Diagnostic("E701", f"{name} must be {expected}, not {shown} "
                                 f"({type(value).__name__})"))


def _as_of(value: Any) -> datetime.date:
    """An evaluation date: a `datetime.date` (a datetime's day), or an ISO text YYYY-MM-DD."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            from .diagnostics import date_problem

            raise UsageError(Diagnostic(
                "E701", f"as_of {value!r} is not a date: {date_problem(value)}",
                expected="a datetime.date or a text YYYY-MM-DD",
                hints=("write as_of=datetime.date(2001, 6, 15) or as_of=\"2001-06-15\"",))
            ) from None
    raise _bad_argument("as_of", value, "a datetime.date or a text YYYY-MM-DD")


def evaluate_family(contracts: list[Contract], facts_path: str | Path,
                    as_of: datetime.date | None = None, explain: bool = False,
                    values: bool = True) -> list[Outcome]:
    """Evaluate several agreements against one fact file; a clause of one that is governed by
    another is answered from it. Each agreement validates the facts it reads; facts read only
    by another of the agreements are passed over."""
    return evaluate_family_with(
        contracts, lambda c, foreign: c.read_facts(facts_path, foreign=foreign), as_of,
        explain, values)


def evaluate_family_text(contracts: list[Contract], text: str, name: str = "<facts>",
                         as_of: datetime.date | None = None, explain: bool = False,
                         values: bool = True) -> list[Outcome]:
    """`evaluate_family` for fact-file text in memory (TOML), named `name` in diagnostics."""
    return evaluate_family_with(
        contracts, lambda c, foreign: c.facts_from_text(text, "toml", name, foreign), as_of,
        explain, values)


def evaluate_family_with(contracts: list[Contract],
                         read: Callable[[Contract, frozenset[str]], FactSet],
                         as_of: datetime.date | None = None, explain: bool = False,
                         values: bool = True) -> list[Outcome]:
    """`evaluate_family`, with the facts read for each agreement by `read(contract,
    foreign)` (from a file, a text, a mapping)."""
    problems = missing_targets(contracts)
    if problems:
        raise CheckErrors(problems)
    names = [c.fact_names for c in contracts]
    # the writings of the amendments loaded, by the agreement they amend: evaluated alongside
    writings: dict[str, set[str]] = {}
    for c in contracts:
        if c.ir.amendment is not None and c.ir.based_on:
            writings.setdefault(c.ir.based_on[0], set()).add(c.ir.amendment.writing)
    outcomes = []
    day = _as_of(as_of) if as_of is not None else None
    for i, c in enumerate(contracts):
        others = frozenset().union(*(n for j, n in enumerate(names) if j != i))
        facts = read(c, others - c.fact_names)
        outcomes.append(c.evaluate(facts, day, explain=explain, values=values,
                                   _known_writings=frozenset(writings.get(c.name, ()))))
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
    with collector_paused():
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
           "evaluate_family", "evaluate_family_text", "load", "resolve_family"]
