"""Client records from a folder of CSV extracts (docs/data.md)."""

from __future__ import annotations

import textwrap

import pytest

from pbr_rules import Rejected, UsageError
from pbr_rules.cli import main


def write(folder, **files):
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).lstrip())
    return folder


LISTS = ("episodes", "top_reviews", "presentations", "offences", "hep_b_doses")


def every_list(**files) -> dict:
    """These files, and every other list file of the national schema with its header line alone
    (a list file left out is refused)."""
    return {name: "client_id\n" for name in LISTS} | files


def test_a_cohort_as_csv_gives_the_same_results_as_json_lines(tmp_path, capsys):
    main(["cohort", "--clients", "250", "--seed", "12", "--format", "csv", "--out", str(tmp_path / "csv")])
    main(["cohort", "--clients", "250", "--seed", "12", "--out", str(tmp_path / "c.jsonl")])
    capsys.readouterr()
    for data in (tmp_path / "csv", tmp_path / "c.jsonl"):
        assert main(["evaluate", "wigan", "--data", str(data), "--as-of", "2014-06-30",
                     "--out", str(tmp_path / f"{data.name}.out")]) == 0
    assert (tmp_path / "csv.out").read_bytes() == (tmp_path / "c.jsonl.out").read_bytes()


def test_cells_are_read_by_the_schema(national, tmp_path):
    folder = write(tmp_path / "x", **every_list(
                   clients="""
                       id,presenting_substances,sex
                       C1,opiates;crack,F
                       """,
                   episodes="""
                       client_id,id,start,end,discharge_reason
                       C1,E1,2012-01-01,2012-06-01,completed_drug_free
                       """,
                   top_reviews="""
                       client_id,date,stage,days_used.opiates,acute_housing_problem
                       C1,2012-01-01,start,20,yes
                       C1,2012-03-01,review,0,
                       """))
    (result,) = list(national.evaluate_folder(folder, "2013-01-01"))
    assert result.result("planned_exit", "E1").status == "achieved"
    assert result.result("housing", "E1").status == "not_achieved"  # applicable: housing problem at start


def test_problems_name_the_file_and_line(national, tmp_path):
    folder = write(tmp_path / "x", **every_list(
                   clients="""
                       id,sex
                       C1,F
                       C2,M
                       C3,F
                       """,
                   episodes="""
                       client_id,id,start,end,discharge_reason,colour
                       C1,E1,2012-01-01,,,
                       C2,E1,2012-02-30,,,
                       C3,E1,2012-01-01,,,blue
                       C9,E1,2012-01-01,,,
                       """))
    items = list(national.evaluate_folder(folder, "2013-01-01"))
    assert [type(i).__name__ for i in items] == ["ClientResult", "Rejected", "Rejected", "Rejected"]
    bad_date, unknown_column, orphan = items[1:]
    assert [(e.source, e.line_number, e.path, e.message) for e in bad_date.errors] == [
        ("episodes.csv", 3, "$.episodes[0].start", "2012-02-30 is not a real date")]
    assert [(e.source, e.line_number, e.path) for e in unknown_column.errors] == [
        ("episodes.csv", 4, "$.episodes[0].colour")]
    assert [(e.client, e.source, e.line_number, e.message) for e in orphan.errors] == [
        ("C9", "episodes.csv", 5, "client C9 has rows in episodes.csv but no row in clients.csv")]


def test_duplicate_client_rows_are_set_aside(national, tmp_path):
    folder = write(tmp_path / "x", **every_list(clients="""
        id
        C1
        C1
        """))
    items = list(national.evaluate_folder(folder, "2013-01-01"))
    assert isinstance(items[1], Rejected)
    assert items[1].errors[0].message == "duplicate client id C1 (first on line 2)"


@pytest.mark.parametrize("files, message", [
    ({"episodes": "client_id,id,start\n"}, "has no clients.csv"),
    # a file named like a missing list is a misspelling: skipping it would lose its records
    ({"clients": "id\n", "episode": "client_id,id\n"}, "has episode.csv but no episodes.csv: did you mean episodes.csv?"),
    ({"client": "id\n"}, "has client.csv but no clients.csv: did you mean clients.csv?"),
    (every_list(clients="id\n", episodes="client,id,start\n"), "episodes.csv has no `client_id` column"),
])
def test_a_folder_that_is_not_a_set_of_extracts(national, tmp_path, files, message):
    folder = write(tmp_path / "x", **files)
    with pytest.raises(UsageError) as caught:
        list(national.evaluate_folder(folder, "2013-01-01"))
    assert message in caught.value.message


def test_explain_reads_a_folder(tmp_path, capsys):
    main(["cohort", "--clients", "5", "--seed", "2", "--format", "csv", "--out", str(tmp_path / "csv")])
    code = main(["explain", "national", "--data", str(tmp_path / "csv"), "--client", "C000003",
                 "--as-of", "2014-06-30"])
    assert code == 0 and "Client C000003 under national@1.0.0" in capsys.readouterr().out


def test_a_cell_that_is_not_utf8_sets_its_client_aside(national, tmp_path):
    folder = write(tmp_path / "x", **every_list())
    (folder / "clients.csv").write_bytes(b"id,sex\nC1,F\nC2,caf\xe9\n")
    (folder / "episodes.csv").write_bytes(b"client_id,id,start,modality\nC1,E1,2012-01-01,\xe9\n")
    items = list(national.evaluate_folder(folder, "2013-01-01"))
    assert [type(i).__name__ for i in items] == ["Rejected", "Rejected"]
    assert [(e.source, e.line_number, e.path, e.message) for e in items[0].errors] == [
        ("episodes.csv", 2, "$.episodes[0].modality", "this cell is not UTF-8 text")]
    assert [(e.source, e.line_number, e.path) for e in items[1].errors] == [("clients.csv", 3, "$.sex")]


def test_a_file_no_list_is_named_after_is_not_read_with_a_note(national, tmp_path, caplog):
    folder = write(tmp_path / "x", **every_list(clients="id\nC1\n", hep_c_doses="client_id,date\nC1,2012-01-01\n",
                                                hep_b_doses="client_id,date\n"))
    (result,) = list(national.evaluate_folder(folder, "2013-01-01"))
    assert result.client == "C1"
    assert [r.getMessage() for r in caplog.records] == [
        f"pbr: note: hep_c_doses.csv in {folder} is not read: the client record has no list called hep_c_doses "
        "(the lists: episodes, top_reviews, presentations, offences, hep_b_doses)"]


def test_a_file_named_like_a_missing_list_can_be_read_on_purpose(national, tmp_path):
    folder = write(tmp_path / "x", **every_list(clients="id\nC1\n", hep_c_doses="client_id,date\nC1,2012-01-01\n"))
    (folder / "hep_b_doses.csv").unlink()
    with pytest.raises(UsageError) as caught:
        list(national.evaluate_folder(folder, "2013-01-01"))
    assert "did you mean hep_b_doses.csv?" in caught.value.message
    assert "add a hep_b_doses.csv with just its header line" in caught.value.hint
    write(folder, hep_b_doses="client_id,date\n")  # as the hint says
    assert [r.client for r in national.evaluate_folder(folder, "2013-01-01")] == ["C1"]
