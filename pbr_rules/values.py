"""The language's values that are not plain Python ones: lengths of time, money, percentages.

Each knows how it is written in a ruleset and how it is shown to people, in one place: the
checker's messages, the evaluator's reasons and the generated documentation all format a value
here. At run time money and percentages travel as plain ``Decimal`` (pounds, and fractions:
0.2 for 20%) and are shown with ``format_money`` and ``format_percent``.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

DURATION_UNITS = {"day": (0, 1), "week": (0, 7), "month": (1, 0), "year": (12, 0)}


@attrs.frozen(slots=True)
class Duration:
    """A calendar length: months (years are 12 months) and days (weeks are 7 days)."""

    months: int = 0
    days: int = 0
    text: str = attrs.field(default="", eq=False)  # as written (`1 year`); not part of the value

    @classmethod
    def written(cls, count: int, unit: str) -> "Duration":
        """``3 weeks``, ``1 year``: the length, remembering how it was written."""
        months, days = DURATION_UNITS[unit.rstrip("s")]
        return cls(months * count, days * count, text=f"{count} {unit}")

    def __str__(self) -> str:
        if self.text:
            return self.text
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        if self.days or not parts:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts)

    def __add__(self, other: "Duration") -> "Duration":
        return Duration(self.months + other.months, self.days + other.days)

    def __sub__(self, other: "Duration") -> "Duration":
        return Duration(self.months - other.months, self.days - other.days)

    def __neg__(self) -> "Duration":
        return Duration(-self.months, -self.days)

    def scaled(self, factor) -> "Duration":
        return Duration(int(self.months * factor), int(self.days * factor))


@attrs.frozen(slots=True)
class Money:
    """An amount in pounds, exact to the penny."""

    amount: Decimal

    def __str__(self) -> str:
        return format_money(self.amount)


@attrs.frozen(slots=True)
class Percent:
    """A share; ``fraction`` is 0.2 for 20%."""

    fraction: Decimal

    def __str__(self) -> str:
        return format_percent(self.fraction)


def format_money(amount: Decimal) -> str:
    """£1,200.00: how an amount is shown to people."""
    return f"£{amount:,.2f}"


def format_amount(amount: Decimal) -> str:
    """1200.00: how an amount is written in machine-readable output (JSON, CSV)."""
    return f"{amount:.2f}"


def format_percent(fraction: Decimal) -> str:
    """20%: a fraction shown as a percentage, without trailing zeros."""
    return f"{format((fraction * 100).normalize(), 'f')}%"


def format_number(value) -> str:
    """A number as people write it: 2.5, 14, never 1.40E+1."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def runtime_value(value):
    """A value as compiled rules use it: money in pounds and percentages as fractions, both
    ``Decimal``; tables element by element; everything else as it is."""
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Percent):
        return value.fraction
    if isinstance(value, dict):
        return {key: runtime_value(item) for key, item in value.items()}
    return value
