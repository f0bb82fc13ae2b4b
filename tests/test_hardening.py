"""Tracker issue 21: what a fuzzer and an attacker still find. Each item has its regression
tests here: bad input gets a diagnostic (file:line:col, caret, fix), never a traceback."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest

import rrdsl
from rrdsl.cli import main
from rrdsl.diagnostics import EvaluationError, FactErrors, UsageError

ROOT = Path(__file__).resolve().parent.parent

TOY = """agreement toy "Toy" dated 2001-01-01

party Company "the Company"
role Holder "the Holders"
enum Channel { personal, mail }

section 1 "Notices"
  fact held(h: Holder): shares over time "shares held"
  event Notice "a notice" (by: Holder, channel: Channel)
  clause reply: Company shall "reply"
    upon Notice n where held(n.by) > 0
    within 10 business days after n.date
"""

LATE_FACTS = """as_of = 9999-12-31

[parties]
Ann = "Holder"

[facts]
held = { Ann = [{ from = 9999-01-01, through = 9999-12-31, value = 5 }] }

[[events.Notice]]
id = "n1"
date = 9999-12-28
by = "Ann"
channel = "mail"
"""


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rrdsl", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)


# ── 1. dates at the end of the calendar ─────────────────────────────────────


def test_a_deadline_past_9999_is_an_evaluation_error_naming_event_and_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "toy.rrd").write_text(TOY, encoding="utf-8")
    (tmp_path / "late.toml").write_text(LATE_FACTS, encoding="utf-8")
    assert main(["eval", str(tmp_path / "toy.rrd"), str(tmp_path / "late.toml")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "OverflowError" not in err
    assert "toy.rrd:12:5: error[E601]: 9999-12-28 + 10 business days falls after 9999-12-31" \
        in err
    assert "help: in §1.reply[n1]: Notice n1 of 9999-12-28" in err
    assert "^^^^" in err


def test_the_api_raises_evaluation_error_not_overflow_error(tmp_path: Path) -> None:
    (tmp_path / "toy.rrd").write_text(TOY, encoding="utf-8")
    c = rrdsl.load(tmp_path / "toy.rrd")
    facts = c.facts_from_text(LATE_FACTS)
    with pytest.raises(EvaluationError) as info:
        c.evaluate(facts)
    (d,) = info.value.diagnostics
    assert d.code == "E601" and d.span is not None and d.span.line == 12


def test_a_mailed_notice_received_after_9999_in_the_shipped_contract() -> None:
    """§8(f): a notice mailed in the last days of 9999 is received after 9999-12-31."""
    text = (ROOT / "contracts/facts/demand-2001.toml").read_text(encoding="utf-8")
    text = (text.replace("2001-06-15", "9999-12-31").replace("date = 2001-05-02",
                                                             "date = 9999-12-28")
            .replace('"personal"', '"mail"').replace("2001-05-20", "9999-12-29")
            .replace("2001-06-01", "9999-12-30"))
    c = rrdsl.load(ROOT / "contracts/savvis_2001.rrd")
    with pytest.raises(EvaluationError) as info:
        c.evaluate(c.facts_from_text(text))
    d = info.value.diagnostics[0]
    assert "9999-12-31" in d.message and "9999-12-2" in d.message
    assert any("of 9999-12-2" in h for h in d.hints)


def test_a_history_through_the_last_day_of_the_calendar_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "toy.rrd").write_text(TOY.replace("10 business days", "0 days"), "utf-8")
    c = rrdsl.load(tmp_path / "toy.rrd")
    out = c.evaluate(c.facts_from_text(LATE_FACTS))
    assert [r.instance for r in out.norms] == ["1.reply[n1]"]


# ── 4. the Python API checks its arguments ──────────────────────────────────


@pytest.fixture(scope="module")
def savvis() -> rrdsl.Contract:
    return rrdsl.load(ROOT / "contracts/savvis_2001.rrd")


@pytest.mark.parametrize(("data", "where"), [
    ({1: 2}, ""), ({"facts": {1: 2}}, "facts"), ({"parties": {1: "Investor"}}, "parties"),
    ({"events": {"DemandNotice": [{1: 2}]}}, "events.DemandNotice[0]"),
    ({"events": {3: []}}, "events")])
def test_facts_from_mapping_refuses_keys_that_are_not_texts(
        savvis: rrdsl.Contract, data: dict[object, object], where: str) -> None:
    with pytest.raises(FactErrors) as info:
        savvis.facts_from_mapping(data)  # type: ignore[arg-type]
    (d,) = info.value.diagnostics
    assert d.code == "E503" and "is not a text" in d.message
    assert d.message.endswith(f"(at {where})" if where else "is not a text")


def test_facts_from_mapping_refuses_data_nested_too_deep(savvis: rrdsl.Contract) -> None:
    deep: list[object] = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(FactErrors) as info:
        savvis.facts_from_mapping({"facts": {"s3_eligible": deep}})
    assert "nested more than 64 deep" in info.value.diagnostics[0].message


def test_evaluate_takes_an_iso_date_text(savvis: rrdsl.Contract) -> None:
    facts = savvis.read_facts(ROOT / "contracts/facts/demand-2001.toml")
    assert savvis.evaluate(facts, as_of="2001-06-01").as_of == datetime.date(2001, 6, 1)
    assert savvis.evaluate(facts, as_of=datetime.datetime(2001, 6, 2, 9)).as_of == \
        datetime.date(2001, 6, 2)


@pytest.mark.parametrize(("as_of", "says"), [
    ("2001-6-15", "as_of '2001-6-15' is not a date: a date is written YYYY-MM-DD"),
    ("2001-02-30", "February 2001 has 28 days"),
    (20010615, "as_of must be a datetime.date or a text YYYY-MM-DD, not 20010615 (int)")])
def test_evaluate_refuses_a_bad_as_of_with_a_usage_error(savvis: rrdsl.Contract, as_of: object,
                                                         says: str) -> None:
    facts = savvis.read_facts(ROOT / "contracts/facts/demand-2001.toml")
    with pytest.raises(UsageError) as info:
        savvis.evaluate(facts, as_of=as_of)  # type: ignore[arg-type]
    (d,) = info.value.diagnostics
    assert d.code == "E701" and says in d.message


def test_evaluate_and_facts_from_text_refuse_wrong_argument_types(
        savvis: rrdsl.Contract) -> None:
    with pytest.raises(UsageError, match="facts must be a FactSet"):
        savvis.evaluate({"as_of": "2001-06-01"})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="text must be a str"):
        savvis.facts_from_text(b"as_of = 2001-06-01")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="kind must be"):
        savvis.facts_from_text("as_of = 2001-06-01", kind="yaml")


# ── 5. the docs site links only to safe schemes ─────────────────────────────

_UNSAFE = ["javascript:alert(1)", "JaVaScript:alert(1)", " javascript:alert(1)",
           "java&#115;cript:alert(1)", "javascript&colon;alert(1)", "data:text/html,<b>x</b>",
           "vbscript:msgbox(1)", "file:///etc/passwd"]


@pytest.mark.parametrize("url", _UNSAFE)
def test_a_docs_link_with_an_unsafe_scheme_is_plain_text(url: str) -> None:
    from rrdsl.docsite import render_markdown

    out = render_markdown(f"see [the text]({url}) and ![pic]({url})\n\n[r][ref]\n\n"
                          f"[ref]: {url}\n")
    assert "<a " not in out and "<img" not in out
    assert "the text" in out and "pic" in out and ">r<" in out
    assert "href" not in out and "src" not in out


def test_safe_links_stay_links(tmp_path: Path) -> None:
    from rrdsl.site import build_site

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\n[web](https://example.com) [mail](mailto:x@example.com) "
                               "[rel](b.md#top) [frag](#a) [bad](javascript:alert(1))\n",
                               encoding="utf-8")
    build_site([], tmp_path / "site", docs=docs)
    page = next((tmp_path / "site").rglob("a.html")).read_text(encoding="utf-8")
    for href in ('href="https://example.com"', 'href="mailto:x@example.com"',
                 'href="b.html#top"', 'href="#a"'):
        assert href in page
    assert "javascript" not in page.lower()  # the link's text is "bad": nothing else says it
    assert '<span class="unsafe-link"' in page


# ── 3. rrdsl fmt and the file system ────────────────────────────────────────

MESSY = 'agreement toy "Toy" dated 2001-01-01\n\nparty  Company "the Company"\n'


def _fmt(*paths: Path) -> tuple[int, str, str]:
    import io

    from rrdsl.fmt import run

    out, err = io.StringIO(), io.StringIO()
    code = run(list(paths), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_fmt_refuses_a_read_only_file_and_leaves_it_alone(tmp_path: Path) -> None:
    f = tmp_path / "ro.rrd"
    f.write_text(MESSY, encoding="utf-8")
    f.chmod(0o444)
    inode = f.stat().st_ino
    code, out, err = _fmt(f)
    assert code == 1 and "reformatted" not in out
    assert "error[E114]: cannot write" in err and "the file is read-only" in err
    assert "1 not written" in err
    assert f.read_text(encoding="utf-8") == MESSY and f.stat().st_ino == inode
    assert main(["fmt", str(f)]) == 1  # the command's exit status, no traceback


def test_fmt_in_a_read_only_folder_is_a_clean_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    f = folder / "a.rrd"
    f.write_text(MESSY, encoding="utf-8")
    folder.chmod(0o555)
    try:
        code, out, err = _fmt(f)
        assert code == 1 and "E114" in err and "is read-only" in err
        assert "Traceback" not in err and f.read_text(encoding="utf-8") == MESSY
        assert sorted(p.name for p in folder.iterdir()) == ["a.rrd"]  # no temporary file left
    finally:
        folder.chmod(0o755)


def test_fmt_reports_a_failed_write_instead_of_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def denied(*args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    f = tmp_path / "a.rrd"
    f.write_text(MESSY, encoding="utf-8")
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    code, _, err = _fmt(f)
    assert code == 1 and "cannot write" in err and "Permission denied" in err
    assert f.read_text(encoding="utf-8") == MESSY


def test_fmt_formats_a_links_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "a.rrd"
    real.parent.mkdir()
    real.write_text(MESSY, encoding="utf-8")
    link = tmp_path / "link.rrd"
    link.symlink_to(real)
    code, out, _ = _fmt(link)
    assert code == 0 and "through the link" in out
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert 'party Company "the Company"' in real.read_text(encoding="utf-8")
    assert _fmt(link)[0] == 0 and "0 files reformatted, 1 unchanged" in _fmt(link)[2]


def test_fmt_refuses_a_link_to_a_read_only_file(tmp_path: Path) -> None:
    real = tmp_path / "a.rrd"
    real.write_text(MESSY, encoding="utf-8")
    real.chmod(0o444)
    link = tmp_path / "link.rrd"
    link.symlink_to(real)
    code, _, err = _fmt(link)
    assert code == 1 and "read-only" in err and "through the link" in err
    assert link.is_symlink() and real.read_text(encoding="utf-8") == MESSY


# ── 2. scenario files are held to the fact files' limits, and typed ──────────

SCENARIO = (ROOT / "contracts/scenarios/s3a/exactly-half-is-not-a-majority.scenario.toml"
            ).read_text(encoding="utf-8").replace('"../../savvis_2001.rrd"',
                                                   f'"{ROOT / "contracts/savvis_2001.rrd"}"')


def _scenario(folder: Path, name: str, extra: str) -> Path:
    f = folder / f"{name}.scenario.toml"
    f.write_text(SCENARIO + "\n[[expect]]\n" + extra + "\n", encoding="utf-8")
    return f


@pytest.fixture
def deep_scenarios(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    _scenario(folder, "deep", 'clause = "3(a).register"\nexceptions = ' + "[" * 5000
              + "]" * 5000)
    _scenario(folder, "deep-inline", 'clause = "3(a).register"\nwith = { x = ' + "[" * 300
              + "]" * 300 + " }")
    return folder


def test_rrdsl_test_refuses_a_deeply_nested_scenario_at_its_place(
        deep_scenarios: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(deep_scenarios)]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and "RecursionError" not in out
    assert out.count("error[E801]: tables and lists are nested more than 64 deep") == 2
    assert "deep.scenario.toml:46:78:" in out and "^" in out
    assert "0 passed, 2 failed" in out


def test_check_diff_and_html_survive_a_deeply_nested_scenario(
        deep_scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(deep_scenarios)]) == 1
    err = capsys.readouterr().err
    assert "E801" in err and "Traceback" not in err
    contract = str(ROOT / "contracts/savvis_2001.rrd")
    assert main(["diff", contract, contract, "--scenarios", str(deep_scenarios)]) == 0
    assert main(["html", contract, "-o", str(tmp_path / "site"), "--scenarios",
                 str(deep_scenarios)]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "says", "col"), [
    ('clause = "3(a).register"\nexceptions = 5', "exceptions must be a list of texts, not 5",
     14),
    ('clause = "3(a).register"\ndeadline = 2001-06-01T10:00:00',
     'deadline must be a date, or "none", not the date-time 2001-06-01T10:00:00', 12),
    ('clause = "3(a).register"\ncount = "two"', 'count must be a whole number, 0 or more, '
     'not "two"', 9),
    ('clause = "3(a).register"\nbeneficiaries = 3', "beneficiaries must be a list of party "
     "names", 17),
    ('clause = "3(a).register"\nwith = 7', "with must be a table", 8),
    ('value = "x"\nequals = 10:30:00', "equals must be a value written as in a fact file", 10),
])
def test_a_wrong_type_in_an_expectation_is_an_error_at_its_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, says: str,
        col: int) -> None:
    f = _scenario(tmp_path, "typed", extra)
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "Traceback" not in out and "TypeError" not in out
    assert f"typed.scenario.toml:46:{col}: error[E801]: expect #5: {says}" in out
    assert "^" in out


def test_a_misspelt_expectation_key_is_shown_with_what_it_meant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _scenario(tmp_path, "typo", 'clause = "3(a).register"\nstauts = "pending"\n'
                  'status = "not_trigered"')
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "typo.scenario.toml:46:1: error[E801]: expect #5: unknown key 'stauts'" in out
    assert "help: did you mean 'status'?" in out
    assert "typo.scenario.toml:47:10: error[E801]: expect #5: status must be a status" in out
    assert "help: did you mean 'not_triggered'?" in out


def test_a_scenario_larger_than_the_fact_file_limit_is_refused_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rrdsl.facts import MAX_FACT_BYTES

    f = tmp_path / "big.scenario.toml"
    with f.open("wb") as fh:
        fh.truncate(MAX_FACT_BYTES + 1)  # sparse: no memory or disk for the test
    assert main(["test", str(f)]) == 1
    assert f"the scenario file is {MAX_FACT_BYTES + 1:,} bytes; the limit is" in \
        capsys.readouterr().out


def test_a_scenario_that_is_a_named_pipe_is_refused_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    f = tmp_path / "pipe.scenario.toml"
    os.mkfifo(f)
    assert main(["test", str(f)]) == 1
    assert "it is a named pipe, not a regular file" in capsys.readouterr().out


def test_the_shipped_scenarios_all_validate() -> None:
    from rrdsl.scenarios import find, read_scenario

    files = find([ROOT / "contracts/scenarios"])
    assert len(files) > 300
    for f in files:
        read_scenario(f)  # raises ScenarioError on a problem


# ── 6. a scenario's contract is a clause file, and nothing else is shown ─────


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../../etc/hostname",
                                    "notes.txt"])
def test_a_contract_that_is_not_a_clause_file_is_not_read_or_quoted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    (tmp_path / "notes.txt").write_text("SECRET-LINE\n", encoding="utf-8")
    f = tmp_path / "x.scenario.toml"
    f.write_text(f'title = "x"\ncontract = "{target}"\nsection = "1"\ncites = "c"\n'
                 'as_of = 2001-06-01\n[[expect]]\nclause = "1.x"\n', encoding="utf-8")
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "x.scenario.toml:2:12: error[E801]: contract must name a clause file (.rrd)" in out
    assert "root:" not in out and "SECRET-LINE" not in out


def test_a_clause_file_name_linking_to_another_file_is_not_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("SECRET-LINE\n", encoding="utf-8")
    (tmp_path / "c.rrd").symlink_to(tmp_path / "notes.txt")
    f = tmp_path / "x.scenario.toml"
    f.write_text('title = "x"\ncontract = "c.rrd"\nsection = "1"\ncites = "c"\n'
                 'as_of = 2001-06-01\n[[expect]]\nclause = "1.x"\n', encoding="utf-8")
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "is a link to notes.txt, which is not a clause file" in out
    assert "SECRET-LINE" not in out


def test_a_facts_path_that_is_not_a_fact_file_is_not_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.scenario.toml"
    f.write_text(SCENARIO.replace("as_of = ", 'facts = "/etc/passwd"\nas_of = ', 1),
                 encoding="utf-8")
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "facts must name a fact file (.toml or .json)" in out and "root:" not in out


# ── 7. limits are checked before the work ───────────────────────────────────

REPLY = """agreement toy "Toy" dated 2001-01-01

