"""Deterministic fact sets for the Savvis 2001 agreement (`contracts/savvis_2001.rrd`).

`generate(n, seed)` returns `n` fact mappings shaped like a decoded TOML fact file (dates as
`datetime.date`, money as `Decimal`), made from one seeded `random.Random`: the same seed gives
the same fact sets on every machine and every run.  The variety is meant to exercise every
clause of the slice:

* 2–6 Investors with holdings; `rule144k_eligible` true for some; now and then one Investor's
  holdings or 144(k) flag is left out (the answers that need it become undetermined), and now
  and then a Demand Notice's Investors hold exactly half of the Restricted Stock (no majority)
  or half and one share;
* 0–3 Demand Notices (one to three requesting Investors, every method and channel), Demand
  Further Notices (same day, late, or never), inclusion requests (timely or not, same terms or
  not), cutback opinions, underwriter acceptances (qualitative, sometimes missing); some
  notices on the same day;
* 0–2 Short Form Registration Notices with net proceeds around $5,000,000 (exactly
  $5,000,000 now and then), their further notices and inclusion requests, `s3_eligible` true,
  false or missing;
* registration statements on Forms S-1, S-3 and S-8 (filed under a request or on Savvis's own
  account), effective and withdrawn events, shares sold, distributions completed;
* 0–3 material-information deferrals, some with a disclosure date;
* some events after the as-of date (they must be invisible to the evaluation).

Long histories (`scale`, for bench/run.py's scaling figure): `scale=k` draws k times as many
sales, Transfers (none at `scale=1`; to another Investor, whose Restricted Stock they move, to
someone else, or pledges), Demand Notices (each with its further notices, inclusion requests,
cutback opinion), Short Form notices, registration statements (with their effective,
withdrawn, sale and distribution events) and deferrals, over the same years: each sale is 1/k
of its size (so that the Investors still hold Restricted Stock after k times as many sales),
and deferrals come k times as often.  Long histories leave no Investor's holdings, Rule 144(k)
flag or S-3 eligibility out (the scale-1 fact sets test missing facts): bench/baseline.py does
not follow the engine's three-valued logic through §3(c)(viii)'s chain of earlier
determinations, and with a hundred of them an unknown flag reaches it (found at 100×; the
engine leaves such a deferral's exception undetermined, the baseline takes it as not
applying).  `scale=1` draws exactly what it drew before the option existed (the same calls on
the generator, in the same order).

With `years=True` the history is long in time instead: the evaluation day is k times as far
from the agreement's date, the sales, Transfers, notices and statements are drawn over those
years, the deferrals come in k runs of the scale-1 pace, each starting on a day of its own, and
every Demand and Short Form Notice gets a registration statement filed 5–60 days after it,
effective 10–80 days after filing (as in a deal's long life, where no request stays pending for
decades).  Without `years` (the default) every draw is the one it was before the option existed.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

INVESTORS = ("WCAS", "WCAS_Management", "Russel_Carson", "John_Clark", "Patrick_Welsh",
             "Thomas_McInerney", "Anthony_de_Nicola", "Sean_Traynor")
METHODS = ("firm_commitment", "underwritten", "open_market", "other_method")
METHOD_WEIGHTS = (4, 2, 2, 1)
CHANNELS = ("personal", "courier", "mail", "fax")
FORMS = ("S1", "S3", "S8")
FORM_WEIGHTS = (4, 4, 2)
START = datetime.date(2001, 2, 20)  # the agreement's date
FIVE_MILLION = Decimal("5000000")
TRANSFER_KINDS = ("sale", "transfer", "distribution", "pledge", "assignment")


def _day(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    if hi <= lo:
        return lo
    return lo + datetime.timedelta(days=rng.randint(0, (hi - lo).days))


def _round_shares(x: float) -> int:
    return max(1000, int(x) // 1000 * 1000)


class _Ids:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        n = self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}{n}"


def fact_data(rng: random.Random, scale: int = 1, years: bool = False) -> dict[str, Any]:
    """One fact set as a TOML-shaped mapping; `scale` (see the module's note) multiplies its
    history, in the same years or, with `years`, over `scale` times as many."""
    ids = _Ids()
    investors = rng.sample(INVESTORS, rng.randint(2, 6))
    as_of = _day(rng, datetime.date(2001, 4, 1), datetime.date(2003, 6, 30))
    if years:  # the deal's life, `scale` times as long
        as_of = START + (as_of - START) * scale
    horizon = as_of + datetime.timedelta(days=45)  # a few events happen after as_of

    holdings = {i: _round_shares(rng.lognormvariate(14.0, 1.0)) for i in investors}
    rule144k = {i: rng.random() < 0.12 for i in investors}
    facts: dict[str, Any] = {}
    shares_fact = dict(holdings)
    # (not in long histories: see the module's note)
    if rng.random() < 0.04 and scale == 1:  # one Investor's holdings are not known
        del shares_fact[rng.choice(investors)]
    facts["savvis_common_shares"] = shares_fact
    r144 = dict(rule144k)
    if rng.random() < 0.05 and scale == 1:
        del r144[rng.choice(investors)]
    facts["rule144k_eligible"] = r144
    roll = rng.random()
    if roll < 0.45:
        facts["s3_eligible"] = True
    elif roll < 0.9 or scale > 1:
        facts["s3_eligible"] = False  # else: missing (not in long histories)

    events: dict[str, list[dict[str, Any]]] = {}

    def add(event_type: str, prefix: str, date: datetime.date, **fields: Any) -> str:
        ev_id = ids(prefix)
        entry = {"id": ev_id, "date": date}
        entry.update({k: v for k, v in fields.items() if v is not None})
        events.setdefault(event_type, []).append(entry)
        return ev_id

    def request_shares() -> dict[str, int]:
        who = rng.sample(investors, rng.randint(1, min(3, len(investors))))
        return {i: _round_shares(holdings[i] * rng.uniform(0.1, 1.0)) for i in who}

    # §1: sales of Restricted Stock (privately or to the public)
    for _ in range(rng.choice((0, 0, 0, 1, 2)) * scale):
        seller = rng.choice(investors)
        add("SharesSold", "sale", _day(rng, START, horizon), seller=seller,
            shares=_round_shares(holdings[seller] * rng.uniform(0.05, 0.5) / scale),
            public=rng.random() < 0.6)

    # §1, §2: Transfers of Restricted Stock (long histories only: `scale` 1 draws none, as
    # before), to another Investor (its holdings move) or to someone else, or pledges
    if scale > 1:
        for _ in range(rng.choice((0, 1, 1, 2)) * scale):
            transferor = rng.choice(investors)
            to = rng.choice([i for i in investors if i != transferor] + [None])
            add("Transfer", "tr", _day(rng, START, horizon), transferor=transferor,
                shares=_round_shares(holdings[transferor] * rng.uniform(0.05, 0.3) / scale),
                kind=rng.choice(TRANSFER_KINDS), transferee=to or "a third party",
                relation=rng.choice(("affiliate", "partner_or_member", "unrelated")),
                registered=False, exempt=True, state_law_compliant=True,
                notice_otherwise_required=False, transferee_investor=to)

    # §3(a): Demand Notices, further notices, inclusion requests, cutback opinions
    demands: list[tuple[str, datetime.date, dict[str, int], str]] = []
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3)) * scale):
        # now and then a second notice on the same day
        date = (demands[-1][1] if demands and rng.random() < 0.15
                else _day(rng, START, horizon))
        shares = request_shares()
        method = rng.choices(METHODS, METHOD_WEIGHTS)[0]
        dn = add("DemandNotice", "dn", date, shares=shares, method=method,
                 channel=rng.choice(CHANNELS))
        demands.append((dn, date, shares, method))
        others = [i for i in investors if i not in shares]
        if others and rng.random() < 0.75:
            fdate = date + datetime.timedelta(days=rng.choice((0, 0, 0, 0, 1, 3, 10)))
            recipients = [i for i in others if rng.random() < 0.9] or others[:1]
            add("DemandFurtherNotice", "dfn", fdate, demand=dn, recipients=recipients,
                channel=rng.choice(CHANNELS))
            for i in recipients:
                if rng.random() < 0.45:
                    add("InclusionRequest", "ir", fdate + datetime.timedelta(
                        days=rng.randint(0, 45)), request=dn, investor=i,
                        shares=_round_shares(holdings[i] * rng.uniform(0.1, 1.0)),
                        same_terms=rng.random() < 0.8, channel=rng.choice(CHANNELS))
        if method in ("firm_commitment", "underwritten") and rng.random() < 0.45:
            add("CutbackOpinion", "cut", date + datetime.timedelta(days=rng.randint(5, 60)),
                demand=dn, limit=_round_shares(sum(shares.values()) * rng.uniform(0.3, 1.2)))

    # now and then the first Demand Notice's Investors hold exactly half, or half and a share
    if demands and rng.random() < 0.1:
        requesting = set(demands[0][2])
        others = [i for i in investors if i not in requesting]
        if others:
            half = sum(holdings[i] for i in requesting) + rng.choice((0, 0, -1))
            each, extra = divmod(max(half, 0), len(others))
            for n, i in enumerate(others):
                holdings[i] = each + (extra if n == 0 else 0)
                if i in shares_fact:
                    shares_fact[i] = holdings[i]

    # §3(c)(iv), (v): qualitative facts, sometimes missing
    if demands and rng.random() < 0.6:
        facts["accepts_underwriter"] = {
            dn: {i: rng.random() < 0.85 for i in investors if rng.random() < 0.8}
            for dn, _, _, _ in demands}
    # §3(b): Short Form Registration Notices around $5,000,000
    shorts: list[tuple[str, datetime.date, dict[str, int], str]] = []
    for _ in range(rng.choice((0, 0, 1, 1, 2)) * scale):
        date = _day(rng, START, horizon)
        shares = request_shares()
        method = rng.choices(METHODS, METHOD_WEIGHTS)[0]
        if rng.random() < 0.12:
            proceeds = FIVE_MILLION
        else:
            proceeds = (FIVE_MILLION * Decimal(rng.randint(70, 140)) / 100 +
                        Decimal(rng.randint(0, 99)) / 100)
        sf = add("ShortFormNotice", "sf", date, shares=shares, method=method,
                 net_proceeds=proceeds, channel=rng.choice(CHANNELS))
        shorts.append((sf, date, shares, method))
        others = [i for i in investors if i not in shares]
        if others and rng.random() < 0.6:
            fdate = date + datetime.timedelta(days=rng.choice((0, 0, 1, 4)))
            add("ShortFormFurtherNotice", "sffn", fdate, notice=sf, recipients=others,
                channel=rng.choice(CHANNELS))
            for i in others:
                if rng.random() < 0.3:
                    add("InclusionRequest", "ir", fdate + datetime.timedelta(
                        days=rng.randint(0, 40)), request=sf, investor=i,
                        shares=_round_shares(holdings[i] * rng.uniform(0.1, 1.0)),
                        same_terms=rng.random() < 0.8, channel=rng.choice(CHANNELS))
    if rng.random() < 0.5:
        facts["own_shares_harm_marketing"] = {
            q: rng.random() < 0.3 for q, _, _, _ in demands + shorts if rng.random() < 0.7}

    # §3(c)(i), (ii), (vi): registration statements and what became of them
    requests = demands + shorts
    if years:  # in a deal's long life every request is registered within months
        for req, rdate, rshares, _ in requests:
            filed = rdate + datetime.timedelta(days=rng.randint(5, 60))
            form = "S3" if req.startswith("sf") else rng.choice(("S1", "S3"))
            rs = add("RegistrationStatement", "rs", filed, form=form, request=req,
                     shares=sum(rshares.values()), public_sale=True,
                     notice_given=rng.random() < 0.9)
            add("RegistrationEffective", "eff", filed + datetime.timedelta(
                days=rng.randint(10, 80)), statement=rs)
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3)) * scale):
        form = rng.choices(FORMS, FORM_WEIGHTS)[0]
        if requests and rng.random() < 0.6:
            req, rdate, rshares, _ = rng.choice(requests)
            if req.startswith("sf") and rng.random() < 0.6:
                form = "S3"
            date = rdate + datetime.timedelta(days=rng.randint(5, 90))
            covered = _round_shares(sum(rshares.values()) * rng.choice((0.5, 1.0, 1.0, 1.2)))
        else:
            req = None
            date = _day(rng, START, horizon)
            covered = _round_shares(rng.lognormvariate(13.0, 1.0))
        rs = add("RegistrationStatement", "rs", date, form=form, request=req, shares=covered,
                 public_sale=rng.random() < 0.8, notice_given=rng.random() < 0.75)
        if rng.random() < 0.7:
            eff = date + datetime.timedelta(days=rng.randint(10, 80))
            add("RegistrationEffective", "eff", eff, statement=rs)
            if rng.random() < 0.4:
                seller = rng.choice(investors)
                add("SharesSold", "sale", eff + datetime.timedelta(days=rng.randint(1, 30)),
                    seller=seller,
                    shares=(covered if rng.random() < 0.6 else covered // 2) // scale,
                    public=True, statement=rs)
            if rng.random() < 0.3:
                add("DistributionCompleted", "done", eff + datetime.timedelta(
                    days=rng.randint(10, 120)), statement=rs)
        elif rng.random() < 0.4:
            add("RegistrationWithdrawn", "wd", date + datetime.timedelta(days=rng.randint(5, 60)),
                statement=rs)

    # some agreements see every Demand Registration through (so the two-demand limit bites)
    if len(demands) >= 2 and rng.random() < 0.35:
        for dn, rdate, rshares, _ in demands:
            rs = add("RegistrationStatement", "rs", rdate + datetime.timedelta(
                days=rng.randint(5, 40)), form=rng.choice(("S1", "S3")), request=dn,
                shares=sum(rshares.values()), public_sale=True, notice_given=True)
            add("RegistrationEffective", "eff", rdate + datetime.timedelta(
                days=rng.randint(41, 80)), statement=rs)
            add("SharesSold", "sale", rdate + datetime.timedelta(days=rng.randint(81, 90)),
                seller=next(iter(rshares)), shares=sum(rshares.values()), public=True,
                statement=rs)

    # §3(c)(viii): deferrals for material information, often within twelve months: in the
    # same years k times as often; over k times the years, k runs of them
    for _ in range(scale if years else 1):
        date = _day(rng, START, horizon)
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)) * (1 if years else scale)):
            gap = (rng.choice((364, 365, 366, 300)) if rng.random() < 0.15
                   else rng.randint(10, 200))
            date = date + datetime.timedelta(days=max(1, gap // (1 if years else scale)))
            disclosed = (date + datetime.timedelta(days=rng.randint(5, 120))
                         if rng.random() < 0.6 else None)
            add("MaterialDeferral", "md", date, disclosed=disclosed)

    return {"as_of": as_of, "parties": {i: "Investor" for i in investors}, "facts": facts,
            "events": events}


def generate(n: int, seed: int = 20010220, scale: int = 1,
             years: bool = False) -> list[dict[str, Any]]:
    """`n` fact mappings from one seeded generator, each history with `scale` times the events
    (with `years`, over `scale` times the years)."""
    rng = random.Random(seed)
    return [fact_data(rng, scale, years) for _ in range(n)]
