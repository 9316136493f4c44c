"""Calendar arithmetic: months are calendar months, clamped to the end of the month."""

import datetime

import pendulum
from hypothesis import given, strategies as st

from pbr_rules.values import Duration
from pbr_rules.dates import add_duration, add_months, parse_iso_date, subtract_duration

import pytest

dates = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2040, 12, 31))


@pytest.mark.parametrize("start, months, expected", [
    ("2012-08-31", 6, "2013-02-28"),
    ("2011-08-31", 6, "2012-02-29"),   # leap year
    ("2012-01-31", 1, "2012-02-29"),
    ("2012-02-29", 12, "2013-02-28"),
    ("2012-11-30", 12, "2013-11-30"),
    ("2012-12-31", 2, "2013-02-28"),
    ("2013-03-31", -1, "2013-02-28"),
])
def test_month_arithmetic_clamps_to_month_end(start, months, expected):
    assert add_months(datetime.date.fromisoformat(start), months).isoformat() == expected


@given(dates, st.integers(min_value=-60, max_value=60), st.integers(min_value=-400, max_value=400))
def test_agrees_with_pendulum(day, months, days):
    expected = pendulum.Date(day.year, day.month, day.day).add(months=months).add(days=days)
    assert add_duration(day, Duration(months, days)) == datetime.date(expected.year, expected.month, expected.day)


@given(dates, st.integers(min_value=0, max_value=60))
def test_subtracting_undoes_adding_up_to_clamping(day, months):
    there = add_months(day, months)
    back = subtract_duration(there, Duration(months, 0))
    assert back <= day and (day - back).days <= 3


@given(dates, dates, st.integers(min_value=0, max_value=40))
def test_adding_months_keeps_order(a, b, months):
    if a <= b:
        assert add_months(a, months) <= add_months(b, months)


def test_unknown_stays_unknown():
    assert add_duration(None, Duration(1, 0)) is None
    assert add_duration(datetime.date(2012, 1, 1), None) is None


@pytest.mark.parametrize("text", ["2013-02-30", "2013-13-01", "20130201", "2013-2-1", "", "2013-02-01T00:00"])
def test_only_real_iso_dates_parse(text):
    with pytest.raises(ValueError):
        parse_iso_date(text)
