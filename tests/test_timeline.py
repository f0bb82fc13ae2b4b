"""The timeline: `rrdsl eval --format svg`, the same drawing the workbench and the site show."""

from __future__ import annotations

import contextlib
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import rrdsl
from rrdsl.cli import main
from rrdsl.timeline import bars, span_of, timeline_svg

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
TRANSFER = ROOT / "contracts" / "scenarios" / "s2" / \
    "transfer-notice-on-fourth-day-is-breached.scenario.toml"


def _run(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(argv)) == 0
    return out.getvalue()


def test_eval_format_svg_is_well_formed_with_one_bar_per_dated_answer() -> None:
    contract = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    facts = contract.read_facts(ROOT / "contracts" / "facts" / "demand-2001.toml")
    outcome = contract.evaluate(facts)
    text = _run("eval", "contracts/savvis_2001.rrd", "contracts/facts/demand-2001.toml",
                "--format", "svg")
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    drawn = [g for g in root.iter(f"{SVG}g") if "bar" in g.get("class", "").split()]
    expected = [r for r in outcome.norms if span_of(r) is not None]
    assert expected and len(drawn) == len(expected) == len(bars([outcome]))
    assert sorted(g.get("data-instance") or "" for g in drawn) == sorted(
        r.instance for r in expected)
    by_instance = {r.instance: r for r in expected}
    for g in drawn:
        r = by_instance[g.get("data-instance") or ""]
        assert g.get("tabindex") == "0"  # focusable
        title = g.find(f"{SVG}title")
        assert title is not None and title.text is not None
        assert title.text.startswith(f"§{r.instance} — {r.status.replace('_', ' ')}")
        assert f"cites §{r.norm.section}" in title.text
        assert g.find(f"{SVG}rect") is not None
    assert any(ln.get("class") == "as-of" for ln in root.iter(f"{SVG}line"))
    # events on the axis, each named
    events = [g for g in root.iter(f"{SVG}g") if g.get("class") == "ev"]
    assert len(events) == sum(len(v) for v in facts.events.values())


def test_a_deadline_bar_runs_from_the_trigger_to_the_deadline_coloured_by_status() -> None:
    from rrdsl.scenarios import run_outcome

    _, outcome = run_outcome(TRANSFER)
    assert outcome is not None
    svg = timeline_svg([outcome])
    root = ET.fromstring(svg)
    g = next(g for g in root.iter(f"{SVG}g") if (g.get("data-instance") or "").startswith(
        "2(a).transfer_notice"))
    assert g.get("data-status") == "breached"
    title = g.find(f"{SVG}title")
    assert title is not None and "deadline 2001-06-07" in (title.text or "")
    rect = g.find(f"{SVG}rect")
    assert rect is not None and rect.get("fill") == "#c5221f"


def test_text_in_the_svg_is_escaped() -> None:
    contract = rrdsl.load(ROOT / "contracts" / "savvis_2001.rrd")
    text = (ROOT / "contracts" / "facts" / "demand-2001.toml").read_text(encoding="utf-8")
    text = text.replace('"dn1"', '"<dn&1>"')
    outcome = contract.evaluate(contract.facts_from_text(text))
    svg = timeline_svg([outcome])
    ET.fromstring(svg)  # still well-formed
    assert "<dn&1>" not in svg and "&lt;dn&amp;1&gt;" in svg


def test_several_agreements_draw_lanes_by_agreement() -> None:
    text = _run("eval", "contracts/savvis_2001.rrd", "contracts/original_2000.rrd",
                "contracts/facts/family-2001.toml", "--format", "svg")
    root = ET.fromstring(text)
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(t.startswith("savvis_2001: ") for t in labels)
    assert any(t.startswith("original_2000: ") for t in labels)
    lanes = [t for t in labels if ": " in t and not t.startswith("§")]
    assert lanes[0].startswith("savvis_2001: ")  # in the order the agreements are given


def test_the_sites_scenario_page_shows_the_timeline(tmp_path: Path) -> None:
    from rrdsl.site import build_site

    build_site([ROOT / "contracts" / "savvis_2001.rrd"], tmp_path, scenarios=[TRANSFER])
    pages = list(tmp_path.glob("savvis_2001/scenario-*.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert "<h2>Timeline</h2>" in page and 'class="timeline"' in page
    assert 'data-instance="2(a).transfer_notice[WCAS, t1]"' in page
