"""The folder of rrdsl's caches — Lark's parser tables (rrdsl/parser.py), parsed clause files
(rrdsl/parsecache.py), reports of `rrdsl check` (rrdsl/checkcache.py) — and how an entry is
written into it and old entries pruned.

`$XDG_CACHE_HOME/rrdsl/` (else `~/.cache/rrdsl/`), made private (0700). An entry is written
aside and renamed into place, so a reader sees it whole or not at all, also when two
processes write it. A folder that cannot be made or written is no cache: nothing fails.
Imports nothing of rrdsl's, so that a check answered from its cache imports little.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def folder() -> Path | None:
    """The cache folder, made if needed; None when it cannot be made or written."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "rrdsl")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return Path(path) if os.access(path, os.W_OK) else None


def write_whole(path: Path, text: str, prefix: str) -> bool:
    """Write `text` to `path` whole or not at all; False when it could not be written."""
    import tempfile  # only to write: a warm start only reads

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{prefix}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError):
        return False
    return True


def prune(where: Path, pattern: str, keep: int) -> None:
    """Keep at most `keep` of the entries matching `pattern` (the least recently written go
    first): clause files in temporary folders each leave entries."""
    try:
        entries = [(p.stat().st_mtime, p) for p in where.glob(pattern)]
    except OSError:
        return
    if len(entries) <= keep:
        return
    entries.sort()
    for _, p in entries[:len(entries) - keep]:
        with contextlib.suppress(OSError):
            p.unlink()


__all__ = ["folder", "prune", "write_whole"]
