"""Semantics of the general constructs, on small agreements written for the test."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import rrdsl
from rrdsl.checker import BUILTINS
from rrdsl.diagnostics import CheckErrors, RrdslError
from rrdsl.report import norm_json, outcome_text

D = datetime.date


def contract(tmp_path: Path, body: str, header: str = 'agreement toy "Toy" dated 2020-01-01\n'
             ) -> rrdsl.Contract:
    path = tmp_path / "toy.rrd"
    path.write_text(header + body, encoding="utf-8")
    return rrdsl.load(path)


def run(c: rrdsl.Contract, facts: dict[str, Any], as_of: datetime.date) -> rrdsl.Outcome:
    return c.evaluate(c.facts_from_mapping(facts), as_of)


def answer(o: rrdsl.Outcome, instance: str) -> rrdsl.NormResult:
    found = [r for r in o.norms if r.instance == instance]
    assert found, [r.instance for r in o.norms]
    return found[0]


def value(o: rrdsl.Outcome, label: str) -> Any:
    found = [v for v in o.values if v.label == label]
    assert found, [v.label for v in o.values]
    return found[0].value


def check_errors(tmp_path: Path, body: str) -> list[str]:
    with pytest.raises(CheckErrors) as info:
        contract(tmp_path, body)
    return [f"{d.code} {d.message}" for d in info.value.diagnostics]


NOTICE = '''
party Company
role Holder
section 1 "Notices"
  event Request "a request" (amount: shares)
  clause answer: Company shall "answer the request"
    upon Request r where r.amount > 100
    within 10 days after r.date
    fulfilled by Answer a where a.request == r
  event Answer "an answer" (request: Request)
'''


def test_within_n_days_includes_the_last_day_and_breach_comes_after(tmp_path: Path) -> None:
    c = contract(tmp_path, NOTICE)
    facts = {"events": {"Request": [{"id": "r1", "date": "2020-03-01", "amount": 500}]}}
    assert answer(run(c, facts, D(2020, 3, 11)), "1.answer[r1]").status == "pending"
    late = run(c, facts, D(2020, 3, 12))
    assert answer(late, "1.answer[r1]").status == "breached"
    assert answer(late, "1.answer[r1]").deadline == D(2020, 3, 11)


def test_performance_after_the_deadline_is_a_breach_and_on_time_is_fulfilment(
        tmp_path: Path) -> None:
    c = contract(tmp_path, NOTICE)
    for day, status in (("2020-03-11", "fulfilled"), ("2020-03-12", "breached")):
        facts = {"events": {"Request": [{"id": "r1", "date": "2020-03-01", "amount": 500}],
                            "Answer": [{"date": day, "request": "r1"}]}}
        r = answer(run(c, facts, D(2020, 4, 1)), "1.answer[r1]")
        assert (r.status, r.performed_on) == (status, D.fromisoformat(day))


def test_events_after_the_as_of_date_are_not_yet_known(tmp_path: Path) -> None:
    c = contract(tmp_path, NOTICE)
    facts = {"events": {"Request": [{"id": "r1", "date": "2020-03-01", "amount": 500}],
                        "Answer": [{"date": "2020-03-05", "request": "r1"}]}}
    assert answer(run(c, facts, D(2020, 3, 4)), "1.answer[r1]").status == "pending"
    assert [r.status for r in run(c, facts, D(2020, 2, 1)).norms] == ["not_triggered"]


def test_a_trigger_condition_is_judged_on_the_day_of_the_event(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
role Holder
section 1 "Demands"
  fact held(h: Holder): shares "shares held"
  event Sale "a public sale" (seller: Holder, shares: shares)
  event Demand "a demand" (by: Holder)
  define holding(h: Holder): shares = held(h) - sum(s.shares for s in Sale where s.seller == h)
  clause register: Company shall "register" upon Demand d where holding(d.by) >= 100
    deadline "promptly"
''')
    facts = {"parties": {"H": "Holder"}, "facts": {"held": {"H": 150}},
             "events": {"Demand": [{"id": "d1", "date": "2020-01-10", "by": "H"}],
                        "Sale": [{"date": "2020-02-01", "seller": "H", "shares": 100}]}}
    o = run(c, facts, D(2020, 3, 1))
    assert answer(o, "1.register[d1]").status == "pending"  # 150 held on 2020-01-10
    assert value(o, "holding(H)") == 50  # but only 50 now


def test_a_missing_fact_makes_the_answer_undetermined_and_names_it(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "S"
  fact eligible: bool "eligible"
  fact consented: bool "consented"
  clause act: Company may "act" when eligible and consented
''')
    r = answer(run(c, {"facts": {"eligible": True}}, D(2020, 1, 1)), "1.act")
    assert (r.status, r.missing) == ("undetermined", ["consented"])
    # false decides "and" even when the other side is missing: three-valued, never silently false
    r = answer(run(c, {"facts": {"eligible": False}}, D(2020, 1, 1)), "1.act")
    assert r.status == "not_triggered"


@pytest.mark.parametrize("explain", [False, True])
def test_a_missing_fact_in_a_with_value_or_the_beneficiaries_leaves_the_status(
        tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, '''
party Company
role Holder
section 1 "S"
  fact holding(h: Holder): shares "shares held"
  fact joins(h: Holder): bool "the holder joins"
  event Request "a request"
  clause register: Company shall "register the shares"
    upon Request r
    to {h for h in Holder where joins(h)}
    within 10 days after r.date
    with "shares" = sum(holding(h) for h in Holder where joins(h))
''')
    facts = {"parties": {"A": "Holder", "B": "Holder"},
             "facts": {"holding": {"A": 10, "B": 20}, "joins": {"A": True}},
             "events": {"Request": [{"id": "r1", "date": "2020-01-02"}]}}
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 1, 5), explain=explain)
    r = answer(o, "1.register[r1]")
    # the duty and its deadline stand; who benefits and how many shares wait for joins(B)
    assert (r.status, r.deadline, r.missing) == ("pending", D(2020, 1, 12), [])
    assert (r.beneficiaries, r.beneficiaries_missing) == (None, ["joins(B)"])
    assert r.withs == [("shares", None, r.withs[0][2], ("joins(B)",))]
    text = outcome_text(o, show_values=False)
    assert "shares: undetermined: needs joins(B)" in text
    assert "to: undetermined: needs joins(B)" in text
    assert "Undetermined until these facts are given: joins(B)" in text
    doc = norm_json(r)
    assert doc["values"][0]["missing_facts"] == ["joins(B)"]
    assert doc["beneficiaries_missing_facts"] == ["joins(B)"]
    # given the fact, both are known
    facts["facts"]["joins"]["B"] = False
    r = answer(c.evaluate(c.facts_from_mapping(facts), D(2020, 1, 5), explain=explain),
               "1.register[r1]")
    assert (r.beneficiaries, r.beneficiaries_missing) == (["A"], [])
    assert r.withs == [("shares", 10, r.withs[0][2], ())]


@pytest.mark.parametrize("explain", [False, True])
def test_an_exception_needing_a_missing_fact_cannot_undo_a_duty_done_on_time(
        tmp_path: Path, explain: bool) -> None:
    """docs/language.md §11.2 step 4: a duty performed by its deadline is fulfilled whatever an
    exception whose condition is unknown would say; performed late, or not yet, it waits."""
    c = contract(tmp_path, '''
party Company
section 1 "S"
  fact blackout: bool "a blackout is in effect"
  event Request "a request"
  event Answer "an answer" (request: Request)
  clause answer: Company shall "answer the request"
    upon Request r
    within 10 days after r.date
    fulfilled by Answer a where a.request == r
  exception blackout_period: suspends answer
    when blackout
    because "during a blackout"
''')
    answers = [{"id": "a1", "date": "2020-01-05", "request": "r1"},   # on time
               {"id": "a2", "date": "2020-01-20", "request": "r2"}]   # after the deadline
    facts = {"events": {"Request": [{"id": "r1", "date": "2020-01-02"},
                                    {"id": "r2", "date": "2020-01-02"},
                                    {"id": "r3", "date": "2020-01-02"}],
                        "Answer": answers}}
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 1, 25), explain=explain)
    assert answer(o, "1.answer[r1]").status == "fulfilled"
    for late in ("1.answer[r2]", "1.answer[r3]"):  # excused or breached: it turns on the fact
        r = answer(o, late)
        assert (r.status, r.missing) == ("undetermined", ["blackout"]), late
    facts["facts"] = {"blackout": False}
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 1, 25), explain=explain)
    assert [answer(o, f"1.answer[r{n}]").status for n in (1, 2, 3)] == [
        "fulfilled", "breached", "breached"]


@pytest.mark.parametrize("explain", [False, True])
def test_a_fact_check_warns_about_each_event_that_fails_it(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "S"
  fact limit: int "the limit"
  event Filed "a filing" (size: int)
  event Effective "effectiveness" (statement: Filed)
  check effective_after_filing "effective on or after filing":
    for Effective e requires e.date >= e.statement.date
  check within_limit: for Filed f requires f.size <= limit
  clause keep: Company shall "keep it" upon Effective e
''')
    facts = {"events": {"Filed": [{"id": "f1", "date": "2020-03-01", "size": 5}],
                        "Effective": [{"id": "e1", "date": "2020-02-01", "statement": "f1"},
                                      {"id": "e2", "date": "2020-04-01", "statement": "f1"}]}}
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 5, 1), explain=explain)
    assert [(w.check.id, w.event.id, w.message) for w in o.warnings] == [
        ("1.effective_after_filing", "e1", "effective on or after filing")]
    # a check that needs a missing fact is not known to fail: no warning; given, it warns
    facts["facts"] = {"limit": 3}
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 5, 1), explain=explain)
    assert [(w.check.id, w.event.id) for w in o.warnings] == [
        ("1.effective_after_filing", "e1"), ("1.within_limit", "f1")]
    assert o.warnings[1].message == "f: f.size <= limit"  # no title: the condition
    # the answers take the facts as given
    assert answer(o, "1.keep[e1]").status == "in_force"
    # an event after the evaluation date is not yet known, nor checked (f1, filed on 2020-03-01,
    # is; an event it refers to is read as the fact file gives it)
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 2, 15), explain=explain)
    assert [(w.check.id, w.event.id) for w in o.warnings] == [("1.effective_after_filing", "e1")]
    o = c.evaluate(c.facts_from_mapping(facts), D(2020, 1, 15), explain=explain)
    assert o.warnings == []


def test_extreme_of_two_values_reads_them_in_the_order_written(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
section 1 "S"
  fact a: int "a"
  fact b: int "b"
  define hi: int = max({a, b})
  define lo: int = min({b, a})
  define third: ratio = max({1 / 3, 0})
''')
    o = run(c, {"facts": {"a": 3, "b": 5}}, D(2020, 1, 1))
    assert (value(o, "hi"), value(o, "lo"), value(o, "third")) == (5, 3, Fraction(1, 3))
    o = run(c, {"facts": {}}, D(2020, 1, 1))
    # the first missing fact, in the order written, is the one named
    assert {v.label: v.missing for v in o.values if v.label != "third"} == {
        "hi": ["a"], "lo": ["b"]}


def test_money_is_exact_and_rounding_is_explicit(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
section 1 "Money"
  fact loss: money "loss"
  define up: money = round(loss * 50%, $0.01, half_up)
  define even: money = round(loss * 50%, $0.01, half_even)
  define tenth: money = $0.10 + $0.20
''')
    o = run(c, {"facts": {"loss": "5.33"}}, D(2020, 1, 1))
    assert value(o, "up") == Decimal("2.67") and value(o, "even") == Decimal("2.66")
    assert value(o, "tenth") == Decimal("0.30")


def test_unrounded_money_must_be_rounded_before_use_as_money(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, '''
section 1 "Money"
  fact loss: money "loss"
  define share: money = loss / 3
''')
    assert errs == ["E301 the definition of 'share' is unrounded money, but money is expected"]


def test_a_branch_may_be_unrounded_and_rounded_as_a_whole(tmp_path: Path) -> None:
    """`if ... then x / 2 else 0` is unrounded (an int mixes with shares); rounding the
    whole `if` gives shares on both sides of the condition."""
    c = contract(tmp_path, '''
role Holder
section 1 "Halves"
  fact held(h: Holder): shares "held"
  define half(h: Holder): shares "half, when more than 5" =
    round(if held(h) > 5 then held(h) / 2 else 0, down)
''')
    o = run(c, {"parties": {"A": "Holder", "B": "Holder"},
                "facts": {"held": {"A": 7, "B": 5}}}, D(2020, 1, 1))
    assert (value(o, "half(A)"), value(o, "half(B)")) == (3, 0)


def test_calendar_days_are_days_and_keep_their_wording(tmp_path: Path) -> None:
    from rrdsl.fmt import format_text

    body = '''
party Company
role Holder
section 1 "Notices"
  event Request "a request" (by: Holder)
  clause answer: Company shall "answer the request"
    upon Request r
    within 5 calendar days after r.date
    fulfilled by Answer a where a.request == r
  event Answer "an answer" (request: Request)
  define tenth(r: Request): date "the 10th calendar day following" = 10th calendar day following r.date # rrdsl: allow W101
'''
    c = contract(tmp_path, body)
    o = run(c, {"parties": {"A": "Holder"},
                "events": {"Request": [{"id": "q", "date": D(2020, 3, 2), "by": "A"}]}},
            D(2020, 3, 3))
    assert answer(o, "1.answer[q]").deadline == D(2020, 3, 7)
    assert value(o, "tenth(q)") == D(2020, 3, 12)
    text = format_text((tmp_path / "toy.rrd").read_text(encoding="utf-8"), "toy.rrd")
    assert "within 5 calendar days after r.date" in text
    assert "10th calendar day following r.date" in text


def test_allocation_sums_exactly_with_largest_remainders(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
role Holder
section 1 "Cutback"
  fact requested(h: Holder): shares "requested"
  define cut: map of Holder to shares =
    allocate(500_000 among h in Holder by requested(h) rounding largest_remainder)
''')
    o = run(c, {"parties": {"A": "Holder", "B": "Holder", "C": "Holder"},
                "facts": {"requested": {"A": 333_333, "B": 333_333, "C": 333_334}}}, D(2020, 1, 1))
    cut = value(o, "cut")
    assert sum(cut.values()) == 500_000
    # A and B each have 166,666.5: the one share left goes to the tie's earlier name, A
    assert cut == {"A": 166_667, "B": 166_666, "C": 166_667}


def test_money_is_allocated_in_whole_cents_summing_exactly(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
role Seller
section 1 "Expenses"
  fact sold(s: Seller): shares "shares sold"
  fact expenses: money "selling expenses"
  define split: map of Seller to money =
    allocate(expenses among s in Seller by sold(s) rounding largest_remainder)
''')
    o = run(c, {"parties": {"A": "Seller", "B": "Seller", "C": "Seller"},
                "facts": {"expenses": "100.00", "sold": {"A": 1, "B": 1, "C": 1}}}, D(2020, 1, 1))
    split = value(o, "split")
    assert split == {"A": Decimal("33.34"), "B": Decimal("33.33"), "C": Decimal("33.33")}
    assert sum(split.values()) == Decimal("100.00")


def test_business_days_follow_the_calendar_the_contract_names(tmp_path: Path) -> None:
    body = '''
section 1 "Notices"
  fact mailed: date "mailed"
  define received: date = 5th business day following mailed
'''
    days = {}
    for cal in ("XFED", "XNYS"):
        c = contract(tmp_path, body, f'agreement toy "Toy" calendar "{cal}"\n')
        days[cal] = value(run(c, {"facts": {"mailed": "2026-06-30"}}, D(2026, 8, 1)), "received")
    assert days == {"XFED": D(2026, 7, 7), "XNYS": D(2026, 7, 8)}


def test_an_unknown_calendar_is_a_check_error_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(CheckErrors) as info:
        contract(tmp_path, "", 'agreement toy "Toy" calendar "XFDE"\n')
    d = info.value.diagnostics[0]
    assert d.code == "E209" and "did you mean 'XFED'?" in d.hints


def test_months_are_counted_from_the_anchor_date(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
section 1 "Months"
  define one: date = 2021-01-31 + 1 month
  define two: date = 2021-01-31 + 2 months
  define back: date = 2021-03-31 - 12 months
''')
    o = run(c, {}, D(2022, 1, 1))
    assert (value(o, "one"), value(o, "two"), value(o, "back")) == (
        D(2021, 2, 28), D(2021, 3, 31), D(2020, 3, 31))


SUSPENSION = '''
party Company
section 1 "Duty"
  event Request "request"
  clause act: Company shall "act" upon Request r deadline "as soon as practicable"
section 2 "Deferral"
  notwithstanding §1
  qualitative event Deferral "a good faith deferral" (ends: date?)
  exception defer: suspends §1.act
    for r
    upon Deferral x where x.date >= r.date
    until earlier(x.ends, x.date + 30 days)
    because "the company may defer for up to 30 days"
'''


def test_a_suspension_lasts_until_its_end_and_then_the_duty_revives(tmp_path: Path) -> None:
    c = contract(tmp_path, SUSPENSION)
    facts = {"events": {"Request": [{"id": "r1", "date": "2020-01-01"}],
                        "Deferral": [{"id": "x1", "date": "2020-01-05"}]}}
    during = answer(run(c, facts, D(2020, 2, 3)), "1.act[r1]")
    assert during.status == "suspended" and during.exceptions[0].end == D(2020, 2, 3)
    assert "Deferral x1" in during.assumptions  # qualitative: an assumption of the run
    after = answer(run(c, facts, D(2020, 2, 4)), "1.act[r1]")
    assert after.status == "pending" and not after.exceptions[0].active


def test_an_exception_needs_a_priority_that_lets_it_override(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, SUSPENSION.replace("  notwithstanding §1\n", ""))
    assert errs[0].startswith("E403 exception 'defer' of §2 overrides §1")


def test_contrary_priorities_are_a_conflict(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, SUSPENSION.replace('section 1 "Duty"',
                                                     'section 1 "Duty"\n  notwithstanding §2'))
    assert any(e.startswith("E402") for e in errs)


@pytest.mark.parametrize("name", [b for b in BUILTINS if b not in ("earlier", "later")])
def test_every_builtin_called_with_too_many_arguments_is_a_located_error(
        tmp_path: Path, name: str) -> None:
    """Found by fuzzing: `dates` and `overlap_days` had no usage line, and a wrong number of
    arguments raised a KeyError instead of reporting E302."""
    found = check_errors(tmp_path, f"""
