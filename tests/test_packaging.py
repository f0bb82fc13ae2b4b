"""The wheel carries the grammar: installed into a fresh environment, it parses a contract."""

from __future__ import annotations

import os
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
    code = ("import rrdsl.parser as p, pathlib; "
            "print(pathlib.Path(p.__file__).parent.joinpath('grammar','rrdsl.lark').is_file())")
    proc = subprocess.run([str(py), "-c", code], cwd=work, capture_output=True, text=True)
    assert proc.stdout.strip() == "True"
