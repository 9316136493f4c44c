"""The shadow run: two rulesets over the same clients, and what changes between them (docs/compare.md).

Each client is read once and evaluated under A and under B. Rulesets with different schemas
compare on the fields they share: before each ruleset's reader validates a record, the fields and
lists that only the other ruleset knows are dropped from it (a field neither knows stays, and both
report it). A client either ruleset rejects is set aside, never lost: the report names the ruleset
and the problem.

A result differs when its status, date, due date or amount differs, or when only one ruleset has
it (an outcome only B has); results that differ only in the wording of their reasons are counted
apart (``Compared.reworded``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterable, Iterator, Optional

import attrs

from .counts import STATUSES, Tally
from .data import SeenIds, json_record, without_bom
from .errors import DataError, OutsideCalendar
from .evaluate import ClientResult, OutcomeResult, Rejected, Ruleset, as_date
from .extracts import ExtractReader, place_errors
from .measure.cohort import show_exact
from .pay import ZERO
from .schema import Schema
from .tree import Status
from .values import format_money

__all__ = ["ShadowRun", "ShadowSummary", "Compared", "Difference", "compare"]

ABSENT = "—"  # a count for an outcome the ruleset does not have


@attrs.frozen(slots=True)
class Difference:
    """One result that differs between A and B; a side is None where that ruleset has no such result."""

    client: str
    outcome: str
    unit: str
    a: Optional[OutcomeResult]
    b: Optional[OutcomeResult]

    def to_json(self, rulesets: tuple = ()) -> dict:
        """The jsonl contract: client, outcome, unit, then each side's status, date, due, amount,
        reasons; with ``rulesets`` (A's and B's refs), which versions were compared."""
        data = {"client": self.client, "outcome": self.outcome, "unit": self.unit,
                "a": _side(self.a), "b": _side(self.b)}
        if rulesets:
            data["a_ruleset"], data["b_ruleset"] = rulesets
        return data


def _side(row: Optional[OutcomeResult]) -> Optional[dict]:
    if row is None:
        return None
    data = row.to_json()
    del data["outcome"], data["unit"]
    return data


@attrs.frozen(slots=True)
class Compared:
    """One client evaluated under both rulesets."""

    a: ClientResult
    b: ClientResult
    differences: tuple  # Difference, in A's order of results, then those only B has
    reworded: int       # results alike but for the wording of their reasons


class _Projection:
    """Drops from a raw record what only the other ruleset's schema knows, so that each reader
    sees the fields the two share (and any field neither knows, which it reports)."""

    def __init__(self, own: Schema, other: Schema):
        self.client_only_other = frozenset(other.records["client"].fields) - frozenset(own.records["client"].fields)
        self.list_only_other = {}  # list field -> the fields of its records only the other knows
        for name, record in own.lists.items():
            other_record = other.lists.get(name)
            if other_record is not None:
                extra = frozenset(other.records[other_record].fields) - frozenset(own.records[record].fields)
                if extra:
                    self.list_only_other[name] = extra
        self.needed = bool(self.client_only_other or self.list_only_other)

    def __call__(self, raw):
        if not self.needed or type(raw) is not dict:
            return raw
        record = {key: value for key, value in raw.items() if key not in self.client_only_other}
        for name, extra in self.list_only_other.items():
            items = record.get(name)
            if type(items) is list:
                record[name] = [{k: v for k, v in item.items() if k not in extra} if type(item) is dict else item
                                for item in items]
        return record


class ShadowRun:
    """Rulesets A and B over the same clients as of one date: a ``Compared`` or a ``Rejected``
    (set aside, each problem naming the ruleset that found it) per client, in input order."""

    def __init__(self, a: Ruleset, b: Ruleset, as_of):
        self.a, self.b = a, b
        self.as_of = as_date(as_of)
        self._sides = ((a, _Projection(a.checked.schema, b.checked.schema)),
                       (b, _Projection(b.checked.schema, a.checked.schema)))

    def compare_lines(self, lines: Iterable, source: str = "<data>") -> Iterator:
        """Read JSON Lines (str, or UTF-8 bytes) once and compare every client. A line both
        rulesets' fast paths accept has no field either does not know, so neither projection
        would drop anything: it is their client as it is (``fast_reader``); any other line is read
        here, where every problem is worded."""
        seen = SeenIds()
        fast_a, fast_b = self.a.reader.fast_read, self.b.reader.fast_read
        for number, line in enumerate(lines, 1):
            if number == 1:  # a byte order mark opens the file, not its first record
                line = without_bom(line)
            a = fast_a(line) if fast_a is not None else None
            b = fast_b(line) if a is not None and fast_b is not None else None
            if b is not None:
                yield self._compared(a, b, seen, number, source)
                continue
            found = json_record(number, line, source)
            if found is None:  # a blank line
                continue
            if found[2] is not None:
                yield Rejected(number, None, (found[2],))
                continue
            yield self.compare_record(found[1], seen, number, source, None)

    def compare_folder(self, folder: str | Path) -> Iterator:
        """Read a folder of CSV extracts once, with the lists and fields of both schemas, and
        compare every client; problems name the CSV file and line."""
        seen = SeenIds()
        reader = ExtractReader(self.a.checked.schema, self.b.checked.schema)
        for client, origins, problems in reader.read(folder):
            line = origins["$"][1]
            if problems:
                client_id = client.get("id") if isinstance(client.get("id"), str) else None
                yield Rejected(line, client_id, tuple(problems))
                continue
            yield self.compare_record(client, seen, line, "clients.csv", origins)

    def compare_record(self, raw, seen: SeenIds, line: int, source: str, origins: Optional[dict] = None):
        """A client's Compared, or its Rejected when either ruleset (or a repeated id) sets it aside."""
        prepared, rejections = [], []
        for ruleset, project in self._sides:
            client, errors = ruleset.reader.normalise(project(raw), line_number=line, source=source)
            if origins is not None:
                place_errors(errors, origins)
            prepared.append(client)
            rejections.append((ruleset.ref, errors))
        client_id = raw.get("id") if type(raw) is dict and isinstance(raw.get("id"), str) else None
        if any(errors for _, errors in rejections):
            return Rejected(line, client_id, tuple(_naming_the_ruleset(rejections)))
        return self._compared(*prepared, seen, line, source)

    def _compared(self, under_a: dict, under_b: dict, seen: SeenIds, line: int, source: str):
        """Both results for a client valid under both rulesets, or its Rejected for a repeated id."""
        duplicate = seen.duplicate(under_a["id"], line, source)
        if duplicate is not None:
            return Rejected(line, under_a["id"], (duplicate,))
        try:
            a = self.a.evaluate_prepared(under_a, self.as_of)
            b = self.b.evaluate_prepared(under_b, self.as_of)
        except OutsideCalendar as error:
            error.line_number, error.source = line, source
            return Rejected(line, under_a["id"], (error,))
        return Compared(a, b, *_differences(a, b))


