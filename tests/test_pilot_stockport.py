"""Stockport's pilot: every outcome line goes to the provider of its episode's client group.

The examples pin each group and the age boundary one client at a time; these tests hold the whole
shipped cohort (with dates of birth and treatments removed from some clients) to a hand-written
reading of the same rule."""

from __future__ import annotations

import calendar
import copy
import datetime
import json
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules.pay import LineKind

COHORT = Path(__file__).parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
YOUNG, PRESCRIBING, PSYCHOSOCIAL, ADULT = ("Stockport young people's service (18-25)", "Stockport prescribing service",
                                          "Stockport psychosocial service", "Stockport 26+ service")


@pytest.fixture(scope="module")
def stockport():
    return pbr_rules.load("stockport@1.0.0")


@pytest.fixture(scope="module")
def cohort():
    """The shipped cohort, with the date of birth left out of every third client and the
    treatment out of every fourth episode, so that every branch of the rule is taken."""
    clients = [json.loads(line) for line in COHORT.read_text().splitlines()]
    for number, client in enumerate(clients):
        if number % 3 == 0:
            client.pop("date_of_birth", None)
        for episode in client["episodes"]:
            if (number + len(episode["id"])) % 4 == 0:
                episode.pop("modality", None)
    return clients


def birthday(born: datetime.date, years: int) -> datetime.date:
    """The day the client reaches that age: the anniversary, or 1 March in a common year for a
    client born on 29 February (as in English law; not the 28 February of clamped arithmetic)."""
    year = born.year + years
    if (born.month, born.day) == (2, 29) and not calendar.isleap(year):
        return datetime.date(year, 3, 1)
    return born.replace(year=year)


def young(client, episode) -> bool:
    born = client.get("date_of_birth")
    start = datetime.date.fromisoformat(episode["start"])
    return born is not None and start < birthday(datetime.date.fromisoformat(born), 26)


def by_modality(episode):
    return {"prescribing": PRESCRIBING, "psychosocial": PSYCHOSOCIAL}.get(episode.get("modality"))


def stockport_order(client, episode) -> str:
    """The rule as Stockport's ruleset states it: age, then treatment, then the 26+ service."""
    return YOUNG if young(client, episode) else by_modality(episode) or ADULT


def adult_service_first(client, episode) -> str:
    """The overlap resolved the other way: the 26+ service before the treatment services."""
    if young(client, episode):
        return YOUNG
    return ADULT if client.get("date_of_birth") else by_modality(episode) or ADULT


def misrouted(run, clients, expected_provider) -> list:
    episodes = {(c["id"], e["id"]): (c, e) for c in clients for e in c["episodes"]}
    return [(line.client, line.unit, line.item, line.provider) for line in run.settled
            if line.kind is LineKind.OUTCOME and line.provider != expected_provider(*episodes[line.client, line.unit])]


def test_every_outcome_line_goes_to_its_client_groups_provider(stockport, cohort):
    run = stockport.pay(copy.deepcopy(cohort), "2014-06-30")
    outcome_lines = [line for line in run.settled if line.kind is LineKind.OUTCOME]
    assert len(outcome_lines) > 100
    assert {line.provider for line in outcome_lines} == {YOUNG, PRESCRIBING, PSYCHOSOCIAL, ADULT}
    assert misrouted(run, cohort, stockport_order) == []


def test_the_check_catches_the_overlap_resolved_the_other_way(stockport, cohort):
    run = stockport.pay(copy.deepcopy(cohort), "2014-06-30")
    assert misrouted(run, cohort, adult_service_first)


@pytest.mark.parametrize("start, provider", [("2012-05-31", YOUNG), ("2012-06-01", PRESCRIBING)])
def test_the_group_is_decided_by_age_on_the_episodes_first_day(stockport, start, provider):
    client = {"id": "B", "date_of_birth": "1986-06-01", "complexity": "low", "presenting_substances": ["opiates"],
              "episodes": [{"id": "E1", "start": start, "end": "2012-11-30", "discharge_reason": "completed_drug_free",
                            "modality": "prescribing"}]}
    run = stockport.pay([client], "2012-12-31")
    assert [(line.item, line.provider) for line in run.lines if line.kind is LineKind.OUTCOME] == [
        ("planned_exit", provider)]


@pytest.mark.parametrize("born, start, provider", [
    ("1988-02-29", "2014-02-28", YOUNG), ("1988-02-29", "2014-03-01", PSYCHOSOCIAL),  # born on a leap day
    ("1990-03-01", "2016-02-29", YOUNG), ("1990-02-28", "2016-02-29", PSYCHOSOCIAL)])  # starting on one
def test_around_29_february_the_client_turns_26_on_the_right_day(stockport, born, start, provider):
    client = {"id": "L", "date_of_birth": born, "complexity": "low", "presenting_substances": ["opiates"],
              "episodes": [{"id": "E1", "start": start, "end": "2016-03-31", "discharge_reason":
                            "completed_drug_free", "modality": "psychosocial"}]}
    run = stockport.pay([client], "2016-04-30")
    assert {line.provider for line in run.lines if line.kind is LineKind.OUTCOME} == {provider}
    assert stockport_order(client, client["episodes"][0]) == provider
