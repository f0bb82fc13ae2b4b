"""Scenarios: hand-written legal-outcome tests (`*.scenario.toml`) and their runner.

A scenario names its contract, the section and the sentence of the agreement it checks, a fact
set (inline under [given] or a file), an as-of date, and the answers expected.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .api import Contract, load
from .diagnostics import SOURCES, Diagnostic, RrdslError, ScenarioError, Span
from .evaluator import Outcome
from .facts import _Loader
from .loader import display_path
from .values import show, to_json

SUFFIX = ".scenario.toml"
_EXPECT_KEYS = {"clause", "bearer", "trigger", "status", "deadline", "period_from",
                "period_through", "reason_contains", "beneficiaries", "missing", "with",
                "performed_on", "breached_on", "assumptions", "value", "equals", "count",
                "exceptions"}


@attrs.frozen
class Result:
    path: str
    title: str
    failures: tuple[str, ...]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


_CONTRACTS: dict[Path, Contract] = {}


def _contract(path: Path) -> Contract:
    key = path.resolve()
    if key not in _CONTRACTS:
        _CONTRACTS[key] = load(path)
    return _CONTRACTS[key]


def find(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.rglob("*" + SUFFIX)))
        else:
            out.append(p)
    return out


def _err(path: str, msg: str, *hints: str) -> ScenarioError:
    return ScenarioError(Diagnostic("E801", msg, Span.point(path, 1, 1), hints=tuple(hints)))


def run(path: Path) -> Result:
    """Run one scenario file."""
    return run_outcome(path)[0]


def run_outcome(path: Path, explain: bool = False) -> tuple[Result, Outcome | None]:
    """Run one scenario file; also the outcome it was judged on (with derivation trees when
    `explain`), or None when it could not be evaluated."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Result(name, path.name, (), f"cannot read {name}: {exc}"), None
    SOURCES.add(name, text)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        return Result(name, path.name, (), f"{name}: not valid TOML: {exc}"), None
    title = str(data.get("title", path.name))
    try:
        outcome, contract = _evaluate(path, name, text, data, explain)
    except RrdslError as e:
        from .diagnostics import render_all

        return Result(name, title, (), render_all(e.diagnostics)), None
    failures: list[str] = []
    for i, exp in enumerate(data.get("expect", [])):
        failures.extend(f"expect #{i + 1}: {msg}" for msg in check_expectation(exp, outcome,
                                                                               contract))
    if not data.get("expect"):
        failures.append("the scenario expects nothing; add [[expect]] entries")
    return Result(name, title, tuple(failures)), outcome


def _evaluate(path: Path, name: str, text: str, data: dict[str, Any],
              explain: bool = False) -> tuple[Outcome, Contract]:
    for key in ("contract", "section", "cites", "as_of"):
        if key not in data:
            raise _err(name, f"the scenario has no '{key}'",
                       "a scenario names contract, section, cites (the sentence it checks) "
                       "and as_of")
    unknown = set(data) - {"title", "contract", "section", "cites", "as_of", "given", "facts",
                           "expect", "note"}
    if unknown:
        raise _err(name, f"unknown key(s): {', '.join(sorted(unknown))}")
    contract = _contract(path.parent / str(data["contract"]))
    if "facts" in data:
        facts = contract.read_facts(path.parent / str(data["facts"]))
    else:
        from .facts import parse_facts

        # positions of problems inside [given] are found in the scenario file itself
        facts = parse_facts(contract.ir, data.get("given", {}), name, text, "toml",
                            prefix=("given",))
    as_of = data["as_of"]
    if not isinstance(as_of, datetime.date):
        raise _err(name, "as_of must be a date (YYYY-MM-DD)")
    return contract.evaluate(facts, as_of, explain=explain), contract


