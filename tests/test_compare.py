"""`pbr compare`, the shadow run: counts under A and B, the results that differ, the money, schemas
that differ, clients set aside. Golden tables in tests/compare/ (regenerate with
PBR_UPDATE_GOLDEN=1 after a deliberate change, and read the diff)."""

from __future__ import annotations

import csv
import datetime
import json
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pbr_rules
from pbr_rules import cohort
from pbr_rules.cli import main
from pbr_rules.compare import Compared, ShadowRun, ShadowSummary, compare
from conftest import assert_golden

HERE = Path(__file__).parent
COHORT = HERE.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
KEYS = ["client", "outcome", "unit", "a", "b", "a_ruleset", "b_ruleset"]
SIDE_KEYS = ["status", "date", "due", "amount", "reasons"]

# extends national with a client field, an episode field, a list and an outcome reading the list
LOCAL = """\
ruleset local version 1.0.0
extends national 1.0.0
title "Local: take-home naloxone"

extend record client
  referral_source: optional text
  naloxone_kits: list of naloxone_kit

extend record episode
  keyworker: optional text

record naloxone_kit dated by date "A take-home naloxone kit given to the client."
  date: date

outcome naloxone_supplied "Take-home naloxone supplied"
  domain health, interim, per client
  let first = earliest k in client.naloxone_kits
  achieved at first.date when first is known
    because "A kit was given on {first.date}."
  otherwise pending
    because "No kit given yet."
"""


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def local_rulesets(tmp_path_factory):
    root = tmp_path_factory.mktemp("rulesets")
    (root / "local").mkdir()
    (root / "local" / "1.0.0.pbr").write_text(LOCAL)
    return root


@pytest.fixture(scope="module")
def local(local_rulesets):
    return pbr_rules.load("local@1.0.0", [local_rulesets])


def check_golden(text: str, name: str) -> None:
    assert_golden(HERE / "compare" / name, text)


@pytest.mark.parametrize("b", ["wigan", "lincolnshire"])
def test_the_table_of_the_shipped_cohort_is_the_golden_one(capsys, b):
    # pinned: the golden shows these versions whatever later ones are in force on the date
    code, out, err = run(capsys, "compare", "national@1.0.0", f"{b}@1.0.0", "--data", COHORT, "--as-of", "2014-06-30")
    assert code == 0 and "200 clients read: 200 compared, 0 set aside" in err
    check_golden(out, f"national_{b}_2014-06-30.txt")


def test_the_money_table_shows_the_totals_paid_per_provider(capsys, tmp_path):
    _, out, _ = run(capsys, "compare", "national", "lincolnshire", "--data", COHORT, "--as-of", "2014-06-30")
    _, paid, _ = run(capsys, "pay", "lincolnshire", "--data", COHORT, "--as-of", "2014-06-30")
    totals: dict = {}
    for line in map(json.loads, paid.splitlines()):
        totals[line["provider"]] = totals.get(line["provider"], Decimal(0)) + Decimal(line["paid"])
    money = out[out.index("Paid per provider"):]
    for provider, total in totals.items():
        assert f"{provider}  " in money and f"£{total:,.2f}" in money
    assert "national@1.0.0 has no payment schedule: it pays nothing" in money
    _, out, _ = run(capsys, "compare", "national", "wigan@1.0.0", "--data", COHORT, "--as-of", "2014-06-30")
    assert "Paid per provider" not in out  # neither pays


cohorts = st.tuples(st.integers(1, 25), st.integers(0, 10_000),
                    st.dates(datetime.date(2012, 1, 1), datetime.date(2016, 12, 31)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts)
def test_a_ruleset_compared_with_itself_differs_nowhere(national, wigan, case):
    size, seed, as_of = case
    clients = list(cohort.generate(size, seed))
    for ruleset in (national, wigan):
        items = list(compare(ruleset, ruleset, clients, as_of))
        assert all(isinstance(item, Compared) for item in items) and len(items) == size
        assert [(item.differences, item.reworded) for item in items] == [((), 0)] * size
        assert [item.a for item in items] == list(ruleset.evaluate_many(clients, as_of))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts)
