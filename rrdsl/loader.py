"""Loader: a contract path → the parsed modules it consists of (itself and its imports).

Imports are resolved relative to the importing file and confined to the directory tree of the
main contract; each file is read once. What is asked of the file system goes through
rrdsl/files.py, which can log it (the cache of `rrdsl check`'s reports).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from . import ast, files
from .diagnostics import Diagnostic, SyntaxErrors
from .sourcetext import read_and_parse
from .variants import MAX_VARIANT_DEPTH, Composition, compose

MAX_IMPORTS = 64


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


#: Parses one file: (path, name to show, the editor's text or None to read the disk) → module.
ParseFile = Callable[[Path, str, "str | None"], ast.Module]


def load_modules(path: Path, texts: Mapping[Path, str] | None = None,
                 parse_file: ParseFile | None = None) -> list[ast.Module]:
    """Parse `path` and every file it imports, main module first. `texts` gives the text of
    files being edited (by resolved path) in place of what is on disk (the language server);
    `parse_file`, how to parse a file (the language server keeps files parsed before)."""
    path = Path(path)
    texts = texts or {}
    if not files.is_file(path) and path.resolve() not in texts:
        raise SyntaxErrors(Diagnostic("E110", f"no clause file at {path}",
                                      hints=("check the path; clause files end in .rrd",)))
    root = path.resolve().parent
    seen: dict[Path, ast.Module] = {}
    order: list[ast.Module] = []
    errors: list[Diagnostic] = []

    try:
        cwd: Path | None = Path.cwd().resolve()
    except OSError:
        cwd = None

    def display(real: Path) -> str:  # display_path, of a resolved path
        if cwd is not None and real.is_relative_to(cwd):
            return str(real.relative_to(cwd))
        return str(real)

    def visit(p: Path) -> None:
        real = files.real(p)
        if real in seen:
            return
        name = display(real) if p == real else display_path(p)
        if parse_file is not None:
            module = parse_file(p, name, texts.get(real))
        elif real in texts:
            from .parser import parse

            module = parse(texts[real], name)
        else:
            module = read_and_parse(p, name)
        seen[real] = module
        order.append(module)
        for imp in module.imports:
            target = files.real(real.parent / imp.path)
            if not target.is_relative_to(root):
                errors.append(Diagnostic(
                    "E205", f"import {imp.path!r} leaves the contract's directory tree", imp.span,
                    hints=(f"imports must stay inside {display(root)}",)))
                continue
            if not files.is_file(target) and target not in texts:
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


def load_composition(path: Path, texts: Mapping[Path, str] | None = None,
                     _root: Path | None = None, _chain: tuple[Path, ...] = (),
                     parse_file: ParseFile | None = None) -> Composition:
    """Parse `path` and its imports; for a variant or an amendment, load the base it names
    (relative to the file, inside the main file's directory tree) and apply the file to it.
    `texts` gives unsaved texts of files, as for `load_modules`."""
    path = Path(path)
    modules = load_modules(path, texts, parse_file)
    main = modules[0]
    header = main.header
    if header is None or header.base is None:
        if header is not None and header.kind == "amendment":
            raise SyntaxErrors(Diagnostic(
                "E111", "an amendment names the agreement it amends", header.span,
                hints=('add: amends "agreement.rrd"',)))
        return Composition(tuple(modules), {}, ())
    if header.kind == "amendment" and header.writing is None:
        raise SyntaxErrors(Diagnostic(
            "E111", "an amendment names its writing: the id of the signed writing in the facts",
            header.span, hints=('add: writing "amendment-1"',)))
    root = _root or path.resolve().parent
    real = files.real(path)
    target = files.real(real.parent / header.base)
    what = "variant of" if header.kind == "agreement" else "amends"
    if not target.is_relative_to(root):
        raise SyntaxErrors(Diagnostic(
            "E213", f"{what} {header.base!r} leaves the contract's directory tree",
            header.base_span, hints=(f"keep the base inside {display_path(root)}",)))
    if not files.is_file(target):
        raise SyntaxErrors(Diagnostic(
            "E213", f"{what} {header.base!r}: no such file", header.base_span,
            hints=("the path is relative to this clause file",)))
    if target == real or target in _chain:
        raise SyntaxErrors(Diagnostic(
            "E213", f"{what} {header.base!r}: the agreements are based on each other in a "
            "circle", header.base_span))
    if len(_chain) >= MAX_VARIANT_DEPTH:
        raise SyntaxErrors(Diagnostic(
            "E213", f"more than {MAX_VARIANT_DEPTH} agreements based one on another",
            header.base_span))
    base = load_composition(target, texts, root, (*_chain, real), parse_file)
    base_header = base.modules[0].header
    if base_header is not None and base_header.kind == "amendment":
        raise SyntaxErrors(Diagnostic(
            "E213", f"{header.base!r} is an amendment; name the agreement itself",
            header.base_span, hints=("an amendment is applied by loading it, not as a base",)))
    composed = compose(main, base, base_header)
    # imports of the variant itself come after the base's modules
    composed_files = {Path(m.file).resolve() for m in composed.modules}
    extra = tuple(m for m in modules[1:] if Path(m.file).resolve() not in composed_files)
    return attrs.evolve(composed, modules=(*composed.modules, *extra))
