"""A hand-written, plain-Python implementation of the Lincolnshire payment schedule.

    python bench/baseline_pay.py DATA.jsonl AS_OF > lines.jsonl

Written straight from the schedule's specification, not from the ruleset or the engine's pay
stage, so that it can serve as the plain-Python baseline of a benchmark and as an oracle in
`tests/test_baseline_pay_agrees.py`. Outcome statuses come from the hand-written national
outcomes in `baseline.py` (this folder).

The schedule, in short: an attachment fee of £120.00 per episode started on or after the
contract start; tariffs by the client's complexity for five outcomes, paid on the achievement
date, sustained recovery in four instalments (3, 6 and 9 months after discharge and the rest on
achievement, each stopped by a break); lines held when the complexity is missing; a cap of
£20,000.00 of outcome payments per provider per calendar quarter; and a floor topping a
provider's outcome payments up to £1,000.00 in each ended quarter in which it had a fee.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline  # noqa: E402  (this folder)

CONTRACT_START = datetime.date(2012, 4, 1)
PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
ATTACHMENT_FEE = Decimal("120.00")
CAP = Decimal("20000.00")
FLOOR = Decimal("1000.00")

OUTCOMES = ["abstinence", "reliable_improvement", "planned_exit", "sustained_recovery",
            "ceased_injecting", "housing", "quality_of_life", "hep_b_course",
            "no_offending_6m", "no_offending_12m"]
OUTCOME_ORDER = {name: index for index, name in enumerate(OUTCOMES)}

# Tariff by complexity (low, medium, high); outcomes not listed are unpaid.
TARIFFS = {
    "abstinence": {"low": "200", "medium": "300", "high": "450"},
    "planned_exit": {"low": "250", "medium": "400", "high": "600"},
    "sustained_recovery": {"low": "1000.00", "medium": "1333.33", "high": "2400.00"},
    "ceased_injecting": {"low": "150", "medium": "200", "high": "300"},
    "housing": {"low": "100", "medium": "150", "high": "200"},
}
TARIFFS = {o: {c: Decimal(v) for c, v in by.items()} for o, by in TARIFFS.items()}
INSTALMENT_MONTHS = (3, 6, 9)  # after the episode's end; the 4th part falls on achievement


def money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount.quantize(PENNY, rounding=ROUND_HALF_UP))


def quarter(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_end(year: int, q: int) -> datetime.date:
    return baseline.add_months(datetime.date(year, 3 * q - 2, 1), 3) - baseline.ONE_DAY


def period(day: datetime.date) -> str:
    year, q = quarter(day)
    return f"{year}-Q{q}"


class Line:
    """One payment line while settling; `key` is the order in which the cap admits lines."""

    __slots__ = ("provider", "date", "client", "item", "unit", "instalment", "due", "paid", "status",
                 "key")

    def __init__(self, provider, date, client, item, unit, instalment, due, paid, status, key=None):
        self.provider, self.date, self.client, self.item = provider, date, client, item
        self.unit, self.instalment, self.due, self.paid, self.status = unit, instalment, due, paid, status
        self.key = key

    def to_json(self) -> dict:
        return {"provider": self.provider, "period": period(self.date), "date": self.date.isoformat(),
                "client": self.client, "item": self.item, "unit": self.unit,
                "instalment": self.instalment, "due": money(self.due), "paid": money(self.paid),
                "status": self.status}


def client_lines(raw: dict, as_of: datetime.date) -> tuple[list, list]:
    """One client's (attachment fee lines, outcome lines), before the cap.

    Outcome lines have status None (to be settled by the cap) or "held"."""
    client = baseline.prepare(raw)
    cid = str(client["id"])
    # baseline.prepare sorts episodes by start (stable); sort the raw ones the same way to get
    # each episode's provider and its place in the client's episode order.
    raw_episodes = sorted(raw.get("episodes") or [], key=lambda e: e["start"])
    default_provider = raw.get("provider") or "unassigned"
    provider = {e["id"]: e.get("provider") or default_provider for e in raw_episodes}
    place = {e["id"]: i for i, e in enumerate(raw_episodes)}
    complexity = raw.get("complexity")

    fees = []
    for e in client["episodes"]:
        if CONTRACT_START <= e["start"] <= as_of:
            fees.append(Line(provider[e["id"]], e["start"], cid, "attachment_fee", e["id"], None,
                             ATTACHMENT_FEE, ATTACHMENT_FEE, "payable"))

    ends = {e["id"]: e["end"] for e in client["episodes"]}
    earlier = {}  # as-of date -> {(outcome, unit): status}, evaluated when an instalment needs it

    def status_on(day, outcome, unit):
        if day not in earlier:
            earlier[day] = {(r[0], r[1]): r[2] for r in baseline.evaluate(client, day)}
        return earlier[day].get((outcome, unit))

    outcomes = []
    for name, unit, status, date, _due, _reasons in baseline.evaluate(client, as_of):
        if name not in TARIFFS:
            continue
        tariff = TARIFFS[name].get(complexity) if complexity is not None else None
        # (date, instalment number or None, amount)
        parts = []
        if name == "sustained_recovery":
            end = ends[unit]
            # An end after as-of is unknown as of as-of: no instalments yet.
            if end is not None and end <= as_of:
                share = None if tariff is None else (tariff / 4).quantize(PENNY, rounding=ROUND_HALF_UP)
                for n, months in enumerate(INSTALMENT_MONTHS, start=1):
                    day = baseline.add_months(end, months)
                    # A break on the instalment date itself stops it, hence the evaluation as of it.
                    if day <= as_of and status_on(day, name, unit) != "not_achieved":
                        parts.append((day, n, share))
                if status == "achieved":
                    parts.append((date, 4, None if tariff is None else tariff - 3 * share))
        elif status == "achieved":
            parts.append((date, None, tariff))
        for day, n, amount in parts:
            if day < CONTRACT_START or day > as_of:
                continue
            label = None if n is None else f"{n}/4"
            key = (day, cid, OUTCOME_ORDER[name], place[unit], n or 0)
            if tariff is None:
                outcomes.append(Line(provider[unit], day, cid, name, unit, label, None, ZERO, "held", key))
            else:
                outcomes.append(Line(provider[unit], day, cid, name, unit, label, amount, None, None, key))
    return fees, outcomes


def settle(fees: list, outcomes: list, as_of: datetime.date) -> list:
    """Apply the cap to the outcome lines and add the floor top-ups; every line, settled."""
    total = defaultdict(Decimal)  # (provider, quarter) -> outcome payments admitted so far
    for line in sorted((x for x in outcomes if x.status is None), key=lambda x: x.key):
        where = (line.provider, quarter(line.date))
        left = CAP - total[where]
        if left <= 0:
            line.status, line.paid = "capped", ZERO
        elif line.due <= left:
            line.status, line.paid = "payable", line.due
        else:
            line.status, line.paid = "part_capped", left
        total[where] += line.paid

    # Floor: quarters with a fee, ended by as-of, whose outcome payments fall short of the floor.
    paid = defaultdict(Decimal)
    for line in outcomes:
        paid[(line.provider, quarter(line.date))] += line.paid
    floors = []
    for provider, (year, q) in sorted({(f.provider, quarter(f.date)) for f in fees}):
        last_day = quarter_end(year, q)
        short = FLOOR - paid[(provider, (year, q))]
        if last_day <= as_of and short > 0:
            floors.append(Line(provider, last_day, None, "floor_top_up", None, None, short, short, "payable"))
    return fees + outcomes + floors


def pay(raw_clients, as_of) -> list[dict]:
    """Every payment line of the clients (dicts in the national input format) as of a date."""
    if isinstance(as_of, str):
        as_of = datetime.date.fromisoformat(as_of)
    fees, outcomes = [], []
    for raw in raw_clients:
        f, o = client_lines(raw, as_of)
        fees.extend(f)
        outcomes.extend(o)
    return [line.to_json() for line in settle(fees, outcomes, as_of)]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python bench/baseline_pay.py DATA.jsonl AS_OF > lines.jsonl", file=sys.stderr)
        return 2
    path, as_of = argv
    with open(path, encoding="utf-8") as handle:
        clients = [json.loads(text, parse_float=Decimal) for text in handle if text.strip()]
    out = sys.stdout
    for line in pay(clients, datetime.date.fromisoformat(as_of)):
        out.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
