"""Benchmark: `pbr pay` end to end, beside `pbr evaluate` and a hand-written payment script.

    python bench/bench_pay.py [--clients 20000] [--seed 2026] [--as-of 2014-06-30] [--repeat 5]

Writes a synthetic cohort (`pbr cohort`) to a temporary file, then times, as separate processes,
interleaved, --repeat times each:
  - `pbr evaluate national ...` (the same outcomes, no payment schedule),
  - `pbr evaluate lincolnshire --data FILE --as-of DATE --out FILE` (results with amounts),
  - `pbr pay lincolnshire --data FILE --as-of DATE --out FILE` (payment lines, caps and floors),
  - `python bench/baseline_pay.py FILE DATE > FILE`, a hand-written plain-Python implementation
    of the same schedule over the hand-written outcomes (`bench/baseline.py`); the tests hold it
    equal to `pbr pay` line by line (tests/test_baseline_pay_agrees.py).
Everything a user waits for is inside: start-up, parser build, load, read, validate, evaluate,
pay, write. Reported: the median wall time of each and clients per second, `pay / evaluate` (the
cost of paying on top of evaluating) and `hand-written / pay` (above 1: pay is faster).
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import PBR, arguments, median_times_on_cohort, report

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    args = arguments(__doc__, argv, repeat=5)
    medians = median_times_on_cohort(args, lambda data, on: {
        "evaluate national": [*PBR, "evaluate", "national", *on],
        "pbr evaluate": [*PBR, "evaluate", "lincolnshire", *on],
        "pbr pay": [*PBR, "pay", "lincolnshire", *on],
        "hand-written pay": [sys.executable, str(HERE / "baseline_pay.py"), str(data), args.as_of],
    })
    n = args.clients
    print(f"lincolnshire@1.0.0, {n} synthetic clients (seed {args.seed}), as of {args.as_of}, "
          f"median of {args.repeat} interleaved runs, each a whole process")
    report(medians, n)
    print(f"pay / evaluate: {medians['pbr pay'] / medians['pbr evaluate']:.2f} (the cost of settling the ledger "
          "and writing lines instead of results)")
    print(f"evaluate lincolnshire / national: {medians['pbr evaluate'] / medians['evaluate national']:.2f} "
          "(the cost of working out every result's amount)")
    print(f"hand-written / pay: {medians['hand-written pay'] / medians['pbr pay']:.2f} (above 1: pbr pay is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