def check_expectation(exp: dict[str, Any], o: Outcome, contract: Contract) -> Iterator[str]:
    unknown = set(exp) - _EXPECT_KEYS
    if unknown:
        yield f"unknown key(s) {', '.join(sorted(unknown))}"
        return
    if "value" in exp:
        yield from _check_value(exp, o, contract)
        return
    if "clause" not in exp:
        yield "an expectation names a clause (clause = \"3(a).register\") or a value"
        return
    cid = str(exp["clause"]).lstrip("§")
    matches = [r for r in o.norms if r.norm.id == cid or r.instance == cid]
    if not matches and not any(n.id == cid for n in contract.ir.norms):
        ids = sorted({n.id for n in contract.ir.norms})
        from .diagnostics import did_you_mean

        guess = did_you_mean(cid, ids)
        yield f"no clause {cid}" + (f" (did you mean {guess}?)" if guess else "")
        return
    if "bearer" in exp:
        matches = [r for r in matches if r.bearer == exp["bearer"]]
    if "trigger" in exp:
        matches = [r for r in matches if r.trigger is not None and r.trigger.id == exp["trigger"]]
    if "count" in exp and len(matches) != exp["count"]:
        yield f"{cid}: {len(matches)} answers, expected {exp['count']}"
    if not matches:
        yield f"{cid}: no answer matches bearer/trigger " + str(
            {k: exp[k] for k in ("bearer", "trigger") if k in exp})
        return
    for r in matches:
        who = r.instance
        if "status" in exp and r.status != exp["status"]:
            yield f"{who}: status is {r.status} ({r.reason}), expected {exp['status']}"
        for key, actual in (("deadline", r.deadline), ("period_from", r.period_start),
                            ("period_through", r.period_end), ("performed_on", r.performed_on),
                            ("breached_on", r.breached_on)):
            if key in exp:
                want = exp[key]
                want = None if want == "none" else want
                if actual != want:
                    yield f"{who}: {key} is {show(actual)}, expected {show(want)}"
        if "reason_contains" in exp and str(exp["reason_contains"]) not in r.reason:
            yield f"{who}: reason {r.reason!r} does not contain {exp['reason_contains']!r}"
        if "beneficiaries" in exp and sorted(r.beneficiaries or []) != sorted(exp["beneficiaries"]):
            yield f"{who}: beneficiaries are {r.beneficiaries}, expected {exp['beneficiaries']}"
        if "missing" in exp and r.missing != sorted(exp["missing"]):
            yield f"{who}: missing facts are {r.missing}, expected {sorted(exp['missing'])}"
        if "assumptions" in exp and r.assumptions != sorted(exp["assumptions"]):
            yield f"{who}: assumptions are {r.assumptions}, expected {sorted(exp['assumptions'])}"
        if "exceptions" in exp:
            got = sorted(a.exception for a in r.exceptions)
            if got != sorted(exp["exceptions"]):
                yield f"{who}: exceptions are {got}, expected {sorted(exp['exceptions'])}"
        for label, want in dict(exp.get("with", {})).items():
            found = [(v, t) for lab, v, t in r.withs if lab == label]
            if not found:
                yield f"{who}: no value labelled {label!r}"
                continue
            v, t = found[0]
            ok, shown = _same(want, v, t, contract, o)
            if not ok:
                yield f"{who}: {label} is {show(v, t)}, expected {shown}"


def _check_value(exp: dict[str, Any], o: Outcome, contract: Contract) -> Iterator[str]:
    label = str(exp["value"])
    found = [v for v in o.values if v.label == label]
    if not found:
        labels = sorted(v.label for v in o.values)
        from .diagnostics import did_you_mean

        guess = did_you_mean(label, labels)
        yield f"no derived value {label}" + (f" (did you mean {guess}?)" if guess else "")
        return
    v = found[0]
    if "missing" in exp and v.missing != sorted(exp["missing"]):
        yield f"{label}: missing facts are {v.missing}, expected {sorted(exp['missing'])}"
    if "equals" in exp:
        if v.missing:
            yield f"{label} is undetermined (needs {', '.join(v.missing)})"
            return
        ok, shown = _same(exp["equals"], v.value, v.definition.type, contract, o)
        if not ok:
            yield f"{label} is {show(v.value, v.definition.type)}, expected {shown}"


def _same(want: Any, actual: Any, t: Any, contract: Contract, o: Outcome) -> tuple[bool, str]:
    """Compare an expected value written in TOML with an actual value of type `t`.
    TOML has no null: `"none"` stands for an absent value of an optional type."""
    if want == "none" and t is not None and t.optional:
        return actual is None, "none"
    loader = _Loader(contract.ir, "<expect>", "", "toml")
    loader.fs = o.facts
    conv = loader.value(want, t, (), "the expected value")
    if loader.diags:
        return False, f"{want!r} (not a {t}: {loader.diags[0].message})"
    from .facts import _finish

    for holder, key, _, _, _ in loader.pending_refs:
        if holder is not None:
            holder[0][holder[1]] = o.facts.events_by_id.get(key)
    conv = _finish(conv)
    if t is not None and t.inner.kind == "unrounded":
        return to_json(actual) == to_json(conv), show(conv, t)
    return conv == actual or to_json(conv) == to_json(actual), show(conv, t)


def summary_line(results: list[Result]) -> str:
    passed = sum(1 for r in results if r.passed)
    return f"{passed} passed, {len(results) - passed} failed"