def test_national_and_wigan_differ_only_on_the_outcome_reading_the_representation_window(national, wigan, case):
    size, seed, as_of = case
    clients = list(cohort.generate(size, seed))
    found = {(d.client, d.outcome, d.unit): (d.a, d.b)
             for item in compare(national, wigan, clients, as_of) for d in item.differences}
    expected = {}
    for a, b in zip(national.evaluate_many(clients, as_of), wigan.evaluate_many(clients, as_of)):
        for row_a, row_b in zip(a.rows, b.rows, strict=True):
            if (row_a.status, row_a.date, row_a.due) != (row_b.status, row_b.date, row_b.due):
                expected[(a.client, row_a.outcome, row_a.unit)] = (row_a, row_b)
    assert found == expected
    assert {outcome for _, outcome, _ in found} <= {"sustained_recovery"}


def test_the_shipped_cohort_does_differ_between_national_and_wigan(national, wigan):
    summary = ShadowSummary(ShadowRun(national, wigan, "2014-06-30"))
    for item in ShadowRun(national, wigan, "2014-06-30").compare_lines(COHORT.open("rb"), str(COHORT)):
        summary.add(item)
    assert summary.differences == summary.changed["sustained_recovery"] == 40
    assert summary.tallies[1].of("sustained_recovery")["achieved"] - \
        summary.tallies[0].of("sustained_recovery")["achieved"] == 10


def test_jsonl_has_one_object_per_differing_result_with_the_contract_keys(capsys, tmp_path):
    out_file = tmp_path / "diff.jsonl"
    code, out, err = run(capsys, "compare", "national", "lincolnshire", "--data", COHORT, "--as-of", "2014-06-30",
                         "--format", "jsonl", "--out", out_file)
    assert code == 0 and out.startswith("Shadow run as of 2014-06-30")  # with --out the table stays on stdout
    lines = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert lines and all(list(line) == KEYS for line in lines)
    # lincolnshire's own outcome (whether the complexity band was audited) has no result under national
    assert f"{len(lines)} results differ between national@1.0.0 and lincolnshire@1.0.0 (see {out_file})" in err
    only_b = [line for line in lines if line["a"] is None]
    assert {line["outcome"] for line in only_b} == {"complexity_confirmed"}
    lines = [line for line in lines if line["a"] is not None]
    assert all(list(line[side]) == SIDE_KEYS for line in lines for side in ("a", "b"))
    # lincolnshire adds amounts to the same results
    assert {(line["a"]["amount"], line["b"]["amount"] is not None) for line in lines} == {(None, True)}
    assert all(line["a"]["status"] == line["b"]["status"] for line in lines)


def test_jsonl_on_standard_output(capsys):
    code, out, _ = run(capsys, "compare", "national", "wigan@1.0.0", "--data", COHORT, "--as-of", "2014-06-30",
                       "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 40 and {line["outcome"] for line in lines} == {"sustained_recovery"}


def with_local_data(record: dict, kits=(), referral=None, keyworker=None) -> dict:
    record = json.loads(json.dumps(record))
    record["naloxone_kits"] = [{"date": day} for day in kits]
    if referral:
        record["referral_source"] = referral
    if keyworker and record["episodes"]:
        record["episodes"][0]["keyworker"] = keyworker
    return record


def test_schemas_that_differ_compare_on_the_fields_they_share(national, local):
    clients = [with_local_data(c, kits=["2013-01-01"] if i % 2 else [], referral="GP", keyworker="Sam")
               for i, c in enumerate(cohort.generate(20, 3))]
    items = list(compare(national, local, clients, "2014-06-30"))
    assert all(isinstance(item, Compared) for item in items)
    differences = [d for item in items for d in item.differences]
    # the only difference is the outcome only local has: one per client, national's side missing
    assert [(d.outcome, d.a, d.b.status) for d in differences] == [
        ("naloxone_supplied", None, "achieved" if i % 2 else "pending") for i in range(20)]
    assert differences[0].to_json()["a"] is None


def write_local_folder(folder: Path, clients: int) -> Path:
    """A cohort as CSV extracts, with what only local knows: a column of clients.csv and of
    episodes.csv, and a file naloxone_kits.csv."""
    main(["cohort", "--clients", str(clients), "--seed", "5", "--format", "csv", "--out", str(folder)])
    for name, column, value in (("clients", "referral_source", "GP"), ("episodes", "keyworker", "Sam")):
        rows = list(csv.reader((folder / f"{name}.csv").open(newline="")))
        rows = [rows[0] + [column]] + [row + [value] for row in rows[1:]]
        with (folder / f"{name}.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    (folder / "naloxone_kits.csv").write_text("client_id,date\nC000001,2013-01-01\nC000002,2013-02-01\n")
    return folder


def test_a_folder_with_a_file_only_one_ruleset_knows_is_read_by_both(capsys, tmp_path, local_rulesets):
    folder = write_local_folder(tmp_path / "csv", 12)
    code, out, err = run(capsys, "compare", "national", "local@1.0.0", "--rulesets", local_rulesets, "--data", folder,
                         "--as-of", "2014-06-30", "--format", "jsonl")
    assert code == 0 and "12 clients read: 12 compared, 0 set aside" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(line["client"], line["outcome"], line["a"], line["b"]["status"]) for line in lines[:3]] == [
        ("C000001", "naloxone_supplied", None, "achieved"), ("C000002", "naloxone_supplied", None, "achieved"),
        ("C000003", "naloxone_supplied", None, "pending")]
    assert len(lines) == 12
    # the same folder, jsonl: the same differences
    jsonl = tmp_path / "c.jsonl"
    main(["cohort", "--clients", "12", "--seed", "5", "--out", str(jsonl)])
    capsys.readouterr()
    records = [with_local_data(json.loads(line), referral="GP", keyworker="Sam") for line in jsonl.open()]
    records[0]["naloxone_kits"], records[1]["naloxone_kits"] = [{"date": "2013-01-01"}], [{"date": "2013-02-01"}]
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in records))
    _, from_jsonl, _ = run(capsys, "compare", "national", "local@1.0.0", "--rulesets", local_rulesets, "--data", jsonl,
                           "--as-of", "2014-06-30", "--format", "jsonl")
    assert from_jsonl == out