party Company "the Company"
role Holder "the Holders"

section 1 "Notices"
  event Notice "a notice" (by: Holder)
  clause reply: Company shall "reply"
    upon Notice n
    within 10 days after n.date
"""


def _many_events_toml(n: int) -> str:
    return 'as_of = 2001-06-01\n\n[parties]\nAnn = "Holder"\n' + "".join(
        f'\n[[events.Notice]]\nid = "n{i}"\ndate = 2001-05-02\nby = "Ann"\n' for i in range(n))


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every expensive step fail the test if it is reached."""
    from rrdsl import facts

    def reached(*args: object, **kwargs: object) -> None:
        raise AssertionError("the work was done before the limit was checked")

    monkeypatch.setattr(facts._Loader, "load_events", reached)
    monkeypatch.setattr(facts._TomlPositions, "_scan", reached)
    monkeypatch.setattr(facts._JsonPositions, "_scan", reached)


def test_a_toml_fact_file_of_too_many_events_is_refused_before_decoding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    from rrdsl.facts import MAX_EVENTS

    (tmp_path / "toy.rrd").write_text(REPLY, encoding="utf-8")
    c = rrdsl.load(tmp_path / "toy.rrd")
    text = _many_events_toml(MAX_EVENTS + 1)
    _no_work(monkeypatch)
    monkeypatch.setattr(tomllib, "loads", lambda *a, **k: pytest.fail("decoded"))
    with pytest.raises(FactErrors) as info:
        c.facts_from_text(text, name="many.toml")
    (d,) = info.value.diagnostics
    assert d.code == "E510" and d.message == "more than 100,000 events"
    assert d.span is not None and d.span.line == 5 + 5 * MAX_EVENTS + 1


