"""The public Python API, which the CLI is built on: load a contract, read facts, evaluate.

    import rrdsl
    contract = rrdsl.load("contracts/savvis_2001.rrd")
    facts = contract.read_facts("contracts/facts/demand-2001.toml")
    outcome = contract.evaluate(facts, as_of=datetime.date(2001, 6, 15))
    for answer in outcome.norms: print(answer.instance, answer.status)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import ir
from .checker import check as check_modules
from .compiler import Plan, compile_contract
from .diagnostics import Diagnostic, RrdslError, UsageError
from .evaluator import NormResult, Outcome, ValueResult, evaluate
from .facts import FactSet, load_facts, parse_fact_text, parse_facts
from .loader import display_path, load_modules


class Contract:
    """A checked and compiled agreement: compile once, evaluate many times."""

    def __init__(self, contract: ir.Contract, path: Path):
        self.ir = contract
        self.path = path
        self.plan: Plan = compile_contract(contract)

    @property
    def name(self) -> str:
        return self.ir.name

    @property
    def title(self) -> str:
        return self.ir.title

    def read_facts(self, path: str | Path) -> FactSet:
        """Read and validate a TOML or JSON fact file (raises FactErrors)."""
        p = Path(path)
        return load_facts(self.ir, p, display_path(p))

    def facts_from_text(self, text: str, kind: str = "toml", name: str = "<facts>") -> FactSet:
        return parse_fact_text(self.ir, text, name, kind)

    def facts_from_mapping(self, data: Mapping[str, Any], name: str = "<facts>") -> FactSet:
        return parse_facts(self.ir, data, name)

    def evaluate(self, facts: FactSet, as_of: datetime.date | None = None,
                 explain: bool = False, values: bool = True) -> Outcome:
        """Every obligation, permission and prohibition as of the date (the fact file's
        `as_of` when not given), with derived values; `explain` records derivation trees."""
        day = as_of or facts.as_of
        if day is None:
            raise UsageError(Diagnostic(
                "E702", "no as-of date: the fact file has no as_of and none was given",
                hints=("pass --as-of YYYY-MM-DD, or add as_of = YYYY-MM-DD to the fact file",)))
        return evaluate(self.plan, facts, day, explain=explain, values=values)


def load(path: str | Path) -> Contract:
    """Parse, check and compile a clause file and its imports (raises RrdslError)."""
    p = Path(path)
    return Contract(check_modules(load_modules(p)), p)


def check(path: str | Path) -> list[Diagnostic]:
    """All diagnostics of a clause file; an empty list when it is clean."""
    try:
        load(path)
    except RrdslError as e:
        return list(e.diagnostics)
    return []


__all__ = ["Contract", "FactSet", "NormResult", "Outcome", "ValueResult", "check", "load"]
