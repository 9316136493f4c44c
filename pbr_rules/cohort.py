"""A seeded synthetic cohort in the national input format (docs/data.md), with edge cases.

The same seed gives the same file, byte for byte. Besides ordinary clients it plants the cases
rules most often get wrong: a presentation on the discharge day, exactly at the end of the
12-month window and the day after it, a discharge on 31 August (6 months later is 28/29 Feb),
a new episode starting on the day the last one ended, open episodes, TOPs after the evaluation
date, an end date without a discharge reason, absent TOP answers, and no presenting substance.
"""

from __future__ import annotations

import datetime
import json
import random
from typing import Iterator

from .values import Duration
from .dates import add_duration

SUBSTANCES = ["opiates", "crack", "cocaine", "amphetamines", "cannabis", "alcohol", "other"]
SUCCESS = ["completed_drug_free", "completed_alcohol_free", "completed_occasional_user"]
OTHER_REASONS = ["transferred_not_in_custody", "transferred_in_custody", "dropped_out",
                 "withdrawn_by_provider", "retained_in_custody", "declined", "died", "other"]
OFFENCES = ["shoplifting", "burglary", "theft", "possession", "fraud", "begging"]
EDGE_CASES = ["presentation_on_discharge_day", "presentation_at_window_end", "presentation_day_after_window",
              "discharge_31_august", "back_to_back_episode", "end_without_reason", "no_substance",
              "review_pair_exactly_12_months", "review_pair_12_months_and_a_day"]

START = datetime.date(2012, 4, 1)
SPAN_DAYS = 3 * 365


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _months(day: datetime.date, months: int) -> datetime.date:
    return add_duration(day, Duration(months=months))


# the pilots' own optional fields `pbr cohort --for RULESET` can fill, each by the client field it adds
EXTRAS = ("family", "family_sessions", "complexity_audit", "modality_changes")


def generate(clients: int, seed: int, start: datetime.date = START, extras=()) -> Iterator[dict]:
    """The cohort; with ``extras`` (names from EXTRAS) the clients also carry those pilots' fields. The
    national fields are the same with or without them, except that modality changes come with some
    follow-on episodes (the moves from prescribing into recovery they exist to show)."""
    rng = random.Random(seed)
    extra_rng = random.Random(f"{seed}-extras")  # its own stream: the national fields do not change
    width = max(6, len(str(clients)))  # ids as wide as the last one, so they sort as text (C000001...)
    for number in range(1, clients + 1):
        edge = EDGE_CASES[number % len(EDGE_CASES)] if rng.random() < 0.15 else None
        client = _client(rng, f"C{number:0{width}d}", start, edge)
        for extra in extras:
            EXTRA_MAKERS[extra](extra_rng, client, number)
        yield client


def _family(rng, client: dict, number: int) -> None:
    """Families of up to three consecutive clients; about half the clients name one."""
    if rng.random() < 0.5:
        client["family"] = f"F{(number - 1) // 3 + 1:05d}"


def _family_sessions(rng, client: dict, number: int) -> None:
    first = datetime.date.fromisoformat(client["episodes"][0]["start"])
    client["family_sessions"] = [{"date": _iso(first + datetime.timedelta(days=14 * k + 7))}
                                 for k in range(rng.choice([0, 0, 1, 2, 3, 4, 5]))]


def _complexity_audit(rng, client: dict, number: int) -> None:
    """No audit for half; else awaited, confirmed, or revised to another group, 60 days after the start."""
    roll = rng.random()
    if roll < 0.5 or "complexity" not in client:
        return
    first = datetime.date.fromisoformat(client["episodes"][0]["start"])
    if roll < 0.6:
        client["complexity_audit"] = "awaited"
        return
    client["complexity_audit_date"] = _iso(first + datetime.timedelta(days=60))
    if roll < 0.85:
        client["complexity_audit"] = "confirmed"
    else:
        client["complexity_audit"] = "revised"
        client["audited_complexity"] = rng.choice([g for g in ("low", "medium", "high") if g != client["complexity"]])