def test_a_json_fact_file_of_too_many_events_is_refused_before_events_are_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from rrdsl.facts import MAX_EVENTS

    (tmp_path / "toy.rrd").write_text(REPLY, encoding="utf-8")
    c = rrdsl.load(tmp_path / "toy.rrd")
    text = json.dumps({"as_of": "2001-06-01", "parties": {"Ann": "Holder"}, "events": {
        "Notice": [{"id": f"n{i}", "date": "2001-05-02", "by": "Ann"}
                   for i in range(MAX_EVENTS + 1)]}})
    _no_work(monkeypatch)
    with pytest.raises(FactErrors) as info:
        c.facts_from_text(text, kind="json", name="many.json")
    assert [d.code for d in info.value.diagnostics] == ["E510"]


def test_a_mapping_or_scenario_of_too_many_events_is_refused_before_events_are_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rrdsl.facts import MAX_EVENTS

    (tmp_path / "toy.rrd").write_text(REPLY, encoding="utf-8")
    c = rrdsl.load(tmp_path / "toy.rrd")
    event = {"id": "n", "date": "2001-05-02", "by": "Ann"}
    _no_work(monkeypatch)
    with pytest.raises(FactErrors, match="more than 100,000 events"):
        c.facts_from_mapping({"parties": {"Ann": "Holder"},
                              "events": {"Notice": [event] * (MAX_EVENTS + 1)}})


