"""What cohort measures pay: one line per achieved measure that has a tariff, to the provider
its tariff names, on the day the measure was decided.

A flat tariff pays its amount. A tariff `per point beyond target` pays for each whole percentage
point by which the measure beat its target: points of a share are its own percentage points;
points of any other measure are percentages of its baseline (of its target when it has no
baseline). `up to` caps what one measure can earn. A pending measure with a flat tariff is
forecast on the day it is due.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from ..tree import Aggregate, Bound, Status
from ..values import format_money
from .lines import ForecastEntry, LineKind, LineStatus, PaymentLine


def measure_lines(schedule, results) -> tuple:
    """(lines, forecast) for the measure results that have a tariff."""
    lines, forecast = [], []
    for order, result in enumerate(results):
        tariff = schedule.measure_tariffs.get(result.measure)
        if tariff is None:
            continue
        if result.status is Status.ACHIEVED:
            amount, how = _earned(tariff, result)
            reasons = (f"Measure {result.measure} achieved on {result.date}: {how}.", *result.reasons)
            lines.append(PaymentLine(tariff.payee, result.date, None, result.measure, None, None, amount, amount,
                                     LineStatus.PAYABLE, reasons, kind=LineKind.MEASURE, item_order=order))
        elif result.status is Status.PENDING and result.due is not None and not tariff.per_point:
            forecast.append(ForecastEntry(tariff.payee, result.due, "", result.measure, None, None, tariff.amount))
    return lines, forecast


def points_beyond(result) -> int:
    """Whole percentage points by which an achieved measure beat its target."""
    value, target = result.exact_value, Fraction(result.target)
    beyond = value - target if result.bound is Bound.AT_LEAST else target - value
    if result.aggregate is not Aggregate.SHARE:
        reference = Fraction(result.baseline if result.baseline is not None else result.target)
        beyond = beyond * 100 / reference if reference else Fraction(0)
    return max(math.floor(beyond), 0)


def _earned(tariff, result) -> tuple:
    if not tariff.per_point:
        return tariff.amount, f"{format_money(tariff.amount)} for the cohort"
    points = points_beyond(result)
    amount = tariff.amount * points
    of = "" if result.aggregate is Aggregate.SHARE else (" of the baseline" if result.baseline is not None
                                                          else " of the target")
    how = (f"{points} whole percentage point{'s' if points != 1 else ''}{of} beyond the target at "
           f"{format_money(tariff.amount)} each, {format_money(amount)}")
    if tariff.up_to is not None and amount > tariff.up_to:
        amount = tariff.up_to
        how += f", at most {format_money(tariff.up_to)}"
    return Decimal(amount), how
