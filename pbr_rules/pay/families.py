"""What family tariffs pay: once for a family, when every treated member has achieved the outcomes.

A family is the clients whose client record gives the same value of the tariff's field (Bracknell
Forest's `family`); a client without it is in no family. A member is *treated* for the tariff when it
has a result for one of its outcomes that is not "not applicable"; it has *achieved* when each of
those outcomes it is treated for is achieved for some unit, on the latest of those days. A family
with at least two treated members (one member is an individual client, paid by the outcome tariffs)
is paid the tariff once, to the tariff's provider, on the day its last treated member achieved.

Each client's part is found when the client is evaluated (``family_parts``); the lines are made once
every client has been (``family_lines``), like a cohort measure's, and like those they are outside
caps and reductions.
"""

from __future__ import annotations

import datetime
from typing import Optional

import attrs

from ..tree import Status
from ..values import format_money
from .lines import LineKind, LineStatus, PaymentLine


@attrs.frozen(slots=True)
class FamilyPart:
    """One client's part in one family tariff."""

    tariff: str
    family: str
    client: str
    achieved: Optional[datetime.date]   # when it had achieved every outcome it is treated for; None: not yet


def family_parts(schedule, client: dict, rows) -> tuple:
    """The client's part in each family tariff it is treated for (none when it names no family)."""
    parts = []
    for tariff in schedule.family_tariffs.values():
        family = client.get(tariff.field)
        if family is None:
            continue
        days, treated = [], False
        for outcome in tariff.outcomes:
            applicable = [row for row in rows if row.outcome == outcome and row.status is not Status.NOT_APPLICABLE]
            if not applicable:
                continue
            treated = True
            achieved = [row.date for row in applicable if row.status is Status.ACHIEVED]
            days.append(min(achieved) if achieved else None)
        if treated:
            parts.append(FamilyPart(tariff.name, str(family), client["id"],
                                    None if None in days else max(days)))
    return tuple(parts)


def family_lines(schedule, parts) -> list:
    """A line for each family whose treated members (two or more) have all achieved."""
    families: dict = {}
    for part in parts:
        families.setdefault((part.tariff, part.family), []).append(part)
    lines = []
    for order, (name, tariff) in enumerate(schedule.family_tariffs.items()):
        for (tariff_name, family), members in sorted(families.items()):
            if tariff_name != name or len(members) < 2 or any(m.achieved is None for m in members):
                continue
            members = sorted(members, key=lambda m: (m.achieved, m.client))
            day = members[-1].achieved
            said = ", ".join(f"{m.client} on {m.achieved}" for m in members)
            reasons = (f"Family {family}: every treated member achieved {', '.join(tariff.outcomes)} ({said}); "
                       f"{format_money(tariff.amount)} for the family, on the day the last achieved.",)
            lines.append(PaymentLine(tariff.payee, day, None, name, family, None, tariff.amount, tariff.amount,
                                     LineStatus.PAYABLE, reasons, kind=LineKind.FAMILY, item_order=order))
    return lines
