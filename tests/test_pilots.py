"""The eight pilots as working rulesets: each checks, has examples of its own, pays with a cap and a
floor, reads the national input unchanged, and evaluates and pays a generated cohort carrying its
own optional fields with nobody set aside, its local outcomes exercised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import cohort
from pbr_rules.evaluate import Rejected
from pbr_rules.examples import run_examples

PILOTS = ["wigan@1.1.0", "wakefield", "oxfordshire", "west_kent", "enfield", "bracknell", "stockport", "lincolnshire"]
SHIPPED_COHORT = Path(__file__).resolve().parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"


@pytest.fixture(scope="module", params=PILOTS)
def pilot(request):
    return pbr_rules.load(request.param)


@pytest.fixture(scope="module")
def national():
    return pbr_rules.load("national@1.0.0")


def test_a_pilot_extends_national_has_its_own_examples_and_pays_with_a_cap_and_a_floor(pilot):
    resolved = pilot.checked.resolved
    chain = []
    while resolved is not None:
        chain.append(resolved.name)
        resolved = resolved.base
    assert chain[-1] == "national"
    report = run_examples(pilot)
    assert report.failed == 0 and len(pilot.checked.resolved.examples) >= 4
    schedule = pilot.checked.payments
    assert schedule.pays and schedule.caps and schedule.floors


def test_a_pilot_reads_the_national_input_unchanged(pilot):
    clients = [json.loads(line) for line in SHIPPED_COHORT.read_text().splitlines()]
    results = list(pilot.evaluate_many(clients, "2014-06-30"))
    assert not [r for r in results if isinstance(r, Rejected)]


def test_a_pilot_evaluates_and_pays_a_cohort_with_its_own_fields_and_its_local_outcomes_happen(pilot, national):
    extras = cohort.extras_for(pilot.checked.schema.records["client"].fields)
    clients = list(cohort.generate(600, 11, extras=extras))
    errors: list = []
    run = pilot.pay(clients, "2015-06-30", errors=errors)
    assert errors == [] and run.rejected == ()
    assert any(line.paid > 0 for line in run.lines)
    local = [name for name in pilot.outcome_names if name not in national.outcome_names]
    statuses = {name: set() for name in local}
    for result in pilot.evaluate_many(clients, "2015-06-30"):
        for row in result.rows:
            if row.outcome in statuses:
                statuses[row.outcome].add(str(row.status))
    never = [name for name, seen in statuses.items() if "achieved" not in seen]
    assert never == [], f"{pilot.ref}: local outcomes never achieved on the generated cohort"


def test_the_cohort_generator_fills_only_the_fields_asked_and_keeps_the_national_ones():
    plain = list(cohort.generate(50, 4))
    family = list(cohort.generate(50, 4, extras=("family",)))
    assert all("family" not in c for c in plain) and any("family" in c for c in family)
    assert [{k: v for k, v in c.items() if k != "family"} for c in family] == plain
