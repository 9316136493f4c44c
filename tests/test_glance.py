"""Counts at a glance (`pbr evaluate --summary`, the table format), `--outcome`, and what `pbr explain`
shows: each line's file, the fields the rules read, and records not visible at the as-of date.

Rendered text is golden (tests/golden/*.out); regenerate with PBR_UPDATE_GOLDEN=1 and read the diff."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pbr_rules.cli import main
from pbr_rules.counts import STATUSES, Tally, tally_table
from pbr_rules.results import ClientResult, OutcomeResult
from pbr_rules.tree import Status

from conftest import assert_golden, client, episode

GOLDEN = Path(__file__).parent / "golden"
COHORT = Path(__file__).parent.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def check_golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


# ---- Tally and its table ----------------------------------------------------------------------------

rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(list(Status))), max_size=12)


@given(st.lists(rows, max_size=6))
def test_a_tally_counts_every_row_once_under_its_outcome_and_status(clients):
    tally = Tally()
    for number, pairs in enumerate(clients):
        tally.add(ClientResult(f"C{number}", "x@1.0.0", datetime.date(2013, 1, 1), tuple(
            OutcomeResult(outcome, f"E{i}", status, None, None, None, ()) for i, (outcome, status) in enumerate(pairs))))
    assert tally.clients == len(clients)
    for outcome, per_status in tally.counts.items():
        assert list(per_status) == list(STATUSES) == [s.value for s in Status]
        for status, count in per_status.items():
            assert count == sum((o, str(s)) == (outcome, status) for pairs in clients for o, s in pairs)
    assert set(tally.counts) == {o for pairs in clients for o, _ in pairs}


def test_the_table_has_a_row_per_outcome_in_the_order_given_zeros_included():
    tally = Tally()
    tally.add(ClientResult("C1", "x@1.0.0", datetime.date(2013, 1, 1), (
        OutcomeResult("late", "E1", Status.ACHIEVED, None, None, None, ()),
        OutcomeResult("late", "E2", Status.PENDING, None, None, None, ()),
        OutcomeResult("early", "C1", Status.NOT_APPLICABLE, None, None, None, ()))))
    assert tally_table(tally, ["early", "late", "never"]).splitlines() == [
        "outcome  achieved  not achieved  pending  not applicable  total",
        "early           0             0        0               1      1",
        "late            1             0        1               0      2",
        "never           0             0        0               0      0"]


# ---- evaluate --summary, the table, --outcome -------------------------------------------------------------


def test_summary_counts_the_shipped_cohort(capsys):
    code, out, err = run(capsys, "evaluate", "national", "--data", COHORT, "--as-of", "2013-12-31", "--summary")
    assert code == 0 and "pbr: national means national@1.0.0, in force on 2013-12-31" in err
    check_golden("evaluate_summary_national.out", out)


def test_summary_goes_where_results_would_and_agrees_with_them(capsys, tmp_path):
    counts_file, results_file = tmp_path / "counts.txt", tmp_path / "results.jsonl"
    common = ["evaluate", "national", "--data", COHORT, "--as-of", "2014-06-30"]
    code, out, _ = run(capsys, *common, "--summary", "--out", counts_file, "--outcome", "planned_exit")
    assert code == 0 and out == ""
    run(capsys, *common, "--out", results_file)
    planned = [r for line in results_file.read_text().splitlines() for r in json.loads(line)["results"]
               if r["outcome"] == "planned_exit"]
    counted = counts_file.read_text().splitlines()[2].split()
    assert counted[0] == "planned_exit"
    assert [int(n) for n in counted[1:]] == [sum(r["status"] == s for r in planned) for s in STATUSES] + [len(planned)]


def test_the_table_ends_with_the_counts(capsys):
    code, out, _ = run(capsys, "evaluate", "wigan@1.0.0", "--data", COHORT, "--as-of", "2013-12-31",
                       "--format", "table", "--outcome", "planned_exit,sustained_recovery")
    _, counts, _ = run(capsys, "evaluate", "wigan@1.0.0", "--data", COHORT, "--as-of", "2013-12-31", "--summary",
                       "--outcome", "sustained_recovery", "--outcome", "planned_exit")
    assert code == 0 and out.endswith("\n\n" + counts)
    # a client without episodes keeps its row, with no outcome, as without --outcome
    outcomes = {(line.split() + [""])[1] for line in out.split("\n\n")[0].splitlines()[1:]}
    assert outcomes == {"planned_exit", "sustained_recovery", ""}


def test_outcome_filters_every_format(capsys):
    common = ["evaluate", "national", "--data", COHORT, "--as-of", "2014-06-30", "--outcome", "housing"]
    _, out, _ = run(capsys, *common)
    assert {r["outcome"] for line in out.splitlines() for r in json.loads(line)["results"]} == {"housing"}
    _, out, _ = run(capsys, *common, "--format", "csv")
    assert {row.split(",")[3] for row in out.splitlines()[1:]} == {"housing", ""}


@pytest.mark.parametrize("extra, message", [
    (["--outcome", "sustained_recovry"], "national@1.0.0 has no outcome `sustained_recovry`\n"
                                          "  hint: did you mean `sustained_recovery`?"),
    (["--outcome", ","], "--outcome names no outcome"),
    (["--summary", "--format", "jsonl"], "--summary writes a table of counts, not jsonl"),
])
def test_bad_outcomes_and_formats_are_usage_errors(capsys, extra, message):
    code, out, err = run(capsys, "evaluate", "national", "--data", COHORT, "--as-of", "2014-06-30", *extra)
    assert code == 2 and out == "" and message in err


# ---- explain ---------------------------------------------------------------------------------------


def test_explain_is_golden(capsys):
    # pinned: the golden stays wigan@1.0.0's when later versions of wigan are added
    code, out, _ = run(capsys, "explain", "wigan@1.0.0", "--data", COHORT, "--client", "C000005",
                       "--as-of", "2013-12-31")
    assert code == 0
    check_golden("explain_wigan_C000005.out", out)


def test_explain_shows_days_used_because_abstinence_reads_it(capsys):
    _, out, _ = run(capsys, "explain", "national", "--data", COHORT, "--client", "C000005", "--as-of", "2014-06-30",
                    "--outcome", "abstinence")
    assert "  reads client: presenting_substances, id, top_reviews; top_review: stage, date, days_used;" in out
    assert "second = the record of 2013-11-30 (stage review, days_used (amphetamines 0))" in out
    assert "quality_of_life" not in out  # a field abstinence does not read


def test_explain_names_each_file_of_an_extending_ruleset(capsys, rulesets, tmp_path):
    rulesets.write("local", "1.0.0", """
        ruleset local version 1.0.0
        extends national 1.0.0
        override outcome planned_exit "Planned exit, drug free only"
          because "locally only drug-free completions are paid"
          domain drugs, final, per episode e
          achieved at e.end when e.discharge_reason = completed_drug_free because "drug free"
          otherwise pending because "open"
        """)
    data = tmp_path / "clients.jsonl"
    data.write_text(json.dumps(client("C1", [episode("E1", "2012-01-10", "2012-06-30", "completed_drug_free")])))
    code, out, _ = run(capsys, "explain", "local@1.0.0", "--rulesets", rulesets.root, "--data", data, "--client",
                       "C1", "--as-of", "2013-06-30", "--outcome", "planned_exit", "--outcome", "sustained_recovery")
    assert code == 0
    assert "planned_exit: Planned exit, drug free only (local/1.0.0.pbr:3)" in out
    assert "    local/1.0.0.pbr:6: achieved at e.end when e.discharge_reason = completed_drug_free" in out
    assert "    national/1.0.0.pbr:193: pending when e.end is unknown  -> does not apply" in out
    assert "abstinence" not in out


def test_explain_says_what_is_not_visible_at_the_date(capsys, tmp_path):
    data = tmp_path / "clients.jsonl"
    record = client("C1", [episode("E1", "2012-01-10", "2013-08-01", "completed_drug_free"),
                           episode("E3", "2014-02-01")], offences=["2013-01-05", "2013-09-01"])
    data.write_text(json.dumps(record) + "\n")
    code, out, _ = run(capsys, "explain", "national", "--data", data, "--client", "C1", "--as-of", "2013-06-30",
                       "--outcome", "planned_exit")
    assert code == 0
    assert out.splitlines()[1:5] == [
        "Not visible on 2013-06-30, so the rules do not see it:",
        "  episode E1 ends on 2013-08-01, after the as-of date: its end is not known yet (nor its discharge_reason)",
        "  episode E3 starts on 2014-02-01, after the as-of date: not counted",
        "  an offence is dated 2013-09-01, after the as-of date: not counted"]


def test_explain_of_an_unknown_outcome_is_a_usage_error(capsys):
    code, _, err = run(capsys, "explain", "national", "--data", COHORT, "--client", "C000005", "--as-of",
                       "2014-06-30", "--outcome", "housng")
    assert code == 2 and "did you mean `housing`?" in err


def test_explain_says_when_a_lagging_record_is_not_known_yet(capsys, rulesets, tmp_path):
    rulesets.write("lagged", "1.0.0", """
        ruleset lagged version 1.0.0
        extends national 1.0.0
        override parameter offence_lag = 10 months
          because "A test of data lags."
        """)
    data = tmp_path / "clients.jsonl"
    data.write_text(json.dumps(client("C1", [episode("E1", "2012-01-10")], offences=["2013-05-01"])) + "\n")
    code, out, _ = run(capsys, "explain", "lagged", "--rulesets", rulesets.root, "--data", data, "--client", "C1",
                       "--as-of", "2014-02-28", "--outcome", "no_offending_6m")
    assert code == 0
    assert ("  an offence is dated 2013-05-01, which with the offence lag of 10 months is after the as-of date: "
            "not counted") in out.splitlines()
    _, out, _ = run(capsys, "explain", "lagged", "--rulesets", rulesets.root, "--data", data, "--client", "C1",
                    "--as-of", "2014-03-01", "--outcome", "no_offending_6m")
    assert "Not visible" not in out
