"""Cohort measures: the pinned Bracknell reference, every boundary of the cohort and the member's
period, exact comparison with the target, rounding, the aggregates, lags, and the invariant that a
decided measure never changes later."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

import pbr_rules
from pbr_rules.cli import main
from pbr_rules.errors import Code, RulesetError
from pbr_rules.measure.cohort import show
from pbr_rules.pay import LineKind
from fractions import Fraction

from conftest import codes_of, load_text

D = datetime.date


def client(cid, starts, offences=(), provider="P1", end=None):
    return {"id": cid, "provider": provider, "presenting_substances": ["opiates"],
            "episodes": [{"id": f"E{i + 1}", "start": s, **({"end": end, "discharge_reason": "completed_drug_free"}
                                                            if end and i == 0 else {})}
                         for i, s in enumerate(starts)],
            "top_reviews": [], "presentations": [], "offences": [{"date": d} for d in offences], "hep_b_doses": []}


@pytest.fixture(scope="module")
def bracknell():
    return pbr_rules.load("bracknell@1.0.0")


def measure(rs, clients, as_of, name="offending_reduction"):
    return rs.measures(clients, as_of).result(name)


# ---- the pinned reference ---------------------------------------------------------------------
def test_before_the_cohort_period_ends_it_is_pending_due_12_months_after_its_last_day(bracknell):
    for as_of in ("2012-04-01", "2013-03-30"):
        result = measure(bracknell, [client("A", ["2012-05-01"])], as_of)
        assert (result.status, result.date, result.due) == ("pending", None, D(2014, 3, 31))


def test_an_empty_cohort_is_not_applicable(bracknell):
    outside = [client("A", ["2012-03-31", "2013-04-01"], ["2012-05-01"]), client("B", [])]
    result = measure(bracknell, outside, "2014-06-30")
    assert (result.status, result.date, result.due, result.cohort, result.value) == (
        "not_applicable", None, None, 0, None)


def test_while_a_members_period_is_open_it_is_pending_due_the_latest_member_end(bracknell):
    clients = [client("A", ["2012-05-10"]), client("B", ["2012-11-20"])]
    result = measure(bracknell, clients, "2013-05-10")
    assert (result.status, result.due, result.closed) == ("pending", D(2013, 11, 20), 1)
    decided = measure(bracknell, clients, "2013-11-20")
    assert (decided.status, decided.date, decided.due) == ("achieved", D(2013, 11, 20), None)


def test_decided_on_the_latest_member_end_once_the_cohort_period_has_ended(bracknell):
    # the only member joined on the first day: its 12 months end the day after the contract year
    assert measure(bracknell, [client("A", ["2012-04-01"])], "2013-03-31").due == D(2013, 4, 1)
    result = measure(bracknell, [client("A", ["2012-04-01"])], "2013-04-01")
    assert (result.status, result.date) == ("achieved", D(2013, 4, 1))


def test_the_cohort_period_includes_both_its_days_and_the_earliest_start_counts(bracknell):
    clients = [client("first_day", ["2012-04-01"]), client("last_day", ["2013-03-31"]),
               client("day_before", ["2012-03-31"]), client("day_after", ["2013-04-01"]),
               client("two_starts", ["2012-03-01", "2012-06-01", "2012-09-01"], ["2013-06-01"])]
    result = measure(bracknell, clients, "2014-03-31")
    assert result.cohort == 3
    # two_starts joins on 2012-06-01: an offence on 2013-06-01 is its last day; from 2012-09-01 it would be inside too
    assert result.total == 1


@pytest.mark.parametrize("offence, counted", [
    ("2012-05-10", 0),   # the start day itself: the window is after the start
    ("2012-05-11", 1),   # the first day
    ("2013-05-10", 1),   # the same day 12 months later: the last day
    ("2013-05-11", 0),   # the day after
])
def test_the_members_period_is_from_the_day_after_the_start_to_12_months_later(bracknell, offence, counted):
    result = measure(bracknell, [client("A", ["2012-05-10"], [offence])], "2014-03-31")
    assert result.total == counted


def test_the_exact_mean_is_compared_with_the_exact_target(bracknell):
    # target 0.58 x 0.75 = 0.435 = 87/200: exactly on it is achieved, one offence more is not
    def cohort(offenders):
        return [client(f"C{i}", ["2012-06-01"], ["2012-07-01"] if i < offenders else []) for i in range(200)]
    on_target = measure(bracknell, cohort(87), "2014-03-31")
    assert (on_target.status, on_target.value, on_target.target) == ("achieved", Decimal("0.44"), Decimal("0.435"))
    above = measure(bracknell, cohort(88), "2014-03-31")
    assert (above.status, above.value) == ("not_achieved", Decimal("0.44"))


def test_the_value_is_the_mean_rounded_half_up_and_the_output_keys_are_the_contract(bracknell):
    clients = [client("A", ["2012-06-01"], ["2012-07-01"]), client("B", ["2012-06-01"], ["2012-07-01", "2012-08-01"]),
               client("C", ["2012-06-01"]), client("D", ["2012-06-01"]), client("E", ["2012-06-01"]),
               client("F", ["2012-06-01"]), client("G", ["2012-06-01"]), client("H", ["2012-06-01"])]
    result = measure(bracknell, clients, "2014-03-31")   # 3 / 8 = 0.375 -> 0.38
    data = result.to_json()
    assert list(data)[:12] == ["measure", "ruleset", "as_of", "status", "date", "due", "cohort", "closed", "total",
                               "value", "aggregate", "unit"]
    assert (data["value"], data["total"], data["cohort"], data["baseline"], data["target"]) == (
        "0.38", "3", 8, "0.58", "0.435")


@pytest.mark.parametrize("value, shown", [
    (Fraction(1, 8), "0.13"), (Fraction(5, 1000), "0.01"), (Fraction(4349, 10000), "0.43"),
    (Fraction(2, 3), "0.67"), (Fraction(-1, 8), "-0.13"), (Fraction(3), "3.00")])
def test_values_are_shown_rounded_half_up_from_the_exact_value(value, shown):
    assert show(value) == shown


def test_the_pinned_examples_of_bracknell_pass(bracknell):
    from pbr_rules.examples import run_examples
    report = run_examples(bracknell)
    assert report.failed == 0 and report.passed == 7


# ---- the invariant: decided is final ------------------------------------------------------------
days = st.integers(min_value=0, max_value=900).map(lambda n: D(2012, 1, 1) + datetime.timedelta(days=n))


@st.composite
def cohorts(draw):
    clients = []
    for number in range(draw(st.integers(min_value=0, max_value=8))):
        starts = sorted(draw(st.lists(days, max_size=3)))
        offences = sorted(draw(st.lists(days, max_size=4)))
        clients.append(client(f"C{number}", [s.isoformat() for s in starts], [o.isoformat() for o in offences]))
    return clients


@settings(max_examples=60, deadline=None)
@given(cohorts(), days, st.integers(min_value=1, max_value=700))
def test_a_decided_measure_never_changes_later(bracknell, clients, first, later):
    before = measure(bracknell, clients, first)
    after = measure(bracknell, clients, first + datetime.timedelta(days=later))
    if before.status in ("achieved", "not_achieved", "not_applicable"):
        assert (after.status, after.date, after.value, after.cohort) == (
            before.status, before.date, before.value, before.cohort)
    if before.status == "pending" and after.status in ("achieved", "not_achieved"):
        assert after.date <= before.due   # decided no later than it was said to be due


# ---- lags, outcome references, aggregates --------------------------------------------------------
LAGGED = """ruleset lagged version 1.0.0
extends bracknell 1.0.0
override parameter offence_lag = 2 months because "Offences reach the data two months late."
"""


def test_a_lag_on_the_data_read_moves_every_close_later(rulesets):
    rulesets.write("lagged", "1.0.0", LAGGED)
    rs = rulesets.load("lagged@1.0.0")
    assert measure(rs, [client("A", ["2012-06-01"])], "2013-01-01").due == D(2014, 5, 31)
    result = measure(rs, [client("A", ["2012-06-01"], ["2013-06-01"])], "2013-07-31")
    assert (result.status, result.due) == ("pending", D(2013, 8, 1))
    decided = measure(rs, [client("A", ["2012-06-01"], ["2013-06-01"])], "2013-08-01")
    assert (decided.status, decided.date, decided.total) == ("not_achieved", D(2013, 8, 1), 1)


SHARES = """ruleset shares version 1.0.0
extends national 1.0.0
measure exits "Planned exits within 6 months"
  domain drugs, final
  cohort e in client.episodes from 2012-04-01 to 2012-06-30
  window w = from e.start for 6 months
  value planned_exit(e) is achieved
  measured as share
  baseline 40%
  target at least 25% above baseline
