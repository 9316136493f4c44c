"""The benchmarks, in one run: what a user waits for, each a whole process, against plain Python.

    python bench/run.py [--clients 20000] [--repeat 5] [--large N] [--only end-to-end,start-up,commands,large]

end-to-end  `pbr evaluate national --out FILE` on a synthetic cohort (`pbr cohort`), in one process
            (--jobs 1) and by default, against `bench/baseline.py FILE DATE > FILE`, a hand-written
            plain-Python script of the same ten outcomes (the tests hold it equal to the rules) that
            reads the same file and writes its results as JSON Lines. Start-up, parser, load,
            read, validate, evaluate and write are all inside. Medians of --repeat runs, the commands
            interleaved so that a slow spell of the machine hits all alike.
start-up    `pbr check national`, `pbr --help` and `pbr evaluate national` on one client, against
            `python -c pass`.
commands    `pbr pay`, `pbr measures` and `pbr compare` beside `pbr evaluate` on the same data, and
            hand-written scripts of Lincolnshire's payments and Bracknell's measure
            (`bench/baseline_pay.py`, `bench/baseline_measure.py`, held equal to pbr by the tests).
large       with --large N: N clients (and N / 10, to see that memory stays flat) as JSON Lines and
            as a folder of CSV extracts; one run each: wall time, clients per second and the peak
            memory (resident set) of all the run's processes together, sampled every 20 ms.

The ratios, not the absolute times, are the measure: they hold across machines. Python is run as
a user's is, writing bytecode caches (the first, untimed, run writes them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PBR = [PYTHON, "-m", "pbr_rules.cli"]
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
SECTIONS = ["end-to-end", "start-up", "commands", "large"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", default="2014-06-30")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--large", type=int, default=0, metavar="N", help="also time N clients (1000000: the goal)")
    parser.add_argument("--only", default=",".join(SECTIONS[:3]), help="the sections to run, comma-separated")
    args = parser.parse_args(argv)
    sections = args.only.split(",")
    with tempfile.TemporaryDirectory(prefix="pbr-bench-") as scratch:
        folder = Path(scratch)
        data = cohort(folder / "cohort.jsonl", args.clients, args.seed)
        print(f"{args.clients} synthetic clients (seed {args.seed}), as of {args.as_of}, {os.cpu_count()} cores, "
              f"median of {args.repeat} interleaved runs")
        if "end-to-end" in sections:
            end_to_end(args, data, folder)
        if "start-up" in sections:
            start_up(args, data, folder)
        if "commands" in sections:
            commands(args, data, folder)
        if "large" in sections and args.large:
            large(args, folder)
    return 0


# ---- the sections ---------------------------------------------------------------------------------
def end_to_end(args, data: Path, folder: Path) -> None:
    on = ["--data", str(data), "--as-of", args.as_of, "--out", str(folder / "out")]
    medians = median_times({
        "pbr evaluate --jobs 1": PBR + ["evaluate", "national", *on, "--jobs", "1"],
        "pbr evaluate": PBR + ["evaluate", "national", *on],
        "hand-written": [PYTHON, str(HERE / "baseline.py"), str(data), args.as_of],
    }, args.repeat, folder / "out")
    print("\nend to end: national, 10 outcomes with reasons, every record validated")
    report(medians, args.clients)
    for name in ("pbr evaluate --jobs 1", "pbr evaluate"):
        print(f"  hand-written / {name}: {medians['hand-written'] / medians[name]:.2f} (1 or more: as fast or faster)")


def start_up(args, data: Path, folder: Path) -> None:
    one = folder / "one.jsonl"
    with open(data, encoding="utf-8") as lines:
        one.write_text(next(lines), encoding="utf-8")
    medians = median_times({
        "python -c pass": [PYTHON, "-c", "pass"],
        "pbr --help": PBR + ["--help"],
        "pbr check national": PBR + ["check", "national"],
        "pbr evaluate, 1 client": PBR + ["evaluate", "national", "--data", str(one), "--as-of", args.as_of],
    }, max(args.repeat, 5), folder / "out")
    print("\nstart-up (goal: under 0.15 s)")
    for name, seconds in medians.items():
        print(f"  {name:30} {seconds * 1000:7.0f} ms")


def commands(args, data: Path, folder: Path) -> None:
    on = ["--data", str(data), "--as-of", args.as_of, "--out", str(folder / "out")]
    medians = median_times({
        "evaluate lincolnshire": PBR + ["evaluate", "lincolnshire", *on],
        "pay lincolnshire": PBR + ["pay", "lincolnshire", *on],
        "evaluate bracknell@1.0.0": PBR + ["evaluate", "bracknell@1.0.0", *on],
        "measures bracknell@1.0.0": PBR + ["measures", "bracknell@1.0.0", *on],
        "evaluate wigan@1.1.0": PBR + ["evaluate", "wigan@1.1.0", *on],
        "measures wigan@1.1.0": PBR + ["measures", "wigan@1.1.0", *on],
        "evaluate national": PBR + ["evaluate", "national", *on],
        "evaluate wigan@1.0.0": PBR + ["evaluate", "wigan@1.0.0", *on],
        "compare national wigan": PBR + ["compare", "national", "wigan@1.0.0", *on],
        "hand-written pay": [PYTHON, str(HERE / "baseline_pay.py"), str(data), args.as_of],
        "hand-written measure": [PYTHON, str(HERE / "baseline_measure.py"), str(data), args.as_of],
    }, args.repeat, folder / "out")
    print("\ncommands beside `pbr evaluate` of the same ruleset (goal: at most 1.3)")
    report(medians, args.clients)
    for command, evaluate in (("pay lincolnshire", "evaluate lincolnshire"),
                              ("measures bracknell@1.0.0", "evaluate bracknell@1.0.0"),
                              ("measures wigan@1.1.0", "evaluate wigan@1.1.0"),
                              ("compare national wigan", "evaluate national")):
        print(f"  {command} / {evaluate}: {medians[command] / medians[evaluate]:.2f}")
    both = medians["evaluate national"] + medians["evaluate wigan@1.0.0"]
    print(f"  compare national wigan / (evaluate national + evaluate wigan): {medians['compare national wigan'] / both:.2f}"
          " (it evaluates every client under both)")
    print(f"  hand-written pay / pay lincolnshire: {medians['hand-written pay'] / medians['pay lincolnshire']:.2f}; "
          f"hand-written measure / measures bracknell: "
          f"{medians['hand-written measure'] / medians['measures bracknell@1.0.0']:.2f} (above 1: pbr is faster)")


def large(args, folder: Path) -> None:
    print("\nlarge runs (one each): wall time, clients per second, peak memory of all the run's processes")
    for clients in (args.large // 10, args.large):
        data = cohort(folder / f"large-{clients}.jsonl", clients, args.seed)
        extracts = folder / f"large-{clients}-csv"
        subprocess.run(PBR + ["cohort", "--clients", str(clients), "--seed", str(args.seed), "--format", "csv",
                              "--out", str(extracts)], check=True, env=ENV)
        for name, path, more in (("JSON Lines", data, []), ("JSON Lines, --jobs 1", data, ["--jobs", "1"]),
                                 ("CSV extracts", extracts, [])):
            command = PBR + ["evaluate", "national", "--data", str(path), "--as-of", args.as_of,
                             "--out", str(folder / "out"), *more]
            seconds, peak = measured(command)
            print(f"  {clients:>9,} clients, {name:22} {seconds:7.1f} s  {clients / seconds:9,.0f} clients/s  "
                  f"peak {peak / 2**20:7.0f} MB")
        data.unlink()
        subprocess.run(["rm", "-r", str(extracts)], check=True)


# ---- timing -----------------------------------------------------------------------------------------
def cohort(path: Path, clients: int, seed: int) -> Path:
    subprocess.run(PBR + ["cohort", "--clients", str(clients), "--seed", str(seed), "--out", str(path)],
                   check=True, env=ENV)
    return path


def timed(command: list, out: Path) -> float:
    start = time.perf_counter()
    with open(out, "w") as handle:
        subprocess.run(command, check=True, stdout=handle, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def median_times(commands: dict, repeat: int, out: Path) -> dict:
    for command in commands.values():  # untimed: writes the bytecode caches, warms the file cache
        timed(command, out)
    times: dict = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(timed(command, out))
    return {name: statistics.median(values) for name, values in times.items()}


def report(medians: dict, clients: int) -> None:
    for name, seconds in medians.items():
        print(f"  {name:30} {seconds:7.2f} s  {clients / seconds:10,.0f} clients/s")


def measured(command: list) -> tuple[float, int]:
    """Wall time, and the peak of the summed resident memory of the process and its children."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    peak = [0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit {process.returncode}")
    return seconds, peak[0]


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and its descendants (Linux /proc; 0 where it cannot be read)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


if __name__ == "__main__":
    sys.exit(main())