def _naming_the_ruleset(rejections: list) -> list:
    """Each problem once, its message naming the ruleset(s) that set the client aside for it."""
    by_problem: dict = {}
    for ref, errors in rejections:
        for error in errors:
            key = (error.source, error.line_number, error.path, error.message)
            by_problem.setdefault(key, (error, []))[1].append(ref)
    return [DataError(f"{' and '.join(refs)} {'sets' if len(refs) == 1 else 'set'} this client aside: "
                      f"{error.message}", client=error.client, path=error.path, line_number=error.line_number,
                      source=error.source)
            for error, refs in by_problem.values()]


def _differences(a: ClientResult, b: ClientResult) -> tuple:
    """(the Differences, how many results differ only in their reasons)."""
    if a.rows == b.rows:
        return (), 0
    client = a.client
    under_b = {(row.outcome, row.unit): row for row in b.rows}
    found, reworded = [], 0
    for row in a.rows:
        other = under_b.pop((row.outcome, row.unit), None)
        if other is None or row[2:6] != other[2:6]:  # status, date, due, amount
            found.append(Difference(client, row.outcome, row.unit, row, other))
        elif row.reasons != other.reasons:
            reworded += 1
    found += [Difference(client, row.outcome, row.unit, None, row) for row in under_b.values()]
    return tuple(found), reworded


