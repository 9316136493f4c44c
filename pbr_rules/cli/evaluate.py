"""`pbr evaluate` and `pbr explain`: results for every client, and how one client's were reached."""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from .. import runtime
from ..errors import UsageError
from ..dates import as_date
from ..values import format_money
from .common import (EXIT_OK, add_data_options, add_outcome_option, add_rejected_options, chosen_outcomes, evaluated,
                     add_jobs_option, load_on, not_the_input, open_in, open_out, set_aside, summary)

if TYPE_CHECKING:  # imported where it is used: a command's start need not load the results stage
    from ..counts import Tally


def register(command, ruleset_help: str) -> None:
    sub = command("evaluate", "Evaluate every client in a data file as of a date.", _evaluate)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    add_data_options(sub)
    sub.add_argument("--out", metavar="FILE", help="write results here (default: standard output)")
    sub.add_argument("--format", choices=["jsonl", "csv", "table"],
                     help="jsonl: one JSON object per client (default); csv and table: one row per result "
                          "(the table ends with the counts of --summary)")
    sub.add_argument("--summary", action="store_true",
                     help="write only the counts of results per outcome and status, instead of the results")
    add_outcome_option(sub, "evaluate and write")
    add_rejected_options(sub)
    add_jobs_option(sub)

    sub = command("explain", "Show how every result for one client was reached.", _explain)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    sub.add_argument("--data", required=True, metavar="PATH", help="client records: JSON Lines, or a folder of CSV extracts")
    sub.add_argument("--client", required=True, metavar="ID", help="the client's id")
    sub.add_argument("--as-of", required=True, metavar="DATE", help="the evaluation date, YYYY-MM-DD")
    add_outcome_option(sub, "explain")
    sub.add_argument("--docs-url", metavar="URL",
                     help="where the site of `pbr docs` is published: each outcome's results then link to its rules "
                          "there (URL/RULESET-VERSION.html#outcome-NAME)")


CSV_COLUMNS = ["client", "ruleset", "as_of", "outcome", "unit", "status", "date", "due", "amount", "reasons"]


def _evaluate(args) -> int:
    not_the_input(args)
    fmt = _output_format(args)
    day = as_date(args.as_of)
    ruleset = load_on(args, day)
    outcomes = chosen_outcomes(args.outcome, ruleset)
    wanted = frozenset(outcomes) if len(outcomes) < len(ruleset.outcome_names) else None
    counts = {"evaluated": 0, "rejected": 0}
    from ..counts import Tally
    tally = Tally() if fmt in ("table", "summary") else None
    table_rows: list = []
    with contextlib.ExitStack() as stack:
        items = evaluated(stack, ruleset, args.data, day, _renderer(fmt, wanted), args.jobs)
        out = stack.enter_context(open_out(args.out))
        error_out = stack.enter_context(open_out(args.errors)) if args.errors else None
        write = _bytes_writer(out)
        if fmt == "csv":
            write(_csv_text([CSV_COLUMNS]).encode("utf-8"))
        for item in set_aside(items, error_out, counts):
            if tally is None:
                write(item.rendered)
                continue
            tally.add(item.rendered)
            if fmt == "table":
                table_rows.extend(_rows(item.rendered, with_reasons=False))
        if fmt == "table":
            _write_table(out, table_rows)
            out.write("\n")
        if tally is not None:
            out.write(counts_at_a_glance(tally, outcomes, ruleset.ref, day))
    return summary(args, counts, "evaluated")


def _renderer(fmt: str, wanted):
    """What is written for a client's result (it runs where the client was evaluated: with --jobs,
    in a worker): its JSON line or CSV rows as UTF-8, or, for the table and counts, the result itself."""
    def only(result):
        return result if wanted is None else result.only(wanted)

    if fmt == "jsonl":
        return lambda result: (only(result).to_json_line() + "\n").encode("utf-8")
    if fmt == "csv":
        return lambda result: _csv_text(_rows(only(result))).encode("utf-8")
    return only


