"""Lints (W1xx): each warns on its bad example, stays quiet on the fixed one; --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rrdsl.lints import check_path

ROOT = Path(__file__).resolve().parent.parent

BASE = """agreement t "T"
party Acme "Acme"
role Holder "holders"
event Demand (n: int)
fact eligible: bool
section 1 "One"
"""


def codes(tmp_path: Path, body: str, name: str = "t.rrd") -> list[str]:
    f = tmp_path / name
    f.write_text(BASE + body)
    diags = check_path(f)
    assert all(d.code.startswith("W") for d in diags), diags
    return [d.code for d in diags]


CLAUSE = '  clause c: Acme shall "act" upon Demand d when eligible\n'

CASES = {
    # code: (bad body, fixed body)
    "W101": (CLAUSE + "  define twice(x: int): int = 2 * x\n",
             CLAUSE + '  define twice(x: int): int = 2 * x\n  clause e: Acme shall "b" '
             "upon Demand d when twice(d.n) > 4\n"),
    "W102": ('  fact unused: int\n  clause c: Acme shall "act" upon Demand d\n'
             "  define x: bool = eligible\n  clause e: Acme may \"b\" when x\n",
             '  fact used: int\n  clause c: Acme shall "act" upon Demand d when eligible '
             "and used > 1\n"),
    "W103": (CLAUSE + "  exception never: excuses c for Demand d when d.n > 5 and d.n < 3 "
             'because "r"\n',
             CLAUSE + "  exception capped: excuses c for Demand d when d.n > 5 and d.n < 30 "
             'because "r"\n'),
    "W104": ('  clause c: Acme shall "sell the shares" when eligible\n'
             '  clause n: Acme shall not "Sell  the shares"\n',
             '  clause c: Acme shall "sell the shares" when eligible\n'
             '  clause n: Acme shall not "sell the shares" when not eligible\n'),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_warns_on_the_bad_example_and_not_on_the_fix(tmp_path: Path, code: str) -> None:
    bad, fixed = CASES[code]
    assert code in codes(tmp_path, bad)
    assert codes(tmp_path, fixed) == []


def test_exception_with_an_empty_period(tmp_path: Path) -> None:
    body = CLAUSE + ("  exception e: suspends c from 2001-05-01 until 2001-05-01 "
                     'because "r"\n')
    assert codes(tmp_path, body) == ["W103"]
    assert codes(tmp_path, body.replace("until 2001-05-01", "through 2001-05-01")) == []


def test_contradictions_of_enumeration_members_and_negation(tmp_path: Path) -> None:
    enum = "enum Kind { a, b }\n"
    f = tmp_path / "t.rrd"
    f.write_text(BASE.replace("section 1", enum + "event E (k: Kind)\nsection 1") + CLAUSE
                 + "  exception x: excuses c when eligible and not eligible because \"r\"\n"
                 + "  exception y: excuses c upon E e where e.k == a and e.k == b because \"r\"\n"
                 + "  exception z: excuses c upon E e where e.k == a and e.k != b because \"r\"\n")
    assert [(d.code, d.span.line) for d in check_path(f) if d.span] == [
        ("W103", 10), ("W103", 11)]


def test_a_comment_allows_a_warning(tmp_path: Path) -> None:
    body = CLAUSE + "  define twice(x: int): int = 2 * x  # rrdsl: allow W101: reported\n"
    assert codes(tmp_path, body) == []
    body = CLAUSE + "  # rrdsl: allow W102, W101\n  define twice(x: int): int = 2 * x\n"
    assert codes(tmp_path, body) == []


SCENARIO = """title = "t"
contract = "c.rrd"
section = "1"
cites = "x"
as_of = 2001-01-01
{given}
[[expect]]
clause = "1.c"
status = "{status}"
"""


def test_a_scenario_that_exercises_nothing(tmp_path: Path) -> None:
    f = tmp_path / "a.scenario.toml"
    f.write_text(SCENARIO.format(given="", status="not_triggered"))
    assert [d.code for d in check_path(f)] == ["W105"]
    f.write_text(SCENARIO.format(given="", status="pending"))
    assert check_path(f) == []
    f.write_text(SCENARIO.format(given='[[given.events.Demand]]\nid = "d"\ndate = 2001-01-01\n',
                                 status="not_triggered"))
    assert check_path(f) == []  # a negative test: something happened, nothing applies


def _rrdsl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rrdsl", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_check_prints_warnings_and_strict_makes_them_errors(tmp_path: Path) -> None:
    f = tmp_path / "t.rrd"
    f.write_text(BASE + CASES["W101"][0])
    r = _rrdsl("check", str(f))
    assert r.returncode == 0 and r.stdout.endswith(": ok, 1 warning\n")
    assert "t.rrd:8:3: warning[W101]: definition 'twice' is not used" in r.stderr
    assert "  help: " in r.stderr and "^^^" in r.stderr
    r = _rrdsl("check", "--strict", str(f))
    assert r.returncode == 1 and "error[W101]" in r.stderr and r.stderr.endswith(": 1 error\n")


def test_the_shipped_contract_and_scenarios_are_lint_clean() -> None:
    r = _rrdsl("check", "--strict", "contracts/savvis_2001.rrd", "contracts/scenarios")
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stdout + r.stderr


def test_the_definition_an_amendment_rule_names_is_used(tmp_path: Path) -> None:
    from rrdsl.lints import check_path

    p = tmp_path / "x.rrd"
    p.write_text('''agreement x "X"
party Co "Co"
section 8 "Amendment"
  event Writing "a writing" (terms: text)
  define in_effect(w: Writing): date? "the day it takes effect" = w.date
  amended by Writing from in_effect
''', encoding="utf-8")
    assert [d.code for d in check_path(p)] == []


def _every_pair(clauses: list, enum_members: set[str]) -> list[tuple[str, str]]:
    """W104 as the lint found it before it indexed the prohibitions: every obligation
    compared with every prohibition (the reference for the test below)."""
    from rrdsl import lints

    out = []
    duties = [(c, s) for c, s in clauses if c.modality == "obligation"]
    bans = [(c, s) for c, s in clauses if c.modality == "prohibition"]
    for duty, dsec in duties:
        for ban, bsec in bans:
            if ((lints._bearer_key(duty), lints._action_key(duty))
                    != (lints._bearer_key(ban), lints._action_key(ban))):
                continue
            if lints.contradictory(lints._conditions(duty.parts) + lints._conditions(ban.parts),
                                   enum_members):
                continue
            (s1, l1), (s2, l2) = lints._period(duty.parts), lints._period(ban.parts)
            if (s1 and l2 and l2 < s1) or (s2 and l1 and l1 < s2):
                continue
            out.append((f"{bsec}.{ban.name}", f"{dsec}.{duty.name}"))
    return out


def test_conflicts_found_by_the_index_are_those_of_every_pair(tmp_path: Path) -> None:
    # W104 looks an obligation's prohibitions up by bearer and action instead of comparing
    # every pair: on many clauses of a few bearers, actions, conditions and periods it must
    # find the same conflicts, in the same order, with the same messages
    import random

    from rrdsl import lints
    from rrdsl.loader import load_modules

    rng = random.Random(20010220)
    body = []
    for k in range(120):
        who = rng.choice(("Acme", "Other", "each h in Holder"))
        modal = rng.choice(("shall", "shall not", "may"))
        action = rng.choice(("sell the shares", "Sell  the shares", "file", "notify"))
        cond = rng.choice(("", " when eligible", " when not eligible",
                           " from 2001-01-01 until 2001-06-01", " from 2002-01-01",
                           " when eligible and not eligible"))
        body.append(f"section {k + 2} \"S\"\n  clause c{k}: {who} {modal} \"{action}\"{cond}\n")
    f = tmp_path / "t.rrd"
    f.write_text(BASE.replace("party Acme", 'party Other "Other"\nparty Acme') + CLAUSE
                 + "".join(body))
    modules = load_modules(f)
    decls = [(d, s) for m in modules for d, s in lints._decls(m)]
    clauses = [(d, s) for d, s in decls if isinstance(d, lints.ast.Clause)]
    expected = _every_pair(clauses, set())
    found = lints._conflicts(clauses, set())
    assert len(expected) > 100  # the case has conflicts enough to tell
    assert [(d.message.split(" ")[0][1:], d.message.split(" ")[3][1:]) for d in found] \
        == expected
    warned = [d.message for d in check_path(f) if d.code == "W104"]
    assert sorted(warned) == sorted(d.message for d in found)