def test_a_fact_file_over_the_byte_limit_is_refused_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rrdsl.facts import MAX_FACT_BYTES

    (tmp_path / "toy.rrd").write_text(REPLY, encoding="utf-8")
    big = tmp_path / "big.toml"
    with big.open("wb") as fh:
        fh.truncate(50 * MAX_FACT_BYTES)  # sparse: reading it would take 500 MB
    assert main(["eval", str(tmp_path / "toy.rrd"), str(big)]) == 1
    assert f"the fact file is {50 * MAX_FACT_BYTES:,} bytes; the limit is " \
        f"{MAX_FACT_BYTES:,}" in capsys.readouterr().err


def test_read_limited_never_reads_more_than_the_limit_plus_one(tmp_path: Path) -> None:
    from rrdsl.files import TooLarge, read_limited

    f = tmp_path / "f"
    f.write_bytes(b"x" * 100)
    assert read_limited(f, 100) == b"x" * 100
    with pytest.raises(TooLarge) as info:
        read_limited(f, 99)
    assert info.value.size == 100
    with pytest.raises(OSError, match="device"):
        read_limited("/dev/zero", 10)


@pytest.mark.parametrize(("step", "says"), [
    ("n.date + 99999999999999 days", "2001-05-02 + 99999999999999 days falls after 9999-12-31"),
    ("n.date - 99999999999999 days", "2001-05-02 - 99999999999999 days falls before 0001-01-01"),
    ("n.date - 800000 days", "2001-05-02 - 800000 days falls before 0001-01-01"),
    ("n.date + 99999999999 months", "falls after 9999-12-31"),
    ("n.date + 9000 years", "2001-05-02 + 9000 years falls after 9999-12-31"),
])
def test_a_step_out_of_the_calendar_from_any_day_is_an_evaluation_error(
        tmp_path: Path, step: str, says: str) -> None:
    (tmp_path / "toy.rrd").write_text(REPLY.replace(
        '  clause reply:', f'  define later(n: Notice): date = {step}\n  clause reply:'),
        encoding="utf-8")
    c = rrdsl.load(tmp_path / "toy.rrd")
    facts = c.facts_from_text('as_of = 2001-06-01\n[parties]\nAnn = "Holder"\n'
                              '[[events.Notice]]\nid = "n1"\ndate = 2001-05-02\nby = "Ann"\n')
    with pytest.raises(EvaluationError) as info:
        c.evaluate(facts)
    (d,) = info.value.diagnostics
    assert d.code == "E601" and says in d.message and d.span is not None


