"""A hand-written, plain-Python implementation of the national outcomes (issue 2, section 3).

It is the yardstick for the compiled rules: `bench/run.py` times both over the same
cohort, and `tests/test_baseline_agrees.py` checks that both give the same status, date and due
date for every client. Written straight from the outcome definitions, not from the ruleset.
"""

from __future__ import annotations

import calendar
import datetime
import json
import sys
from decimal import Decimal

SUCCESS = {"completed_drug_free", "completed_alcohol_free", "completed_occasional_user"}
RELIABLE_CHANGE = {"opiates": 8, "crack": 8, "cocaine": 8, "amphetamines": 8, "cannabis": 10,
                   "alcohol": 10, "other": 8}
QUALITY_OF_LIFE_NORM = 14
MAX_CLOCK_RESETS = 2
ONE_DAY = datetime.timedelta(days=1)
_date = datetime.date.fromisoformat


def add_months(day, months):
    years, index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, index + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def prepare(raw: dict) -> dict:
    """Dates parsed, lists sorted by date (ties keep input order)."""
    episodes = []
    for e in raw.get("episodes") or []:
        episodes.append({"id": e["id"], "start": _date(e["start"]),
                         "end": _date(e["end"]) if e.get("end") else None,
                         "reason": e.get("discharge_reason")})
    episodes.sort(key=lambda e: e["start"])
    tops = []
    for t in raw.get("top_reviews") or []:
        tops.append({"date": _date(t["date"]), "stage": t["stage"], "days_used": t.get("days_used") or {},
                     "injecting_days": t.get("injecting_days"), "quality_of_life": t.get("quality_of_life"),
                     "acute": t.get("acute_housing_problem"), "eviction": t.get("at_risk_of_eviction")})
    tops.sort(key=lambda t: t["date"])
    return {"id": raw["id"], "substances": list(raw.get("presenting_substances") or []),
            "episodes": episodes, "tops": tops,
            "presentations": sorted(_date(p["date"]) for p in raw.get("presentations") or []),
            "offences": sorted(_date(o["date"]) for o in raw.get("offences") or []),
            "doses": sorted(_date(d["date"]) for d in raw.get("hep_b_doses") or [])}


