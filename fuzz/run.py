"""Run the fuzz targets at length, count cases tried and failures, and save a minimised reproducer
of each distinct failure (docs/fuzzing.md).

    python fuzz/run.py --minutes 10 --save fuzz-findings       # every target, 10 minutes in all
    python fuzz/run.py --examples 2000 --target jsonl          # one target, 2000 cases
    python fuzz/run.py --replay fuzz-findings/plausible-1      # run a saved case again

Failures do not stop the run: each is filed under (exception type, first line of its message,
where in pbr_rules it was raised), and the table at the end gives, per target, the cases tried, how
many failed and how many distinct failures they were.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import targets as fuzz  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fuzz/run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=None,
                        help="cases per target (default: 200, or no limit with --minutes)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="time for the whole run, shared evenly between the targets")
    parser.add_argument("--target", action="append", choices=sorted(fuzz.TARGETS),
                        help="run only this target (repeat for several; default: all)")
    parser.add_argument("--save", metavar="DIR", type=Path,
                        help="write a minimised reproducer of each distinct failure to DIR/TARGET-N/")
    parser.add_argument("--shrink-seconds", type=float, default=60.0,
                        help="time spent minimising each distinct failure (default 60; 0: do not minimise)")
    parser.add_argument("--replay", nargs="+", metavar="DIR", type=Path,
                        help="run saved cases (folders written by --save) and report each")
    parser.add_argument("--verbose", action="store_true",
                        help="also list the error codes met while loading rulesets, and progress")
    args = parser.parse_args(argv)

    if args.replay:
        return _replay(args.replay)

    names = args.target or list(fuzz.TARGETS)
    examples = args.examples if args.examples is not None else (10**9 if args.minutes else 200)
    seconds = args.minutes * 60 / len(names) if args.minutes else None
    all_stats = []
    try:
        for name in names:
            fuzz.CODES.clear()
            print(f"fuzzing {name}: {fuzz.TARGETS[name].about}"
                  + (f" (up to {examples} cases)" if examples < 10**9 else "")
                  + (f" for {seconds:.0f} s" if seconds else ""), file=sys.stderr, flush=True)
            progress = _progress(args.verbose)
            stats = fuzz.run_target(fuzz.TARGETS[name], examples, seconds, on_case=progress)
            all_stats.append(stats)
            print(f"  {stats.tried} cases in {stats.seconds:.0f} s, {stats.failing} failing, "
                  f"{len(stats.distinct)} distinct; memory now {_rss_mb()} MB", file=sys.stderr, flush=True)
            if args.verbose and fuzz.CODES:
                print("  codes met: " + ", ".join(f"{code} x{n}" for code, n in fuzz.CODES.most_common()),
                      file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted: the counts so far", file=sys.stderr)
    _report(all_stats, args.save, args.shrink_seconds)
    return 1 if any(s.failing for s in all_stats) else 0


def _rss_mb() -> str:
    """This process's resident memory, in MB (Linux), to see that a long run does not grow."""
    try:
        with open("/proc/self/statm") as statm:
            import os
            return str(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20)
    except (OSError, ValueError, IndexError):
        return "?"


def _progress(verbose: bool):
    last = [time.monotonic()]

    def show(stats) -> None:
        if verbose and time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"  ... {stats.tried} cases, {stats.failing} failing, {len(stats.distinct)} distinct, "
                  f"{_rss_mb()} MB",
                  file=sys.stderr, flush=True)
    return show


def _report(all_stats: list, save: Path | None, shrink_seconds: float) -> None:
    header = ("target", "cases tried", "failing", "distinct failures", "how far the cases got")
    rows = [(s.target, str(s.tried), str(s.failing), str(len(s.distinct)),
             ", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items())) or "-") for s in all_stats]
    rows.append(("total", str(sum(s.tried for s in all_stats)), str(sum(s.failing for s in all_stats)),
                 str(sum(len(s.distinct) for s in all_stats)), ""))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for stats in all_stats:
        for number, found in enumerate(sorted(stats.distinct.values(), key=lambda f: -f.count), 1):
            failure = found.failure
            print(f"\n[{stats.target} {number}] {failure.kind}: {failure.message.strip().splitlines()[0][:200]}")
            if failure.location:
                print(f"    at {failure.location}")
            print(f"    met {found.count} time{'s' if found.count != 1 else ''}")
            case = found.case
            if shrink_seconds > 0:
                target = fuzz.TARGETS[stats.target]
                try:
                    smaller = fuzz.minimise(target, found, shrink_seconds)
                except Exception as error:  # minimising is a convenience: never lose the report
                    print(f"    (not minimised: {type(error).__name__}: {error})")
                    smaller = case
                if fuzz.still_fails(target, failure.key)(smaller):
                    case = smaller
            print("    reproducer: " + _indented(fuzz.describe(case), 24))
            if save is not None:
                folder = fuzz.save_case(case, save / f"{stats.target}-{number}", failure, stats.target)
                print(f"    saved in {folder} (run it again: python fuzz/run.py --replay {folder})")


def _indented(text: str, lines: int) -> str:
    shown = text.splitlines()
    more = f"\n        ... ({len(shown) - lines} more lines)" if len(shown) > lines else ""
    return "\n        ".join([""] + [line[:300] for line in shown[:lines]]) + more


def _replay(folders: list) -> int:
    failed = 0
    for folder in folders:
        try:
            fuzz.replay(folder)
        except (Exception, fuzz.CaseTimeout) as error:
            failed += 1
            failure = fuzz.as_failure(error)
            print(f"{folder}: FAILS: {failure}")
            print(failure.detail or "".join(traceback.format_exception(error)))
        else:
            print(f"{folder}: passes")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