def test_a_fact_file_name_linking_to_another_file_is_not_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("SECRET-LINE = [\n", encoding="utf-8")
    (tmp_path / "f.toml").symlink_to(tmp_path / "notes.txt")
    f = tmp_path / "x.scenario.toml"
    f.write_text(SCENARIO.replace("as_of = ", 'facts = "f.toml"\nas_of = ', 1),
                 encoding="utf-8")
    assert main(["test", str(f)]) == 1
    out = capsys.readouterr().out
    assert "is a link to notes.txt, which is not a fact file" in out
    assert "SECRET-LINE" not in out


@pytest.mark.parametrize("kind", ["toml", "json"])
def test_a_fact_file_nested_too_deeply_is_refused_at_the_bracket(savvis: rrdsl.Contract,
                                                                 kind: str) -> None:
    nest = "[" * 70 + "]" * 70
    text = (f"as_of = 2001-06-01\n[facts]\ns3_eligible = {nest}\n" if kind == "toml" else
            f'{{"as_of": "2001-06-01",\n"facts": {{"s3_eligible": {nest}}}}}')
    with pytest.raises(FactErrors) as info:
        savvis.facts_from_text(text, kind=kind, name="deep." + kind)
    (d,) = info.value.diagnostics
    assert d.code == "E501" and "more than 64 deep" in d.message
    assert d.span is not None and d.span.line in (2, 3) and d.span.col > 60
