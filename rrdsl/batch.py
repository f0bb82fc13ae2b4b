"""Portfolios: many fact sets evaluated against the same agreements, one JSON line each.

    rrdsl eval CONTRACT... --batch DIR_OR_FILES... [--jobs N] [--format jsonl]

Evaluation is a pure function of (contracts, facts, date): `evaluate_text` is that function
for one fact set given as text, and `Evaluator` keeps the loaded contracts of one process.
`run` maps it over the inputs on N processes, in order, in bounded windows (a JSON Lines
file of millions of fact sets is never held in memory), and writes one line per fact set:
the result (`rrdsl.result/3`, or `rrdsl.results/3` for several agreements), or the errors
of a fact set that cannot be evaluated — the batch goes on. The same function runs on a
distributed engine (Dask, Spark) mapped over partitions: docs/performance.md.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

from .diagnostics import (
    SOURCES,
    Diagnostic,
    RrdslError,
    SourceRegistry,
    Span,
    UsageError,
    render_all,
)

SCHEMA = "rrdsl.batch/1"
#: fact sets sent to a worker at a time, and windows in flight per worker
CHUNK, WINDOWS_PER_JOB = 32, 4
#: a fact set (a file, or one line of a JSON Lines file) larger than this is refused
MAX_ITEM_BYTES = 10_000_000

Item = tuple[str, str, str, int]  # (source, text, kind "toml" | "json", line of the text)


class _OneLine(SourceRegistry):
    """The source of one JSON line, shown at its line of the file."""

    def __init__(self, file: str, line: int, text: str):
        super().__init__()
        self._file, self._line, self._text = file, line, text

    def line(self, file: str, line: int) -> str | None:
        return self._text if (file, line) == (self._file, self._line) else None


class Evaluator:
    """The agreements of a batch, loaded once per process."""

    def __init__(self, paths: Sequence[Path], as_of: datetime.date | None,
                 values: bool = True):
        from .api import load

        self.contracts = [load(p) for p in paths]
        self.as_of = as_of
        self.values = values

    def evaluate_text(self, source: str, text: str, kind: str = "toml",
                      line: int = 1) -> dict[str, Any]:
        """One fact set as text: its result, or its errors, as one JSON-ready object."""
        from .api import evaluate_family_with
        from .report import family_json, outcome_json

        name = source if line == 1 and kind != "jsonl" else f"{source}:{line}"
        kind = "json" if kind == "jsonl" else kind
        try:
            if len(text.encode("utf-8")) > MAX_ITEM_BYTES:
                raise RrdslError(Diagnostic(
                    "E510", f"the fact set is more than {MAX_ITEM_BYTES:,} bytes",
                    Span.point(source, line, 1)))
            outcomes = evaluate_family_with(
                self.contracts,
                lambda c, foreign: c.facts_from_text(text, kind, name, foreign=foreign),
                self.as_of, values=self.values)
            data = (outcome_json(outcomes[0]) if len(outcomes) == 1
                    else family_json(outcomes))
            if name != source:  # a line of a JSON Lines file: places in the file
                for result in data.get("results", [data]):
                    for w in result["warnings"]:
                        at = w["location"]
                        if at is not None and at["file"] == name:
                            at["file"], at["line"] = source, at["line"] + line - 1
            return {"schema": SCHEMA, "source": name, "ok": True, "result": data}
        except RrdslError as err:
            return {"schema": SCHEMA, "source": name, "ok": False,
                    "error": _error_json(err, name, source, line, text)}
        except RecursionError:
            return {"schema": SCHEMA, "source": name, "ok": False,
                    "error": {"kind": "evaluation", "diagnostics": [], "text":
                              f"{name}: error: the fact set is nested too deeply to read"}}
        finally:
            SOURCES.forget(name)


def _error_json(err: RrdslError, name: str, source: str, line: int,
                text: str) -> dict[str, Any]:
    """The diagnostics of a fact set that cannot be evaluated; a JSON line's positions are
    moved to its line of the file."""
    diags = list(err.diagnostics)
    registry: SourceRegistry = SOURCES
    if name != source:  # one line of a JSON Lines file
        import attrs

        def moved(sp: Span | None) -> Span | None:
            if sp is None or sp.file != name:
                return sp
            return Span(source, sp.line + line - 1, sp.col, sp.end_line + line - 1, sp.end_col)

        diags = [attrs.evolve(d, span=moved(d.span)) for d in diags]
        registry = _OneLine(source, line, text.rstrip("\r\n"))
    return {"kind": err.kind,
            "diagnostics": [{"code": d.code, "severity": d.severity.value,
                             "message": d.message,
                             "file": d.span.file if d.span else None,
                             "line": d.span.line if d.span else None,
                             "column": d.span.col if d.span else None,
                             "expected": d.expected, "hints": list(d.hints)}
                            for d in diags],
            "text": render_all(diags, registry)}


# ── the inputs ──────────────────────────────────────────────────────────────


def inputs(paths: Sequence[Path]) -> list[Path]:
    """The fact files and JSON Lines files named: a folder gives every .toml, .json and
    .jsonl file under it (scenario files aside), sorted. A name that is neither is a usage
    error."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.rglob("*")
                           if f.is_file() and f.suffix.lower() in (".toml", ".json", ".jsonl")
                           and not f.name.endswith(".scenario.toml"))
            if not found:
                raise UsageError(Diagnostic(
                    "E704", f"no fact files in {p}",
                    hints=("a batch reads .toml and .json fact files and .jsonl files of fact "
                           "sets, one JSON object a line",)))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise UsageError(Diagnostic("E704", f"no such file or folder: {p}",
                                        hints=("give fact files, JSON Lines files or folders "
                                               "of them after --batch",)))
    return out


