"""Outcomes that refer to other outcomes' results, and the payment properties over generated
clients: a decided status never changes later, also through a reference; the lines of a unit
never exceed its tariff and add up to it when paid in full; what was paid in a closed period
never changes at a later date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pbr_rules
from pbr_rules.errors import Code, RulesetError

from pbr_rules.dates import add_months

from conftest import codes_of, load_text
from test_properties import clients

HOLISTIC = """ruleset holistic version 1.0.0
extends national 1.0.0
define clean_exit(e: episode) = abstinence(e) is achieved and planned_exit(e) is achieved

outcome holistic "Abstinent and a planned exit"
  domain drugs, final, per episode e
  achieved at latest_of(abstinence(e).date, planned_exit(e).date) when clean_exit(e)
    because "Abstinent on {abstinence(e).date}; planned exit on {e.end}."
  not achieved at e.end when abstinence(e) is not achieved or planned_exit(e) is not achieved
    because "Episode {e.id} ended without both."
  otherwise pending because "Waiting for abstinence and a planned exit."

outcome vaccinated_exit "A planned exit by a vaccinated client"
  domain health, final, per episode e
  achieved at e.end when planned_exit(e) is achieved and hep_b_course is achieved because "Both."
  not applicable when planned_exit(e) is not applicable because "No exit."
  otherwise pending because "Not yet."
