"""A clause's answer tested by another (`§S.x[...] is STATUS`, docs/language.md §6.8), and
exceptions of `any clause` that see the answer they are tried on (§9.1): on the
day judged, both sides of the change, undetermined answers, and the checker's refusals (E302,
E201, E408).  Both the fast path and the traced path."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

import rrdsl
from rrdsl.diagnostics import CheckErrors
from tests.test_engine import _walk  # the derivation, node by node

D = datetime.date
EXPLAIN = pytest.mark.parametrize("explain", [False, True], ids=["fast", "traced"])

HEAD = 'agreement toy "Toy" dated 2020-01-01\n\nparty Co "the Company"\nrole Holder\n\n'
BODY = '''section 1 "Notices"
  fact urgent(n: Notice): bool
  event Notice "a notice" (by: Holder)
  event Reply "a reply" (notice: Notice)
  event Other "another kind of event" (by: Holder)
  clause reply: Co shall "reply"
    upon Notice n where urgent(n)
    within 5 days after n.date
    fulfilled by Reply r where r.notice == n
  clause remedy: each h in Holder may "sue for specific performance of the reply"
    upon Notice or Other n where n.by == h
    when §1.reply[n] is breached
'''


def load(tmp_path: Path, body: str = BODY) -> rrdsl.Contract:
    path = tmp_path / "toy.rrd"
    path.write_text(HEAD + body, encoding="utf-8")
    return rrdsl.load(path)


def answers(c: rrdsl.Contract, facts: dict[str, Any], as_of: datetime.date,
            explain: bool) -> dict[str, rrdsl.NormResult]:
    o = c.evaluate(c.facts_from_mapping(facts), as_of, explain=explain)
    return {r.instance: r for r in o.norms}


FACTS: dict[str, Any] = {
    "parties": {"A": "Holder"},
    "facts": {"urgent": {"n1": True}},
    "events": {"Notice": [{"id": "n1", "date": D(2020, 3, 2), "by": "A"}]},
}


def test_a_remedy_upon_a_breach_is_not_triggered_before_it() -> None:
    c = load_once()
    r = answers(c, FACTS, D(2020, 3, 7), False)  # the reply is due through 2020-03-07
    assert r["1.reply[n1]"].status == "pending"
    assert r["1.remedy[A, n1]"].status == "not_triggered"


@EXPLAIN
def test_a_remedy_upon_a_breach_is_in_force_once_the_answer_is_breached(explain: bool) -> None:
    c = load_once()
    r = answers(c, FACTS, D(2020, 3, 8), explain)
    assert r["1.reply[n1]"].status == "breached"
    assert r["1.remedy[A, n1]"].status == "in_force"
    if explain:
        steps = [n.label for n in _walk(r["1.remedy[A, n1]"].explanation)]
        assert "§1.reply[n1] on 2020-03-08" in steps


def test_performance_on_time_leaves_no_remedy() -> None:
    c = load_once()
    facts = {**FACTS, "events": {**FACTS["events"], "Reply": [
        {"id": "r1", "date": D(2020, 3, 6), "notice": "n1"}]}}
    r = answers(c, facts, D(2020, 4, 1), False)
    assert r["1.reply[n1]"].status == "fulfilled"
    assert r["1.remedy[A, n1]"].status == "not_triggered"


@EXPLAIN
def test_an_undetermined_answer_makes_the_test_undetermined(explain: bool) -> None:
    c = load_once()
    facts = {**FACTS, "facts": {}}
    r = answers(c, facts, D(2020, 4, 1), explain)
    assert r["1.reply[n1]"].status == "undetermined"
    assert r["1.remedy[A, n1]"].status == "undetermined"
    assert r["1.remedy[A, n1]"].missing == ["urgent(n1)"]


def test_an_event_of_another_type_has_no_answer_of_the_clause() -> None:
    c = load_once()
    facts = {**FACTS, "events": {**FACTS["events"], "Other": [
        {"id": "o1", "date": D(2020, 3, 3), "by": "A"}]}}
    r = answers(c, facts, D(2020, 4, 1), False)
    assert r["1.remedy[A, o1]"].status == "not_triggered"
    assert r["1.remedy[A, n1]"].status == "in_force"


_LOADED: dict[str, rrdsl.Contract] = {}


def load_once() -> rrdsl.Contract:
    if "c" not in _LOADED:
        import tempfile

        _LOADED["c"] = load(Path(tempfile.mkdtemp()))
    return _LOADED["c"]


def _codes(tmp_path: Path, body: str) -> list[tuple[str, str]]:
    with pytest.raises(CheckErrors) as err:
        load(tmp_path, body)
    return [(d.code, d.message) for d in err.value.diagnostics]


def test_clauses_testing_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    body = BODY.replace("    fulfilled by Reply r where r.notice == n\n",
                        "    fulfilled when §1.remedy[n.by, n] is in_force\n")
    found = _codes(tmp_path, body)
    assert any(code == "E408" and "§1.reply → §1.remedy → §1.reply" in msg
               for code, msg in found), found


def test_a_circle_through_a_definition_is_refused(tmp_path: Path) -> None:
    body = BODY.replace("    fulfilled by Reply r where r.notice == n\n",
                        "    fulfilled when sued(n)\n") + (
        "  define sued(n: Notice): bool = §1.remedy[n.by, n] is in_force\n")
    assert any(code == "E408" for code, _ in _codes(tmp_path, body))


def test_wrong_arguments_unknown_clauses_and_statuses_are_reported(tmp_path: Path) -> None:
    body = BODY + '''  clause other: Co may "x"
    when §1.reply is breached
  clause third: Co may "y"
    upon Notice n
    when §1.reply[n] is breched or §1.replie[n] is pending
'''
    found = _codes(tmp_path, body)
    assert ("E302", "§1.reply names an answer by its Notice: give 1 argument(s), not 0") in found
    assert ("E302", "'breched' is not a status an answer can have") in found
    assert ("E201", "unknown clause '§1.replie'") in found


ANY = '''section 1 "Notices"
  event Notice "a notice" (by: Holder)
  event Reply "a reply" (notice: Notice)
  event Waiver "a waiver" (waives: text, by: Holder)
  clause reply: Co shall "reply"
    upon Notice n
    to n.by
    within 5 days after n.date
    fulfilled by Reply r where r.notice == n
  exception waived: excuses any clause
    for clause c
    upon Waiver w where w.waives == c.instance and w.by in c.beneficiaries
    because "waived by the party it benefits"
'''


@EXPLAIN
def test_an_exception_of_any_clause_sees_the_answer_it_is_tried_on(tmp_path: Path,
                                                                   explain: bool) -> None:
    c = load(tmp_path, ANY)
    facts: dict[str, Any] = {
        "parties": {"A": "Holder", "B": "Holder"},
        "events": {"Notice": [{"id": "n1", "date": D(2020, 3, 2), "by": "A"},
                              {"id": "n2", "date": D(2020, 3, 2), "by": "B"}],
                   "Waiver": [{"id": "w1", "date": D(2020, 3, 20), "waives": "1.reply[n1]",
                               "by": "A"},
                              {"id": "w2", "date": D(2020, 3, 20), "waives": "1.reply[n2]",
                               "by": "A"}]}}
    before = answers(c, facts, D(2020, 3, 19), explain)
    assert before["1.reply[n1]"].status == "breached"
    after = answers(c, facts, D(2020, 4, 1), explain)
    assert after["1.reply[n1]"].status == "excused"
    assert [a.exception for a in after["1.reply[n1]"].exceptions] == ["1.waived"]
    # a waiver signed by a party the answer does not benefit excuses nothing
    assert after["1.reply[n2]"].status == "breached"


def test_a_late_performance_is_excused_by_a_waiver_and_not_otherwise(tmp_path: Path) -> None:
    c = load(tmp_path, ANY)
    facts: dict[str, Any] = {
        "parties": {"A": "Holder"},
        "events": {"Notice": [{"id": "n1", "date": D(2020, 3, 2), "by": "A"}],
                   "Reply": [{"id": "r1", "date": D(2020, 3, 10), "notice": "n1"}]}}
    r = answers(c, facts, D(2020, 4, 1), False)["1.reply[n1]"]
    assert (r.status, r.reason) == ("breached", "performed on 2020-03-10, after the deadline "
                                                "2020-03-07")
    facts["events"]["Waiver"] = [{"id": "w1", "date": D(2020, 3, 20), "waives": "1.reply[n1]",
                                  "by": "A"}]
    r = answers(c, facts, D(2020, 4, 1), False)["1.reply[n1]"]
    assert r.status == "excused"
    assert "performed on 2020-03-10, after the deadline 2020-03-07" in r.reason


def test_an_answer_has_four_fields_and_no_other(tmp_path: Path) -> None:
    body = ANY.replace("w.waives == c.instance", "w.waives == c.clauses")
    assert ("E201", "a clause's answer has no 'clauses'") in _codes(tmp_path, body)
