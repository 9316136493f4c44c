"""The fuzz targets (fuzz/targets.py, docs/fuzzing.md), run briefly with every other test.

Each target tries ``PBR_FUZZ_EXAMPLES`` cases (default 40), for at most ``PBR_FUZZ_SECONDS``
seconds (default 8), so this file takes about a minute; the first broken invariant fails the test
with the case that broke it. ``python fuzz/run.py`` runs them at length. Each folder under
fuzz/regressions/ is a case a fuzzer once broke, saved by ``fuzz/run.py --save``: it is run again
here, and must pass.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import targets  # noqa: E402

EXAMPLES = int(os.environ.get("PBR_FUZZ_EXAMPLES", "40"))
SECONDS = float(os.environ.get("PBR_FUZZ_SECONDS", "8"))
REGRESSIONS = sorted(p for p in (Path(__file__).resolve().parent.parent / "fuzz" / "regressions").glob("*")
                     if (p / "case.json").is_file())


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_fuzz_target_keeps_its_invariant(name):
    stats = targets.run_target(targets.TARGETS[name], EXAMPLES, SECONDS, raise_failures=True)
    assert stats.tried > 0 and stats.failing == 0


@pytest.mark.parametrize("case", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_a_case_a_fuzzer_once_broke_passes(case):
    targets.replay(case)


def test_the_runner_counts_failures_and_goes_on():
    """A target whose check fails on every other case: all are tried, the failures counted and filed
    under one key, and a minimised case still fails the same way."""
    from hypothesis import strategies as st

    def check(case):
        if case % 2:
            raise ValueError(f"odd number {case}")

    def shrink(case, still_fails):
        return min((c for c in range(case + 1) if still_fails(c)), default=case)

    target = targets.Target("odd", "odd numbers fail", lambda: st.integers(0, 1000), check, shrink)
    stats = targets.run_target(target, 60)
    assert stats.tried == 60 and 0 < stats.failing < 60 and len(stats.distinct) == 1
    found = next(iter(stats.distinct.values()))
    assert found.count == stats.failing and found.failure.kind == "ValueError"
    assert targets.minimise(target, found, seconds=5) == 1


def test_a_case_that_runs_too_long_is_a_timeout():
    import time
    with pytest.raises(targets.CaseTimeout):
        with targets.time_limit(0.2, "sleeping"):
            time.sleep(2)
