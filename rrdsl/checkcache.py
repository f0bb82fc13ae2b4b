"""A cache of `rrdsl check`'s reports: a clause file checked before, when nothing its check
read has changed since, gets the same report again without being loaded or checked.

Linters keep such caches (ruff, mypy, ESLint's `--cache`). A warm `rrdsl check` of the 2001
agreement spends most of its time importing the parser's, checker's and lints' modules and
reading six ASTs back from the parse cache; answered from here it imports next to nothing of
rrdsl (docs/performance.md, issue 20's target (h)).

* **What an entry holds.** While a file is checked, rrdsl/files.py logs every question the
  check asks of the file system (`files.FileLog`): each file read (its real path, its size
  and a digest of its bytes), each path resolved (the real path it gave) and each probe for
  a file (an import, a base agreement, the agreement's text: there or not). The entry keeps
  that log and the report: what was written to standard output and to standard error, in
  order, and the exit status. A check that could not read a file it wanted keeps no entry.
* **When it is used.** By the program `rrdsl check` (`cli.run`, not `cli.main` called within
  a process), when its arguments are clause files and at most `--strict`. Each file's entry is
  found by the rrdsl that wrote it (the name, size and time of every file of the package and
  of the grammar, and the Python), the current folder, the path as written and `--strict`;
  it is used only when every file in its log has the same real path, size and bytes, every
  path resolves as it did, and every probe has the same answer. When one file's entry is
  missing or stale, every file named is checked as usual and its entry written again.
* **Where, and off.** In the folder of the parse cache (rrdsl/cachedir.py), at most
  `MAX_ENTRIES` entries. `RRDSL_NO_CHECK_CACHE=1` turns it off; so does
  `RRDSL_NO_PARSE_CACHE=1` (a check then parses every file, as that switch promises).
* **Safe.** An entry is JSON of strings and numbers with a digest of itself (a damaged entry is
  a miss); nothing in it is executed, and it is read only from the private cache folder.

Imports nothing that the answer from an entry does not need: not the parser, the AST, the
checker, attrs or Lark.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import cachedir, files

FORMAT = 1
#: Entries kept: when a new one passes this, the least recently written are removed.
MAX_ENTRIES = 500
#: An entry larger than this is not read (a report of every diagnostic a large file can have).
MAX_ENTRY_BYTES = 16_000_000
#: Where a report's text goes: standard output or standard error.
STDOUT, STDERR = 1, 2

Report = list[tuple[int, str]]


def enabled() -> bool:
    return all(os.environ.get(v, "") in ("", "0")
               for v in ("RRDSL_NO_CHECK_CACHE", "RRDSL_NO_PARSE_CACHE"))


@lru_cache(maxsize=1)
def _fingerprint() -> str:
    """Which rrdsl and Python: the name, size and modification time of each file of the
    package (its modules, compiled or not, and data) and of the grammar."""
    here = Path(__file__).resolve().parent
    seen: list[tuple[str, int, int]] = []
    for where in (here, here / "grammar", here.parent / "grammar"):
        try:
            with os.scandir(where) as entries:
                for e in entries:
                    if e.is_file():
                        st = e.stat()
                        seen.append((e.path, st.st_size, st.st_mtime_ns))
        except OSError:
            continue
    seen.sort()
    return files.digest(json.dumps([FORMAT, sys.version, seen]).encode())


def _key(file: str, strict: bool) -> list[Any]:
    return [_fingerprint(), os.getcwd(), file, strict]


def _entry(key: list[Any]) -> Path | None:
    where = cachedir.folder()
    if where is None:
        return None
    return where / f"check-{files.digest(json.dumps(key).encode())[:32]}.json"


def _unchanged(log: dict[str, Any]) -> bool:
    """Whether every question of the log gets the answer it got."""
    for path, real in log["links"].items():
        if os.path.realpath(path) != real:
            return False
    for path, was_file in log["probes"].items():
        if os.path.isfile(path) != was_file:
            return False
    for path, (real, size, digest) in log["reads"].items():
        if os.path.realpath(path) != real:
            return False
        try:
            data = files.read_limited(path, size)  # a file grown since is not read through
        except OSError:
            return False
        if files.digest(data) != digest:
            return False
    return True


def _recalled(file: str, strict: bool) -> tuple[Report, int] | None:
    """The report kept for this file, if nothing it depends on has changed."""
    try:
        key = _key(file, strict)
        path = _entry(key)
        if path is None or path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        head, _, body = path.read_text(encoding="utf-8").partition("\n")
        if head != files.digest(body.encode()):
            return None  # damaged
        data = json.loads(body)
        if data["key"] != key or not _unchanged(data["log"]):
            return None
        report = [(int(stream), str(text)) for stream, text in data["report"]]
        status = int(data["status"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no entry, or not one of ours
    if any(stream not in (STDOUT, STDERR) for stream, _ in report):
        return None
    return report, status


def answers(file: str) -> bool:
    """Whether this cache keeps the reports of the file: clause files, not scenario files
    (whose checks read facts and scenarios more ways than rrdsl/files.py logs)."""
    return not file.endswith(".toml")


def replay(words: Sequence[str]) -> int | None:
    """Answer `rrdsl check WORDS` from the cache: write each file's report as kept and return
    the exit status; or None, having written nothing, when the command is not one this cache
    answers or a file's entry is missing or stale."""
    if not enabled():
        return None
    strict, named = False, []
    for w in words:
        if w == "--strict":
            strict = True
        elif w.startswith("-") or not answers(w):
            return None  # another option, or a scenario file: check as usual
        else:
            named.append(str(Path(w)))  # as argparse's `type=Path` gives it to the check
    if not named:
        return None
    reports = []
    for f in named:
        got = _recalled(f, strict)
        if got is None:
            return None
        reports.append(got)
    for report, _ in reports:
        write(report)
    return max(status for _, status in reports)


def write(report: Report) -> None:
    for stream, text in report:
        (sys.stdout if stream == STDOUT else sys.stderr).write(text)


def store(file: str, strict: bool, log: files.FileLog, report: Report, status: int) -> None:
    """Keep this file's report with the log of its check (silently nothing when the log is
    incomplete or the cache cannot be written)."""
    if not log.complete or not answers(file) or not enabled():
        return
    try:
        key = _key(file, strict)
        path = _entry(key)
        if path is None:
            return
        body = json.dumps({"key": key, "log": log.as_json(), "report": report,
                           "status": status}, ensure_ascii=False, separators=(",", ":"))
        head = files.digest(body.encode())
    except (OSError, ValueError):  # no current folder; a lone surrogate in the report
        return
    if cachedir.write_whole(path, f"{head}\n{body}", "check"):
        cachedir.prune(path.parent, "check-*.json", MAX_ENTRIES)


__all__ = ["MAX_ENTRIES", "answers", "enabled", "replay", "store", "write"]
