"""Portfolios: `rrdsl eval CONTRACT... --batch DIR_OR_FILES [--jobs N] --format jsonl` (issue 20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rrdsl.batch import Evaluator, result_line
from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = str(ROOT / "contracts/savvis_2001.rrd")
DEMAND = ROOT / "contracts/facts/demand-2001.toml"

GOOD = {"as_of": "2001-07-16", "parties": {"WCAS": "Investor"},
        "facts": {"savvis_common_shares": {"WCAS": 6_000_000},
                  "rule144k_eligible": {"WCAS": False}}}


@pytest.fixture()
def portfolio(tmp_path: Path) -> Path:
    """A folder: the bundled fact file, and a JSON Lines file of a good fact set, a bad one,
    a blank line and a line that is not JSON."""
    (tmp_path / "a-demand.toml").write_bytes(DEMAND.read_bytes())
    lines = [json.dumps(GOOD), '{"as_of": "2001-07-16", "parties": {"WCAS": "Investr"}}', "",
             "{not json"]
    (tmp_path / "b-sets.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "ignored.scenario.toml").write_text("title = 'not a fact file'\n")
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    code = main(["eval", CONTRACT, "--batch", *argv])
    out = capsys.readouterr()
    return code, [json.loads(line) for line in out.out.splitlines()], out.err


def test_one_line_per_fact_set_in_order_and_the_batch_goes_on(
        portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = _run(capsys, str(portfolio), "--jobs", "1")
    assert code == 1  # some fact sets could not be evaluated
    assert [(Path(x["source"]).name, x["ok"]) for x in lines] == [
        ("a-demand.toml", True), ("b-sets.jsonl:1", True), ("b-sets.jsonl:2", False),
        ("b-sets.jsonl:4", False)]
    assert "4 fact sets evaluated on 1 process; 2 could not be" in err
    assert all(x["schema"] == "rrdsl.batch/1" for x in lines)
    # a bad line: its diagnostic at its line and column of the file, with the caret
    bad = lines[2]["error"]
    [d] = bad["diagnostics"]
    assert (d["code"], d["line"], d["column"]) == ("E504", 2, 45)
    assert d["file"].endswith("b-sets.jsonl") and d["hints"] == ["did you mean 'Investor'?"]
    assert bad["text"].splitlines()[0].endswith("b-sets.jsonl:2:45: error[E504]: unknown role "
                                                 "'Investr' for party 'WCAS'")
    assert "    2 | {" in bad["text"] and "^^^^^^^^^" in bad["text"]
    assert lines[3]["error"]["diagnostics"][0]["code"] == "E501"


def test_a_result_is_what_eval_prints_for_the_fact_file(
        portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, lines, _ = _run(capsys, str(portfolio / "a-demand.toml"))
    assert main(["eval", CONTRACT, str(portfolio / "a-demand.toml"), "--format", "json"]) == 0
    single = json.loads(capsys.readouterr().out)
    assert lines[0]["result"] == single


def test_processes_change_nothing_but_the_speed(
        portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = portfolio / "c-many.jsonl"  # more lines than one chunk, so several windows
    sets = [json.dumps({**GOOD, "as_of": f"2001-07-{d:02d}"}) for d in range(1, 29)] * 3
    big.write_text("\n".join(sets) + "\n", encoding="utf-8")
    one = _run(capsys, str(portfolio), "--jobs", "1")
    two = _run(capsys, str(portfolio), "--jobs", "2")
    assert one[0] == two[0] == 1 and one[1] == two[1] and len(one[1]) == 4 + 84


def test_several_agreements_give_the_family_result(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", CONTRACT, str(ROOT / "contracts/original_2000.rrd"), "--batch",
                 str(ROOT / "contracts/facts/family-2001.toml")])
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 0 and line["result"]["schema"] == "rrdsl.results/3"
    assert [r["agreement"]["name"] for r in line["result"]["results"]] == [
        "savvis_2001", "original_2000"]


@pytest.mark.parametrize(("argv", "message"), [
    (["eval", CONTRACT, "--batch", "nowhere"], "no such file or folder: nowhere"),
    (["eval", CONTRACT, "--batch", str(DEMAND), "--format", "text"],
     "a batch prints JSON Lines, not --format text"),
    (["eval", CONTRACT, str(DEMAND), "--jobs", "2"], "--jobs is for a batch"),
    (["eval", CONTRACT, str(DEMAND), "--format", "jsonl"], "--format jsonl is for a batch"),
    (["eval", CONTRACT, str(DEMAND), "--batch", str(DEMAND)], "is not a clause file"),
    (["eval", CONTRACT, "--batch", str(DEMAND), "--jobs", "0"], "not a number of processes"),
])
def test_usage_errors(argv: list[str], message: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(argv))
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_the_function_a_distributed_engine_maps(tmp_path: Path) -> None:
    """`result_line` is a pure function of the agreements, the fact set and the date: the
    same line twice, and the one the command writes."""
    ev = Evaluator([Path(CONTRACT)], as_of=None)
    text = json.dumps(GOOD)
    a, b = result_line(ev, "p", text, 7), result_line(ev, "p", text, 7)
    assert a == b and json.loads(a)["ok"] and json.loads(a)["source"] == "p:7"
    late = Evaluator([Path(CONTRACT)], as_of=None)
    assert result_line(late, "p", text, 7) == a


def test_every_line_validates_against_the_schema(
        portfolio: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs/rrdsl-result.schema.json").read_text(encoding="utf-8"))
    _, lines, _ = _run(capsys, str(portfolio))
    validator = jsonschema.Draft202012Validator(schema)
    for line in lines:
        validator.validate(line)
    lines[0]["ok"] = False  # a result with ok false is not a line
    assert list(validator.iter_errors(lines[0]))


def test_a_fact_file_over_the_limit_is_an_error_line_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rrdsl.batch import MAX_ITEM_BYTES

    big = tmp_path / "big.toml"
    with big.open("wb") as f:  # sparse: nothing is written but its size
        f.truncate(MAX_ITEM_BYTES + 1)
    code, lines, _ = _run(capsys, str(big))
    assert code == 1 and not lines[0]["ok"]
    assert "limit" in lines[0]["error"]["text"]
