"""A fact check reading events is judged on the facts as they stood on its event's day; when
nothing it reads changed after that day, the evaluation's own context answers the same
(`unchanged_since`, as for a trigger's condition) and is used. The warnings must be those of
judging every event in its own day's context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate
from rrdsl import evaluator, load
from rrdsl.facts import parse_facts
from rrdsl.report import dumps, warning_json

AGREEMENT = Path(__file__).resolve().parent.parent / "contracts" / "savvis_2001.rrd"


@pytest.mark.parametrize("scale, n", [(1, 120), (10, 6)])
def test_warnings_are_those_of_each_event_s_own_day(scale: int, n: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    contract = load(AGREEMENT)
    sets = [parse_facts(contract.ir, d, f"generated#{k}")
            for k, d in enumerate(generate(n, 20010220, scale))]

    def warnings() -> list[str]:
        out: list[Any] = []
        for fs in sets:
            o = contract.evaluate(fs, values=False)
            out += [dumps(warning_json(w, o)) for w in o.warnings]
        return out

    shortcut = warnings()
    asked = []

    def never(*_: Any) -> bool:
        asked.append(1)
        return False

    with monkeypatch.context() as m:  # every event judged in its own day's context
        m.setattr(evaluator, "unchanged_since", never)
        own_day = warnings()
    assert asked  # the evaluator asked the patched function (compiled or not)
    assert shortcut == own_day
    assert len(shortcut) >= 10  # the generated histories fail checks now and then