class ShadowSummary:
    """What the table shows, gathered client by client: counts per outcome and status under A and
    B, the results that changed per outcome, and the money when either ruleset pays."""

    def __init__(self, run: ShadowRun):
        self.run = run
        self.tallies = (Tally(), Tally())
        self.changed: dict = {}   # outcome -> results that differ
        self.differences = 0
        self.reworded = 0
        self.set_aside = 0
        # a ruleset that pays or measures keeps each client's payment lines and memberships, settled
        # and added up together at the end
        self._lines = tuple([] if ruleset.payer is not None or ruleset.member_finder is not None else None
                            for ruleset in (run.a, run.b))

    def add(self, item) -> None:
        if isinstance(item, Rejected):
            self.set_aside += 1
            return
        for tally, result, kept in zip(self.tallies, (item.a, item.b), self._lines):
            tally.add(result)
            if kept is not None:
                kept.append(ClientResult(result.client, result.ruleset, result.as_of, (), result.lines,
                                         members=result.members, families=result.families))
        for difference in item.differences:
            self.changed[difference.outcome] = self.changed.get(difference.outcome, 0) + 1
        self.differences += len(item.differences)
        self.reworded += item.reworded

    @property
    def outcomes(self) -> list:
        """A's outcomes in its order, then those only B has."""
        names = self.run.a.outcome_names
        return names + [name for name in self.run.b.outcome_names if name not in names]

    def paid_by_provider(self) -> list:
        """(provider, paid under A, paid under B), after caps, reductions and floors; a ruleset
        without a payment schedule pays nothing."""
        totals: dict = {}
        for side, (ruleset, kept) in enumerate(zip((self.run.a, self.run.b), self._lines)):
            if kept is None or ruleset.payer is None:
                continue
            for line in ruleset.pay_results(kept, self.run.as_of).settled:
                totals.setdefault(line.provider, [ZERO, ZERO])[side] += line.paid
        return [(provider, a, b) for provider, (a, b) in sorted(totals.items())]

    def table(self) -> str:
        """The counts table, then the money table when either ruleset has a payment schedule."""
        a, b = self.run.a, self.run.b
        compared = self.tallies[0].clients
        head = (f"Shadow run as of {self.run.as_of.isoformat()}: A is {a.ref}, B is {b.ref}\n"
                f"{compared} client{'s' if compared != 1 else ''} compared, {self.set_aside} set aside; "
                f"{results_differ(self.differences)}"
                + (f" ({self.reworded} more differ only in the wording of their reasons)" if self.reworded else "")
                + "\n")
        sections = [head, self._counts_table()]
        if a.measure_names or b.measure_names:
            sections.append(self._measures_table())
        if a.payer is not None or b.payer is not None:
            sections.append(self._money_table())
        return "\n".join(sections)

    def _counts_table(self) -> str:
        header = ["outcome", "results changed", "status", "A", "B", "B - A"]
        rows = []
        own = [set(ruleset.outcome_names) for ruleset in (self.run.a, self.run.b)]
        for outcome in self.outcomes:
            for index, status in enumerate(STATUSES):
                counts = [tally.of(outcome)[status] if outcome in names else None
                          for tally, names in zip(self.tallies, own)]
                first = index == 0
                rows.append([outcome if first else "", str(self.changed.get(outcome, 0)) if first else "",
                             Status(status).words, *(ABSENT if n is None else str(n) for n in counts),
                             _signed((counts[1] or 0) - (counts[0] or 0))])
        note = (f"{ABSENT}: the outcome is not in that ruleset\n"
                if any(outcome not in names for outcome in self.outcomes for names in own) else "")
        return "Results per outcome and status\n" + _aligned(header, rows, left=3) + note

    def measures(self) -> list:
        """(measure, result under A or None, result under B or None), A's measures first."""
        runs = [ruleset.measure_results(kept, self.run.as_of) if kept is not None else None
                for ruleset, kept in zip((self.run.a, self.run.b), self._lines)]
        names = self.run.a.measure_names + [n for n in self.run.b.measure_names if n not in self.run.a.measure_names]
        return [(name, *(run.result(name) if run is not None else None for run in runs)) for name in names]

    def _measures_table(self) -> str:
        header = ["measure", "A", "value", "target", "B", "value", "target", "changed"]
        rows = []
        for name, under_a, under_b in self.measures():
            cells = []
            for result in (under_a, under_b):
                cells += ([ABSENT, "", ""] if result is None else
                          [_measure_status(result), "" if result.value is None else str(result.value),
                           "" if result.target is None else f"{result.bound} {show_exact(result.target)}"])
            same = (under_a is not None and under_b is not None and cells[:3] == cells[3:]
                    and under_a.exact_value == under_b.exact_value)
            rows.append([name, *cells, "" if same else "yes"])
        return "Cohort measures\n" + _aligned(header, rows, left=7)

    def _money_table(self) -> str:
        header = ["provider", "A", "B", "B - A"]
        paid = self.paid_by_provider()
        total_a, total_b = sum((a for _, a, _ in paid), ZERO), sum((b for _, _, b in paid), ZERO)
        rows = [[provider, format_money(a), format_money(b), _signed_money(b - a)] for provider, a, b in paid]
        rows.append(["total", format_money(total_a), format_money(total_b), _signed_money(total_b - total_a)])
        notes = "".join(f"{ruleset.ref} has no payment schedule: it pays nothing\n"
                        for ruleset in (self.run.a, self.run.b) if ruleset.payer is None)
        return (f"Paid per provider up to {self.run.as_of.isoformat()}, after caps, reductions and floors\n"
                + _aligned(header, rows, left=1) + notes)


def _measure_status(result) -> str:
    when = f" on {result.date}" if result.date else (f", due {result.due}" if result.due else "")
    return f"{result.status.words}{when}"


def results_differ(count: int) -> str:
    return f"{count} result differs" if count == 1 else f"{count} results differ"


def _signed(number: int) -> str:
    return f"+{number}" if number > 0 else str(number)


def _signed_money(amount: Decimal) -> str:
    return ("+" if amount > 0 else "-" if amount < 0 else "") + format_money(abs(amount))


def _aligned(header: list, rows: list, left: int) -> str:
    """Columns padded to their widest cell: the first ``left`` on the left, numbers on the right."""
    table = [header] + rows
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    return "".join("  ".join(cell.ljust(width) if column < left else cell.rjust(width)
                             for column, (cell, width) in enumerate(zip(row, widths))).rstrip() + "\n"
                   for row in table)


def compare(a: Ruleset, b: Ruleset, clients: Iterable[dict], as_of) -> Iterator:
    """Compare client records (dicts in the input format): a ``Compared`` or a ``Rejected`` each."""
    run = ShadowRun(a, b, as_of)
    seen = SeenIds()
    for number, client in enumerate(clients, 1):
        yield run.compare_record(client, seen, number, "<clients>")