def test_a_misspelt_file_in_a_compared_folder_is_refused(capsys, tmp_path, local_rulesets):
    folder = write_local_folder(tmp_path / "csv", 3)
    (folder / "naloxone_kits.csv").rename(folder / "naloxone_kit.csv")
    code, _, err = run(capsys, "compare", "national", "local@1.0.0", "--rulesets", local_rulesets, "--data", folder,
                       "--as-of", "2014-06-30")
    assert code == 2 and "has naloxone_kit.csv but no naloxone_kits.csv: did you mean naloxone_kits.csv?" in err


def test_clients_rejected_by_either_ruleset_are_set_aside_and_named(capsys, tmp_path, local_rulesets):
    good = next(cohort.generate(1, 1))
    bad_date = json.loads(json.dumps(good)) | {"id": "C2", "date_of_birth": "1980-02-30"}
    lines = [json.dumps(good), json.dumps(good | {"id": "C3", "referral_source": 5}), json.dumps(bad_date),
             "{not json", json.dumps(good), json.dumps(good | {"id": "C4", "colour": "blue"})]
    data = tmp_path / "clients.jsonl"
    data.write_text("\n".join(lines) + "\n")
    args = ["compare", "national", "local@1.0.0", "--rulesets", local_rulesets, "--data", data, "--as-of", "2014-06-30"]
    code, out, err = run(capsys, *args)
    assert code == 0 and "6 clients read: 1 compared, 5 set aside" in err
    assert "1 client compared, 5 set aside" in out
    rejected = [line for line in err.splitlines() if line.startswith("rejected: ")]
    assert rejected == [
        f"rejected: {data}:2: client C3 $.referral_source: local@1.0.0 sets this client aside: expected a text, "
        "got the number 5",
        f"rejected: {data}:3: client C2 $.date_of_birth: national@1.0.0 and local@1.0.0 set this client aside: "
        "1980-02-30 is not a real date",
        f"rejected: {data}:4: $: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"rejected: {data}:5: client {good['id']} $.id: duplicate client id {good['id']} (first on line 1)",
        f"rejected: {data}:6: client C4 $.colour: national@1.0.0 and local@1.0.0 set this client aside: "
        "unknown field 'colour' in a client record"]
    errors = tmp_path / "rejected.jsonl"
    code, _, err = run(capsys, *args, "--errors", errors, "--strict")
    assert code == 2 and f"5 set aside (see {errors})" in err
    assert [json.loads(line)["line"] for line in errors.read_text().splitlines()] == [2, 3, 4, 5, 6]


def test_usage_mistakes(capsys, tmp_path):
    code, _, err = run(capsys, "compare", "national", "wigan", "--data", tmp_path / "none.jsonl", "--as-of", "2014-06-30")
    assert code == 2 and "cannot read the data file" in err
    code, _, err = run(capsys, "compare", "national", "wigan", "--data", COHORT, "--as-of", "30/06/2014")
    assert code == 2 and "is not a date" in err
    code, _, err = run(capsys, "compare", "national", "wigan", "--data", COHORT, "--as-of", "2014-06-30",
                       "--out", COHORT)
    assert code == 2 and "is the data file being read" in err
    code, _, err = run(capsys, "compare", "national", "wigna", "--data", COHORT, "--as-of", "2014-06-30")
    assert code == 2 and "wigna" in err


