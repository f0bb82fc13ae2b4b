"""The compiled evaluation modules (setup.py, rrdsl/_accel.py): they are what runs, they answer
exactly as their Python sources do, and an edited source is never shadowed by a stale build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rrdsl
from rrdsl import _accel

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(rrdsl.__file__).resolve().parent
BUILT = all(_accel._extension(m) is not None for m in _accel.COMPILED)

SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {root!r})
from bench import run
import rrdsl
from rrdsl.report import outcome_json, outcome_text
contract = rrdsl.load({contract!r})
digest = hashlib.sha256()
for n, facts in enumerate(run.build_fact_sets(contract, 120)):
    outcome = contract.evaluate(facts, facts.as_of, explain=n % 4 == 0)
    digest.update(json.dumps(outcome_json(outcome), sort_keys=True, default=str).encode())
    digest.update(outcome_text(outcome).encode())
print(json.dumps(rrdsl.build_info()))
print(digest.hexdigest())
"""


def _run(pure: bool) -> tuple[str, str]:
    code = SCRIPT.format(root=str(ROOT), contract=str(ROOT / "contracts" / "savvis_2001.rrd"))
    env = dict(os.environ, PYTHONHASHSEED="0", RRDSL_PURE_PYTHON="1" if pure else "0")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, cwd=ROOT)
    build, digest = done.stdout.splitlines()
    return build, digest


@pytest.mark.skipif(os.environ.get("RRDSL_PURE_PYTHON") == "1", reason="RRDSL_PURE_PYTHON=1")
def test_the_installation_runs_the_compiled_evaluation_modules() -> None:
    # `pip install` (and `pip install -e .`) compiles them; a failed build would leave the
    # pure-Python package, which answers the same but at two thirds of the speed
    assert rrdsl.build_info() == dict.fromkeys(_accel.COMPILED, "compiled"), (
        "the evaluation modules are not compiled; run `pip install -e .` (a C compiler is "
        "needed), or set RRDSL_PURE_PYTHON=1 to test the Python sources")


@pytest.mark.skipif(not BUILT, reason="the evaluation modules are not compiled here")
def test_compiled_and_python_sources_give_the_same_reports() -> None:
    # 120 generated fact sets against the whole agreement: JSON and text reports, derived
    # values, and a derivation for every fourth
    compiled_build, compiled = _run(pure=False)
    pure_build, pure = _run(pure=True)
    assert '"compiled"' in compiled_build and "RRDSL_PURE_PYTHON=1" in pure_build
    assert compiled == pure


def test_results_are_outside_the_cyclic_collector_in_the_compiled_build() -> None:
    """A batch that keeps its outcomes keeps some three hundred results each; each of them
    the collector tracked was walked again by every full collection.  They make no cycles
    (nothing a result refers to refers back to it), so the compiled build leaves them out
    (`@cython.no_gc`); the Python sources keep them in, and answer the same."""
    import gc

    from rrdsl import evaluator

    compiled = rrdsl.build_info()["evaluator"] == "compiled"
    contract = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    facts = contract.read_facts(ROOT / "contracts" / "facts" / "demand-2001.toml")
    outcome = contract.evaluate(facts)
    results = [*outcome.norms, *outcome.values]
    assert results and all(gc.is_tracked(r) is not compiled for r in results)
    assert gc.is_tracked(outcome) and gc.is_tracked(outcome.norms)
    # what they refer to is still tracked, and kept: a collection frees none of it
    lists = [r.missing for r in results]
    gc.collect()
    assert [r.missing for r in results] == lists and all(type(x) is list for x in lists)
    r = evaluator.ValueResult(None, "v", [1])  # type: ignore[arg-type]
    assert gc.is_tracked(r) is not compiled and r.value == [1] and gc.is_tracked(r.value)


@pytest.mark.skipif(not BUILT, reason="the evaluation modules are not compiled here")
def test_an_edited_source_runs_instead_of_its_stale_build(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "rrdsl", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "rrdsl" / "values.py").open("a", encoding="utf-8") as f:
        f.write("\nEDITED = True  # since the build\n")
    code = ("import rrdsl, rrdsl.values, rrdsl.evaluator; print(rrdsl.build_info()); "
            "print(rrdsl.values.EDITED, rrdsl.values.__file__.endswith('values.py'), "
            "rrdsl.evaluator.__file__.endswith('.py'))")
    env = dict(os.environ, PYTHONPATH=str(tmp_path), RRDSL_PURE_PYTHON="0")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, cwd=tmp_path)
    build, flags = done.stdout.splitlines()
    assert "'values': 'edited since it was compiled (pip install -e . compiles it again)'" in build
    assert "'evaluator': 'compiled'" in build  # the others are unchanged: still compiled
    assert flags == "True True False"


@pytest.mark.skipif(not BUILT, reason="the evaluation modules are not compiled here")
def test_an_edited_pxd_makes_its_build_stale(tmp_path: Path) -> None:
    # evaluator.pxd types the compiled evaluator: a build from another .pxd is not this source
    shutil.copytree(PACKAGE, tmp_path / "rrdsl", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "rrdsl" / "evaluator.pxd").open("a", encoding="utf-8") as f:
        f.write("\n# edited since the build\n")
    code = "import rrdsl; print(rrdsl.build_info())"
    env = dict(os.environ, PYTHONPATH=str(tmp_path), RRDSL_PURE_PYTHON="0")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True, cwd=tmp_path)
    assert "'evaluator': 'edited since it was compiled" in done.stdout
    assert "'compiler': 'compiled'" in done.stdout


def test_version_says_how_the_evaluator_runs() -> None:
    line = _accel.describe()
    if rrdsl.build_info() == dict.fromkeys(_accel.COMPILED, "compiled"):
        assert line == "evaluator compiled"
    else:
        assert line.startswith("Python source for ")


def _setup_tuple(name: str) -> tuple[str, ...]:
    """A tuple setup.py assigns at its top level (it cannot be imported: it runs the build)."""
    import ast

    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    (found,) = [ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
    return tuple(found)


def test_setup_compiles_the_modules_the_package_picks_between() -> None:
    # setup.py cannot import the package it builds, so it keeps its own copy of the list
    assert _setup_tuple("COMPILED") == _accel.COMPILED
    assert set(_setup_tuple("TYPED")) <= set(_accel.COMPILED)


def test_typed_modules_declare_no_float() -> None:
    # setup.py compiles the TYPED modules with their annotations read as types: a `float`
    # annotation would be a C double, where rrdsl's numbers are exact (int, Fraction, Decimal)
    import ast

    typed = _setup_tuple("TYPED")
    assert typed
    for module in typed:
        tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            ann = getattr(node, "annotation", None) or getattr(node, "returns", None)
            if ann is not None:
                assert "float" not in ast.unparse(ann), (module, node.lineno)
