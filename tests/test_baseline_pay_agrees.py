"""The engine's Lincolnshire payment run and the hand-written bench/baseline_pay.py agree.

The baseline is written separately, straight from the schedule's specification, so the two giving
the same multiset of payment lines (every key but the reasons) checks both. Besides the plain
synthetic cohort, variants push the cap (every client high complexity at one provider), hold
lines and leave providers unassigned (complexity and providers removed), and start the cohort
before the contract so that achievements and instalments fall before it."""

from __future__ import annotations

import datetime
import io
import json
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import cohort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import baseline_pay  # noqa: E402

KEYS = ("provider", "period", "date", "client", "item", "unit", "instalment", "due", "paid", "status")
AS_OF = ["2012-12-31", "2013-06-30", "2014-06-30"]
SEEDS = [1, 2]
CLIENTS = 400


@pytest.fixture(scope="module")
def lincolnshire():
    return pbr_rules.load("lincolnshire")


def cohort_text(seed: int, start: datetime.date = cohort.START) -> list[str]:
    out = io.StringIO()
    cohort.write(CLIENTS, seed, out, start)
    return out.getvalue().splitlines()


def plain(raw: dict, number: int) -> dict:
    return raw


def at_the_cap(raw: dict, number: int) -> dict:
    """Every client high complexity at provider P1: quarters go over £20,000."""
    raw["complexity"] = "high"
    raw["provider"] = "P1"
    for episode in raw["episodes"]:
        episode["provider"] = "P1"
    return raw


def held_and_unassigned(raw: dict, number: int) -> dict:
    """Some clients without a complexity (held lines), some episodes and clients without a provider."""
    if number % 5 == 0:
        del raw["complexity"]
    if number % 3 == 0:
        for episode in raw["episodes"]:
            episode.pop("provider", None)
    if number % 7 == 0:
        del raw["provider"]
    return raw


def held_at_the_cap(raw: dict, number: int) -> dict:
    """At the cap, with held lines among the capped ones (held lines do not count)."""
    raw = at_the_cap(raw, number)
    if number % 4 == 0:
        del raw["complexity"]
    return raw


VARIANTS = {"plain": (plain, cohort.START), "cap": (at_the_cap, cohort.START),
            "held": (held_and_unassigned, cohort.START), "held_cap": (held_at_the_cap, cohort.START),
            "before_contract": (plain, datetime.date(2011, 1, 1))}


def clients(texts: list[str], change) -> list[dict]:
    """Fresh dicts each time: neither side can see what the other did to its input."""
    return [change(json.loads(text, parse_float=Decimal), number) for number, text in enumerate(texts, 1)]


def diff(engine: Counter, hand: Counter, limit: int = 15) -> str:
    only_engine = sorted((engine - hand).elements(), key=str)
    only_hand = sorted((hand - engine).elements(), key=str)
    rows = [f"{len(only_engine)} lines only from the engine, {len(only_hand)} only from the baseline",
            "  " + " | ".join(KEYS)]
    rows += ["engine   " + " | ".join(str(v) for v in line) for line in only_engine[:limit]]
    rows += ["baseline " + " | ".join(str(v) for v in line) for line in only_hand[:limit]]
    return "\n".join(rows)


@pytest.mark.parametrize("as_of", AS_OF)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_engine_and_hand_written_payments_agree(lincolnshire, variant, seed, as_of):
    change, start = VARIANTS[variant]
    texts = cohort_text(seed, start)
    run = lincolnshire.pay(clients(texts, change), as_of)
    engine = Counter(tuple(line.to_json()[k] for k in KEYS) for line in run.lines)
    hand = Counter(tuple(line[k] for k in KEYS) for line in baseline_pay.pay(clients(texts, change), as_of))
    assert engine == hand, diff(engine, hand)


def test_the_cap_variant_reaches_the_cap():
    """The cases meant to push the cap do: some lines are capped, some part capped."""
    texts = cohort_text(1)
    statuses = Counter(line["status"] for line in baseline_pay.pay(clients(texts, at_the_cap), "2014-06-30"))
    assert statuses["capped"] > 0 and statuses["part_capped"] > 0, statuses


def test_the_held_variant_holds_and_leaves_unassigned():
    texts = cohort_text(1)
    lines = baseline_pay.pay(clients(texts, held_and_unassigned), "2014-06-30")
    assert any(line["status"] == "held" for line in lines)
    assert any(line["provider"] == "unassigned" for line in lines)


def test_the_baseline_runs_from_the_command_line(tmp_path, capsys):
    data = tmp_path / "cohort.jsonl"
    data.write_text("\n".join(cohort_text(2)[:50]) + "\n")
    assert baseline_pay.main([str(data), "2014-06-30"]) == 0
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert lines and all(tuple(line) == KEYS for line in lines)


# Hand-made cases, with the lines worked out by hand from the schedule: both sides must give them.

def episode_client(cid, start, end, reason="completed_drug_free", complexity=None, provider=None,
                   episode_provider=None, presentations=()):
    episode = {"id": "E1", "start": start, "end": end, "discharge_reason": reason}
    if episode_provider:
        episode["provider"] = episode_provider
    raw = {"id": cid, "episodes": [episode],
           "presentations": [{"date": d, "setting": "treatment"} for d in presentations]}
    if complexity:
        raw["complexity"] = complexity
    if provider:
        raw["provider"] = provider
    return raw