party Company
section 1 "Terms"
  fact start: date
  define x: int = {name}(start, start, start, start, start)
""")
    assert len(found) == 1 and found[0].startswith("E302 "), found


def test_definition_cycles_are_rejected(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, '''
section 1 "S"
  define a: int = b + 1
  define b: int = a + 1
''')
    assert errs == ["E401 definitions refer to each other in a cycle: a → b → a"]


def _chain(length: int) -> str:
    """Definitions d0 .. d(length-1), each `d(n) = d(n-1) + 1`: d(n) takes 2n + 1 levels."""
    return 'party Company\nsection 1 "S"\n  define d0: int = 1\n' + "".join(
        f"  define d{n}: int = d{n - 1} + 1\n" for n in range(1, length))


def test_evaluation_deeper_than_the_limit_is_refused_where_it_is_passed(
        tmp_path: Path) -> None:
    # d99 takes 199 levels: usable; `d99 > 0` takes 201 and is refused at the clause;
    # d100 takes 201 and is refused at d100, not again at d101 or at the clause using it
    c = contract(tmp_path, _chain(100) + '  clause act: Company shall "act" when d98 + 1 > 0\n')
    assert c.plan is not None  # 3 + 197 = 200 levels: the limit itself is allowed
    errs = check_errors(tmp_path, _chain(102) + '  clause act: Company shall "act" when d99 > 0\n'
                        '  clause other: Company shall "act" when d101 > 0\n')
    assert errs == ["E407 evaluating 'd100' nests 201 levels deep; the limit is 200",
                    "E407 this expression of clause 1.act nests 201 levels deep; the limit is 200"]


def test_evaluation_at_the_depth_limit_runs_traced_and_untraced(tmp_path: Path) -> None:
    # a chain of 198 calls, judged on an event's day: the deepest the checker allows, on the
    # path with the most frames (a trigger's context asking the root, derivations recorded)
    body = ('party Company\nsection 1 "S"\n  event Ping "a ping" (n: int)\n'
            '  define d0: int = count(p for p in Ping)\n'
            + "".join(f"  define d{n}: int = d{n - 1}\n" for n in range(1, 197))
            + '  clause act: Company shall "act" upon Ping p where d196 > 0\n')
    c = contract(tmp_path, body)
    facts = c.facts_from_mapping({"events": {"Ping": [
        {"id": "p1", "date": "2001-03-01", "n": 1}, {"id": "p2", "date": "2001-04-01", "n": 1}]}})
    for explain in (False, True):
        o = c.evaluate(facts, D(2001, 6, 1), explain=explain)
        assert [r.status for r in o.norms] == ["in_force", "in_force"]


def test_all_diagnostics_of_a_file_are_reported_in_one_run(tmp_path: Path) -> None:
    errs = check_errors(tmp_path, '''
section 1 "S"
  define a: shares = 1 + tru
  define b: money = $1 + 2001-01-01
  define c: bool = count(x for x in Nothing) > 0
''')
    assert [e.split()[0] for e in errs] == ["E201", "E301", "E201"]
    assert "did you mean 'true'?" not in errs[0]  # keywords are not names


def test_prohibition_is_breached_only_by_an_act_within_its_period(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "Standstill"
  event Start "start"
  event Sale "sale"
  clause no_sale: Company shall not "sell" upon Start s from s.date through s.date + 9 days
    breached by Sale x
''')
    for sale, status in (("2020-01-10", "breached"), ("2020-01-11", "expired")):
        facts = {"events": {"Start": [{"id": "s", "date": "2020-01-01"}],
                            "Sale": [{"date": sale}]}}
        assert answer(run(c, facts, D(2020, 2, 1)), "1.no_sale[s]").status == status


def test_another_agreement_of_the_family_needs_no_python(tmp_path: Path) -> None:
    # a three-demand agreement with a 60% threshold, encoded only as clauses
    c = contract(tmp_path, '''
party Issuer
role Holder
section 2 "Demands"
  fact held(h: Holder): shares "held"
  event Demand "demand" (by: set of Holder)
  define supermajority(g: set of Holder): bool =
    sum(held(h) for h in g) * 100 >= sum(held(h) for h in Holder) * 60
  clause register: Issuer shall "register" upon Demand d where supermajority(d.by)
    deadline "as expeditiously as possible"
  exception three: excuses register for Demand d
    when count(x for x in Demand where x.date < d.date) >= 3
    because "not more than three demand registrations"
''')
    facts = {"parties": {"A": "Holder", "B": "Holder"}, "facts": {"held": {"A": 60, "B": 40}},
             "events": {"Demand": [{"id": f"d{i}", "date": f"2020-0{i}-01", "by": ["A"]}
                                   for i in range(1, 5)]}}
    o = run(c, facts, D(2020, 6, 1))
    assert [answer(o, f"2.register[d{i}]").status for i in range(1, 5)] == [
        "pending", "pending", "pending", "excused"]


def test_imports_cannot_leave_the_contract_directory(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    (tmp_path / "outside.rrd").write_text('role Holder\n', encoding="utf-8")
    path = tmp_path / "inner" / "main.rrd"
    path.write_text('agreement a "A"\nimport "../outside.rrd"\n', encoding="utf-8")
    with pytest.raises(RrdslError) as info:
        rrdsl.load(path)
    assert info.value.diagnostics[0].code == "E205"
    assert "leaves the contract's directory tree" in info.value.diagnostics[0].message


def test_compile_once_evaluate_many(tmp_path: Path) -> None:
    c = contract(tmp_path, NOTICE)
    plan = c.plan
    for amount, status in ((50, "not_triggered"), (500, "pending")):
        facts = {"events": {"Request": [{"id": "r1", "date": "2020-03-01", "amount": amount}]}}
        assert answer(run(c, facts, D(2020, 3, 2)), "1.answer[r1]").status == status
    assert c.plan is plan


def test_price_times_shares_is_money_and_ratios_can_be_exact_fractions(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
section 1 "Prices"
  fact price: money "price per share"
  fact sold: shares "shares sold"
  fact split: ratio "shares after a change per share before"
  define proceeds: money = price * sold
  define adjusted: shares = round(sold * split, down)
''')
    o = run(c, {"facts": {"price": "2.50", "sold": 10, "split": "1/3"}}, D(2020, 1, 1))
    assert value(o, "proceeds") == Decimal("25.00") and value(o, "adjusted") == 3


def test_if_exists_then_the_value_is_not_optional(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
section 1 "S"
  fact disclosed: date? "disclosed"
  define ends: date = if exists(disclosed) then disclosed else 2020-12-31
''')
    assert value(run(c, {"facts": {"disclosed": "none"}}, D(2020, 1, 1)), "ends") == D(2020, 12, 31)
    assert value(run(c, {"facts": {"disclosed": "2020-05-01"}}, D(2020, 1, 1)), "ends") == D(
        2020, 5, 1)


def test_all_and_any_are_three_valued_and_name_every_missing_fact(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
role Member
section 1 "S"
  fact ok(m: Member): bool "ok"
  define everyone: bool = all(ok(m) for m in Member)
  define someone: bool = any(ok(m) for m in Member)
''')
    parties = {p: "Member" for p in ("A", "B", "C", "D")}
    o = run(c, {"parties": parties, "facts": {"ok": {"A": False}}}, D(2020, 1, 1))
    assert value(o, "everyone") is False  # one false decides, whatever the others
    v = next(v for v in o.values if v.label == "someone")
    assert v.missing == ["ok(B)", "ok(C)", "ok(D)"]
    o = run(c, {"parties": parties, "facts": {"ok": {"C": True}}}, D(2020, 1, 1))
    assert value(o, "someone") is True


def test_a_reused_definition_still_reports_the_assumptions_it_rests_on(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "S"
  qualitative fact good_faith: bool "determined in good faith"
  define ok: bool = good_faith
  clause first: Company may "act" when ok
  clause second: Company may "act again" when ok
''')
    o = run(c, {"facts": {"good_faith": True}}, D(2020, 1, 1))
    assert answer(o, "1.first").assumptions == answer(o, "1.second").assumptions == ["good_faith"]


def test_an_excuse_from_a_later_date_does_not_excuse_before_it(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "Duty"
  event Request "request"
  clause act: Company shall "act" upon Request r deadline "promptly"
  exception later: excuses act for Request r from 2002-01-01 because "excused from 2002"
''')
    facts = {"events": {"Request": [{"id": "r1", "date": "2001-06-01"}]}}
    assert answer(run(c, facts, D(2001, 12, 31)), "1.act[r1]").status == "pending"
    assert answer(run(c, facts, D(2002, 1, 1)), "1.act[r1]").status == "excused"


def test_a_suspension_that_begins_after_the_deadline_does_not_hide_the_breach(
        tmp_path: Path) -> None:
    c = contract(tmp_path, SUSPENSION.replace('deadline "as soon as practicable"',
                                              "within 2 days after r.date"))
    facts = {"events": {"Request": [{"id": "r1", "date": "2020-01-01"}],
                        "Deferral": [{"id": "x1", "date": "2020-01-05"}]}}
    assert answer(run(c, facts, D(2020, 1, 10)), "1.act[r1]").status == "breached"


def test_a_qualitative_event_that_performs_a_duty_is_an_assumption(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "S"
  event Request "request"
  qualitative event BestEfforts "the company used its reasonable best efforts" (request: Request)
  clause act: Company shall "use its reasonable best efforts" upon Request r
    deadline "promptly" fulfilled by BestEfforts b where b.request == r
''')
    facts = {"events": {"Request": [{"id": "r1", "date": "2020-01-01"}],
                        "BestEfforts": [{"id": "b1", "date": "2020-01-03", "request": "r1"}]}}
    r = answer(run(c, facts, D(2020, 2, 1)), "1.act[r1]")
    assert (r.status, r.assumptions) == ("fulfilled", ["BestEfforts b1"])


# ── recursion on earlier events (language.md §3.6) ─────────────────────────

DEFERRALS = '''
party Company
section 1 "Deferrals"
  qualitative event Det "a determination" (days: int)
  define permitted(m: Det): bool "a permitted delay" =
    count({x for x in Det where x < m and permitted(x) and x.date > m.date - 12 months}) < 2
  define used(m: Det): int "days of delay in the twelve months before" =
    sum(length(x) for x in Det where x < m and x.date > m.date - 12 months)
  define length(m: Det): int "days of delay" =
    if not permitted(m) then 0 else if used(m) + m.days <= 90 then m.days
    else if used(m) < 90 then 90 - used(m) else 0
  clause defer: Company may "defer" upon Det m where permitted(m)
'''

DETERMINATIONS = [  # d3 and d4 are a third and a fourth within twelve months: no delay
    {"id": "d1", "date": "2020-02-01", "days": 30},
    {"id": "d2", "date": "2020-03-01", "days": 40},
    {"id": "d3", "date": "2020-04-01", "days": 10},
    {"id": "d4", "date": "2020-04-01", "days": 10},
    {"id": "d5", "date": "2021-02-15", "days": 50},  # twelve months back: d2 only delayed
]


@pytest.mark.parametrize("explain", [False, True])
def test_a_definition_may_use_itself_for_earlier_events(tmp_path: Path, explain: bool) -> None:
    c = contract(tmp_path, DEFERRALS)
    assert c.ir.recursion == (("length", "used"), ("permitted",))
    o = c.evaluate(c.facts_from_mapping({"events": {"Det": DETERMINATIONS}}), D(2021, 6, 1),
                   explain=explain)
    got = {v.label: v.value for v in o.values}
    assert [got[f"permitted(d{k})"] for k in range(1, 6)] == [True, True, False, False, True]
    # d5's twelve months hold d2's 40 days; the refused d3 and d4 delayed nothing
    assert [got[f"used(d{k})"] for k in range(1, 6)] == [0, 30, 70, 70, 40]
    assert [got[f"length(d{k})"] for k in range(1, 6)] == [30, 40, 0, 0, 50]
    # the answer for d2 rests on d1 (read to decide it) as well as on d2
    assert answer(o, "1.defer[d2]").assumptions == ["Det d1", "Det d2"]
    if explain:
        step = o.values[1].explanation  # permitted(d2): d1's value is one step
        assert step is not None and step.label == "permitted(d2)"
        notes = [n.note for n in _walk(step) if n.label == "permitted(d1)"]
        assert notes == ["derived for the earlier Det d1"]


def _walk(node: Any) -> list[Any]:
    out, todo = [], [node]
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(n.children)
    return out


def test_events_are_ordered_by_date_then_by_their_place_in_the_fact_file(tmp_path: Path) -> None:
    c = contract(tmp_path, '''
party Company
section 1 "S"
  event Det "a determination"
  define before(m: Det): int = count({x for x in Det where x < m})
  define upto(m: Det): int = count({x for x in Det where x <= m})
''')
    dets = [{"id": "b", "date": "2020-01-02"}, {"id": "a", "date": "2020-01-02"},
            {"id": "c", "date": "2020-01-01"}]
    o = run(c, {"events": {"Det": dets}}, D(2020, 2, 1))
    assert [value(o, f"before({k})") for k in "cba"] == [0, 1, 2]
    assert [value(o, f"upto({k})") for k in "cba"] == [1, 2, 3]


def test_recursion_on_many_earlier_events_stays_shallow(tmp_path: Path) -> None:
    # each value computed on the earlier events first: a chain of 1,200 uses, each of the day
    # before, goes no deeper for the last event than for the first (evaluated call in call, it
    # would pass Python's recursion limit, and the C stack when compiled)
    c = contract(tmp_path, '''
party Company
section 1 "S"
  event Det "a determination" (days: int)
  define total(m: Det): int =
    m.days + sum(total(x) for x in Det where x < m and x.date == m.date - 1 day)
  clause act: Company may "act" upon Det m where m.days > 1 with "so far" = total(m)
''')
    # the last determination is the only one the clause asks about: it is computed first
    dets = [{"id": f"d{k}", "date": (D(2020, 1, 1) + datetime.timedelta(days=k)).isoformat(),
             "days": 2 if k == 1199 else 1} for k in range(1200)]
    o = c.evaluate(c.facts_from_mapping({"events": {"Det": dets}}), D(2030, 1, 1),
                   values=False)
    assert answer(o, "1.act[d1199]").withs[0][1] == 1201


def test_a_cycle_needs_event_parameters_and_a_definition_of_one_event(tmp_path: Path) -> None:
    no_event = check_errors(tmp_path, '''
party Company
role Holder
section 1 "S"
  fact held(h: Holder): int
  define a(h: Holder): int = b(h)
  define b(h: Holder): int = a(h) + held(h)
''')
    assert no_event == ["E401 definitions refer to each other in a cycle: a → b → a"]
    no_single = check_errors(tmp_path, '''
party Company
section 1 "S"
  event Det "a determination"
  define a(m: Det, k: int): int = b(m, k)
  define b(m: Det, k: int): int = sum(a(x, k) for x in Det where x < m)
''')
    assert no_single == ["E401 definitions refer to each other in a cycle: a → b → a"]


@pytest.mark.parametrize(("where", "message"), [
    ("x > m", "recursive use of 'total' for a later event: Det d2 (2020-02-01), while "
              "computing for Det d1 (2020-01-01)"),
    ("x == m", "recursive use of 'total(d1)' to compute itself"),
])
def test_recursion_must_go_back_in_time(tmp_path: Path, where: str, message: str) -> None:
    c = contract(tmp_path, f'''
party Company
section 1 "S"
  event Det "a determination" (days: int)
  define total(m: Det): int = m.days + sum(total(x) for x in Det where {where})
''')
    dets = [{"id": "d1", "date": "2020-01-01", "days": 1},
            {"id": "d2", "date": "2020-02-01", "days": 2}]
    with pytest.raises(RrdslError) as info:
        run(c, {"events": {"Det": dets}}, D(2020, 6, 1))
    (d,) = info.value.diagnostics
    assert (d.code, d.message) == ("E603", message)
    assert d.span is not None and d.span.line == 6
