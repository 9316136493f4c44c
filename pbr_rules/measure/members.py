"""One client's part in each cohort measure.

A client is a member when one of its records (the cohort's list) is dated in the cohort period;
the earliest such record is the member's and its date the member's start. The member's value is
taken as it stands when its period closes: once that day has passed, the value is worked out
again from the client's records as of that day, so that nothing recorded later changes it. A
yes/no value still unknown when the period closes counts as no.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Callable, Optional, Union

import attrs

Value = Union[bool, int, Decimal, None]


@attrs.frozen(slots=True)
class Member:
    """A client's part in one measure, as of a date."""

    measure: str
    client: str
    unit: Optional[str]          # the id of the record that made the client a member, if it has one
    start: datetime.date         # the member's start: that record's date
    closes: datetime.date        # the day the member's period has all its data
    value: Value                 # as it stands; final once ``closes`` has come
    closed: bool                 # the period has closed by the as-of date


class MemberFinder:
    """Finds a client's memberships with the compiled measure functions (``mc_M``, ``mv_M``)."""

    def __init__(self, measures: dict, functions: dict, view: Callable):
        self.measures = measures      # name -> check.measures.MeasureSpec
        self.functions = functions
        self.view = view              # (client, as_of) -> the client as known on that day

    def members(self, client: dict, view: dict, as_of: datetime.date) -> tuple:
        found = []
        for name, spec in self.measures.items():
            record = self.functions[f"mc_{name}"](view, as_of)
            if record is not None:
                found.append(self.member(spec, client, view, as_of, record))
        return tuple(found)

    def member(self, spec, client: dict, view: dict, as_of: datetime.date, record: dict) -> Member:
        value_of = self.functions[f"mv_{spec.name}"]
        value, window_end = value_of(view, as_of, record)
        closes = spec.closes(window_end)
        closed = closes <= as_of
        if closed and closes < as_of:  # the value as it stood when the period closed
            earlier = self.view(client, closes)
            same = _same_record(earlier[spec.list_field], record, spec.dated_by)
            value, _ = value_of(earlier, closes, same)
        if closed and value is None and spec.yes_no:
            value = False
        return Member(spec.name, view["id"], record.get("id"), record[spec.dated_by], closes, value, closed)


def _same_record(records: list, record: dict, dated_by: str) -> dict:
    """The record in an earlier view of the client: by id where records have one, else by date.
    (It is there: it is dated on or before the day its member's period closes.)"""
    key = record.get("id")
    for candidate in records:
        if candidate[dated_by] == record[dated_by] and candidate.get("id") == key:
            return candidate
    return record
