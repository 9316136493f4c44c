"""What compiled rules call at run time: three-valued quantifiers, windows, value formatting.

Truth values are True, False and None (unknown), combined as in Kleene's logic. A quantifier
over a window is unknown until the window has closed for the data it reads: a window closes when
the as-of date reaches its last day plus the data's lag.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from .values import format_money, format_number, format_percent
from .dates import add_duration, add_months

ONE_DAY = datetime.timedelta(days=1)


class Window:
    """A span of days, both ends included; ``start``/``end`` are None when unknown."""

    __slots__ = ("start", "end", "restarts", "restart_limit")

    def __init__(self, start, end, restarts=(), restart_limit=None):
        self.start = start
        self.end = end
        self.restarts = restarts
        self.restart_limit = restart_limit

    def __repr__(self) -> str:
        return f"Window({self.start}, {self.end})"


def make_window(exclusive: bool, anchor, length, until) -> Window:
    """`after X for N` = X < d <= X + N; `from X for N` = X <= d < X + N;
    `after X until Y` = X < d <= Y; `from X until Y` = X <= d <= Y."""
    if anchor is None:
        return Window(None, None)
    start = anchor + ONE_DAY if exclusive else anchor
    if length is not None:
        end = add_months(anchor, length.months) if length.months else anchor
        if length.days:
            end = end + datetime.timedelta(days=length.days)
        if not exclusive:
            end = end - ONE_DAY
    else:
        end = until
    return Window(start, end)


def restarting_window(exclusive, anchor, length, records, field, accept, max_times, noun):
    """A window that restarts on the day after each qualifying record inside it, at most
    ``max_times`` times. ``records`` are the visible ones, in date order."""
    window = make_window(exclusive, anchor, length, None)
    if window.start is None or max_times is None or not records:
        return window
    restarts = []
    while len(restarts) < max_times:
        hit = None
        for record in records:
            day = record[field]
            if day > window.end:
                break
            if day >= window.start and (accept is None or accept(record) is True):
                hit = record
                break
        if hit is None:
            break
        restarts.append((hit[field], noun))
        window = make_window(True, hit[field], length, None)
    window.restarts = tuple(restarts)
    window.restart_limit = max_times
    return window


def in_window(records, field, window):
    """The records dated inside the window (none while the window is unknown)."""
    start, end = window.start, window.end
    if start is None or end is None:
        return ()
    found = []
    for record in records:
        day = record[field]
        if day > end:
            break
        if day >= start:
            found.append(record)
    return found


def first_within(records, field, window):
    """The earliest record dated inside the window, or None."""
    start, end = window.start, window.end
    if start is None or end is None:
        return None
    for record in records:
        day = record[field]
        if day > end:
            return None
        if day >= start:
            return record
    return None


def any_within(records, field, window, is_closed):
    """Is any record dated inside the window? Unknown while none is and the window is open."""
    if first_within(records, field, window) is not None:
        return True
    return False if is_closed else None


def closed(window, lag, as_of) -> bool:
    """Has every record that could fall in the window reached the data by ``as_of``?"""
    if window.start is None or window.end is None:
        return False
    last = window.end if lag is None else add_duration(window.end, lag)
    return last <= as_of


def some(values):
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def some_within(values, is_closed):
    found = some(values)
    if found is False and not is_closed:
        return None
    return found


def every(values):
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def every_within(values, is_closed):
    result = every(values)
    if result is True and not is_closed:
        return None
    return result


def has_status(result, status):
    """Another outcome's result asked about: unknown while it is pending (or has no unit)."""
    if result is None or result[2] == "pending":
        return None
    return result[2] == status


def result_date(result):
    """The date another outcome was achieved or failed; unknown while it is pending."""
    return None if result is None else result[3]


def field(record, name):
    return None if record is None else record[name]


def earliest_of(*days):
    known = [d for d in days if d is not None]
    return min(known) if known else None


def latest_of(*days):
    known = [d for d in days if d is not None]
    return max(known) if known else None


def value_as_of(dated_values, day):
    """The value of a dated parameter in force on ``day``: the last one starting on or before it."""
    if day is None:
        return None
    current = None
    for start, value in dated_values:
        if start is None or start <= day:
            current = value
        else:
            break
    return current


def divide(a, b):
    if a is None or b is None or b == 0:
        return None
    return Decimal(a) / Decimal(b)


def days_between(later, earlier):
    if later is None or earlier is None:
        return None
    return (later - earlier).days


def add_lengths(a, b, sign=1):
    if a is None or b is None:
        return None
    return a + b if sign > 0 else a - b


def scale_length(length, factor):
    if length is None or factor is None:
        return None
    return length.scaled(factor)


# ---- formatting values in reasons ---------------------------------------------------------------
def show(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Window):
        if value.start is None or value.end is None:
            return "a period not yet known"
        return f"the period {value.start.isoformat()} to {value.end.isoformat()}"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, (frozenset, set)):
        return ", ".join(sorted(value)) or "none"
    if isinstance(value, dict):
        if value.get("id") is not None:
            return str(value["id"])
        dated = value.get("date")
        if isinstance(dated, datetime.date):
            described = ", ".join(f"{k} {show(v)}" for k, v in value.items()
                                  if k != "date" and v is not None and not isinstance(v, dict))
            return f"the record of {dated.isoformat()}" + (f" ({described})" if described else "")
        return ", ".join(f"{k} {show(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        if not value:
            return "none"
        return "; ".join(show(item) for item in value)
    return str(value)


def show_money(value) -> str:
    return "unknown" if value is None else format_money(value)


def show_percent(value) -> str:
    return "unknown" if value is None else format_percent(value)


def decided_later(day) -> str:
    return f"This will be decided on {day.isoformat()}."


def restart_notes(window) -> tuple:
    if not window.restarts:
        return ()
    return tuple(f"The clock restarted on the day after the {noun.replace('_', ' ')} of {day.isoformat()} "
            f"(restart {i} of at most {window.restart_limit})." for i, (day, noun) in enumerate(window.restarts, 1))
