"""Wakefield's pilot over whole cohorts, beyond what its examples pin: the local employment metric
agrees with a plain reading of its definition on every episode, and the co-dependent providers'
split outcomes are shared by the stated shares while the other outcomes go to one of the two providers
(the episode's, else the client's), or to "unassigned" when the data names neither."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbr_rules
from pbr_rules.cohort import generate
from pbr_rules.pay import share_of
from pbr_rules.pay.lines import LineKind
from pbr_rules.tree import Status

ROOT = Path(__file__).parent.parent / "rulesets"
COHORT = ROOT / "national" / "examples" / "cohort.jsonl"
EXAMPLE_CLIENTS = ROOT / "wakefield" / "examples" / "clients.jsonl"  # they sit on the thresholds
AS_OF_DATES = ("2013-06-30", "2014-06-30")
OUT_OF_WORK, IN_WORK = 0, 10  # the ruleset's illustrative thresholds
SPLITS = {"planned_exit": {"wakefield_nhs": Decimal("0.60"), "wakefield_recovery": Decimal("0.40")},
          "sustained_recovery": {"wakefield_nhs": Decimal("0.40"), "wakefield_recovery": Decimal("0.60")},
          "into_paid_work": {"wakefield_nhs": Decimal("0.40"), "wakefield_recovery": Decimal("0.60")}}
PROVIDERS = ("wakefield_nhs", "wakefield_recovery")
TARIFFS = {"abstinence": (150, 200, 300), "ceased_injecting": (100, 150, 200), "housing": (100, 150, 200),
           "planned_exit": (250, 400, 600), "sustained_recovery": (750, 1000, 1500), "into_paid_work": (200, 300, 450)}


@pytest.fixture(scope="module")
def wakefield():
    return pbr_rules.load("wakefield@1.0.0")


@pytest.fixture(scope="module")
def clients():
    shipped = [json.loads(line) for path in (COHORT, EXAMPLE_CLIENTS)
               for line in path.read_text().splitlines() if line.strip()]
    generated = [dict(c, id="G" + c["id"]) for c in generate(300, seed=7)]  # ids apart from the shipped ones
    return shipped + generated


def day(text) -> datetime.date:
    return datetime.date.fromisoformat(text)


def plain_reading(client: dict, episode: dict, as_of: datetime.date) -> tuple:
    """(status, date) of `into_paid_work` for the episode, read from the definition in words."""
    start, end = day(episode["start"]), day(episode["end"]) if episode.get("end") else None
    during = [r for r in client["top_reviews"]
              if start <= day(r["date"]) <= as_of and (end is None or day(r["date"]) <= end)]
    starts = [r for r in during if r["stage"] == "start"]
    base = min(starts, key=lambda r: r["date"]) if starts else None
    if base is None or base.get("paid_work_days") is None or base["paid_work_days"] > OUT_OF_WORK:
        return Status.NOT_APPLICABLE, None
    working = [r for r in during if r["stage"] in ("review", "exit") and r["date"] > base["date"]
               and (r.get("paid_work_days") or 0) >= IN_WORK]
    if working:
        return Status.ACHIEVED, day(min(working, key=lambda r: r["date"])["date"])
    if end is not None and end <= as_of:
        return Status.NOT_ACHIEVED, end
    return Status.PENDING, None


def disagreements(ruleset, clients: list) -> list:
    found = []
    for as_of in AS_OF_DATES:
        for client, result in zip(clients, ruleset.evaluate_many(clients, as_of)):
            episodes = {e["id"]: e for e in client["episodes"]}
            for row in result.rows:
                if row.outcome == "into_paid_work":
                    expected = plain_reading(client, episodes[row.unit], day(as_of))
                    if (row.status, row.date) != expected:
                        found.append((as_of, client["id"], row.unit, row.status, row.date, expected))
    return found


def test_the_employment_metric_agrees_with_its_plain_reading_on_every_episode(wakefield, clients):
    assert disagreements(wakefield, clients) == []
    achieved = [c for c in wakefield.evaluate_many(clients, "2014-06-30")
                if c.result("into_paid_work") and c.result("into_paid_work").status is Status.ACHIEVED]
    assert achieved  # the cohort does exercise the achieved branch


def test_the_comparison_catches_a_threshold_one_day_of_work_off(tmp_path, clients):
    (tmp_path / "off_by_one").mkdir()
    (tmp_path / "off_by_one" / "1.0.0.pbr").write_text(
        "ruleset off_by_one version 1.0.0\nextends wakefield 1.0.0\n"
        'override parameter employed_work_days = 11 because "A wrong threshold."\n')
    assert disagreements(pbr_rules.load("off_by_one@1.0.0", [tmp_path]), clients) != []


START = datetime.date(2012, 5, 1)
top_reviews = st.lists(st.fixed_dictionaries({
    "date": st.integers(-30, 450).map(lambda n: (START + datetime.timedelta(days=n)).isoformat()),
    "stage": st.sampled_from(["start", "review", "exit", "post_treatment_exit"]),
    "days_used": st.just({}),
    "paid_work_days": st.sampled_from([None, 0, 1, 9, 10, 11, 28])}), max_size=6)


@settings(max_examples=200, deadline=None)
@given(tops=top_reviews, length=st.none() | st.integers(0, 400), after=st.integers(0, 500))
def test_the_employment_metric_agrees_with_its_plain_reading_around_its_thresholds(wakefield, tops, length, after):
    tops = [{k: v for k, v in r.items() if v is not None} for r in tops]
    episode = {"id": "E1", "start": START.isoformat()}
    if length is not None:
        episode["end"] = (START + datetime.timedelta(days=length)).isoformat()
    client = {"id": "X", "presenting_substances": ["opiates"], "episodes": [episode], "top_reviews": tops}
    as_of = START + datetime.timedelta(days=after)
    row = wakefield.evaluate(client, as_of).result("into_paid_work", "E1")
    assert (row.status, row.date) == plain_reading(client, episode, as_of)


def payee(client: dict, episode: dict) -> str:
    """Who is paid a whole outcome: the episode's provider when it is one of the two, else the
    client's when it is one of the two, else unassigned."""
    named = [episode.get("provider"), client.get("provider")]
    return next((provider for provider in named if provider in PROVIDERS), "unassigned")


