"""Shared fixtures: the built site of the Savvis contract, and a Chromium for browser tests.

Chromium is Debian's `chromium` package: when it is missing and the tests run as root with
apt-get at hand (a fresh CI machine), the fixture installs it; otherwise the browser tests are
skipped, saying why. Playwright drives it; its own browser download is never used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_PACKAGES = ["chromium", "fonts-dejavu-core"]
_CACHE: list[tempfile.TemporaryDirectory[str]] = []


def pytest_configure(config: pytest.Config) -> None:
    """The test run's own cache folder (the Lark parser cache and the parse cache), inherited
    by the commands the tests run: the suite neither reads nor fills the user's ~/.cache, and
    every file it loads twice comes back from the parse cache the second time."""
    _CACHE.append(tempfile.TemporaryDirectory(prefix="rrdsl-test-cache-"))
    os.environ["XDG_CACHE_HOME"] = _CACHE[-1].name


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _find_chromium()
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("browser tests need Debian's chromium: run `apt-get install chromium` as "
                    "root (the tests install it themselves only when run as root with apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *CHROMIUM_PACKAGES]
    done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:  # the package lists may be missing or stale
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    found = _find_chromium()
    if not found:
        pytest.fail("could not install Debian's chromium for the browser tests:\n"
                    + (done.stdout + done.stderr)[-2000:])
    return found


@pytest.fixture(scope="session")
def savvis_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site `rrdsl html contracts/savvis_2001.rrd contracts/original_2000.rrd
    contracts/savvis_2001_amendment_1.rrd --docs docs` builds (once per run)."""
    from rrdsl.site import build_site

    out = tmp_path_factory.mktemp("site")
    build_site([ROOT / "contracts" / name for name in
                ("savvis_2001.rrd", "original_2000.rrd", "savvis_2001_amendment_1.rrd")],
               out, docs=ROOT / "docs")
    return out
