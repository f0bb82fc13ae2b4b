"""A scenario with a long history, for `rrdsl diff --scenarios` against `rrdsl test`
(bench/run.py --scaling, figure (g)).

`write_scenario(folder, events)` writes `folder/long.scenario.toml`: three Demand Notices of a
majority in interest, the first two registered (so that the agreement's two-Demand limit
excuses the third, and its amendment 1, which allows three, does not: the diff has an
answer that differs), among `events` events in all — the rest private sales and pledges of
Restricted Stock over two years, which change no Restricted Stock but are read by every
clause and value that looks at sales or Transfers.
"""

from __future__ import annotations

import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVESTORS = ("WCAS", "WCAS_Management", "Russel_Carson", "John_Clark")


def write_scenario(folder: Path, events: int = 3000) -> Path:
    start = datetime.date(2001, 3, 1)
    lines = [
        'title = "A long history: three Demand Registrations among private sales and pledges"',
        f'contract = "{ROOT / "contracts" / "savvis_2001.rrd"}"',
        'section = "3(a)"',
        'cites = "Savvis shall not be obligated ... more than two Demand Registrations."',
        "as_of = 2003-03-01",
        "",
        "[given.parties]",
        *(f'{i} = "Investor"' for i in INVESTORS),
        "",
        "[given.facts]",
        "s3_eligible = false",
        "savvis_common_shares = { WCAS = 60_000_000, WCAS_Management = 4_000_000, "
        "Russel_Carson = 3_000_000, John_Clark = 3_000_000 }",
        "rule144k_eligible = { WCAS = false, WCAS_Management = false, Russel_Carson = false, "
        "John_Clark = false }",
        "",
    ]
    n = 0
    for k in range(3):
        day = start + datetime.timedelta(days=100 * k)
        lines += [
            "[[given.events.DemandNotice]]", f'id = "dn{k + 1}"', f"date = {day}",
            "shares = { WCAS = 1_000_000 }", 'method = "open_market"', 'channel = "personal"',
            ""]
        n += 1
        if k == 2:
            break
        lines += [
            "[[given.events.RegistrationStatement]]", f'id = "rs{k + 1}"',
            f"date = {day + datetime.timedelta(days=10)}", 'form = "S1"',
            f'request = "dn{k + 1}"', "shares = 1_000_000", "public_sale = true",
            "notice_given = true", "",
            "[[given.events.RegistrationEffective]]", f'id = "eff{k + 1}"',
            f"date = {day + datetime.timedelta(days=40)}", f'statement = "rs{k + 1}"', ""]
        n += 2
    # the filler, in date order: private sales and pledges, a few a day
    rest = events - n
    for j in range(rest):
        day = start + datetime.timedelta(days=j * 700 // max(rest, 1))
        who = INVESTORS[j % len(INVESTORS)]
        if j % 2:
            lines += ["[[given.events.SharesSold]]", f'id = "sale{j}"', f"date = {day}",
                      f'seller = "{who}"', "shares = 1_000", "public = false", ""]
        else:
            lines += ["[[given.events.Transfer]]", f'id = "tr{j}"', f"date = {day}",
                      f'transferor = "{who}"', "shares = 1_000", 'kind = "pledge"',
                      'transferee = "a bank"', 'relation = "unrelated"', "registered = false",
                      "exempt = true", "state_law_compliant = true",
                      "notice_otherwise_required = false", ""]
    lines += ["[[expect]]", 'clause = "3(a).register[dn3]"', 'status = "excused"', ""]
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "long.scenario.toml"
    out.write_text("\n".join(lines), encoding="utf-8")
    return out
