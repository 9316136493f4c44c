"""Oxfordshire's move from harm minimisation into recovery, over whole cohorts: what examples (one
client at a time) cannot pin. The shipped cohort has one episode per client and no modality
changes, so it never shows a move; here every ended prescribing episode is given a follow-on
episode, and the move is paid once per client, to the harm minimisation provider, on its day.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

import pbr_rules

COHORT = Path(__file__).parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
AS_OF = "2014-06-30"
HARM_MINIMISATION = "Oxfordshire harm minimisation provider"
RECOVERY = "Oxfordshire recovery provider"


@pytest.fixture(scope="module")
def oxfordshire():
    return pbr_rules.load("oxfordshire@1.0.0")


@pytest.fixture(scope="module")
def cohort():
    return [json.loads(line) for line in COHORT.read_text().splitlines() if line.strip()]


def with_follow_on(clients, days_after_end: int, modality: str = "residential"):
    """Each client whose prescribing episodes ended gets, after each, an episode of `modality`
    starting `days_after_end` days after that end (negative: before it)."""
    changed = []
    for record in clients:
        extra = []
        for episode in record["episodes"]:
            if episode.get("modality") == "prescribing" and episode.get("end"):
                start = datetime.date.fromisoformat(episode["end"]) + datetime.timedelta(days=days_after_end)
                extra.append({"id": episode["id"] + "R", "start": start.isoformat(), "modality": modality})
        changed.append(dict(record, episodes=record["episodes"] + extra))
    return changed


def move_lines(run):
    return [line for line in run.lines if line.item == "moved_into_recovery"]


def test_the_shipped_cohort_is_paid_to_the_two_providers_by_the_service_each_episode_is(oxfordshire, cohort):
    run = oxfordshire.pay(cohort, AS_OF)
    assert {line.provider for line in run.lines} == {HARM_MINIMISATION, RECOVERY}
    assert move_lines(run) == []  # one episode per client: nothing to move into
    # an episode without a modality falls back on national's rule: its own provider
    unrecorded = [dict(r, episodes=[{k: v for k, v in e.items() if k != "modality"} for e in r["episodes"]])
                  for r in cohort]
    fallback = {line.provider for line in oxfordshire.pay(unrecorded, AS_OF).lines}
    assert HARM_MINIMISATION not in fallback and RECOVERY not in fallback


def test_a_move_the_day_after_the_end_is_paid_once_per_client_to_the_harm_minimisation_provider(
        oxfordshire, cohort):
    moved = with_follow_on(cohort, days_after_end=1)
    lines = move_lines(oxfordshire.pay(moved, AS_OF))
    followed = {r["id"] for r in moved if any(e["id"].endswith("R") for e in r["episodes"])}
    assert lines and {line.client for line in lines} <= followed
    assert len({line.client for line in lines}) == len(lines)  # once per client
    assert {line.provider for line in lines} == {HARM_MINIMISATION}
    ends = {(r["id"], e["id"]): e["end"] for r in moved for e in r["episodes"] if e.get("end")}
    for line in lines:
        start = datetime.date.fromisoformat(ends[(line.client, line.unit)]) + datetime.timedelta(days=1)
        assert line.date == start


def test_treatment_alongside_the_prescription_or_from_another_modality_is_no_move(oxfordshire, cohort):
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=-1), AS_OF)) == []
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=29), AS_OF)) == []
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=1, modality="other"), AS_OF)) == []
    # the same cohorts with a move inside the 28 days do pay: the checks above can fail
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=28), AS_OF))
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=0), AS_OF))
