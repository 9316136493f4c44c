"""What evaluation gives: one result row per outcome and unit, per client, and their JSON form.

The JSON is the contract other systems read (docs/data.md): one object per client with
``client``, ``ruleset``, ``as_of`` and ``results``, each result with ``outcome``, ``unit``,
``status``, ``date``, ``due``, ``amount`` and ``reasons``, in that order.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from json.encoder import encode_basestring as _text  # a str as json.dumps(ensure_ascii=False) writes it
from typing import NamedTuple, Optional

import attrs

from .tree import Status
from .values import format_amount


def _quoted_date(day: datetime.date) -> str:
    return f'"{day.isoformat()}"'


class OutcomeResult(NamedTuple):
    """The result of one outcome for one unit (an episode, or the client), as of a date.

    A named, frozen row: compiled rules build one per unit, so it is a tuple underneath."""

    outcome: str
    unit: str
    status: Status
    date: Optional[datetime.date]   # when it was achieved or failed
    due: Optional[datetime.date]    # while pending: when it will be decided if nothing happens
    amount: Optional[Decimal]       # what is payable; None where nothing is
    reasons: tuple

    def json_text(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)``, byte for byte, built directly: the
        output of a run is mostly these (tests/test_results_json.py holds the two equal)."""
        date, due, amount = self.date, self.due, self.amount
        return (f'{{"outcome": {_text(self.outcome)}, "unit": {_text(self.unit)}, "status": "{self.status}", '
                f'"date": {"null" if date is None else _quoted_date(date)}, '
                f'"due": {"null" if due is None else _quoted_date(due)}, '
                f'"amount": {"null" if amount is None else _text(format_amount(amount))}, '
                f'"reasons": [{", ".join(map(_text, self.reasons))}]}}')

    def to_json(self) -> dict:
        return {"outcome": self.outcome, "unit": self.unit, "status": str(self.status),
                "date": self.date.isoformat() if self.date else None,
                "due": self.due.isoformat() if self.due else None,
                "amount": None if self.amount is None else format_amount(self.amount),
                "reasons": list(self.reasons)}


@attrs.frozen(slots=True)
class ClientResult:
    """One client's results, in the ruleset's order of outcomes, units in data order."""

    client: str
    ruleset: str
    as_of: datetime.date
    rows: tuple  # of OutcomeResult
    # the client's payment lines up to the as-of date, and what may fall due later (``pay``)
    lines: tuple = attrs.field(default=(), eq=False, repr=False)
    forecast: tuple = attrs.field(default=(), eq=False, repr=False)
    # the client's part in each cohort measure it is a member of (``measure.Member``)
    members: tuple = attrs.field(default=(), eq=False, repr=False)
    families: tuple = attrs.field(default=(), eq=False, repr=False)  # its part in family tariffs

    @property
    def results(self) -> tuple:
        return self.rows

    def to_json(self) -> dict:
        return {"client": self.client, "ruleset": self.ruleset, "as_of": self.as_of.isoformat(),
                "results": [row.to_json() for row in self.rows]}

    def to_json_line(self) -> str:
        """``json.dumps(self.to_json(), ensure_ascii=False)``, built directly (``json_text``)."""
        return (f'{{"client": {_text(self.client)}, "ruleset": {_text(self.ruleset)}, '
                f'"as_of": {_quoted_date(self.as_of)}, '
                f'"results": [{", ".join([row.json_text() for row in self.rows])}]}}')

    def only(self, outcomes) -> "ClientResult":
        """The same client with the rows of the named outcomes only (``--outcome``)."""
        return attrs.evolve(self, rows=tuple(row for row in self.rows if row.outcome in outcomes))

    def result(self, outcome: str, unit: str | None = None) -> OutcomeResult | None:
        for row in self.rows:
            if row.outcome == outcome and (unit is None or row.unit == unit):
                return row
        return None


@attrs.frozen(slots=True)
class Rejected:
    """A client set aside: its line in the input and every problem found in it."""

    line_number: int | None
    client: str | None
    errors: tuple


class TraceKind(enum.StrEnum):
    OUTCOME = "outcome"  # the outcome whose steps follow
    UNIT = "unit"        # the unit whose steps follow
    READS = "reads"      # the record fields the outcome's lines read: ((record, (field, ...)), ...)
    LET = "let"
    WINDOW = "window"
    RULE = "rule"


@attrs.frozen(slots=True)
class TraceStep:
    """One step of the traced evaluation of a client (`pbr explain`)."""

    line: int      # the ruleset line
    kind: TraceKind
    name: str      # the outcome, the unit's id, the name bound, or the rule's kind
    value: object  # the value bound, or the rule's condition (True/False/None)
