"""Fact validation's shortcuts (rrdsl/facts.py) decide as its general path does: an event
field's value kept as it is (`_kept_as_is`) is one `_Loader.value` keeps without a message,
and only the fields of the types `_unfinished` names are completed after loading."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import rrdsl
from rrdsl import facts
from rrdsl.types import Type

SAVVIS = Path(__file__).resolve().parent.parent / "contracts" / "savvis_2001.rrd"
KINDS = ("shares", "text", "bool", "date", "int")
RAW = st.one_of(
    st.integers(min_value=-2 * facts.MAX_SHARES, max_value=2 * facts.MAX_SHARES),
    st.sampled_from([0, -1, 1, facts.MAX_SHARES, facts.MAX_SHARES + 1, -facts.MAX_SHARES,
                     -facts.MAX_SHARES - 1, True, False, None, "", "none", "2001-02-20",
                     Decimal("1.5"), 1.5, [], {}]),
    st.text(max_size=5), st.booleans(), st.dates(), st.datetimes(), st.decimals(),
)
_CONTRACT = rrdsl.load(SAVVIS).ir


def _loader() -> Any:
    return facts._Loader(_CONTRACT, "<test>", "", "toml")


@given(RAW, st.sampled_from(KINDS))
def test_a_value_kept_as_it_is_is_one_the_general_path_keeps(raw: Any, kind: str) -> None:
    if not facts._kept_as_is(raw, kind):
        return
    loader = _loader()
    assert loader.value(raw, Type(kind), ("x",), "x") is raw
    assert loader.diags == []


def test_the_shortcut_leaves_to_the_general_path_what_it_would_refuse_or_change() -> None:
    # bool is an int to Python, not a number of shares; a datetime is a date to Python, but
    # has a time of day; numbers past the limit and negative shares are refused by `value`
    for raw, kind in ((True, "shares"), (True, "int"), (datetime.datetime(2001, 1, 1), "date"),
                      (facts.MAX_SHARES + 1, "int"), (-1, "shares"), (1, "text"),
                      ("true", "bool"), ("2001-02-20", "date")):
        assert not facts._kept_as_is(raw, kind), (raw, kind)
    for kind in ("party", "enum", "event", "money", "ratio", "set", "map", "opt"):
        assert not facts._kept_as_is("x", kind)


def test_only_references_sets_and_tables_are_completed_after_loading() -> None:
    event = Type("event", names=frozenset({"DemandNotice"}))
    for t in (event, Type("set", args=(Type("party"),)), Type("map", args=(Type("party"),
              Type("shares"))), Type("opt", args=(event,))):
        assert facts._unfinished(t), t
    for t in (Type("shares"), Type("party"), Type("opt", args=(Type("date"),))):
        assert not facts._unfinished(t), t


def test_an_event_field_that_refers_to_an_event_is_the_event_itself() -> None:
    data = {"as_of": datetime.date(2001, 6, 1),
            "parties": {"A": "Investor"},
            "facts": {"savvis_common_shares": {"A": 100}},
            "events": {
                "DemandNotice": [{"id": "dn1", "date": datetime.date(2001, 5, 2),
                                  "shares": {"A": 100}, "method": "underwritten",
                                  "channel": "courier"}],
                "DemandFurtherNotice": [{"id": "dfn1", "date": datetime.date(2001, 5, 3),
                                         "demand": "dn1", "recipients": ["A"],
                                         "channel": "personal"}]}}
    fs = facts.parse_facts(_CONTRACT, data)
    dn1 = fs.events_by_id["dn1"]
    dfn1 = fs.events_by_id["dfn1"]
    assert dfn1.fields["demand"] is dn1
    assert dfn1.fields["recipients"] == frozenset({"A"})
    assert dn1.fields["shares"] == {"A": 100}
    assert dn1.fields["channel"] == "courier" and dn1.fields["method"] == "underwritten"
