"""Never a Python traceback for bad rules or bad data: whatever the text or the record, the
result is a ruleset, a result, or a PbrError with a place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

import pbr_rules
from pbr_rules import DataError, PbrError
from pbr_rules.examples import run_examples
from pbr_rules.parse import parse_text

NATIONAL = (Path(pbr_rules.__file__).parent / "rulesets" / "national" / "1.0.0.pbr")
if not NATIONAL.exists():
    NATIONAL = Path(__file__).resolve().parent.parent / "rulesets" / "national" / "1.0.0.pbr"
LINES = NATIONAL.read_text().splitlines()
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "fuzz" / "1.0.0.pbr"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    examples = path.parent / "examples"
    if not examples.exists():  # so that mutations which still check go on to be compiled
        shutil.copytree(NATIONAL.parent / "examples", examples)
    try:
        return pbr_rules.load(path)
    except PbrError as error:
        assert not isinstance(error, pbr_rules.InternalError), str(error)
        assert error.span is not None and error.line >= 1, str(error)
        str(error)  # renders
        return None


@FUZZ
@given(st.data())
def test_mutated_national_rulesets_never_crash(tmp_path_factory, data):
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "garble"]))
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif action == "truncate":
            lines[index] = lines[index][: data.draw(st.integers(0, max(len(lines[index]) - 1, 0)))]
        elif action == "garble" and lines[index]:
            position = data.draw(st.integers(0, len(lines[index]) - 1))
            char = data.draw(st.sampled_from(list("(){}[]=<>+-*/,.:\"'#%£0a ")))
            lines[index] = lines[index][:position] + char + lines[index][position + 1:]
    text = "\n".join(lines)
    lines[0] = "ruleset fuzz version 1.0.0" if lines and lines[0].startswith("ruleset national") else lines[0]
    ruleset = load_text(tmp_path_factory.mktemp("r"), "\n".join(lines))
    if ruleset is not None:  # rules that still check must also evaluate without a crash
        run_examples(ruleset)
    try:
        parse_text(text, "fuzz.pbr")
    except PbrError:
        pass


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(tmp_path_factory, text):
    load_text(tmp_path_factory.mktemp("r"), "ruleset fuzz version 1.0.0\n" + text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["2012-02-30", "2012-01-01", "opiates", "E1", "review"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "start", "end", "date", "stage", "days_used", "opiates", "episodes", "x"]),
        children, max_size=4),
    max_leaves=12)

GOOD = {"id": "C1", "presenting_substances": ["opiates"],
        "episodes": [{"id": "E1", "start": "2012-01-01", "end": "2012-06-01", "discharge_reason": "dropped_out"}],
        "top_reviews": [{"date": "2012-01-01", "stage": "start", "days_used": {"opiates": 3}}]}
PATHS = [("presenting_substances",), ("episodes",), ("episodes", 0), ("episodes", 0, "start"),
         ("episodes", 0, "end"), ("top_reviews", 0, "days_used"), ("top_reviews", 0, "stage"),
         ("top_reviews", 0, "days_used", "opiates"), ("id",), ("sex",), ("hep_b_doses",)]


@FUZZ
@given(st.sampled_from(PATHS), json_values)
def test_any_record_is_evaluated_or_reported(national, path, value):
    record = json.loads(json.dumps(GOOD))
    target = record
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    try:
        result = national.evaluate(record, "2013-01-01")
        assert result.client == record["id"]
    except DataError as error:
        assert error.path.startswith("$") and error.message


@FUZZ
@given(json_values)
def test_any_json_line_is_evaluated_or_reported(national, value):
    line = json.dumps(value, default=str)
    (item,) = list(national.evaluate_lines([line], "2013-01-01"))
    assert isinstance(item, (pbr_rules.ClientResult, pbr_rules.Rejected))