def split_problems(lines: list, clients: dict) -> list:
    """Lines not shared as Wakefield says: a split outcome by its shares of the tariff to the two
    providers, any other outcome whole to its payee."""
    problems, groups = [], {}
    for line in lines:
        if line.kind is LineKind.OUTCOME and line.due is not None:
            groups.setdefault((line.client, line.item, line.unit, line.date), []).append(line)
    for (client_id, item, unit, _), group in groups.items():
        client = clients[client_id]
        tariff = Decimal(TARIFFS[item][("low", "medium", "high").index(client["complexity"])])
        if item in SPLITS:
            shares = SPLITS[item]
            expected = dict(zip(shares, share_of(tariff, list(shares.values()))))
        else:
            episode = next(e for e in client["episodes"] if e["id"] == unit)
            expected = {payee(client, episode): tariff}
        got = {line.provider: line.due for line in group}
        if got != expected or len(group) != len(expected):
            problems.append((client_id, item, unit, got, expected))
    return problems


def test_split_outcomes_are_shared_by_their_shares_and_the_rest_go_to_the_episodes_provider(wakefield, clients):
    run = wakefield.pay(clients, "2014-06-30")
    by_id = {c["id"]: c for c in clients}
    assert split_problems(run.lines, by_id) == []
    assert {l.item for l in run.lines if l.provider == "wakefield_recovery"} >= set(SPLITS)
    doctored = [attrs.evolve(l, provider="P1") if (l.item, l.provider) == ("planned_exit", "wakefield_nhs") else l
                for l in run.lines]
    assert split_problems(doctored, by_id) != []


def without_provider(record: dict) -> dict:
    return {key: value for key, value in record.items() if key != "provider"}


def with_providers(client: dict, episode_provider, client_provider) -> dict:
    """The client with those providers named on every episode and on the client (None: not named)."""
    named = without_provider(client)
    named["episodes"] = [without_provider(e) for e in client["episodes"]]
    for record, provider in [(e, episode_provider) for e in named["episodes"]] + [(named, client_provider)]:
        if provider:
            record["provider"] = provider
    return named


def test_only_the_two_providers_or_unassigned_are_paid_whatever_the_data_names(wakefield, clients):
    """The shipped cohort names P1 to P3; with the two providers and a third name mixed in on episodes
    and clients, every whole outcome goes to one of the two by the rule, or waits as unassigned."""
    names = (None, "P1", *PROVIDERS)
    mixed = [with_providers(c, names[n % 4], names[(n // 4) % 4]) for n, c in enumerate(clients)]
    run = wakefield.pay(mixed, "2014-06-30")
    assert {line.provider for line in run.lines} == {*PROVIDERS, "unassigned"}
    by_id = {c["id"]: c for c in mixed}
    assert split_problems(run.lines, by_id) == []
    national = [attrs.evolve(l, provider="P1") if l.provider == "unassigned" and l.client else l for l in run.lines]
    assert split_problems(national, by_id) != []  # paying the third name, as national would, is caught
