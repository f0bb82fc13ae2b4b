"""Which build of the evaluation modules runs: compiled or the Python sources.

setup.py compiles `values`, `facts` (fact validation), `runtime`, `compiler` and `evaluator` to
C extensions with Cython (the same `.py` files, their meaning unchanged) and records the digest
of each source it compiled in `_compiled.json`.  A compiled module is used only while its source
is the one it was built from: in an editable install whose sources were edited since the last
build, the edited source runs (until `pip install -e .` builds again).  `RRDSL_PURE_PYTHON=1` runs the
sources whatever was built.  `build_info()` says which ran.  The choice is made when this
module is imported, which the package's `__init__` does before anything imports those modules.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

#: Compiled by setup.py, in the order they import each other.
COMPILED = ("values", "facts", "runtime", "compiler", "evaluator")
_HERE = Path(__file__).resolve().parent
_BUILD: dict[str, str] = {}
_AGAIN = "pip install -e . compiles it again"


def _extension(module: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = _HERE / f"{module}{suffix}"
        if path.is_file():
            return path
    return None


def _recorded() -> dict[str, str]:
    try:
        data = json.loads((_HERE / "_compiled.json").read_text(encoding="utf-8"))
        sources = data["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return sources if isinstance(sources, dict) else {}


def select() -> dict[str, str]:
    """Import each evaluation module from its compiled extension when that was built from
    the source as it is now, else from the source; returns, by module, "compiled" or why its
    source runs.  Called once, when this module is imported."""
    if _BUILD:
        return _BUILD
    pure = os.environ.get("RRDSL_PURE_PYTHON") == "1"
    recorded = {} if pure else _recorded()
    for module in COMPILED:
        source = _HERE / f"{module}.py"
        if _extension(module) is None:
            _BUILD[module] = "not compiled"  # Python imports the source as usual
            continue
        if pure:
            why = "RRDSL_PURE_PYTHON=1"
        elif source.is_file() and module not in recorded:
            why = f"no record of the source it was compiled from ({_AGAIN})"
        elif source.is_file() and recorded[module] != _digest(source):
            why = f"edited since it was compiled ({_AGAIN})"
        else:  # built from this source (or installed without its sources: only the build)
            _BUILD[module] = "compiled"
            continue
        _import_source(module, source)
        _BUILD[module] = why
    return _BUILD


def _digest(source: Path) -> str:
    """The digest of what a module is compiled from: its source and, if it has one, the .pxd
    that types it (the same digest as setup.py's)."""
    digest = hashlib.sha256(source.read_bytes())
    pxd = source.with_suffix(".pxd")
    if pxd.is_file():
        digest.update(b"\0pxd\0" + pxd.read_bytes())
    return digest.hexdigest()


def _import_source(module: str, source: Path) -> None:
    """Import `rrdsl.<module>` from its `.py` file where Python would take the extension."""
    name = f"{__package__}.{module}"
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        del sys.modules[name]
        raise
    setattr(sys.modules[__package__], module, loaded)


def build_info() -> dict[str, str]:
    """By evaluation module, "compiled" or why its Python source runs."""
    return dict(select())


def describe() -> str:
    """One line for `rrdsl --version`: whether the evaluation modules run compiled."""
    why: dict[str, list[str]] = {}
    for module, how in select().items():
        if how != "compiled":
            why.setdefault(how, []).append(module)
    if not why:
        return "evaluator compiled"
    return "; ".join(f"Python source for {', '.join(ms)}: {how}" for how, ms in why.items())


select()