def _modality_changes(rng, client: dict, number: int) -> None:
    """For a prescribing episode: sometimes a change to psychosocial 90 days in, sometimes a new
    recovery-oriented episode soon after it ends (a move from harm minimisation into recovery)."""
    changes = []
    episode = client["episodes"][-1]
    start = datetime.date.fromisoformat(episode["start"])
    if episode.get("modality") == "prescribing":
        changed = start + datetime.timedelta(days=90)
        if rng.random() < 0.3 and (not episode.get("end") or changed <= datetime.date.fromisoformat(episode["end"])):
            changes.append({"date": _iso(changed), "episode": episode["id"], "modality": "psychosocial"})
        elif episode.get("end") and rng.random() < 0.4:
            follow = datetime.date.fromisoformat(episode["end"]) + datetime.timedelta(days=rng.choice([0, 10, 28, 29]))
            client["episodes"].append({"id": f"E{len(client['episodes']) + 1}", "start": _iso(follow),
                                       "provider": episode.get("provider"),
                                       "modality": rng.choice(["psychosocial", "recovery_support", "residential"])})
    client["modality_changes"] = changes


EXTRA_MAKERS = {"family": _family, "family_sessions": _family_sessions, "complexity_audit": _complexity_audit,
                "modality_changes": _modality_changes}


def extras_for(client_fields) -> tuple:
    """The EXTRAS a ruleset's client record has fields for (``pbr cohort --for``)."""
    return tuple(extra for extra in EXTRAS if extra in client_fields)


def _client(rng: random.Random, client_id: str, start: datetime.date, edge: str | None) -> dict:
    substances = rng.sample(SUBSTANCES, rng.choice([1, 1, 2, 2, 3]))
    if edge == "no_substance":
        substances = []
    injecting = "opiates" in substances and rng.random() < 0.5
    episodes, tops = _episodes(rng, start, substances, injecting, edge)
    presentations = _presentations(rng, start, episodes, edge)
    first_start = datetime.date.fromisoformat(episodes[0]["start"])
    offences = _offences(rng, first_start)
    doses = _doses(rng, first_start)
    client = {
        "id": client_id,
        "date_of_birth": _iso(datetime.date(rng.randrange(1955, 1998), rng.randrange(1, 13), rng.randrange(1, 29))),
        "sex": rng.choice(["F", "M"]),
        "provider": episodes[0]["provider"],
        "complexity": rng.choice(["low", "medium", "high"]),
        "presenting_substances": substances,
        "episodes": episodes,
        "top_reviews": tops,
        "presentations": presentations,
        "offences": offences,
        "hep_b_doses": doses,
    }
    return client


def _episodes(rng, start, substances, injecting, edge) -> tuple[list, list]:
    """One to three episodes in a row (the last possibly open), and their TOPs."""
    episodes, tops = [], []
    day = start + datetime.timedelta(days=rng.randrange(SPAN_DAYS))
    if edge == "discharge_31_august":
        day = datetime.date(rng.choice([2012, 2013]), rng.choice([2, 3, 4]), 1)
    for index in range(rng.choice([1, 1, 1, 2, 2, 3])):
        length = rng.randrange(30, 540)
        end = day + datetime.timedelta(days=length)
        if edge == "discharge_31_august" and index == 0:
            end = datetime.date(day.year, 8, 31)
        is_open = rng.random() < 0.2
        episode = {"id": f"E{index + 1}", "start": _iso(day), "provider": rng.choice(["P1", "P2", "P3"]),
                   "modality": rng.choice(["prescribing", "psychosocial", "residential"])}
        if not is_open:
            episode["end"] = _iso(end)
            if not (edge == "end_without_reason" and index == 0):
                episode["discharge_reason"] = rng.choice(SUCCESS * 2 + OTHER_REASONS)
        episodes.append(episode)
        tops.extend(_tops(rng, day, None if is_open else end, substances, injecting, edge))
        if is_open:
            break
        day = end if edge == "back_to_back_episode" else end + datetime.timedelta(days=rng.randrange(20, 700))
        if rng.random() < 0.5:
            break
    return episodes, tops


def _presentations(rng, start, episodes, edge) -> list:
    """Presentations at the edges of the re-presentation window when planted, and a few at random."""
    presentations = []
    last_end = episodes[-1].get("end")
    if last_end:
        discharge = datetime.date.fromisoformat(last_end)
        window_end = _months(discharge, 12)
        planted = {"presentation_on_discharge_day": discharge,
                   "presentation_at_window_end": window_end,
                   "presentation_day_after_window": window_end + datetime.timedelta(days=1)}.get(edge)
        if planted:
            presentations.append({"date": _iso(planted), "setting": rng.choice(["treatment", "criminal_justice"])})
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        when = start + datetime.timedelta(days=rng.randrange(SPAN_DAYS + 400))
        presentations.append({"date": _iso(when), "setting": rng.choice(["treatment", "criminal_justice"])})
    return presentations


