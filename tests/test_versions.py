"""Versions in force by date: a bare name with an as-of date means the version in force that day
(docs/versions.md); `name@version` pins one, with a warning outside its dates."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbr_rules
from pbr_rules.cli import main
from pbr_rules.errors import RulesetNotFound, UsageError
from pbr_rules.resolve import Choice, RulesetLibrary

from conftest import client, episode

D = datetime.date


def wigan_like(version: str, first: str | None, until: str | None = None, window: str = "6 months") -> str:
    """A ruleset `local` extending national, with its own dates and re-presentation window."""
    dates = (f"effective from {first}\n" if first else "") + (f"effective until {until}\n" if until else "")
    return (f"ruleset local version {version}\nextends national 1.0.0\n{dates}"
            f"override parameter representation_window = {window}\n  because \"A test of versions.\"\n")


def header_only(version: str, first: str | None, until: str | None = None) -> str:
    dates = (f"effective from {first}\n" if first else "") + (f"effective until {until}\n" if until else "")
    return f"ruleset dated version {version}\n{dates}"


@pytest.fixture
def two_versions(rulesets):
    rulesets.write("local", "1.0.0", wigan_like("1.0.0", "2012-04-01", window="6 months"))
    rulesets.write("local", "1.1.0", wigan_like("1.1.0", "2013-04-01", window="3 months"))
    return rulesets


def test_a_bare_name_means_the_version_in_force_on_the_date(two_versions):
    library = RulesetLibrary([two_versions.root])
    assert library.select("local", D(2013, 3, 31)).period.ref == "local@1.0.0"
    assert library.select("local", D(2013, 4, 1)).period.ref == "local@1.1.0"
    chosen = library.select("local", D(2020, 1, 1))
    assert (chosen.choice, chosen.path.name) == (Choice.BY_DATE, "1.1.0.pbr")
    assert chosen.note == "local means local@1.1.0, in force on 2020-01-01" and chosen.warning is None


def test_without_a_date_a_bare_name_is_the_latest_and_nothing_is_said(two_versions):
    chosen = RulesetLibrary([two_versions.root]).select("local")
    assert (chosen.choice, chosen.path.name, chosen.note, chosen.warning) == (Choice.LATEST, "1.1.0.pbr", None, None)
    assert two_versions.load("local").version == "1.1.0"


def test_load_with_as_of_evaluates_under_the_version_in_force(two_versions):
    record = client("C1", [episode("E1", "2012-01-10", "2012-06-30", "completed_drug_free")])
    early = pbr_rules.load("local", [two_versions.root], as_of="2012-12-31")
    late = pbr_rules.load("local", [two_versions.root], as_of=D(2013, 6, 30))
    assert (early.ref, late.ref) == ("local@1.0.0", "local@1.1.0")
    assert (early.effective_from, early.effective_until) == (D(2012, 4, 1), None)
    # each version's own re-presentation window: 3 months after the end of E1, or 6
    assert late.evaluate(record, "2013-06-30").result("sustained_recovery", "E1").date == D(2012, 9, 30)
    assert early.evaluate(record, "2013-06-30").result("sustained_recovery", "E1").date == D(2012, 12, 30)
    assert late.evaluate(record, "2013-06-30").ruleset == "local@1.1.0"


def test_before_the_first_version_no_version_is_in_force(two_versions):
    with pytest.raises(UsageError) as caught:
        pbr_rules.load("local", [two_versions.root], as_of="2012-03-31")
    error = caught.value
    assert error.message == ("no version of `local` is in force on 2012-03-31: local@1.0.0 is in force from "
                             "2012-04-01 until 2013-03-31; local@1.1.0 is in force from 2013-04-01")
    assert "local@VERSION" in error.hint


def test_effective_until_ends_a_version_early_and_leaves_a_gap(rulesets):
    rulesets.write("dated", "1.0.0", header_only("1.0.0", "2012-04-01", "2012-12-31"))
    rulesets.write("dated", "2.0.0", header_only("2.0.0", "2013-04-01"))
    library = RulesetLibrary([rulesets.root])
    assert library.select("dated", D(2012, 12, 31)).period.ref == "dated@1.0.0"
    with pytest.raises(UsageError, match="dated@1.0.0 is in force from 2012-04-01 until 2012-12-31"):
        library.select("dated", D(2013, 1, 1))
    assert library.select("dated", D(2013, 4, 1)).period.ref == "dated@2.0.0"


def test_an_effective_until_after_the_next_version_starts_gives_way_to_it(rulesets):
    rulesets.write("dated", "1.0.0", header_only("1.0.0", "2012-04-01", "2014-12-31"))
    rulesets.write("dated", "2.0.0", header_only("2.0.0", "2013-04-01"))
    periods = RulesetLibrary([rulesets.root]).periods("dated")
    assert [(p.first, p.last) for p in periods] == [(D(2012, 4, 1), D(2013, 3, 31)), (D(2013, 4, 1), None)]


def test_undated_versions_the_latest_is_in_force_at_any_date(rulesets):
    rulesets.write("dated", "1.0.0", header_only("1.0.0", None))
    rulesets.write("dated", "1.1.0", header_only("1.1.0", None))
    library = RulesetLibrary([rulesets.root])
    first, second = library.periods("dated")
    assert first.never and first.words == "on no date (dated@1.1.0 is in force from its first day)"
    assert second.words == "at any date"
    assert library.select("dated", D(1990, 1, 1)).period.ref == "dated@1.1.0"


def test_a_pinned_version_outside_its_dates_is_used_with_a_warning(two_versions):
    ruleset = pbr_rules.load("local@1.0.0", [two_versions.root], as_of="2014-01-01")
    assert ruleset.ref == "local@1.0.0" and ruleset.selection.choice is Choice.PINNED
    assert ruleset.selection.note is None
    assert ruleset.selection.warning == ("local@1.0.0 is in force from 2012-04-01 until 2013-03-31, not on "
                                         "2014-01-01; local@1.1.0 is in force then: the results follow "
                                         "local@1.0.0 as asked")
    inside = pbr_rules.load("local@1.0.0", [two_versions.root], as_of="2013-01-01")
    assert inside.selection.warning is None


def test_a_file_is_checked_against_its_own_dates(rulesets):
    path = rulesets.write("dated", "1.0.0", header_only("1.0.0", "2012-04-01", "2012-12-31"))
    library = RulesetLibrary([rulesets.root])
    assert library.select(str(path), D(2012, 6, 1)).warning is None
    assert library.select(str(path), D(2013, 6, 1)).warning.startswith(
        "dated@1.0.0 is in force from 2012-04-01 until 2012-12-31, not on 2013-06-01: ")


def test_unknown_names_and_versions_are_still_reported_as_before(two_versions):
    library = RulesetLibrary([two_versions.root])
    with pytest.raises(RulesetNotFound, match="no ruleset called `locl`"):
        library.select("locl", D(2013, 1, 1))
    with pytest.raises(RulesetNotFound, match="no ruleset `local` version 9.9.9"):
        library.select("local@9.9.9", D(2013, 1, 1))


@settings(max_examples=40, deadline=None)
@given(starts=st.lists(st.dates(D(2010, 1, 1), D(2016, 12, 31)), min_size=1, max_size=4, unique=True),
       day=st.dates(D(2009, 1, 1), D(2017, 12, 31)))
def test_with_rising_start_dates_the_latest_version_started_is_in_force(tmp_path_factory, starts, day):
    root = tmp_path_factory.mktemp("rulesets")
    (root / "dated").mkdir()
    starts = sorted(starts)
    for number, start in enumerate(starts):
        (root / "dated" / f"1.{number}.0.pbr").write_text(header_only(f"1.{number}.0", start.isoformat()))
    library = RulesetLibrary([root])
    started = [number for number, start in enumerate(starts) if start <= day]
    if not started:
        with pytest.raises(UsageError, match=f"no version of `dated` is in force on {day}"):
            library.select("dated", day)
        return
    assert library.select("dated", day).period.version == f"1.{started[-1]}.0"
    assert sum(period.covers(day) for period in library.periods("dated")) == 1


# ---- the command line ----------------------------------------------------------------------------------


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "clients.jsonl"
    path.write_text(json.dumps(client("C1", [episode("E1", "2012-01-10", "2012-06-30", "completed_drug_free")])) + "\n")
    return path


def test_evaluate_says_which_version_a_bare_name_means(capsys, two_versions, data):
    code, out, err = run(capsys, "evaluate", "local", "--rulesets", two_versions.root, "--data", data,
                         "--as-of", "2013-06-30")
    assert code == 0 and json.loads(out)["ruleset"] == "local@1.1.0"
    assert err.splitlines()[0] == "pbr: local means local@1.1.0, in force on 2013-06-30"


def test_every_format_of_evaluate_names_the_version(capsys, two_versions, data):
    common = ["evaluate", "local", "--rulesets", two_versions.root, "--data", data, "--as-of", "2013-01-31"]
    _, csv_out, _ = run(capsys, *common, "--format", "csv")
    assert csv_out.splitlines()[1].startswith("C1,local@1.0.0,2013-01-31,")
    _, table, _ = run(capsys, *common, "--format", "table")
    assert "1 client under local@1.0.0 as of 2013-01-31" in table
    _, counts, _ = run(capsys, *common, "--summary")
    assert counts.splitlines()[0] == "1 client under local@1.0.0 as of 2013-01-31"


def test_evaluate_with_no_version_in_force_is_a_usage_error(capsys, two_versions, data):
    code, out, err = run(capsys, "evaluate", "local", "--rulesets", two_versions.root, "--data", data,
                         "--as-of", "2011-06-30")
    assert code == 2 and out == ""
    assert err.startswith("pbr: error: no version of `local` is in force on 2011-06-30: local@1.0.0 is in force")
    assert "pin a version with local@VERSION" in err


def test_a_pinned_version_out_of_its_dates_warns_and_runs(capsys, two_versions, data):
    code, out, err = run(capsys, "evaluate", "local@1.0.0", "--rulesets", two_versions.root, "--data", data,
                         "--as-of", "2013-06-30")
    assert code == 0 and json.loads(out)["ruleset"] == "local@1.0.0"
    assert "pbr: warning: local@1.0.0 is in force from 2012-04-01 until 2013-03-31, not on 2013-06-30" in err


def test_explain_and_pay_name_the_version_too(capsys, two_versions, data):
    code, out, err = run(capsys, "explain", "local", "--rulesets", two_versions.root, "--data", data,
                         "--client", "C1", "--as-of", "2012-12-31")
    assert code == 0 and out.startswith("Client C1 under local@1.0.0, as of 2012-12-31")
    assert "pbr: local means local@1.0.0, in force on 2012-12-31" in err
    code, _, err = run(capsys, "pay", "local", "--rulesets", two_versions.root, "--data", data, "--as-of", "2013-12-31")
    assert code == 0 and "pbr: local means local@1.1.0, in force on 2013-12-31" in err


def test_check_keeps_the_latest_version(capsys, two_versions):
    code, out, err = run(capsys, "check", "local", "--rulesets", two_versions.root)
    assert code == 0 and out.startswith("local@1.1.0: ok")
    # not a shipped ruleset: the run says which file it read (issue 11)
    assert err == f"pbr: local@1.1.0 is read from {(two_versions.root / 'local' / '1.1.0.pbr').resolve()}\n"
