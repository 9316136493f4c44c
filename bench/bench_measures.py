"""Benchmark: `pbr measures` end to end, beside `pbr evaluate` and a hand-written script.

    python bench/bench_measures.py [--clients 20000] [--seed 2026] [--as-of 2014-06-30] [--repeat 3]

Writes a synthetic cohort (`pbr cohort`) to a temporary file, then times, as separate processes,
interleaved, --repeat times each:
  - `pbr evaluate national` and `pbr evaluate bracknell@1.0.0` (every outcome; bracknell also
    finds each client's membership of its measure),
  - `pbr measures bracknell@1.0.0` (one measure: offending_reduction),
  - `pbr measures wigan@1.1.0` (eight share measures, each member's value worked out again as of
    the day its period closed),
  - bench/baseline_measure.py: the Bracknell measure by hand in plain Python.
Everything a user waits for is inside: start-up, parser build, loading, reading, validating,
evaluating, writing. Reported: median wall time and clients per second of each.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import PBR, arguments, median_times_on_cohort, report

BASELINE = [sys.executable, str(Path(__file__).resolve().parent / "baseline_measure.py")]


def main(argv=None) -> int:
    args = arguments(__doc__, argv)
    medians = median_times_on_cohort(args, lambda data, on_data: {
        "evaluate national": PBR + ["evaluate", "national", *on_data],
        "evaluate bracknell": PBR + ["evaluate", "bracknell@1.0.0", *on_data],
        "measures bracknell": PBR + ["measures", "bracknell@1.0.0", *on_data],
        "measures wigan@1.1.0": PBR + ["measures", "wigan@1.1.0", *on_data],
        "hand-written measure": BASELINE + [str(data), args.as_of],
    })

    n = args.clients
    print(f"{n} synthetic clients (seed {args.seed}), as of {args.as_of}, median of {args.repeat} interleaved runs, "
          "each a whole process")
    report(medians, n)
    print(f"measures bracknell / evaluate national: {medians['measures bracknell'] / medians['evaluate national']:.2f}")
    print(f"hand-written / measures bracknell: {medians['hand-written measure'] / medians['measures bracknell']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
