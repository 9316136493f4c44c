"""`pbr pay`: payment lines, statements per provider per quarter, spend and the forecast."""

from __future__ import annotations

import contextlib
import sys

import attrs

from ..dates import as_date
from .common import (add_data_options, add_jobs_option, add_rejected_options, client_results, load_on,
                     not_the_input, open_out, set_aside, summary)


def register(command, ruleset_help: str) -> None:
    sub = command("pay", "Work out payment lines, statements and the cash-flow forecast as of a date.", _pay)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    add_data_options(sub, "the payment date, YYYY-MM-DD")
    sub.add_argument("--from", dest="from_date", metavar="DATE", help="show only lines dated on or after this day")
    sub.add_argument("--to", dest="to_date", metavar="DATE", help="show only lines dated on or before this day")
    sub.add_argument("--format", choices=["jsonl", "csv", "md", "html"], default="jsonl",
                     help="jsonl and csv: one payment line each (default jsonl); md and html: statements per "
                          "provider per quarter, spend against budgets and the cash-flow forecast")
    sub.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    sub.add_argument("--shadow", action="store_true", help='mark every output "shadow: not for payment"')
    add_rejected_options(sub)
    add_jobs_option(sub)


def _pay(args) -> int:
    from ..statements import render, write_csv
    not_the_input(args)
    day = as_date(args.as_of)
    ruleset = load_on(args, day)
    from_date = as_date(args.from_date, "--from date") if args.from_date else None
    to_date = as_date(args.to_date, "--to date") if args.to_date else None
    if not ruleset.checked.payments.pays:
        print(f"pbr: {ruleset.ref} has no tariffs or fees: nothing is paid", file=sys.stderr)
    counts = {"evaluated": 0, "rejected": 0}
    with contextlib.ExitStack() as stack:
        items = client_results(stack, ruleset, args.data, day, args.jobs, _needed_to_pay)
        error_out = stack.enter_context(open_out(args.errors)) if args.errors else None
        run = ruleset.pay_results(set_aside(items, error_out, counts), day, from_date, to_date, args.shadow)
        out = stack.enter_context(open_out(args.out))
        if args.format == "jsonl":
            for line in run.json_lines():
                out.write(line + "\n")
        elif args.format == "csv":
            write_csv(run, out)
        else:
            out.write(render(run, args.format, set_aside=counts["rejected"]))
    return summary(args, counts, "paid")


def _needed_to_pay(result):
    """What a worker sends back of a client's result: its payment lines, forecast, family parts and cohort memberships (not its result rows)."""
    return attrs.evolve(result, rows=())