measure exits_counted "Planned exits within 6 months, counted"
  domain drugs, final
  cohort e in client.episodes from 2012-04-01 to 2012-06-30
  window w = from e.start for 6 months
  value planned_exit(e) is achieved
  measured as count
  target at least 2
measure offences_median "Median offences"
  domain offending, final
  cohort e in client.episodes from 2012-04-01 to 2012-06-30 where e.provider = "P2"
  window w = after e.start for 6 months
  value count of o in client.offences within w
  measured as median
  target at most 1
measure offences_rate "Offences per 100 members"
  domain offending, final
  cohort e in client.episodes from 2012-04-01 to 2012-06-30
  window w = after e.start for 6 months
  value count of o in client.offences within w
  measured as rate per 100 members
  target at most 50
"""


@pytest.fixture(scope="module")
def shares(tmp_path_factory):
    return load_text(tmp_path_factory, "shares", SHARES)


def test_a_yes_no_value_is_taken_as_it_stood_when_the_members_period_closed(shares):
    inside = client("A", ["2012-04-10"], end="2012-09-30")       # planned exit inside its 6 months
    after = client("B", ["2012-04-10"], end="2012-12-31")        # after them: counts as no, for ever
    still_open = client("C", ["2012-05-01"])                     # open when its period closes: no
    run = shares.measures([inside, after, still_open], "2013-06-30")
    exits = run.result("exits")
    assert (exits.status, exits.date, exits.total, exits.cohort) == ("not_achieved", D(2012, 10, 31), 1, 3)
    assert (exits.value, exits.target, exits.unit) == (Decimal("33.33"), Decimal("50"), "percent")
    assert run.result("exits_counted").status == "not_achieved"


def test_share_count_median_and_rate(shares):
    clients = [client("A", ["2012-04-10"], ["2012-05-01"], provider="P2", end="2012-09-30"),
               client("B", ["2012-04-10"], ["2012-05-01", "2012-06-01", "2012-07-01"], provider="P2",
                      end="2012-08-31"),
               client("C", ["2012-04-10"], [], provider="P1")]
    for c in clients:
        c["episodes"][0]["provider"] = c["provider"]
    run = shares.measures(clients, "2013-06-30")
    assert (run.result("exits").value, run.result("exits").status) == (Decimal("66.67"), "achieved")
    assert (run.result("exits_counted").value, run.result("exits_counted").status) == (Decimal("2.00"), "achieved")
    median = run.result("offences_median")       # P2's members only: 1 and 3 -> 2
    assert (median.cohort, median.value, median.status) == (2, Decimal("2.00"), "not_achieved")
    rate = run.result("offences_rate")           # 4 offences over 3 members, per 100
    assert (rate.value, rate.status, rate.unit) == (Decimal("133.33"), "not_achieved", "per 100 members")


# ---- mistakes --------------------------------------------------------------------------------------
HEAD = "ruleset wrong version 1.0.0\nextends national 1.0.0\n"
GOOD = """measure m "M"
  domain offending, final
  cohort e in client.episodes from 2012-04-01 to 2013-03-31
  window w = after e.start for 12 months
  value count of o in client.offences within w
  measured as average
  baseline 0.5
  target at most 10% below baseline
