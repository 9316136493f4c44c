"""What depends on more than one client: volume reductions, caps and floors, per provider per
period, and spend against budgets.

The ledger takes every client's lines and settles them in a fixed order: reductions first (a
reduced line is worth less), then each cap in the ruleset's order, then floors on what the caps
left (shortest period first, each counting what the ones before left). Caps admit lines in a stated total order (date, client id as text, outcome in the
ruleset's order, unit in input order, instalment, unless the cap states another), so the line
that crosses a cap is always the same one, whatever order the clients came in.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Optional

import attrs

from ..check.payments import PaymentSchedule
from ..tree import CapOrderKey, Period
from ..values import format_money, format_percent
from .lines import ZERO, LineKind, LineStatus, PaymentLine, quarter_of, to_penny

DEFAULT_ORDER = tuple(CapOrderKey)
# caps settle from the shortest period to the longest, so that a longer cap counts what the
# shorter ones left to be paid (a yearly cap never counts money a monthly cap refused)
PERIOD_LENGTH = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12, Period.CONTRACT_YEAR: 12}
FINANCIAL_YEAR_START = (4, 1)  # a contract year without a contract start runs from 1 April


@attrs.frozen(slots=True)
class PeriodSpan:
    label: str
    first: datetime.date
    last: datetime.date


def period_of(period: Period, day: datetime.date, contract_start: Optional[datetime.date]) -> PeriodSpan:
    if period is Period.MONTH:
        first = day.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        return PeriodSpan(f"{day.year}-{day.month:02d}", first, following - datetime.timedelta(days=1))
    if period is Period.QUARTER:
        quarter = (day.month - 1) // 3
        first = datetime.date(day.year, quarter * 3 + 1, 1)
        following = datetime.date(day.year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1)
        return PeriodSpan(quarter_of(day), first, following - datetime.timedelta(days=1))
    if period is Period.YEAR:
        return PeriodSpan(str(day.year), datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))
    month, start_day = (contract_start.month, min(contract_start.day, 28)) if contract_start else FINANCIAL_YEAR_START
    year = day.year if (day.month, day.day) >= (month, start_day) else day.year - 1
    first = datetime.date(year, month, start_day)
    last = datetime.date(year + 1, month, start_day) - datetime.timedelta(days=1)
    return PeriodSpan(f"{year}/{(year + 1) % 100:02d}", first, last)


def order_key(keys: tuple):
    getters = {CapOrderKey.DATE: lambda line: line.date, CapOrderKey.CLIENT: lambda line: line.client or "",
               CapOrderKey.OUTCOME: lambda line: line.item_order, CapOrderKey.UNIT: lambda line: line.unit_order,
               CapOrderKey.INSTALMENT: lambda line: line.part}
    chosen = [getters[key] for key in keys or DEFAULT_ORDER]
    return lambda line: tuple(get(line) for get in chosen)


def output_key(line: PaymentLine):
    return (line.date or datetime.date.max, line.provider, line.kind, line.client or "", line.item_order,
            line.unit_order, line.part)


@attrs.frozen(slots=True)
class BudgetSpend:
    """Spend against one budget (``outcome`` None) or one outcome's share of it, in a contract year."""

    budget: str
    domain: str
    contract_year: str
    outcome: Optional[str]
    allocated: Decimal
    spent: Decimal


