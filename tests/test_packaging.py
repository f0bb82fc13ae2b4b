"""The wheel carries the grammar: installed into a fresh environment, it parses a contract.
Built where no C compiler works, it is the pure-Python package, and works the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(os.environ.get("RRDSL_SKIP_WHEEL") == "1", reason="RRDSL_SKIP_WHEEL=1")
def test_wheel_installs_into_a_fresh_environment_and_parses(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("rrdsl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rrdsl/grammar/rrdsl.lark" in names
    assert "rrdsl/evaluator.pxd" in names  # part of the digest of what was compiled
    assert "rrdsl/templates/workbench.html" in names  # rrdsl serve's pages

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    work = tmp_path / "elsewhere"  # not the source tree: the grammar must come from the wheel
    work.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run([str(env_dir / "bin" / "rrdsl"), "check",
                           str(ROOT / "contracts" / "savvis_2001.rrd")], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith(": ok\n")
    # without the serve extra, the workbench is a usage error naming the extra
    proc = subprocess.run([str(env_dir / "bin" / "rrdsl"), "serve",
                           str(ROOT / "contracts" / "savvis_2001.rrd")], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "pip install 'rrdsl[serve]'" in proc.stderr, proc.stderr
    code = ("import rrdsl.parser as p, pathlib; "
            "print(pathlib.Path(p.__file__).parent.joinpath('grammar','rrdsl.lark').is_file())")
    proc = subprocess.run([str(py), "-c", code], cwd=work, capture_output=True, text=True)
    assert proc.stdout.strip() == "True"
    # built where a C compiler works, the installed wheel runs its compiled modules (unless
    # the build was told to make none)
    version = subprocess.run([str(env_dir / "bin" / "rrdsl"), "--version"], cwd=work,
                             capture_output=True, text=True)
    if os.environ.get("RRDSL_PURE_PYTHON") != "1":
        assert version.stdout.strip() == "rrdsl 0.1.0 (evaluator compiled)", version.stdout


@pytest.mark.skipif(os.environ.get("RRDSL_SKIP_WHEEL") == "1", reason="RRDSL_SKIP_WHEEL=1")
def test_without_a_c_compiler_the_wheel_is_the_python_package(tmp_path: Path) -> None:
    # a copy of the sources without any earlier build, compiled with a "compiler" that fails
    src = tmp_path / "src"
    shutil.copytree(ROOT / "rrdsl", src / "rrdsl", ignore=shutil.ignore_patterns(
        "__pycache__", "*.so", "_compiled.json"))
    shutil.copytree(ROOT / "grammar", src / "grammar")
    for name in ("pyproject.toml", "setup.py", "README.md", "MANIFEST.in"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp_path / "dist"
    env = {**os.environ, "CC": "/bin/false"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(src)], check=True, capture_output=True, timeout=600, env=env)
    (wheel,) = dist.glob("rrdsl-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith((".so", ".pyd", "_compiled.json"))]
    assert "rrdsl/evaluator.py" in names

    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    rrdsl = str(env_dir / "bin" / "rrdsl")
    version = subprocess.run([rrdsl, "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert ("Python source for values, facts, runtime, compiler, evaluator: not compiled"
            in " ".join(version.stdout.split()))  # argparse wraps the line
    proc = subprocess.run([rrdsl, "eval", str(ROOT / "contracts" / "savvis_2001.rrd"),
                           str(ROOT / "contracts" / "facts" / "demand-2001.toml")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("Summary: 1 pending, 17 in force, 2 undetermined, "
                                         "2 fulfilled, 2 expired")
