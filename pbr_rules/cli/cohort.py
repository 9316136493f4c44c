"""`pbr cohort`: a seeded synthetic cohort in the national input format."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UsageError
from .common import EXIT_OK, open_out


def register(command, ruleset_help: str) -> None:
    sub = command("cohort", "Write a seeded synthetic cohort in the national input format.", _cohort)
    sub.add_argument("--clients", type=int, required=True, metavar="N")
    sub.add_argument("--seed", type=int, default=1, metavar="S")
    sub.add_argument("--out", metavar="PATH", help="default: standard output (jsonl only)")
    sub.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                     help="jsonl: one client per line (default); csv: a folder of CSV extracts at --out")
    sub.add_argument("--for", dest="ruleset", metavar="RULESET",
                     help="also fill the pilot fields this ruleset's client record has (family, family_sessions, "
                          "complexity_audit, modality_changes), so its local outcomes get exercised (jsonl only)")

def _cohort(args) -> int:
    from ..cohort import write
    if args.clients < 0:
        raise UsageError("--clients must be 0 or more")
    if args.format == "csv":
        if args.ruleset:
            raise UsageError("--for writes JSON Lines only", hint="leave out --format csv")
        if not args.out:
            raise UsageError("--format csv writes a folder: give it with --out DIR")
        from ..cohort import write_csv
        count = write_csv(args.clients, args.seed, Path(args.out))
        print(f"pbr: wrote {count} clients to {args.out}/", file=sys.stderr)
        return EXIT_OK
    extras = ()
    if args.ruleset:
        from ..cohort import extras_for
        from ..evaluate import load
        extras = extras_for(load(args.ruleset, args.rulesets).checked.schema.records["client"].fields)
    with open_out(args.out) as out:
        count = write(args.clients, args.seed, out, extras=extras)
    if args.out:
        print(f"pbr: wrote {count} clients to {args.out}", file=sys.stderr)
    return EXIT_OK
