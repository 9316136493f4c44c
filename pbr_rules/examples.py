"""Run a ruleset's examples as tests (`pbr test`).

An example is a client (inline, or by id from a JSON / JSON Lines file beside the ruleset), an
as-of date, and the expected status and date of named outcomes, and the payment lines expected
for the client (paid alone, so caps and floors see only its lines). An example of a whole file
of clients (`clients from FILE`) is a cohort: it expects the status and value of measures.
"""

from __future__ import annotations

import json
import os
import stat
from decimal import Decimal
from pathlib import Path

import attrs

from . import tree
from .tree import Status
from .errors import DataError, PbrError
from .evaluate import ClientResult, Ruleset
from .resources import example_file
from .values import format_money


@attrs.frozen(slots=True)
class ExampleCheck:
    example: tree.Example
    expectation: tree.Expectation | None
    passed: bool
    message: str
    expected: str = ""   # what the example expects, and what the rules gave, in the same words
    computed: str = ""   # (the generated documentation shows them side by side)

    def describe(self) -> str:
        span = self.expectation.span if self.expectation else self.example.span
        return f"{span}: example \"{self.example.title}\": {self.message}"


@attrs.frozen(slots=True)
class ExampleReport:
    ruleset: str
    checks: tuple

    @property
    def passed(self) -> int:
        return sum(1 for c in self.checks if c.passed)

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checks if not c.passed)


def load_example_client(example: tree.Example, cache: dict | None = None) -> dict:
    if example.client is not None:
        return example.client
    clients = _clients_of(example, cache)
    if example.client_id not in clients:
        raise PbrError(f"no client {example.client_id} in {example.client_file}",
                       span=example.span)
    return clients[example.client_id]


def load_example_clients(example: tree.Example, cache: dict | None = None) -> list:
    """The example's clients: every client of the file (`clients from FILE`), or its one client."""
    if example.whole_file:
        return list(_clients_of(example, cache).values())
    return [load_example_client(example, cache)]


def _clients_of(example: tree.Example, cache: dict | None) -> dict:
    path = example_file(example.span.file, example.client_file)
    if path is None:  # the checker refuses it too (PBR603): never read a file outside the ruleset's folder
        raise PbrError(f"example client file `{example.client_file}` is outside the ruleset's folder",
                       span=example.span)
    cache = cache if cache is not None else {}
    if path not in cache:
        cache[path] = _read_clients(path, example)
    return cache[path]


# An example's clients are a few records that show a rule; a file past this is refused unread
EXAMPLE_FILE_LIMIT = 16 * 2 ** 20


