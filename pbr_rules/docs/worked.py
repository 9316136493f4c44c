"""Worked examples: each example of a ruleset run when the documentation is built.

A worked example shows the client's records the expected outcomes read (the fields the traced
evaluation reports reading), the as-of date, the concrete dates of every window the rules opened
for the units expected, and for each expectation what the example expects beside what the rules
computed. Nothing is copied from a previous run, so a page cannot show a result the rules no
longer give; a failing example is kept in ``checks`` and fails `pbr docs`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Optional

import attrs

from .. import tree
from ..describe import date_words, used_by
from ..evaluate import Ruleset
from ..examples import ExampleCheck, check_example
from ..results import TraceKind
from ..runtime import Window, show
from ..values import format_money, format_number


@attrs.frozen
class RecordTable:
    """One of the client's lists: a column per field read, a row per record."""

    list_name: str
    record: str
    columns: tuple
    rows: tuple                  # (cells, note): the note says why a record is not seen yet

    @property
    def noted(self) -> bool:
        return any(note for _, note in self.rows)


@attrs.frozen
class WindowShown:
    outcome: str
    unit: str
    name: str
    start: str
    end: str
    restarts: tuple = ()         # the days it started again


@attrs.frozen
class CheckShown:
    what: str                    # "`sustained_recovery` for E1", "payment `planned_exit`", "measure `m`"
    expected: str
    computed: str
    passed: bool


@attrs.frozen
class WorkedExample:
    anchor: str
    number: int
    title: str
    line: int                    # where it is written in the ruleset's own file
    as_of: str                   # in words
    as_of_iso: str
    client: str                  # which client, in words
    fields: tuple                # (name, value) of the client record's own fields
    tables: tuple                # RecordTable
    windows: tuple               # WindowShown
    checks: tuple                # CheckShown
    failures: tuple              # the failing ExampleChecks, as `pbr test` words them
    lines: tuple                 # the payment lines computed: (item, unit, instalment, date, amount, provider, status)
    measures: tuple              # (measure, status, date or due, value, members) computed
    members: tuple               # (measure, client, unit, start, closes, value) of each member, for a cohort
    outcomes: tuple              # the outcomes it expects results of
    paid: bool = False           # it expects payments (an empty table of lines then says so)
    clients: int = 1


def worked_examples(ruleset: Ruleset) -> list:
    cache: dict = {}
    uses = used_by(ruleset.checked)
    return [_worked(ruleset, example, number, cache, uses)
            for number, example in enumerate(ruleset.checked.resolved.examples, 1)]


def _worked(ruleset: Ruleset, example: tree.Example, number: int, cache: dict, uses: dict) -> WorkedExample:
    run = check_example(ruleset, example, cache)
    outcomes = tuple(dict.fromkeys(e.outcome for e in example.expectations if isinstance(e, tree.Expectation)))
    paid_for = {e.item for e in example.expectations if isinstance(e, tree.PaymentExpectation)}
    fields, tables, windows = (), (), ()
    if not example.whole_file and len(run.clients) == 1:
        raw = run.clients[0]
        # the outcomes it expects results of, else those it expects payments for, else all
        named = set(outcomes) or (paid_for & set(ruleset.outcome_names)) or set(ruleset.outcome_names)
        units = {(e.outcome, e.unit) for e in example.expectations if isinstance(e, tree.Expectation) and e.unit}
        trace = _trace(ruleset, raw, example.as_of, _with_what_they_use(named, uses), units)
        lists = {ruleset.checked.unit_lists.get(name) for name in named} - {None}
        fields = _own_fields(ruleset, raw)
        tables = _tables(ruleset, raw, trace["reads"], lists, example.as_of)
        windows = trace["windows"]
    return WorkedExample(
        anchor=f"example-{number}", number=number, title=example.title, line=example.span.line,
        as_of=date_words(example.as_of), as_of_iso=example.as_of.isoformat(), client=_client_words(example, run),
        fields=fields, tables=tables, windows=windows,
        checks=tuple(_shown(check) for check in run.checks if check.expectation is not None),
        failures=tuple(check.describe() for check in run.checks if not check.passed),
        lines=tuple(_line(line) for line in run.lines), measures=_measures(run.measures),
        members=_members(run) if run.measures is not None else (), outcomes=outcomes,
        paid=bool(paid_for), clients=len(run.clients))


def _with_what_they_use(outcomes: set, uses: dict) -> set:
    """The outcomes, and every outcome whose result they read (through definitions too): the records
    those read decide the result as much as their own."""
    found, pending = set(outcomes), list(outcomes)
    while pending:
        user = pending.pop()
        for (kind, name), users in uses.items():
            if kind == "outcome" and user in users and name not in found:
                found.add(name)
                pending.append(name)
    return found


def _client_words(example: tree.Example, run) -> str:
    if example.whole_file:
        count = len(run.clients)
        return f"every client in {example.client_file} ({count} client{'' if count == 1 else 's'})"
    if example.client is not None:
        return f"client {example.client.get('id', '(no id)')}, written in the example"
    return f"client {example.client_id} from {example.client_file}"


