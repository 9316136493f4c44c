"""Evaluate compiled rules for clients as of a date.

``Ruleset`` is what ``pbr_rules.load`` returns: the checked rules, their compiled evaluator and
the reader that validates client records. Evaluation is deterministic and streams: clients are
read, evaluated and handed on one at a time. Each client goes through the same steps on the
fast path and the traced one (`explain`): its as-of view, the compiled outcome functions, then
the per-client pipeline.
"""

from __future__ import annotations

import datetime
import traceback
from pathlib import Path

import attrs
from typing import Iterable, Iterator

from .check import CheckedRuleset, check
from .compile import CompiledRuleset, compile_ruleset
from .data import ClientReader, SeenIds
from .dates import as_date
from .errors import DataError, InternalError, OutsideCalendar, PbrError, UsageError
from .fast_reader import FastReader
from .extracts import ExtractReader, place_errors
from .measure import MeasureRun, MeasureTally, MemberFinder
from .pay import ClientPayments, Ledger, PaymentRun, amounts_by_unit
from .pay.families import family_lines, family_parts
from .pay.measures import measure_lines
from .pipeline import ClientPipeline
from .resolve import RulesetLibrary, Selection, resolve_file
from .results import ClientResult, OutcomeResult, Rejected, TraceKind, TraceStep

__all__ = ["load", "Ruleset", "ClientResult", "OutcomeResult", "Rejected", "TraceStep", "as_date"]


