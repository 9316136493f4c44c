"""Wigan 1.1.0's payment schedule over whole cohorts: what examples (one client, or one small
cohort, at a time) cannot pin. Per-client outcome lines go to the three providers and are capped
per provider per quarter; measure lines go to the pool alone and are never capped; nothing is paid
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


def kinds(run) -> dict:
    found: dict = {}
    for line in run.lines:
        found.setdefault(line.kind, []).append(line)
    return found


def test_outcome_lines_go_to_the_providers_and_measure_lines_to_the_pool_alone(shipped_run):
    lines = kinds(shipped_run)
    assert {line.provider for line in lines[LineKind.OUTCOME]} == {"P1", "P2", "P3"}
    assert lines[LineKind.MEASURE] and {line.provider for line in lines[LineKind.MEASURE]} == {POOL}
    assert POOL not in {line.provider for line in lines[LineKind.OUTCOME]}
    assert LineKind.FLOOR not in lines  # no floor: see the ruleset's description


def test_nothing_is_paid_before_the_second_contract_year(shipped_run, wigan_cohort_basis):
    assert min(line.date for line in shipped_run.lines) >= datetime.date(2013, 4, 1)
    # the same clients do achieve outcomes before it, so the check can fail
    clients = [json.loads(line) for line in COHORT.read_text().splitlines() if line.strip()]
    earlier = [r for client in clients for r in wigan_cohort_basis.evaluate(client, "2015-06-30").results
               if r.status.value == "achieved" and r.date < datetime.date(2013, 4, 1)]
    assert earlier


def test_the_cap_holds_each_provider_per_quarter_and_leaves_the_pool_alone(wigan_cohort_basis):
    run = wigan_cohort_basis.pay(list(generate(2000, 7)), "2015-06-30")
    paid: dict = {}
    for line in run.lines:
        if line.kind is LineKind.OUTCOME:
            paid[(line.provider, line.period)] = paid.get((line.provider, line.period), Decimal(0)) + line.paid
    assert max(paid.values()) <= CAP
    assert any(line.status.value in ("capped", "part_capped") for line in run.lines)  # the cap does bind
    assert all(line.status.value == "payable" for line in run.lines if line.provider == POOL)


def test_wigan_1_0_0_still_pays_nothing():
    assert not pbr_rules.load("wigan@1.0.0").checked.payments.pays
