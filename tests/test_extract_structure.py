"""The shape of a folder of CSV extracts (issue 11, class 5: clients lost or data misread with exit
0). A structural problem is never passed over: a row whose cells do not match the header, or that
runs over a line break (a stray quote swallowing the rows after it), sets its client aside with the
file and the row's first line; a header that names a column twice, and a list file left out, stop
the run. The same in one process or several, and without msgspec."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import extracts, fast_reader, jobs
from pbr_rules.cli import main

AS_OF = "2014-06-30"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    """12 clients, each with one row in episodes.csv (C00000n on line n + 1 of each file)."""
    folder = tmp_path_factory.mktemp("structure") / "cohort"
    assert main(["cohort", "--clients", "12", "--seed", "1", "--format", "csv", "--out", str(folder)]) == 0
    return folder


@pytest.fixture
def folder(cohort, tmp_path) -> Path:
    return shutil.copytree(cohort, tmp_path / "extracts")


def edit(path: Path, change) -> None:
    """``change`` the file's lines (a list, without their line ends)."""
    lines = path.read_text().splitlines()
    change(lines)
    path.write_text("".join(line + "\n" for line in lines))


def run(capsys, *args) -> tuple:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def every_way(capsys, monkeypatch, *args) -> tuple:
    """The run in one process, in two (many batches), and without msgspec: the same every way."""
    monkeypatch.setattr(jobs, "CLIENTS_PER_BATCH", 3)
    one = run(capsys, *args, "--jobs", 1)
    assert run(capsys, *args, "--jobs", 2) == one
    with monkeypatch.context() as hidden:
        hidden.setattr(fast_reader, "msgspec", None)
        assert run(capsys, *args, "--jobs", 1) == one
    return one


def evaluate(capsys, monkeypatch, folder: Path) -> tuple:
    """(exit code, the rejected lines, the count line) of `pbr evaluate` every way; the API agrees."""
    code, _, err = every_way(capsys, monkeypatch, "evaluate", "national", "--data", folder, "--as-of", AS_OF)
    rejected = [line.removeprefix("rejected: ") for line in err.splitlines() if line.startswith("rejected: ")]
    api = [str(error) for item in pbr_rules.load("national").evaluate_folder(folder, AS_OF)
           if isinstance(item, pbr_rules.Rejected) for error in item.errors]
    assert api == rejected
    return code, rejected, err.splitlines()[-1]


def cells(line: str) -> list:
    return next(csv.reader([line]))


# ---- a row whose cells do not match the header -------------------------------------------------------
def extra_cell(number: int):
    return lambda lines: lines.__setitem__(number - 1, lines[number - 1] + ",x")


def short_by(number: int, count: int):
    return lambda lines: lines.__setitem__(number - 1, ",".join(cells(lines[number - 1])[:-count]))


@pytest.mark.parametrize("file, change, expected, counts", [
    ("clients", extra_cell(3), ["clients.csv:3: client C000002 $: this row has 7 cells, the header has 6"],
     "12 clients read: 11 evaluated, 1 set aside"),
    ("clients", short_by(13, 1), ["clients.csv:13: client C000012 $: this row has 5 cells, the header has 6"],
     "12 clients read: 11 evaluated, 1 set aside"),
    ("episodes", extra_cell(5),
     ["episodes.csv:5: client C000004 $.episodes[0]: this row has 8 cells, the header has 7"],
     "12 clients read: 11 evaluated, 1 set aside"),
    ("top_reviews", short_by(2, 3),
     ["top_reviews.csv:2: client C000001 $.top_reviews[0]: this row has 15 cells, the header has 18"],
     "12 clients read: 11 evaluated, 1 set aside"),
    ("hep_b_doses", lambda lines: lines.append("C000003"),  # one cell: the date left out
     ["hep_b_doses.csv:10: client C000003 $.hep_b_doses[0]: this row has 1 cell, the header has 2"],
     "12 clients read: 11 evaluated, 1 set aside"),
    ("episodes", lambda lines: lines.append("C999,E1,2013-01-01,,,,,"),  # a client only list files have
     ["episodes.csv:14: client C999 $: client C999 has rows in episodes.csv but no row in clients.csv",
      "episodes.csv:14: client C999 $.episodes[0]: this row has 8 cells, the header has 7"],
     "13 clients read: 12 evaluated, 1 set aside"),
    ("clients", lambda lines: lines.insert(4, ""), [],  # a blank line is no row: skipped
     "12 clients read: 12 evaluated, 0 set aside"),
])
def test_a_row_with_more_or_fewer_cells_than_the_header_sets_its_client_aside(
        capsys, monkeypatch, folder, file, change, expected, counts):
    edit(folder / f"{file}.csv", change)
    code, rejected, count_line = evaluate(capsys, monkeypatch, folder)
    assert (code, rejected) == (0, expected)
    assert count_line == f"pbr: {counts}"


