"""Counts at a glance: how many results per outcome and status, over every client evaluated.

A foundation module (it reads only results and tree) so that `pbr evaluate --summary`, the table
format and `pbr compare` count the same way.
"""

from __future__ import annotations

from .results import ClientResult
from .tree import Status

STATUSES = tuple(status.value for status in Status)


class Tally:
    """Counts of results per outcome and status.

    ``counts`` maps an outcome's name to ``{status value: count}`` with every status present, in
    Status order; an outcome appears once a client with a result for it has been added. A client
    with several units (episodes) counts once per unit."""

    __slots__ = ("clients", "counts")

    def __init__(self) -> None:
        self.clients = 0
        self.counts: dict[str, dict[str, int]] = {}

    def add(self, result: ClientResult) -> None:
        """Count one evaluated client's results."""
        self.clients += 1
        for row in result.rows:
            per_status = self.counts.get(row.outcome)
            if per_status is None:
                per_status = self.counts[row.outcome] = dict.fromkeys(STATUSES, 0)
            per_status[str(row.status)] += 1

    def of(self, outcome: str) -> dict[str, int]:
        """The counts for one outcome; all zero if no client had a result for it."""
        return dict(self.counts.get(outcome) or dict.fromkeys(STATUSES, 0))


def tally_table(tally: Tally, outcomes: list[str]) -> str:
    """A plain-text table: one row per outcome (in the order given), a column per status, and a total.

    Outcomes no client had a result for show zeros, so two tables over the same outcomes line up."""
    header = ["outcome", *(Status(status).words for status in STATUSES), "total"]
    rows = [header]
    for outcome in outcomes:
        per_status = tally.of(outcome)
        rows.append([outcome, *(str(per_status[status]) for status in STATUSES), str(sum(per_status.values()))])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    # names line up on the left, numbers on the right
    lines = ["  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                       for column, (cell, width) in enumerate(zip(row, widths))).rstrip()
             for row in rows]
    return "\n".join(lines) + "\n"
