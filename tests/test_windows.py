"""Every form of time window at its boundaries, restarts, and closing with a data lag."""

from __future__ import annotations

import pytest

from conftest import client, episode, load_text, status_of

WINDOWS = """
ruleset windows version 1.0.0
extends national 1.0.0

outcome after_for "after X for N"
  domain health, final, per episode e
  window w = after e.start for 1 month
  achieved at e.start when some p in client.presentations within w because "inside {w}"
  not achieved at e.start when no p in client.presentations within w because "outside {w}"
  otherwise pending until w.end because "open"

outcome from_for "from X for N"
  domain health, final, per episode e
  window w = from e.start for 1 month
  achieved at e.start when some p in client.presentations within w because "inside {w}"
  not achieved at e.start when no p in client.presentations within w because "outside {w}"
  otherwise pending until w.end because "open"

outcome after_until "after X until Y"
  domain health, final, per episode e
  window w = after e.start until e.start + 10 days
  achieved at e.start when some p in client.presentations within w because "inside {w}"
  not achieved at e.start when no p in client.presentations within w because "outside {w}"
  otherwise pending until w.end because "open"

outcome from_until "from X until Y"
  domain health, final, per episode e
  window w = from e.start until e.start + 10 days
  achieved at e.start when some p in client.presentations within w because "inside {w}"
  not achieved at e.start when no p in client.presentations within w because "outside {w}"
  otherwise pending until w.end because "open"

outcome membership "a date in a window"
  domain health, final, per episode e
  window w = after e.start for 1 month
  let first = earliest p in client.presentations
  achieved at e.start when first.date in w because "in"
  not achieved at e.start when first is known because "not in"
  otherwise pending because "none"
"""

START = "2012-01-31"   # 1 month after 31 January is 29 February 2012


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    return load_text(tmp_path_factory, "windows", WINDOWS)


@pytest.mark.parametrize("outcome, day, inside", [
    ("after_for", "2012-01-31", False),   # the anchor day itself is outside
    ("after_for", "2012-02-01", True),
    ("after_for", "2012-02-29", True),    # X + 1 month, clamped: inside
    ("after_for", "2012-03-01", False),
    ("from_for", "2012-01-31", True),     # inclusive start
    ("from_for", "2012-02-28", True),
    ("from_for", "2012-02-29", False),    # X + N itself is outside
    ("after_until", "2012-01-31", False),
    ("after_until", "2012-02-10", True),  # until Y includes Y
    ("after_until", "2012-02-11", False),
    ("from_until", "2012-01-31", True),
    ("from_until", "2012-02-10", True),
    ("from_until", "2012-02-11", False),
    ("membership", "2012-01-31", False),
    ("membership", "2012-02-29", True),
    ("membership", "2012-03-01", False),
])
def test_window_boundaries(windows, outcome, day, inside):
    person = client(episodes=[episode("E1", START)], presentations=[(day, "treatment")])
    result = windows.evaluate(person, as_of="2013-01-01")
    expected = "achieved" if inside else "not_achieved"
    assert status_of(result, outcome, "E1")[0] == expected


def test_an_open_window_is_undecided_until_its_last_day(windows):
    person = client(episodes=[episode("E1", START)])
    assert status_of(windows.evaluate(person, "2012-02-28"), "after_for", "E1") == ("pending", None, "2012-02-29")
    assert status_of(windows.evaluate(person, "2012-02-29"), "after_for", "E1")[0] == "not_achieved"


def test_reasons_state_the_window_in_dates(windows):
    person = client(episodes=[episode("E1", START)], presentations=[("2012-02-05", "treatment")])
    result = windows.evaluate(person, "2013-01-01").result("after_for", "E1")
    assert result.reasons == ("inside the period 2012-02-01 to 2012-02-29",)


LAGGED = """
ruleset lagged version 1.0.0
extends national 1.0.0
override parameter offence_lag = 10 months
  because "convictions take about 10 months to reach the data"
"""


@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    return load_text(tmp_path_factory, "lagged", LAGGED)


def test_offending_stays_pending_until_period_end_plus_lag(lagged):
    # episode starts 2012-06-30: the 6-month period runs 2012-07-01 .. 2012-12-30
    person = client(episodes=[episode("E1", "2012-06-30")])
    due = "2013-10-30"  # 2012-12-30 + 10 months
    assert status_of(lagged.evaluate(person, "2013-10-29"), "no_offending_6m", "E1") == ("pending", None, due)
    assert status_of(lagged.evaluate(person, due), "no_offending_6m", "E1") == ("achieved", "2012-12-30", None)


def test_a_lagging_record_appears_only_once_its_lag_has_passed(lagged):
    # offences restart the clock only once they are in the data (date + 10 months)
    person = client(episodes=[episode("E1", "2012-01-15")], offences=["2012-04-30"])
    # 2012-04-30 + 10 months = 2013-02-28 (clamped). The day before, the offence is not known:
    # the period is still 2012-01-16 .. 2012-07-15, decided on 2012-07-15 + 10 months.
    assert status_of(lagged.evaluate(person, "2013-02-27"), "no_offending_6m", "E1") == (
        "pending", None, "2013-05-15")
    # from that day it restarts the clock: 2012-05-01 .. 2012-10-30, decided on 2013-08-30
    after = lagged.evaluate(person, "2013-02-28").result("no_offending_6m", "E1")
    assert (after.status, after.due.isoformat()) == ("pending", "2013-08-30")
    assert after.reasons[0].startswith("The clock restarted on the day after the offence of 2012-04-30")


def test_lag_uses_end_plus_lag_not_as_of_minus_lag(lagged):
    # a period ending 30 April closes on 28 February + ... (30 Apr + 10 months = 28 Feb 2013)
    person = client(episodes=[episode("E1", "2011-10-30")])  # 6-month period ends 2012-04-30
    assert status_of(lagged.evaluate(person, "2013-02-27"), "no_offending_6m", "E1")[0] == "pending"
    assert status_of(lagged.evaluate(person, "2013-02-28"), "no_offending_6m", "E1") == ("achieved", "2012-04-30", None)


def test_each_restart_is_recorded_in_the_reasons(national):
    person = client(episodes=[episode("E1", "2012-01-15")], offences=["2012-03-01", "2012-05-01"])
    result = national.evaluate(person, "2013-01-01").result("no_offending_6m", "E1")
    assert result.status == "achieved" and result.date.isoformat() == "2012-11-01"
    assert result.reasons[:2] == (
        "The clock restarted on the day after the offence of 2012-03-01 (restart 1 of at most 2).",
        "The clock restarted on the day after the offence of 2012-05-01 (restart 2 of at most 2).")
