"""What happens to one client's result rows after the outcome functions have run.

The compiled rules give each outcome's status for each unit on its own. Some rules look across
a client's units: an outcome earned at most N times per client. They run here, in one place, for
both the fast path and the traced one (`pbr explain`), so that both always give the same results.
(What a client's results are worth is worked out after this, by ``pay``.)
"""

from __future__ import annotations

from .tree import Status


class ClientPipeline:
    def __init__(self, outcomes: tuple):
        # outcome name -> at most how many times per client it can be earned
        self.limits = {o.name: o.frequency.limit for o in outcomes if o.frequency.per_client}

    def run(self, rows: list) -> list:
        """The rows of one client, in outcome order, with the per-client rules applied."""
        if not self.limits:
            return rows
        out: list = []
        start = 0
        while start < len(rows):
            outcome = rows[start].outcome
            end = start
            while end < len(rows) and rows[end].outcome == outcome:
                end += 1
            group = rows[start:end]
            limit = self.limits.get(outcome)
            out.extend(cap_per_client(group, limit) if limit is not None else group)
            start = end
        return out


def cap_per_client(rows: list, limit: int) -> list:
    """`earned at most N times per client`: the first N units, in unit order, that achieve the
    outcome earn it; later ones do not. A unit's achievement waits (pending) while an earlier
    unit is undecided, because that unit may yet take the place: so a decided status never
    changes later (new units only ever come after the known ones)."""
    times = "once" if limit == 1 else f"{limit} times"
    earned = 0
    waiting = False
    capped = []
    for row in rows:
        if row.status is Status.ACHIEVED:
            if waiting:
                row = row._replace(status=Status.PENDING, date=None, due=None, reasons=row.reasons + (
                    "Waits until the earlier units of this client are decided: the outcome can be "
                    f"earned only {times} per client.",))
            elif earned >= limit:
                row = row._replace(status=Status.NOT_ACHIEVED, reasons=row.reasons + (
                    f"Already earned {times} for this client, the most this outcome allows.",))
            else:
                earned += 1
        elif row.status is Status.PENDING:
            waiting = True
        capped.append(row)
    return capped

