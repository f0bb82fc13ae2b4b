"""Derivations in JSON: a step the document reaches again is written once (`id`), then referred
to (`same_as`), as the text prints "(as above)"; resolving the references gives back every
whole tree, and the document grows with the steps shown, not with every path to them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import rrdsl
from rrdsl.report import explanation_text, node_json, outcome_json
from rrdsl.runtime import Node

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _full(node: Node) -> dict[str, Any]:
    """The tree with every repeat written out, as rrdsl.explanation/1 wrote it."""
    out = {k: v for k, v in node_json(Node(node.kind, node.label, node.value, node.section,
                                               node.file, node.line, [], node.note)).items()
           if k != "children"}
    out["children"] = [_full(c) for c in node.children]
    return out


def _numbered(doc: dict[str, Any], ids: dict[int, dict[str, Any]]) -> None:
    """Collect the steps written in full with an `id`: numbered 1, 2, ... in the order they
    are written, and every `same_as` names one written before it."""
    if "same_as" in doc:
        assert doc["same_as"] in ids and doc["children"] == [] and "id" not in doc
    if "id" in doc:
        assert doc["id"] == len(ids) + 1
        ids[doc["id"]] = doc
    for c in doc["children"]:
        _numbered(c, ids)


def _resolved(doc: dict[str, Any], ids: dict[int, dict[str, Any]]) -> Any:
    """The node with each `same_as` replaced by the step it names."""
    if "same_as" in doc:
        first = ids[doc["same_as"]]
        assert {k: v for k, v in doc.items() if k not in ("same_as", "children")} == {
            k: v for k, v in first.items() if k not in ("id", "children")}
        return _resolved(first, ids)
    out = {k: v for k, v in doc.items() if k not in ("id", "children")}
    out["children"] = [_resolved(c, ids) for c in doc["children"]]
    return out


def _whole(doc: dict[str, Any]) -> Any:
    ids: dict[int, dict[str, Any]] = {}
    _numbered(doc, ids)
    return _resolved(doc, ids)


def _shown(node: Node, seen: set[int]) -> int:
    """The steps the text shows: a step with children reached again is one line."""
    if id(node) in seen and node.children:
        return 1
    seen.add(id(node))
    return 1 + sum(_shown(c, seen) for c in node.children)


def _count(doc: dict[str, Any]) -> int:
    return 1 + sum(_count(c) for c in doc["children"])


def _explained(contract: Any, data: dict[str, Any]) -> Any:
    from rrdsl.facts import parse_facts

    return contract.evaluate(parse_facts(contract.ir, data, "generated.toml"), explain=True)


def test_the_bundled_demand_resolves_to_the_whole_tree() -> None:
    c = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    o = c.evaluate(c.read_facts(ROOT / "contracts" / "facts" / "demand-2001.toml"), explain=True)
    shared = 0
    for r in o.norms:
        assert r.explanation is not None
        doc = node_json(r.explanation)
        text = explanation_text(r.explanation)
        refs = json.dumps(doc).count('"same_as"')
        assert refs == text.count("(as above)")  # the same steps shortened, in text and JSON
        shared += refs
        assert _whole(doc) == _full(r.explanation)
    assert shared > 0  # the fact set has steps reused from the memo


def _document_ids(doc: Any, ids: dict[int, dict[str, Any]]) -> None:
    """`_numbered` over every derivation of a document, in the order it is written."""
    if isinstance(doc, dict):
        if "kind" in doc and "children" in doc and "label" in doc:
            _numbered(doc, ids)
            return
        for v in doc.values():
            _document_ids(v, ids)
    elif isinstance(doc, list):
        for v in doc:
            _document_ids(v, ids)


@pytest.mark.parametrize("index", range(4))
def test_generated_histories_are_written_once_per_step(index: int) -> None:
    from bench.generate import generate
    from bench.run import load_contract

    c = load_contract()
    data = generate(index + 1, 20010220)[index]  # the bench's first fact sets, 3 to 14 events
    o = _explained(c, data)
    full = 0
    for r in o.norms:
        assert r.explanation is not None
        doc = node_json(r.explanation)  # a derivation alone: its own numbering
        assert _whole(doc) == _full(r.explanation)
        # one node per distinct step, and one per reference to a step with children
        assert _count(doc) == _shown(r.explanation, set())
        full += len(json.dumps(_full(r.explanation)))
    # the document: numbered through it, a reference may name a step of another answer
    document = json.loads(json.dumps(outcome_json(o)))
    ids: dict[int, dict[str, Any]] = {}
    _document_ids(document, ids)
    named: set[int] = set()  # the ids written under earlier answers
    across = 0
    for r, out in zip(o.norms, document["norms"], strict=True):
        assert r.explanation is not None
        assert _resolved(out["explanation"], ids) == _full(r.explanation)
        across += _refers(out["explanation"], named)
        named |= {n for n in ids if _within(out["explanation"], n)}
    if index in (0, 1):  # answers share steps: a reference may name one of another answer
        assert across
    written = len(json.dumps(document))
    print(f"fact set #{index}: {written:,} characters, {full:,} in derivations written in full")
    if index == 0:  # the first fact set's steps are reused most
        assert written * 2 < full


def test_rrdsl_explain_numbers_steps_through_its_answers(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from rrdsl.cli import main

    monkeypatch.chdir(ROOT)
    assert main(["explain", "contracts/savvis_2001.rrd", "contracts/facts/demand-2001.toml",
                 "3(a).request_inclusion", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "rrdsl.explanation/2" and len(doc["answers"]) > 1
    ids: dict[int, dict[str, Any]] = {}
    for answer in doc["answers"]:
        _numbered(answer, ids)
    assert ids  # a step is used twice
    c = rrdsl.load("contracts/savvis_2001.rrd")
    o = c.evaluate(c.read_facts("contracts/facts/demand-2001.toml"), explain=True)
    trees = [r.explanation for r in o.norms if r.norm.id == "3(a).request_inclusion"]
    assert [_resolved(a, ids) for a in doc["answers"]] == [_full(t) for t in trees if t]
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs/rrdsl-result.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)


def _within(doc: dict[str, Any], n: int) -> bool:
    return doc.get("id") == n or any(_within(c, n) for c in doc["children"])


def _refers(doc: dict[str, Any], ids: set[int]) -> bool:
    return doc.get("same_as") in ids or any(_refers(c, ids) for c in doc["children"])
