"""Loader: a contract path → the parsed modules it consists of (itself and its imports).

Imports are resolved relative to the importing file and confined to the directory tree of the
main contract; each file is read once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from . import ast
from .diagnostics import Diagnostic, SyntaxErrors
from .parser import parse, read_and_parse

MAX_IMPORTS = 64


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_modules(path: Path, texts: Mapping[Path, str] | None = None) -> list[ast.Module]:
    """Parse `path` and every file it imports, main module first. `texts` gives the text of
    files being edited (by resolved path) in place of what is on disk (the language server)."""
    path = Path(path)
    texts = texts or {}
    if not path.is_file() and path.resolve() not in texts:
        raise SyntaxErrors(Diagnostic("E110", f"no clause file at {path}",
                                      hints=("check the path; clause files end in .rrd",)))
    root = path.resolve().parent
    seen: dict[Path, ast.Module] = {}
    order: list[ast.Module] = []
    errors: list[Diagnostic] = []

    def visit(p: Path) -> None:
        real = p.resolve()
        if real in seen:
            return
        module = (parse(texts[real], display_path(p)) if real in texts
                  else read_and_parse(p, display_path(p)))
        seen[real] = module
        order.append(module)
        for imp in module.imports:
            target = (real.parent / imp.path).resolve()
            if not target.is_relative_to(root):
                errors.append(Diagnostic(
                    "E205", f"import {imp.path!r} leaves the contract's directory tree", imp.span,
                    hints=(f"imports must stay inside {display_path(root)}",)))
                continue
            if not target.is_file() and target not in texts:
                errors.append(Diagnostic("E205", f"import {imp.path!r}: no such file", imp.span,
                                         hints=("paths are relative to the importing file",)))
                continue
            if len(seen) >= MAX_IMPORTS:
                errors.append(Diagnostic("E205", f"more than {MAX_IMPORTS} imported files",
                                         imp.span))
                return
            visit(target)

    visit(path)
    if errors:
        raise SyntaxErrors(errors)
    return order
