"""Enfield's pilot: the offending outcomes are paid to the IOM provider, everything else to the prime.

The examples pin single clients; these tests hold every line of the shipped cohort to the rule, and
check that Enfield's new data (family sessions) is optional and read when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules.pay import LineKind

COHORT = Path(__file__).parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
PRIME, IOM = "Enfield prime provider", "Enfield IOM provider"
OFFENDING = {"no_offending_6m", "no_offending_12m", "reduced_offending_frequency"}


@pytest.fixture(scope="module")
def enfield():
    return pbr_rules.load("enfield@1.0.0")


@pytest.fixture(scope="module")
def run(enfield):
    clients = [json.loads(line) for line in COHORT.read_text().splitlines()]
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


@pytest.mark.parametrize("item, provider, due", [("planned_exit", IOM, 400), ("no_offending_6m", PRIME, 200)])
def test_the_check_catches_a_line_paid_to_the_wrong_provider(run, item, provider, due):
    line = next(line for line in run.settled if line.kind is LineKind.OUTCOME)
    assert misrouted([line.evolve(item=item, provider=provider, due=due)])


def test_the_iom_provider_is_paid_the_whole_of_each_offending_line(run):
    by_unit: dict = {}
    for line in run.settled:
        if line.item in OFFENDING:
            by_unit.setdefault((line.client, line.item, line.unit), {})[line.provider] = line.due
    assert by_unit and all(set(shares) == {IOM} for shares in by_unit.values())


def test_family_sessions_are_optional_and_counted_when_sent(enfield):
    episode = {"id": "E1", "start": "2012-05-01", "end": "2012-10-31", "discharge_reason": "completed_drug_free"}
    without = {"id": "F0", "presenting_substances": ["opiates"], "episodes": [episode]}
    sessions = [{"date": day} for day in ("2012-05-01", "2012-06-01", "2012-07-01")]
    with_sessions = dict(without, id="F1", family_sessions=sessions)
    results = {c["id"]: enfield.evaluate(c, as_of="2012-12-31").result("family_engagement", "E1")
               for c in (without, with_sessions)}
    assert (results["F0"].status.value, results["F1"].status.value) == ("not_achieved", "achieved")
    assert str(results["F1"].date) == "2012-07-01"
