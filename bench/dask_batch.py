"""A portfolio on a distributed engine: the batch of `rrdsl eval --batch`, mapped by Dask.

    pip install "dask[bag]"
    python bench/dask_batch.py FACT_SETS.jsonl OUT_DIR [--contract contracts/savvis_2001.rrd]

Evaluation is a pure function of (contracts, facts, date), so a portfolio of millions of fact
sets is a map over partitions: each partition loads the agreements once (`Evaluator`) and
turns each JSON line into its result line, exactly the line `rrdsl eval --batch` writes. Here
Dask runs it on this machine's processes; pointed at a cluster (dask.distributed.Client), the
same code runs there, the clause files shipped with the job. A Spark job is the same shape:
`spark.read.text(path).rdd.mapPartitions(evaluate_partition)`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from rrdsl.batch import Evaluator, result_line


def evaluate_partition(lines: Iterable[str], contracts: list[str]) -> Iterator[str]:
    """One partition of JSON lines (each a fact set) → their result lines, in order."""
    ev = Evaluator([Path(c) for c in contracts], as_of=None)
    for n, line in enumerate(lines, 1):
        if line.strip():
            yield result_line(ev, "partition", line, n)


def main() -> int:
    import dask
    import dask.bag as db

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("facts", help="a JSON Lines file of fact sets (or a glob of them)")
    ap.add_argument("out", help="a folder for the result files, one per partition")
    ap.add_argument("--contract", action="append", default=None,
                    help="clause file (repeatable; default contracts/savvis_2001.rrd)")
    ap.add_argument("--blocksize", default="4MB", help="bytes of input a partition reads")
    args = ap.parse_args()
    contracts = [str(Path(c).resolve()) for c in
                 (args.contract or ["contracts/savvis_2001.rrd"])]
    bag = db.read_text(args.facts, blocksize=args.blocksize)
    results = bag.map_partitions(evaluate_partition, contracts)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    with dask.config.set(scheduler="processes"):
        written = results.to_textfiles(str(Path(args.out) / "part-*.jsonl"))
    print(f"{bag.npartitions} partition(s) evaluated; results in {len(written)} file(s) "
          f"under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