"""


@pytest.mark.parametrize("change, code", [
    (("  cohort e in client.episodes from 2012-04-01 to 2013-03-31\n", ""), Code.BAD_MEASURE),
    (("client.episodes", "client.presenting_substances"), Code.BAD_COHORT),
    (("from 2012-04-01", "from e.start"), Code.BAD_COHORT),
    (("after e.start for 12 months", "after e.end for 12 months"), Code.BAD_MEASURE),
    (("after e.start for 12 months", "after e.start until 2014-01-01"), Code.BAD_MEASURE),
    (("  window w = after e.start for 12 months\n", ""), Code.BAD_MEASURE),
    (("measured as average", "measured as share"), Code.BAD_MEASURE),
    (("  measured as average\n", ""), Code.BAD_MEASURE),
    (("  value count of o in client.offences within w\n", ""), Code.BAD_MEASURE),
    (("count of o in client.offences within w", "e.provider"), Code.BAD_MEASURE),
    (("  baseline 0.5\n", ""), Code.BAD_TARGET),
    (("target at most 10% below baseline", "target at most 0.1 below baseline"), Code.BAD_TARGET),
    (("baseline 0.5", "baseline 50%"), Code.BAD_TARGET),
    (("  target at most 10% below baseline\n", ""), Code.BAD_TARGET),
    (("target at most 10% below baseline", "target at least 10% below baseline"), Code.BAD_TARGET),
    (("target at most 10% below baseline", "target at most 10% above baseline"), Code.BAD_TARGET),
    (("target at most 10% below baseline", "target at most 100% below baseline"), Code.BAD_TARGET),
    (("baseline 0.5", "baseline 0"), Code.BAD_TARGET),
    (("target at most 10% below baseline\n", "target at least 150%\n"), Code.BAD_TARGET),
    (("domain offending, final", "domain offence, final"), Code.UNKNOWN_DOMAIN),
    (("  domain offending, final\n", ""), Code.MISSING_CLASSIFICATION),
    (("  measured as average\n", "  measured as average\n  achieved at e.start when true because \"x\"\n"),
     Code.BAD_MEASURE),
])
def test_each_mistake_in_a_measure_is_named(rulesets, change, code):
    old, new = change
    assert old in GOOD
    rulesets.write("wrong", "1.0.0", HEAD + GOOD.replace(old, new))
    with pytest.raises(RulesetError) as caught:
        rulesets.load("wrong@1.0.0")
    assert code in codes_of(caught.value)


def test_the_good_measure_checks(rulesets):
    rulesets.write("wrong", "1.0.0", HEAD + GOOD)
    assert rulesets.load("wrong@1.0.0").measure_names == ["m"]


def test_a_measure_line_written_twice_is_a_syntax_error(rulesets):
    rulesets.write("wrong", "1.0.0", HEAD + GOOD + "  baseline 0.6\n")
    with pytest.raises(RulesetError) as caught:
        rulesets.load("wrong@1.0.0")
    assert "says `baseline` twice" in str(caught.value)


def test_an_example_naming_an_unknown_measure_is_an_error(rulesets):
    written = rulesets.write(
        "wrong", "1.0.0",
        HEAD + GOOD + 'example "x"\n  clients from "clients.jsonl" as of 2014-01-01\n  expect measure mm pending\n')
    (written.parent / "clients.jsonl").write_text(json.dumps(client("A", ["2012-06-01"])) + "\n")
    with pytest.raises(RulesetError) as caught:
        rulesets.load("wrong@1.0.0")
    assert Code.UNKNOWN_OUTCOME in codes_of(caught.value) and "did you mean `m`" in str(caught.value)


# ---- the command line ---------------------------------------------------------------------------
def test_pbr_measures_writes_one_object_per_measure(tmp_path, capsys):
    data = tmp_path / "clients.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in [client("A", ["2012-06-01"], ["2012-07-01"]),
                                                            client("B", ["2012-06-01"])]))
    assert main(["measures", "bracknell", "--data", str(data), "--as-of", "2014-03-31"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["measure"], r["status"], r["date"], r["value"], r["cohort"], r["total"]) for r in rows] == [
        ("offending_reduction", "not_achieved", "2013-06-01", "0.50", 2, "1")]
    assert "2 clients read: 2 measured, 0 set aside" in captured.err
    assert main(["measures", "bracknell", "--data", str(data), "--as-of", "2013-01-01", "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "offending_reduction  pending" in table and "2014-03-31" in table and "so far 0.50" in table


def test_pbr_measures_refuses_an_unknown_measure_with_a_suggestion(tmp_path, capsys):
    data = tmp_path / "clients.jsonl"
    data.write_text(json.dumps(client("A", ["2012-06-01"])) + "\n")
    assert main(["measures", "bracknell", "--data", str(data), "--as-of", "2014-03-31",
                 "--measure", "offending_reductoin"]) == 2
    assert "did you mean `offending_reduction`" in capsys.readouterr().err


# ---- paying measures --------------------------------------------------------------------------------
def measure_lines(run) -> list:
    """The lines of the cohort measures (bracknell pays its outcomes, fees and floors too)."""
    return [line for line in run.lines if line.kind is LineKind.MEASURE]


def test_a_measure_per_point_is_paid_for_whole_points_beyond_the_target_up_to_its_limit(bracknell):
    low = [client(f"C{i}", ["2012-06-01"], ["2012-07-01"] if i < 10 else []) for i in range(40)]  # 0.25
    run = bracknell.pay(low, "2014-03-31")
    (line,) = [line for line in run.lines if line.item == "offending_reduction"]
    assert (line.provider, line.date, line.client, line.paid, line.status) == (
        "Bracknell Forest prime provider", D(2013, 6, 1), None, Decimal("7750.00"), "payable")
    nobody_offends = [client(f"C{i}", ["2012-06-01"]) for i in range(5)]   # 75 points: at most £10,000
    (line,) = measure_lines(bracknell.pay(nobody_offends, "2014-03-31"))
    assert line.paid == Decimal("10000") and "at most £10,000.00" in line.reasons[0]
    on_target = [client(f"C{i}", ["2012-06-01"], ["2012-07-01"] if i < 87 else []) for i in range(200)]
    (line,) = measure_lines(bracknell.pay(on_target, "2014-03-31"))   # achieved exactly on the target: 0 points
    assert line.paid == 0 and "0 whole percentage points" in line.reasons[0]


def test_a_measure_not_achieved_or_pending_pays_nothing(bracknell):
    high = [client("A", ["2012-06-01"], ["2012-07-01"])]
    assert measure_lines(bracknell.pay(high, "2014-03-31")) == []
    assert measure_lines(bracknell.pay(high, "2013-01-31")) == []


FLAT = """ruleset flat version 1.0.0
extends bracknell 1.0.0
override tariff offending_reduction £20,000 to "Prime" because "A fixed sum instead."
"""


def test_a_flat_measure_tariff_pays_its_amount_and_is_forecast_while_pending(rulesets):
    rulesets.write("flat", "1.0.0", FLAT)
    rs = rulesets.load("flat@1.0.0")
    pending = rs.pay([client("A", ["2012-06-01"])], "2013-01-31")
    assert measure_lines(pending) == [] and [(e.provider, e.date, e.amount) for e in pending.forecast
                                             if e.item == "offending_reduction"] == [("Prime", D(2014, 3, 31), Decimal("20000"))]
    (line,) = measure_lines(rs.pay([client("A", ["2012-06-01"])], "2014-03-31"))
    assert (line.provider, line.paid, line.date) == ("Prime", Decimal("20000"), D(2013, 6, 1))


@pytest.mark.parametrize("tariff", [
    'tariff offending_reduction £20,000',                                  # who is paid?
    'tariff offending_reduction by client.complexity: low £1, medium £2, high £3 to "P"',
    'tariff offending_reduction £500 per point beyond target up to £100 to "P"',
    'tariff ceased_injecting £500 per point beyond target',              # an outcome has no points
    'tariff ceased_injecting £500 to "P"',
])
def test_a_measure_tariff_that_cannot_be_paid_is_refused(rulesets, tariff):
    declared = tariff.replace("tariff offending_reduction", "override tariff offending_reduction")
    rulesets.write("wrong", "1.0.0", "ruleset wrong version 1.0.0\nextends bracknell 1.0.0\n" + declared
                   + (' because "x"\n' if "offending" in tariff else "\n"))
    with pytest.raises(RulesetError) as caught:
        rulesets.load("wrong@1.0.0")
    assert Code.BAD_TARIFF in codes_of(caught.value)


def test_explain_says_what_part_the_client_has_in_each_measure(tmp_path, capsys):
    data = tmp_path / "clients.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in [client("A", ["2012-06-01"], ["2012-07-01"]),
                                                            client("B", ["2012-03-01"])]))
    assert main(["explain", "bracknell", "--data", str(data), "--client", "A", "--as-of", "2013-01-31"]) == 0
    out = capsys.readouterr().out
    assert "member from 2012-06-01 (episode E1); period open until 2013-06-01: the value so far: 1" in out
    assert main(["explain", "bracknell", "--data", str(data), "--client", "B", "--as-of", "2014-01-31"]) == 0
    assert "not a member: no episode whose start is from 2012-04-01 to 2013-03-31" in capsys.readouterr().out


# ---- what a reviewer found: each a way a decided measure could have changed later -------------------
def statuses(rs, clients, name, days):
    """(as-of day, status, date, value) at each day; once decided, the rest must be the same."""
    found = []
    for day in days:
        result = rs.measures(clients, day).result(name)
        found.append((day, result.status, result.date, result.value, result.cohort))
    decided = [f[1:] for f in found if f[1] in ("achieved", "not_achieved", "not_applicable")]
    assert all(d == decided[0] for d in decided), found
    return found


def test_a_cohort_condition_on_later_records_is_settled_when_the_candidates_period_closes():
    wigan = pbr_rules.load("wigan@1.1.0")
    top = lambda d, stage, n: {"date": d, "stage": stage, "days_used": {"opiates": n}}  # noqa: E731
    improving = dict(client("A", ["2013-04-01"]), top_reviews=[top("2013-04-01", "start", 20),
                                                                top("2013-06-01", "review", 5),
                                                                top("2013-08-01", "review", 5)])
    late_start_tops = [dict(client(c, ["2013-05-01"]), top_reviews=[top("2014-06-01", "start", 20)]) for c in "BC"]
    found = statuses(wigan, [improving, *late_start_tops], "reliable_improvement_share",
                     ["2014-04-01", "2014-04-29", "2014-04-30", "2014-06-01", "2015-01-01"])
    # B and C could still have shown a start TOP in their 12 months, so it waits for them; after that,
    # start TOPs recorded later do not make them members
    assert found[0][1:3] == ("pending", None) and found[1][1] == "pending"
    assert found[2][1:] == ("achieved", D(2014, 4, 30), Decimal("100.00"), 1)


LAGGED_COHORT = """ruleset laglist version 1.0.0
title "t"
effective from 2012-04-01
domains offending "Reduced offending"
parameter referral_lag = 2 months
record client "c"
  id: text
  referrals: list of referral
  offences: list of offence