# ---- a row that runs over a line break -----------------------------------------------------------------
def replace(number: int, old: str, new: str):
    def change(lines):
        assert old in lines[number - 1]
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return change


def both(*changes):
    def change(lines):
        for one in changes:
            one(lines)
    return change


SWALLOWED = "client {id} $: client {id} has rows in episodes.csv but no row in clients.csv"


@pytest.mark.parametrize("file, change, expected, counts", [
    # a quoted cell holding a line break: reported at the row's first line, the rows after it in place
    ("clients", replace(3, ",P3,", ',"P\n3",'),
     ["clients.csv:3: client C000002 $: a cell runs on to line 4: is a quote missing its pair?"],
     "12 clients read: 11 evaluated, 1 set aside"),
    # a stray quote swallows the rows up to the next quote: its client is set aside, saying where,
    # and the clients swallowed are not lost: their rows in the list files are orphans
    ("clients", both(replace(3, ",M,", ',"M,'), replace(6, ",P3,", ',P3",')),
     ["clients.csv:3: client C000002 $: a cell runs on to line 6: is a quote missing its pair?",
      "episodes.csv:4: " + SWALLOWED.format(id="C000003"), "episodes.csv:5: " + SWALLOWED.format(id="C000004"),
      "episodes.csv:6: " + SWALLOWED.format(id="C000005")],
     "12 clients read: 8 evaluated, 4 set aside"),
    # a stray quote never closed: to the end of the file
    ("clients", replace(11, ",M,", ',"M,'),
     ["clients.csv:11: client C000010 $: a cell runs on to the end of the file (line 13): is a quote missing "
      "its pair?", "episodes.csv:12: " + SWALLOWED.format(id="C000011"),
      "episodes.csv:13: " + SWALLOWED.format(id="C000012")],
     "12 clients read: 9 evaluated, 3 set aside"),
    ("clients", replace(13, ",P2,", ',"P2,'),
     ["clients.csv:13: client C000012 $: a quote opened on this line is never closed: is a quote missing its pair?"],
     "12 clients read: 11 evaluated, 1 set aside"),
    # text after a closing quote, which csv would silently join to the cell: the next row is read
    ("clients", replace(3, ",P3,", ',"P"3,'),
     ['clients.csv:3: client C000002 $: a quoted cell goes on after its closing quote: is a quote missing its '
      'pair? (a quote inside a quoted cell is written twice: "")'],
     "12 clients read: 11 evaluated, 1 set aside"),
    # in a list file, and past a broken row the lines are right
    ("episodes", both(replace(3, ",P3,", ',"P\n3",'), extra_cell(8)),
     ["episodes.csv:3: client C000002 $.episodes[0]: a cell runs on to line 4: is a quote missing its pair?",
      "episodes.csv:9: client C000007 $.episodes[0]: this row has 8 cells, the header has 7"],
     "12 clients read: 10 evaluated, 2 set aside"),
    # an orphan's row is reported at its first line too
    ("episodes", lambda lines: lines.append('C999,E1,"2013-01-01\n",,,,'),
     ["episodes.csv:14: client C999 $: client C999 has rows in episodes.csv but no row in clients.csv",
      "episodes.csv:14: client C999 $.episodes[0]: a cell runs on to line 15: is a quote missing its pair?"],
     "13 clients read: 12 evaluated, 1 set aside"),
    # a list file out of order is sorted through temporary files: its broken rows keep their problems
    ("episodes", lambda lines: lines.insert(1, lines.pop(9).replace(",P", ',"P\n', 1) + '"'),
     ["episodes.csv:2: client C000009 $.episodes[0]: a cell runs on to line 3: is a quote missing its pair?"],
     "12 clients read: 11 evaluated, 1 set aside"),
])
def test_a_row_that_runs_over_a_line_break_sets_its_client_aside_at_its_first_line(
        capsys, monkeypatch, folder, file, change, expected, counts):
    monkeypatch.setattr(extracts, "RUN_ROWS", 2)  # many runs, when a list file is sorted
    edit(folder / f"{file}.csv", change)
    code, rejected, count_line = evaluate(capsys, monkeypatch, folder)
    assert (code, in_episodes(rejected)) == (0, expected)
    assert count_line == f"pbr: {counts}"


def in_episodes(rejected: list) -> list:
    """The rejected lines, less orphans' rows in list files other than episodes.csv."""
    return [line for line in rejected if not re.search(r"has rows in (?!episodes)", line)]


def test_a_cell_longer_than_csv_reads_sets_its_client_aside(capsys, monkeypatch, folder):
    """A stray quote that swallows past csv's limit on a cell (131,072 characters; 100 here): the
    rows it swallowed are reported, and the rows after where csv stopped are read."""
    limit = csv.field_size_limit(100)
    try:
        edit(folder / "clients.csv", replace(3, ",M,", ',"M,'))
        code, rejected, count_line = evaluate(capsys, monkeypatch, folder)
    finally:
        csv.field_size_limit(limit)
    assert (code, in_episodes(rejected)) == (0, [
        "clients.csv:3: client C000002 $: a cell runs on past 100 characters (to line 5): is a quote missing its pair?",
        "episodes.csv:4: " + SWALLOWED.format(id="C000003"), "episodes.csv:5: " + SWALLOWED.format(id="C000004")])
    assert count_line == "pbr: 12 clients read: 9 evaluated, 3 set aside"


