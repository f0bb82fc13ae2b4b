"""Fuzzing: whatever text or facts come in, only rrdsl's own error class comes out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lark
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import rrdsl
from rrdsl.checker import check
from rrdsl.diagnostics import RrdslError
from rrdsl.facts import parse_fact_text
from rrdsl.parser import grammar_text, parse

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "contracts" / "savvis_2001.rrd"

_GRAMMAR = lark.Lark(grammar_text(), parser="lalr", lexer="contextual")


def _explicit() -> dict[str, Any]:
    # raw outputs glue tokens together; a space after each terminal keeps them apart
    out: dict[str, Any] = {}
    for term in _GRAMMAR.terminals:
        if term.name in ("WS", "COMMENT"):
            continue
        if term.pattern.type == "str":
            out[term.name] = st.just(term.pattern.value + " ")
        else:
            out[term.name] = st.from_regex(term.pattern.to_regexp(), fullmatch=True).map(
                lambda s: s + " ")
    return out


def _only_our_errors(text: str) -> None:
    try:
        module = parse(text, "fuzz.rrd")
        check([module])
    except RrdslError:
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_lark(_GRAMMAR, start="start", explicit=_explicit()))
def test_generated_programs_raise_only_rrdsl_errors(text: str) -> None:
    _only_our_errors(text)


_SOURCE = CONTRACT.read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_SOURCE)), st.integers(0, 40), st.text(max_size=8))
def test_mutated_contract_raises_only_rrdsl_errors(pos: int, cut: int, insert: str) -> None:
    _only_our_errors(_SOURCE[:pos] + insert + _SOURCE[pos + cut:])


_LOADED = rrdsl.load(CONTRACT)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["2001-05-02", "WCAS", "dn1", "firm_commitment", "$5,000,000"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["WCAS", "dn1", "id", "date", "shares", "method", "channel", "x"]),
        inner, max_size=3),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["as_of", "parties", "facts", "events", "other"]),
    st.dictionaries(st.sampled_from(["WCAS", "DemandNotice", "savvis_common_shares",
                                     "s3_eligible", "Nope"]), _json_values, max_size=3),
    max_size=4))
def test_generated_fact_files_raise_only_rrdsl_errors(data: dict[str, Any]) -> None:
    try:
        facts = parse_fact_text(_LOADED.ir, json.dumps(data), "fuzz.json", "json")
        _LOADED.evaluate(facts, facts.as_of or __import__("datetime").date(2001, 6, 1))
    except RrdslError:
        pass
