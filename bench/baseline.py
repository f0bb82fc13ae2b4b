"""A hand-written, plain-Python implementation of the §3(a)/§3(b)/§3(c) decisions of the
Savvis 2001 agreement, as `contracts/savvis_2001.rrd` encodes them — the yardstick the
benchmark measures the engine against (bench/run.py, figure (d)).

It reads the same validated `FactSet` objects the engine reads (`rrdsl.facts.parse_facts`)
and decides, as of a date:

* §3(a).further_notice[d]  — the Demand Further Notice to each other Investor,
                              "immediately" (no date: pending until every other Investor
                              has been sent one, then fulfilled; never breached by a date);
* §3(a).register[d]        — with the majority-in-interest test, the two-demand excuse and the
                              §3(c)(ii) and §3(c)(viii) suspensions, and the shares to register;
* §3(b).register[s]        — with the S-3 eligibility and "exceeds $5,000,000" test, the
                              Investors' inclusion requests, the same two suspensions, and the
                              shares to register;
* §3(c)(iii).cutback_right[o] — the pro-rata cutback (largest remainder).

Each answer is keyed by the engine's instance name (e.g. `3(a).register[dn1]`) and holds the
status, the number attached to it (shares to register, or the cutback allocation) and the
exceptions that bore on it, `(id, active, from, through)` — exactly the fields
`engine_answers` extracts from an engine `Outcome`, so the bench can check, fact set by fact
set, that both agree.

Missing facts: where the engine answers "undetermined" (a needed fact is not in the fact
set) this code must too.  `Unknown` is raised where a needed fact is absent; `and` chains of
the contract are three-valued (false wins over unknown), which `_and3` spells out, and so is
the two-demand count (two known satisfied decide it, as do too few even if every unknown one
counted).  A fact given as a history of dated values is not read (the generator makes
none): the baseline is a yardstick for the generated fact sets, not for every fact file.

No rrdsl code runs here: the rules are written out by hand from the clause file.  When the
clause file changes, this file must follow (the agreement count in bench/run.py shows it).
"""

from __future__ import annotations

import bisect
import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

ONE_DAY = datetime.timedelta(days=1)
FIVE_MILLION = Decimal(5_000_000)
AGREEMENT_DATE = datetime.date(2001, 2, 20)  # a request before it is none under the agreement
UNDERWRITTEN = ("firm_commitment", "underwritten")
NOT_PRIOR_FORMS = ("S4", "S8", "unavailable")

# the exceptions' ids, as the engine names them (section.name)
TWO_DEMANDS = "3(a).two_demand_registrations"
PRIOR_REGISTRATION = "3(c)(ii).prior_registration"
MATERIAL_DEFERRAL = "3(c)(viii).material_deferral"

CLAUSES = ("3(a).further_notice", "3(a).register", "3(b).register", "3(c)(iii).cutback_right")

Answer = tuple[str, Any, tuple[tuple[str, bool, Any, Any], ...]]  # status, number, exceptions


class Unknown(Exception):
    """A fact the answer needs is not in the fact set."""


# ── §8(f): receipt of notices, on the XFED business-day calendar ────────────

# The calendar as a plain set of holiday dates, built once from the holiday library for the
# years any fact set can reach (the library is asked directly outside them); receipts and
# rolled days are kept by date, as a careful implementation would.
_HOLIDAY_YEARS = range(1990, 2061)
_FIRST_DAY = datetime.date(_HOLIDAY_YEARS[0], 1, 1)
_LAST_DAY = datetime.date(_HOLIDAY_YEARS[-1], 12, 31)
_HOLIDAY_SET: frozenset[datetime.date] | None = None
_CALENDAR: Any = None
_MAIL_RECEIVED: dict[datetime.date, datetime.date] = {}
_ROLLED: dict[datetime.date, datetime.date] = {}


def _holidays() -> Any:
    global _CALENDAR
    if _CALENDAR is None:
        import holidays

        _CALENDAR = holidays.financial_holidays("XFED")
    return _CALENDAR


def _holiday_set() -> frozenset[datetime.date]:
    global _HOLIDAY_SET
    if _HOLIDAY_SET is None:
        import holidays

        _HOLIDAY_SET = frozenset(holidays.financial_holidays("XFED", years=_HOLIDAY_YEARS))
    return _HOLIDAY_SET


