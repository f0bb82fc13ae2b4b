"""The package type-checks under `mypy --strict` (the settings are pyproject.toml's
[tool.mypy]), as the house style asks: a change that breaks the typing fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_type_checks_strictly(tmp_path: Path) -> None:
    # the cache in a temporary folder: nothing is written into the checkout
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "rrdsl"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success: no issues found" in run.stdout
