"""rrdsl: a declarative contract language and interpreter for Registration Rights Agreements.

Pipeline: parser (text → ast) → checker (ast → ir) → compiler (ir → plan of closures)
→ evaluator (plan × facts × as-of → outcome); report renders outcomes for people and tools.
The evaluation modules run compiled when the installation built them (`build_info()`).
"""

from ._accel import build_info  # first: it picks the compiled evaluation modules or sources
from .api import Contract, FactSet, NormResult, Outcome, ValueResult, check, load
from .diagnostics import Diagnostic, RrdslError

__version__ = "0.1.0"

__all__ = ["Contract", "Diagnostic", "FactSet", "NormResult", "Outcome", "RrdslError",
           "ValueResult", "__version__", "build_info", "check", "load"]