def _bytes_writer(out):
    """Writes UTF-8 bytes to a text stream's buffer, after what was written to it as text (a
    stream without one, such as an io.StringIO standing in for standard output, gets the text)."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        return lambda data: out.write(data.decode("utf-8"))
    out.flush()
    return buffer.write


def _csv_text(rows) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(rows)
    return text.getvalue()


def _write_table(out, rows: list) -> None:
    header = [c for c in CSV_COLUMNS if c not in ("ruleset", "as_of", "amount", "reasons")]
    table = [header] + [[r[0], r[3], r[4], r[5], r[6], r[7]] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        out.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def _output_format(args) -> str:
    """jsonl, csv, table, or summary (--summary: the counts alone, written where results would be)."""
    if not args.summary:
        return args.format or "jsonl"
    if args.format not in (None, "table"):
        raise UsageError(f"--summary writes a table of counts, not {args.format}",
                         hint=f"leave out --format {args.format} for the counts, or --summary for every result")
    return "summary"


def counts_at_a_glance(tally: Tally, outcomes: list[str], ref: str, day) -> str:
    """The counts per outcome and status, under a line naming the ruleset version and the date."""
    from ..counts import tally_table
    clients = f"{tally.clients} client{'s' if tally.clients != 1 else ''}"
    return f"{clients} under {ref} as of {day.isoformat()}\n" + tally_table(tally, outcomes)


def _rows(result, with_reasons: bool = True):
    data = result.to_json()
    if not data["results"]:
        yield [data["client"], data["ruleset"], data["as_of"], "", "", "", "", "", "", ""]
    for r in data["results"]:
        yield [data["client"], data["ruleset"], data["as_of"], r["outcome"], r["unit"], r["status"],
               r["date"] or "", r["due"] or "", r["amount"] or "",
               " | ".join(r["reasons"]) if with_reasons else ""]


def _explain(args) -> int:
    day = as_date(args.as_of)
    ruleset = load_on(args, day)
    outcomes = chosen_outcomes(args.outcome, ruleset)
    raw = _find_client(args.data, args.client, ruleset)
    result, sections = ruleset.explain(raw, day)
    print(f"Client {result.client} under {ruleset.ref}, as of {day.isoformat()}")
    unseen = ruleset.reader.unseen(ruleset.prepare(raw), day)
    if unseen:
        print(f"Not visible on {day.isoformat()}, so the rules do not see it:")
        for hidden in unseen:
            print(f"  {hidden.words}")
    files = ruleset.checked.resolved.file_names()
    for outcome, results, trace in sections:
        if outcome.name in outcomes:
            print()
            _explain_outcome(ruleset, outcome, results, trace, files)
            _explain_results(result, outcome, results)
            if args.docs_url:
                from ..docs.pages import outcome_url  # only here: the docs stage is not needed to explain
                print(f"  the rules: {outcome_url(args.docs_url, ruleset.ref, outcome.name)}")
    if not args.outcome:  # --outcome asks about outcomes only
        _explain_members(ruleset, result)
    return EXIT_OK


def _explain_members(ruleset, result) -> None:
    """The client's part in each cohort measure (the measure itself is over every client: `pbr measures`)."""
    members = {member.measure: member for member in result.members}
    for name, spec in ruleset.checked.measures.items():
        print()
        print(f"measure {name}: {spec.measure.title}")
        member = members.get(name)
        if member is None or not member.is_member:
            print(f"  not a member: no {spec.record} whose {spec.dated_by} is from {spec.first} to {spec.last}"
                  + (" and meets the cohort's condition" if spec.measure.cohort.condition is not None else ""))
            continue
        unit = f" ({spec.record} {member.unit})" if member.unit else ""
        state = (f"closed on {member.closes}: the value is final" if member.settled
                 else f"open until {member.closes}: the value so far")
        print(f"  member from {member.start}{unit}; period {state}: {runtime.show(member.value)}")


def _explain_outcome(ruleset, outcome, results, trace, files: dict) -> None:
    """The outcome's heading, the fields its lines read, and every step, each at its file and line."""
    from ..results import TraceKind
    source = outcome.span.file
    place = files.get(source, source)
    file_lines = ruleset.checked.resolved.sources.get(source, [])
    print(f"{outcome.name}: {outcome.title} ({place}:{outcome.span.line})")
    reads = next((step.value for step in trace if step.kind is TraceKind.READS), ())
    if reads:
        print("  reads " + "; ".join(f"{record}: {', '.join(fields)}" for record, fields in reads))
    shown_fields = {field for _, fields in reads for field in fields}
    for step in trace:
        if step.kind is TraceKind.READS:
            continue
        if step.kind is TraceKind.UNIT:
            print(f"  {step.name}:")
            continue
        text = file_lines[step.line - 1].strip() if 0 < step.line <= len(file_lines) else ""
        if step.kind is TraceKind.RULE:
            verdict = {True: "applies", False: "does not apply", None: "cannot be decided yet"}[step.value]
            print(f"    {place}:{step.line}: {text}  -> {verdict}")
        else:
            print(f"    {place}:{step.line}: {step.name} = {_shown(step.value, shown_fields)}")


def _explain_results(result, outcome, results) -> None:
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


def _shown(value, fields: set) -> str:
    """A bound value as `explain` shows it: a record with the fields the outcome reads, maps included
    (runtime.show, for reasons, leaves out every field that is a table, like days_used)."""
    if isinstance(value, list):
        return "; ".join(_shown(item, fields) for item in value) or "none"
    if not isinstance(value, dict) or value.get("id") is not None or not isinstance(value.get("date"), datetime.date):
        return runtime.show(value)
    described = ", ".join(f"{name} {_shown_field(value[name])}" for name in value
                          if name in fields and name != "date" and value[name] is not None)
    return f"the record of {value['date'].isoformat()}" + (f" ({described})" if described else "")


def _shown_field(value) -> str:
    if isinstance(value, dict):  # a map: days_used (opiates 0, crack 3)
        return "(" + (", ".join(f"{key} {runtime.show(count)}" for key, count in value.items()) or "none") + ")"
    return runtime.show(value)


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