def items(files: Iterable[Path]) -> Iterator[Item]:
    """Each fact set of the files, in order, read lazily: a fact file is one, a JSON Lines
    file one per non-blank line."""
    from .files import read_limited
    from .loader import display_path

    for f in files:
        name = display_path(f)
        if f.suffix.lower() == ".jsonl":
            try:
                handle = f.open(encoding="utf-8", errors="replace", newline="")
            except OSError as exc:
                yield name, f"\0cannot read {name}: {exc.strerror}", "error", 1
                continue
            with handle:
                for n, line in enumerate(handle, 1):
                    if line.strip():
                        yield name, line, "jsonl", n
            continue
        try:  # a regular file, never more than the limit read (TooLarge is an OSError)
            data = read_limited(f, MAX_ITEM_BYTES)
            text = data.decode("utf-8").removeprefix("\ufeff")
        except OSError as exc:
            yield name, f"\0cannot read {name}: {exc.strerror}", "error", 1
            continue
        except UnicodeDecodeError:
            yield name, f"\0{name} is not UTF-8 text", "error", 1
            continue
        yield name, text, "json" if f.suffix.lower() == ".json" else "toml", 1


def count_items(files: Sequence[Path]) -> int:
    """How many fact sets the files hold (for the progress bar)."""
    total = 0
    for f in files:
        if f.suffix.lower() != ".jsonl":
            total += 1
            continue
        try:
            with f.open("rb") as h:
                total += sum(1 for line in h if line.strip())
        except OSError:
            total += 1
    return total


# ── running ─────────────────────────────────────────────────────────────────

_WORKER: Evaluator | None = None


def _init(paths: Sequence[Path], as_of: datetime.date | None, values: bool) -> None:
    global _WORKER
    _WORKER = Evaluator(paths, as_of, values)


def _chunk(batch: list[Item]) -> list[tuple[bool, str]]:
    assert _WORKER is not None
    return [_line(_WORKER, item) for item in batch]


def _line(ev: Evaluator, item: Item) -> tuple[bool, str]:
    """(whether the fact set was evaluated, its JSON line)."""
    source, text, kind, line = item
    if kind == "error":
        out: dict[str, Any] = {"schema": SCHEMA, "source": source, "ok": False,
                               "error": {"kind": "facts", "diagnostics": [],
                                         "text": f"{source}: error[E510]: {text[1:]}"}}
    else:
        out = ev.evaluate_text(source, text, kind, line)
    return bool(out["ok"]), json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def result_line(ev: Evaluator, source: str, text: str, line: int = 1,
                kind: str = "jsonl") -> str:
    """The JSON line `rrdsl eval --batch` writes for one fact set (`kind`: "jsonl" for a
    line of a JSON Lines file, "json" or "toml" for a whole fact file) — the function a
    distributed engine maps over partitions (bench/dask_batch.py)."""
    return _line(ev, (source, text, kind, line))[1]


def run(contracts: Sequence[Path], files: Sequence[Path], out: IO[str],
        as_of: datetime.date | None = None, jobs: int = 1, values: bool = True,
        progress: bool = False) -> tuple[int, int]:
    """Evaluate every fact set of the files; write one JSON line each, in input order.
    Returns (fact sets, fact sets that could not be evaluated)."""
    bar = _bar(count_items(files)) if progress else None
    done = failed = 0

    def emit(lines: list[tuple[bool, str]]) -> None:
        nonlocal done, failed
        for ok, text in lines:
            out.write(text + "\n")
            failed += not ok
        done += len(lines)
        if bar is not None:
            bar.update(len(lines))

    try:
        if jobs <= 1:
            ev = Evaluator(contracts, as_of, values)
            for item in items(files):
                emit([_line(ev, item)])
        else:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_init,
                                     initargs=(list(contracts), as_of, values)) as pool:
                window: deque[Future[list[tuple[bool, str]]]] = deque()
                for batch in _batches(items(files), CHUNK):
                    window.append(pool.submit(_chunk, batch))
                    if len(window) >= jobs * WINDOWS_PER_JOB:
                        emit(window.popleft().result())
                while window:
                    emit(window.popleft().result())
    finally:
        if bar is not None:
            bar.close()
    return done, failed


def _batches(source: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in source:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit=" fact sets", file=sys.stderr, dynamic_ncols=True,
                smoothing=0.1)


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
