"""The compiled national rules and the hand-written baseline in bench/ agree on every client.

Two implementations written separately from the outcome definitions (one in the language, one in
plain Python) giving the same status, date and due date is the strongest check of both."""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pbr_rules.cohort import generate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import baseline  # noqa: E402


@pytest.mark.parametrize("as_of", ["2012-09-30", "2013-06-30", "2014-06-30", "2016-01-01"])
def test_compiled_rules_agree_with_the_hand_written_baseline(national, as_of):
    day = datetime.date.fromisoformat(as_of)
    for raw in generate(1500, 20261122):
        raw = json.loads(json.dumps(raw), parse_float=Decimal)
        compiled = [(r.outcome, r.unit, r.status, r.date, r.due) for r in national.evaluate(raw, day).results]
        hand = [row[:5] for row in baseline.evaluate(baseline.prepare(raw), day)]
        assert compiled == hand, raw["id"]
