"""A hand-written plain-Python baseline: Bracknell's offending_reduction measure from JSON Lines.

    python bench/baseline_measure.py FILE AS_OF

Written from the measure's stated meaning, not from the engine: members are clients with an
episode starting from 2012-04-01 to 2013-03-31 (the earliest is theirs); each member's offences
dated after its start and up to the same day 12 months later are counted; the measure is pending
until 2013-03-31 and every member's 12 months have passed, then achieved when the mean is at most
0.58 x 0.75. Prints one JSON object like `pbr measures`' (measure, status, date, due, cohort,
total, value).
"""

from __future__ import annotations

import calendar
import datetime
import json
import sys
from decimal import Decimal
from fractions import Fraction

FIRST, LAST = datetime.date(2012, 4, 1), datetime.date(2013, 3, 31)
TARGET = Fraction(58, 100) * Fraction(3, 4)


def plus_12_months(day: datetime.date) -> datetime.date:
    year = day.year + 1
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def main(path: str, as_of_text: str) -> int:
    as_of = datetime.date.fromisoformat(as_of_text)
    members = total = 0
    open_until, latest = None, None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            client = json.loads(line)
            starts = [datetime.date.fromisoformat(e["start"]) for e in client.get("episodes", [])]
            starts = sorted(s for s in starts if FIRST <= s <= LAST and s <= as_of)
            if not starts:
                continue
            start = starts[0]
            end = plus_12_months(start)
            members += 1
            for offence in client.get("offences", []):
                day = datetime.date.fromisoformat(offence["date"])
                if start < day <= end and day <= min(end, as_of):
                    total += 1
            latest = max(latest or end, end)
            if end > as_of:
                open_until = max(open_until or end, end)
    value = Fraction(total, members) if members else None
    if as_of < LAST:
        status, date, due = "pending", None, plus_12_months(LAST)
    elif not members:
        status, date, due = "not_applicable", None, None
    elif open_until:
        status, date, due = "pending", None, open_until
    else:
        status, date, due = ("achieved" if value <= TARGET else "not_achieved"), max(LAST, latest), None
    shown = None if value is None else str((Decimal(int(value * 100 + Fraction(1, 2))) / 100).quantize(Decimal("0.01")))
    print(json.dumps({"measure": "offending_reduction", "status": status, "date": date and date.isoformat(),
                      "due": due and due.isoformat(), "cohort": members, "total": str(total), "value": shown}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