"""


@pytest.fixture(scope="module")
def holistic(tmp_path_factory):
    return load_text(tmp_path_factory, "holistic", HOLISTIC)


def base_client(**extra):
    record = {"id": "C1", "presenting_substances": ["opiates"], "top_reviews": [], "presentations": [],
              "offences": [], "hep_b_doses": [],
              "episodes": [{"id": "E1", "start": "2012-05-01", "end": "2012-11-30",
                            "discharge_reason": "completed_drug_free"}]}
    record.update(extra)
    return record


REVIEWS = [{"date": d, "stage": "review", "days_used": {}} for d in ("2012-06-01", "2012-09-01")]


@pytest.mark.parametrize("as_of, status, date", [
    ("2012-08-31", "pending", None),        # abstinence is pending: the reference is unknown
    ("2012-11-29", "pending", None),        # abstinent, but the exit is not known yet
    ("2012-11-30", "achieved", "2012-11-30"),
])
def test_a_rule_uses_another_outcomes_result_as_of_the_same_date(holistic, as_of, status, date):
    row = holistic.evaluate(base_client(top_reviews=REVIEWS), as_of).result("holistic", "E1")
    assert (str(row.status), row.date and row.date.isoformat()) == (status, date)


def test_a_failed_reference_decides_the_outcome(holistic):
    row = holistic.evaluate(base_client(), "2013-01-31").result("holistic", "E1")
    assert (str(row.status), row.date) == ("not_achieved", datetime.date(2012, 11, 30))


def test_a_per_client_outcome_is_referred_to_by_name(holistic):
    doses = [{"date": d} for d in ("2012-06-01", "2012-07-01", "2012-08-01")]
    assert str(holistic.evaluate(base_client(hep_b_doses=doses), "2012-12-31")
               .result("vaccinated_exit").status) == "achieved"
    assert str(holistic.evaluate(base_client(), "2012-12-31").result("vaccinated_exit").status) == "pending"


def test_explain_traces_a_reference_without_mixing_in_the_other_outcomes_steps(holistic):
    result, sections = holistic.explain(base_client(top_reviews=REVIEWS), "2013-01-31")
    names = [outcome.name for outcome, _, _ in sections]
    assert names.count("holistic") == 1
    steps = dict((outcome.name, trace) for outcome, _, trace in sections)["holistic"]
    assert [s.kind for s in steps][:1] == ["unit"]


@pytest.mark.parametrize("text, code", [
    ("outcome a \"A\"\n  domain drugs, final, per episode e\n  achieved at e.end when abstinence is achieved "
     "because \"x\"\n  otherwise pending because \"y\"\n", Code.BAD_OUTCOME_REFERENCE),
    ("outcome a \"A\"\n  domain drugs, final, per episode e\n  achieved at e.end when hep_b_course(e) is achieved "
     "because \"x\"\n  otherwise pending because \"y\"\n", Code.BAD_OUTCOME_REFERENCE),
    ("define via(e: episode) = b(e) is achieved\n"
     "outcome a \"A\"\n  domain drugs, final, per episode e\n  achieved at e.end when via(e) because \"x\"\n"
     "  otherwise pending because \"y\"\n"
     "outcome b \"B\"\n  domain drugs, final, per episode e\n  achieved at e.end when a(e) is achieved "
     "because \"x\"\n  otherwise pending because \"y\"\n", Code.CIRCULAR_OUTCOMES),
    ("define x = planned_exit is true\n", Code.BAD_OUTCOME_REFERENCE),
])
def test_references_that_name_no_one_result_are_refused(tmp_path_factory, text, code):
    with pytest.raises(RulesetError) as caught:
        load_text(tmp_path_factory, "refused", "ruleset refused version 1.0.0\nextends national 1.0.0\n" + text)
    assert code in codes_of(caught.value)


# ---- properties over generated clients ---------------------------------------------------------
AS_OF_DAYS = st.integers(min_value=0, max_value=1200)
START = datetime.date(2012, 1, 1)
CONTRACT_START = datetime.date(2012, 4, 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clients(), AS_OF_DAYS, AS_OF_DAYS)
def test_a_decided_status_never_changes_later_also_through_references(holistic, record, first, second):
    early, late = sorted((START + datetime.timedelta(days=first), START + datetime.timedelta(days=second)))
    before = holistic.evaluate(record, early)
    after = holistic.evaluate(record, late)
    for row in before.rows:
        if str(row.status) in ("achieved", "not_achieved"):
            later = after.result(row.outcome, row.unit)
            assert (later.status, later.date) == (row.status, row.date), row


@pytest.fixture(scope="module")
def lincolnshire():
    return pbr_rules.load("lincolnshire@1.0.0")


@st.composite
def payment_clients(draw):
    """Clients who often complete treatment successfully, so that outcomes are paid in full,
    with a complexity group (or none) and providers on some episodes."""
    record = draw(clients())
    episodes = []
    for episode in record["episodes"][:draw(st.sampled_from([1, 1, 3]))]:
        if draw(st.integers(0, 2)):
            start = datetime.date.fromisoformat(episode["start"])
            episode = dict(episode, end=(start + datetime.timedelta(days=draw(st.integers(0, 300)))).isoformat(),
                           discharge_reason="completed_drug_free")
        provider = draw(st.sampled_from(["P1", "P2", None]))
        episodes.append(dict(episode, provider=provider) if provider else episode)
    record = dict(record, episodes=episodes, presentations=record["presentations"][:draw(st.sampled_from([0, 0, 1]))])
    complexity = draw(st.sampled_from(["low", "medium", "high", None]))
    return dict(record, complexity=complexity) if complexity else record


TARIFFS = {"abstinence": {"low": 200, "medium": 300, "high": 450},
           "planned_exit": {"low": 250, "medium": 400, "high": 600},
           "sustained_recovery": {"low": Decimal("1000"), "medium": Decimal("1333.33"), "high": 2400},
           "ceased_injecting": {"low": 150, "medium": 200, "high": 300},
           "housing": {"low": 100, "medium": 150, "high": 200}}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payment_clients(), st.integers(min_value=300, max_value=1500))
def test_the_lines_of_a_unit_never_exceed_its_tariff_and_add_up_to_it_when_achieved(lincolnshire, record, day):
    as_of = START + datetime.timedelta(days=day)
    run = lincolnshire.pay([record], as_of)
    result = lincolnshire.evaluate(record, as_of)
    totals: dict = {}
    for line in run.lines:
        if line.item in TARIFFS:
            totals[(line.item, line.unit)] = totals.get((line.item, line.unit), 0) + (line.due or 0)
    for (item, unit), total in totals.items():
        tariff = Decimal(TARIFFS[item][record.get("complexity") or "low"])
        assert total <= tariff
        row = result.result(item, unit)
        if str(row.status) != "achieved" or not record.get("complexity"):
            continue
        dates = [row.date]
        if item == "sustained_recovery":  # its instalments: 3, 6 and 9 months after the episode's end
            end = datetime.date.fromisoformat(next(e["end"] for e in record["episodes"] if e["id"] == unit))
            dates += [add_months(end, months) for months in (3, 6, 9)]
        if all(d >= CONTRACT_START for d in dates):
            assert total == tariff, (item, unit, total)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(payment_clients(), min_size=1, max_size=4), AS_OF_DAYS, AS_OF_DAYS)
def test_what_was_paid_in_a_closed_quarter_never_changes_later(lincolnshire, records, first, second):
    records = [dict(r, id=f"C{n}") for n, r in enumerate(records)]
    early, late = sorted((START + datetime.timedelta(days=first), START + datetime.timedelta(days=second)))
    # the quarters that had ended by the earlier date
    closed = {line.period for line in lincolnshire.pay(records, late).lines
              if line.date and _quarter_end(line.date) <= early}

    def paid(as_of):
        totals: dict = {}
        for line in lincolnshire.pay(records, as_of).lines:
            if line.period in closed:
                key = (line.period, line.provider)
                totals[key] = totals.get(key, 0) + line.paid
        return totals

    assert paid(early) == paid(late)


def _quarter_end(day: datetime.date) -> datetime.date:
    month = ((day.month - 1) // 3) * 3 + 3
    following = datetime.date(day.year + (month == 12), month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def test_an_enum_value_named_like_an_outcome_is_still_the_enum_value(tmp_path_factory):
    rs = load_text(tmp_path_factory, "needs", """ruleset needs version 1.0.0
extends national 1.0.0
enum need: housing, work
extend record client
  need: optional need
outcome housed_need "Housing was the need"
  domain health, final, per client
  achieved at 2012-01-01 when client.need = housing because "Housing."
  otherwise pending because "Not housing."
""")
    record = base_client(need="housing")
    assert str(rs.evaluate(record, "2012-12-31").result("housed_need").status) == "achieved"


@pytest.mark.parametrize("text", [
    'example "x"\n  client {"id": "C1"} as of 2012-01-01\n  expect paid planned_exit instalment 1.5 £1.00 on 2012-01-01\n',
    "tariff planned_exit £99,999,999,999,999,999,999,999.99\n",
])
def test_numbers_out_of_range_are_mistakes_not_crashes(tmp_path_factory, text):
    with pytest.raises(RulesetError) as caught:
        load_text(tmp_path_factory, "big", "ruleset big version 1.0.0\nextends national 1.0.0\n" + text)
    assert "internal" not in str(caught.value)