def _business_day(day: datetime.date) -> bool:
    if day.weekday() >= 5:
        return False
    if _FIRST_DAY <= day <= _LAST_DAY:
        return day not in _holiday_set()
    return day not in _holidays()


def received(channel: str, sent: datetime.date) -> datetime.date:
    """Mail is received on the fifth business day following mailing; the rest on the day."""
    if channel != "mail":
        return sent
    found = _MAIL_RECEIVED.get(sent)
    if found is None:
        day, left = sent, 5
        while left:
            day += ONE_DAY
            if _business_day(day):
                left -= 1
        found = _MAIL_RECEIVED[sent] = day
    return found


def last_day_rolled(day: datetime.date) -> datetime.date:
    """The last day of a period for an act, or the next business day if it is not one
    (reading period_last_day_rolls, N.Y. Gen. Constr. Law §25)."""
    found = _ROLLED.get(day)
    if found is None:
        found = day
        while not _business_day(found):
            found += ONE_DAY
        _ROLLED[day] = found
    return found


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _moves_holding(t: Any) -> bool:
    """§1: a Transfer that passes ownership to another Investor moves Restricted Stock."""
    f = t.fields
    return (f["kind"] not in ("pledge", "encumbrance") and f.get("transferee_investor") is not None
            and f["transferee_investor"] != f["transferor"])


def _and3(*parts: bool | None) -> bool | None:
    """Three-valued `and`: False if any part is False, else None (unknown) if any is."""
    if False in parts:
        return False
    return None if None in parts else True


# ── one fact set ────────────────────────────────────────────────────────────


