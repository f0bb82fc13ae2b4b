"""The deal as a picture: an SVG timeline of one or several outcomes, drawn on the server.

Events sit on a date axis; each answer with a deadline (an obligation: from its trigger to the
deadline) or a period (a permission or prohibition: from its first to its last day) is a bar in
its bearer's lane, coloured by status; a line marks the as-of date. Every bar is a focusable
group (`tabindex="0"`) whose `<title>` names the clause, its status and its citation, so that
hovering or focusing it names it with no JavaScript. Nothing here knows any agreement: the
picture is drawn from `Outcome`s. All text passes through `html.escape`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from html import escape

from .evaluator import NormResult, Outcome

# status → (fill, label); colour-blind-safe enough, and the status is in each title too
COLOURS = {
    "pending": "#f2a900", "in_force": "#1a73e8", "breached": "#c5221f", "fulfilled": "#188038",
    "expired": "#9aa0a6", "suspended": "#a142f4", "excused": "#5f6368",
    "undetermined": "#e37400", "not_triggered": "#dadce0",
}

LANE, BAR, LEFT, TOP, WIDTH = 20, 12, 330, 46, 1100


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def span_of(r: NormResult) -> tuple[datetime.date, datetime.date | None, str] | None:
    """(first day, last day or None for no fixed end, kind) of an answer's bar, or None when
    it has neither a deadline nor a period."""
    if r.status == "not_triggered":
        return None
    if r.deadline is not None:
        start = r.trigger.date if r.trigger is not None else (r.period_start or r.deadline)
        return min(start, r.deadline), r.deadline, "deadline"
    if r.period_start is not None or r.period_end is not None:
        first = r.period_start or (r.trigger.date if r.trigger is not None else r.period_end)
        assert first is not None
        return first, r.period_end, "period"
    return None


def bars(outcomes: Sequence[Outcome]) -> list[tuple[str, NormResult, str]]:
    """(agreement name, answer, lane) for every answer the timeline draws, in order."""
    out = []
    for o in outcomes:
        for r in o.norms:
            if span_of(r) is not None:
                out.append((o.contract.name, r, r.bearer or "?"))
    return out


def _short(text: str, n: int = 52) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _cite(r: NormResult) -> str:
    n = r.norm
    where = f" ({n.cite.span.file}:{n.cite.span.line})" if n.cite.span else ""
    return f"§{n.section} {n.heading}{where}"


def timeline_svg(outcomes: Sequence[Outcome], title: str | None = None,
                 inline: bool = False) -> str:
    """The SVG document; `inline`: the element to put in an HTML page (which needs no
    namespace declaration, so the page names no web address)."""
    drawn = bars(outcomes)
    as_of = outcomes[0].as_of if outcomes else datetime.date.today()
    events = sorted({(e.date, e.type, e.id) for o in outcomes[:1]
                     for evs in o.facts.events.values() for e in evs})
    days = [as_of] + [d for d, _, _ in events]
    for _, r, _ in drawn:
        a, z, _ = span_of(r)  # type: ignore[misc]
        days += [a] + ([z] if z else [])
    first, last = min(days), max(days)
    pad = max(7, (last - first).days // 20)
    first, last = first - datetime.timedelta(days=pad), last + datetime.timedelta(days=pad)
    total = max(1, (last - first).days)

    def x(d: datetime.date) -> float:
        return round(LEFT + (d - first).days / total * (WIDTH - LEFT - 20), 1)

    several = len(outcomes) > 1
    lanes: list[str] = []
    for agreement, _, lane in drawn:
        key = f"{agreement}: {lane}" if several else lane
        if key not in lanes:
            lanes.append(key)
    parties = {p for o in outcomes for p in o.contract.parties}
    given = {o.contract.name: i for i, o in enumerate(outcomes)}  # agreements in the order given
    lanes.sort(key=lambda k: (0, k.rsplit(": ", 1)[-1] not in parties, k) if not several else
               (given.get(k.split(": ", 1)[0], 0), k.rsplit(": ", 1)[-1] not in parties, k))
    # one row per bar inside its lane, so no two bars overlap
    rows: dict[str, list[tuple[str, NormResult]]] = {k: [] for k in lanes}
    for agreement, r, lane in drawn:
        rows[f"{agreement}: {lane}" if several else lane].append((agreement, r))
    height = TOP + sum(len(v) * LANE + 28 for v in rows.values()) + 70
    xmlns = "" if inline else ' xmlns="http://www.w3.org/2000/svg"'
    out = [f'<svg{xmlns} class="timeline" role="img" '
           f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
           'font-family="system-ui, sans-serif" font-size="12">',
           f"<title>{_esc(title or 'Timeline as of ' + as_of.isoformat())}</title>",
           "<style>.bar:focus rect, .bar:hover rect { stroke: #000; stroke-width: 2; } "
           ".bar:focus { outline: none; } .ev:hover circle, .ev:focus circle { r: 6; }</style>"]
    # the axis: a tick at the start of each month (or year, over long spans)
    axis_y = TOP - 14
    out.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{WIDTH - 20}" y2="{axis_y}" '
               'stroke="#5f6368"/>')
    step = 1 if total <= 550 else 3 if total <= 1600 else 12
    tick = datetime.date(first.year, first.month, 1)
    while tick <= last:
        if tick >= first:
            label = tick.strftime("%Y-%m") if step < 12 else str(tick.year)
            out.append(f'<line x1="{x(tick)}" y1="{axis_y - 4}" x2="{x(tick)}" '
                       f'y2="{height - 40}" stroke="#eee"/>'
                       f'<text x="{x(tick)}" y="{axis_y - 8}" text-anchor="middle" '
                       f'fill="#5f6368">{label}</text>')
        month = tick.month - 1 + step
        tick = datetime.date(tick.year + month // 12, month % 12 + 1, 1)
    y = TOP
    for k in lanes:
        out.append(f'<text x="8" y="{y + 14}" font-weight="bold">{_esc(k)}</text>')
        y += 20
        for agreement, r in rows[k]:
            a, z, kind = span_of(r)  # type: ignore[misc]
            x1 = x(a)
            x2 = x(z) if z else WIDTH - 20
            w = max(3.0, round(x2 - x1 + (x(a + datetime.timedelta(days=1)) - x1 if z else 0), 1))
            colour = COLOURS.get(r.status, "#999")
            end = z.isoformat() if z else "no fixed end"
            what = (f"deadline {r.deadline}" if kind == "deadline"
                    else f"period {a} through {end}")
            tip = (f"§{r.instance} — {r.status.replace('_', ' ')} · {r.norm.modal} · {what}"
                   f" · cites {_cite(r)}" + (f" · {agreement}" if several else ""))
            dash = ' stroke-dasharray="4 3" stroke="#5f6368"' if z is None else ""
            out.append(f'<g class="bar status-{_esc(r.status)}" tabindex="0" '
                       f'data-instance="{_esc(r.instance)}" data-status="{_esc(r.status)}">'
                       f"<title>{_esc(tip)}</title>"
                       f'<text x="16" y="{y + 12}" font-size="11" fill="#202124">'
                       f"§{_esc(_short(r.instance))}</text>"
                       f'<rect x="{x1}" y="{y + 2}" width="{w}" height="{BAR}" rx="3" '
                       f'fill="{colour}"{dash}/></g>')
            y += LANE
        y += 8
    # events on the axis
    for d, typ, eid in events:
        out.append(f'<g class="ev" tabindex="0"><title>{_esc(f"{typ} {eid} of {d}")}</title>'
                   f'<circle cx="{x(d)}" cy="{axis_y}" r="4" fill="#202124"/></g>')
    # the as-of line
    out.append(f'<line class="as-of" x1="{x(as_of)}" y1="{axis_y}" x2="{x(as_of)}" '
               f'y2="{height - 40}" stroke="#c5221f" stroke-width="2" stroke-dasharray="6 3"/>'
               f'<text x="{x(as_of)}" y="{height - 26}" text-anchor="middle" fill="#c5221f">'
               f"as of {as_of.isoformat()}</text>")
    # the legend
    lx = 8
    for status in ("pending", "in_force", "breached", "fulfilled", "expired", "suspended",
                   "excused", "undetermined"):
        out.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" '
                   f'fill="{COLOURS[status]}"/><text x="{lx + 14}" y="{height - 5}">'
                   f"{status.replace('_', ' ')}</text>")
        lx += 22 + 7 * len(status)
    if not drawn:
        out.append(f'<text x="{LEFT}" y="{TOP + 14}" fill="#5f6368">No answer has a deadline '
                   "or a period as of this date.</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
