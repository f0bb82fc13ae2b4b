"""Build: the evaluation modules compiled to C extensions by Cython, when a C compiler is there.

The package is pure Python and stays so: Cython compiles the same `.py` files (no Cython
syntax; the evaluator's result classes carry two decorators of Cython's pure-Python mode,
`@cython.no_gc` and `@cython.cclass`, which do nothing without Cython), and an installation
without a C compiler gets the pure-Python modules (the extensions are optional).  Everything
else about the package is in pyproject.toml.
`RRDSL_PURE_PYTHON=1` at build time builds no extension.

Types, for the compiled build only: an augmenting `.pxd` beside a module (runtime.pxd,
evaluator.pxd, compiler.pxd) makes some of its classes C structs (extension types), and the
modules in TYPED are compiled with their annotations read as types (`ctx: Ctx` is the struct,
`env: dict[str, Any]` a dict; an argument of another type is refused with a TypeError, where
the Python source would take it).  mypy --strict checks every call in the package against
those annotations, tests/test_compiled.py that no `float` (a C double for Cython) is among
them and that the compiled build answers exactly as the sources do.

The compiled modules record the digest of the source (and .pxd) they were built from
(`rrdsl/_compiled.json`): an editable install whose sources were edited since the build runs
the edited sources (rrdsl/_accel.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
#: The modules that validate facts and run an evaluation, compiled (the same list as
#: rrdsl/_accel.py's).
COMPILED = ("values", "facts", "runtime", "compiler", "evaluator")
#: Compiled with their annotations read as types (runtime is typed by its .pxd alone: its
#: annotations are not all Cython's types).
TYPED = ("compiler", "evaluator")
DIRECTIVES = {
    "language_level": 3,
    "binding": True,  # functions keep their Python signatures, names and docstrings
}


class BuildExt(build_ext):
    """Builds the extensions, then records the digest of each source they were built from
    beside them; a failed build leaves the pure-Python package and no record."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:  # one C compiler a core: compiler.c alone takes ~20 s
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        self.compiled: list[str] = []
        super().run()
        built = {m: _digest(m) for m in COMPILED if f"rrdsl.{m}" in self.compiled}
        if not built:
            return
        record = json.dumps({"sources": built}, indent=2, sort_keys=True) + "\n"
        targets = [Path(self.build_lib, "rrdsl", "_compiled.json")]
        if self.inplace:
            targets.append(ROOT / "rrdsl" / "_compiled.json")
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(record, encoding="utf-8")

    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "unix":  # gcc or clang: no debug information (a
            for ext in self.extensions:  # seventh of the size), -O2 (as fast here as -O3)
                ext.extra_compile_args = [*ext.extra_compile_args, "-O2", "-g0"]
        super().build_extensions()

    def build_extension(self, ext: Extension) -> None:
        super().build_extension(ext)  # an optional extension that fails raises: not recorded
        self.compiled.append(ext.name)


def _digest(module: str) -> str:
    """The digest of what a module is compiled from: its source and, if it has one, the .pxd
    that types it (the same digest as rrdsl/_accel.py's)."""
    digest = hashlib.sha256((ROOT / "rrdsl" / f"{module}.py").read_bytes())
    pxd = ROOT / "rrdsl" / f"{module}.pxd"
    if pxd.is_file():
        digest.update(b"\0pxd\0" + pxd.read_bytes())
    return digest.hexdigest()


def _extensions() -> list[Extension]:
    if os.environ.get("RRDSL_PURE_PYTHON") == "1":
        return []
    from Cython.Build import cythonize

    extensions = [ext for m in COMPILED for ext in cythonize(  # one at a time: TYPED or not
        [Extension(f"rrdsl.{m}", [f"rrdsl/{m}.py"])],
        compiler_directives={**DIRECTIVES, "annotation_typing": m in TYPED},
        build_dir="build/cython",  # the generated C stays out of the source tree
        quiet=True,
    )]
    for ext in extensions:  # a module that does not compile stays Python (cythonize makes
        ext.optional = True  # new Extension objects, without this flag)
    return extensions


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
