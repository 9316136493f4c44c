"""`pbr evaluate` and `pbr explain`: results for every client, and how one client's were reached."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from decimal import Decimal
from pathlib import Path

from .. import runtime
from ..errors import UsageError
from ..evaluate import as_date, load
from ..values import format_money
from .common import EXIT_OK, not_the_input, open_in, open_out, read_data, set_aside, summary


def register(command, ruleset_help: str) -> None:
    sub = command("evaluate", "Evaluate every client in a data file as of a date.", _evaluate)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    sub.add_argument("--data", required=True, metavar="PATH",
                     help="client records: JSON Lines ('-': stdin), or a folder of CSV extracts")
    sub.add_argument("--as-of", required=True, metavar="DATE", help="the evaluation date, YYYY-MM-DD")
    sub.add_argument("--out", metavar="FILE", help="write results here (default: standard output)")
    sub.add_argument("--format", choices=["jsonl", "csv", "table"], default="jsonl",
                     help="jsonl: one JSON object per client (default); csv and table: one row per result")
    sub.add_argument("--errors", metavar="FILE",
                     help="write rejected records here as JSON Lines (default: described on standard error)")
    sub.add_argument("--strict", action="store_true", help="exit with 2 if any client was set aside")

    sub = command("explain", "Show how every result for one client was reached.", _explain)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    sub.add_argument("--data", required=True, metavar="PATH", help="client records: JSON Lines, or a folder of CSV extracts")
    sub.add_argument("--client", required=True, metavar="ID", help="the client's id")
    sub.add_argument("--as-of", required=True, metavar="DATE", help="the evaluation date, YYYY-MM-DD")


CSV_COLUMNS = ["client", "ruleset", "as_of", "outcome", "unit", "status", "date", "due", "amount", "reasons"]


def _evaluate(args) -> int:
    not_the_input(args)
    ruleset = load(args.ruleset, args.rulesets)
    day = as_date(args.as_of)
    counts = {"evaluated": 0, "rejected": 0}
    with contextlib.ExitStack() as stack:
        items = read_data(stack, ruleset, args.data, day)
        out = stack.enter_context(open_out(args.out))
        error_out = stack.enter_context(open_out(args.errors)) if args.errors else None
        writer = _writer(args.format, out)
        for item in set_aside(items, error_out, counts):
            writer(item)
        if args.format == "table":
            writer(None)
    return summary(args, counts, "evaluated")


def _writer(fmt: str, out):
    if fmt == "jsonl":
        def write(result):
            out.write(result.to_json_line() + "\n")
        return write
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)

        def write(result):
            for row in _rows(result):
                writer.writerow(row)
        return write
    rows: list = []

    def write(result):
        if result is not None:
            rows.extend(_rows(result, with_reasons=False))
            return
        header = [c for c in CSV_COLUMNS if c not in ("ruleset", "as_of", "amount", "reasons")]
        table = [header] + [[r[0], r[3], r[4], r[5], r[6], r[7]] for r in rows]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        for row in table:
            out.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
    return write


def _rows(result, with_reasons: bool = True):
    data = result.to_json()
    if not data["results"]:
        yield [data["client"], data["ruleset"], data["as_of"], "", "", "", "", "", "", ""]
    for r in data["results"]:
        yield [data["client"], data["ruleset"], data["as_of"], r["outcome"], r["unit"], r["status"],
               r["date"] or "", r["due"] or "", r["amount"] or "",
               " | ".join(r["reasons"]) if with_reasons else ""]


def _explain(args) -> int:
    ruleset = load(args.ruleset, args.rulesets)
    day = as_date(args.as_of)
    raw = _find_client(args.data, args.client, ruleset)
    result, sections = ruleset.explain(raw, day)
    print(f"Client {result.client} under {ruleset.ref}, as of {day.isoformat()}")
    sources = ruleset.checked.resolved.sources
    for outcome, results, trace in sections:
        print()
        print(f"{outcome.name}: {outcome.title}")
        file_lines = sources.get(outcome.span.file, [])
        for step in trace:
            if step.kind == "unit":
                print(f"  {step.name}:")
                continue
            text = file_lines[step.line - 1].strip() if 0 < step.line <= len(file_lines) else ""
            if step.kind == "rule":
                verdict = {True: "applies", False: "does not apply", None: "cannot be decided yet"}[step.value]
                print(f"    line {step.line}: {text}  -> {verdict}")
            else:
                print(f"    line {step.line}: {step.name} = {runtime.show(step.value)}")
        for r in results:
            when = f" on {r.date}" if r.date else (f", due {r.due}" if r.due else "")
            paid = f" ({format_money(r.amount)} payable)" if r.amount is not None else ""
            print(f"  => {r.unit}: {r.status}{when}{paid}")
            for reason in r.reasons:
                print(f"       {reason}")
            for line in result.lines:
                if line.item == outcome.name and line.unit == r.unit:
                    print(f"       payment before caps: {line.instalment or 'in full'} {line.status} {format_money(line.paid)} "
                          f"on {line.date} to {line.provider}; {' '.join(line.reasons[1:]) or line.reasons[0]}")
    return EXIT_OK


def _find_client(path: str, client_id: str, ruleset=None) -> dict:
    """The raw record of one client; `explain` validates it and reports what is wrong."""
    if Path(path).is_dir():
        from ..extracts import ExtractReader, place_errors
        for client, origins, problems in ExtractReader(ruleset.checked.schema).read(path):
            if client.get("id") == client_id:
                problems = problems or place_errors(ruleset.reader.normalise(client)[1], origins)
                for problem in problems:
                    print(f"rejected: {problem}", file=sys.stderr)
                if problems:
                    raise UsageError(f"client {client_id} is not valid data (see above)")
                return client
        raise UsageError(f"no client {client_id} in {path}")
    wanted = client_id.encode("utf-8")
    with open_in(path) as data:
        for number, line in enumerate(data, 1):
            if wanted not in line:
                continue
            try:
                record = json.loads(line.decode("utf-8"), parse_float=Decimal)
            except UnicodeDecodeError:
                raise UsageError(f"line {number} of {path}, which mentions {client_id}, is not UTF-8 text") from None
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("id") == client_id:
                return record
    raise UsageError(f"no client {client_id} in {path}")
