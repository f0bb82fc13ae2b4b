"""Calendars: the shipped list of names matches the pinned holidays library."""

from __future__ import annotations

import datetime

from rrdsl.calendars import BusinessCalendar, calendar_names, library_calendar_names


def test_shipped_calendar_names_are_the_librarys() -> None:
    assert sorted(calendar_names()) == sorted(library_calendar_names())


def test_business_days_skip_weekends_and_holidays() -> None:
    cal = BusinessCalendar("XFED")
    # mailed Friday 2001-06-29: July 4 2001 (a Wednesday) is a holiday
    assert cal.add(datetime.date(2001, 6, 29), 5) == datetime.date(2001, 7, 9)
    assert not cal.is_business_day(datetime.date(2001, 7, 4))
    assert cal.holiday_name(datetime.date(2001, 7, 4)) == "Independence Day"
