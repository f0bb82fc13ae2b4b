"""Scenario files as a drafting engineer meets them: names checked by `rrdsl check`, failures
written in plain words (issue 17, diagnostics)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent

SCENARIO = '''title = "a scenario with mistakes"
contract = "{contract}"
section = "3(a)"
cites = "Savvis shall ... register"
as_of = 2001-06-15

[given.parties]
WCAS = "Investor"

[given.facts]
savvis_common_shares = {{ WCAS = 6_000_000 }}
rule144k_eligible = {{ WCAS = false }}

[[given.events.DemandNotice]]
id = "dn1"
date = 2001-05-02
shares = {{ WCAS = 1_000_000 }}
method = "open_market"
channel = "personal"

[[expect]]
clause = "{clause}"
status = "pending"

[[expect]]
clause = "3(a).register"
trigger = "dn1"
beneficiaries = ["Nobody"]
exceptions = ["3(j).rule_144k"]
'''


def _write(tmp_path: Path, clause: str) -> Path:
    p = tmp_path / "s.scenario.toml"
    p.write_text(SCENARIO.format(contract=ROOT / "contracts/savvis_2001.rrd", clause=clause),
                 encoding="utf-8")
    return p


def test_check_refuses_a_clause_the_agreement_does_not_have(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, "3(a).registr")
    assert main(["check", str(p)]) == 1
    err = capsys.readouterr().err
    assert "error[E801]: expect #1: savvis_2001 has no clause '3(a).registr'" in err
    assert "did you mean '3(a).register'?" in err
    assert '22 | clause = "3(a).registr"' in err


def test_a_failure_shows_values_as_a_reader_writes_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, "3(a).register")
    assert main(["test", str(p)]) == 1
    out = capsys.readouterr().out
    assert "3(a).register[dn1]: beneficiaries are WCAS, expected Nobody" in out
    assert "3(a).register[dn1]: exceptions are none, expected 3(j).rule_144k" in out
    assert "None" not in out and "['" not in out
