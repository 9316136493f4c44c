"""One client's part in each cohort measure.

A client with a record of the cohort's list dated in the cohort period is a *candidate*. It is a
member when one of those records meets the cohort's condition; the earliest that does is the
member's, and its date the member's start. The member's value is taken as it stands when its
period closes (the window's last day plus the lag of the data it reads): once that day has
passed, the value is worked out again from the client's records as of that day, so nothing
recorded later changes it. A yes/no value still unknown then counts as no.

A condition can read records dated after the candidate's own (a start TOP recorded later), so a
candidate's membership is settled, like a value, as it stands when the period of its last record
in the cohort period would close; until then the measure waits for it. Without a condition the
earliest record in the period is the member's, known as soon as it is in the data.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Callable, Optional, Union

import attrs

Value = Union[bool, int, Decimal, None]


@attrs.frozen(slots=True)
class Member:
    """A client's part in one measure, as of a date: a member, or a candidate that is not one."""

    measure: str
    client: str
    is_member: bool
    unit: Optional[str]          # the id of the record that made the client a member, if it has one
    start: Optional[datetime.date]   # the member's start: that record's date
    closes: Optional[datetime.date]  # the day the member's period has all its data
    settles: datetime.date       # the day membership and value are final: nothing later changes them
    value: Value                 # as it stands; final once ``settles`` has come
    settled: bool                # ``settles`` has come by the as-of date


class MemberFinder:
    """Finds a client's memberships with the compiled measure functions (``mc_M``, ``mv_M``)."""

    def __init__(self, measures: dict, functions: dict, view: Callable):
        self.measures = measures      # name -> check.measures.MeasureSpec
        self.functions = functions
        self.view = view              # (client, as_of) -> the client as known on that day

    def members(self, client: dict, view: dict, as_of: datetime.date) -> tuple:
        views = _Views(self.view, client, view, as_of)
        found = []
        for spec in self.measures.values():
            member = self.member(spec, views, as_of)
            if member is not None:
                found.append(member)
        return tuple(found)

    def member(self, spec, views: "_Views", as_of: datetime.date) -> Optional[Member]:
        in_period = _in_period(views.current[spec.list_field], spec)
        if not in_period:
            return None
        # the day membership is settled: the close of the period of the last record that could make it
        deciding = in_period[-1] if spec.has_condition else in_period[0]
        settles = spec.close_of(deciding[spec.dated_by])
        day = min(as_of, settles)
        record = self.functions[f"mc_{spec.name}"](views.on(day), day)
        client_id = views.current["id"]
        if record is None:
            return Member(spec.name, client_id, False, None, None, None, settles, None, settles <= as_of)
        start = record[spec.dated_by]
        closes = spec.close_of(start)
        settles = max(settles, closes)
        value_day = min(as_of, closes)
        if value_day < day:  # the value as it stood when the member's period closed
            record = _same_record(views.on(day)[spec.list_field], record, views.on(value_day)[spec.list_field])
        value, _ = self.functions[f"mv_{spec.name}"](views.on(value_day), value_day, record)
        if closes <= as_of and value is None and spec.yes_no:
            value = False
        return Member(spec.name, client_id, True, record.get("id"), start, closes, settles, value, settles <= as_of)


class _Views:
    """The client as known on each day asked for, each made once (measures often share a day)."""

    def __init__(self, make: Callable, client: dict, current: dict, as_of: datetime.date):
        self.make = make
        self.client = client
        self.current = current
        self.made = {as_of: current}

    def on(self, day: datetime.date) -> dict:
        view = self.made.get(day)
        if view is None:
            view = self.made[day] = self.make(self.client, day)
        return view


def _in_period(records: list, spec) -> list:
    found = []
    for record in records:  # in date order
        day = record[spec.dated_by]
        if day > spec.last:
            break
        if day >= spec.first:
            found.append(record)
    return found


def _same_record(later: list, record: dict, earlier: list) -> dict:
    """The record in an earlier view of the client. A view's list is the records known by its
    day, in date order, so an earlier view's list is the start of a later one's: the record is at
    the same place (found by place, not by id: records need not have one)."""
    for place, candidate in enumerate(later):
        if candidate is record:
            return earlier[place] if place < len(earlier) else record
    return record
