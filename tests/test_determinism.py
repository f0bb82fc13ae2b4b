"""Answers do not depend on Python's hash seed.

Sets of parties are ordered by their hashes, which change from one process to the next; an
evaluation that read a set in that order could name different missing facts or assumptions, or
list a derivation's steps differently, from one run to the next. Two processes with different
seeds evaluate the same generated fact sets and must print the same reports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {root!r})
from bench import run
import rrdsl
from rrdsl.report import outcome_json
contract = rrdsl.load({contract!r})
digest = hashlib.sha256()
for n, facts in enumerate(run.build_fact_sets(contract, 150)):
    data = outcome_json(contract.evaluate(facts, facts.as_of, explain=n % 3 == 0))
    digest.update(json.dumps(data, sort_keys=True, default=str).encode())
print(digest.hexdigest())
"""


def _digest(seed: str) -> str:
    code = SCRIPT.format(root=str(ROOT), contract=str(ROOT / "contracts" / "savvis_2001.rrd"))
    env = dict(os.environ, PYTHONHASHSEED=seed)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return done.stdout.strip()


def test_reports_are_the_same_whatever_the_hash_seed() -> None:
    assert _digest("0") == _digest("1") == _digest("7")
