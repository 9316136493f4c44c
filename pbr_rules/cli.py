"""The `pbr` command line.

Exit codes: 0 ok; 1 the rules have errors or examples fail; 2 bad usage (a bad flag, an unknown
ruleset or data file, a bad date, or with --strict a client set aside); 3 a bug in pbr_rules.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

from . import compare, diff, runtime
from .errors import DataError, InternalError, RulesetError, RulesetNotFound, UsageError
from .evaluate import Rejected, as_date, load
from .examples import run_examples
from .resolve import RulesetLibrary
from .values import format_money

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except InternalError as error:
        _print_error(error)
        return EXIT_BUG
    except RulesetNotFound as error:
        _print_error(error)
        return EXIT_USAGE
    except RulesetError as error:
        _print_error(error)
        return EXIT_FAILED
    except (UsageError, DataError) as error:
        _print_error(error)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug in pbr_rules: say so, and show where only on request
        print(f"pbr: {InternalError(f'{type(error).__name__}: {error}')}", file=sys.stderr)
        if os.environ.get("PBR_DEBUG"):
            raise
        print("pbr: set PBR_DEBUG=1 to see the Python traceback", file=sys.stderr)
        return EXIT_BUG


def _print_error(error) -> None:
    """Positioned errors as `file:line:col: error: ...`; the others as `pbr: error: ...`."""
    print(str(error) if getattr(error, "span", None) else f"pbr: {error}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pbr", description="Outcome rules for payment by results: check rulesets, run their "
        "examples, evaluate client records as of a date and explain the results.")
    parser.add_argument("--version", action="version", version=f"pbr_rules {_version()}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name, help_text, run):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=run, command=name)
        sub.add_argument("--rulesets", action="append", default=[], metavar="DIR",
                         help="a folder of rulesets (NAME/VERSION.pbr) searched before the shipped ones")
        return sub

    ruleset_help = "a .pbr file, NAME@VERSION, or NAME (its latest version)"
    sub = command("check", "Parse and check rulesets; report every mistake with its place.", _check)
    sub.add_argument("rulesets_to_check", nargs="+", metavar="RULESET", help=ruleset_help)

    sub = command("test", "Run the examples written in rulesets (all shipped rulesets by default).", _test)
    sub.add_argument("rulesets_to_test", nargs="*", metavar="RULESET", help=ruleset_help)
    sub.add_argument("-v", "--verbose", action="store_true", help="list passing examples too")

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

    _pay_parser(command, ruleset_help)
    diff.register(command, ruleset_help)
    compare.register(command, ruleset_help)

    sub = command("explain", "Show how every result for one client was reached.", _explain)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    sub.add_argument("--data", required=True, metavar="PATH", help="client records: JSON Lines, or a folder of CSV extracts")
    sub.add_argument("--client", required=True, metavar="ID", help="the client's id")
    sub.add_argument("--as-of", required=True, metavar="DATE", help="the evaluation date, YYYY-MM-DD")

    sub = command("cohort", "Write a seeded synthetic cohort in the national input format.", _cohort)
    sub.add_argument("--clients", type=int, required=True, metavar="N")
    sub.add_argument("--seed", type=int, default=1, metavar="S")
    sub.add_argument("--out", metavar="PATH", help="default: standard output (jsonl only)")
    sub.add_argument("--format", choices=["jsonl", "csv"], default="jsonl",
                     help="jsonl: one client per line (default); csv: a folder of CSV extracts at --out")
    return parser


def _pay_parser(command, ruleset_help: str) -> None:
    sub = command("pay", "Work out payment lines, statements and the cash-flow forecast as of a date.", _pay)
    sub.add_argument("ruleset", metavar="RULESET", help=ruleset_help)
    sub.add_argument("--data", required=True, metavar="PATH",
                     help="client records: JSON Lines ('-': stdin), or a folder of CSV extracts")
    sub.add_argument("--as-of", required=True, metavar="DATE", help="the payment date, YYYY-MM-DD")
    sub.add_argument("--from", dest="from_date", metavar="DATE", help="show only lines dated on or after this day")
    sub.add_argument("--to", dest="to_date", metavar="DATE", help="show only lines dated on or before this day")
    sub.add_argument("--format", choices=["jsonl", "csv", "md", "html"], default="jsonl",
                     help="jsonl and csv: one payment line each (default jsonl); md and html: statements per "
                          "provider per quarter, spend against budgets and the cash-flow forecast")
    sub.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    sub.add_argument("--shadow", action="store_true", help='mark every output "shadow: not for payment"')
    sub.add_argument("--errors", metavar="FILE",
                     help="write rejected records here as JSON Lines (default: described on standard error)")
    sub.add_argument("--strict", action="store_true", help="exit with 2 if any client was set aside")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pbr_rules")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"


# ---- commands ---------------------------------------------------------------------------------
def _load_or_report(ref: str, folders: list):
    """The loaded ruleset, or None after printing its errors (an unknown ruleset is a usage error)."""
    try:
        return load(ref, folders)
    except RulesetNotFound:
        raise
    except RulesetError as error:
        _print_error(error)
        return None


def _check(args) -> int:
    failed = False
    for ref in args.rulesets_to_check:
        ruleset = _load_or_report(ref, args.rulesets)
        if ruleset is None:
            failed = True
            continue
        resolved = ruleset.checked.resolved
        overrides = resolved.own_overrides
        extra = f", {len(overrides)} override(s)" if overrides else ""
        print(f"{ruleset.ref}: ok ({len(resolved.outcomes)} outcomes, {len(resolved.examples)} examples{extra})")
    return EXIT_FAILED if failed else EXIT_OK


def _all_shipped(library: RulesetLibrary) -> list[str]:
    return [f"{name}@{version}" for name in library.names() for version in library.versions(name)]


def _test(args) -> int:
    library = RulesetLibrary(args.rulesets)
    refs = args.rulesets_to_test or _all_shipped(library)
    passed = failed = 0
    for ref in refs:
        ruleset = _load_or_report(ref, args.rulesets)
        if ruleset is None:
            failed += 1
            continue
        report = run_examples(ruleset)
        for check in report.checks:
            if not check.passed:
                print(f"FAIL {check.describe()}")
            elif args.verbose:
                print(f"ok   {ruleset.ref}: {check.example.title}: {check.message}")
        print(f"{ruleset.ref}: {report.passed} passed, {report.failed} failed")
        passed += report.passed
        failed += report.failed
    print(f"{passed} passed, {failed} failed")
    return EXIT_FAILED if failed else EXIT_OK


@contextlib.contextmanager
def _open_in(path: str):
    # bytes: the reader decodes line by line, so one bad line is set aside, not the whole file
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise UsageError(f"cannot read the data file {path}: {error.strerror}") from None
    with handle:
        yield handle


@contextlib.contextmanager
def _open_out(path: str | None):
    if path is None:
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8", newline="")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None
    with handle:
        yield handle


CSV_COLUMNS = ["client", "ruleset", "as_of", "outcome", "unit", "status", "date", "due", "amount", "reasons"]


def _read_data(stack: contextlib.ExitStack, ruleset, path: str, day):
    """ClientResults and Rejecteds for every client in a JSON Lines file or a CSV folder."""
    if Path(path).is_dir():
        return ruleset.evaluate_folder(path, day)
    data = stack.enter_context(_open_in(path))
    return ruleset.evaluate_lines(data, day, source="<stdin>" if path == "-" else path)


def _set_aside(items, error_out, counts: dict):
    """The evaluated clients; each rejected one is reported (to --errors or standard error)."""
    for item in items:
        if isinstance(item, Rejected):
            counts["rejected"] += 1
            for error in item.errors:
                if error_out is not None:
                    error_out.write(json.dumps(error.to_json(), ensure_ascii=False) + "\n")
                else:
                    print(f"rejected: {error}", file=sys.stderr)
        else:
            counts["evaluated"] += 1
            yield item


def _summary(args, counts: dict, done: str) -> int:
    rejected = counts["rejected"]
    where = f" (see {args.errors})" if args.errors and rejected else ""
    read = counts["evaluated"] + rejected
    print(f"pbr: {read} client{'s' if read != 1 else ''} read: {counts['evaluated']} {done}, {rejected} set aside"
          f"{where}", file=sys.stderr)
    return EXIT_USAGE if (args.strict and rejected) else EXIT_OK


def _not_the_input(args) -> None:
    """Writing the output over the data being read would destroy it."""
    for name in ("out", "errors"):
        target = getattr(args, name, None)
        if target and args.data != "-" and Path(target).resolve() == Path(args.data).resolve():
            raise UsageError(f"--{name} {target} is the data file being read: writing there would destroy it",
                             hint=f"give --{name} another file")


def _evaluate(args) -> int:
    _not_the_input(args)
    ruleset = load(args.ruleset, args.rulesets)
    day = as_date(args.as_of)
    counts = {"evaluated": 0, "rejected": 0}
    with contextlib.ExitStack() as stack:
        items = _read_data(stack, ruleset, args.data, day)
        out = stack.enter_context(_open_out(args.out))
        error_out = stack.enter_context(_open_out(args.errors)) if args.errors else None
        writer = _writer(args.format, out)
        for item in _set_aside(items, error_out, counts):
            writer(item)
        if args.format == "table":
            writer(None)
    return _summary(args, counts, "evaluated")


def _pay(args) -> int:
    from .statements import render, write_csv
    _not_the_input(args)
    ruleset = load(args.ruleset, args.rulesets)
    day = as_date(args.as_of)
    from_date = as_date(args.from_date, "--from date") if args.from_date else None
    to_date = as_date(args.to_date, "--to date") if args.to_date else None
    if not ruleset.checked.payments.pays:
        print(f"pbr: {ruleset.ref} has no tariffs or fees: nothing is paid", file=sys.stderr)
    counts = {"evaluated": 0, "rejected": 0}
    with contextlib.ExitStack() as stack:
        items = _read_data(stack, ruleset, args.data, day)
        error_out = stack.enter_context(_open_out(args.errors)) if args.errors else None
        run = ruleset.pay_results(_set_aside(items, error_out, counts), day, from_date, to_date, args.shadow)
        out = stack.enter_context(_open_out(args.out))
        if args.format == "jsonl":
            for data in run.to_json_lines():
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif args.format == "csv":
            write_csv(run, out)
        else:
            out.write(render(run, args.format, set_aside=counts["rejected"]))
    return _summary(args, counts, "paid")


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
        from .extracts import ExtractReader, place_errors
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
    with _open_in(path) as data:
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


def _cohort(args) -> int:
    from .cohort import write
    if args.clients < 0:
        raise UsageError("--clients must be 0 or more")
    if args.format == "csv":
        if not args.out:
            raise UsageError("--format csv writes a folder: give it with --out DIR")
        from .cohort import write_csv
        count = write_csv(args.clients, args.seed, Path(args.out))
        print(f"pbr: wrote {count} clients to {args.out}/", file=sys.stderr)
        return EXIT_OK
    with _open_out(args.out) as out:
        count = write(args.clients, args.seed, out)
    if args.out:
        print(f"pbr: wrote {count} clients to {args.out}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
