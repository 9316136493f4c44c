"""The engine's Bracknell offending measure and the hand-written bench/baseline_measure.py agree.

The baseline is written from the measure's stated meaning alone (members, their 12 months, the
mean against 0.58 x 0.75), so agreement on synthetic cohorts, before, during and after the
follow-up, checks both."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import cohort

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import baseline_measure  # noqa: E402

KEYS = ("status", "date", "due", "cohort", "total", "value")


@pytest.fixture(scope="module")
def bracknell():
    return pbr_rules.load("bracknell@1.0.0")


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("as_of", ["2012-10-31", "2013-03-31", "2014-02-28", "2014-03-30", "2014-03-31", "2015-01-01"])
def test_the_engine_and_the_hand_written_measure_agree(bracknell, tmp_path, seed, as_of):
    data = tmp_path / "cohort.jsonl"
    with open(data, "w") as out:
        cohort.write(300, seed, out, cohort.START)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        baseline_measure.main(str(data), as_of)
    expected = json.loads(printed.getvalue())
    clients = [json.loads(line) for line in data.read_text().splitlines()]
    actual = bracknell.measures(clients, as_of).result("offending_reduction").to_json()
    assert {key: actual[key] for key in KEYS} == {key: expected[key] for key in KEYS}
