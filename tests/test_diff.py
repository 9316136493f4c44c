"""`pbr diff`: golden diffs of the shipped rulesets (regenerate with PBR_UPDATE_GOLDEN=1 after a
deliberate change, and read the diff), structural comparison (reformatting and comments are no
change; a real change always is), changed outcomes step by step, unrelated rulesets, the command
line, and the JSON keys documented in docs/diff.md."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbr_rules.check import check
from pbr_rules.cli import main
from pbr_rules.diff import ChangeKind, diff_rulesets, render
from pbr_rules.resolve import RulesetLibrary, resolve_file
from conftest import assert_golden, load_text

HERE = Path(__file__).parent
SHIPPED = HERE.parent / "rulesets"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def golden(name: str, text: str) -> None:
    assert_golden(HERE / "diff" / name, text)


@pytest.mark.parametrize("fmt", ["txt", "md", "json"])
def test_national_to_wigan_is_golden(capsys, fmt):
    code, out, _ = run(capsys, "diff", "national@1.0.0", "wigan@1.0.0", "--format", {"txt": "text"}.get(fmt, fmt))
    assert code == 0
    golden(f"national-wigan.{fmt}", out)


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_wigan_1_0_0_to_1_1_0_is_golden(capsys, fmt):
    code, out, _ = run(capsys, "diff", "wigan@1.0.0", "wigan@1.1.0", "--format", {"txt": "text"}.get(fmt, fmt))
    assert code == 0
    golden(f"wigan-1.0.0-1.1.0.{fmt}", out)


def test_national_to_bracknell_reads_the_measure_and_its_tariff(capsys):
    code, out, _ = run(capsys, "diff", "national@1.0.0", "bracknell@1.0.0")
    flat = " ".join(out.split())
    assert code == 0
    assert "Measure added: `offending_reduction`" in flat
    assert "at least `offending_stretch` (25%) below the baseline: at most the baseline reduced by" in flat
    assert "£250.00 for each whole percentage point beyond its target, at most £10,000.00" in flat
    assert "Affects: `offending_reduction`" in flat


def test_national_to_lincolnshire_is_golden(capsys):
    code, out, _ = run(capsys, "diff", "national@1.0.0", "lincolnshire@1.0.0")
    assert code == 0
    golden("national-lincolnshire.txt", out)


def test_wigan_says_what_a_provider_needs_to_know(national, wigan):
    text = render(diff_rulesets(national.checked, wigan.checked), "text")
    flat = " ".join(text.split())
    assert "`representation_window` changes from 12 months to 6 months." in flat
    assert ('The reason given by wigan@1.0.0: "Wigan will be measuring the re-presentation outcome on a 6 months '
            "basis") in flat
    assert "Affects: `sustained_recovery` (Successful completion without re-presentation)." in flat
    assert "Outcomes:" not in text  # no outcome is written differently: the parameter reaches it
    assert ("now: The window w runs from the day after the episode's end up to and including the same day "
            "`representation_window` (6 months) later.") in flat


def test_a_ruleset_against_itself_has_no_changes(capsys, national):
    result = diff_rulesets(national.checked, national.checked)
    assert result.same and result.changes == () and result.header == ()
    code, out, _ = run(capsys, "diff", "national", "national@1.0.0")
    assert code == 0 and "No changes" in out
    assert json.loads(render(result, "json"))["same"] is True


# ---- structural: layout and comments are not changes ---------------------------------------------
_PIECES = re.compile(r'"(?:[^"\\]|\\.)*"|#[^\n]*|\s+|[^\s"#]+')


def reformatted(source: str, spaces: list) -> str:
    """The ruleset with its comments removed and every run of blank space outside quoted texts
    replaced, in turn, by one of ``spaces``."""
    out, turn = [], 0
    for piece in _PIECES.findall(source):
        if piece.startswith("#"):
            continue
        if piece.isspace():
            out.append(spaces[turn % len(spaces)])
            turn += 1
        else:
            out.append(piece)
    return "".join(out)


def checked_copy(text: str, folder: Path):
    path = folder / "national" / "1.0.0.pbr"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (path.parent / "examples").exists():  # a copy: a link out of the folder is refused (PBR603)
        shutil.copytree(SHIPPED / "national" / "examples", path.parent / "examples")
    path.write_text(text, encoding="utf-8")
    return check(resolve_file(path, RulesetLibrary([folder])))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([" ", "\n", "\n\n    ", "\t", "   \n  ", "  "]), min_size=1, max_size=12))
def test_reformatting_and_comments_are_not_changes(national, spaces):
    source = (SHIPPED / "national" / "1.0.0.pbr").read_text(encoding="utf-8")
    text = reformatted(source, spaces)
    assert "#" not in re.sub(r'"(?:[^"\\]|\\.)*"', "", text)
    with tempfile.TemporaryDirectory() as folder:
        result = diff_rulesets(national.checked, checked_copy(text, Path(folder)))
    assert result.same, render(result, "text")


def test_a_real_change_is_always_reported(national, tmp_path):
    source = (SHIPPED / "national" / "1.0.0.pbr").read_text(encoding="utf-8")
    same = source.replace("parameter representation_window = 12 months", "parameter representation_window = 1 year")
    assert diff_rulesets(national.checked, checked_copy(same, tmp_path)).same  # the same length, written otherwise
    changed = source.replace("r.date >= e.start and", "r.date > e.start and")
    result = diff_rulesets(national.checked, checked_copy(changed, tmp_path / "again"))
    [change] = result.changes
    assert (change.table, change.name, change.change) == ("definitions", "top_of", ChangeKind.CHANGED)
    assert "True when r's date is after e's start" in change.new.plain()
    assert set(change.affects) == {"abstinence", "reliable_improvement", "ceased_injecting", "housing",
                                   "quality_of_life"}


# ---- what changed inside declarations ------------------------------------------------------------
VARIANT = '''
ruleset variant version 1.0.0
extends national 1.0.0
title "A variant"

enum housing_status: settled, temporary, none

extend record episode
  referral_source: optional text

override define successful_discharge(e: episode) "the episode ended drug free" =
  e.end is known and e.discharge_reason = completed_drug_free
  because "Only drug-free completions count here."

override outcome planned_exit "Planned exit free of dependence" because "Drug-free exits only."
  domain drugs, final, per episode e
  description "The episode ends drug free."
  achieved at e.end when successful_discharge(e)
    because "Episode {e.id} ended on {e.end} drug free."
  not applicable when e.referral_source = "prison"
    because "Prison referrals are not counted."
  not achieved at e.end when e.end is known
    because "Episode {e.id} ended on {e.end} with {e.discharge_reason}, which is not a successful completion."
  otherwise pending
    because "Episode {e.id} is open."

tariff planned_exit £400.00
'''


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    return load_text(tmp_path_factory, "variant", VARIANT)


def by_name(result) -> dict:
    return {(c.table, c.name): c for c in result.changes}


def test_a_changed_outcome_is_told_step_by_step(national, variant):
    changes = by_name(diff_rulesets(national.checked, variant.checked))
    outcome = changes[("outcomes", "planned_exit")]
    assert outcome.reason == "Drug-free exits only." and outcome.reason_from == "variant@1.0.0"
    details = {d.what: d for d in outcome.details}
    assert details["step 1"].change is ChangeKind.CHANGED
    assert "(the episode has ended with a successful completion)" in details["step 1"].old
    assert "(the episode ended drug free)" in details["step 1"].new
    assert details["step 2"].change is ChangeKind.ADDED
    assert details["step 2"].new.startswith("Not applicable when the episode's referral source is \"prison\".")
    assert details["source"].change is ChangeKind.REMOVED
    assert details["description"].new == "The episode ends drug free."


def test_definitions_schema_and_payments_changes(national, variant):
    changes = by_name(diff_rulesets(national.checked, variant.checked))
    definition = changes[("definitions", "successful_discharge")]
    assert definition.affects == ("planned_exit", "sustained_recovery")
    assert definition.new.lines[0] == "True when e's end is known and e's discharge reason is completed drug free."
    [field] = changes[("records", "episode")].details
    assert (field.what, field.change) == ("field `referral_source`", ChangeKind.ADDED)
    assert changes[("enums", "housing_status")].change is ChangeKind.ADDED
    assert changes[("tariffs", "planned_exit")].new.heading == "`planned_exit` pays £400.00"
    text = render(diff_rulesets(national.checked, variant.checked), "text")
    assert "Outcome `planned_exit` (Planned exit free of dependence) changed." in text
    assert "Tariff added: `planned_exit` pays £400.00" in text
    # and back: what was added is removed
    back = by_name(diff_rulesets(variant.checked, national.checked))
    assert back[("tariffs", "planned_exit")].change is ChangeKind.REMOVED
    assert back[("outcomes", "planned_exit")].reason is None


UNRELATED = '''
ruleset tiny version 1.0.0
title "Unrelated"
domains health "Health"
record client
  id: text
parameter goal = 3
outcome always "Always"
  domain health, final, per client
  achieved at 2012-01-01 when goal > 2 because "Yes."
  otherwise pending because "No."
'''


def test_unrelated_rulesets_are_still_compared(national, tmp_path_factory):
    tiny = load_text(tmp_path_factory, "tiny", UNRELATED)
    result = diff_rulesets(national.checked, tiny.checked)
    changes = by_name(result)
    assert changes[("outcomes", "always")].change is ChangeKind.ADDED
    assert changes[("outcomes", "abstinence")].change is ChangeKind.REMOVED
    assert changes[("parameters", "goal")].new_value == "3"
    assert {d.what for d in result.header} >= {"name", "title", "in force from", "description"}
    text = render(result, "text")
    assert "Outcome added: `always`: Always" in text and "Achieved on 1 January 2012 when `goal` (3) is more than 2." \
        in " ".join(text.split())
    for fmt in ("md", "json"):
        assert render(result, fmt)


# ---- the command line and the JSON contract -------------------------------------------------------
def test_out_writes_the_file_and_bad_refs_are_usage_errors(capsys, tmp_path):
    target = tmp_path / "diff.json"
    code, out, _ = run(capsys, "diff", "national@1.0.0", "wigan@1.0.0", "--format", "json", "--out", target)
    assert code == 0 and out == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["from"]["ref"] == "national@1.0.0" and data["to"]["ref"] == "wigan@1.0.0"
    code, _, err = run(capsys, "diff", "national", "wigam")
    assert code == 2 and "no ruleset called `wigam`" in err and "wigan" in err


def test_every_json_key_is_documented(national, variant):
    data = diff_rulesets(national.checked, variant.checked).to_json()
    keys = set(data) | set(data["from"]) | set(data["header"][0])
    for change in data["changes"]:
        keys |= set(change)
        for detail in change["details"]:
            keys |= set(detail)
    documented = (HERE.parent / "docs" / "diff.md").read_text(encoding="utf-8")
    assert sorted(key for key in keys if f"`{key}`" not in documented) == []
    assert {change["change"] for change in data["changes"]} <= {kind.value for kind in ChangeKind}