class Ruleset:
    """A loaded ruleset: checked, compiled and ready to evaluate clients."""

    def __init__(self, checked: CheckedRuleset, compiled: CompiledRuleset | None = None):
        self.checked = checked
        self.compiled = compiled or compile_ruleset(checked)
        self.reader = ClientReader(checked.schema)
        fast = FastReader.for_schema(checked.schema, self.reader)
        self.reader.fast_read = fast.read if fast is not None else None
        self.reader.fast_read_record = fast.read_record if fast is not None else None
        self.pipeline = ClientPipeline(self.compiled.outcomes)
        self._traced: CompiledRuleset | None = None
        schedule = checked.payments
        self.payer = ClientPayments(schedule, self.compiled.functions, self.compiled.outcomes, checked.unit_lists,
                                    self.reader.view) if schedule.pays else None
        self.member_finder = MemberFinder(checked.measures, self.compiled.functions,
                                          self.reader.view) if checked.measures else None

    # ---- identity ---------------------------------------------------------------------------
    selection: Selection | None = None   # set by load(): which version a reference meant, and why

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
    def effective_from(self) -> datetime.date | None:
        """Its first day in force (`effective from`), if the header says."""
        return self.checked.resolved.effective

    @property
    def effective_until(self) -> datetime.date | None:
        """Its own last day in force (`effective until`), if the header says; a later version
        also ends it (see ``selection.period``)."""
        return self.checked.resolved.effective_until

    @property
    def outcome_names(self) -> list[str]:
        return [o.name for o in self.compiled.outcomes]

    def __repr__(self) -> str:
        return f"<Ruleset {self.ref} from {self.path}>"

    # ---- reading ----------------------------------------------------------------------------
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

    # ---- evaluation -------------------------------------------------------------------------
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
            try:
                yield self.evaluate_prepared(prepared, day)
            except OutsideCalendar as error:
                if errors is None:
                    raise
                errors.append(error)

    def evaluate_lines(self, lines: Iterable, as_of, source: str = "<data>") -> Iterator:
        """Read JSON Lines (str, or UTF-8 bytes) and yield a ClientResult or a Rejected for each
        client, in input order."""
        day = as_date(as_of)
        for number, client, errors in self.reader.read_jsonl(lines, source):
            if errors:
                yield Rejected(number, errors[0].client, tuple(errors))
            else:
                yield self._evaluated_or_rejected(client, day, number, source)

    def evaluate_folder(self, folder: str | Path, as_of) -> Iterator:
        """Read a folder of CSV extracts (see ``extracts``) and yield a ClientResult or a Rejected
        for each client, in clients.csv order; problems name the CSV file and line."""
        day = as_date(as_of)
        seen = SeenIds()
        for client, origins, problems in ExtractReader(self.checked.schema).read(folder):
            line = origins["$"][1]
            client_id = client.get("id") if isinstance(client.get("id"), str) else None
            normalised, problems = self.prepare_extract(client, origins, problems)
            if not problems:
                duplicate = seen.duplicate(client_id, line, "clients.csv")
                problems = [duplicate] if duplicate else []
            if problems:
                yield Rejected(line, client_id, tuple(problems))
                continue
            yield self._evaluated_or_rejected(normalised, day, line, "clients.csv")

    def prepare_extract(self, client: dict, origins: dict, problems: list) -> tuple:
        """(normalised client, []) for a client read from CSV extracts, or (None, problems), each
        problem placed at the file and line its record came from."""
        if problems:
            return None, problems
        fast = self.reader.fast_read_record
        normalised = fast(client) if fast is not None else None
        if normalised is not None:
            return normalised, []
        normalised, problems = self.reader.normalise(client)
        return normalised, place_errors(problems, origins)

    def evaluate_prepared(self, client: dict, as_of: datetime.date) -> ClientResult:
        """The client's result; OutsideCalendar (a DataError) when date arithmetic on its dates
        leaves the calendar, which the readers below turn into the client set aside."""
        try:
            view = self.reader.view(client, as_of)
            return self._result(client, view, as_of, self.pipeline.run(self.compiled.evaluate_all(view, as_of)))
        except Exception as error:
            if isinstance(error, OverflowError):  # date arithmetic left the calendar (dates.add_months too)
                raise OutsideCalendar(client.get("id"), as_of) from None
            raise self._internal(error, client, self.compiled) from error  # a bug: say which rule was running

    def _evaluated_or_rejected(self, client: dict, as_of: datetime.date, line, source: str):
        """The ClientResult, or the Rejected of a client whose dates leave the calendar."""
        try:
            return self.evaluate_prepared(client, as_of)
        except OutsideCalendar as error:
            error.line_number, error.source = line, source
            return Rejected(line, client.get("id"), (error,))

    def _result(self, client: dict, view: dict, as_of: datetime.date, rows: list) -> ClientResult:
        """The client's result from its rows: with amounts and payment lines when the ruleset pays,
        and its part in each cohort measure."""
        result = (self._with_payments(client, view, as_of, rows) if self.payer is not None
                  else ClientResult(client["id"], self.ref, as_of, tuple(rows)))
        if self.member_finder is not None:
            result = attrs.evolve(result, members=self.member_finder.members(client, view, as_of))
        if self.checked.payments.family_tariffs:
            result = attrs.evolve(result, families=family_parts(self.checked.payments, view, rows))
        return result

    def _with_payments(self, client: dict, view: dict, as_of: datetime.date, rows: list) -> ClientResult:
        """The result with each row's payable amount, and the client's payment lines."""
        lines, forecast = self.payer.lines(client, view, as_of, rows)
        amounts = amounts_by_unit(lines)
        if amounts:
            rows = [row._replace(amount=amounts.get((row.outcome, row.unit))) for row in rows]
        return ClientResult(client["id"], self.ref, as_of, tuple(rows), tuple(lines), tuple(forecast))

    # ---- payments -----------------------------------------------------------------------------
    def pay(self, clients: Iterable[dict], as_of, from_date=None, to_date=None, shadow: bool = False,
            errors: list | None = None) -> PaymentRun:
        """Pay clients (dicts in the input format) as of a date: every payment line, settled
        across clients (caps, reductions, floors), with the forecast and spend against budgets."""
        return self.pay_results(self.evaluate_many(clients, as_of, errors), as_of, from_date, to_date, shadow)

    def pay_results(self, results: Iterable, as_of, from_date=None, to_date=None, shadow: bool = False) -> PaymentRun:
        """Settle the lines of evaluated clients (ClientResults; Rejected ones are kept aside)."""
        day = as_date(as_of)
        domains = {o.name: o.domain for o in self.compiled.outcomes}
        ledger = Ledger(self.checked.payments, day, domains)
        tallies = self._tallies()
        forecast, rejected, families = [], [], []
        for result in results:
            if isinstance(result, Rejected):
                rejected.append(result)
                continue
            ledger.add(result.lines)
            forecast.extend(result.forecast)
            families.extend(result.families)
            for member in result.members:
                tallies[member.measure].add(member)
        if families:
            ledger.add(family_lines(self.checked.payments, families))
        if self.checked.payments.measure_tariffs:
            cohort_lines, cohort_forecast = measure_lines(self.checked.payments,
                                                          [t.result(self.ref, day) for t in tallies.values()])
            ledger.add(cohort_lines)
            forecast.extend(cohort_forecast)
        lines = ledger.settle()
        forecast.sort(key=lambda e: (e.date, e.provider, e.client, e.item, e.unit or "", e.instalment or ""))
        first = as_date(from_date, "first date (--from)") if from_date else None
        last = as_date(to_date, "last date (--to)") if to_date else None
        if first and last and first > last:
            raise UsageError(f"the first date {first} is after the last date {last}: no line could be shown",
                             hint="give --from a date on or before --to")
        return PaymentRun(self.ref, day, tuple(lines), tuple(forecast), tuple(ledger.spend(lines)), tuple(rejected),
                          shadow, first, last)

    # ---- cohort measures ------------------------------------------------------------------------
    @property
    def measure_names(self) -> list[str]:
        return list(self.checked.measures)

    def measures(self, clients: Iterable[dict], as_of, errors: list | None = None) -> MeasureRun:
        """Every cohort measure over clients (dicts in the input format) as of a date."""
        return self.measure_results(self.evaluate_many(clients, as_of, errors), as_of)

    def measure_results(self, results: Iterable, as_of) -> MeasureRun:
        """The measures over evaluated clients (ClientResults; Rejected ones are kept aside)."""
        day = as_date(as_of)
        tallies = self._tallies()
        rejected = []
        for result in results:
            if isinstance(result, Rejected):
                rejected.append(result)
                continue
            for member in result.members:
                tallies[member.measure].add(member)
        return MeasureRun(self.ref, day, tuple(t.result(self.ref, day) for t in tallies.values()), tuple(rejected))

    def _tallies(self) -> dict:
        return {name: MeasureTally(spec) for name, spec in self.checked.measures.items()}

    def explain(self, client: dict, as_of) -> tuple[ClientResult, list]:
        """The result, and per outcome: its results and the trace of every binding and rule tried."""
        if self._traced is None:
            self._traced = compile_ruleset(self.checked, trace=True)
        day = as_date(as_of)
        prepared = self.prepare(client)
        steps: list = []
        view = self.reader.view(prepared, day)
        try:
            result = self._result(prepared, view, day, self.pipeline.run(self._traced.evaluate_all(view, day, steps)))
        except Exception as error:
            raise self._internal(error, prepared, self._traced) from error
        traces: dict = {}
        for step in steps:
            step = TraceStep(step[0], TraceKind(step[1]), *step[2:])
            if step.kind is TraceKind.OUTCOME:
                current = traces[step.name] = []
            else:
                current.append(step)
        sections = [(outcome, [r for r in result.rows if r.outcome == outcome.name], traces[outcome.name])
                    for outcome in self._traced.outcomes]
        return result, sections

    def _internal(self, error: Exception, client: dict, compiled: CompiledRuleset) -> InternalError:
        """Name the ruleset line whose generated code failed (the compiler's line map)."""
        where = None
        for frame, lineno in traceback.walk_tb(error.__traceback__):
            if frame.f_code.co_filename == compiled.filename:
                where = compiled.span_of_line(lineno) or where
        place = f" in the rule at {where}" if where else ""
        return InternalError(f"{type(error).__name__}: {error} while evaluating client "
                             f"{client.get('id')}{place}", hint="please report this with the ruleset and the record")


def load(ref: str | Path, rulesets: Iterable[str | Path] = (), as_of=None) -> Ruleset:
    """Parse, resolve, check and compile a ruleset.

    ``ref`` is a path to a ``.pbr`` file, ``name@version``, or ``name``, looked up under the
    folders in ``rulesets`` and then the shipped rulesets. A bare ``name`` means the version in
    force on ``as_of`` if a date is given (a UsageError if none is in force then), else the latest
    version. ``Ruleset.selection`` tells which was taken and why, with a warning when a pinned
    version or a file is used on a date it is not in force (docs/versions.md).
    Raises a RulesetError (several at once as RulesetErrors) for mistakes in the rules.
    """
    library = RulesetLibrary(rulesets)
    selection = library.select(ref, as_date(as_of) if as_of is not None else None)
    try:
        ruleset = Ruleset(check(resolve_file(selection.path, library)))
    except PbrError:
        raise
    except Exception as error:  # a bug in pbr_rules, never the user's rules: say so
        raise InternalError(f"{type(error).__name__}: {error}", hint=f"loading {selection.path}") from error
    ruleset.selection = selection
    return ruleset
