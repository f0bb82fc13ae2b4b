"""The command line: exit codes, report formats, and the main job on the bundled agreement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "contracts/savvis_2001.rrd"
FACTS = "contracts/facts/demand-2001.toml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_check_clean_contract_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", CONTRACT]) == 0
    assert capsys.readouterr().out == f"{CONTRACT}: ok\n"


def test_eval_text_report_groups_by_party_and_cites(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", CONTRACT, FACTS]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Registration Rights Agreement dated as of February 20, 2001 "
                          "(savvis_2001)\nas of 2001-06-15")
    savvis = out.index("\nSavvis\n")
    assert out.index("§3(a).register[dn1] — pending", savvis)
    assert "cites §3(a) Demand Registration Rights (contracts/savvis_2001.rrd:" in out
    assert "shares included, by Investor: WCAS: 375,000, WCAS_Management: 125,000" in out


def test_eval_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", CONTRACT, FACTS, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "rrdsl.result/3"
    assert data["as_of"] == "2001-06-15"
    reg = next(n for n in data["norms"] if n["id"] == "3(a).register[dn1]")
    assert reg["status"] == "pending" and reg["bearer"] == "Savvis"
    assert reg["citation"]["section"] == "3(a)" and reg["citation"]["line"] > 0
    assert reg["trigger"] == {"event": "DemandNotice", "id": "dn1", "date": "2001-05-02"}
    cut = next(n for n in data["norms"] if n["clause"] == "3(c)(iii).cutback_right")
    assert cut["assumptions"] == ["CutbackOpinion cut1"]
    assert cut["values"][0]["value"] == {"WCAS": 375000, "WCAS_Management": 125000}


def test_as_of_overrides_the_fact_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", CONTRACT, FACTS, "--as-of", "2001-05-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2001-05-01"
    assert {n["status"] for n in data["norms"] if n["clause"] == "3(a).register"} == {
        "not_triggered"}


def test_a_bad_as_of_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["eval", CONTRACT, FACTS, "--as-of", "2001-02-30"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage error[E701]" in err and "'2001-02-30' is not a date" in err


def test_explain_prints_the_derivation_with_citations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", CONTRACT, FACTS, "3(a).register[dn1]"]) == 0
    out = capsys.readouterr().out
    assert "triggered where: is_demand_notice(d) = yes" in out
    assert "majority_in_interest({WCAS}) = yes   §3(a) (contracts/savvis_2001.rrd:" in out
    assert "fact savvis_common_shares(WCAS) = 6,200,000   §1 (contracts/savvis_2001.rrd:" in out


def test_explain_marks_qualitative_facts_as_assumptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", CONTRACT, FACTS, "3(c)(iii).cutback_right"]) == 0
    out = capsys.readouterr().out
    assert "event CutbackOpinion cut1 = 2001-06-01" in out
    assert "qualitative: taken as given, an assumption of this run" in out


def test_explain_unknown_name_suggests_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", CONTRACT, FACTS, "3(a).registr"]) == 2
    assert "did you mean '3(a).register'?" in capsys.readouterr().err


def test_missing_files_are_user_errors_not_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "nope.rrd"]) == 1
    assert main(["eval", CONTRACT, "nope.toml"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no clause file at nope.rrd" in err


def test_no_command_and_unknown_command_are_usage_errors() -> None:
    assert main([]) == 2
    with pytest.raises(SystemExit) as info:
        main(["evaluate"])
    assert info.value.code == 2


def test_test_command_ends_with_the_summary_line(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["test", "contracts/scenarios/s3a/exactly-half-is-not-a-majority.scenario.toml"])
    assert status == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 0 failed"


def test_failing_scenario_exits_1_and_says_why(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    src = ROOT / "contracts/scenarios/s3a/exactly-half-is-not-a-majority.scenario.toml"
    bad = tmp_path / "wrong.scenario.toml"
    bad.write_text(src.read_text().replace('status = "not_triggered"\nreason_contains',
                                           'status = "pending"\nreason_contains').replace(
        '"../../savvis_2001.rrd"', json.dumps(str(ROOT / CONTRACT))), encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "3(a).register[dn1]: status is not_triggered" in out
    assert out.splitlines()[-1] == "0 passed, 1 failed"


@pytest.mark.parametrize(("trigger", "says"), [
    ("sf_1", "no answer with trigger sf_1 (did you mean trigger sf1?)"),
    ("zzz", "no answer with trigger zzz (its answers: 3(b).short_form_further_notice[sf1])"),
])
def test_an_expectation_no_answer_matches_names_the_answers_there_are(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], trigger: str, says: str) -> None:
    src = ROOT / ("contracts/scenarios/s3b/"
                  "short-form-further-notice-to-requester-only-is-breached.scenario.toml")
    bad = tmp_path / "wrong.scenario.toml"
    bad.write_text(src.read_text().replace('trigger = "sf1"', f'trigger = "{trigger}"').replace(
        '"../../savvis_2001.rrd"', json.dumps(str(ROOT / CONTRACT))), encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    assert f"3(b).short_form_further_notice: {says}" in capsys.readouterr().out


@pytest.mark.parametrize(("old", "new", "says"), [
    ('with = { "shares included, by Investor" = "undetermined" }',
     'with = { "shares included, by Investor" = { WCAS = 7 } }',
     "shares included, by Investor is undetermined (needs rule144k_eligible(John_Clark)), "
     "expected"),
    ('beneficiaries = "undetermined"', 'beneficiaries = ["WCAS"]',
     "beneficiaries are undetermined (needs rule144k_eligible(John_Clark)), expected WCAS"),
    ('with_missing = { "shares included, by Investor" = ["rule144k_eligible(John_Clark)"] }',
     'with_missing = { "shares included, by Investor" = ["rule144k_eligible(WCAS)"] }',
     "shares included, by Investor needs rule144k_eligible(John_Clark), expected "
     "rule144k_eligible(WCAS)"),
])
def test_an_undetermined_value_or_beneficiaries_fail_a_definite_expectation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        says: str) -> None:
    src = ROOT / ("contracts/scenarios/s3c/"
                  "iii-cutback-with-unknown-144k-status-leaves-allocation-undetermined"
                  ".scenario.toml")
    text = src.read_text()
    assert old in text
    bad = tmp_path / "wrong.scenario.toml"
    bad.write_text(text.replace(old, new).replace(
        '"../../savvis_2001.rrd"', json.dumps(str(ROOT / CONTRACT))), encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    assert f"3(c)(iii).cutback_right[cut_odd]: {says}" in capsys.readouterr().out


@pytest.mark.parametrize(("old", "new", "says"), [
    ('warning = "3(c)(i).effective_after_filing"\ntrigger = "eff1"',
     'warning = "3(c)(i).effective_after_filng"\ntrigger = "eff1"',
     "no fact check 3(c)(i).effective_after_filng (did you mean 3(c)(i).effective_after_filing?)"),
    ('warning = "3(c)(i).effective_after_filing"\ntrigger = "eff1"',
     'warning = "3(c)(i).effective_after_filing"\ntrigger = "eff2"',
     "fact check 3(c)(i).effective_after_filing: no warning about eff2 (it warns about eff1)"),
    ('warning = "3(c)(i).sold_once_effective"\ncount = 1',
     'warning = "3(c)(i).sold_once_effective"\ncount = 0',
     "fact check 3(c)(i).sold_once_effective: 1 warning(s), expected 0"),
])
def test_a_fact_check_expectation_that_fails_says_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str,
        says: str) -> None:
    src = ROOT / "contracts/scenarios/s3c/i-effective-before-filing-is-reported.scenario.toml"
    text = src.read_text()
    assert old in text
    bad = tmp_path / "wrong.scenario.toml"
    bad.write_text(text.replace(old, new).replace(
        '"../../savvis_2001.rrd"', json.dumps(str(ROOT / CONTRACT))), encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    assert says in capsys.readouterr().out


def test_a_scenario_with_a_misspelt_key_or_bad_toml_is_shown_at_its_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = (ROOT / "contracts/scenarios/s3a/exactly-half-is-not-a-majority.scenario.toml"
           ).read_text(encoding="utf-8")
    typo = tmp_path / "typo.scenario.toml"
    typo.write_text(src.replace("section = ", "sectoin = ", 1), encoding="utf-8")
    line = src[: src.index("section = ")].count("\n") + 1
    assert main(["test", str(typo)]) == 1
    out = capsys.readouterr().out
    assert f"typo.scenario.toml:{line}:1: error[E801]: unknown key(s): sectoin" in out
    assert "did you mean 'section' for 'sectoin'?" in out
    bad = tmp_path / "bad.scenario.toml"
    bad.write_text(src.replace("as_of = ", "as_of = 2001-02-30 #", 1), encoding="utf-8")
    assert main(["test", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "error[E507]: 2001-02-30 is not a date" in out and "^^^" in out
    assert "Traceback" not in out


def test_python_dash_m_runs_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "rrdsl", "check", CONTRACT], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"{CONTRACT}: ok\n")


def test_loading_pauses_the_collector_and_gives_it_back(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str],
                                                        ) -> None:
    """Parsing and checking run with the cyclic collector off (they make no cycles; it cost
    40 % of a large check), and it is on again after, for a check and for a load."""
    import gc

    from rrdsl import _gc, api, lints

    seen: list[bool] = []
    real = lints.check_modules

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(lints, "check_modules", spy)
    monkeypatch.setattr(api, "check_modules", spy)
    assert gc.isenabled()
    assert main(["check", CONTRACT]) == 0
    api.load(CONTRACT)
    assert seen == [False, False] and gc.isenabled()
    with _gc.collector_paused(), _gc.collector_paused():  # nested: off until the last
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()  # off before (the language server): left off
    try:
        with _gc.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    capsys.readouterr()


def test_an_evaluation_runs_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """An evaluation makes thousands of containers and no cycles it does not break itself:
    with a collection due at every allocation, almost none happens while it runs (those
    that do are before and after Evaluator.run), and the collector is on again after."""
    import contextlib
    import gc

    import rrdsl
    from rrdsl import evaluator

    contract = rrdsl.load(CONTRACT)
    facts = contract.read_facts(FACTS)
    runs: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            runs.append(info["generation"])

    def collections() -> int:
        runs.clear()
        old = gc.get_threshold()
        gc.callbacks.append(count)
        gc.set_threshold(1)
        try:
            contract.evaluate(facts, values=True)
        finally:
            gc.set_threshold(*old)
            gc.callbacks.remove(count)
        return len(runs)

    paused = collections()
    assert gc.isenabled()
    monkeypatch.setattr(evaluator, "collector_paused", contextlib.nullcontext)
    unpaused = collections()
    # (the compiled build's results are not tracked, so they trigger no collection either)
    assert paused * 5 < unpaused, (paused, unpaused)