def _read_clients(path: Path, example: tree.Example) -> dict:
    """The clients of an example file by id; a file that cannot be read as clients is the example's
    mistake, said without echoing what the file holds."""
    try:
        with path.open("rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):  # a FIFO or device would never end
                raise PbrError(f"example client file `{example.client_file}` is not a plain file",
                               span=example.span)
            data = file.read(EXAMPLE_FILE_LIMIT + 1)
        if len(data) > EXAMPLE_FILE_LIMIT:
            raise PbrError(f"example client file `{example.client_file}` is larger than an example's clients "
                           f"can be ({EXAMPLE_FILE_LIMIT // 2 ** 20} MB)", span=example.span,
                           hint="examples are a few clients that show a rule; evaluate a cohort with "
                                "`pbr evaluate --data`")
        text = data.decode("utf-8")
        stripped = text.lstrip()
        if stripped.startswith("["):
            records = json.loads(text, parse_float=Decimal)
        elif path.suffix == ".json":
            records = [json.loads(text, parse_float=Decimal)]
        else:
            records = [json.loads(line, parse_float=Decimal) for line in text.splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = "is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else (
            "cannot be read" if isinstance(error, OSError) else "is not JSON or JSON Lines")
        raise PbrError(f"example client file `{example.client_file}` {reason}", span=example.span) from None
    return {r.get("id"): r for r in records if isinstance(r, dict)} if isinstance(records, list) else {}


def run_examples(ruleset: Ruleset) -> ExampleReport:
    checks = []
    cache: dict = {}
    for example in ruleset.checked.resolved.examples:
        checks.extend(check_example(ruleset, example, cache).checks)
    return ExampleReport(ruleset.ref, tuple(checks))


@attrs.frozen(slots=True)
class ExampleRun:
    """One example run: its clients as written, their results, and a check per expectation."""

    example: tree.Example
    clients: tuple
    results: tuple
    checks: tuple
    lines: tuple = ()       # the payment lines, when the example expects any
    measures: object = None  # the MeasureRun, when it expects measures


def check_example(ruleset: Ruleset, example: tree.Example, cache: dict | None = None) -> ExampleRun:
    try:
        clients = load_example_clients(example, cache)
        results = [ruleset.evaluate(client, example.as_of) for client in clients]
    except DataError as error:
        problems = error.errors
        message = "the example's client is not valid data: " + "; ".join(
            f"{e.path}: {e.message}" for e in problems)
        return ExampleRun(example, (), (), (ExampleCheck(example, None, False, message),))
    except PbrError as error:
        return ExampleRun(example, (), (), (ExampleCheck(example, None, False, error.message),))
    return _check_example(ruleset, example, clients, results)


def _check_example(ruleset: Ruleset, example: tree.Example, clients: list, results: list) -> ExampleRun:
    checks, lines, measures = [], None, None
    for expectation in example.expectations:
        if isinstance(expectation, tree.PaymentExpectation):
            if lines is None:
                lines = ruleset.pay(clients, example.as_of).lines
            checks.append(_check_payment(example, expectation, lines))
        elif isinstance(expectation, tree.MeasureExpectation):
            if measures is None:
                measures = ruleset.measure_results(results, example.as_of)
            checks.append(_check_measure(example, expectation, measures.result(expectation.measure)))
        else:
            checks.append(_check(example, expectation, results[0]))
    return ExampleRun(example, tuple(clients), tuple(results), tuple(checks), tuple(lines or ()), measures)


def _check_measure(example: tree.Example, expectation: tree.MeasureExpectation, actual) -> ExampleCheck:
    label = f"measure {expectation.measure}"
    expected_date = expectation.date if expectation.status in ("achieved", "not_achieved") else None
    # a pending measure always has a due day: `pending` without `until` does not ask which
    due_ok = expectation.status != "pending" or expectation.date is None or actual.due == expectation.date
    ok = (actual.status == expectation.status and actual.date == expected_date and due_ok
          and (expectation.value is None or actual.value == expectation.value))
    want = _expected(expectation.status, expectation.date)
    got = _describe(actual.status, actual.date, actual.due)
    if expectation.value is not None:
        want += f" with value {expectation.value}"
        got += f" with value {actual.value}"
    if ok:
        return ExampleCheck(example, expectation, True, f"{label}: {got}", want, got)
    return ExampleCheck(example, expectation, False, f"{label}: expected {want}, got {got}. "
                        + " ".join(actual.reasons), want, got)


def _line_words(line) -> str:
    instalment = f" instalment {line.instalment}" if line.instalment else ""
    date = line.date.isoformat() if line.date else "no date"
    return f"{line.status} {format_money(line.paid)} on {date} to {line.provider}{instalment}"


def _check_payment(example: tree.Example, expectation: tree.PaymentExpectation, lines) -> ExampleCheck:
    label = "payment " + expectation.item + (f" for {expectation.unit}" if expectation.unit else "") + (
        f" instalment {expectation.instalment}" if expectation.instalment else "")
    candidates = [line for line in lines if line.item == expectation.item
                  and (expectation.unit is None or line.unit == expectation.unit)
                  and (expectation.instalment is None
                       or (line.instalment or "1/1").split("/")[0] == str(expectation.instalment))]
    if expectation.held:
        matched = [line for line in candidates if line.status == "held"]
        want = "held"
    else:
        matched = [line for line in candidates if line.status != "held" and line.paid == expectation.amount
                   and line.date == expectation.date
                   and (expectation.provider is None or line.provider == expectation.provider)]
        want = f"{format_money(expectation.amount)} paid on {expectation.date}" + (
            f" to {expectation.provider}" if expectation.provider else "")
    if matched:
        return ExampleCheck(example, expectation, True, f"{label}: {_line_words(matched[0])}", want,
                            _line_words(matched[0]))
    got = "; ".join(_line_words(line) for line in candidates) or "no such line"
    reasons = " ".join(r for line in candidates for r in line.reasons)
    return ExampleCheck(example, expectation, False, f"{label}: expected {want}, got {got}. {reasons}".rstrip(),
                        want, got)


def _expected(status: str, date) -> str:
    """What an expectation asks, in the words of ``_describe``: `pending` without `until` asks no due date."""
    return "pending" if status == "pending" and date is None else _describe(status, date, date)


def _describe(status: str, date, due) -> str:
    words = Status(status).words
    if status in ("achieved", "not_achieved"):
        return f"{words} on {date}"
    if status == "pending":
        return f"pending until {due}" if due else "pending (no due date)"
    return words


def _check(example: tree.Example, expectation: tree.Expectation, result: ClientResult) -> ExampleCheck:
    candidates = [r for r in result.results if r.outcome == expectation.outcome]
    if expectation.unit is not None:
        candidates = [r for r in candidates if r.unit == expectation.unit]
    label = expectation.outcome + (f" for {expectation.unit}" if expectation.unit else "")
    if not candidates:
        units = sorted({r.unit for r in result.results if r.outcome == expectation.outcome})
        message = (f"{label}: no such result; units with results: {', '.join(units)}" if units
                   else f"{label}: no result at all (no unit of this outcome exists on {example.as_of})")
        return ExampleCheck(example, expectation, False, message, "", "no result")
    if len(candidates) > 1:
        units = ", ".join(r.unit for r in candidates)
        return ExampleCheck(example, expectation, False,
                            f"{label}: the client has several units ({units}); say which with `for UNIT`",
                            "", f"several units ({units})")
    actual = candidates[0]
    expected_date = expectation.date if expectation.status in ("achieved", "not_achieved") else None
    expected_due = expectation.date if expectation.status == "pending" else None
    ok = (actual.status == expectation.status and actual.date == expected_date and actual.due == expected_due)
    want = _expected(expectation.status, expectation.date)
    got = _describe(actual.status, actual.date, actual.due)
    if ok:
        return ExampleCheck(example, expectation, True, f"{label}: {got}", want, got)
    reasons = " ".join(actual.reasons)
    return ExampleCheck(example, expectation, False, f"{label}: expected {want}, got {got}. {reasons}", want, got)