# ---- a header that names a column twice, or cannot be read -----------------------------------------------
@pytest.mark.parametrize("file, change, message", [
    ("clients", replace(1, ",complexity,", ",sex,"), "clients.csv names the column `sex` twice (columns 3 and 5)"),
    ("episodes", replace(1, ",modality", ",start"), "episodes.csv names the column `start` twice (columns 3 and 7)"),
    ("top_reviews", replace(1, "days_used.crack", "days_used.opiates"),
     "top_reviews.csv names the column `days_used.opiates` twice (columns 4 and 5)"),
    ("offences", replace(1, ",offence_type", ',"offence_type'),
     "offences.csv line 1: its header cannot be read: a cell runs on to the end of the file (line 9): is a quote "
     "missing its pair?"),
    ("offences", both(replace(1, ",offence_type", ',"offence_type'), replace(3, ",possession", ',possession"')),
     "offences.csv line 1: its header cannot be read: a cell runs on to line 3: is a quote missing its pair?"),
    ("hep_b_doses", lambda lines: lines.insert(0, ""),
     "hep_b_doses.csv line 1 is blank: the first line of the file names its columns"),
    ("hep_b_doses", lambda lines: lines.clear(),  # as good as left out
     "hep_b_doses.csv is empty: if no client has any, write its header line alone"),
])
def test_a_header_that_names_a_column_twice_or_cannot_be_read_stops_the_run(
        capsys, monkeypatch, folder, file, change, message):
    edit(folder / f"{file}.csv", change)
    code, out, err = every_way(capsys, monkeypatch, "evaluate", "national", "--data", folder, "--as-of", AS_OF)
    assert (code, out) == (2, "") and f"pbr: error: {message}\n" in err
    with pytest.raises(pbr_rules.UsageError) as raised:
        list(pbr_rules.load("national").evaluate_folder(folder, AS_OF))
    assert raised.value.message == message


# ---- a list file left out ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command, missing, named", [
    (["evaluate", "national"], ["hep_b_doses"], "hep_b_doses.csv: if no client has any, write the file"),
    (["evaluate", "national"], ["offences", "episodes"],
     "episodes.csv or offences.csv: if no client has any, write each file"),
    (["pay", "lincolnshire"], ["top_reviews"], "top_reviews.csv: if no client has any, write the file"),
    (["measures", "wigan@1.1.0"], ["presentations"], "presentations.csv: if no client has any, write the file"),
    (["explain", "national", "--client", "C000001"], ["episodes"],
     "episodes.csv: if no client has any, write the file"),
    # compare reads the lists of both rulesets: enfield has family_sessions, which the cohort has not
    (["compare", "national", "enfield@1.0.0"], [], "family_sessions.csv: if no client has any, write the file"),
])
def test_a_list_file_left_out_stops_the_run_with_the_fix(capsys, monkeypatch, folder, command, missing, named):
    for name in missing:
        (folder / f"{name}.csv").unlink()
    args = [*command, "--data", folder, "--as-of", AS_OF]
    code, out, err = every_way(capsys, monkeypatch, *args) if command[0] in ("evaluate", "pay", "measures") else \
        run(capsys, *args)
    assert (code, out) == (2, "")
    assert f"pbr: error: {folder} has no {named} with its header line alone\n" in err
    for name in missing or ["family_sessions"]:  # as the message says
        (folder / f"{name}.csv").write_text("client_id\n")
    code, _, err = run(capsys, *command, "--data", folder, "--as-of", AS_OF)
    assert code == 0 and "has no" not in err


def test_a_list_file_left_out_is_refused_by_the_api(folder):
    (folder / "hep_b_doses.csv").unlink()
    with pytest.raises(pbr_rules.UsageError) as raised:
        list(pbr_rules.load("national").evaluate_folder(folder, AS_OF))
    assert raised.value.message == (f"{folder} has no hep_b_doses.csv: if no client has any, write the file with "
                                    "its header line alone")
    assert "hep_b_doses.csv" in raised.value.hint


def test_every_list_file_the_cohort_writes_is_there_even_when_empty(tmp_path):
    """`pbr cohort --format csv` writes each list of the national record, its header alone when no
    client has a record."""
    folder = tmp_path / "none"
    assert main(["cohort", "--clients", "0", "--format", "csv", "--out", str(folder)]) == 0
    national = pbr_rules.load("national").checked.schema
    assert sorted(path.stem for path in folder.iterdir()) == sorted(["clients", *national.lists])
    assert all(re.fullmatch(r"[^\n]+\n", path.read_text()) for path in folder.iterdir())
