"""rrdsl: a declarative contract language and interpreter for Registration Rights Agreements.

Pipeline: parser (text → ast) → checker (ast → ir) → compiler (ir → plan of closures)
→ evaluator (plan × facts × as-of → outcome); report renders outcomes for people and tools.
The evaluation modules run compiled when the installation built them (`build_info()`).

The public names below are imported when first used (PEP 562): `rrdsl check` needs the
parser and the checker, not the compiler and the evaluator, and starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._accel import build_info  # first: it picks the compiled evaluation modules or sources

if TYPE_CHECKING:
    from .api import Contract, FactSet, NormResult, Outcome, ValueResult, check, load
    from .diagnostics import Diagnostic, RrdslError

__version__ = "0.1.0"

__all__ = ["Contract", "Diagnostic", "FactSet", "NormResult", "Outcome", "RrdslError",
           "ValueResult", "__version__", "build_info", "check", "load"]

_FROM = {"Contract": "api", "FactSet": "api", "NormResult": "api", "Outcome": "api",
         "ValueResult": "api", "check": "api", "load": "api", "Diagnostic": "diagnostics",
         "RrdslError": "diagnostics"}


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module 'rrdsl' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
