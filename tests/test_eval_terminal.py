"""`rrdsl eval` on a terminal: statuses in colour, long lines wrapped; filters by party,
status and section; piped output unchanged without filters."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from rrdsl.cli import main
from rrdsl.report import colorize, wrap_lines

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["eval", "contracts/savvis_2001.rrd", "contracts/facts/demand-2001.toml", "--no-values"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(*argv: str, tty: bool = False) -> str:
    out = _Tty() if tty else io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


@pytest.fixture(autouse=True)
def _root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "90")


def test_piped_output_is_plain_and_colour_can_be_forced() -> None:
    plain = _run(*ARGS)
    assert "\x1b[" not in plain
    coloured = _run(*ARGS, "--color", "always")
    assert "§3(a).register[dn1] — \x1b[33mpending\x1b[0m" in coloured
    assert "\x1b[1;33mundetermined\x1b[0m" in coloured
    assert coloured.replace("\x1b[0m", "").count("\x1b[") == coloured.count("\x1b[0m")
    import re

    assert re.sub(r"\x1b\[[\d;]*m", "", coloured) == plain


def test_on_a_terminal_colour_and_wrapping() -> None:
    text = _run(*ARGS, tty=True)
    assert "\x1b[33mpending\x1b[0m" in text
    import re

    lines = re.sub(r"\x1b\[[\d;]*m", "", text).splitlines()
    assert max(len(ln) for ln in lines) <= 90
    assert _run(*ARGS, "--color", "never", tty=True).count("\x1b[") == 0


def test_answers_are_ordered_by_section() -> None:
    from rrdsl.browse import section_sort_keys

    text = _run(*ARGS)
    block = text.split("\nSavvis\n", 1)[1].split("\n\n", 1)[0]
    sections = [ln.split("§", 1)[1].split(".", 1)[0] for ln in block.splitlines()
                if ln.startswith("  ") and not ln.startswith("   ")]
    keys = section_sort_keys(sections)
    assert sections == sorted(sections, key=keys.__getitem__)


def test_filters() -> None:
    text = _run(*ARGS, "--party", "Savvis", "--status", "pending")
    assert "§3(a).register[dn1] — pending" in text
    assert "in force" not in text.split("Summary", 1)[0].split("\nSavvis\n", 1)[1]
    assert "\nWCAS\n" not in text
    text = _run(*ARGS, "--section", "3(c)")
    import re

    heads = [ln for ln in text.splitlines() if re.match(r"  [A-Z][A-Z ]*? +§", ln)]
    assert heads and all("§3(c)" in h for h in heads)
    text = _run(*ARGS, "--section", "3(a).register")
    assert "§3(a).register[dn1]" in text and "§3(a).further_notice" not in text
    json_text = _run(*ARGS, "--status", "expired", "--format", "json")
    import json

    assert {n["status"] for n in json.loads(json_text)["norms"]} == {"expired"}


def test_helpers() -> None:
    line = "  SHALL     §3(a).register[dn1] — pending: " + "word " * 30
    wrapped = wrap_lines(line, 60).splitlines()
    assert all(len(ln) <= 60 for ln in wrapped)
    assert all(ln.startswith(" " * 12) for ln in wrapped[1:])
    assert colorize("Summary: 1 pending, 2 in force") == (
        "Summary: 1 \x1b[33mpending\x1b[0m, 2 \x1b[34min force\x1b[0m")
