"""Benchmark: the compiled national ruleset against a hand-written plain-Python baseline.

    python bench/bench_national.py [--clients 20000] [--seed 2026] [--as-of 2014-06-30] [--repeat 3]

Both run in this one process over the same synthetic cohort (`pbr cohort`), best of --repeat.
Reported: the time to load the ruleset (parse + check + compile), and clients per second with
the ratio compiled / hand-written, (a) evaluation alone, from records already read, and (b) from
JSON text, reading and validating included. Writing results out is left out of both.
The ratio, not the absolute speed, is the measure: it holds across machines.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baseline  # noqa: E402  (this folder)
from harness import arguments  # noqa: E402

import pbr_rules  # noqa: E402
from pbr_rules.cohort import generate  # noqa: E402


def best_of(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> int:
    args = arguments(__doc__, argv)
    as_of = datetime.date.fromisoformat(args.as_of)

    lines = [json.dumps(c) for c in generate(args.clients, args.seed)]
    load_time = best_of(args.repeat, lambda: pbr_rules.load("national"))
    ruleset = pbr_rules.load("national")
    reader = ruleset.reader

    prepared = [reader.normalise(json.loads(line, parse_float=Decimal))[0] for line in lines]
    prepared_baseline = [baseline.prepare(json.loads(line, parse_float=Decimal)) for line in lines]

    def compiled_eval():
        for client in prepared:
            ruleset.evaluate_prepared(client, as_of)

    def baseline_eval():
        for client in prepared_baseline:
            baseline.evaluate(client, as_of)

    def compiled_from_text():
        for item in ruleset.evaluate_lines(lines, as_of):
            pass

    def baseline_from_text():
        for line in lines:
            baseline.evaluate_line(line, as_of)

    n = len(lines)
    rows = []
    for label, compiled, hand in (("evaluation only (records already read)", compiled_eval, baseline_eval),
                                  ("from JSON text (read + validate + evaluate)", compiled_from_text,
                                   baseline_from_text)):
        t_compiled = best_of(args.repeat, compiled)
        t_hand = best_of(args.repeat, hand)
        rows.append((label, n / t_compiled, n / t_hand, t_hand / t_compiled))

    def compiled_whole_run():
        for item in pbr_rules.load("national").evaluate_lines(lines, as_of):
            pass

    t_whole = best_of(args.repeat, compiled_whole_run)
    t_hand_text = n / rows[1][2]
    rows.append(("whole run (load the ruleset + read + validate + evaluate)", n / t_whole, n / t_hand_text,
                 t_hand_text / t_whole))

    print(f"national@1.0.0, {n} synthetic clients (seed {args.seed}), as of {as_of}, best of {args.repeat}")
    print(f"load (parse + check + compile): {load_time * 1000:.1f} ms")
    for label, compiled_rate, hand_rate, ratio in rows:
        print(f"{label}:")
        print(f"  compiled     {compiled_rate:10,.0f} clients/s")
        print(f"  hand-written {hand_rate:10,.0f} clients/s")
        print(f"  ratio compiled / hand-written: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
