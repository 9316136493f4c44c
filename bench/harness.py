"""What the whole-process benchmarks share: their options, a synthetic cohort, interleaved timing."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

PBR = [sys.executable, "-m", "pbr_rules.cli"]


def timed(command: list, out: Path) -> float:
    """The wall time of a whole process, its output written to ``out`` as a user's would be."""
    start = time.perf_counter()
    with open(out, "w") as handle:
        subprocess.run(command, check=True, stdout=handle, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def arguments(doc: str, argv=None, repeat: int = 3) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", default="2014-06-30")
    parser.add_argument("--repeat", type=int, default=repeat)
    return parser.parse_args(argv)


def synthetic_cohort(folder: Path, args) -> Path:
    data = folder / "cohort.jsonl"
    subprocess.run(PBR + ["cohort", "--clients", str(args.clients), "--seed", str(args.seed), "--out", str(data)],
                   check=True, stderr=subprocess.DEVNULL)
    return data


def median_times(commands: dict, repeat: int, out: Path) -> dict:
    """name -> the median wall time of its command, the commands run in turn ``repeat`` times, so a
    slow spell of the machine hits all alike."""
    times: dict = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(timed(command, out))
    return {name: statistics.median(values) for name, values in times.items()}


def median_times_on_cohort(args, commands: Callable) -> dict:
    """Write the synthetic cohort, then time ``commands(data_file, ["--data", ..., "--as-of", ...])``."""
    with tempfile.TemporaryDirectory() as folder:
        data = synthetic_cohort(Path(folder), args)
        return median_times(commands(data, ["--data", str(data), "--as-of", args.as_of]), args.repeat,
                            Path(folder) / "out")


def report(medians: dict, clients: int) -> None:
    for name, seconds in medians.items():
        print(f"  {name:22} {seconds:7.2f} s  {clients / seconds:10,.0f} clients/s")
