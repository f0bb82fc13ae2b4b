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


def test_line_numbers_in_the_readings_doc_point_at_their_declarations() -> None:
    """Every `NAME` (…, line N) and *Written in … line N* of readings.md names the line the
    declaration is on, in one of the contract's clause files (the files are kept formatted, so
    a change of layout shows up here)."""
    doc = (ROOT / "docs" / "readings.md").read_text(encoding="utf-8")
    lines: dict[str, set[int]] = {}
    for path in sorted((ROOT / "contracts").rglob("*.rrd")):
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = re.match(r"\s*(?:replace\s+)?(?:qualitative\s+)?(?:define|clause|exception|"
                         r"reading|fact|event|enum|state)\s+(\w+)", text)
            if m:
                lines.setdefault(m.group(1), set()).add(n)
            if re.match(r"\s*calendar ", text):
                lines.setdefault("calendar", set()).add(n)
    wrong = []
    current = ""
    for text in doc.splitlines():
        if text.startswith("### `"):
            current = text[5:].rstrip("`")
        m = re.match(r"\*Written in .*`[^`]+`,? line (\d+)\.\*", text)
        if m and int(m.group(1)) not in lines.get(current, set()):
            wrong.append(f"reading {current}: line {m.group(1)}")
        for ident, num in re.findall(r"`((?:define |calendar |state |event )?§?[\w().\" ]+)` "
                                     r"\((?:§[^,]+, )?line (\d+)", text):
            name = ident.split()[-1] if ident.startswith(
                ("define ", "calendar ", "state ", "event ")) else ident
            name = "calendar" if ident.startswith("calendar ") else name.rsplit(".", 1)[-1]
            if int(num) not in lines.get(name, set()):
                wrong.append(f"{ident}: line {num}")
    assert not wrong, "readings.md names stale lines: " + "; ".join(wrong[:10])
