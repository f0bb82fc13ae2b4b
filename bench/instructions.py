"""Instructions per fact set, counted by valgrind's callgrind: figures that do not move with the
machine's speed, for comparing two builds of rrdsl (an A/B) where wall time moves by tens of
per cent from one minute to the next (docs/performance.md).

    python bench/instructions.py                        # this checkout's rrdsl
    python bench/instructions.py --rrdsl-from DIR       # the rrdsl package in DIR (a folder
                                                        # holding rrdsl/ and grammar/, e.g. an
                                                        # earlier commit's unpacked wheel)
    python bench/instructions.py validation evaluate    # some of the workloads only

Each figure is the difference between two processes run under callgrind, divided by the
number of fact sets: both load the contract, validate the generated fact sets
(bench/generate.py, seeded) and run the workload once over the first 50 of them (the
caches and the holiday tables warm); the second then runs it over all of them.  The
collector is off in both (when it runs would depend on the heap), PYTHONHASHSEED=0.
Instructions are not time — memory traffic is not counted, and the collector's passes over
what a batch keeps are left out — but a change that removes instructions removes work.

Workloads:

* validation      `parse_facts` of each fact set against the whole agreement
* evaluate        `Contract.evaluate(..., values=True)`, the whole agreement, outcomes dropped
* like-for-like   the engine deciding the baseline's four clauses on the slice, as figure (d)
                  of bench/run.py times it
* baseline        bench/baseline.py's decisions on the same fact sets

A workload run by hand: `python bench/instructions.py --run WORKLOAD --passes 0|1`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("validation", "evaluate", "like-for-like", "baseline")
FACT_SETS = 300
WARM = 50


def workload(name: str, passes: int, n: int = FACT_SETS) -> None:
    """Load, validate `n` generated fact sets, warm up on the first WARM, then run the
    workload `passes` times over all of them (the process callgrind counts), the collector
    paused throughout."""
    from bench import baseline, run
    from bench.generate import generate
    from rrdsl._gc import collector_paused
    from rrdsl.facts import parse_facts

    contract = run.load_slice()[0] if name in ("like-for-like", "baseline") \
        else run.load_contract()
    data = generate(n, run.SEED)

    def once(items: list[Any], raw: list[Any]) -> None:
        if name == "validation":
            for k, d in enumerate(raw):
                parse_facts(contract.ir, d, f"generated#{k}")
        elif name == "evaluate":
            for fs in items:
                contract.evaluate(fs, values=True)
        elif name == "like-for-like":
            run.clause_subset_all(contract, items)
        else:
            for fs in items:
                baseline.decide(fs, fs.as_of)

    with collector_paused():
        sets = [parse_facts(contract.ir, d, f"generated#{k}") for k, d in enumerate(data)]
        once(sets[:WARM], data[:WARM])
        for _ in range(passes):
            once(sets, data)


def _command(name: str, passes: int, subject: Path | None, n: int) -> list[str]:
    """The command line of one process running the workload."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run", name, "--passes",
           str(passes), "--fact-sets", str(n)]
    return cmd + (["--rrdsl-from", str(subject)] if subject is not None else [])


def counted(name: str, passes: int, subject: Path | None, n: int) -> int:
    """The instructions of one process running the workload under callgrind."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           *_command(name, passes, subject, n)],
                          capture_output=True, text=True, env=env, check=False)
    found = parse_total(done.stderr)
    if done.returncode != 0 or found is None:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise SystemExit(f"the {name} workload failed under callgrind:\n{tail}")
    return found


def parse_total(report: str) -> int | None:
    """The instruction total callgrind prints at the end of a run (`I refs: 1,234`)."""
    m = re.search(r"I\s+refs:\s+([\d,]+)", report)
    return int(m.group(1).replace(",", "")) if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                    help=f"some of: {', '.join(WORKLOADS)} (default: all)")
    ap.add_argument("--rrdsl-from", type=Path, metavar="DIR",
                    help="measure the rrdsl package in DIR instead of this checkout's")
    ap.add_argument("--fact-sets", type=int, default=FACT_SETS, metavar="N",
                    help=f"generated fact sets (default {FACT_SETS}; at least {WARM})")
    ap.add_argument("--run", choices=WORKLOADS, help=argparse.SUPPRESS)
    ap.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    for name in args.workloads:
        if name not in WORKLOADS:
            ap.error(f"unknown workload '{name}': choose from {', '.join(WORKLOADS)}")
    if args.rrdsl_from is not None:
        if not (args.rrdsl_from / "rrdsl" / "__init__.py").is_file():
            ap.error(f"--rrdsl-from {args.rrdsl_from}: no rrdsl package in that folder")
        sys.path.insert(0, str(args.rrdsl_from.resolve()))
    if str(ROOT) not in sys.path:
        sys.path.insert(1, str(ROOT))
    if args.fact_sets < WARM:
        ap.error(f"--fact-sets must be at least {WARM}")
    if args.run:
        workload(args.run, args.passes, args.fact_sets)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt install valgrind", file=sys.stderr)
        return 2

    import rrdsl

    subject = args.rrdsl_from.resolve() if args.rrdsl_from else None
    print(f"rrdsl from {Path(rrdsl.__file__).parent}; build: {rrdsl.build_info()}")
    print(f"instructions per fact set ({args.fact_sets} generated fact sets, callgrind):")
    figures = {}
    for name in args.workloads or WORKLOADS:
        # once without callgrind first: the parse cache and the bytecode are then warm for
        # both counted processes (a cold first one would count the parse)
        subprocess.run(_command(name, 0, subject, args.fact_sets), capture_output=True,
                       env=dict(os.environ, PYTHONHASHSEED="0"), check=False)
        before = counted(name, 0, subject, args.fact_sets)
        after = counted(name, 1, subject, args.fact_sets)
        figures[name] = (after - before) / args.fact_sets
        print(f"    {name:15} {figures[name]:>12,.0f}", flush=True)
    if "like-for-like" in figures and "baseline" in figures:
        ratio = figures["like-for-like"] / figures["baseline"]
        print(f"    like for like / baseline: {ratio:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