class Deal:
    """The facts of one fact set as of a date, with the §1, §3(a)–(c) and §3(j) rules.

    Written as a careful engineer would: the events are indexed once (by the notice or
    statement they refer to), and what is asked again — the Investors entitled under a
    notice, its timely requests, whether it is satisfied, the further notices' receipts — is
    computed once per notice (an `Unknown` is kept and raised again like a value)."""

    def __init__(self, facts: Any, as_of: datetime.date):
        self.as_of = as_of
        self.investors: tuple[str, ...] = facts.roles.get("Investor", ())
        self.holdings: dict[tuple[str], int] = facts.values.get("savvis_common_shares") or {}
        self.rule144k: dict[tuple[str], bool] = facts.values.get("rule144k_eligible") or {}
        self.s3_eligible: bool | None = facts.values.get("s3_eligible")
        self.all_events = facts.events
        ev = self.visible
        self.demands = ev("DemandNotice", as_of)
        self.further_notices = ev("DemandFurtherNotice", as_of)
        self.short_form_further_notices = ev("ShortFormFurtherNotice", as_of)
        self.inclusions = ev("InclusionRequest", as_of)
        self.short_forms = ev("ShortFormNotice", as_of)
        self.statements = ev("RegistrationStatement", as_of)
        self.effective = ev("RegistrationEffective", as_of)
        self.withdrawals = ev("RegistrationWithdrawn", as_of)
        self.deferrals = ev("MaterialDeferral", as_of)
        self.cutbacks = ev("CutbackOpinion", as_of)
        self._cache: dict[Any, Any] = {}
        # the indexes, each one pass over its events (keyed by the id of the event referred to)
        self.demand_ids = {id(d) for d in self.demands}
        self.notified: dict[tuple[int, str], datetime.date] = {}  # earliest receipt
        self.sent_to: dict[int, set[str]] = {}  # sent a Further Notice on or after the notice
        for notices, field in ((self.further_notices, "demand"),
                               (self.short_form_further_notices, "notice")):
            for n in notices:
                request = n.fields[field]
                day = received(n.fields["channel"], n.date)
                for i in n.fields["recipients"]:
                    key = (id(request), i)
                    known = self.notified.get(key)
                    if known is None or day < known:
                        self.notified[key] = day
                if field == "demand" and n.date >= request.date:
                    self.sent_to.setdefault(id(request), set()).update(n.fields["recipients"])
        self.inclusions_of: dict[int, list[Any]] = {}
        for q in self.inclusions:
            self.inclusions_of.setdefault(id(q.fields["request"]), []).append(q)
        self.statements_of: dict[int, list[Any]] = {}
        for r in self.statements:
            if r.fields["request"] is not None:
                self.statements_of.setdefault(id(r.fields["request"]), []).append(r)
        self.effective_day: dict[int, datetime.date] = {}
        for e in self.effective:  # in date order: the first is the earliest
            self.effective_day.setdefault(id(e.fields["statement"]), e.date)
        self.withdrawn = {id(w.fields["statement"]) for w in self.withdrawals}
        # §1: each Investor's Restricted Stock after each event that changed it (sales to the
        # public, Transfers to or from another Investor), in the fact set's order: (days, values)
        changes = [s for s in self.visible("SharesSold", as_of) if s.fields["public"]]
        changes += [t for t in self.visible("Transfer", as_of) if _moves_holding(t)]
        changes.sort(key=lambda e: (e.date, e.seq))
        self.stock_history: dict[str, tuple[list[datetime.date], list[int]]] = {}
        held: dict[str, int] = {}
        for e in changes:
            f = e.fields
            if e.type == "SharesSold":
                moves = [(f["seller"], -f["shares"])]
            else:
                moves = [(f["transferor"], -f["shares"]), (f["transferee_investor"], f["shares"])]
            for i, delta in moves:
                start = self.holdings.get((i,))
                if start is None:
                    continue  # unknown holdings: restricted_stock raises Unknown
                now = max(held.get(i, start) + delta, 0)  # never negative
                held[i] = now
                days, values = self.stock_history.setdefault(i, ([], []))
                days.append(e.date)
                values.append(now)
        self.sold_under: dict[int, dict[str, int]] = {}  # by statement, by seller
        for s in self.visible("SharesSold", as_of):
            r = s.fields["statement"]
            if r is not None:
                sold = self.sold_under.setdefault(id(r), {})
                sold[s.fields["seller"]] = sold.get(s.fields["seller"], 0) + s.fields["shares"]
        self._counted: tuple[dict[int, bool | None], int, int] | None = None

    def visible(self, kind: str, day: datetime.date) -> list[Any]:
        """Events of a kind that had happened by `day` (the lists are in date order)."""
        evs = self.all_events.get(kind, [])
        if not evs or evs[-1].date <= day:
            return evs
        return [e for e in evs if e.date <= day]

    def _memo(self, key: Any, compute: Any) -> Any:
        """`compute()` once per key; an Unknown it raised is raised again."""
        try:
            found = self._cache[key]
        except KeyError:
            try:
                found = compute()
            except Unknown as exc:
                found = exc
            self._cache[key] = found
        if isinstance(found, Unknown):
            raise found
        return found

    # §3(j): Investors eligible under Rule 144(k) are excluded
    def may_participate(self, i: str) -> bool | None:
        flag = self.rule144k.get((i,))
        return None if flag is None else not flag

    def entitled(self, group: Any) -> frozenset[str]:
        """The Investors of a notice's shares who may participate (by the notice's shares)."""
        return self._memo(("entitled", id(group)), lambda: self._entitled(group))  # type: ignore[no-any-return]

    def _entitled(self, group: Any) -> frozenset[str]:
        out = set()
        for i in group:
            ok = self.may_participate(i)
            if ok is None:
                raise Unknown(f"rule144k_eligible({i})")
            if ok:
                out.add(i)
        return frozenset(out)

    # §1: Restricted Stock, as of a day
    def restricted_stock(self, i: str, day: datetime.date) -> int:
        held = self.holdings.get((i,))
        if held is None:
            raise Unknown(f"savvis_common_shares({i})")
        found = self.stock_history.get(i)
        if found is None:
            return held
        days, values = found
        k = bisect.bisect_right(days, day)  # the events up to `day` (as_of at the latest)
        return values[k - 1] if k else held

    def majority_in_interest(self, group: Any, day: datetime.date) -> bool:
        key = ("majority", frozenset(group), day)
        if key not in self._cache:
            part = sum(self.restricted_stock(i, day) for i in group)
            outstanding = sum(self.restricted_stock(i, day) for i in self.investors)
            self._cache[key] = 2 * part > outstanding
        return self._cache[key]  # type: ignore[no-any-return]

    def majority_demand(self, d: Any) -> bool | None:
        """The trigger of §3(a): requested by a majority in interest (judged on its day), on
        or after the agreement's date."""
        key = ("majority_demand", id(d))
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        found: bool | None
        if d.date < AGREEMENT_DATE:
            found = False
        else:
            try:
                found = self.majority_in_interest(self.entitled(d.fields["shares"]), d.date)
            except Unknown:
                found = None
        self._cache[key] = found
        return found

    # §3(a), §3(b): further notices and inclusion requests
    def further_notice_received(self, request: Any, i: str) -> datetime.date | None:
        """When the Investor received the (Demand or Short Form) Further Notice."""
        return self.notified.get((id(request), i))

    def timely(self, q: Any) -> bool | None:
        d, i = q.fields["request"], q.fields["investor"]
        if i in d.fields["shares"] or q.date < d.date:  # a request dated before the notice
            return False
        notified = self.further_notice_received(d, i)
        in_time = notified is not None and (
            received(q.fields["channel"], q.date)
            <= last_day_rolled(notified + datetime.timedelta(days=30)))
        return _and3(self.may_participate(i), notified is not None, in_time)

    def timely_requests(self, d: Any) -> list[Any]:
        return self._memo(("timely", id(d)), lambda: self._timely_requests(d))  # type: ignore[no-any-return]

    def _timely_requests(self, d: Any) -> list[Any]:
        out = []
        for q in self.inclusions_of.get(id(d), ()):
            ok = self.timely(q)
            if ok is None:
                raise Unknown("rule144k_eligible")
            # §3(c)(vii): in an underwritten offering a request that does not specify the
            # same terms is no request to be included (same_terms_is_a_condition_of_inclusion)
            if ok and (q.fields["same_terms"]
                       or d.fields["method"] not in UNDERWRITTEN):
                out.append(q)
        return out

    def participants(self, d: Any) -> frozenset[str]:
        return self.entitled(d.fields["shares"]) | {
            q.fields["investor"] for q in self.timely_requests(d)}

    def requested_by(self, d: Any, i: str) -> int:
        """The notice's and timely requests' shares, up to the Restricted Stock the Investor
        held on the notice's day."""
        return self._memo(("requested", id(d), i), lambda: self._requested_by(d, i))  # type: ignore[no-any-return]

    def _requested_by(self, d: Any, i: str) -> int:
        own = d.fields["shares"][i] if i in self.entitled(d.fields["shares"]) else 0
        asked = own + sum(q.fields["shares"] for q in self.timely_requests(d)
                          if q.fields["investor"] == i)
        return min(asked, self.restricted_stock(i, d.date))

    def demand_shares(self, d: Any) -> int:
        return self._memo(("shares", id(d)), lambda: sum(
            self.requested_by(d, i) for i in self.participants(d)))  # type: ignore[no-any-return]

    # §3(c)(i): when a registration is satisfied
    def effective_on(self, r: Any) -> datetime.date | None:
        return self.effective_day.get(id(r))

    def notice_shares_sold(self, r: Any, request: Any) -> int:
        """The notice's shares its (entitled) Investors sold under `r`, each up to its own
        (itself up to what it held on the notice's day)."""
        specified = request.fields["shares"]
        sold = self.sold_under.get(id(r), {})
        return sum(min(specified[i], self.restricted_stock(i, request.date), sold.get(i, 0))
                   for i in self.entitled(specified))

    def covers(self, r: Any, request: Any) -> bool:
        """§3(c)(i): effective, covering the notice's shares, and (firm commitment) all of them
        sold; a statement not yet effective decides without the shares (`exists(...) and`)."""
        if self.effective_on(r) is None:
            return False
        requested = self.notice_shares(request)
        return r.fields["shares"] >= requested and (
            request.fields["method"] != "firm_commitment"
            or self.notice_shares_sold(r, request) >= requested)

    def satisfied(self, request: Any, s3_only: bool) -> bool:
        """Some statement under the request covers it (`any`: one that does decides; else a
        statement that needs a missing fact leaves it unknown); `covers(...) and r.form == S3`:
        a statement not on Form S-3 decides."""
        return self._memo(("satisfied", id(request), s3_only),  # type: ignore[no-any-return]
                          lambda: self._satisfied(request, s3_only))

    def _satisfied(self, request: Any, s3_only: bool) -> bool:
        unknown: Unknown | None = None
        for r in self.statements_of.get(id(request), ()):
            if s3_only and r.fields["form"] != "S3":
                continue
            try:
                if self.covers(r, request):
                    return True
            except Unknown as exc:
                unknown = exc
        if unknown is not None:
            raise unknown
        return False

    def notice_shares(self, d: Any) -> int:
        """The shares the (Demand or Short Form) notice specifies, each Investor's up to the
        Restricted Stock it held on the notice's day."""
        return self._memo(("notice_shares", id(d)), lambda: sum(  # type: ignore[no-any-return]
            min(d.fields["shares"][i], self.restricted_stock(i, d.date))
            for i in self.entitled(d.fields["shares"])))

    def demand_satisfied(self, d: Any) -> bool:
        return self.satisfied(d, False)

    def short_form_satisfied(self, s: Any) -> bool:
        return self.satisfied(s, True)

    # §3(b): the S-3 and $5,000,000 test (judged on the notice's day)
    def short_form_valid(self, s: Any) -> bool | None:
        key = ("short_form_valid", id(s))
        if key in self._cache:
            return self._cache[key]  # type: ignore[no-any-return]
        try:
            anyone: bool | None = len(self.entitled(s.fields["shares"])) > 0
        except Unknown:
            anyone = None
        found = self._cache[key] = _and3(s.date >= AGREEMENT_DATE, self.s3_eligible, anyone,
                                         s.fields["net_proceeds"] > FIVE_MILLION)
        return found

    # exceptions: §3(a) two demands, §3(c)(ii) prior registration, §3(c)(viii) deferral
    def demand_registrations(self) -> tuple[dict[int, bool | None], int, int]:
        """Whether each Demand Notice makes a satisfied Demand Registration (only a notice of
        a majority in interest, on its date, makes one; `and` is three-valued), with how many
        do and how many are unknown: computed once, not once per other notice."""
        if self._counted is None:
            counted: dict[int, bool | None] = {}
            for x in self.demands:
                try:
                    satisfied: bool | None = self.demand_satisfied(x)
                except Unknown:
                    satisfied = None
                counted[id(x)] = _and3(self.majority_demand(x), satisfied)
            values = list(counted.values())
            self._counted = (counted, values.count(True), values.count(None))
        return self._counted

    def two_demands(self, d: Any) -> list[tuple[str, bool, Any, Any]]:
        """Excused when two other Demand Registrations are satisfied and this one is not."""
        try:
            unsatisfied: bool | None = not self.demand_satisfied(d)
        except Unknown:
            unsatisfied = None
        counted, count, unknown = self.demand_registrations()
        own = counted[id(d)]  # the others: all but d
        count -= own is True
        unknown -= own is None
        # three-valued: two known decide it whatever the unknown ones are, and so do too few
        # even if every unknown one counted (language.md §7.1, a count compared with a number)
        enough: bool | None = (True if count >= 2 else False if count + unknown < 2
                               else None)
        applies = _and3(unsatisfied, enough)
        if applies is None:
            raise Unknown("two_demand_registrations")
        return [(TWO_DEMANDS, True, d.date, None)] if applies else []

    def required_registration(self, r: Any) -> bool:
        """§3(c)(i): filed for a Demand Notice or a valid Short Form Registration Notice."""
        q = r.fields["request"]
        if q is None:
            return False
        valid = (self.majority_demand(q) if id(q) in self.demand_ids
                 else self.short_form_valid(q))
        if valid is None:
            raise Unknown("required_registration")
        return valid

    def prior_registrations(self, q: Any) -> tuple[list[tuple[str, bool, Any, Any]], bool]:
        """The §3(c)(ii) delays of request q, and whether one more needs a missing fact."""
        delivered = received(q.fields["channel"], q.date)
        out, missing = [], False
        for r in self.statements:
            f = r.fields
            if not (f["notice_given"] and f["public_sale"] and f["form"] not in NOT_PRIOR_FORMS
                    and r.date < delivered and id(r) not in self.withdrawn):
                continue
            eff = self.effective_on(r)
            last = None if eff is None else eff + datetime.timedelta(days=180)
            if last is not None and last < delivered:  # its delay ended before the request
                continue
            try:
                if self.required_registration(r):
                    continue
            except Unknown:
                missing = True
                continue
            active = r.date <= self.as_of and (last is None or self.as_of <= last)
            out.append((PRIOR_REGISTRATION, active, r.date, last))
        return out, missing

    def deferral_end(self, m: Any) -> datetime.date:
        latest = m.date + datetime.timedelta(days=90)
        disclosed = m.fields["disclosed"]
        return latest if disclosed is None else min(disclosed, latest)

    def deferred_by(self, q: Any, m: Any) -> bool:
        """m defers q's registration: made while a registration was pending, the information
        not yet public, and q pending on its day or received before the deferral's end."""
        rec = received(q.fields["channel"], q.date)
        return self.delays_something(m) and (self.pending_on(q, m.date) or (
            m.date < rec < self.deferral_end(m) and self.pending_on(q, rec)))

    def delay_start(self, q: Any, m: Any) -> datetime.date:
        """The first day m delays q: its day, or the later day q is received."""
        return max(m.date, received(q.fields["channel"], q.date))

    def delayed_until(self, q: Any, m: Any) -> datetime.date:
        """The day q's registration is required again after m: the delay runs day by day
        while q's own days of delay in the twelve months ending on each day, counting it, are
        at most 90 (each requested registration has its own aggregate)."""
        key = ("until", q, m)
        found = self._cache.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        start = self.delay_start(q, m)
        if not self.deferred_by(q, m):
            self._cache[key] = start
            return start
        # q's earlier delays, as (first day, end) of the delay they gave it, cut at m's start
        earlier = [(self.delay_start(q, x), min(self.delayed_until(q, x), start))
                   for x in self.earlier_delays(q, m)]
        # the delay runs from its start until the first day on which q's days of delay in the
        # twelve months ending on it, counting it, would pass 90 (or the deferral's end)
        day, stop = start, self.deferral_end(m)  # the days start … deferral_end - 1
        while day < stop:
            window = _year_before(day) + ONE_DAY
            before = sum(max(0, (end - max(first, window)).days) for first, end in earlier)
            if before + (day - start).days + 1 > 90:
                break
            day += ONE_DAY
        found = max(day, start)
        self._cache[key] = found
        return found

    def earlier_delays(self, q: Any, m: Any) -> list[Any]:
        """The determinations before m (by date, then the fact file's order) that delayed q."""
        return [x for x in self.deferrals
                if (x.date, x.seq) < (m.date, m.seq) and self.delays_request(q, x)]

    def delays_request(self, q: Any, m: Any) -> bool:
        """m defers q, q was delayed fewer than twice in the twelve months before, and q's
        aggregate leaves a day (the limits count each requested registration's own delays)."""
        key = ("delays", q, m)
        found = self._cache.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        year_before = _year_before(m.date)
        found = self.deferred_by(q, m) and sum(
            1 for x in self.earlier_delays(q, m) if year_before < x.date) < 2 and (
            self.delayed_until(q, m) > self.delay_start(q, m))
        self._cache[key] = found
        return found

    def delays_something(self, x: Any) -> bool:
        """Made while a registration was pending, the information not yet public."""
        key = ("delays", id(x))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.deferral_end(x) > x.date and (
                any(self.majority_demand(q) and self.pending_on(q, x.date)
                    for q in self.demands)
                or any(self.short_form_valid(q) and self.pending_on(q, x.date)
                       for q in self.short_forms))
        return found  # type: ignore[no-any-return]

    def first_effective_under(self, q: Any) -> datetime.date | None:
        """The first day a registration statement under request q became effective."""
        key = ("first_effective", id(q))
        if key not in self._cache:
            days = [self.effective_day[id(r)] for r in self.statements_of.get(id(q), ())
                    if id(r) in self.effective_day]
            self._cache[key] = min(days) if days else None
        return self._cache[key]  # type: ignore[no-any-return]

    def pending_on(self, q: Any, day: datetime.date) -> bool:
        """Received by `day`, no registration statement under it effective by then."""
        if received(q.fields["channel"], q.date) > day:
            return False
        eff = self.first_effective_under(q)
        return eff is None or eff > day

    def deferrals_of(self, q: Any) -> list[tuple[str, bool, Any, Any]]:
        out = []
        rec = received(q.fields["channel"], q.date)
        for m in self.deferrals:
            if self.delays_request(q, m):
                last = self.delayed_until(q, m) - ONE_DAY
                out.append((MATERIAL_DEFERRAL, m.date <= self.as_of <= last, m.date, last))
        return out


