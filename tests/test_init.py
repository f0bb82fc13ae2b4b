"""`rrdsl init NAME`: a new agreement's folder that checks, tests, covers and formats clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rrdsl.cli import main


def _in(folder: Path, argv: list[str]) -> int:
    old = Path.cwd()
    os.chdir(folder)
    try:
        return main(argv)
    finally:
        os.chdir(old)


def test_a_new_agreement_checks_tests_and_covers_clean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "acme_ira_2026", "--dir", str(tmp_path)]) == 0
    root = tmp_path / "acme_ira_2026"
    assert "made" in capsys.readouterr().out
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "README.md", "acme_ira_2026.rrd", "facts/example.toml",
        "scenarios/example.scenario.toml", "text/acme_ira_2026.txt"]
    assert _in(root, ["check", "--strict", "acme_ira_2026.rrd", "scenarios"]) == 0
    assert _in(root, ["test", "scenarios"]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out
    assert _in(root, ["coverage", "acme_ira_2026.rrd", "--scenarios", "scenarios"]) == 0
    out = capsys.readouterr().out
    assert "Operative paragraphs encoded: 1 of 1 (100%)" in out
    assert "Clauses exercised by scenarios: 1 of 1 (100%)" in out
    assert _in(root, ["fmt", "--check", "acme_ira_2026.rrd"]) == 0
    assert _in(root, ["eval", "acme_ira_2026.rrd", "facts/example.toml"]) == 0
    assert "§1.answer[r1] — breached" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "message"), [
    ("9lives", "is not a name"), ("acme-ira", "is not a name"), ("section", "is a keyword"),
])
def test_a_name_that_is_not_a_name_is_refused(
        tmp_path: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", name, "--dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_nothing_is_written_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["init", "acme", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "acme").iterdir()] == ["mine.txt"]
