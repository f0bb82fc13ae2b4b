"""Scenarios: hand-written legal-outcome tests (`*.scenario.toml`) and their runner.

A scenario names its contract, the section and the sentence of the agreement it checks, a fact
set (inline under [given] or a file), an as-of date, and the answers expected.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from .api import Contract, load
from .diagnostics import (
    SOURCES,
    CheckErrors,
    Diagnostic,
    FactErrors,
    RrdslError,
    ScenarioError,
    Span,
)
from .evaluator import Outcome
from .evaluator import STATUSES
from .facts import (
    MAX_FACT_BYTES,
    MAX_NESTING,
    PathT,
    _Loader,
    _toml_error,
    _TomlPositions,
    offsets_span,
    deep_offset,
    parse_facts,
    shape_problem,
)
from .family import missing_targets
from .loader import display_path
from .values import show, to_json
from .variants import answer_terms, value_terms

SUFFIX = ".scenario.toml"
UNDETERMINED = "undetermined"  # an expected value (or beneficiaries) that the facts cannot fix
_EXPECT_KEYS = {"clause", "bearer", "trigger", "status", "deadline", "period_from",
                "period_through", "reason_contains", "beneficiaries", "missing", "with",
                "with_missing", "beneficiaries_missing", "warning",
                "performed_on", "breached_on", "assumptions", "value", "equals", "count",
                "exceptions", "agreement", "assumed_terms", "assumed_includes", "loaded",
                "amendment", "effective", "effective_on", "applied", "fact_error",
                "message_contains", "ignored_amendment"}


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


# ── reading and validating a scenario file ──────────────────────────────────

#: Scenario files are held to the fact files' limits (language.md §16): bytes, nesting, events.
MAX_SCENARIO_BYTES = MAX_FACT_BYTES
_TOP_KEYS = ("title", "contract", "section", "cites", "as_of", "given", "facts", "expect", "note")


def _is_text(v: Any) -> bool:
    return isinstance(v, str)


def _is_day(v: Any) -> bool:  # a TOML date; a date-time or a time is not one
    return isinstance(v, datetime.date) and not isinstance(v, datetime.datetime)


def _is_texts(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


#: What each key of an [[expect]] holds: (checker, in words, an example).
_EXPECT_TYPES: dict[str, tuple[Any, str, str]] = {
    **dict.fromkeys(("clause", "bearer", "trigger", "reason_contains", "warning", "value",
                     "agreement", "amendment", "message_contains", "ignored_amendment"),
                    (_is_text, "a text", '"3(a).register"')),
    "status": (lambda v: v in STATUSES or v == "not_loaded", "a status", '"pending"'),
    **dict.fromkeys(("deadline", "period_from", "period_through", "performed_on",
                     "breached_on", "effective_on"),
                    (lambda v: _is_day(v) or v == "none", 'a date, or "none"', "2001-06-01")),
    "beneficiaries": (lambda v: v == UNDETERMINED or _is_texts(v),
                      'a list of party names, or "undetermined"', '["WCAS"]'),
    **dict.fromkeys(("missing", "beneficiaries_missing", "assumptions", "exceptions",
                     "assumed_terms", "assumed_includes"),
                    (_is_texts, "a list of texts", '["rule144k_eligible(WCAS)"]')),
    "with": (lambda v: isinstance(v, dict), "a table from labels to values",
             '{ "shares to be registered" = 600_000 }'),
    "with_missing": (lambda v: isinstance(v, dict) and all(_is_texts(x) for x in v.values()),
                     "a table from labels to lists of texts",
                     '{ "shares to be registered" = ["rule144k_eligible(WCAS)"] }'),
    "count": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**9,
              "a whole number, 0 or more", "1"),
    "loaded": (lambda v: isinstance(v, bool), "true or false", "true"),
    "applied": (lambda v: isinstance(v, bool), "true or false", "true"),
    "effective": (lambda v: isinstance(v, bool) or v == UNDETERMINED,
                  'true, false or "undetermined"', "true"),
    "fact_error": (lambda v: isinstance(v, str) and re.fullmatch(r"[EW]\d{3}", v) is not None,
                   'a diagnostic code such as "E511"', '"E511"'),
    "equals": (lambda v: not isinstance(v, datetime.datetime | datetime.time),
               "a value written as in a fact file (a date, not a date-time)", "10_000_000"),
}
assert set(_EXPECT_TYPES) == _EXPECT_KEYS


def _shown_value(v: Any) -> str:
    if isinstance(v, datetime.datetime | datetime.time):
        return f"the {'date-time' if isinstance(v, datetime.datetime) else 'time'} {v.isoformat()}"
    text = repr(v) if not isinstance(v, str) else f'"{v}"'
    if isinstance(v, bool):
        text = str(v).lower()
    return text if len(text) <= 40 else text[:39] + "…"


def read_scenario(path: Path, check: bool = True) -> tuple[str, str, dict[str, Any]]:
    """(display name, text, decoded data) of a scenario file, held to the fact files' limits:
    a regular file of at most MAX_SCENARIO_BYTES bytes, UTF-8, valid TOML, tables and lists
    nested at most MAX_NESTING deep, every key and value of the type it must have. Raises
    ScenarioError (E801; E501 or E507 for TOML syntax, at its place) with every problem."""
    from .files import read_utf8

    name = display_path(path)
    text = read_utf8(path, name, MAX_SCENARIO_BYTES, "E801", "scenario file", ScenarioError,
                     "give a large fact set as a fact file: facts = \"FILE.toml\"")
    text = text.removeprefix("\ufeff")
    SOURCES.add(name, text)
    try:
        decoded = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:  # at its place, as in a fact file (E501)
        raise ScenarioError(_toml_error(str(exc), text, name)) from None
    except RecursionError:
        raise ScenarioError(_too_deep(name, text)) from None
    if check:
        validate(name, text, decoded)
    return name, text, decoded


def _too_deep(name: str, text: str) -> Diagnostic:
    at = Span.point(name, 1, 1)
    offset = deep_offset(text, MAX_NESTING)
    if offset is not None:
        at = offsets_span(name, text, offset, offset + 1)
    return Diagnostic("E801", f"tables and lists are nested more than {MAX_NESTING} deep", at,
                      hints=("a scenario's values need only a few levels: flatten the data",))


def validate(name: str, text: str, data: dict[str, Any]) -> None:
    """Check a decoded scenario's shape: nesting, the types of its top-level keys and of each
    [[expect]]'s keys (an unknown one named with the key it was probably meant to be). Raises
    ScenarioError with every problem, each at its place in the file."""
    from .diagnostics import did_you_mean

    problem = shape_problem(data)
    if problem is not None:
        raise ScenarioError(_too_deep(name, text))
    where = _TomlPositions(text)
    diags: list[Diagnostic] = []

    def at(path: PathT, key: bool = False) -> Span:
        found = where.locate(path, key)
        return offsets_span(name, text, *found) if found is not None else Span.point(name, 1, 1)

    def bad(path: PathT, msg: str, *hints: str, expected: str | None = None,
            key: bool = False) -> None:
        diags.append(Diagnostic("E801", msg, at(path, key), expected=expected, hints=hints))

    tops: dict[str, tuple[Any, str]] = {
        "title": (_is_text, "a text"), "section": (_is_text, 'a text such as "3(a)"'),
        "cites": (_is_text, "a text"), "note": (_is_text, "a text"),
        "as_of": (_is_day, "a date (YYYY-MM-DD)"), "given": (lambda v: isinstance(v, dict),
                                                             "a table of facts"),
        "facts": (_is_text, "the path of a fact file"),
        "contract": (lambda v: _is_text(v) or (_is_texts(v) and bool(v)),
                     "a clause file, or a list of clause files"),
        "expect": (lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
                   "[[expect]] tables"),
    }
    for key, (ok, what) in tops.items():
        if key in data and not ok(data[key]):
            bad((key,), f"{key} must be {what}, not {_shown_value(data[key])}", expected=what)
    for key in ("contract", "facts"):
        for i, target in enumerate(_paths(data.get(key))):
            sub: PathT = (key, i) if isinstance(data.get(key), list) else (key,)
            problem_text = _path_problem(target, key)
            if problem_text is not None:
                bad(sub, problem_text[0], problem_text[1])
    expects = data.get("expect")
    for i, exp in enumerate(expects if isinstance(expects, list) else []):
        if not isinstance(exp, dict):
            continue
        for key, v in exp.items():
            if key not in _EXPECT_TYPES:
                guess = did_you_mean(key, _EXPECT_KEYS)
                bad(("expect", i, key), f"expect #{i + 1}: unknown key '{key}'",
                    *((f"did you mean '{guess}'?",) if guess else ()), key=True,
                    expected=", ".join(sorted(_EXPECT_KEYS)))
                continue
            ok, what, example = _EXPECT_TYPES[key]
            if not ok(v):
                hint = f"for example: {key} = {example}"
                if key == "status" and isinstance(v, str):
                    guess = did_you_mean(v, (*STATUSES, "not_loaded"))
                    hint = f"did you mean '{guess}'?" if guess else hint
                bad(("expect", i, key), f"expect #{i + 1}: {key} must be {what}, not "
                    f"{_shown_value(v)}", hint, expected=", ".join((*STATUSES, "not_loaded"))
                    if key == "status" else what)
    if diags:
        raise ScenarioError(sorted(diags, key=lambda d: (d.span.line, d.span.col)
                                   if d.span else (0, 0)))


def unknown_names(path: Path, name: str, text: str, data: dict[str, Any]) -> list[Diagnostic]:
    """The expectations of a scenario that name a clause or a derived value its agreement
    does not have (E801, with the closest name), checked without evaluating: what `rrdsl
    check` reports of a scenario whose contract loads (one that does not is `rrdsl test`'s to
    report)."""
    from .diagnostics import RrdslError, did_you_mean

    contracts = {}
    for target in _paths(data.get("contract")):
        try:
            c = _contract(path.parent / target)
        except (RrdslError, OSError):
            return []
        contracts[c.name] = c
        if c.base is not None:
            contracts.setdefault(c.base.name, c)
    if not contracts:
        return []
    first = next(iter(contracts.values()))
    where = _TomlPositions(text)
    out: list[Diagnostic] = []
    for i, exp in enumerate(data.get("expect", [])):
        if not isinstance(exp, dict):
            continue
        c = contracts.get(str(exp.get("agreement", "")), first)
        for key in ("clause", "value"):
            raw = exp.get(key)
            if not isinstance(raw, str):
                continue
            if key == "clause":
                ident = raw.lstrip("§").split("[", 1)[0]
                known = sorted({n.id for n in c.ir.norms} | {r.id for r in c.ir.references})
            else:
                ident = raw.split("(", 1)[0]
                known = sorted(c.ir.definitions)
            if ident in known:
                continue
            guess = did_you_mean(ident, known)
            found = where.locate(("expect", i, key), False)
            at = offsets_span(name, text, *found) if found else Span.point(name, 1, 1)
            what = "clause" if key == "clause" else "definition"
            out.append(Diagnostic(
                "E801", f"expect #{i + 1}: {c.name} has no {what} '{ident}'", at,
                hints=(f"did you mean '{guess}'?",) if guess else ()))
    return out


def _listed(v: Any) -> str:
    """A list (or none) in a failure message as a reader writes it: `WCAS, John_Clark`,
    `none`; not Python's `['WCAS', 'John_Clark']` or `None`."""
    if v is None:
        return "none"
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(map(str, v)) if isinstance(v, (set, frozenset)) else [str(x) for x in v]
        return ", ".join(items) if items else "none"
    return str(v)


