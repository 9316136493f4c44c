"""What the whole-process benchmarks share: their options, a synthetic cohort, interleaved timing."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from bench_pay import PBR, timed  # the same way of running and timing a whole process


def arguments(doc: str, argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", default="2014-06-30")
    parser.add_argument("--repeat", type=int, default=3)
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
