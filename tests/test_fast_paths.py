"""The evaluator's shortcuts against the slow, obvious ways they replace."""

from __future__ import annotations

import datetime
import random

import attrs

from rrdsl import evaluator
from rrdsl.calendars import BusinessCalendar


def test_result_sets_every_field_of_norm_result() -> None:
    assert tuple(a.name for a in attrs.fields(evaluator.NormResult)) == evaluator._RESULT_FIELDS
    norm = object()
    fast = evaluator._result(norm, "x[a]", "a", None, "pending", "")  # type: ignore[arg-type]
    slow = evaluator.NormResult(norm, "x[a]", "a", None, None, "pending", "")  # type: ignore[arg-type]
    assert fast == slow
    assert fast.missing is not slow.missing and fast.withs is not fast.exceptions


def test_calendar_agrees_with_the_library() -> None:
    fast, slow = evaluator._Calendar("XFED"), BusinessCalendar("XFED")
    rnd = random.Random(7)
    for _ in range(3000):
        day = datetime.date(1998, 1, 1) + datetime.timedelta(days=rnd.randrange(12 * 366))
        n = rnd.randrange(-8, 9)
        assert fast.add(day, n) == slow.add(day, n), (day, n)
        assert fast.is_business_day(day) == slow.is_business_day(day), day
