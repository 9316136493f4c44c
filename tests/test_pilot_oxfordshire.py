"""Oxfordshire's move from harm minimisation into recovery, over whole cohorts: what examples (one
client at a time) cannot pin. The shipped cohort has one episode per client and no modality
changes, so it never shows a move; here every ended prescribing episode is given a follow-on
episode, and the move is paid once per client, to the harm minimisation provider, on the day the
client has stayed 28 days in recovery; a day's stay before going back on prescribing pays nothing.
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


STAY = datetime.timedelta(days=28)  # the ruleset's minimum_recovery_stay


def with_follow_on(clients, days_after_end: int, modality: str = "residential", lasting: int | None = None,
                   back_on_prescribing_after: int | None = None):
    """Each client whose prescribing episodes ended gets, after each, an episode of `modality`
    starting `days_after_end` days after that end (negative: before it), open, or ending (dropped
    out) `lasting` days after its start; and, with `back_on_prescribing_after`, a new open
    prescribing episode that many days after the recovery episode starts."""
    changed = []
    for record in clients:
        extra = []
        for episode in record["episodes"]:
            if episode.get("modality") == "prescribing" and episode.get("end"):
                start = datetime.date.fromisoformat(episode["end"]) + datetime.timedelta(days=days_after_end)
                follow_on = {"id": episode["id"] + "R", "start": start.isoformat(), "modality": modality}
                if lasting is not None:
                    end = start + datetime.timedelta(days=lasting)
                    follow_on.update(end=end.isoformat(), discharge_reason="dropped_out")
                extra.append(follow_on)
                if back_on_prescribing_after is not None:
                    again = start + datetime.timedelta(days=back_on_prescribing_after)
                    extra.append({"id": episode["id"] + "P", "start": again.isoformat(), "modality": "prescribing"})
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


def test_a_move_the_day_after_the_end_is_paid_once_per_client_to_the_harm_minimisation_provider_after_the_stay(
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
        assert line.date == start + STAY


def test_treatment_ended_alongside_the_prescription_too_late_or_from_another_modality_is_no_move(
        oxfordshire, cohort):
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=-40, lasting=39), AS_OF)) == []
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=29), AS_OF)) == []
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=1, modality="other"), AS_OF)) == []
    # the same cohorts with a move inside the 28 days, or a handover, do pay: the checks above can fail
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=28), AS_OF))
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=0), AS_OF))
    # open on the day the prescription ends and for 28 days after it (a handover)
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=-40, lasting=40 + 28), AS_OF))


def test_a_handover_counts_from_the_day_the_prescription_ends(oxfordshire, cohort):
    moved = with_follow_on(cohort, days_after_end=-16)
    lines = move_lines(oxfordshire.pay(moved, AS_OF))
    ends = {(r["id"], e["id"]): e["end"] for r in moved for e in r["episodes"] if e.get("end")}
    assert lines and all(line.date == datetime.date.fromisoformat(ends[(line.client, line.unit)]) + STAY
                         for line in lines)


def test_a_stay_short_of_28_days_or_back_on_prescribing_is_no_move(oxfordshire, cohort):
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=1, lasting=1), AS_OF)) == []
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=1, lasting=27), AS_OF)) == []
    churned = with_follow_on(cohort, days_after_end=1, back_on_prescribing_after=5)
    assert move_lines(oxfordshire.pay(churned, AS_OF)) == []
    # a stay of exactly 28 days, or going back on prescribing after it, is a move: the checks can fail
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=1, lasting=28), AS_OF))
    assert move_lines(oxfordshire.pay(with_follow_on(cohort, days_after_end=1, back_on_prescribing_after=29),
                                      AS_OF))