record referral dated by date lagging by referral_lag "r"
  date: date
record offence dated by date "o"
  date: date
measure m "M"
  domain offending, final
  cohort r in client.referrals from 2012-04-01 to 2013-03-31
  window w = after r.date for 1 months
  value count of o in client.offences within w
  measured as average
  target at most 0.5
"""


def test_a_cohort_of_lagging_records_stays_open_until_its_last_day_plus_the_lag(tmp_path_factory):
    rs = load_text(tmp_path_factory, "laglist", LAGGED_COHORT)
    early = {"id": "A", "referrals": [{"date": "2012-04-01"}], "offences": []}
    late = {"id": "B", "referrals": [{"date": "2013-03-01"}], "offences": [{"date": "2013-03-10"}]}
    found = statuses(rs, [early, late], "m", ["2013-03-31", "2013-05-31", "2013-06-01", "2014-01-01"])
    assert [f[1] for f in found] == ["pending", "pending", "achieved", "achieved"]
    # a member joining on the last day is in the data 2 months later, and followed for a month
    assert rs.measures([early, late], "2013-03-31").result("m").due == D(2013, 6, 30)
    assert found[2][2:] == (D(2013, 6, 1), Decimal("0.50"), 2)


LAG_THROUGH_AN_OUTCOME = """ruleset lagout version 1.0.0
extends national 1.0.0
override parameter offence_lag = 2 months because "Offences reach the data two months late."
measure clean "No offending for 12 months: share"
  domain offending, final
  cohort e in client.episodes from 2012-04-01 to 2012-06-30
  window w = after e.start for 12 months
  value no_offending_12m(e) is achieved
  measured as share
  target at least 50%
