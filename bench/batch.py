"""Scaling of a portfolio batch with processes: one command, medians and ratios from one run.

    python bench/batch.py                # 2,000 fact sets, 3 runs per job count
    python bench/batch.py --sets 500 --runs 1

Writes the generated fact sets (bench/generate.py, seeded) to a JSON Lines file, then times
the whole command `rrdsl eval contracts/savvis_2001.rrd --batch FILE --jobs N` (a subprocess:
start-up, loading, fact validation, evaluation with derived values, and writing every JSON
line included) for N = 1 … the cores this process may use, and prints the median wall time,
fact sets per second and the speed-up over one process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def _plain(v: Any) -> Any:
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (int, bool, str)) or v is None:
        return v
    return str(v)  # Decimal and Fraction as exact text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    with tempfile.TemporaryDirectory() as td:
        path = Path(td) / "sets.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for data in generate(args.sets):
                f.write(json.dumps(_plain(data)) + "\n")
        rrdsl = [sys.executable, "-m", "rrdsl", "eval", str(ROOT / "contracts/savvis_2001.rrd"),
                 "--batch", str(path)]
        print(f"rrdsl eval --batch: {args.sets:,} fact sets, {args.runs} run(s) per job count, "
              f"{cores} core(s)")
        base = None
        for jobs in range(1, cores + 1):
            times, failed = [], 0
            for _ in range(args.runs):
                t0 = time.perf_counter()
                out = subprocess.run([*rrdsl, "--jobs", str(jobs)], capture_output=True,
                                     text=True, cwd=ROOT)
                times.append(time.perf_counter() - t0)
                lines = out.stdout.splitlines()
                if len(lines) != args.sets:
                    print(f"  --jobs {jobs}: {len(lines)} lines for {args.sets} fact sets\n"
                          f"{out.stderr}", file=sys.stderr)
                    return 1
                failed = sum(1 for ln in lines if '"ok":false' in ln[:200])
            median = statistics.median(times)
            base = base or median
            print(f"  --jobs {jobs}: median {median:6.2f} s  {args.sets / median:7,.0f} fact "
                  f"sets/s  speed-up {base / median:4.2f}×"
                  + (f"  ({failed} could not be evaluated)" if failed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