def _status(missing: bool, exceptions: list[tuple[str, bool, Any, Any]],
            performed: bool | None) -> str:
    """The status of a §3(a)/§3(b) registration obligation (no deadline, no period): an
    exception that needs a missing fact cannot change a registration made."""
    if performed:
        return "fulfilled"
    if missing or performed is None:
        return "undetermined"
    if any(x[0] == TWO_DEMANDS for x in exceptions):
        return "excused"
    if any(x[1] for x in exceptions if x[0] != TWO_DEMANDS):
        return "suspended"
    return "pending"


def _largest_remainder(total: int, weights: list[tuple[str, int]]) -> dict[str, int]:
    wsum = sum(w for _, w in weights)
    if wsum == 0 or total <= 0:
        return {k: 0 for k, _ in weights}
    exact = {k: Fraction(total * w, wsum) for k, w in weights}
    out = {k: v.numerator // v.denominator for k, v in exact.items()}
    left = total - sum(out.values())
    order = sorted(weights, key=lambda kw: (-(exact[kw[0]] - out[kw[0]]), -kw[1], kw[0]))
    for k, _ in order[:left]:
        out[k] += 1
    return out


def agreement_end(facts: Any, day: datetime.date) -> datetime.date | None:
    """§6: the Agreement's last day — the first day, from its date through `day`, at the end of
    which no Investor holds Restricted Stock — or None while it survives (or while that is
    undetermined: the answers are then given as if it survived)."""
    deal = Deal(facts, day)
    days = sorted({AGREEMENT_DATE} | {s.date for s in deal.visible("SharesSold", day)
                                      if s.fields["public"] and s.date > AGREEMENT_DATE})
    for d in days:
        held, unknown = False, False
        for i in sorted(deal.investors):
            try:
                if deal.restricted_stock(i, d) > 0:
                    held = True
                    break
            except Unknown:
                unknown = True
        if held:
            continue
        return None if unknown else d
    return None


def decide(facts: Any, as_of: datetime.date | None = None,
           survival: bool = False) -> dict[str, Answer]:
    """Every answer of the four clauses, keyed by the engine's instance name; `survival`:
    with §6 (the whole agreement), as the engine's `survives while` applies it."""
    day = as_of or facts.as_of
    end = agreement_end(facts, day) if survival else None
    if end is None:
        return _decide(facts, day)
    out = {}
    for key, (status, number, exceptions) in _decide(facts, end).items():
        if status in ("pending", "in_force", "suspended"):
            status = "expired"  # ended with the Agreement
        out[key] = (status, number, exceptions)
    # an event after the Agreement's last day triggers nothing
    deal = Deal(facts, day)
    later = [("3(a).further_notice", d) for d in deal.demands if d.date > end]
    later += [("3(a).register", d) for d in deal.demands if d.date > end]
    later += [("3(b).register", s) for s in deal.short_forms if s.date > end]
    later += [("3(c)(iii).cutback_right", o) for o in deal.cutbacks if o.date > end]
    for clause, e in later:
        out.pop(clause, None)  # "no such event" on the last day: there are some, after it
        out[f"{clause}[{e.id}]"] = ("not_triggered", None, ())
    return out


def _decide(facts: Any, day: datetime.date) -> dict[str, Answer]:
    deal = Deal(facts, day)
    out: dict[str, Answer] = {}

    # §3(a).further_notice and §3(a).register, one instance per Demand Notice
    if not deal.demands:
        out["3(a).further_notice"] = ("not_triggered", None, ())
        out["3(a).register"] = ("not_triggered", None, ())
    for d in deal.demands:
        majority = deal.majority_demand(d)
        name = f"[{d.id}]"
        if majority is None:
            out["3(a).further_notice" + name] = ("undetermined", None, ())
            out["3(a).register" + name] = ("undetermined", None, ())
            continue
        if not majority:
            out["3(a).further_notice" + name] = ("not_triggered", None, ())
            out["3(a).register" + name] = ("not_triggered", None, ())
            continue
        # "immediately" has no date (reading immediately_promptly): the further notice is
        # performed on the day the last of the other Investors has been sent one, and pending
        # until then
        sent = deal.sent_to.get(id(d), set())
        everyone = all(i in sent for i in deal.investors if i not in d.fields["shares"])
        status = "fulfilled" if everyone else "pending"
        out["3(a).further_notice" + name] = (status, None, ())
        # registration: the participants and the shares may be undetermined while the
        # status is not (they then have no number)
        missing = False
        try:
            shares: int | None = deal.demand_shares(d)
        except Unknown:
            shares = None
        exceptions = []
        try:
            exceptions += deal.two_demands(d)
        except Unknown:
            missing = True
        prior, unsure = deal.prior_registrations(d)
        exceptions += prior
        missing = missing or unsure
        exceptions += deal.deferrals_of(d)
        try:
            performed: bool | None = deal.demand_satisfied(d)
        except Unknown:
            performed = None
        out["3(a).register" + name] = (_status(missing, exceptions, performed), shares,
                                       tuple(exceptions))

    # §3(b).register, one instance per Short Form Registration Notice
    if not deal.short_forms:
        out["3(b).register"] = ("not_triggered", None, ())
    for s in deal.short_forms:
        name = f"3(b).register[{s.id}]"
        valid = deal.short_form_valid(s)
        if valid is None:
            out[name] = ("undetermined", None, ())
            continue
        if not valid:
            out[name] = ("not_triggered", None, ())
            continue
        try:
            shares = deal.demand_shares(s)
        except Unknown:
            shares = None
        exceptions, missing = deal.prior_registrations(s)
        exceptions += deal.deferrals_of(s)
        try:
            performed = deal.short_form_satisfied(s)
        except Unknown:
            performed = None
        out[name] = (_status(missing, exceptions, performed), shares, tuple(exceptions))

    # §3(c)(iii).cutback_right, one instance per cutback opinion
    if not deal.cutbacks:
        out["3(c)(iii).cutback_right"] = ("not_triggered", None, ())
    for o in deal.cutbacks:
        name = f"3(c)(iii).cutback_right[{o.id}]"
        d = o.fields["demand"]
        if d.fields["method"] not in UNDERWRITTEN:
            out[name] = ("not_triggered", None, ())
            continue
        try:
            who = deal.participants(d)
            total = min(o.fields["limit"], deal.demand_shares(d))
            weights = [(i, deal.requested_by(d, i)) for i in sorted(who)]
        except Unknown:  # the right stands; its allocation is undetermined
            out[name] = ("in_force", None, ())
            continue
        out[name] = ("in_force", _largest_remainder(total, weights), ())
    return out


def normalised(answers: dict[str, Answer]) -> dict[str, Answer]:
    """An undetermined answer has no number to compare."""
    return {k: (a[0], None if a[0] == "undetermined" else a[1], a[2])
            for k, a in answers.items()}


def disagreements(engine: dict[str, Answer], baseline: dict[str, Answer]) -> list[str]:
    """Where the engine's answers and the baseline's differ (empty when they agree)."""
    e, b = normalised(engine), normalised(baseline)
    out = []
    for key in sorted(set(e) | set(b)):
        if e.get(key) != b.get(key):
            out.append(f"{key}: engine {e.get(key)!r}, baseline {b.get(key)!r}")
    return out


def engine_answers(outcome: Any) -> dict[str, Answer]:
    """The same fields, taken from an engine `Outcome`."""
    out: dict[str, Answer] = {}
    for r in outcome.norms:
        if r.norm.id not in CLAUSES:
            continue
        number = r.withs[0][1] if r.withs and r.status != "not_triggered" else None
        if r.status == "undetermined":
            number = None
        out[r.instance] = (r.status, number,
                           tuple((a.exception, a.active, a.start, a.end) for a in r.exceptions))
    return out