"""


def test_a_lag_read_through_an_outcome_holds_the_members_period_open(tmp_path_factory):
    rs = load_text(tmp_path_factory, "lagout", LAG_THROUGH_AN_OUTCOME)
    found = statuses(rs, [client("A", ["2012-04-01"])], "clean", ["2013-04-01", "2013-05-31", "2013-06-01", "2014-01-01"])
    assert [f[1] for f in found] == ["pending", "pending", "achieved", "achieved"]
    assert found[2][2:4] == (D(2013, 6, 1), Decimal("100.00"))


TWO_LAGS = """ruleset twolag version 1.0.0
title "t"
effective from 2012-04-01
domains offending "Reduced offending"
parameter lag_a = 1 months
parameter lag_b = 45 days
record client "c"
  id: text
  referrals: list of referral
  as: list of a
  bs: list of b
record referral dated by date "r"
  date: date
record a dated by date lagging by lag_a "a"
  date: date
record b dated by date lagging by lag_b "b"
  date: date
measure m "M"
  domain offending, final
  cohort r in client.referrals from 2012-04-01 to 2012-04-30
  window w = after r.date for 1 months
  value (count of x in client.as within w) + (count of y in client.bs within w)
  measured as average
  target at most 0.5
"""


def test_the_period_closes_when_the_latest_lag_has_passed_whatever_its_unit(tmp_path_factory):
    rs = load_text(tmp_path_factory, "twolag", TWO_LAGS)
    member = {"id": "A", "referrals": [{"date": "2012-04-30"}], "as": [], "bs": [{"date": "2012-05-30"}]}
    found = statuses(rs, [member], "m", ["2012-06-30", "2012-07-13", "2012-07-14", "2012-08-01"])
    assert [f[1] for f in found] == ["pending", "pending", "not_achieved", "not_achieved"]  # 45 days beat 1 month
    assert found[2][3] == Decimal("1.00")


NO_IDS = """ruleset noid version 1.0.0
extends national 1.0.0
measure cj "Criminal-justice presentations"
  domain offending, final
  cohort p in client.presentations from 2012-04-01 to 2012-06-30 where p.setting = criminal_justice
  window w = after p.date for 1 months
  value p.setting = criminal_justice
  measured as share
  target at least 50%
