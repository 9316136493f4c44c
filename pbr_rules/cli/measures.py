"""`pbr measures`: every cohort measure of a ruleset over the clients, as of a date."""

from __future__ import annotations

import contextlib
import sys

import attrs

from ..dates import as_date
from ..words import did_you_mean
from ..errors import UsageError
from .common import (add_data_options, add_jobs_option, add_rejected_options, client_results, load_on,
                     not_the_input, open_out, set_aside, summary)


def register(command, ruleset_help: str) -> None:
    sub = command("measures", "Work out the ruleset's cohort measures over the clients as of a date.", _measures)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    add_data_options(sub, "the date to measure as of, YYYY-MM-DD")
    sub.add_argument("--format", choices=["jsonl", "table"], default="jsonl",
                     help="jsonl: one JSON object per measure (default); table: one row per measure, "
                          "then each measure's reasons")
    sub.add_argument("--measure", action="append", metavar="ID",
                     help="only this measure; repeat it for several")
    sub.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    add_rejected_options(sub)
    add_jobs_option(sub)


def _measures(args) -> int:
    not_the_input(args)
    day = as_date(args.as_of)
    ruleset = load_on(args, day)
    wanted = _chosen(args.measure, ruleset)
    if not ruleset.measure_names:
        print(f"pbr: {ruleset.ref} has no cohort measures", file=sys.stderr)
    counts = {"evaluated": 0, "rejected": 0}
    with contextlib.ExitStack() as stack:
        items = client_results(stack, ruleset, args.data, day, args.jobs, _needed_to_measure)
        error_out = stack.enter_context(open_out(args.errors)) if args.errors else None
        run = ruleset.measure_results(set_aside(items, error_out, counts), day).only(wanted)
        run = attrs.evolve(run, set_aside=counts["rejected"])
        out = stack.enter_context(open_out(args.out))
        if args.format == "jsonl":
            for line in run.to_json_lines():
                out.write(line + "\n")
        else:
            out.write(f"{run.ruleset}, as of {run.as_of}\n\n" + run.table() + run.reasons_text())
    return summary(args, counts, "measured")


def _chosen(values, ruleset) -> list[str]:
    known = ruleset.measure_names
    asked = [name.strip() for value in values or () for name in value.split(",") if name.strip()]
    for name in asked:
        if name not in known:
            raise UsageError(f"{ruleset.ref} has no measure `{name}`",
                             hint=did_you_mean(name, known) or f"its measures are: {', '.join(known) or 'none'}")
    return asked or known


def _needed_to_measure(result):
    """What a worker sends back of a client's result: its cohort memberships (not its result rows)."""
    return attrs.evolve(result, rows=(), lines=(), forecast=(), families=())