def evaluate(client: dict, as_of: datetime.date) -> list:
    """[(outcome, unit, status, date, due, reasons)] in the ruleset's order."""
    episodes = []
    for e in client["episodes"]:
        if e["start"] > as_of:
            continue
        if e["end"] is not None and e["end"] > as_of:
            e = {"id": e["id"], "start": e["start"], "end": None, "reason": None}
        episodes.append(e)
    tops = [t for t in client["tops"] if t["date"] <= as_of]
    presentations = [d for d in client["presentations"] if d <= as_of]
    offences = [d for d in client["offences"] if d <= as_of]
    doses = [d for d in client["doses"] if d <= as_of]
    substances = client["substances"]
    out = []
    per_episode = {name: [] for name in ("abstinence", "reliable_improvement", "planned_exit",
                                         "sustained_recovery", "ceased_injecting", "housing",
                                         "quality_of_life", "no_offending_6m", "no_offending_12m")}
    for e in episodes:
        start, end = e["start"], e["end"]
        of_e = [t for t in tops if t["date"] >= start and (end is None or t["date"] <= end)]
        reviews = [t for t in of_e if t["stage"] == "review"]
        base = next((t for t in of_e if t["stage"] == "start"), None)
        eid = e["id"]

        def two_reviews(qualifies, name):
            good = [t["date"] for t in reviews if qualifies(t)]
            for j, second in enumerate(good):
                for first in good[:j]:
                    if first < second <= add_months(first, 12):
                        return (name, eid, "achieved", second, None, [f"Second qualifying review {second}."])
            if end is not None:
                return (name, eid, "not_achieved", end, None, [f"Episode {eid} ended {end}."])
            return (name, eid, "pending", None, None, [f"Episode {eid} is open."])

        if not substances:
            per_episode["abstinence"].append(("abstinence", eid, "not_applicable", None, None, ["No substance."]))
        else:
            per_episode["abstinence"].append(two_reviews(
                lambda t: all(t["days_used"].get(s, 0) == 0 for s in substances), "abstinence"))
        if base is None or not substances:
            per_episode["reliable_improvement"].append(
                ("reliable_improvement", eid, "not_applicable", None, None, ["No start TOP."]))
        else:
            base_used = base["days_used"]
            per_episode["reliable_improvement"].append(two_reviews(
                lambda t: all(base_used.get(s, 0) - t["days_used"].get(s, 0) >= RELIABLE_CHANGE[s]
                              for s in substances), "reliable_improvement"))
        successful = end is not None and e["reason"] in SUCCESS
        if successful:
            per_episode["planned_exit"].append(("planned_exit", eid, "achieved", end, None, [f"Ended {end}."]))
        elif end is not None:
            per_episode["planned_exit"].append(("planned_exit", eid, "not_achieved", end, None, [f"Ended {end}."]))
        else:
            per_episode["planned_exit"].append(("planned_exit", eid, "pending", None, None, ["Open."]))
        if end is None:
            result = ("sustained_recovery", eid, "pending", None, None, ["Open."])
        elif not successful:
            result = ("sustained_recovery", eid, "not_achieved", end, None, ["Not a successful completion."])
        else:
            window_end = add_months(end, 12)
            breaks = [d for d in presentations if end < d <= window_end]
            breaks += [x["start"] for x in episodes if end < x["start"] <= window_end]
            if breaks:
                result = ("sustained_recovery", eid, "not_achieved", min(breaks), None, [f"Break {min(breaks)}."])
            elif as_of >= window_end:
                result = ("sustained_recovery", eid, "achieved", window_end, None, ["No break."])
            else:
                result = ("sustained_recovery", eid, "pending", None, window_end, ["No break so far."])
        per_episode["sustained_recovery"].append(result)
        if base is None or not base["injecting_days"]:
            per_episode["ceased_injecting"].append(("ceased_injecting", eid, "not_applicable", None, None, ["-"]))
        else:
            per_episode["ceased_injecting"].append(two_reviews(lambda t: t["injecting_days"] == 0,
                                                               "ceased_injecting"))
        if base is None or not (base["acute"] is True or base["eviction"] is True):
            per_episode["housing"].append(("housing", eid, "not_applicable", None, None, ["-"]))
        else:
            def housed(t):
                return t["acute"] is False and t["eviction"] is False
            pair = two_reviews(housed, "housing")
            exit_day = next((t["date"] for t in of_e if t["stage"] == "exit" and housed(t)), None)
            if exit_day is not None and (pair[2] != "achieved" or exit_day < pair[3]):
                pair = ("housing", eid, "achieved", exit_day, None, [f"Housed at exit {exit_day}."])
            per_episode["housing"].append(pair)
        per_episode["quality_of_life"].append(two_reviews(
            lambda t: t["quality_of_life"] is not None and t["quality_of_life"] >= QUALITY_OF_LIFE_NORM,
            "quality_of_life"))
        for name, months in (("no_offending_6m", 6), ("no_offending_12m", 12)):
            anchor, restarts, result = start, 0, None
            while True:
                period_end = add_months(anchor, months)
                hit = next((d for d in offences if anchor < d <= period_end), None)
                if hit is None:
                    if as_of >= period_end:
                        result = (name, eid, "achieved", period_end, None, ["No offence."])
                    else:
                        result = (name, eid, "pending", None, period_end, ["No offence so far."])
                    break
                if restarts >= MAX_CLOCK_RESETS:
                    result = (name, eid, "not_achieved", hit, None, [f"Offence {hit}."])
                    break
                restarts += 1
                anchor = hit
            per_episode[name].append(result)
    for name in ("abstinence", "reliable_improvement", "planned_exit", "sustained_recovery",
                 "ceased_injecting", "housing", "quality_of_life"):
        out.extend(per_episode[name])
    third = None
    for k, d3 in enumerate(doses):
        for d1 in doses[: k + 1]:
            if d1 <= d3 <= add_months(d1, 12) and sum(1 for d in doses if d1 <= d <= d3) >= 3:
                third = d3
                break
        if third:
            break
    if third is not None:
        out.append(("hep_b_course", client["id"], "achieved", third, None, [f"Third dose {third}."]))
    else:
        out.append(("hep_b_course", client["id"], "pending", None, None, ["Not yet three doses."]))
    out.extend(per_episode["no_offending_6m"])
    out.extend(per_episode["no_offending_12m"])
    return out


def evaluate_line(line: str, as_of: datetime.date) -> list:
    return evaluate(prepare(json.loads(line, parse_float=Decimal)), as_of)


def main(argv: list) -> int:
    """`python bench/baseline.py FILE DATE`: every client's results as JSON Lines on standard
    output, as a hand-written script would write them (what `bench/run.py` times `pbr evaluate`
    against)."""
    path, as_of = argv
    day = datetime.date.fromisoformat(as_of)
    write = sys.stdout.write
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line, parse_float=Decimal)
            rows = evaluate(prepare(raw), day)
            write(json.dumps({"client": raw["id"], "results": [
                {"outcome": outcome, "unit": unit, "status": status, "date": date and date.isoformat(),
                 "due": due and due.isoformat(), "reasons": reasons}
                for outcome, unit, status, date, due, reasons in rows]}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
