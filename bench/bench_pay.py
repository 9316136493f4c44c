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

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PBR = [sys.executable, "-m", "pbr_rules.cli"]


def timed(command: list, out: Path) -> float:
    start = time.perf_counter()
    with open(out, "w") as handle:
        subprocess.run(command, check=True, stdout=handle, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", default="2014-06-30")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        data, out = Path(folder) / "cohort.jsonl", Path(folder) / "out"
        subprocess.run(PBR + ["cohort", "--clients", str(args.clients), "--seed", str(args.seed), "--out", str(data)],
                       check=True, stderr=subprocess.DEVNULL)
        commands = {
            "evaluate national": PBR + ["evaluate", "national", "--data", str(data), "--as-of", args.as_of],
            "pbr evaluate": PBR + ["evaluate", "lincolnshire", "--data", str(data), "--as-of", args.as_of],
            "pbr pay": PBR + ["pay", "lincolnshire", "--data", str(data), "--as-of", args.as_of],
            "hand-written pay": [sys.executable, str(HERE / "baseline_pay.py"), str(data), args.as_of],
        }
        times: dict = {name: [] for name in commands}
        for _ in range(args.repeat):  # interleaved, so a slow spell of the machine hits all alike
            for name, command in commands.items():
                times[name].append(timed(command, out))

    medians = {name: statistics.median(values) for name, values in times.items()}
    n = args.clients
    print(f"lincolnshire@1.0.0, {n} synthetic clients (seed {args.seed}), as of {args.as_of}, "
          f"median of {args.repeat} interleaved runs, each a whole process")
    for name, seconds in medians.items():
        print(f"  {name:18} {seconds:7.2f} s  {n / seconds:10,.0f} clients/s")
    print(f"pay / evaluate: {medians['pbr pay'] / medians['pbr evaluate']:.2f} (the cost of settling the ledger "
          "and writing lines instead of results)")
    print(f"evaluate lincolnshire / national: {medians['pbr evaluate'] / medians['evaluate national']:.2f} "
          "(the cost of working out every result's amount)")
    print(f"hand-written / pay: {medians['hand-written pay'] / medians['pbr pay']:.2f} (above 1: pbr pay is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
