"""A cache of parsed clause files: a file read from disk whose text has not changed since it was
last parsed gets its AST back without being parsed again.

Parsing is most of the time of `rrdsl check` (Lark reads about 15,000 lines a second here, and
the 2001 agreement is 2,800 lines in six files); reading an AST back takes a tenth of that.

* **Where.** `$XDG_CACHE_HOME/rrdsl/` (else `~/.cache/rrdsl/`), the folder of the Lark parser
  cache, made private (0700) (rrdsl/cachedir.py). One entry per clause file (by path),
  replaced when the file's text changes; an entry records a digest of the text it was
  parsed from and is used only for that text, and a digest of itself (a damaged entry is a
  miss). At most `MAX_ENTRIES` entries are kept (the least recently written go first).
  `RRDSL_NO_PARSE_CACHE=1` turns the cache off (and the cache of `rrdsl check`'s reports,
  rrdsl/checkcache.py, which would spare the parse); deleting the folder empties it.
* **Which parser.** The key includes a digest of the grammar and of the source code of the
  parser, the AST and this module, so a different rrdsl never reads another's entries.
* **Safe.** An entry is JSON, read back only into the AST's own classes (a name that is not one
  of them, or anything malformed, makes the entry a miss and the file is parsed). Nothing in it
  is executed. Like Lark's cache beside it, the folder is trusted to hold what rrdsl wrote:
  it is private to its user, and entries are replaced whole (written aside, then renamed).
  Only files that parse without error are stored, and only files read from disk: text being
  edited (the language server) is parsed every time.
* **Never in the way.** A folder that cannot be made or written, an entry that cannot be read
  or written: the file is parsed as if there were no cache.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs

from . import ast, cachedir
from .diagnostics import Span

FORMAT = 1
#: An entry larger than this is not read (the largest clause file allowed, 1 MB, makes ~6 MB).
MAX_ENTRY_BYTES = 64_000_000
#: Entries kept: when a new one passes this, the least recently written are removed.
MAX_ENTRIES = 500


def enabled() -> bool:
    return os.environ.get("RRDSL_NO_PARSE_CACHE", "") in ("", "0")


@lru_cache(maxsize=1)
def _classes() -> dict[str, type]:
    """The classes an entry may name: the AST's nodes, spans and comments."""
    from .sourcetext import Comment

    found: dict[str, type] = {c.__name__: c for c in vars(ast).values()
                              if isinstance(c, type) and attrs.has(c)
                              and c.__module__ == ast.__name__}
    found["Span"] = Span
    found["Comment"] = Comment
    return found


@lru_cache(maxsize=1)
def _fingerprint() -> str | None:
    """A digest of what decides the AST of a text and its form in an entry: the grammar, the
    parser's code and this module's."""
    import importlib.util

    from . import sourcetext

    h = hashlib.sha256(f"rrdsl-parse-cache {FORMAT}\n".encode())
    h.update(sourcetext.grammar_text().encode())
    # the sources of the modules that make an AST (the parser's found, not imported: a file
    # taken from the cache needs no parser)
    for module in ("ast", "parser", "sourcetext", "diagnostics", "parsecache", "numwords"):
        spec = importlib.util.find_spec(f"{__package__}.{module}")
        try:
            h.update(Path(spec.origin if spec and spec.origin else "").read_bytes())
        except OSError:
            return None  # no source to vouch for the entries: no cache
    return h.hexdigest()


def _entry(file: str) -> Path | None:
    if not enabled():
        return None
    fingerprint = _fingerprint()
    where = cachedir.folder() if fingerprint is not None else None
    if where is None:
        return None
    digest = hashlib.sha256(f"{fingerprint}\n{file}".encode()).hexdigest()[:32]
    return where / f"ast-{digest}.json"


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ── the JSON form of an AST ─────────────────────────────────────────────────
#
# A node is {"@": class name, "f": [its fields, in order]}; a tuple {"t": [...]}; a Decimal
# {"d": "1.5"}; a date {"D": "2001-02-20"}; strings, integers, booleans and none as themselves.


def encode(x: Any) -> Any:
    t = type(x)
    if x is None or t is str or t is int or t is bool:
        return x
    if t is tuple:
        return {"t": [encode(v) for v in x]}
    if attrs.has(t):
        return {"@": t.__name__, "f": [encode(getattr(x, a.name)) for a in attrs.fields(t)]}
    if t is Decimal:
        return {"d": str(x)}
    if t is datetime.date:
        return {"D": x.isoformat()}
    raise TypeError(f"cannot cache a {t.__name__}")


def decode(text: str) -> Any:
    classes = _classes()

    def hook(d: dict[str, Any]) -> Any:
        if "@" in d:
            return classes[d["@"]](*d["f"])  # KeyError: not a class of the AST
        if "t" in d:
            return tuple(d["t"])
        if "d" in d:
            return Decimal(d["d"])
        if "D" in d:
            return datetime.date.fromisoformat(d["D"])
        return d

    return json.loads(text, object_hook=hook)


# ── reading and writing entries ─────────────────────────────────────────────


def load(file: str, text: str) -> ast.Module | None:
    """The AST stored for this file and text, or None."""
    path = _entry(file)
    if path is None:
        return None
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        data = path.read_text(encoding="utf-8")
        head, _, body = data.partition("\n")
        if head != f"{_text_digest(text)} {_text_digest(body)}":
            return None  # the file has changed since (or the entry is damaged)
        module = decode(body)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None  # unreadable or malformed: parse the file
    return module if isinstance(module, ast.Module) else None


def store(file: str, text: str, module: ast.Module) -> None:
    """Keep the AST of this file's text (silently nothing when the cache cannot be written)."""
    path = _entry(file)
    if path is None:
        return
    try:
        body = json.dumps(encode(module), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return
    # the digests of the text parsed and of the entry itself
    if cachedir.write_whole(path, f"{_text_digest(text)} {_text_digest(body)}\n{body}", "ast"):
        cachedir.prune(path.parent, "ast-*.json", MAX_ENTRIES)