class Ledger:
    def __init__(self, schedule: PaymentSchedule, as_of: datetime.date, domains: dict):
        self.schedule = schedule
        self.as_of = as_of
        self.domains = domains  # outcome -> its domain
        self.lines: list = []

    def add(self, lines) -> None:
        self.lines.extend(lines)

    def settle(self) -> list:
        """Every line after reductions, caps and floors, in the order of the statement."""
        lines = self.lines
        for reduction in self.schedule.reductions.values():
            lines = self.reduce(lines, reduction)
        for cap in sorted(self.schedule.caps.values(), key=lambda cap: PERIOD_LENGTH[cap.period]):
            lines = self.cap(lines, cap)
        for floor in self.schedule.floors.values():
            lines = lines + self.floor(lines, floor)
        return sorted(lines, key=output_key)

    def grouped(self, lines: list, period: Period, keys: tuple) -> dict:
        """The outcome lines being paid, by provider and period, in the order given."""
        groups: dict = {}
        for index, line in enumerate(lines):
            if line.kind is LineKind.OUTCOME and line.paid > 0:
                label = period_of(period, line.date, self.schedule.contract_start).label
                groups.setdefault((line.provider, label), []).append(index)
        key = order_key(keys)
        return {group: sorted(indexes, key=lambda i: key(lines[i])) for group, indexes in groups.items()}

    def reduce(self, lines: list, reduction) -> list:
        lines = list(lines)
        for (provider, label), indexes in self.grouped(lines, reduction.period, DEFAULT_ORDER).items():
            clients: dict = {}
            for index in indexes:
                line = lines[index]
                clients.setdefault(line.client, len(clients) + 1)
                if clients[line.client] > reduction.clients:
                    paid = to_penny(line.paid * reduction.rate)
                    lines[index] = line.evolve(paid=paid, status=LineStatus.REDUCED, reasons=line.reasons + (
                        f"Reduced to {format_percent(reduction.rate)} ({format_money(paid)}): {provider} has been "
                        f"paid for more than {reduction.clients} clients in {label} ({reduction.name}).",))
        return lines

    def cap(self, lines: list, cap) -> list:
        lines = list(lines)
        for (provider, label), indexes in self.grouped(lines, cap.period, cap.order).items():
            total = ZERO
            for index in indexes:
                line = lines[index]
                if total + line.paid <= cap.amount:
                    total += line.paid
                    continue
                room = cap.amount - total
                total = cap.amount
                words = f"cap {cap.name} of {format_money(cap.amount)} per provider per {cap.period} ({label})"
                if room > 0:
                    lines[index] = line.evolve(paid=room, status=LineStatus.PART_CAPPED, reasons=line.reasons + (
                        f"Paid {format_money(room)} of {format_money(line.paid)}: this line reaches the {words}.",))
                else:
                    lines[index] = line.evolve(paid=ZERO, status=LineStatus.CAPPED, reasons=line.reasons + (
                        f"Not paid: {provider} has reached the {words}.",))
        return lines

    def floor(self, lines: list, floor) -> list:
        """Top-up lines for providers below the floor in periods that have ended."""
        active: dict = {}
        earned: dict = {}
        for line in lines:
            span = period_of(floor.period, line.date, self.schedule.contract_start) if line.date else None
            if span is None:
                continue
            # the work a floor guarantees a minimum for: a client's outcome or fee paid in the period (a held
            # line is not paid yet; a measure's or a family's line pays the cohort, not a client's care)
            paying = line.status is not LineStatus.HELD and line.kind in (LineKind.OUTCOME, LineKind.FEE)
            if paying and (floor.with_fee is None or (line.kind is LineKind.FEE and line.item == floor.with_fee)):
                active[(line.provider, span.label)] = span
            if line.kind is LineKind.OUTCOME:
                earned[(line.provider, span.label)] = earned.get((line.provider, span.label), ZERO) + line.paid
        top_ups = []
        for (provider, label), span in sorted(active.items()):
            if span.last > self.as_of:
                continue  # the period has not ended: its outcome payments may still grow
            paid = earned.get((provider, label), ZERO)
            if paid < floor.amount:
                difference = floor.amount - paid
                why = f" with {floor.with_fee} in it" if floor.with_fee else ""
                top_ups.append(PaymentLine(
                    provider, span.last, None, "floor_top_up", None, None, difference, difference, LineStatus.PAYABLE,
                    (f"Floor {floor.name}: {provider} was paid {format_money(paid)} for outcomes in {label}, below "
                     f"the floor of {format_money(floor.amount)} per provider per {floor.period}{why}; topped up by "
                     f"{format_money(difference)}.",), LineKind.FLOOR))
        return top_ups

    def spend(self, lines: list) -> list:
        """Spend against each budget and each outcome's share of it, by contract year."""
        out = []
        for budget in self.schedule.budgets.values():
            spent: dict = {}
            for line in lines:
                if line.kind is LineKind.OUTCOME and self.domains.get(line.item) == budget.domain and line.date:
                    year = period_of(Period.CONTRACT_YEAR, line.date, self.schedule.contract_start).label
                    spent[(year, None)] = spent.get((year, None), ZERO) + line.paid
                    spent[(year, line.item)] = spent.get((year, line.item), ZERO) + line.paid
            this_year = period_of(Period.CONTRACT_YEAR, self.as_of, self.schedule.contract_start).label
            years = sorted({year for year, _ in spent} | {this_year})
            for year in years:
                out.append(BudgetSpend(budget.name, budget.domain, year, None, budget.amount,
                                       spent.get((year, None), ZERO)))
                for share in budget.shares:
                    out.append(BudgetSpend(budget.name, budget.domain, year, share.outcome,
                                           to_penny(budget.amount * share.share),
                                           spent.get((year, share.outcome), ZERO)))
        return out
