"""Evaluate compiled rules for clients as of a date; results and their JSON form (DESIGN.md §5).

``Ruleset`` is what ``pbr_rules.load`` returns: the checked rules, their compiled evaluator and
the reader that validates client records. Evaluation is deterministic and streams: clients are
read, evaluated and handed on one at a time.
"""

from __future__ import annotations

import datetime
import json
import traceback
from typing import Iterable, Iterator

import attrs

from .check import CheckedRuleset
from .compile import CompiledRuleset, compile_ruleset
from .data import ClientReader
from .dates import parse_iso_date
from .errors import DataError, InternalError, UsageError

@attrs.frozen(slots=True)
class OutcomeResult:
    outcome: str
    unit: str
    status: str
    date: datetime.date | None
    due: datetime.date | None
    amount: object
    reasons: tuple

    def to_json(self) -> dict:
        return _row_json(attrs.astuple(self, recurse=False))


@attrs.frozen(slots=True)
class ClientResult:
    """One client's results. ``rows`` are plain tuples in OutcomeResult's field order, so that
    evaluating a cohort builds no object nobody asked for; ``results`` gives them typed."""

    client: str
    ruleset: str
    as_of: datetime.date
    rows: tuple

    @property
    def results(self) -> tuple:
        return tuple(OutcomeResult(*row) for row in self.rows)

    def to_json(self) -> dict:
        return {"client": self.client, "ruleset": self.ruleset, "as_of": self.as_of.isoformat(),
                "results": [_row_json(row) for row in self.rows]}

    def to_json_line(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False)

    def result(self, outcome: str, unit: str | None = None) -> OutcomeResult | None:
        for row in self.rows:
            if row[0] == outcome and (unit is None or row[1] == unit):
                return OutcomeResult(*row)
        return None


def _row_json(row: tuple) -> dict:
    outcome, unit, status, date, due, amount, reasons = row
    return {"outcome": outcome, "unit": unit, "status": status,
            "date": date.isoformat() if date else None, "due": due.isoformat() if due else None,
            "amount": None if amount is None else f"{amount:.2f}", "reasons": list(reasons)}


@attrs.frozen(slots=True)
class Rejected:
    """A client set aside: its line in the input and every problem found in it."""

    line_number: int | None
    client: str | None
    errors: tuple


@attrs.frozen(slots=True)
class TraceStep:
    line: int
    kind: str      # let, window, rule
    name: str      # the name bound, or the rule's kind
    value: object  # the value bound, or the rule's condition (True/False/None)


def as_date(value, what: str = "as-of date") -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return parse_iso_date(value)
    except ValueError as error:
        raise UsageError(f"the {what} {value!r} is not a date: {error}",
                         hint="write it as YYYY-MM-DD, for example 2013-06-30") from None


