"""The checker's memo (`checker.CheckMemo`), which the language server keeps from one analysis
of a contract to the next: after any edit, a check that replays what the memo kept gives
exactly what a check from scratch gives (the same contract, or the same diagnostics), and an
edit that changes nothing the rest depends on is checked without checking the rest again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rrdsl.checker import CheckMemo, check
from rrdsl.diagnostics import CheckErrors, RrdslError
from rrdsl.loader import load_composition
from rrdsl.lsp import Parses

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"


def _outcome(main: Path, texts: dict[Path, str], parses: Parses | None = None,
             memo: CheckMemo | None = None) -> object:
    """The checked contract, or the diagnostics (code, message, place, hints)."""
    try:
        comp = load_composition(main, texts, parse_file=parses)
        return check(list(comp.modules), comp, memo)
    except (CheckErrors, RrdslError) as e:
        return sorted((d.code, d.message, str(d.span), d.hints) for d in e.diagnostics)


def _checked_once(main: Path) -> tuple[dict[Path, str], Parses, CheckMemo]:
    """The main file's text as the editor holds it, and the pieces and the memo of a first
    check of it: what an edit is then checked against."""
    texts = {main.resolve(): main.read_text("utf-8")}
    parses, memo = Parses(), CheckMemo()
    _outcome(main, texts, parses, memo)
    return texts, parses, memo


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    shutil.copytree(CONTRACTS / "savvis_2001", tmp_path / "savvis_2001")
    shutil.copytree(CONTRACTS / "text", tmp_path / "text")
    shutil.copytree(CONTRACTS / "lib", tmp_path / "lib")
    shutil.copy(CONTRACTS / "savvis_2001.rrd", tmp_path / "savvis_2001.rrd")
    return tmp_path / "savvis_2001.rrd"


# Each edit is applied to the text as the previous ones left it; (file, old, new).
EDITS = [
    # nothing the rest depends on: a clause's words
    ("savvis_2001.rrd", '"immediately notify in writing', '"at once notify in writing'),
    # a fact's type: every use of it, in sections not edited, is checked again
    ("savvis_2001.rrd", "fact s3_eligible: bool", "fact s3_eligible: int"),
    ("savvis_2001.rrd", "fact s3_eligible: int", "fact s3_eligible: bool"),
    # an enumeration loses a member used elsewhere
    ("savvis_2001.rrd", '  pledge "pledge",\n', ""),
    ("savvis_2001.rrd", '  sale "sale",\n', '  sale "sale",\n  pledge "pledge",\n'),
    # a definition's declared type, and its parameter
    ("savvis_2001.rrd", "define passes_ownership(t: Transfer): bool",
     "define passes_ownership(t: Transfer): date"),
    ("savvis_2001.rrd", "define passes_ownership(t: Transfer): date",
     "define passes_ownership(t: Investor): bool"),
    ("savvis_2001.rrd", "define passes_ownership(t: Investor): bool",
     "define passes_ownership(t: Transfer): bool"),
    # a clause another file tests the answer of is renamed, then its bearer changes
    ("savvis_2001.rrd", "clause further_notice: Savvis shall",
     "clause further_notise: Savvis shall"),
    ("savvis_2001.rrd", "clause further_notise: Savvis shall",
     "clause further_notice: each q in Investor shall"),
    ("savvis_2001.rrd", "clause further_notice: each q in Investor shall",
     "clause further_notice: Savvis shall"),
    # a definition comes to use itself (a cycle)
    ("savvis_2001.rrd", "    passes_ownership(t) and exists(t.transferee_investor)",
     "    moves_holding(t) and exists(t.transferee_investor)"),
    ("savvis_2001.rrd", "    moves_holding(t) and exists(t.transferee_investor)",
     "    passes_ownership(t) and exists(t.transferee_investor)"),
    # the clause two exceptions bear on: its bearer changes, then it is renamed
    ("savvis_2001.rrd", "  clause register: Savvis shall",
     "  clause register: each r in Investor shall"),
    ("savvis_2001.rrd", "  clause register: each r in Investor shall",
     "  clause registr: Savvis shall"),
    ("savvis_2001.rrd", "  clause registr: Savvis shall", "  clause register: Savvis shall"),
    # a priority of the section the exceptions are in
    ("savvis_2001.rrd", "  subject to §3(j)\n", ""),
    ("savvis_2001.rrd", '"Demand Registration Rights"\n',
     '"Demand Registration Rights"\n  subject to §3(j)\n'),
    # the agreement's date
    ("savvis_2001.rrd", "dated 2001-", "dated 2002-"),
]


def test_every_edit_checks_as_from_scratch(contract: Path) -> None:
    texts = {p.resolve(): p.read_text("utf-8")
             for p in [contract, *contract.parent.glob("savvis_2001/*.rrd")]}
    parses, memo = Parses(), CheckMemo()
    first = _outcome(contract, texts, parses, memo)
    assert not isinstance(first, list), first
    assert _outcome(contract, texts, parses, memo) == first
    assert memo.hits > 100  # nothing changed: everything was replayed
    kinds = set()
    for file, old, new in EDITS:
        path = (contract.parent / file).resolve()
        assert old in texts[path], old
        texts[path] = texts[path].replace(old, new, 1)
        got = _outcome(contract, texts, parses, memo)
        want = _outcome(contract, texts)
        assert got == want, (file, old, new)
        kinds.add("errors" if isinstance(want, list) else "contract")
    assert kinds == {"errors", "contract"}  # the edits broke the contract and mended it


def test_an_edit_to_a_clause_checks_that_clause_alone(contract: Path) -> None:
    texts, parses, memo = _checked_once(contract)
    before = len(memo.clauses) + len(memo.defs)
    text = texts[contract.resolve()]
    texts[contract.resolve()] = text.replace('"immediately notify in writing',
                                             '"at once notify in writing', 1)
    assert texts[contract.resolve()] != text
    _outcome(contract, texts, parses, memo)
    assert before - memo.hits == 1  # the edited clause: its own piece was parsed again


def test_a_changed_declaration_checks_everything_again(contract: Path) -> None:
    texts, parses, memo = _checked_once(contract)
    text = texts[contract.resolve()]
    texts[contract.resolve()] = text.replace("fact s3_eligible: bool", "fact s3_eligible: int")
    got = _outcome(contract, texts, parses, memo)
    assert memo.hits == 0
    assert isinstance(got, list) and any(code == "E301" for code, *_ in got)


# ── parsing a piece at a time (`lsp.Parses`) ──────────────────────────────

def _files() -> list[Path]:
    return sorted(p for p in CONTRACTS.rglob("*.rrd") if "bad" not in p.parts)


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(CONTRACTS)))
def test_pieces_parse_as_the_whole_text(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rrdsl.parser
    from rrdsl.parser import parse

    text = path.read_text("utf-8")
    whole = parse(text, "f.rrd")
    parses = Parses()
    assert parses(path, "f.rrd", text) == whole
    # an edit inside one declaration: only its piece is parsed again, and the result is
    # still the whole parse's
    at = text.rfind('"', 0, len(text) // 2)
    if at > 0:
        edited = text[:at] + "x" + text[at:]
        try:
            want = parse(edited, "f.rrd")
        except RrdslError:
            return
        got = parses(path, "f.rrd", edited)
        assert got == want
        assert got.comments == want.comments
    # a line added near the top: every piece below moves down, kept and moved, not parsed again
    at = text.find("\nsection ")
    if at > 0:
        grown = text[:at] + "\n" + text[at:]
        assert parses(path, "f.rrd", text) == whole
        calls: list[str] = []
        monkeypatch.setattr(rrdsl.parser, "parse", lambda t, f: calls.append(t) or parse(t, f))
        got = parses(path, "f.rrd", grown)
        monkeypatch.undo()
        assert len(calls) <= 1  # the piece the line was added to
        want = parse(grown, "f.rrd")
        assert got == want and got.comments == want.comments
        assert parses(path, "f.rrd", text) == whole  # and back up


def test_a_cut_in_the_wrong_place_falls_back_to_the_whole_parse() -> None:
    from rrdsl.parser import parse

    # `replace` and what it replaces, a blank line apart: the first piece does not parse
    text = ('agreement a "A" dated 2001-01-01\n\nsection 1 "One"\n  define x: bool "x" = true\n'
            '\n  replace\n\n  define y: bool "y" = x\n\nsection 2 "Two"\n\n  clause c: each i in '
            'Investor may\n    "do"\n')
    want = parse(text, "a.rrd")
    assert type(want.sections[0].items[1]).__name__ == "Replace"
    assert Parses()(Path("a.rrd"), "a.rrd", text) == want


def test_a_declarations_title_checks_nothing_else_again(contract: Path) -> None:
    texts, parses, memo = _checked_once(contract)
    total = len(memo.clauses) + len(memo.defs)
    text = texts[contract.resolve()]
    old = '  fact savvis_common_shares(i: Investor): shares\n    "'
    assert old in text
    texts[contract.resolve()] = text.replace(old, old + "the ", 1)
    got = _outcome(contract, texts, parses, memo)
    assert memo.hits == total
    assert got == _outcome(contract, texts)  # the fact's new title is in the contract


# ── any edits: the server's analysis, kept from edit to edit, against a fresh one ──

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_EDIT = st.tuples(st.floats(0, 1, exclude_max=True),
                  st.sampled_from(["", "x", "1", " ", "\n", "\n\n", "\r\n", "\t", '"', "#", "(",
                                   "§", "define", '\nsection 9 "S"\n']),
                  st.integers(0, 3))


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("model") / "nvca_model"
    shutil.copytree(CONTRACTS / "nvca_model", dest,
                    ignore=shutil.ignore_patterns("scenarios", "facts"))
    return dest / "investor_rights.rrd"


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(_EDIT, min_size=1, max_size=4))
def test_any_edits_analyse_as_from_scratch(model: Path, edits: list[tuple[float, str, int]]
                                           ) -> None:
    """Characters typed or taken out anywhere in an imported file, one edit after another:
    after each, the kept analysis's diagnostics are a fresh analysis's."""
    from rrdsl.lsp import analyse

    edited = (model.parent / "rights" / "demand.rrd").resolve()
    text = edited.read_text("utf-8")
    parses, memo = Parses(), CheckMemo()
    analyse(model, {edited: text}, parses=parses, memo=memo)
    for where, typed, cut in edits:
        at = int(where * len(text))
        text = text[:at] + typed + text[at + cut:]
        got = analyse(model, {edited: text}, parses=parses, memo=memo).diagnostics
        want = analyse(model, {edited: text}).diagnostics
        assert sorted(map(repr, got)) == sorted(map(repr, want)), (at, typed, cut)


@pytest.mark.parametrize("name, edits", [
    ("original_2000.rrd", [
        ("= february_2000_common_shares(i)", "= february_2000_common_shares(i) + 0"),
        ("remove savvis_common_shares because", "remove savvis_common_sharez because"),
        ("remove savvis_common_sharez because", "remove savvis_common_shares because"),
    ]),
    ("savvis_2001_amendment_1.rrd", [
        ('"the Demand Registrations Savvis must effect" = 3',
         '"the Demand Registrations Savvis must effect" = 4'),
        ("replace define demand_registration_limit: int",
         "replace define demand_registration_limit: date"),
        ("replace define demand_registration_limit: date",
         "replace define demand_registration_limit: int"),
    ]),
])
def test_variants_and_amendments_check_as_from_scratch(tmp_path: Path, name: str,
                                                       edits: list[tuple[str, str]]) -> None:
    for item in ("savvis_2001", "text", "lib"):
        shutil.copytree(CONTRACTS / item, tmp_path / item)
    for f in ("savvis_2001.rrd", name):
        shutil.copy(CONTRACTS / f, tmp_path / f)
    main = tmp_path / name
    texts = {main.resolve(): main.read_text("utf-8")}
    parses, memo = Parses(), CheckMemo()
    assert not isinstance(_outcome(main, texts, parses, memo), list)
    for old, new in edits:
        assert old in texts[main.resolve()], old
        texts[main.resolve()] = texts[main.resolve()].replace(old, new, 1)
        assert _outcome(main, texts, parses, memo) == _outcome(main, texts), (old, new)
