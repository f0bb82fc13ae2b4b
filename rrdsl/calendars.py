"""Calendars: business days from a maintained holiday library, named by the contract.

A calendar name is a market code of `holidays.financial_holidays` ("XFED", "XNYS", ...) or a
country code with an optional subdivision ("US", "US-NY"). Weekends are Saturday and Sunday.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def _holidays() -> Any:
    import holidays  # ~60 ms to import: only when a business day is counted or a name checked

    return holidays


@lru_cache(maxsize=1)
def calendar_names() -> tuple[str, ...]:
    """Every calendar name the pinned `holidays` release knows, read from a list shipped with
    rrdsl: importing `holidays` to list them costs ~0.2 s, too much for `rrdsl check`.
    tests/test_calendars.py checks the list against the library itself. Read beside this
    module, like the grammar (`sourcetext.grammar_text`)."""
    text = (Path(__file__).parent / "calendar_names.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def library_calendar_names() -> tuple[str, ...]:
    """The same list, asked of the `holidays` library (slow; for the test)."""
    h = _holidays()
    markets = list(h.list_supported_financial())
    countries = []
    for code, subdivisions in h.list_supported_countries().items():
        countries.append(code)
        countries.extend(f"{code}-{s}" for s in subdivisions)
    return tuple(markets + countries)


def known_calendar(name: str) -> bool:
    return name in calendar_names()


class BusinessCalendar:
    """Counts business days on one named calendar; holiday years are loaded on demand."""

    def __init__(self, name: str):
        self.name = name
        self._cal: Any = None

    def _table(self) -> Any:
        if self._cal is None:
            h = _holidays()
            # expand=True (the default): a year's holidays are computed when first asked for
            if self.name in h.list_supported_financial():
                self._cal = h.financial_holidays(self.name)
            else:
                country, _, subdiv = self.name.partition("-")
                self._cal = h.country_holidays(country, subdiv=subdiv or None)
        return self._cal

    def is_business_day(self, day: datetime.date) -> bool:
        if day.weekday() >= 5:
            return False
        return day not in self._table()

    def holiday_name(self, day: datetime.date) -> str | None:
        name = self._table().get(day)
        return str(name) if name else None

    def add(self, start: datetime.date, count: int) -> datetime.date:
        """The `count`-th business day following `start` (start itself is never counted)."""
        step = 1 if count >= 0 else -1
        day = start
        left = abs(count)
        while left:
            day += datetime.timedelta(days=step)
            if self.is_business_day(day):
                left -= 1
        return day
