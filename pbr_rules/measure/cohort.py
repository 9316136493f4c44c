"""A measure over its whole cohort: the aggregate, the comparison with the target, the status.

Values are added up exactly (fractions), compared with the exact target, and only shown rounded
(half up, to 2 decimals), so a mean of 0.4349 is below a target of 0.435 even though both show
as 0.43 and 0.44.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Optional

import attrs

from ..tree import Aggregate, Bound, Status
from ..values import format_number, format_percent
from ..words import article

CENT = Decimal("0.01")


class MeasureTally:
    """The members of one measure, added up as clients come."""

    def __init__(self, spec):
        self.spec = spec
        self.members = 0
        self.closed = 0                # members whose membership and value are final
        self.counted = 0               # members whose value counts (a yes/no always does)
        self.total = Decimal(0)        # exact: values are whole numbers or decimals, never floats
        self.yes = 0
        self.values: list = []         # every counted value, for the median
        self.without_value = 0         # numbers still unknown when the member's period closed
        self.latest_settle: Optional[datetime.date] = None
        self.open_settle: Optional[datetime.date] = None   # the latest day an open member or candidate settles

    def add(self, member) -> None:
        if not member.settled:
            self.open_settle = max(self.open_settle or member.settles, member.settles)
        self.latest_settle = max(self.latest_settle or member.settles, member.settles)
        if not member.is_member:
            return
        self.members += 1
        self.closed += member.settled
        value = member.value
        if value is None and not self.spec.yes_no:
            self.without_value += member.settled
            return
        self.counted += 1
        number = int(value is True) if value is None or isinstance(value, bool) else value
        self.total += number
        self.yes += value is True
        if self.spec.aggregate is Aggregate.MEDIAN:
            self.values.append(Fraction(number))

    def aggregate(self) -> Optional[Fraction]:
        """The exact value of the measure, in its own scale (a share in percent); None without members."""
        counted = self.counted
        if counted == 0:
            return None
        kind = self.spec.aggregate
        total = Fraction(self.total)
        if kind is Aggregate.AVERAGE:
            return total / counted
        if kind is Aggregate.SHARE:
            return Fraction(self.yes * 100, counted)
        if kind is Aggregate.COUNT:
            return Fraction(self.yes)
        if kind is Aggregate.RATE:
            return total * self.spec.measure.per / counted
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2

    def result(self, ruleset: str, as_of: datetime.date) -> "MeasureResult":
        spec = self.spec
        value = self.aggregate()
        status, date, due = self.status(as_of, value)
        return MeasureResult(spec.name, spec.measure.title, ruleset, as_of, status, date, due, self.members,
                             self.closed, self.without_value, self.total, value, spec.baseline, spec.target,
                             spec.aggregate, spec.bound, tuple(self.reasons(status, value, as_of)),
                             spec.measure.per)

    def status(self, as_of: datetime.date, value) -> tuple:
        spec = self.spec
        if as_of < spec.cohort_closes:
            return Status.PENDING, None, spec.latest_close
        if self.open_settle is not None:
            return Status.PENDING, None, self.open_settle
        if self.members == 0 or value is None:
            return Status.NOT_APPLICABLE, None, None
        decided = max(spec.cohort_closes, self.latest_settle)
        met = value <= Fraction(spec.target) if spec.bound is Bound.AT_MOST else value >= Fraction(spec.target)
        return (Status.ACHIEVED if met else Status.NOT_ACHIEVED), decided, None

    def reasons(self, status: Status, value, as_of: datetime.date) -> list:
        spec = self.spec
        cohort = spec.measure.cohort
        who = (f"{self.members} member{'s' if self.members != 1 else ''}: clients with {article(spec.record)} "
               f"{spec.record} whose {spec.dated_by} is from {spec.first} to {spec.last}")
        reasons = [who + ("" if cohort.condition is None else " that meet the cohort's condition") + "."]
        if status is Status.PENDING and as_of < spec.cohort_closes:
            reasons.append(f"The cohort is still open: it takes members until {spec.last}, and a member joining "
                           f"then is followed until {spec.latest_close}.")
        elif status is Status.PENDING:
            still = self.members - self.closed
            if still:
                periods = "1 member's period is" if still == 1 else f"{still} members' periods are"
                reasons.append(f"{periods} still open; the last closes on {self.open_settle}.")
            else:
                reasons.append(f"Clients with {article(spec.record)} {spec.record} in the period may still meet the "
                               f"cohort's condition; the last of them is settled on {self.open_settle}.")
        if value is not None:
            so_far = "so far " if status is Status.PENDING else ""
            unit = "%" if spec.aggregate is Aggregate.SHARE else ""
            reasons.append(f"The {_aggregate_words(spec)} is {so_far}{show(value)}{unit}; the target is "
                           f"{spec.bound} {show_exact(spec.target)}{unit}{_relative_words(spec)}.")
        elif self.members:
            reasons.append("No member has a value yet.")
        if self.without_value:
            reasons.append(f"{self.without_value} member(s) had no value when their period closed and are not "
                           "counted.")
        return reasons


def _aggregate_words(spec) -> str:
    kind = spec.aggregate
    if kind is Aggregate.RATE:
        return f"rate per {spec.measure.per} members"
    return {Aggregate.AVERAGE: "average per member", Aggregate.MEDIAN: "median",
            Aggregate.SHARE: "share of members with a yes", Aggregate.COUNT: "number of members with a yes"}[kind]


def _relative_words(spec) -> str:
    target = spec.measure.target
    if target.relative is None or spec.baseline is None:
        return ""
    if spec.baseline == 0:
        return f" ({target.relative} the baseline 0)"
    percent = format_percent(abs(1 - spec.target / spec.baseline))
    return f" ({percent} {target.relative} the baseline {show_exact(spec.baseline)})"


def show(value: Fraction) -> str:
    """Rounded half up (away from zero) to 2 decimals, from the exact value."""
    hundredths = abs(value) * 100
    whole = int(hundredths + Fraction(1, 2))
    shown = Decimal(whole) * CENT
    return str(-shown if value < 0 else shown)


def show_exact(value: Decimal) -> str:
    """A baseline or target as it is: 0.435, 40, 0.58 (no trailing zeros beyond what is needed)."""
    return format_number(value)


@attrs.frozen(slots=True)
class MeasureResult:
    """A cohort measure as of a date."""

    measure: str
    title: str
    ruleset: str
    as_of: datetime.date
    status: Status
    date: Optional[datetime.date]      # when it was decided
    due: Optional[datetime.date]       # while pending: when it will be decided
    cohort: int                        # members
    closed: int                        # members whose period has closed
    without_value: int
    total: Decimal                     # the sum of the members' values (yes counts 1)
    exact_value: Optional[Fraction]    # the aggregate, exact; ``value`` shows it rounded
    baseline: Optional[Decimal]
    target: Optional[Decimal]
    aggregate: Aggregate
    bound: Bound
    reasons: tuple

    per: Optional[int] = None          # `rate per N members`

    @property
    def value(self) -> Optional[Decimal]:
        if self.exact_value is None:
            return None
        if self.aggregate is Aggregate.COUNT:  # a number of members, whole
            return Decimal(int(self.exact_value))
        return Decimal(show(self.exact_value))

    @property
    def unit(self) -> str:
        """What the value, baseline and target count in."""
        if self.aggregate is Aggregate.RATE:
            return f"per {self.per} members"
        return {Aggregate.SHARE: "percent", Aggregate.COUNT: "members"}.get(self.aggregate, "per member")

    def to_json(self) -> dict:
        return {"measure": self.measure, "ruleset": self.ruleset, "as_of": self.as_of.isoformat(),
                "status": str(self.status), "date": _iso(self.date), "due": _iso(self.due),
                "cohort": self.cohort, "closed": self.closed, "total": str(self.total),
                "value": None if self.value is None else str(self.value),
                "aggregate": str(self.aggregate), "unit": self.unit, "baseline": _text(self.baseline),
                "target": _text(self.target), "bound": str(self.bound),
                "without_value": self.without_value, "reasons": list(self.reasons)}


def _with_unit(value: Optional[Decimal], result: MeasureResult, exact: bool = True) -> str:
    if value is None:
        return ""
    return (show_exact(value) if exact else str(value)) + ("%" if result.aggregate is Aggregate.SHARE else "")


def _iso(day) -> Optional[str]:
    return day.isoformat() if day else None


def _text(value: Optional[Decimal]) -> Optional[str]:
    return None if value is None else show_exact(value)


@attrs.frozen(slots=True)
class MeasureRun:
    """Every measure of a ruleset over the clients evaluated, as of a date."""

    ruleset: str
    as_of: datetime.date
    results: tuple       # MeasureResult, in the ruleset's order
    rejected: tuple      # clients set aside (their records broke the schema)
    set_aside: int = 0   # how many: with those the command line reported itself

    @property
    def clients_set_aside(self) -> int:
        return max(self.set_aside, len(self.rejected))

    def to_json_lines(self) -> Iterable[str]:
        for result in self.results:
            data = result.to_json()
            data["set_aside"] = self.clients_set_aside
            yield json.dumps(data, ensure_ascii=False)

    def result(self, measure: str) -> Optional[MeasureResult]:
        return next((r for r in self.results if r.measure == measure), None)

    def only(self, measures) -> "MeasureRun":
        """The run with the named measures only (``--measure``)."""
        return attrs.evolve(self, results=tuple(r for r in self.results if r.measure in measures))

    def reasons_text(self) -> str:
        aside = self.clients_set_aside
        note = (f"\n{aside} client{'s were' if aside != 1 else ' was'} set aside for data that does not fit the "
                "schema: not in any cohort above.\n" if aside else "")
        return note + "".join(f"\n{r.measure}: {r.title}\n" + "".join(f"  {reason}\n" for reason in r.reasons)
                              for r in self.results)

    def table(self) -> str:
        header = ["measure", "status", "date", "due", "cohort", "closed", "total", "value", "baseline", "target"]
        rows = [header] + [[r.measure, str(r.status), _iso(r.date) or "", _iso(r.due) or "", str(r.cohort),
                            str(r.closed), str(r.total), _with_unit(r.value, r, exact=False), _with_unit(r.baseline, r),
                            f"{r.bound} {_with_unit(r.target, r)}"] for r in self.results]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        return "".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n" for row in rows)