def fee(provider, day, cid):
    return (provider, quarter_of(day), day, cid, "attachment_fee", "E1", None, "120.00", "120.00", "payable")


def outcome(provider, day, cid, item, due, paid=None, status="payable", instalment=None):
    paid = due if paid is None else paid
    return (provider, quarter_of(day), day, cid, item, "E1", instalment, due, paid, status)


def floor(provider, day, amount="1000.00"):
    return (provider, quarter_of(day), day, None, "floor_top_up", None, None, amount, amount, "payable")


def quarter_of(day: str) -> str:
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


SR = "sustained_recovery"
INSTALMENTS = {
    # Discharged 2012-11-30: instalments 2013-02-28, 2013-05-30, 2013-08-30 (clamped month ends).
    # A1: a presentation on the 2nd instalment's date stops it and the 3rd.
    "break_on_instalment_date": (
        [episode_client("A1", "2012-05-01", "2012-11-30", complexity="medium", provider="P2",
                        presentations=["2013-05-30"])],
        [fee("P2", "2012-05-01", "A1"), outcome("P2", "2012-11-30", "A1", "planned_exit", "400.00"),
         outcome("P2", "2013-02-28", "A1", SR, "333.33", instalment="1/4"), floor("P2", "2012-06-30")]),
    # B1: the day after it, the 2nd is paid; the episode's provider wins over the client's.
    "break_day_after_instalment": (
        [episode_client("B1", "2012-05-01", "2012-11-30", complexity="medium", provider="P2",
                        episode_provider="P3", presentations=["2013-05-31"])],
        [fee("P3", "2012-05-01", "B1"), outcome("P3", "2012-11-30", "B1", "planned_exit", "400.00"),
         outcome("P3", "2013-02-28", "B1", SR, "333.33", instalment="1/4"),
         outcome("P3", "2013-05-30", "B1", SR, "333.33", instalment="2/4"), floor("P3", "2012-06-30")]),
    # C1: no complexity, no provider, started before the contract (no fee, no planned exit line):
    # every instalment held, unassigned; no floor without a fee.
    "held_unassigned_before_contract": (
        [episode_client("C1", "2012-01-15", "2012-03-31", reason="completed_alcohol_free")],
        [outcome("unassigned", d, "C1", SR, None, "0.00", "held", f"{n}/4")
         for n, d in enumerate(["2012-06-30", "2012-09-30", "2012-12-31", "2013-03-31"], 1)]),
    # D1: the 1st instalment falls before the contract; the 4th is still the tariff minus three.
    "first_instalment_before_contract": (
        [episode_client("D1", "2011-06-01", "2011-12-31", complexity="low", provider="P4")],
        [outcome("P4", d, "D1", SR, "250.00", instalment=f"{n}/4")
         for n, d in [(2, "2012-06-30"), (3, "2012-09-30"), (4, "2012-12-31")]]),
}


@pytest.mark.parametrize("case", list(INSTALMENTS))
def test_hand_made_instalment_cases(lincolnshire, case):
    raws, expected = INSTALMENTS[case]
    check_hand_made(lincolnshire, raws, "2014-06-30", expected)


@pytest.mark.parametrize("crossing", [False, True])
def test_hand_made_cap(lincolnshire, crossing):
    """36 planned exits at P1 on one day, admitted in client id order: 30 high (600) and 5 medium
    (400) reach £20,000.00 exactly, so the 35th is payable and the 36th capped. With the 35th high
    instead, it crosses the cap (part capped, 400.00 of 600.00). A held line (X000) does not count."""
    day, start = "2013-01-10", "2012-07-02"
    complexities = ["high"] * 30 + ["medium"] * 4 + ["high" if crossing else "medium", "low"]
    raws = [episode_client("X000", start, day, provider="P1")]
    raws += [episode_client(f"X{n:03d}", start, day, complexity=c, provider="P1")
             for n, c in enumerate(complexities, 1)]
    due = {"high": "600.00", "medium": "400.00", "low": "250.00"}
    expected = [fee("P1", start, r["id"]) for r in raws] + [floor("P1", "2012-09-30")]
    expected.append(outcome("P1", day, "X000", "planned_exit", None, "0.00", "held"))
    expected += [outcome("P1", day, f"X{n:03d}", "planned_exit", due[c])
                 for n, c in enumerate(complexities[:34], 1)]
    if crossing:
        expected.append(outcome("P1", day, "X035", "planned_exit", "600.00", "400.00", "part_capped"))
    else:
        expected.append(outcome("P1", day, "X035", "planned_exit", "400.00"))
    expected.append(outcome("P1", day, "X036", "planned_exit", "250.00", "0.00", "capped"))
    # As of the quarter's end: the first instalments (2013-04-10) are not due yet.
    check_hand_made(lincolnshire, raws, "2013-03-31", expected)


def check_hand_made(lincolnshire, raws, as_of, expected):
    expected = Counter(expected)
    hand = Counter(tuple(line[k] for k in KEYS) for line in baseline_pay.pay(json.loads(json.dumps(raws)), as_of))
    engine = Counter(tuple(line.to_json()[k] for k in KEYS)
                     for line in lincolnshire.pay(json.loads(json.dumps(raws)), as_of).lines)
    assert hand == expected, "baseline vs expected:\n" + diff(hand, expected)
    assert engine == expected, "engine vs expected:\n" + diff(engine, expected)
