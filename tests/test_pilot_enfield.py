"""Enfield's pilot: the IOM outcomes are paid to the IOM provider, for offenders only; everything
else to the prime.

The examples pin single clients; these tests hold every line of the shipped cohort to the rule, and
check that Enfield's new data (family sessions) is optional and read when present."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules.pay import LineKind
from pbr_rules.tree import Status

COHORT = Path(__file__).parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
PRIME, IOM = "Enfield prime provider", "Enfield IOM provider"
OFFENDING = {"iom_no_offending_6m", "iom_no_offending_12m", "reduced_offending_frequency"}
NATIONAL_OFFENDING = {"no_offending_6m", "no_offending_12m"}  # evaluated, never paid


@pytest.fixture(scope="module")
def enfield():
    return pbr_rules.load("enfield@1.0.0")


@pytest.fixture(scope="module")
def clients():
    return [json.loads(line) for line in COHORT.read_text().splitlines()]


@pytest.fixture(scope="module")
def run(enfield, clients):
    return enfield.pay(clients, "2014-06-30")


def misrouted(lines) -> list:
    """Outcome lines paid to the wrong provider: offending wholly to the IOM provider, every other
    outcome to the prime."""
    wrong = []
    for line in lines:
        if line.kind is not LineKind.OUTCOME:
            continue
        if line.item in OFFENDING:
            ok = line.provider == IOM
        else:
            ok = line.provider == PRIME
        if not ok:
            wrong.append((line.client, line.item, line.unit, line.provider, line.due))
    return wrong


def test_offending_goes_to_the_iom_provider_and_the_rest_to_the_prime(run):
    outcome_items = {line.item for line in run.settled if line.kind is LineKind.OUTCOME}
    assert OFFENDING & outcome_items and outcome_items - OFFENDING
    assert misrouted(run.settled) == []


@pytest.mark.parametrize("item, provider, due", [("planned_exit", IOM, 400), ("iom_no_offending_6m", PRIME, 200)])
def test_the_check_catches_a_line_paid_to_the_wrong_provider(run, item, provider, due):
    line = next(line for line in run.settled if line.kind is LineKind.OUTCOME)
    assert misrouted([line.evolve(item=item, provider=provider, due=due)])


def test_the_iom_provider_is_paid_the_whole_of_each_offending_line(run):
    by_unit: dict = {}
    for line in run.settled:
        if line.item in OFFENDING:
            by_unit.setdefault((line.client, line.item, line.unit), {})[line.provider] = line.due
    assert by_unit and all(set(shares) == {IOM} for shares in by_unit.values())


def on_iom_caseload(client: dict, episode_id: str) -> bool:
    """A proven offence in the 12 months up to and including the day the episode starts (the same
    day a year before is outside; from 29 February, 28 February)."""
    start = datetime.date.fromisoformat(next(e["start"] for e in client["episodes"] if e["id"] == episode_id))
    year_before = start.replace(year=start.year - 1, day=min(start.day, 28 if start.month == 2 else 31))
    return any(year_before < datetime.date.fromisoformat(o["date"]) <= start for o in client.get("offences", []))


def paid_for_non_offenders(lines, clients: dict) -> list:
    """Offending lines (IOM or national) paid for an episode whose client is not on the IOM caseload."""
    return [(line.client, line.item, line.unit, line.due) for line in lines
            if line.kind is LineKind.OUTCOME and line.item in OFFENDING | NATIONAL_OFFENDING
            and not on_iom_caseload(clients[line.client], line.unit)]


def iom_disagreements(clients: list, results: list) -> list:
    """Episodes where an IOM outcome is not the national one's result (status and date) on the
    caseload, or is not 'not applicable' off it."""
    found = []
    for client, result in zip(clients, results):
        for row in result.rows:
            if row.outcome in NATIONAL_OFFENDING:
                iom = result.result("iom_" + row.outcome, row.unit)
                expected = (row.status, row.date) if on_iom_caseload(client, row.unit) else (Status.NOT_APPLICABLE, None)
                if (iom.status, iom.date) != expected:
                    found.append((client["id"], row.unit, row.outcome, iom.status, iom.date, expected))
    return found


def test_the_iom_outcomes_are_the_national_ones_for_offenders_only(enfield, clients, run):
    results = list(enfield.evaluate_many(clients, "2014-06-30"))
    assert iom_disagreements(clients, results) == []
    assert paid_for_non_offenders(run.lines, {c["id"]: c for c in clients}) == []
    assert not {line.item for line in run.lines} & NATIONAL_OFFENDING
    # the cohort has non-offenders who achieve the national outcome, which paid them before the fix
    assert sum(row.outcome == "no_offending_6m" and row.status is Status.ACHIEVED
               and not on_iom_caseload(c, row.unit) for c, r in zip(clients, results) for row in r.rows) > 20


def test_the_checks_catch_an_iom_outcome_for_a_non_offender(enfield, clients, run):
    by_id = {c["id"]: c for c in clients}
    line = next(line for line in run.lines if line.item == "iom_no_offending_6m")
    stranger = next(c for c in clients if not c.get("offences"))
    assert paid_for_non_offenders([line.evolve(client=stranger["id"], unit=stranger["episodes"][0]["id"])], by_id)
    as_offender = dict(stranger, offences=[{"date": stranger["episodes"][0]["start"]}])
    results = list(enfield.evaluate_many([stranger], "2014-06-30"))
    assert iom_disagreements([as_offender], results)  # read as an offender, 'not applicable' is wrong


def test_family_sessions_are_optional_and_counted_when_sent(enfield):
    episode = {"id": "E1", "start": "2012-05-01", "end": "2012-10-31", "discharge_reason": "completed_drug_free"}
    without = {"id": "F0", "presenting_substances": ["opiates"], "episodes": [episode]}
    sessions = [{"date": day} for day in ("2012-05-01", "2012-06-01", "2012-07-01")]
    with_sessions = dict(without, id="F1", family_sessions=sessions)
    results = {c["id"]: enfield.evaluate(c, as_of="2012-12-31").result("family_engagement", "E1")
               for c in (without, with_sessions)}
    assert (results["F0"].status.value, results["F1"].status.value) == ("not_achieved", "achieved")
    assert str(results["F1"].date) == "2012-07-01"
