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

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_pay import PBR, timed  # the same way of running and timing a whole process

BASELINE = [sys.executable, str(Path(__file__).resolve().parent / "baseline_measure.py")]


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
            "evaluate bracknell": PBR + ["evaluate", "bracknell@1.0.0", *on_data],
            "measures bracknell": PBR + ["measures", "bracknell@1.0.0", *on_data],
            "measures wigan@1.1.0": PBR + ["measures", "wigan@1.1.0", *on_data],
            "hand-written measure": BASELINE + [str(data), args.as_of],
        }
        times: dict = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so a slow spell of the machine hits all alike
            for name, command in commands.items():
                times[name].append(timed(command, out))

    medians = {name: statistics.median(values) for name, values in times.items()}
    n = args.clients
    print(f"{n} synthetic clients (seed {args.seed}), as of {args.as_of}, median of {args.repeat} interleaved runs, "
          "each a whole process")
    for name, seconds in medians.items():
        print(f"  {name:22} {seconds:7.2f} s  {n / seconds:10,.0f} clients/s")
    print(f"measures bracknell / evaluate national: {medians['measures bracknell'] / medians['evaluate national']:.2f}")
    print(f"hand-written / measures bracknell: {medians['hand-written measure'] / medians['measures bracknell']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