"""


def test_records_without_ids_are_followed_by_their_place_not_by_date(tmp_path_factory):
    rs = load_text(tmp_path_factory, "noid", NO_IDS)
    same_day = dict(client("A", []), presentations=[{"date": "2012-05-01", "setting": "treatment"},
                                                     {"date": "2012-05-01", "setting": "criminal_justice"}])
    found = statuses(rs, [same_day], "cj", ["2012-05-15", "2012-06-01", "2012-06-02", "2012-07-30", "2012-09-01"])
    assert all(f[3] == Decimal("100.00") for f in found)


OPTIONAL_NUMBER = """ruleset optnum version 1.0.0
extends national 1.0.0
measure inj "Injecting days at the start TOP"
  domain health, final
  cohort e in client.episodes from 2012-04-01 to 2012-06-30
  window w = after e.start for 12 months
  value start_top(e).injecting_days
  measured as average
  target at most 5
"""


def test_a_number_not_yet_known_keeps_the_measure_pending_not_inapplicable(tmp_path_factory):
    rs = load_text(tmp_path_factory, "optnum", OPTIONAL_NUMBER)
    member = dict(client("A", ["2012-06-01"]), top_reviews=[
        {"date": "2012-08-01", "stage": "start", "days_used": {"opiates": 3}, "injecting_days": 10}])
    found = statuses(rs, [member], "inj", ["2012-06-30", "2012-07-31", "2012-08-01", "2013-06-01", "2013-07-01"])
    assert [f[1] for f in found] == ["pending", "pending", "pending", "not_achieved", "not_achieved"]
    alone = rs.measures([client("B", ["2012-06-01"])], "2013-07-01").result("inj")
    assert (alone.status, alone.without_value) == ("not_applicable", 1)   # never had a value: not counted


CONDITIONED_AND_LAGGED = """ruleset mixed version 1.0.0
extends national 1.0.0
override parameter offence_lag = 1 month because "Offences arrive a month late."
measure after_arrest "Offences after a criminal-justice presentation"
  domain offending, final
  cohort p in client.presentations from 2012-04-01 to 2012-09-30
      where p.setting = criminal_justice and some e in client.episodes where e.start >= p.date
  window w = after p.date for 3 months
  value count of o in client.offences within w
  measured as median
  target at most 1
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return load_text(tmp_path_factory, "mixed", CONDITIONED_AND_LAGGED)


