"""Pay: what is paid to whom and when, from the results of evaluation.

    lines.py    payment lines, and one client's lines (tariffs, instalments, fees, gates,
                who is paid, splits, the contract's start)
    ledger.py   across clients: volume reductions, caps, floors, spend against budgets

Evaluation hands each client's lines on with its results (``ClientResult.lines``); a
``PaymentRun`` gathers them, settles them in the ledger and keeps what a statement shows.
"""

from __future__ import annotations

import datetime
from json.encoder import encode_basestring as _text  # a str as json.dumps(ensure_ascii=False) writes it
from typing import Optional

import attrs

from .ledger import BudgetSpend, Ledger, PeriodSpan, period_of
from .lines import (ZERO, ClientPayments, ForecastEntry, LineKind, LineStatus, PaymentLine, amounts_by_unit,
                    quarter_of, share_of, to_penny)

SHADOW = "shadow: not for payment"

__all__ = ["PaymentRun", "PaymentLine", "LineStatus", "LineKind", "ForecastEntry", "BudgetSpend", "ClientPayments",
           "Ledger", "PeriodSpan", "period_of", "amounts_by_unit", "quarter_of", "share_of", "to_penny", "SHADOW",
           "ZERO"]


@attrs.frozen
class PaymentRun:
    """A payment run: its lines (settled, in statement order), the forecast, budget spend, and
    the clients set aside for bad data."""

    ruleset: str
    as_of: datetime.date
    settled: tuple                 # every PaymentLine, settled, in statement order
    forecast: tuple                # ForecastEntry, by date
    budgets: tuple                 # BudgetSpend
    rejected: tuple                # evaluate.Rejected
    shadow: bool = False
    from_date: Optional[datetime.date] = None
    to_date: Optional[datetime.date] = None

    def in_range(self, day: Optional[datetime.date]) -> bool:
        if day is None:
            return True
        return (self.from_date is None or day >= self.from_date) and (self.to_date is None or day <= self.to_date)

    @property
    def lines(self) -> tuple:
        """The lines dated within from_date/to_date (all of them without either); caps and
        floors were settled over every line."""
        if self.from_date is None and self.to_date is None:
            return self.settled
        return tuple(line for line in self.settled if self.in_range(line.date))

    def to_json_lines(self):
        for line in self.lines:
            data = line.to_json()
            data["ruleset"] = self.ruleset
            if self.shadow:
                data["shadow"] = SHADOW
            yield data

    def json_lines(self):
        """Each line of ``to_json_lines`` as its JSON text, built directly (the same bytes as
        ``json.dumps(data, ensure_ascii=False)``: tests/test_pay_cli.py)."""
        extra = f', "ruleset": {_text(self.ruleset)}' + (f', "shadow": {_text(SHADOW)}' if self.shadow else "")
        for line in self.lines:
            yield line.json_text(extra)

    def statements(self) -> list:
        """(provider, period, lines) for each provider and quarter, providers in name order."""
        groups: dict = {}
        for line in self.lines:
            groups.setdefault((line.provider, line.period or ""), []).append(line)
        return [(provider, period, lines) for (provider, period), lines in sorted(groups.items())]

    def forecast_by_month(self) -> list:
        """(provider, month "2014-03", amount) for what may fall due after the as-of date."""
        totals: dict = {}
        for entry in self.forecast:
            key = (entry.provider, f"{entry.date.year}-{entry.date.month:02d}")
            totals[key] = totals.get(key, ZERO) + entry.amount
        return [(provider, month, amount) for (provider, month), amount in sorted(totals.items())]
