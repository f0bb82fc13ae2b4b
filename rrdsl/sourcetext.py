"""What reading a clause file needs before (and without) the parser: its bytes decoded, the
grammar's keywords, comments, and the parse cache looked at first.

`rrdsl check` of files it has checked before takes every AST from the parse cache
(rrdsl/parsecache.py): then neither Lark nor the parser's module is imported (rrdsl/parser.py
is imported on the first file the cache does not hold).  rrdsl.parser re-exports these names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import attrs

from . import ast, parsecache
from .diagnostics import SOURCES, Diagnostic, Span, SyntaxErrors, byte_position

#: Documented limits (docs/language.md, "Limits").
MAX_FILE_BYTES = 1_000_000


@attrs.frozen
class Comment:
    """A `# comment` of the source (the grammar ignores them; the formatter keeps them)."""

    line: int
    col: int
    text: str  # from the '#' to the end of the line, trailing blanks removed
    own_line: bool  # nothing but blanks before it on its line


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, from `grammar/`.
    Read beside this module, not through `importlib.resources`, which takes ~5 ms to import
    (rrdsl is never run from a zip file: its evaluation modules may be C extensions)."""
    packaged = Path(__file__).parent / "grammar" / "rrdsl.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parent.parent / "grammar" / "rrdsl.lark").read_text(
        encoding="utf-8"
    )


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every word the grammar uses as a keyword (its string literals that look like words)."""
    words = re.findall(r'"([a-z_]+)"', grammar_text())
    return frozenset(words)


def decode_source(data: bytes, file: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise SyntaxErrors(Diagnostic(
            "E107", f"the file is {len(data):,} bytes; clause files are limited to "
            f"{MAX_FILE_BYTES:,} bytes", Span.point(file, 1, 1),
            hints=("split the agreement into several files joined with `import`",)))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = byte_position(data, exc.start)
        SOURCES.add(file, data.decode("utf-8", errors="replace").lstrip("\ufeff"))
        raise SyntaxErrors(Diagnostic(
            "E108", f"byte 0x{data[exc.start]:02x} is not valid UTF-8", Span.point(file, line, col),
            hints=("save the file as UTF-8",))) from None


def prepared(text: str, file: str) -> str:
    """The text as the parser reads it (without a byte order mark), its size checked and
    registered for diagnostics."""
    text = text.removeprefix("\ufeff")  # a byte order mark is not part of the first line
    SOURCES.add(file, text)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        decode_source(text.encode("utf-8"), file)
    return text


def read_and_parse(path: Path, display: str | None = None) -> ast.Module:
    """Read a clause file from disk (size and encoding checked) and parse it, or take its AST
    from the parse cache when its text has not changed since it was last parsed."""
    from .files import TooLarge, read_limited

    name = display or str(path)
    try:  # a regular file only, never more than the limit read (a pipe, /dev/zero: E110)
        data = read_limited(path, MAX_FILE_BYTES)
    except TooLarge as exc:
        raise SyntaxErrors(Diagnostic(
            "E107", f"the file is {exc.size:,} bytes; clause files are limited to "
            f"{MAX_FILE_BYTES:,} bytes", Span.point(name, 1, 1),
            hints=("split the agreement into several files joined with `import`",))) from None
    except OSError as exc:
        raise SyntaxErrors(Diagnostic("E110", f"cannot read {name}: {exc.strerror}")) from None
    text = prepared(decode_source(data, name), name)
    module = parsecache.load(name, text)
    if module is not None:
        return module
    from .parser import parse_new

    return parse_new(text, name)
