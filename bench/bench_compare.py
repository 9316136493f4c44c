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

import sys

from harness import PBR, arguments, median_times_on_cohort, report


def main(argv=None) -> int:
    args = arguments(__doc__, argv)
    medians = median_times_on_cohort(args, lambda data, on_data: {
        "evaluate national": PBR + ["evaluate", "national", *on_data],
        "evaluate wigan": PBR + ["evaluate", "wigan@1.0.0", *on_data],
        "compare (table)": PBR + ["compare", "national", "wigan@1.0.0", *on_data],
        "compare (jsonl)": PBR + ["compare", "national", "wigan@1.0.0", *on_data, "--format", "jsonl"],
    })

    n = args.clients
    print(f"national@1.0.0 and wigan@1.0.0, {n} synthetic clients (seed {args.seed}), as of {args.as_of}, "
          f"median of {args.repeat} interleaved runs, each a whole process")
    report(medians, n)
    both = medians["evaluate national"] + medians["evaluate wigan"]
    print(f"compare / (evaluate national + evaluate wigan): {medians['compare (table)'] / both:.2f} "
          "(below 1: the shadow run costs less than evaluating twice)")
    print(f"compare / evaluate national: {medians['compare (table)'] / medians['evaluate national']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
