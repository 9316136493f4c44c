"""A folder of CSV extracts is streamed: with clients.csv sorted by id, list files sorted by
client_id are merged beside it, and list files in any other order are sorted through temporary
files first. Whatever the order of the list files, the run writes the same bytes and the same
errors as with sorted files, orphans and broken rows included; with clients.csv unsorted the
clients come in its order, each with its own rows."""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from pathlib import Path

import pytest

from pbr_rules import extracts
from pbr_rules.cli import main

AS_OF = "2014-06-30"


@pytest.fixture(scope="module")
def sorted_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extracts") / "sorted"
    assert main(["cohort", "--clients", "150", "--seed", "11", "--format", "csv", "--out", str(folder)]) == 0
    _edit(folder / "episodes.csv", lambda rows: rows + [
        ["C999998", "E1", "2013-01-01", "", "", "", ""][: len(rows[0])],       # an orphan
        rows[3][:1] + ["E9", "2013-02-30"] + rows[3][3:],                       # not a real date
    ])
    _edit(folder / "clients.csv", lambda rows: rows + [rows[5]])              # a repeated client
    _edit(folder / "offences.csv", lambda rows: rows + [["C999999", "2013-01-01"] + rows[1][2:]])
    return folder


def _edit(path: Path, change) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], change(rows[1:] if len(rows) > 1 else [])
    body = [row for row in body if row]
    if path.stem == "clients":
        body.sort(key=lambda row: row[0])
    elif path.stem != "clients":
        body.sort(key=lambda row: row[0])  # sorted by client_id, stable: a client's rows keep their order
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header] + body)
    path.write_text(text.getvalue(), encoding="utf-8")


def shuffled_copy(folder: Path, target: Path, seed: int, clients_too: bool = False) -> Path:
    shutil.copytree(folder, target)
    rng = random.Random(seed)
    for path in target.glob("*.csv"):
        if path.stem == "clients" and not clients_too:
            continue
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        body = lines[1:]
        rng.shuffle(body)
        path.write_text(lines[0] + "".join(body), encoding="utf-8")
    return target


def evaluate(capsys, folder: Path, *more) -> tuple:
    code = main(["evaluate", "national", "--data", str(folder), "--as-of", AS_OF, *more])
    out, err = capsys.readouterr()
    return code, out, err


def without_places(err: str) -> list:
    """The rejections, without their lines and list indexes: shuffling moves the rows."""
    return sorted(re.sub(r"\[\d+\]|line \d+", "#", re.sub(r"^rejected: ([^:]+):\d+:", r"\1:", line))
                  for line in err.splitlines() if line.startswith("rejected:"))


def test_the_fixture_has_orphans_a_repeat_and_a_bad_row(capsys, sorted_folder):
    _, _, err = evaluate(capsys, sorted_folder)
    assert "client C999998 has rows in episodes.csv but no row in clients.csv" in err
    assert "client C999999 has rows in offences.csv but no row in clients.csv" in err
    assert "duplicate client id" in err and "2013-02-30 is not a real date" in err
    assert "not sorted" not in err


@pytest.mark.parametrize("seed", [1, 2])
def test_unsorted_list_files_are_sorted_through_temporary_files_to_the_same_output(
        capsys, monkeypatch, sorted_folder, tmp_path, seed):
    monkeypatch.setattr(extracts, "RUN_ROWS", 37)  # many runs to merge
    expected = evaluate(capsys, sorted_folder)
    shuffled = shuffled_copy(sorted_folder, tmp_path / "shuffled", seed)
    code, out, err = evaluate(capsys, shuffled)
    assert (code, out) == expected[:2]
    assert without_places(err) == without_places(expected[2])
    assert "not sorted" not in err


def test_the_temporary_files_are_removed(capsys, monkeypatch, sorted_folder, tmp_path):
    monkeypatch.setattr(extracts, "RUN_ROWS", 37)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    evaluate(capsys, shuffled_copy(sorted_folder, tmp_path / "shuffled", 3))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_unsorted_clients_file_is_streamed_too_in_its_own_order(capsys, monkeypatch, sorted_folder, tmp_path):
    monkeypatch.setattr(extracts, "RUN_ROWS", 37)
    expected = evaluate(capsys, sorted_folder, "--format", "csv")
    shuffled = shuffled_copy(sorted_folder, tmp_path / "all", 4, clients_too=True)
    code, out, err = evaluate(capsys, shuffled, "--format", "csv")
    assert code == expected[0]
    assert sorted(out.splitlines()) == sorted(expected[1].splitlines())
    order = [line.split(",")[0] for line in (shuffled / "clients.csv").read_text().splitlines()[1:]]
    written = list(dict.fromkeys(line.split(",")[0] for line in out.splitlines()[1:]))
    assert written == [client for client in dict.fromkeys(order) if client in written]  # less those set aside
    assert without_places(err) == without_places(expected[2])
    assert "not sorted" not in err


def test_the_merge_reads_ids_as_the_records_do(capsys, tmp_path):
    """A column `id.x` is read as `id` (as `sex.x` would be read as `sex`): the merge must take the
    same ids, or a client's rows become orphans (found by review)."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "clients.csv").write_text("id,id.x\nA,Z\nB,Y\n")
    (folder / "episodes.csv").write_text("client_id,id,start\nY,E1,2013-01-01\nZ,E1,2013-02-01\n")
    for name in ("top_reviews", "presentations", "offences", "hep_b_doses"):
        (folder / f"{name}.csv").write_text("client_id,date\n")
    code, out, err = evaluate(capsys, folder, "--format", "csv", "--outcome", "planned_exit")
    assert "no row in clients.csv" not in err
    assert [line.split(",")[:5] for line in out.splitlines()[1:]] == [
        ["Z", "national@1.0.0", AS_OF, "planned_exit", "E1"], ["Y", "national@1.0.0", AS_OF, "planned_exit", "E1"]]
