"""The docs keep up with the contract: every reading is listed in docs/readings.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_reading_of_every_contract_is_in_the_readings_doc() -> None:
    doc = (ROOT / "docs" / "readings.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "contracts").rglob("*.rrd")):  # imported files too
        for name in re.findall(r"^\s*reading (\w+):", path.read_text(encoding="utf-8"), re.M):
            assert f"### `{name}`" in doc, f"{path.name}: reading {name} is not in readings.md"


def test_every_definition_the_readings_doc_names_exists() -> None:
    doc = (ROOT / "docs" / "readings.md").read_text(encoding="utf-8")
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in sorted((ROOT / "contracts").rglob("*.rrd")))
    for name in set(re.findall(r"(?:`define |definition `)(\w+)`", doc)):
        assert re.search(rf"^\s*define {name}\b", source, re.M), f"readings.md names {name}"


def test_every_diagnostic_code_in_the_source_is_catalogued() -> None:
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    codes = set()
    for path in (ROOT / "rrdsl").glob("*.py"):
        codes |= set(re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8")))
    missing = sorted(c for c in codes if f"## {c}" not in doc)
    assert not missing, f"diagnostics.md lacks {missing}"