def _shown(check: ExampleCheck) -> CheckShown:
    expectation = check.expectation
    if isinstance(expectation, tree.PaymentExpectation):
        what = f"payment `{expectation.item}`" + (f" for {expectation.unit}" if expectation.unit else "") + (
            f", instalment {expectation.instalment}" if expectation.instalment is not None else "")
    elif isinstance(expectation, tree.MeasureExpectation):
        what = f"measure `{expectation.measure}`"
    else:
        what = f"`{expectation.outcome}`" + (f" for {expectation.unit}" if expectation.unit else "")
    return CheckShown(what, check.expected, check.computed, check.passed)


def _trace(ruleset: Ruleset, raw: dict, as_of: datetime.date, outcomes: set, units: set) -> dict:
    """The fields the outcomes read, and the windows they opened (for the units expected, where the
    example names them), from the traced run."""
    _, sections = ruleset.explain(raw, as_of)
    reads: dict = {}
    windows = []
    for outcome, _, steps in sections:
        if outcome.name not in outcomes:
            continue
        unit = ""
        for step in steps:
            if step.kind is TraceKind.READS:
                for record, names in step.value:
                    reads.setdefault(record, set()).update(names)
            elif step.kind is TraceKind.UNIT:
                unit = step.name
            elif step.kind is TraceKind.WINDOW and isinstance(step.value, Window):
                named_units = {u for o, u in units if o == outcome.name}
                if not named_units or unit in named_units:
                    windows.append(_window(outcome.name, unit, step.name, step.value))
    return {"reads": reads, "windows": tuple(dict.fromkeys(windows))}


def _window(outcome: str, unit: str, name: str, window: Window) -> WindowShown:
    def day(value) -> str:
        return value.isoformat() if isinstance(value, datetime.date) else "not known yet"
    restarts = tuple(f"the {noun} of {day(date)}" for date, noun in window.restarts or ())
    return WindowShown(outcome, unit, name, day(window.start), day(window.end), restarts)


def _own_fields(ruleset: Ruleset, raw: dict) -> tuple:
    client = ruleset.checked.resolved.records.get("client")
    lists = set(ruleset.checked.lists)
    names = [field.name for field in client.fields] if client is not None else list(raw)
    return tuple((name, cell(raw[name])) for name in names if name in raw and name not in lists)


def _tables(ruleset: Ruleset, raw: dict, reads: dict, units: set, as_of: datetime.date) -> tuple:
    """A table for each of the client's lists the outcomes read or are decided for (every list, when
    none is)."""
    records = ruleset.checked.resolved.records
    read_lists = reads.get("client", set()) | units
    hidden = ruleset.reader.unseen(ruleset.prepare(raw), as_of)
    out = []
    for list_name, record_type in ruleset.checked.lists.items():
        items = raw.get(list_name) or []
        if not items or (read_lists and list_name not in read_lists):
            continue
        declaration = records[record_type]
        wanted = reads.get(record_type) or {f.name for f in declaration.fields}
        first = [name for name in ("id", declaration.dated_by) if name]
        columns = [name for name in first if any(name in item for item in items)]
        columns += [f.name for f in declaration.fields if f.name in wanted and f.name not in columns
                    and any(f.name in item for item in items)]
        prepared = ruleset.prepare(raw).get(list_name) or []
        rows = tuple((tuple(cell(item.get(name)) for name in columns),
                      _unseen(hidden, record_type, normal, declaration.dated_by))
                     for item, normal in zip(items, prepared) if isinstance(item, dict))
        out.append(RecordTable(list_name, record_type, tuple(columns), rows))
    return tuple(out)


def _unseen(hidden: list, record_type: str, item: dict, dated_by: Optional[str]) -> str:
    """What the as-of view hides of this record (the reader's own account, lags included), in words."""
    said = [u.words for u in hidden if u.record == record_type and (
        u.record_id == item.get("id") if u.record_id is not None else u.whole and u.day == item.get(dated_by))]
    return "; ".join(said)


def cell(value) -> str:
    """A value of the client's data as written, for a table cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{key} {cell(item)}" for key, item in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(cell(item) for item in value) or "none"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def _members(run) -> tuple:
    """Each member of each measure, so that a cohort's value can be checked by hand."""
    out = []
    for result in run.results:
        for member in result.members:
            if member.is_member:
                out.append((member.measure, member.client, member.unit or "",
                            member.start.isoformat() if member.start else "",
                            member.closes.isoformat() if member.closes else "", show(member.value)))
    return tuple(out)


def _line(line) -> tuple:
    return (line.item, line.unit or "", line.instalment or "", line.date.isoformat() if line.date else "",
            format_money(line.paid), line.provider, str(line.status))


def _measures(run) -> tuple:
    if run is None:
        return ()
    out = []
    for result in run.results:
        when = result.date or result.due
        out.append((result.measure, str(result.status), when.isoformat() if when else "",
                    show(result.value) if result.value is not None else "", f"{result.closed} of {result.cohort} closed"))
    return tuple(out)