class Ruleset:
    """A loaded ruleset: checked, compiled and ready to evaluate clients."""

    def __init__(self, checked: CheckedRuleset, compiled: CompiledRuleset | None = None):
        self.checked = checked
        self.compiled = compiled or compile_ruleset(checked)
        self.reader = ClientReader(checked)
        self._traced: CompiledRuleset | None = None

    # ---- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.checked.resolved.name

    @property
    def version(self) -> str:
        return self.checked.resolved.version

    @property
    def ref(self) -> str:
        return self.checked.ref

    @property
    def path(self) -> str:
        return self.checked.resolved.path

    @property
    def outcome_names(self) -> list[str]:
        return [o.name for o in self.compiled.outcomes]

    def __repr__(self) -> str:
        return f"<Ruleset {self.ref} from {self.path}>"

    # ---- evaluation -------------------------------------------------------------------------
    def prepare(self, client: dict, line_number: int | None = None, source: str | None = None) -> dict:
        """Validate and normalise one client record; DataError lists every problem."""
        normalised, errors = self.reader.normalise(client, line_number=line_number, source=source)
        if errors:
            if len(errors) == 1:
                raise errors[0]
            first = errors[0]
            raise DataError("; ".join(f"{e.path}: {e.message}" for e in errors), client=first.client,
                            path=first.path, line_number=line_number, source=source, errors=errors)
        return normalised

    def evaluate(self, client: dict, as_of) -> ClientResult:
        """Evaluate one client (a dict in the input format) as of a date."""
        return self.evaluate_prepared(self.prepare(client), as_date(as_of))

    def evaluate_many(self, clients: Iterable[dict], as_of, errors: list | None = None) -> Iterator[ClientResult]:
        """Evaluate clients one by one. A client that breaks the schema is set aside: its
        DataErrors are appended to ``errors`` if given, else the first one is raised."""
        day = as_date(as_of)
        for client in clients:
            try:
                prepared = self.prepare(client)
            except DataError as error:
                if errors is None:
                    raise
                errors.extend(error.errors)
                continue
            yield self.evaluate_prepared(prepared, day)

    def evaluate_lines(self, lines: Iterable, as_of, source: str = "<data>") -> Iterator:
        """Read JSON Lines (str, or UTF-8 bytes) and yield a ClientResult or a Rejected for each
        client, in input order."""
        day = as_date(as_of)
        for number, client, errors in self.reader.read_jsonl(lines, source):
            if errors:
                yield Rejected(number, errors[0].client, tuple(errors))
            else:
                yield self.evaluate_prepared(client, day)

    def evaluate_folder(self, folder, as_of) -> Iterator:
        """Read a folder of CSV extracts (see ``extracts``) and yield a ClientResult or a Rejected
        for each client, in clients.csv order; problems name the CSV file and line."""
        from .extracts import ExtractReader, place_errors
        day = as_date(as_of)
        first_line: dict = {}
        for client, origins, problems in ExtractReader(self.checked).read(folder):
            line = origins["$"][1]
            client_id = client.get("id") if isinstance(client.get("id"), str) else None
            if not problems:
                normalised, problems = self.reader.normalise(client)
                place_errors(problems, origins)
            if not problems and client_id in first_line:
                problems = [DataError(f"duplicate client id {client_id} (first on line {first_line[client_id]})",
                                      client=client_id, path="$.id", line_number=line, source="clients.csv")]
            if problems:
                yield Rejected(line, client_id, tuple(problems))
                continue
            first_line[client_id] = line
            yield self.evaluate_prepared(normalised, day)

    def evaluate_prepared(self, client: dict, as_of: datetime.date) -> ClientResult:
        view = self.reader.view(client, as_of)
        try:
            results = self.compiled.evaluate_all(view, as_of, _cap_per_client)
        except Exception as error:  # a bug in pbr_rules; say which rule was running
            raise self._internal(error, client) from error
        return ClientResult(client["id"], self.ref, as_of, tuple(results))

    def _traced_results(self, outcome, view, as_of, trace: list) -> list:
        """One outcome's result rows from the traced code, its steps appended to ``trace``."""
        function, name = outcome.function, outcome.name
        if outcome.list_field is None:
            return [_row(name, view["id"], function(view, as_of, view, trace))]
        rows = []
        for unit in view[outcome.list_field]:
            trace.append(TraceStep(outcome.span.line, "unit", unit["id"], None))
            rows.append(_row(name, unit["id"], function(view, as_of, unit, trace)))
        if outcome.frequency[0] == "client":
            rows = _cap_per_client(rows, outcome.frequency[1])
        return rows

    def explain(self, client: dict, as_of) -> tuple[ClientResult, list]:
        """The result, and the trace of every binding and rule tried, per outcome and unit."""
        if self._traced is None:
            self._traced = compile_ruleset(self.checked, trace=True)
        day = as_date(as_of)
        prepared = self.prepare(client)
        view = self.reader.view(prepared, day)
        sections = []
        results = []
        for outcome in self._traced.outcomes:
            trace: list = []
            outcome_results = self._traced_results(outcome, view, day, trace)
            results.extend(outcome_results)
            sections.append((outcome, [OutcomeResult(*row) for row in outcome_results],
                             [TraceStep(*s) if isinstance(s, tuple) else s for s in trace]))
        return ClientResult(prepared["id"], self.ref, day, tuple(results)), sections

    def _internal(self, error: Exception, client: dict) -> InternalError:
        """Name the ruleset line whose generated code failed (the compiler's line map)."""
        where = None
        for frame, lineno in traceback.walk_tb(error.__traceback__):
            if frame.f_code.co_filename == self.compiled.filename:
                where = self.compiled.span_of_line(lineno) or where
        place = f" in the rule at {where}" if where else ""
        return InternalError(f"{type(error).__name__}: {error} while evaluating client "
                             f"{client.get('id')}{place}", hint="please report this with the ruleset and the record")


def _row(outcome: str, unit: str, status: tuple) -> tuple:
    kind, date, due, reasons = status
    return (outcome, unit, kind, date, due, None, tuple(reasons))


def _cap_per_client(rows: list, limit: int) -> list:
    """`earned at most N times per client`: the first N units, in unit order, that achieve the
    outcome earn it; later ones do not. A unit's achievement waits (pending) while an earlier
    unit is undecided, because that unit may yet take the place: so a decided status never
    changes later (new units only ever come after the known ones)."""
    times = "once" if limit == 1 else f"{limit} times"
    earned = 0
    waiting = False
    capped = []
    for row in rows:
        outcome, unit, status, date, due, amount, reasons = row
        if status == "achieved":
            if waiting:
                row = (outcome, unit, "pending", None, None, amount, reasons + (
                    "Waits until the earlier units of this client are decided: the outcome can be "
                    f"earned only {times} per client.",))
            elif earned >= limit:
                row = (outcome, unit, "not_achieved", date, None, amount, reasons + (
                    f"Already earned {times} for this client, the most this outcome allows.",))
            else:
                earned += 1
        elif status == "pending":
            waiting = True
        capped.append(row)
    return capped