def _paths(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _path_problem(target: str, key: str) -> tuple[str, str] | None:
    """Why a scenario's `contract` or `facts` path cannot be what it must be: a clause file
    (`.rrd`), a fact file (`.toml`, `.json`). Checked by name before the file is read, so that
    the text of a file of another kind (`/etc/passwd`) is never read, nor shown in a
    diagnostic."""
    if "\0" in target or "\n" in target:
        return (f"{key} cannot contain a NUL character or a line break",
                "name the file relative to the scenario file")
    suffixes = (".rrd",) if key == "contract" else (".toml", ".json")
    if not target.lower().endswith(suffixes):
        kind = "clause file (.rrd)" if key == "contract" else "fact file (.toml or .json)"
        return (f"{key} must name a {kind}, not {_shown_value(target)}",
                f"name the {kind.split(' (')[0]} relative to the scenario file")
    return None


def scenario_data(path: Path) -> dict[str, Any] | None:
    """The decoded data of a valid scenario file, or None (for the commands that only look into
    scenarios — coverage, diff, html, check's lints — and leave their errors to rrdsl test)."""
    try:
        return read_scenario(path)[2]
    except RrdslError:
        return None


def _err(path: str, msg: str, *hints: str) -> ScenarioError:
    return ScenarioError(Diagnostic("E801", msg, Span.point(path, 1, 1), hints=tuple(hints)))


def run(path: Path) -> Result:
    """Run one scenario file."""
    return run_outcome(path)[0]


def run_outcome(path: Path, explain: bool = False, agreement: str | None = None
                ) -> tuple[Result, Outcome | None]:
    """Run one scenario file; also the outcome it was judged on (with derivation trees when
    `explain`) — of the named `agreement` when the scenario evaluates several — or None when
    it could not be evaluated."""
    title = path.name
    try:
        name, text, data = read_scenario(path, check=False)
        title = str(data.get("title", path.name))
        validate(name, text, data)
    except RrdslError as e:
        from .diagnostics import render_all

        return Result(display_path(path), title, (), render_all(e.diagnostics)), None
    try:
        results = _evaluate(path, name, text, data, explain)
    except FactErrors as e:
        refused = _refused(data.get("expect"), e.diagnostics)
        if refused is not None:  # the scenario expects the fact set to be refused
            return Result(name, title, tuple(refused)), None
        from .diagnostics import render_all

        return Result(name, title, (), render_all(e.diagnostics)), None
    except RrdslError as e:
        from .diagnostics import render_all

        return Result(name, title, (), render_all(e.diagnostics)), None
    failures: list[str] = []
    for i, exp in enumerate(data.get("expect", [])):
        outcome, contract = results[0]
        if "agreement" in exp:  # an expectation of one agreement of several
            found = [(o, c) for o, c in results if exp["agreement"] in (o.contract.name,
                                                                        c.name)]
            if not found:
                names = ", ".join(c.name for _, c in results)
                failures.append(f"expect #{i + 1}: no agreement {exp['agreement']!r} among "
                                f"those evaluated ({names})")
                continue
            outcome, contract = found[0]
        failures.extend(f"expect #{i + 1}: {msg}" for msg in check_expectation(exp, outcome,
                                                                               contract))
    if not data.get("expect"):
        failures.append("the scenario expects nothing; add [[expect]] entries")
    chosen = [o for o, c in results if agreement in (o.contract.name, c.name)]
    return Result(name, title, tuple(failures)), (chosen or [results[0][0]])[0]


def _evaluate(path: Path, name: str, text: str, data: dict[str, Any],
              explain: bool = False) -> list[tuple[Outcome, Contract]]:
    """Evaluate the scenario's agreement, or its agreements (`contract` may be a list: they
    are evaluated with the one fact set, and references between them are followed)."""
    # unknown keys first: a misspelt `section` is named as such, not as a missing one
    known = ("title", "contract", "section", "cites", "as_of", "given", "facts", "expect", "note")
    unknown = sorted(set(data) - set(known))
    if unknown:
        from .diagnostics import did_you_mean

        guesses = [f"did you mean '{g}' for '{k}'?" for k in unknown
                   if (g := did_you_mean(k, known)) is not None]
        at = re.search(rf"^[ \t]*{re.escape(unknown[0])}[ \t]*=", text, re.M)
        span = (offsets_span(name, text, at.start(), at.start() + len(at.group().rstrip("= \t")))
                if at else Span.point(name, 1, 1))
        raise ScenarioError(Diagnostic("E801", f"unknown key(s): {', '.join(unknown)}", span,
                                       hints=tuple(guesses)))
    for key in ("contract", "section", "cites", "as_of"):
        if key not in data:
            raise _err(name, f"the scenario has no '{key}'",
                       "a scenario names contract, section, cites (the sentence it checks) "
                       "and as_of")
    targets = data["contract"] if isinstance(data["contract"], list) else [data["contract"]]
    if not targets or not all(isinstance(t, str) for t in targets):
        raise _err(name, "contract is a clause file, or a list of clause files")
    for t in targets:  # a link named like a clause file may point at any file: not read
        real = (path.parent / t).resolve()
        if real.exists() and real.suffix.lower() != ".rrd":
            raise _err(name, f"contract {t!r} is a link to {real.name}, which is not a clause "
                       "file (.rrd)", "name the clause file itself")
    if isinstance(data.get("facts"), str):
        real = (path.parent / data["facts"]).resolve()
        if real.exists() and real.suffix.lower() not in (".toml", ".json"):
            raise _err(name, f"facts {data['facts']!r} is a link to {real.name}, which is not "
                       "a fact file (.toml or .json)", "name the fact file itself")
    contracts = [_contract(path.parent / t) for t in targets]
    as_of = data["as_of"]
    if not isinstance(as_of, datetime.date):
        raise _err(name, "as_of must be a date (YYYY-MM-DD)")
    names = [c.fact_names for c in contracts]
    outcomes = []
    for i, contract in enumerate(contracts):
        foreign = frozenset().union(*(n for j, n in enumerate(names) if j != i))
        foreign -= contract.fact_names
        if "facts" in data:
            facts = contract.read_facts(path.parent / str(data["facts"]), foreign=foreign)
        else:
            # positions of problems inside [given] are found in the scenario file itself
            facts = parse_facts(contract.ir, data.get("given", {}), name, text, "toml",
                                prefix=("given",), foreign=contract.foreign_with_base(foreign))
        outcomes.append(contract.evaluate(facts, as_of, explain=explain))
    if len(contracts) > 1:
        from .api import resolve_family

        problems = missing_targets(contracts)
        if problems:
            raise CheckErrors(problems)
        resolve_family(outcomes)
    return list(zip(outcomes, contracts, strict=True))


def _refused(expects: Any, diagnostics: Iterable[Diagnostic]) -> list[str] | None:
    """The failures of a scenario whose fact set was refused, when it expects a refusal
    (`fact_error = "E511"`, with `message_contains`); None when it expects none."""
    if not isinstance(expects, list) or not any(
            isinstance(x, dict) and "fact_error" in x for x in expects):
        return None
    found = list(diagnostics)
    failures = []
    for i, exp in enumerate(expects):
        if not isinstance(exp, dict) or "fact_error" not in exp:
            failures.append(f"expect #{i + 1}: the fact set was refused, so there is no answer "
                            "to check")
            continue
        code, part = exp["fact_error"], exp.get("message_contains")
        if not any(d.code == code and (part is None or str(part) in d.message) for d in found):
            got = "; ".join(f"{d.code} {d.message}" for d in found)
            want = f"{code}" + (f" saying {part!r}" if part is not None else "")
            failures.append(f"expect #{i + 1}: the fact set was refused with {got}; expected "
                            f"{_listed(want)}")
    return failures


def check_expectation(exp: dict[str, Any], o: Outcome, contract: Contract) -> Iterator[str]:
    unknown = set(exp) - _EXPECT_KEYS
    if unknown:
        yield f"unknown key(s) {', '.join(sorted(unknown))}"
        return
    if "fact_error" in exp:
        yield (f"the fact set was accepted, but it was expected to be refused with "
               f"{exp['fact_error']}")
        return
    if "amendment" in exp:
        yield from _check_amendment(exp, o)
        return
    if "ignored_amendment" in exp:
        yield from _check_ignored(exp, o)
        return
    if "value" in exp:
        yield from _check_value(exp, o, contract)
        return
    if "warning" in exp:
        yield from _check_warning(exp, o, contract)
        return
    if "clause" not in exp:
        yield ("an expectation names a clause (clause = \"3(a).register\"), a value, a fact "
               "check's warning or an amendment")
        return
    cid = str(exp["clause"]).lstrip("§")
    refs = [x for x in o.references if x.reference.id == cid]
    if refs:
        yield from _check_reference(exp, refs[0], o, contract)
        return
    matches = [r for r in o.norms if r.norm.id == cid or r.instance == cid]
    if not matches and not any(n.id == cid for n in contract.ir.norms):
        ids = sorted({n.id for n in contract.ir.norms})
        from .diagnostics import did_you_mean

        guess = did_you_mean(cid, ids)
        yield f"no clause {cid}" + (f" (did you mean {guess}?)" if guess else "")
        return
    answers = matches
    if "bearer" in exp:
        matches = [r for r in matches if r.bearer == exp["bearer"]]
    if "trigger" in exp:
        matches = [r for r in matches if r.trigger is not None and r.trigger.id == exp["trigger"]]
    if "count" in exp and len(matches) != exp["count"]:
        yield f"{cid}: {len(matches)} answers, expected {exp['count']}"
    if not matches:
        if exp.get("count") != 0:  # `count = 0`: no such answer, as expected
            yield _no_match(cid, exp, answers)
        return
    yield from _check_answers(exp, matches, o, contract)


def _check_warning(exp: dict[str, Any], o: Outcome, contract: Contract) -> Iterator[str]:
    """`warning = "3(c)(i).effective_after_filing"`: the fact check warns (about the event
    `trigger`, if given; `count` times, if given: 0 says it does not)."""
    cid = str(exp["warning"]).lstrip("§")
    ids = [c.id for c in contract.ir.checks]
    if cid not in ids:
        from .diagnostics import did_you_mean

        guess = did_you_mean(cid, ids)
        yield f"no fact check {cid}" + (f" (did you mean {guess}?)" if guess else "")
        return
    found = [w for w in o.warnings if w.check.id == cid]
    if "trigger" in exp:
        found = [w for w in found if w.event.id == exp["trigger"]]
    about = f" about {exp['trigger']}" if "trigger" in exp else ""
    if "count" in exp:
        if len(found) != exp["count"]:
            yield f"fact check {cid}: {len(found)} warning(s){about}, expected {exp['count']}"
    elif not found:
        warned = sorted(w.event.id for w in o.warnings if w.check.id == cid)
        yield (f"fact check {cid}: no warning{about}"
               + (f" (it warns about {', '.join(warned)})" if warned else ""))


def _no_match(cid: str, exp: dict[str, Any], answers: list[Any]) -> str:
    """Why no answer of the clause has the expected bearer and trigger, with the instances
    there are and the closest name."""
    from .diagnostics import did_you_mean

    wanted = " and ".join(f"{k} {exp[k]}" for k in ("bearer", "trigger") if k in exp)
    text = f"{cid}: no answer with {wanted}"
    for key, got in (("trigger", {r.trigger.id for r in answers if r.trigger is not None}),
                     ("bearer", {r.bearer for r in answers if r.bearer is not None})):
        if key in exp and str(exp[key]) not in got:
            guess = did_you_mean(str(exp[key]), got)
            if guess:
                return text + f" (did you mean {key} {guess}?)"
    shown = [r.instance for r in answers]
    if not shown:
        return text + " (the clause has no answers)"
    more = f", and {len(shown) - 5} more" if len(shown) > 5 else ""
    return text + f" (its answers: {', '.join(shown[:5])}{more})"


def _check_answers(exp: dict[str, Any], matches: list[Any], o: Outcome,
                   contract: Contract, facts: Any = None) -> Iterator[str]:
    facts = o.facts if facts is None else facts
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
        if "beneficiaries" in exp:
            want = exp["beneficiaries"]
            if r.beneficiaries_missing:
                if want != UNDETERMINED:
                    yield (f"{who}: beneficiaries are undetermined (needs "
                           f"{', '.join(r.beneficiaries_missing)}), expected {_listed(want)}")
            elif want == UNDETERMINED or sorted(r.beneficiaries or []) != sorted(want):
                yield (f"{who}: beneficiaries are {_listed(r.beneficiaries)}, "
                       f"expected {_listed(want)}")
        if "missing" in exp and r.missing != sorted(exp["missing"]):
            yield (f"{who}: missing facts are {_listed(r.missing)}, "
                   f"expected {_listed(sorted(exp['missing']))}")
        if "assumptions" in exp and r.assumptions != sorted(exp["assumptions"]):
            yield (f"{who}: assumptions are {_listed(r.assumptions)}, "
                   f"expected {_listed(sorted(exp['assumptions']))}")
        if "assumed_terms" in exp:
            got_terms = sorted(k for k, _ in answer_terms(contract.ir, facts, r))
            want_terms = sorted(str(t) for t in exp["assumed_terms"])
            if got_terms != want_terms:
                yield (f"{who}: assumed terms are {_listed(got_terms)}, "
                       f"expected {_listed(want_terms)}")
        if "assumed_includes" in exp:
            got_terms = sorted(k for k, _ in answer_terms(contract.ir, facts, r))
            lacking = sorted(set(map(str, exp["assumed_includes"])) - set(got_terms))
            if lacking:
                yield f"{who}: assumed terms {_listed(got_terms)} do not include {_listed(lacking)}"
        if "exceptions" in exp:
            got = sorted(a.exception for a in r.exceptions)
            if got != sorted(exp["exceptions"]):
                yield (f"{who}: exceptions are {_listed(got)}, "
                       f"expected {_listed(sorted(exp['exceptions']))}")
        if ("beneficiaries_missing" in exp
                and r.beneficiaries_missing != sorted(exp["beneficiaries_missing"])):
            yield (f"{who}: the beneficiaries need {_listed(r.beneficiaries_missing)}, expected "
                   f"{_listed(sorted(exp['beneficiaries_missing']))}")
        for label, want in dict(exp.get("with_missing", {})).items():
            needs = [list(n) for lab, _, _, n in r.withs if lab == label]
            if not needs:
                yield f"{who}: no value labelled {label!r}"
            elif needs[0] != sorted(want):
                yield f"{who}: {label} needs {_listed(needs[0])}, expected {_listed(sorted(want))}"
        for label, want in dict(exp.get("with", {})).items():
            found = [(v, t, needs) for lab, v, t, needs in r.withs if lab == label]
            if not found:
                yield f"{who}: no value labelled {label!r}"
                continue
            v, t, needs = found[0]
            if needs or want == UNDETERMINED:
                if not needs:
                    yield f"{who}: {label} is {show(v, t)}, expected undetermined"
                elif want != UNDETERMINED:
                    yield (f"{who}: {label} is undetermined (needs {', '.join(needs)}), "
                           f"expected {_listed(want)}")
                continue
            ok, shown = _same(want, v, t, contract, o)
            if not ok:
                yield f"{who}: {label} is {show(v, t)}, expected {shown}"


def _check_reference(exp: dict[str, Any], x: Any, o: Outcome,
                     contract: Contract) -> Iterator[str]:
    """A clause `governed by` another agreement: `loaded` says whether that agreement was
    evaluated alongside; the other keys are checked on its answers."""
    ref = x.reference
    if "loaded" in exp and bool(exp["loaded"]) != x.loaded:
        yield (f"{ref.id}: {ref.agreement} is {'' if x.loaded else 'not '}loaded, expected "
               f"loaded = {str(exp['loaded']).lower()}")
        return
    if "status" in exp and not x.loaded:
        if exp["status"] != x.status:
            yield f"{ref.id}: status is {x.status} ({x.note}), expected {exp['status']}"
        return
    checks = {k: v for k, v in exp.items() if k not in ("clause", "loaded", "agreement")}
    if not checks:
        return
    answers = x.answers
    if "trigger" in exp:
        answers = [r for r in answers if r.trigger is not None and r.trigger.id == exp["trigger"]]
    if "count" in exp and len(answers) != exp["count"]:
        yield f"{ref.id}: {len(answers)} answers from {ref.agreement}, expected {exp['count']}"
    if not answers:
        yield f"{ref.id}: {ref.agreement} gave no answer ({x.note})"
        return
    answered_by = _contract(Path(x.answered_by.file)) if x.answered_by is not None else contract
    yield from _check_answers(exp, answers, o, answered_by, x.facts)


def _check_ignored(exp: dict[str, Any], o: Outcome) -> Iterator[str]:
    """An amendment the facts show took effect while the agreement was evaluated without it
    (`count = 0`: none with that writing)."""
    writing = str(exp["ignored_amendment"])
    found = [x for x in o.ignored_amendments if x.writing == writing]
    want = exp.get("count", 1)
    if len(found) != want:
        yield (f"amendment in writing {writing}: reported as ignored {len(found)} time(s), "
               f"expected {_listed(want)}")
        return
    for x in found:
        if "effective_on" in exp and x.effective_on != exp["effective_on"]:
            yield (f"amendment in writing {writing}: took effect on {show(x.effective_on)}, "
                   f"expected {show(exp['effective_on'])}")
        if "message_contains" in exp and str(exp["message_contains"]) not in x.message:
            yield (f"amendment in writing {writing}: message {x.message!r} does not contain "
                   f"{exp['message_contains']!r}")


def _check_amendment(exp: dict[str, Any], o: Outcome) -> Iterator[str]:
    name = str(exp["amendment"])
    found = [a for a in o.amendments if a.amendment.name == name]
    if not found:
        yield f"no amendment {name} was evaluated"
        return
    a = found[0]
    if "effective" in exp:
        want = exp["effective"]
        got: Any = "undetermined" if a.effective is None else a.effective
        if got != want:
            yield f"{name}: effective is {str(got).lower()} ({a.reason}), expected {_listed(want)}"
    if "applied" in exp and a.applied != exp["applied"]:
        yield f"{name}: applied is {str(a.applied).lower()} ({a.reason}), expected {exp['applied']}"
    if "effective_on" in exp:
        want_day = None if exp["effective_on"] == "none" else exp["effective_on"]
        if a.effective_on != want_day:
            yield f"{name}: effective_on is {show(a.effective_on)}, expected {show(want_day)}"
    if "missing" in exp and a.missing != sorted(exp["missing"]):
        yield (f"{name}: missing facts are {_listed(a.missing)}, "
               f"expected {_listed(sorted(exp['missing']))}")
    if "reason_contains" in exp and str(exp["reason_contains"]) not in a.reason:
        yield f"{name}: reason {a.reason!r} does not contain {exp['reason_contains']!r}"


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
        yield (f"{label}: missing facts are {_listed(v.missing)}, "
               f"expected {_listed(sorted(exp['missing']))}")
    if "assumed_terms" in exp:
        got_terms = sorted(k for k, _ in value_terms(contract.ir, o.facts, v))
        if got_terms != sorted(map(str, exp["assumed_terms"])):
            yield (f"{label}: assumed terms are {_listed(got_terms)}, expected "
                   f"{_listed(sorted(map(str, exp['assumed_terms'])))}")
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

