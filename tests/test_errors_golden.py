"""Golden tests: the exact message a policy lead sees for each kind of mistake.

Each tests/golden/NAME.pbr has its expected `pbr check` output in NAME.err (paths relative to
tests/). After a deliberate change of wording, regenerate with PBR_UPDATE_GOLDEN=1 and read
the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import PbrError, RulesetError, RulesetErrors
from conftest import assert_golden

HERE = Path(__file__).parent
CASES = sorted((HERE / "golden").glob("*.pbr"))


def render(path: Path) -> str:
    try:
        pbr_rules.load(path.relative_to(HERE))
    except PbrError as error:
        return str(error) + "\n"
    return "no error\n"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_error_message_is_golden(case, monkeypatch):
    monkeypatch.chdir(HERE)
    actual = render(case)
    expected_file = case.with_suffix(".err")
    assert_golden(expected_file, actual)


def test_every_golden_case_is_an_error(monkeypatch):
    monkeypatch.chdir(HERE)
    for case in CASES:
        assert render(case) != "no error\n", case.name


def test_several_errors_come_together_with_positions(monkeypatch):
    monkeypatch.chdir(HERE)
    with pytest.raises(RulesetErrors) as caught:
        pbr_rules.load(Path("golden/units_and_types.pbr"))
    errors = caught.value.errors
    assert len(errors) >= 4
    assert all(isinstance(e, RulesetError) and e.file and e.line and e.column for e in errors)
    assert [e.line for e in errors] == sorted(e.line for e in errors)


def test_errors_carry_hint_and_source_line(monkeypatch):
    monkeypatch.chdir(HERE)
    with pytest.raises(RulesetErrors) as caught:
        pbr_rules.load(Path("golden/unknown_names.pbr"))
    first = caught.value.errors[0]
    assert first.hint == "did you mean `successful_discharge`?"
    assert "sucessful_discharge(e)" in first.source_line
