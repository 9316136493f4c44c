"""West Kent's pilot over whole cohorts, beyond what its examples pin: `every_need` is what the
results of the needs' outcomes and the episode's start and exit TOPs say (a blank start answer is
a need not met), every outcome payment waits for it and is released on the day
it is achieved (never before), and every line goes to the one prime provider."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import attrs
import pytest

import pbr_rules
from pbr_rules.cohort import generate
from pbr_rules.pay.lines import LineKind, LineStatus
from pbr_rules.tree import Status

ROOT = Path(__file__).parent.parent / "rulesets"
DATA = (ROOT / "national" / "examples" / "cohort.jsonl", ROOT / "west_kent" / "examples" / "clients.jsonl")
AS_OF_DATES = ("2013-06-30", "2014-06-30")
PRIME = "West Kent prime provider"
MET = (Status.ACHIEVED, Status.NOT_APPLICABLE)
QUALITY_NORM = 14  # the national parameter quality_of_life_norm


@pytest.fixture(scope="module")
def west_kent():
    return pbr_rules.load("west_kent@1.0.0")


@pytest.fixture(scope="module")
def clients():
    shipped = [json.loads(line) for path in DATA for line in path.read_text().splitlines() if line.strip()]
    return shipped + [dict(c, id="G" + c["id"]) for c in generate(300, seed=7)]  # ids apart from the shipped


def episode_tops(client: dict, unit: str, as_of: str) -> tuple:
    """(start TOP or None, the episode's exit TOPs at the norm, the end as of the date or None)."""
    episode = next(e for e in client["episodes"] if e["id"] == unit)
    end = episode.get("end") if episode.get("end") and episode["end"] <= as_of else None
    tops = [r for r in client["top_reviews"]
            if episode["start"] <= r["date"] <= (end or as_of)]
    starts = sorted((r for r in tops if r["stage"] == "start"), key=lambda r: r["date"])
    good_exits = [r for r in tops if r["stage"] == "exit" and (r.get("quality_of_life") or 0) >= QUALITY_NORM]
    return (starts[0] if starts else None), good_exits, end


def answered(top, *fields) -> bool:
    return top is not None and all(top.get(field) is not None for field in fields)


def needs_reading(result, unit: str, client: dict, as_of: str) -> tuple:
    """(status, date) of `every_need` for the unit, read from the other outcomes' results and the
    client's TOPs in words: drug use by abstinence, reliable improvement or planned exit; housing and
    injecting achieved, or not applicable with the start TOP's answer recorded; quality of life at two
    reviews or at an exit TOP at the norm."""
    abstinence, improvement, exit_, housing, injecting, quality = (
        result.result(name, unit) for name in ("abstinence", "reliable_improvement", "planned_exit", "housing",
                                               "ceased_injecting", "quality_of_life"))
    start, good_exits, end = episode_tops(client, unit, as_of)
    drug_results = (abstinence, improvement, exit_)
    drugs_met = abstinence.status is Status.NOT_APPLICABLE or any(r.status is Status.ACHIEVED for r in drug_results)
    drugs_failed = (abstinence.status is Status.NOT_ACHIEVED and exit_.status is Status.NOT_ACHIEVED
                    and improvement.status in (Status.NOT_ACHIEVED, Status.NOT_APPLICABLE))
    housing_blank = housing.status is Status.NOT_APPLICABLE and not answered(
        start, "acute_housing_problem", "at_risk_of_eviction")
    injecting_blank = injecting.status is Status.NOT_APPLICABLE and not answered(start, "injecting_days")
    quality_dates = [r.date for r in (quality,) if r.status is Status.ACHIEVED] + [
        date.fromisoformat(r["date"]) for r in good_exits]
    if (drugs_met and housing.status in MET and injecting.status in MET and quality_dates
            and not housing_blank and not injecting_blank):
        drug_dates = [r.date for r in drug_results if r.status is Status.ACHIEVED]
        dates = [min(drug_dates)] if drug_dates else []
        dates += [r.date for r in (housing, injecting) if r.status is Status.ACHIEVED] + [min(quality_dates)]
        return Status.ACHIEVED, max(dates)
    quality_failed = quality.status is Status.NOT_ACHIEVED and not quality_dates
    failed = (drugs_failed or housing_blank or injecting_blank or quality_failed
              or Status.NOT_ACHIEVED in (housing.status, injecting.status))
    if failed and end is not None:
        return Status.NOT_ACHIEVED, date.fromisoformat(end)
    return Status.PENDING, None


def reading_problems(results: list, clients: dict, as_of: str) -> list:
    return [(result.client, row.unit, row.status, row.date, reading)
            for result in results for row in result.rows
            if row.outcome == "every_need"
            and (row.status, row.date) != (reading := needs_reading(result, row.unit, clients[result.client], as_of))]


def evaluated(ruleset, clients, as_of) -> list:
    return list(ruleset.evaluate_many(clients, as_of))


def test_every_need_is_what_the_needs_outcomes_say(west_kent, clients):
    for as_of in AS_OF_DATES:
        results = evaluated(west_kent, clients, as_of)
        assert reading_problems(results, by_id(clients), as_of) == []
        assert {r.result("every_need").status for r in results if r.result("every_need")} == set(Status) - {
            Status.NOT_APPLICABLE}


def test_the_reading_catches_a_wrong_every_need(west_kent, clients):
    def all_achieved(result):
        return attrs.evolve(result, rows=tuple(row._replace(status=Status.ACHIEVED) if row.outcome == "every_need"
                                               else row for row in result.rows))
    results = [all_achieved(r) for r in evaluated(west_kent, clients, "2014-06-30")]
    assert reading_problems(results, by_id(clients), "2014-06-30") != []


def test_the_reading_catches_a_blank_start_answer_taken_as_met(tmp_path, clients):
    """A variant where a blank housing or injecting answer waives the need (the first version's rule)."""
    (tmp_path / "waiving").mkdir()
    (tmp_path / "waiving" / "1.0.0.pbr").write_text(
        "ruleset waiving version 1.0.0\nextends west_kent 1.0.0\n"
        'override define housing_answered_at_start(e: episode) = true because "Blank answers waive."\n'
        'override define injecting_answered_at_start(e: episode) = true because "Blank answers waive."\n')
    waiving = pbr_rules.load("waiving@1.0.0", [tmp_path])
    assert reading_problems(evaluated(waiving, clients, "2014-06-30"), by_id(clients), "2014-06-30") != []


def by_id(clients) -> dict:
    return {client["id"]: client for client in clients}


def gate_problems(ruleset, clients, as_of: str) -> list:
    """Outcome lines paid before every need progressed, held after, dated other than on the later of
    their own date and the gate's opening, or paid to anyone but the prime provider."""
    results = {r.client: r for r in evaluated(ruleset, clients, as_of)}
    problems = []
    for line in ruleset.pay(clients, as_of).lines:
        if line.provider != PRIME:
            problems.append((line.client, line.item, "paid to", line.provider))
        if line.kind is not LineKind.OUTCOME or line.due is None:
            continue  # a floor top-up, or held for want of a complexity group
        need = results[line.client].result("every_need", line.unit)
        own = results[line.client].result(line.item, line.unit)
        if need.status is not Status.ACHIEVED:
            if line.status is not LineStatus.HELD or "gate full_range" not in " ".join(line.reasons):
                problems.append((line.client, line.item, line.unit, "paid before every need", need.status))
        elif line.status is LineStatus.HELD or line.date != max(own.date, need.date):
            problems.append((line.client, line.item, line.unit, line.status, line.date, own.date, need.date))
    return problems


def test_every_outcome_payment_waits_for_every_need_and_goes_to_the_prime_provider(west_kent, clients):
    for as_of in AS_OF_DATES:
        assert gate_problems(west_kent, clients, as_of) == []


def test_the_check_catches_a_gate_that_holds_too_little(tmp_path, clients):
    (tmp_path / "narrow").mkdir()
    (tmp_path / "narrow" / "1.0.0.pbr").write_text(
        "ruleset narrow version 1.0.0\nextends west_kent 1.0.0\n"
        'override gate full_range on planned_exit until every_need because "Only the exit waits."\n')
    assert gate_problems(pbr_rules.load("narrow@1.0.0", [tmp_path]), clients, "2014-06-30") != []
