"""`pbr compare`: the shadow run of two rulesets on the same clients (docs/compare.md)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from ..dates import as_date
from .common import (add_data_options, add_rejected_options, load_on, not_the_input, open_in, open_out,
                     set_aside, summary)


def register(command, ruleset_help: str) -> None:
    """Add `pbr compare` to the command line (``command`` is the subcommand factory)."""
    sub = command("compare", "Run two rulesets on the same clients and show what changes (a shadow run).", _compare)
    sub.add_argument("a", metavar="A", help=f"the ruleset compared from: {ruleset_help}")
    sub.add_argument("b", metavar="B", help=f"the ruleset compared to: {ruleset_help}")
    add_data_options(sub)
    sub.add_argument("--format", choices=["table", "jsonl"], default="table",
                     help="table: counts per outcome and status under A and B, and the money (default); "
                          "jsonl: one object per result that differs (with --out, the table still goes to "
                          "standard output)")
    sub.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    add_rejected_options(sub)


def _compare(args) -> int:
    not_the_input(args)
    day = as_date(args.as_of)
    from ..compare import ShadowRun, ShadowSummary, results_differ
    run = ShadowRun(load_on(args, day, args.a), load_on(args, day, args.b), day)
    shadow = ShadowSummary(run)
    counts = {"evaluated": 0, "rejected": 0}
    with contextlib.ExitStack() as stack:
        if Path(args.data).is_dir():
            items = run.compare_folder(args.data)
        else:
            source = "<stdin>" if args.data == "-" else args.data
            items = run.compare_lines(stack.enter_context(open_in(args.data)), source)
        error_out = stack.enter_context(open_out(args.errors)) if args.errors else None
        out = stack.enter_context(open_out(args.out))
        for item in set_aside(items, error_out, counts):
            shadow.add(item)
            if args.format == "jsonl":
                for difference in item.differences:
                    out.write(json.dumps(difference.to_json((run.a.ref, run.b.ref)), ensure_ascii=False) + "\n")
        shadow.set_aside = counts["rejected"]
        if args.format == "table":
            out.write(shadow.table())
        elif args.out is not None:
            sys.stdout.write(shadow.table())
    where = f" (see {args.out})" if args.format == "jsonl" and args.out and shadow.differences else ""
    print(f"pbr: {results_differ(shadow.differences)} between "
          f"{run.a.ref} and {run.b.ref}{where}", file=sys.stderr)
    return summary(args, counts, "compared")

