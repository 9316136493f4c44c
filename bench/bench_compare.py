"""Benchmark: `pbr compare national wigan` end to end, beside `pbr evaluate` of each ruleset.

    python bench/bench_compare.py [--clients 20000] [--seed 2026] [--as-of 2014-06-30] [--repeat 3]

Writes a synthetic cohort (`pbr cohort`) to a temporary file, then times, as separate processes,
interleaved, --repeat times each:
  - `pbr evaluate national --data FILE --as-of DATE` (results as JSON Lines),
  - `pbr evaluate wigan --data FILE --as-of DATE`,
  - `pbr compare national wigan --data FILE --as-of DATE` (the counts table),
  - `pbr compare national wigan --data FILE --as-of DATE --format jsonl` (the results that differ).
Everything a user waits for is inside: start-up, parser build, loading both rulesets, reading,
validating under each, evaluating under each, writing. Reported: the median wall time of each and
clients per second, and `compare / (evaluate national + evaluate wigan)`: below 1, the shadow run
costs less than evaluating twice (it reads and parses each client once and writes less).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_pay import PBR, timed  # the same way of running and timing a whole process


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", default="2014-06-30")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        data, out = Path(folder) / "cohort.jsonl", Path(folder) / "out"
        subprocess.run(PBR + ["cohort", "--clients", str(args.clients), "--seed", str(args.seed), "--out", str(data)],
                       check=True, stderr=subprocess.DEVNULL)
        on_data = ["--data", str(data), "--as-of", args.as_of]
        commands = {
            "evaluate national": PBR + ["evaluate", "national", *on_data],
            "evaluate wigan": PBR + ["evaluate", "wigan", *on_data],
            "compare (table)": PBR + ["compare", "national", "wigan", *on_data],
            "compare (jsonl)": PBR + ["compare", "national", "wigan", *on_data, "--format", "jsonl"],
        }
        times: dict = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so a slow spell of the machine hits all alike
            for name, command in commands.items():
                times[name].append(timed(command, out))

    medians = {name: statistics.median(values) for name, values in times.items()}
    n = args.clients
    print(f"national@1.0.0 and wigan@1.0.0, {n} synthetic clients (seed {args.seed}), as of {args.as_of}, "
          f"median of {args.repeat} interleaved runs, each a whole process")
    for name, seconds in medians.items():
        print(f"  {name:18} {seconds:7.2f} s  {n / seconds:10,.0f} clients/s")
    both = medians["evaluate national"] + medians["evaluate wigan"]
    print(f"compare / (evaluate national + evaluate wigan): {medians['compare (table)'] / both:.2f} "
          "(below 1: the shadow run costs less than evaluating twice)")
    print(f"compare / evaluate national: {medians['compare (table)'] / medians['evaluate national']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
