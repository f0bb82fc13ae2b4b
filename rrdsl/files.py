"""Reading files from outside without trusting them: only regular files, never more than a
limit. A named pipe, a device (`/dev/zero`), a socket or a folder is refused at once instead
of blocking the reader or filling its memory; a file larger than the limit is refused after
reading one byte more than the limit, whatever its size.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any


class NotReadable(OSError):
    """A file that is not read: its `strerror` says why, in words for a diagnostic."""


class TooLarge(NotReadable):
    """A file larger than the limit: `size` is its size in bytes (at least limit + 1)."""

    def __init__(self, size: int, limit: int, more: bool = False):
        super().__init__(0, f"it is {'more than ' if more else ''}{size if not more else limit:,} "
                         f"bytes; the limit is {limit:,}")
        self.size = size


class FileLog:
    """What a computation asked of the file system, with the answers (see the module's text).
    `complete` is False when a file could not be read: a failure is not kept, its answer
    (why it failed) being more than the log says.  One is open at a time (`with FileLog()
    as log:`); a second opened inside it would leave the first without what it logs, and is
    refused."""

    __slots__ = ("reads", "links", "probes", "complete")

    def __init__(self) -> None:
        self.reads: dict[str, tuple[str, int, str]] = {}  # path → (real path, size, digest)
        self.links: dict[str, str] = {}  # path → the real path it resolved to
        self.probes: dict[str, bool] = {}  # path → whether it was a file
        self.complete = True

    def __enter__(self) -> FileLog:
        global _LOG
        if _LOG is not None:
            raise RuntimeError("a FileLog is open already: one logs at a time")
        _LOG = self
        return self

    def __exit__(self, *exc: object) -> None:
        global _LOG
        _LOG = None

    def as_json(self) -> dict[str, Any]:
        return {"reads": self.reads, "links": self.links, "probes": self.probes}


_LOG: FileLog | None = None  # the log open now, if any


def digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def is_file(path: Path | str) -> bool:
    """Whether `path` is a regular file (or a link to one), logged."""
    answer = os.path.isfile(path)
    if _LOG is not None:
        _LOG.probes[os.fspath(path)] = answer
    return answer


def real(path: Path) -> Path:
    """`path.resolve()`, logged: links followed, `..` removed, made absolute."""
    answer = path.resolve()
    if _LOG is not None:
        _LOG.links[os.fspath(path)] = os.fspath(answer)
    return answer


def read_limited(path: Path | str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them, logged. Raises
    OSError (its `strerror` says why) when the file cannot be opened, is not a regular file,
    or is larger than `limit` bytes (NotReadable)."""
    try:
        data = _read_limited(path, limit)
    except OSError:
        if _LOG is not None:
            _LOG.complete = False
        raise
    if _LOG is not None:
        _LOG.reads[os.fspath(path)] = (os.path.realpath(path), len(data), digest(data))
    return data


def _read_limited(path: Path | str, limit: int) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)  # O_NONBLOCK: opening a named pipe does not wait for a writer
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = ("a folder" if stat.S_ISDIR(st.st_mode) else
                    "a named pipe" if stat.S_ISFIFO(st.st_mode) else
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a file")
            raise NotReadable(0, f"it is {what}, not a regular file")
        if st.st_size > limit:
            raise TooLarge(st.st_size, limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # a file may grow while it is read
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise TooLarge(size, limit, more=True)
        return b"".join(chunks)
    finally:
        os.close(fd)


__all__ = ["FileLog", "NotReadable", "TooLarge", "digest", "is_file", "read_limited", "real"]


def read_utf8(path: Path, name: str, limit: int, code: str, what: str,
              error: type[Exception], *hints: str) -> str:
    """The text of a data file the user names (a fact file, a scenario file): a regular file
    of at most `limit` bytes, in UTF-8. Otherwise raises `error` (an RrdslError class) with
    one diagnostic of `code`: too large (`what`, then `hints`), unreadable, or the first byte
    that is not UTF-8, at its line and column (the text shown with the byte replaced)."""
    from .diagnostics import SOURCES, Diagnostic, Span, byte_position

    try:
        data = read_limited(path, limit)
    except TooLarge as exc:
        raise error(Diagnostic(code, f"the {what} is {exc.size:,} bytes; the limit is "
                               f"{limit:,}", Span.point(name, 1, 1), hints=hints)) from None
    except OSError as exc:
        raise error(Diagnostic(code, f"cannot read {name}: {exc.strerror}")) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = byte_position(data, exc.start)
        SOURCES.add(name, data.decode("utf-8", errors="replace").removeprefix("\ufeff"))
        raise error(Diagnostic(code, f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
                               Span.point(name, line, col),
                               hints=("save the file as UTF-8",))) from None