@st.composite
def presenting_cohorts(draw):
    clients = []
    for number in range(draw(st.integers(min_value=0, max_value=6))):
        presentations = sorted(draw(st.lists(st.tuples(days, st.sampled_from(["treatment", "criminal_justice"])),
                                             max_size=4)))
        base = client(f"C{number}", [s.isoformat() for s in sorted(draw(st.lists(days, max_size=2)))],
                      [o.isoformat() for o in sorted(draw(st.lists(days, max_size=4)))])
        base["presentations"] = [{"date": d.isoformat(), "setting": setting} for d, setting in presentations]
        clients.append(base)
    return clients


@settings(max_examples=60, deadline=None)
@given(presenting_cohorts(), days, st.integers(min_value=1, max_value=500))
def test_a_decided_measure_with_a_condition_lags_and_records_without_ids_never_changes(mixed, clients, first, later):
    before = mixed.measures(clients, first).result("after_arrest")
    after = mixed.measures(clients, first + datetime.timedelta(days=later)).result("after_arrest")
    if before.status != "pending":
        assert (after.status, after.date, after.value, after.cohort, after.total) == (
            before.status, before.date, before.value, before.cohort, before.total)
    elif after.status in ("achieved", "not_achieved"):
        assert after.date <= before.due


def test_membership_under_a_condition_waits_for_the_candidates_last_record_in_the_period(mixed):
    # p1 does not meet the condition until an episode starts after it, in October: by then p1's own
    # period has closed, but p2's has not, so the client is a member, from p1
    candidate = dict(client("A", ["2012-10-15"], ["2012-05-01", "2012-06-01"]),
                     presentations=[{"date": "2012-04-10", "setting": "criminal_justice"},
                                    {"date": "2012-09-01", "setting": "criminal_justice"}])
    found = statuses(mixed, [candidate], "after_arrest", ["2012-09-30", "2012-12-31", "2013-01-01", "2014-01-01"])
    assert [f[1] for f in found] == ["pending", "pending", "not_achieved", "not_achieved"]
    assert found[2][2:] == (D(2013, 1, 1), Decimal("2.00"), 1)


def test_explain_does_not_call_a_candidate_that_never_met_the_condition_a_member(rulesets, capsys):
    rulesets.write("mixed", "1.0.0", CONDITIONED_AND_LAGGED)
    data = rulesets.root / "clients.jsonl"
    treated_only = dict(client("A", ["2012-05-01"]), presentations=[{"date": "2012-04-10", "setting": "treatment"}])
    data.write_text(json.dumps(treated_only) + "\n")
    assert main(["explain", "mixed", "--rulesets", str(rulesets.root), "--data", str(data), "--client", "A",
                 "--as-of", "2014-01-31"]) == 0
    out = capsys.readouterr().out
    assert "not a member: no presentation whose date is from 2012-04-01 to 2012-09-30 and meets" in out
    assert "member from None" not in out


def test_a_measure_line_alone_is_not_work_a_floor_tops_up():
    with_floor = pbr_rules.load("bracknell@1.1.0")   # a quarterly floor for any payment
    assert with_floor.checked.payments.floors
    nobody_offends = [client(f"C{i}", ["2012-06-01"]) for i in range(5)]   # open episodes: no outcome paid
    assert [line.item for line in with_floor.pay(nobody_offends, "2014-03-31").lines] == ["offending_reduction"]
