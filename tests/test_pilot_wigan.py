"""Wigan 1.1.0's payment schedule over whole cohorts: what examples (one client, or one small
cohort, at a time) cannot pin. Per-client outcome lines go to the three providers and are capped
per provider per quarter; measure lines go to the pool alone and are never capped; the floor tops
up the providers, never the pool; nothing is paid
before the second contract year; Wigan 1.0.0 still pays nothing.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules.cohort import generate
from pbr_rules.pay.lines import LineKind

COHORT = Path(__file__).parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
POOL = "Wigan providers (pooled)"
CAP = Decimal("20000.00")


@pytest.fixture(scope="module")
def wigan_cohort_basis():
    return pbr_rules.load("wigan@1.1.0")


@pytest.fixture(scope="module")
def shipped_run(wigan_cohort_basis):
    clients = [json.loads(line) for line in COHORT.read_text().splitlines() if line.strip()]
    return wigan_cohort_basis.pay(clients, "2015-06-30")


@pytest.fixture(scope="module")
def generated_run(wigan_cohort_basis):
    """2000 generated clients: their cohort beats the housing baseline, so a measure pays (the
    shipped cohort's measures all miss their baselines)."""
    return wigan_cohort_basis.pay(list(generate(2000, 7)), "2015-06-30")


def kinds(run) -> dict:
    found: dict = {}
    for line in run.lines:
        found.setdefault(line.kind, []).append(line)
    return found


def test_outcome_lines_go_to_the_providers_and_measure_lines_to_the_pool_alone(shipped_run, generated_run):
    for run in (shipped_run, generated_run):
        lines = kinds(run)
        assert {line.provider for line in lines[LineKind.OUTCOME]} == {"P1", "P2", "P3"}
        assert {line.provider for line in lines.get(LineKind.MEASURE, [])} <= {POOL}
    assert kinds(generated_run)[LineKind.MEASURE]  # a measure does pay, so the check above can fail


def test_the_floor_tops_up_providers_and_never_the_pool(shipped_run, generated_run):
    floors = [line for run in (shipped_run, generated_run) for line in kinds(run).get(LineKind.FLOOR, [])]
    assert floors and {line.provider for line in floors} <= {"P1", "P2", "P3"}
    # the pool was paid a measure line in a quarter that has ended, so a floor counting it would top it up
    assert [line for line in kinds(generated_run)[LineKind.MEASURE]
            if line.paid and line.date < datetime.date(2015, 4, 1)]


def test_nothing_is_paid_before_the_second_contract_year(shipped_run, wigan_cohort_basis):
    assert min(line.date for line in shipped_run.lines) >= datetime.date(2013, 4, 1)
    # the same clients do achieve outcomes before it, so the check can fail
    clients = [json.loads(line) for line in COHORT.read_text().splitlines() if line.strip()]
    earlier = [r for client in clients for r in wigan_cohort_basis.evaluate(client, "2015-06-30").results
               if r.status.value == "achieved" and r.date < datetime.date(2013, 4, 1)]
    assert earlier


def test_the_cap_holds_each_provider_per_quarter_and_leaves_the_pool_alone(generated_run):
    run = generated_run
    paid: dict = {}
    for line in run.lines:
        if line.kind is LineKind.OUTCOME:
            paid[(line.provider, line.period)] = paid.get((line.provider, line.period), Decimal(0)) + line.paid
    assert max(paid.values()) <= CAP
    assert any(line.status.value in ("capped", "part_capped") for line in run.lines)  # the cap does bind
    assert all(line.status.value == "payable" for line in run.lines if line.provider == POOL)


def test_wigan_1_0_0_still_pays_nothing():
    assert not pbr_rules.load("wigan@1.0.0").checked.payments.pays
