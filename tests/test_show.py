"""`rrdsl show`: a section's clauses, the agreement's text, the cross-references both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from rrdsl.browse import load_browse, normalize_section, section_sort_keys
from rrdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = "contracts/savvis_2001.rrd"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["show", CONTRACT, *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_show_a_section_clauses_text_and_references(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _show(capsys, "3(c)(viii)")
    assert status == 0
    assert out.startswith("§3(c)(viii) Deferral for material information\n"
                          "contracts/savvis_2001.rrd, lines ")
    assert '│ section 3(c)(viii) "Deferral for material information"' in out
    assert "│   exception material_deferral: suspends §3(a).register, §3(b).register" in out
    # the agreement's own words, from the filed text
    assert "The agreement (contracts/text/savvis-rra-2001.txt, lines " in out
    assert "(viii) if, while a registration is pending,  Savvis determines in good" in out
    made = out.split("References made:", 1)[1].split("References received", 1)[0]
    assert "§3(c)(viii).material_deferral suspends §3(a).register" in made
    assert "§3(c)(viii).material_deferral suspends §3(b).register" in made
    assert "\x1b[" not in out  # standard output is no terminal here


def test_references_received_priorities_and_uses(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _show(capsys, "3(j)")
    received = out.split("References received:", 1)[1]
    lines = (ROOT / CONTRACT).read_text(encoding="utf-8").splitlines()
    sec = next(i for i, ln in enumerate(lines) if ln.startswith("section 3(a)"))
    at = next(i for i, ln in enumerate(lines) if i > sec and "subject to §3(j)" in ln) + 1
    assert f"§3(a) is subject to §3(j)   (contracts/savvis_2001.rrd:{at})" in received
    assert "§3(d) is subject to §3(j)   (contracts/savvis_2001/piggyback.rrd:" in received
    assert "definition is_demand_notice (§3(a)) uses definition entitled_requesters (§3(j))" in received
    _, out, _ = _show(capsys, "3(c)(v)")
    assert "§3(c)(vi) applies except as provided in §3(c)(v)" in out
    _, out, _ = _show(capsys, "3(c)(vi)")
    assert "§3(c)(vi) except as provided in §3(c)(v)" in out.split("References made:")[1]


def test_one_clause(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _show(capsys, "§3(a).register")
    assert status == 0
    assert out.startswith("§3(a).register Demand Registration Rights\n")
    assert "│   clause register: Savvis shall" in out
    assert "clause further_notice" not in out  # only that clause's lines
    made = out.split("References made:", 1)[1].split("References received", 1)[0]
    # for one clause, every reference it makes counts, in its own section too
    assert "§3(a).register uses event DemandNotice (§3(a))" in made
    assert "§3(a).register uses definition is_demand_notice (§3(a))" in made
    assert "§3(a).register uses definition demand_satisfied (§3(c)(i))" in made
    received = out.split("References received:", 1)[1]
    assert "§3(c)(viii).material_deferral suspends §3(a).register" in received


@pytest.mark.parametrize("arg", ["3(c)(viii)", "§3(c)(viii)", "§ 3(c)(viii)", "3 (c) (viii)",
                                 "3(C)(VIII)", "Section 3(c)(viii).", "§§3(c)(viii)"])
def test_section_forms(arg: str) -> None:
    assert normalize_section(arg) == ("3(c)(viii)", None)


def test_a_section_shows_those_numbered_under_it(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _show(capsys, "§3(c)")
    assert status == 0
    heads = [line for line in out.splitlines() if line.startswith("§3(c)")]
    assert [h.split()[0] for h in heads] == ["§3(c)", "§3(c)(i)", "§3(c)(ii)", "§3(c)(iii)",
                                             "§3(c)(iv)", "§3(c)(v)", "§3(c)(vi)",
                                             "§3(c)(vii)", "§3(c)(viii)"]
    # §3 itself is a heading of the agreement that no clause encodes
    _, out, _ = _show(capsys, "3")
    assert out.startswith("§3 ")
    assert "not encoded in contracts/savvis_2001.rrd" in out.split("─" * 72)[0]


def test_whole_contract_without_section(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _show(capsys)
    assert status == 0
    assert "contracts/savvis_2001.rrd imports contracts/lib/registration.rrd" in out
    order = [line.split()[0] for line in out.splitlines()
             if line.startswith("§") and " " in line and "│" not in line
             and not line.startswith(("§3(a).", "§3("))][:6]
    assert order[:3] == ["§1", "§2", "§2(a)"]


def test_colour_is_forced_either_way(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _show(capsys, "3(j)", "--color", "always")
    assert "\x1b[" in out and "section" in out
    _, out, _ = _show(capsys, "3(j)", "--color", "never")
    assert "\x1b[" not in out


def test_unknown_section_is_a_user_error_with_a_suggestion(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _show(capsys, "3(c)(viiii)")
    assert status == 1 and out == ""
    assert "error[E706]: there is no section §3(c)(viiii) in contracts/savvis_2001.rrd" in err
    assert "help: did you mean §3(c)(viii)?" in err
    status, _, err = _show(capsys, "3(a).regster")
    assert status == 1
    assert "there is no clause §3(a).regster" in err and "did you mean §3(a).register?" in err


def test_malformed_section_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["show", CONTRACT, "not a section"])
    assert exc.value.code == 2
    assert "usage error[E701]: argument SECTION: 'not a section' is not a section number" \
        in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["show", CONTRACT, "3(a)", "--color", "sometimes"])
    assert exc.value.code == 2


def test_contract_errors_are_reported_not_raised(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.rrd"
    bad.write_text('agreement x "X"\nsection 1 "A"\n  clause c: Nobody shall "x"\n')
    assert main(["show", str(bad), "1"]) == 1
    assert "error[" in capsys.readouterr().err


def test_contract_without_agreement_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "docs/tutorial/demand.rrd", "3(a)"]) == 0
    out = capsys.readouterr().out
    assert "The contract names no agreement text" in out
    assert "clause further_notice" in out


def test_reading_order_of_section_numbers() -> None:
    numbers = ["3(c)(x)", "3(c)(ii)", "10", "3(d)", "3", "3(c)", "7(ii)", "7(i)", "3(i)",
               "3(j)", "3(c)(iv)", "3(c)(v)"]
    keys = section_sort_keys(numbers)
    assert sorted(numbers, key=keys.__getitem__) == [
        "3", "3(c)", "3(c)(ii)", "3(c)(iv)", "3(c)(v)", "3(c)(x)", "3(d)", "3(i)", "3(j)",
        "7(i)", "7(ii)", "10"]


def test_references_come_from_the_checked_contract_not_the_text() -> None:
    b = load_browse(ROOT / CONTRACT)
    # a section number inside a string is no reference
    unit = b.units["3(c)(viii)"]
    assert all(r.target != "3(a)" for r in b.refs_made(unit))
    # every reference with a place points at the very name it refers to
    for r in b.refs:
        if r.span is None or r.target_kind in ("file", "all"):
            continue
        line = b.line(r.span.file, r.span.line)
        written = line[r.span.col - 1:r.span.end_col - 1]
        assert written.lstrip("§").split(".")[-1] in (r.target, r.target.split(".")[-1]), r


def test_a_variant_section_shows_its_own_text_and_what_it_replaced(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "contracts/original_2000.rrd", "3(i)", "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("§3(i) Expenses\ncontracts/savvis_2001/indemnity.rrd, lines ")
    assert ("Replaced or removed by original_2000: february_2000_expenses, "
            "pay_registration_expenses") in out
    own = out.split("contracts/original_2000.rrd, lines ", 1)[1]
    assert "│   replace clause pay_registration_expenses: Savvis will" in own
    assert "│   remove february_2000_expenses because" in own