def _offences(rng, first_start) -> list:
    offences = []
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
        when = first_start + datetime.timedelta(days=rng.randrange(-60, 500))
        offences.append({"date": _iso(when), "offence_type": rng.choice(OFFENCES)})
    if rng.random() < 0.05:
        offences.append({"date": _iso(first_start), "offence_type": "shoplifting"})
    return offences


def _doses(rng, first_start) -> list:
    doses = []
    if rng.random() < 0.3:
        when = first_start + datetime.timedelta(days=rng.randrange(0, 60))
        for _ in range(rng.choice([1, 2, 3, 3, 4])):
            doses.append({"date": _iso(when)})
            when += datetime.timedelta(days=rng.randrange(20, 200))
    return doses


def _tops(rng, start, end, substances, injecting, edge) -> list:
    def top(day, stage, level):
        record = {"date": _iso(day), "stage": stage,
                  "days_used": {s: max(0, min(28, int(level * rng.randrange(0, 29)))) for s in substances
                                if rng.random() < 0.9},
                  "quality_of_life": rng.randrange(4, 21) if rng.random() < 0.9 else None,
                  "psychological_health": rng.randrange(0, 21),
                  "physical_health": rng.randrange(0, 21),
                  "acute_housing_problem": rng.random() < 0.3 * level + 0.05,
                  "at_risk_of_eviction": rng.random() < 0.2 * level,
                  "paid_work_days": rng.randrange(0, 29), "education_days": rng.randrange(0, 5)}
        if rng.random() < 0.1:
            del record["acute_housing_problem"]
        if injecting:
            record["injecting_days"] = max(0, int(level * rng.randrange(0, 29)))
        elif rng.random() < 0.8:
            record["injecting_days"] = 0
        if record["quality_of_life"] is None:
            del record["quality_of_life"]
        return record

    tops = []
    if rng.random() < 0.9:
        tops.append(top(start, "start", 1.0))
    day, level = start, 1.0
    horizon = end or (start + datetime.timedelta(days=900))
    while True:
        if edge == "review_pair_exactly_12_months" and len(tops) == 1:
            day = _months(day, 6)
        elif edge == "review_pair_12_months_and_a_day" and len(tops) == 2:
            day = _months(day, 12) + datetime.timedelta(days=1)
        else:
            day = day + datetime.timedelta(days=rng.randrange(120, 240))
        if day > horizon:
            break
        level *= rng.choice([0.0, 0.3, 0.6, 0.9, 1.0])
        tops.append(top(day, "review", level))
    if end and rng.random() < 0.6:
        tops.append(top(end, "exit", level))
    return tops


CSV_COLUMNS = {
    "clients": ["id", "date_of_birth", "sex", "provider", "complexity", "presenting_substances"],
    "episodes": ["client_id", "id", "start", "end", "discharge_reason", "provider", "modality"],
    "top_reviews": ["client_id", "date", "stage"] + [f"days_used.{s}" for s in SUBSTANCES]
                   + ["injecting_days", "quality_of_life", "psychological_health", "physical_health",
                      "acute_housing_problem", "at_risk_of_eviction", "paid_work_days", "education_days"],
    "presentations": ["client_id", "date", "setting"],
    "offences": ["client_id", "date", "offence_type"],
    "hep_b_doses": ["client_id", "date"],
}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def write_csv(clients: int, seed: int, folder, start: datetime.date = START) -> int:
    """The same cohort as ``write``, as a folder of CSV extracts (see ``extracts``)."""
    import csv
    folder.mkdir(parents=True, exist_ok=True)
    handles = {name: open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") for name in CSV_COLUMNS}
    try:
        writers = {name: csv.writer(handle, lineterminator="\n") for name, handle in handles.items()}
        for name, columns in CSV_COLUMNS.items():
            writers[name].writerow(columns)
        count = 0
        for client in generate(clients, seed, start):
            writers["clients"].writerow([_cell(client.get(c)) for c in CSV_COLUMNS["clients"]])
            for name in CSV_COLUMNS:
                if name == "clients":
                    continue
                for record in client[name]:
                    flat = dict(record, client_id=client["id"])
                    for substance, days in record.get("days_used", {}).items():
                        flat[f"days_used.{substance}"] = days
                    writers[name].writerow([_cell(flat.get(c)) for c in CSV_COLUMNS[name]])
            count += 1
        return count
    finally:
        for handle in handles.values():
            handle.close()


def write(clients: int, seed: int, out, start: datetime.date = START, extras=()) -> int:
    count = 0
    for client in generate(clients, seed, start, extras):
        out.write(json.dumps(client) + "\n")
        count += 1
    return count
