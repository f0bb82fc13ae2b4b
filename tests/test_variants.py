"""Variants, amendments, cross-agreement references and `rrdsl diff` (issue 4).

Small agreements written here show each rule of composition and each diagnostic; the bundled
Original 2000 agreement and the illustrative amendment are checked through the CLI.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

import rrdsl
from rrdsl.api import evaluate_family
from rrdsl.cli import main
from rrdsl.diagnostics import RrdslError

ROOT = Path(__file__).resolve().parent.parent

BASE = '''agreement base "Base agreement" dated 2001-01-01
  refers to other "the Other agreement"
party Co "the Company"
role Holder "the Holders"

section 1 "Definitions"
  fact held(h: Holder): shares "shares held"
  define total: shares "all shares held" = sum(held(h) for h in Holder)
  define limit: int "the number of registrations" = 2

section 2 "Registration"
  event Request "a request" (by_holder: Holder)
  clause register: Co shall "register the shares"
    upon Request q where count(x for x in Request where x.date < q.date) < limit
    to q.by_holder
    within 30 days after q.date
    fulfilled by Done d where d.request == q
  event Done "a registration" (request: Request)
  clause fees: governed by other.pay "the payment of fees"

section 3 "Amendment"
  event Amendment "a writing amending the agreement" (terms: text)
  event Signature "a signature" (writing: Amendment, signer: party)
  define amended_on(a: Amendment): date? "the day the writing takes effect" =
    earliest(s.date for s in Signature where s.writing == a and s.signer == Co)
  amended by Amendment from amended_on
'''

OTHER = '''agreement other "the Other agreement" dated 2000-01-01
party Co "the Company"
role Holder "the Holders"
section 4 "Fees"
  event Filing "a filing" (fee: money)
  clause pay: Co will "pay the fees of the filing" upon Filing f with "fee" = f.fee
'''


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def errors(path: Path) -> list[str]:
    return [f"{d.code} {d.span.file.rsplit('/', 1)[-1] if d.span else '-'}:"
            f"{d.span.line if d.span else 0} {d.message}" for d in rrdsl.check(path)]


@pytest.fixture()
def family(tmp_path: Path) -> Path:
    write(tmp_path, {"base.rrd": BASE, "other.rrd": OTHER})
    return tmp_path


# ── composition ─────────────────────────────────────────────────────────────


def test_a_variant_states_only_what_differs(family: Path) -> None:
    write(family, {"v.rrd": '''agreement v "Variant" variant of "base.rrd" dated 2002-02-02
  inherited terms assumed "carried over from the base"
party Bridge "Bridge"
known Bridge: "the recitals"
section 1 "Definitions"
  replace define limit: int "the number of registrations" = 3
  known limit: "the side letter"
section 2 "Registration"
  remove fees because "not in the variant"
'''})
    c = rrdsl.load(family / "v.rrd")
    assert c.name == "v" and c.ir.dated == datetime.date(2002, 2, 2)
    assert c.ir.based_on == ("base",)
    assert set(c.ir.parties) == {"Co", "Bridge"}
    assert "2.fees" not in {r.id for r in c.ir.references}
    assert c.ir.standing["limit"].status == "known"
    assert c.ir.standing["Bridge"].status == "known"
    assert c.ir.standing["2.register"].status == "assumed"
    assert c.ir.standing["total"].text == "carried over from the base"
    # the clause rests on itself and its bearer (assumed); `limit` is known
    assert c.ir.assumed_by_norm["2.register"] == ("2.register", "Co")
    assert c.ir.assumed_by_definition["limit"] == ()
    assert c.ir.assumed_by_definition["total"] == ("Holder", "total")


def test_a_replaced_declaration_must_exist_and_keep_its_kind(family: Path) -> None:
    write(family, {"v.rrd": '''agreement v "Variant" variant of "base.rrd"
section 1 "Definitions"
  replace define limt: int = 3
  replace fact limit: int "not a fact in the base"
  remove helde
'''})
    assert errors(family / "v.rrd") == [
        "E214 v.rrd:3 nothing named 'limt' in the base to replace",
        "E214 v.rrd:4 'limit' is a definition in the base; it can only be replaced by a "
        "definition",
        "E214 v.rrd:5 nothing named 'helde' in the base to remove",
    ]
    diags = rrdsl.check(family / "v.rrd")
    assert diags[0].hints[0] == "did you mean 'limit'?"
    assert diags[2].hints[0] == "did you mean 'held'?"


def test_redeclaring_a_base_name_says_to_use_replace(family: Path) -> None:
    write(family, {"v.rrd": '''agreement v "Variant" variant of "base.rrd"
section 1 "Definitions"
  define limit: int = 3
'''})
    [d] = rrdsl.check(family / "v.rrd")
    assert (d.code, d.span.line) == ("E202", 3)
    assert "write `replace`" in d.hints[0]
    assert d.labels[0].span.file.endswith("base.rrd")


def test_errors_point_into_the_file_that_caused_them(family: Path) -> None:
    write(family, {"v.rrd": '''agreement v "Variant" variant of "base.rrd"
section 1 "Definitions"
  remove held
  replace define limit: int = lmit + 1
'''})
    diags = rrdsl.check(family / "v.rrd")
    assert [(d.code, d.span.file.rsplit("/", 1)[-1], d.span.line) for d in diags] == [
        ("E214", "v.rrd", 3), ("E201", "v.rrd", 4)]
    assert "still uses it" in diags[0].message
    assert diags[0].labels[0].span.file.endswith("base.rrd")  # the use, in the base


def test_each_own_term_of_an_assumed_variant_is_marked(family: Path) -> None:
    write(family, {"v.rrd": '''agreement v "Variant" variant of "base.rrd"
  inherited terms assumed "carried over"
party Bridge "Bridge"
known Bridge, Bridge: "twice"
assumed nothing_here: "no such term"
known held: "a fact is not a term"
section 1 "Definitions"
  define extra: int = 1
'''})
    assert errors(family / "v.rrd") == [
        "E215 v.rrd:4 'Bridge' is marked twice",
        "E215 v.rrd:5 cannot mark 'nothing_here' assumed: no such name",
        "E215 v.rrd:6 cannot mark 'held' known: it is not a term (only parties, roles, "
        "definitions and clauses are)",
        "E215 v.rrd:8 the definition 'extra' is neither known nor assumed",
    ]


@pytest.mark.parametrize(("header", "message"), [
    ('agreement v "V" variant of "missing.rrd"', "variant of 'missing.rrd': no such file"),
    ('agreement v "V" variant of "../outside.rrd"',
     "variant of '../outside.rrd' leaves the contract's directory tree"),
    ('agreement v "V" variant of "v.rrd"',
     "variant of 'v.rrd': the agreements are based on each other in a circle"),
])
def test_bad_bases(family: Path, header: str, message: str) -> None:
    write(family, {"v.rrd": header + "\n"})
    (family.parent / "outside.rrd").write_text(BASE, encoding="utf-8")
    [d] = rrdsl.check(family / "v.rrd")
    assert (d.code, d.message) == ("E213", message)


def test_header_misuse_is_a_syntax_error(family: Path) -> None:
    write(family, {"a.rrd": 'amendment a "A" variant of "base.rrd" writing "w"\n',
                   "b.rrd": 'amendment b "B" writing "w"\n',
                   "c.rrd": 'amendment c "C" amends "base.rrd"\n'})
    assert [d.code for d in rrdsl.check(family / "a.rrd")] == ["E111"]
    assert rrdsl.check(family / "b.rrd")[0].message == "an amendment names the agreement it amends"
    assert "names its writing" in rrdsl.check(family / "c.rrd")[0].message


def test_replace_outside_a_variant_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {"x.rrd": 'agreement x "X"\nsection 1 "One"\n  remove y\n'})
    [d] = rrdsl.check(tmp_path / "x.rrd")
    assert d.code == "E214" and "belongs in a variant" in d.message


def test_references_name_a_declared_agreement(tmp_path: Path) -> None:
    write(tmp_path, {"x.rrd": '''agreement x "X" refers to othr "Other" refers to x "Me"
party Co "Co"
section 1 "One"
  clause c: governed by other.pay "the fees"
'''})
    assert errors(tmp_path / "x.rrd") == [
        "E216 x.rrd:1 'x' is this agreement's own name",
        "E216 x.rrd:4 unknown agreement 'other'",
    ]
    assert rrdsl.check(tmp_path / "x.rrd")[1].hints == ("did you mean 'othr'?",)


def test_the_amendment_rule_is_checked(tmp_path: Path) -> None:
    write(tmp_path, {"x.rrd": '''agreement x "X"
party Co "Co"
section 1 "One"
  event Writing "w" (terms: text)
  define when_signed: date = 2001-01-01
  amended by Writing from when_signed
''', "y.rrd": 'amendment y "Y" amends "z.rrd" writing "w"\n',
        "z.rrd": 'agreement z "Z"\n'})
    [d] = rrdsl.check(tmp_path / "x.rrd")
    assert d.code == "E217" and "must take one Writing" in d.message
    [d] = rrdsl.check(tmp_path / "y.rrd")
    assert d.code == "E217" and "does not say how it may be amended" in d.message


# ── references between agreements ───────────────────────────────────────────


FACTS = '''as_of = 2001-06-01
[parties]
H1 = "Holder"
[facts]
held = { H1 = 100 }
[[events.Filing]]
id = "f1"
date = 2001-05-01
fee = "$1,250.00"
'''


def test_a_reference_is_answered_from_the_other_agreement_when_it_is_loaded(
        family: Path) -> None:
    (family / "f.toml").write_text(FACTS, encoding="utf-8")
    base, other = rrdsl.load(family / "base.rrd"), rrdsl.load(family / "other.rrd")
    ob, oo = evaluate_family([base, other], family / "f.toml")
    [x] = ob.references
    assert x.loaded and x.status == "answered"
    assert [(r.instance, r.status, r.withs[0][1]) for r in x.answers] == [
        ("4.pay[f1]", "in_force", __import__("decimal").Decimal("1250.00"))]
    assert oo.references == []
    # alone: the matter is governed by an agreement that is not loaded — never "no duty"
    with pytest.raises(RrdslError):  # Filing is a fact of the other agreement only
        base.read_facts(family / "f.toml")
    alone = base.evaluate(base.read_facts(family / "f.toml", foreign=frozenset({"Filing"})))
    [y] = alone.references
    assert (y.loaded, y.status, y.answers) == (False, "not_loaded", [])
    assert "which is not loaded" in y.note


def test_a_reference_to_a_missing_clause_of_a_loaded_agreement(family: Path) -> None:
    write(family, {"other.rrd": OTHER.replace("clause pay:", "clause pays:")})
    (family / "f.toml").write_text(FACTS, encoding="utf-8")
    with pytest.raises(RrdslError) as e:
        evaluate_family([rrdsl.load(family / "base.rrd"), rrdsl.load(family / "other.rrd")],
                        family / "f.toml")
    [d] = e.value.diagnostics
    assert d.code == "E218" and d.hints == ("did you mean 'pays'?",)


# ── amendments ──────────────────────────────────────────────────────────────


AMEND = '''amendment am "First amendment" amends "base.rrd" writing "w1" dated 2001-03-01
section 1 "Definitions"
  replace define limit: int "the number of registrations" = 3
'''


def _amend_facts(folder: Path, signed: str | None) -> Path:
    text = '''as_of = 2001-06-01
[parties]
H1 = "Holder"
[facts]
held = { H1 = 100 }
[[events.Amendment]]
id = "w1"
date = 2001-03-01
terms = "three registrations"
'''
    for i in range(3):
        text += f'[[events.Request]]\nid = "q{i}"\ndate = 2001-04-0{i + 1}\nby_holder = "H1"\n'
    if signed:
        text += f'[[events.Signature]]\nid = "s1"\ndate = {signed}\nwriting = "w1"\nsigner = "Co"\n'
    p = folder / "f.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("signed", "effective", "applied", "third"), [
    ("2001-03-05", True, True, "breached"),       # signed: the third request was owed
    ("2001-07-01", False, False, "not_triggered"),  # signed after the as-of date
    (None, False, False, "not_triggered"),        # never signed
])
def test_an_amendment_applies_only_once_effective_under_the_agreements_rule(
        family: Path, signed: str | None, effective: bool, applied: bool, third: str) -> None:
    write(family, {"am.rrd": AMEND})
    c = rrdsl.load(family / "am.rrd")
    assert c.base is not None and c.ir.amendment is not None
    assert c.ir.amendment.dated == datetime.date(2001, 3, 1)
    assert c.ir.dated == datetime.date(2001, 1, 1)  # the agreement keeps its date
    o = c.evaluate(c.read_facts(_amend_facts(family, signed)))
    [a] = o.amendments
    assert (a.effective, a.applied) == (effective, applied)
    assert o.contract.name == ("am" if applied else "base")
    [r] = [r for r in o.norms if r.instance == "2.register[q2]"]
    assert r.status == third


def test_an_amendment_with_no_writing_in_the_facts(family: Path) -> None:
    write(family, {"am.rrd": AMEND.replace('writing "w1"', 'writing "w9"')})
    c = rrdsl.load(family / "am.rrd")
    o = c.evaluate(c.read_facts(_amend_facts(family, "2001-03-05")))
    assert "no Amendment with the id 'w9'" in o.amendments[0].reason
    assert not o.amendments[0].applied


@pytest.mark.parametrize(("signed", "retroactive", "third"), [
    ("2001-04-05", False, "not_triggered"),  # q2 (2001-04-03) came before: as it stood
    ("2001-04-05", True, "breached"),        # a retroactive amendment governs it too
    ("2001-04-02", False, "breached"),       # q2 came after: the amendment governs it
])
def test_an_amendment_governs_events_from_the_day_it_takes_effect(
        family: Path, signed: str, retroactive: bool, third: str) -> None:
    head = 'amendment am "First amendment" amends "base.rrd" writing "w1" dated 2001-03-01'
    text = AMEND.replace(head, head + (' retroactive "it says so"' if retroactive else ""))
    write(family, {"am.rrd": text})
    c = rrdsl.load(family / "am.rrd")
    o = c.evaluate(c.read_facts(_amend_facts(family, signed)))
    [a] = o.amendments
    assert a.applied and a.effective_on == datetime.date.fromisoformat(signed)
    [r] = [r for r in o.norms if r.instance == "2.register[q2]"]
    assert r.status == third
    assert ("as it stood before am took effect" in r.reason) == (third == "not_triggered")
    # an answer to an event before the amendment that it does not change is not annotated
    [r0] = [r for r in o.norms if r.instance == "2.register[q0]"]
    assert r0.status == "breached" and "took effect" not in r0.reason
    assert a.earlier == (1 if third == "not_triggered" else 0)


def test_retroactive_is_for_amendments_only(tmp_path: Path) -> None:
    write(tmp_path, {"x.rrd": 'agreement x "X" retroactive "why"\n'})
    [d] = rrdsl.check(tmp_path / "x.rrd")
    assert d.code == "E111" and "only an amendment" in d.message


def test_the_agreement_alone_warns_of_an_amendment_that_took_effect(family: Path) -> None:
    write(family, {"am.rrd": AMEND})
    base = rrdsl.load(family / "base.rrd")
    facts = _amend_facts(family, "2001-03-05")
    [x] = base.evaluate(base.read_facts(facts)).ignored_amendments
    assert (x.writing, x.effective_on) == ("w1", datetime.date(2001, 3, 5))
    assert x.files and x.files[0].endswith("am.rrd") and "am.rrd" in x.message
    # not yet effective as of the date: nothing to warn of
    early = base.evaluate(base.read_facts(facts), as_of=datetime.date(2001, 3, 4))
    assert early.ignored_amendments == []
    # evaluated with the amendment alongside: the amendment's own report says it applied
    outs = evaluate_family([base, rrdsl.load(family / "am.rrd")], facts)
    assert [o.ignored_amendments for o in outs] == [[], []]
    assert outs[1].amendments[0].applied
    # without derived values, or for some clauses only, the writing's effect is found by an
    # evaluation of the values alone: the same warning
    fs = base.read_facts(facts)
    ids = [n.id for n in base.ir.norms]
    for other in (base.evaluate(fs, values=False), base.evaluate(fs, clauses=ids[:1]),
                  base.evaluate(fs, values=False, clauses=[])):
        assert other.ignored_amendments == [x]


def test_membership_in_each_agreement_is_a_fact_of_the_file(family: Path) -> None:
    write(family, {"am.rrd": AMEND})
    facts = _amend_facts(family, None)
    text = facts.read_text(encoding="utf-8").replace(
        'H1 = "Holder"', 'H1 = "Holder"\nH2 = { role = "Holder", agreements = ["other"] }')
    facts.write_text(text.replace("held = { H1 = 100 }", "held = { H1 = 100, H2 = 50 }"),
                     encoding="utf-8")
    base = rrdsl.load(family / "base.rrd")
    fs = base.read_facts(facts)
    assert fs.roles["Holder"] == ("H1",) and fs.outside == {"H2"}
    o = base.evaluate(fs, values=True)
    [total] = [v for v in o.values if v.label == "total"]
    assert total.value == 100  # H2 is not a Holder of this agreement
    # an amendment is part of the agreement it amends, and is not named as one
    facts.write_text(text.replace('agreements = ["other"]', 'agreements = ["am"]'),
                     encoding="utf-8")
    with pytest.raises(RrdslError) as e:
        rrdsl.load(family / "am.rrd").read_facts(facts)
    [d] = e.value.diagnostics
    assert d.code == "E504" and "list the agreement it amends, 'base'" in d.hints[0]
    facts.write_text(text.replace('agreements = ["other"]', 'agreements = 7'), encoding="utf-8")
    with pytest.raises(RrdslError) as e:
        base.read_facts(facts)
    assert e.value.diagnostics[0].code == "E503"


# ── the bundled family, through the CLI ─────────────────────────────────────


@pytest.fixture()
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


FAMILY_FACTS = "contracts/facts/family-2001.toml"


def test_eval_several_agreements_with_one_fact_set(at_root: None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    facts = FAMILY_FACTS
    assert main(["eval", "contracts/savvis_2001.rrd", "contracts/original_2000.rrd",
                 str(facts)]) == 0
    out = capsys.readouterr().out
    first, second = out.split("═" * 78 + "\n")
    assert first.startswith("Registration Rights Agreement dated as of February 20, 2001")
    assert "Governed by other agreements\n  §3(i).february_2000_expenses" in first
    assert "Registration Expenses Savvis pays: $3,300.00" in first
    assert "⚠ assumed: rests on assumed terms of original_2000: " in first
    assert second.startswith("Original Registration Rights Agreement dated as of February 7, "
                             "2000 (original_2000)")
    assert "a variant of savvis_2001" in second
    assert main(["eval", "contracts/savvis_2001.rrd", "contracts/original_2000.rrd",
                 str(facts), "--format", "json", "--no-values"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "rrdsl.results/3"
    a, b = data["results"]
    [ref] = a["references"]
    assert ref["loaded"] and ref["governed_by"]["agreement"] == "original_2000"
    assert ref["answers"][0]["values"][0]["display"] == "$3,300.00"
    assert {"term": "3(i).pay_registration_expenses", "because": pytest.approx(
        ref["answers"][0]["assumed_terms"][0]["because"])} in ref["answers"][0]["assumed_terms"]
    assert b["agreement"]["based_on"] == ["savvis_2001"]
    assert all(n["assumed_terms"] for n in b["norms"])


def test_eval_usage_errors_for_several_files(at_root: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "contracts/savvis_2001.rrd"]) == 2
    assert "eval needs a clause file and a fact file" in capsys.readouterr().err
    assert main(["eval", "contracts/facts/demand-2001.toml", "contracts/savvis_2001.rrd"]) == 2
    assert "give the fact file last" in capsys.readouterr().err
    assert main(["eval", "contracts/savvis_2001.rrd", "contracts/savvis_2001.rrd",
                 "contracts/facts/demand-2001.toml"]) == 2
    assert "E708" in capsys.readouterr().err


def test_eval_an_amendment_says_whether_it_applied(at_root: None,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "contracts/savvis_2001_amendment_1.rrd",
                 "contracts/facts/demand-2001.toml"]) == 0
    out = capsys.readouterr().out
    assert ("amendment savvis_2001_amendment_1 (\"First Amendment to the Registration Rights "
            "Agreement: three Demand Registrations (illustrative)\"): not effective: the facts "
            "have no Amendment with the id 'amendment-1'") in out
    assert "evaluated WITHOUT the amendment" in out


def test_diff_shows_a_parameter_change_and_the_answers_it_changes(
        at_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "contracts/savvis_2001.rrd", "contracts/savvis_2001_amendment_1.rrd",
                 "--scenarios", "contracts/scenarios/savvis_2001_amendment_1"]) == 0
    out = capsys.readouterr().out
    assert "  changed  definition demand_registration_limit: 2 → 3  (" in out
    assert "  added    §3(a) reading three_demand_registrations" in out
    assert "savvis_2001_amendment_1 is an amendment: evaluated as if it had taken effect" in out
    assert "    status: excused → pending" in out
    assert "── savvis_2001" in out and "│ ── savvis_2001_amendment_1" in out
    assert main(["diff", "contracts/savvis_2001.rrd", "contracts/original_2000.rrd",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "rrdsl.diff/1" and data["answers"] == []
    changes = {(c["change"], c["key"]) for c in data["changes"]}
    assert {("added", "Bridge"), ("removed", "savvis_common_shares"),
            ("removed", "3(i).february_2000_expenses"),
            ("changed", "3(i).pay_registration_expenses")} <= changes
    assert any(re.fullmatch(r"assumed terms: 0 → \d{3}", h) for h in data["header"])


def test_diff_of_an_agreement_with_itself_is_empty(at_root: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "contracts/savvis_2001.rrd", "contracts/savvis_2001.rrd",
                 "--scenarios", "contracts/scenarios/s3a"]) == 0
    out = capsys.readouterr().out
    assert "  no declaration differs" in out and "  every answer is the same" in out


def test_diff_usage_error_for_a_missing_folder(at_root: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "contracts/savvis_2001.rrd", "contracts/original_2000.rrd",
                 "--scenarios", "no/such/dir"]) == 2
    assert "E704" in capsys.readouterr().err


def test_a_misspelt_fact_is_matched_against_every_agreement_loaded(
        at_root: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = tmp_path / "f.toml"
    facts.write_text("as_of = 2001-06-01\n[facts]\n"
                     "february_2000_common_share = { WCAS = 1 }\n", encoding="utf-8")
    assert main(["eval", "contracts/savvis_2001.rrd", "contracts/original_2000.rrd",
                 str(facts)]) == 1
    err = capsys.readouterr().err
    assert "error[E502]: unknown fact 'february_2000_common_share'" in err
    assert "did you mean 'february_2000_common_shares'?" in err


def test_a_number_the_variant_changed_but_inherited_text_still_states(tmp_path: Path) -> None:
    """W106: the base's clause says "two"; the variant made the limit 3 and left it."""
    base = BASE.replace('clause register: Co shall "register the shares"',
                        'clause register: Co shall "register the shares, no more than two times"')
    write(tmp_path, {"base.rrd": base, "other.rrd": OTHER,
                     "v.rrd": '''agreement v "A variant" variant of "base.rrd"
section 1 "Definitions"
  replace define limit: int "the number of registrations" = 3
'''})
    from rrdsl.lints import check_path

    [w] = [d for d in check_path(tmp_path / "v.rrd") if d.code == "W106"]
    assert w.message == ("clause §2.register, inherited, says \"two\", but this agreement "
                         "changed 'limit' from 2 to 3")
    assert w.span is not None and w.span.file.endswith("base.rrd")
    # said so on the replacing definition: no warning
    (tmp_path / "v.rrd").write_text('''agreement v "A variant" variant of "base.rrd"
section 1 "Definitions"
  # rrdsl: allow W106
  replace define limit: int "the number of registrations" = 3
''', encoding="utf-8")
    assert [d for d in check_path(tmp_path / "v.rrd") if d.code == "W106"] == []
    # the base checked alone: nothing to warn of
    assert [d for d in check_path(tmp_path / "base.rrd") if d.code == "W106"] == []


def test_the_site_compares_a_variant_over_the_folder_given(
        at_root: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rrdsl html A B --diff-scenarios DIR`: the diff page's answers are over DIR, as
    `rrdsl diff A B --scenarios DIR` compares them."""
    out = tmp_path / "site"
    assert main(["html", "contracts/savvis_2001.rrd", "contracts/savvis_2001_amendment_1.rrd",
                 "-o", str(out), "--diff-scenarios", "contracts/scenarios/s3a"]) == 0
    page = (out / "diff-savvis-2001-savvis-2001-amendment-1.html").read_text(encoding="utf-8")
    assert "third-demand-after-two-satisfied-is-excused" in page
    assert main(["html", "contracts/savvis_2001.rrd", "contracts/savvis_2001_amendment_1.rrd",
                 "-o", str(out), "--diff-scenarios", "nowhere"]) == 2
    assert "--diff-scenarios nowhere: no such folder" in capsys.readouterr().err
