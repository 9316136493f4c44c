"""The `pbr` command line.

Exit codes: 0 ok; 1 the rules have errors or examples fail; 2 bad usage (a bad flag, an unknown
ruleset or data file, a bad date, or with --strict a client set aside); 3 a bug in pbr_rules.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from ..errors import DataError, InternalError, RulesetError, RulesetNotFound, UsageError
from . import cohort, compare, diff, docs, evaluate, measures, pay, rules
from .common import EXIT_BUG, EXIT_FAILED, EXIT_OK, EXIT_USAGE, print_error


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: files being written are left unwritten, and the exit says so."""

    exit_code = 143


def _terminated(signum, frame) -> None:
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():  # only the main thread takes signals
        return _main(argv)
    before = signal.signal(signal.SIGTERM, _terminated)
    try:
        return _main(argv)
    finally:
        signal.signal(signal.SIGTERM, before)


def _main(argv: list[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except InternalError as error:
        print_error(error)
        return EXIT_BUG
    except RulesetNotFound as error:
        print_error(error)
        return EXIT_USAGE
    except RulesetError as error:
        print_error(error)
        return EXIT_FAILED
    except (UsageError, DataError) as error:
        print_error(error)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt as interrupted:
        return getattr(interrupted, "exit_code", 130)
    except Exception as error:  # a bug in pbr_rules: say so, and show where only on request
        print(f"pbr: {InternalError(f'{type(error).__name__}: {error}')}", file=sys.stderr)
        if os.environ.get("PBR_DEBUG"):
            raise
        print("pbr: set PBR_DEBUG=1 to see the Python traceback", file=sys.stderr)
        return EXIT_BUG


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

    ruleset_help = ("a .pbr file, NAME@VERSION, or NAME (the version in force on the as-of date; "
                    "where a command has no date, the latest)")
    for module in (rules, evaluate, pay, measures, diff, compare, docs, cohort):
        module.register(command, ruleset_help)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pbr_rules")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"