def test_the_table_marks_an_outcome_only_one_ruleset_has(national, local):
    summary = ShadowSummary(ShadowRun(national, local, "2014-06-30"))
    for item in compare(national, local, [with_local_data(next(cohort.generate(1, 1)))], "2014-06-30"):
        summary.add(item)
    table = summary.table()
    assert textwrap.dedent("""\
        naloxone_supplied     1                achieved        —  0      0
                                               not achieved    —  0      0
                                               pending         —  1     +1
        """) in table
    assert "—: the outcome is not in that ruleset" in table


STRETCHED = """ruleset stretched version 1.0.0
extends bracknell 1.0.0
override parameter offending_stretch = 10% illustrative because "A gentler stretch, tried in the shadow year."
"""


def test_measures_are_compared_status_and_value_under_each(tmp_path):
    (tmp_path / "stretched").mkdir()
    (tmp_path / "stretched" / "1.0.0.pbr").write_text(STRETCHED)
    bracknell = pbr_rules.load("bracknell@1.0.0")
    stretched = pbr_rules.load("stretched@1.0.0", [tmp_path])
    clients = [{"id": f"C{i}", "episodes": [{"id": "E1", "start": "2012-06-01"}],
                "offences": [{"date": "2012-07-01"}] if i < 5 else []} for i in range(10)]   # mean 0.5
    run = ShadowRun(bracknell, stretched, "2014-03-31")
    summary = ShadowSummary(run)
    for item in compare(bracknell, stretched, clients, "2014-03-31"):
        summary.add(item)
    ((name, under_a, under_b),) = summary.measures()
    # 0.5 is above 0.435 (25% below 0.58) but not above 0.522 (10% below)
    assert (name, under_a.status, under_b.status, under_a.value, under_b.value) == (
        "offending_reduction", "not_achieved", "achieved", Decimal("0.50"), Decimal("0.50"))
    table = summary.table()
    assert "Cohort measures" in table and "not achieved on 2013-06-01" in table and "yes" in table
    itself = ShadowSummary(ShadowRun(bracknell, bracknell, "2014-03-31"))
    for item in compare(bracknell, bracknell, clients, "2014-03-31"):
        itself.add(item)
    assert "yes" not in itself.table().split("Cohort measures")[1].split("Paid per provider")[0]


def _shadow_items(run: ShadowRun, lines: list) -> list:
    def key(item):
        if isinstance(item, Compared):
            return ("compared", item.a.to_json(), item.b.to_json(), item.differences, item.reworded)
        return ("rejected", item.line_number, item.client, [e.to_json() for e in item.errors])
    return [key(item) for item in run.compare_lines(lines, "in.jsonl")]


def test_the_shadow_run_reads_the_same_with_the_fast_paths_and_without(local):
    """Lines with fields only one ruleset knows, broken lines, a repeated id: the fast paths take
    only lines both accept as they are, and the result is the one the slow path gives."""
    national = pbr_rules.load("national")
    clients = [json.loads(line) for line in COHORT.read_text().splitlines()[:40]]
    clients[3]["referral_source"] = "GP"                                   # only local knows it
    clients[4]["episodes"] = [dict(e, keyworker="K") for e in clients[4]["episodes"]]
    clients[5]["naloxone_kits"] = [{"date": "2013-01-01"}]
    clients[6]["episodes"] = [{"id": "E1", "start": "2013-02-30"}]         # both reject
    clients[7]["id"] = clients[2]["id"]                                    # a repeated id
    lines = [json.dumps(c) for c in clients] + ["{broken", "", json.dumps(clients[0]).encode()]
    run = ShadowRun(national, local, "2014-06-30")
    fast = _shadow_items(run, lines)
    saved = national.reader.fast_read, local.reader.fast_read
    national.reader.fast_read = local.reader.fast_read = None
    try:
        slow = _shadow_items(ShadowRun(national, local, "2014-06-30"), lines)
    finally:
        national.reader.fast_read, local.reader.fast_read = saved
    assert fast == slow
    assert sum(1 for item in fast if item[0] == "rejected") == 4
