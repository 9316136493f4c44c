"""`pbr evaluate --jobs N` writes byte for byte what one process writes, errors included: results in
input order, clients set aside with the same words and line numbers, a repeated id caught across
chunks. Chunks are made small here so that a few hundred clients make many of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pbr_rules import jobs
from pbr_rules.cli import main
from pbr_rules.cohort import generate

AS_OF = "2014-06-30"


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    """300 clients, with broken lines, blank lines, a repeated id across the file, and no final newline."""
    lines = [json.dumps(client) for client in generate(300, seed=7)]
    lines[5] = lines[5].replace('"episodes"', '"episode"')              # unknown field
    lines[40] = "{not json"
    lines[41] = ""
    lines[120] = json.dumps({**json.loads(lines[3])})                  # the id of line 4 again, far on
    lines[121] = json.dumps({**json.loads(lines[121]), "id": json.loads(lines[250])["id"]})  # an id that comes later
    lines[200] = "   "
    path = tmp_path_factory.mktemp("jobs") / "clients.jsonl"
    path.write_bytes(("\n".join(lines)).encode("utf-8") + b"\n\xff\xfe broken bytes\n" + lines[7].encode())
    return path


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "table"])
@pytest.mark.parametrize("count", [2, 3])
def test_n_processes_write_what_one_writes(capsys, monkeypatch, messy, fmt, count):
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 4096)
    one = run(capsys, "evaluate", "national", "--data", messy, "--as-of", AS_OF, "--format", fmt)
    several = run(capsys, "evaluate", "national", "--data", messy, "--as-of", AS_OF, "--format", fmt,
                  "--jobs", count)
    assert several == one
    assert len(jobs._chunks(str(messy), jobs.CHUNK_BYTES)) > 10
    assert "300 clients read: 294 evaluated, 6 set aside" in one[2]
    assert f"{messy}:121: client {json.loads(messy.read_bytes().splitlines()[3])['id']} $.id: duplicate client id" in one[2]


def test_n_processes_write_the_same_errors_file(capsys, monkeypatch, messy, tmp_path):
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 2048)
    outputs = []
    for count in (1, 2):
        out, errors = tmp_path / f"out{count}.jsonl", tmp_path / f"errors{count}.jsonl"
        code, _, _ = run(capsys, "evaluate", "national", "--data", messy, "--as-of", AS_OF, "--jobs", count,
                         "--out", out, "--errors", errors, "--outcome", "planned_exit")
        outputs.append((code, out.read_bytes(), errors.read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][2].count(b"\n") == 6


def test_the_chunks_cover_the_file_and_end_at_line_ends(messy):
    chunks = jobs._chunks(str(messy), 1000)
    data = messy.read_bytes()
    assert chunks[0][0] == 0 and chunks[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert all(data[end - 1:end] == b"\n" for _, end in chunks[:-1])


def test_jobs_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["evaluate", "national", "--data", "x.jsonl", "--as-of", AS_OF, "--jobs", "0"])
    assert exit.value.code == 2
    assert "--jobs takes a number of processes, 1 or more, not '0'" in capsys.readouterr().err


class Terminal:
    """A stream that says it is a terminal, keeping what is written."""

    def __init__(self, terminal: bool = True):
        self.terminal, self.text = terminal, ""

    def isatty(self) -> bool:
        return self.terminal

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_is_drawn_on_a_terminal_and_cleared(monkeypatch):
    from pbr_rules.cli import common
    clock = iter([0.0, 0.5, 1.2, 1.3, 2.0])
    monkeypatch.setattr(common.time, "monotonic", lambda: next(clock))
    stream = Terminal()
    progress = common.Progress(stream)
    progress.update({"evaluated": 10, "rejected": 0})     # 0.5 s: not yet
    assert stream.text == ""
    progress.update({"evaluated": 1199, "rejected": 1})   # 1.2 s
    assert stream.text == "\rpbr: 1,200 clients read, 1 set aside, 1,000 a second\x1b[K"
    progress.update({"evaluated": 1300, "rejected": 1})   # 1.3 s: too soon to redraw
    progress.clear()
    assert stream.text.endswith("\r\x1b[K") and stream.text.count("clients read") == 1


def test_no_progress_where_standard_error_is_not_a_terminal(monkeypatch):
    from pbr_rules.cli import common
    monkeypatch.setattr(common.time, "monotonic", lambda: 100.0)
    stream = Terminal(terminal=False)
    progress = common.Progress(stream)
    progress.update({"evaluated": 10**6, "rejected": 0})
    progress.clear()
    assert stream.text == ""


@pytest.mark.parametrize("command", [["pay", "lincolnshire"], ["pay", "bracknell@1.1.0", "--format", "csv"],
                                     ["measures", "wigan@1.1.0"], ["measures", "bracknell@1.0.0", "--format", "table"]])
def test_pay_and_measures_in_n_processes_write_what_one_writes(capsys, monkeypatch, messy, command):
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 4096)
    one = run(capsys, *command, "--data", messy, "--as-of", AS_OF, "--jobs", 1)
    several = run(capsys, *command, "--data", messy, "--as-of", AS_OF, "--jobs", 3)
    assert several == one
    assert one[1] and "300 clients read: 294" in one[2]


@pytest.fixture(scope="module")
def messy_folder(tmp_path_factory) -> Path:
    """A folder of extracts for 300 clients, with a bad row, an orphan and a repeated client."""
    folder = tmp_path_factory.mktemp("jobs") / "extracts"
    assert main(["cohort", "--clients", "300", "--seed", "5", "--format", "csv", "--out", str(folder)]) == 0
    episodes = folder / "episodes.csv"
    lines = episodes.read_text().splitlines()
    lines.insert(20, lines[19].split(",", 1)[0] + ",E77,2013-02-30,,,,")
    lines.append("C999999,E1,2013-01-01,,,,")
    episodes.write_text("\n".join(lines) + "\n")
    clients = folder / "clients.csv"
    rows = clients.read_text().splitlines()
    clients.write_text("\n".join(rows + [rows[40]]) + "\n")
    return folder


@pytest.mark.parametrize("command", [["evaluate", "national"], ["evaluate", "national", "--format", "csv"],
                                     ["pay", "lincolnshire"], ["measures", "wigan@1.1.0"]])
def test_a_folder_of_extracts_in_n_processes_gives_what_one_gives(capsys, monkeypatch, messy_folder, command):
    monkeypatch.setattr(jobs, "CLIENTS_PER_BATCH", 7)
    one = run(capsys, *command, "--data", messy_folder, "--as-of", AS_OF, "--jobs", 1)
    several = run(capsys, *command, "--data", messy_folder, "--as-of", AS_OF, "--jobs", 3)
    assert several == one
    assert "2013-02-30 is not a real date" in one[2] and "C999999 has rows in episodes.csv" in one[2]
    assert "duplicate client id" in one[2]


def failing_for(monkeypatch, client_id: str) -> None:
    """Evaluating the client with this id fails, as a bug would (forked workers inherit it)."""
    from pbr_rules.errors import InternalError
    from pbr_rules.evaluate import Ruleset
    real = Ruleset.evaluate_prepared

    def evaluate_prepared(self, client, as_of):
        if client["id"] == client_id and any(e["id"] == "E99" for e in client["episodes"]):
            raise InternalError(f"a bug met client {client_id}")
        return real(self, client, as_of)

    monkeypatch.setattr(Ruleset, "evaluate_prepared", evaluate_prepared)


def test_a_run_that_fails_part_way_writes_what_one_process_writes_before_failing(capsys, monkeypatch, tmp_path):
    """Found by review: a failure in a worker lost the clients of its chunk that came before it."""
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 1 << 20)
    failing_for(monkeypatch, "B")
    data = tmp_path / "crash.jsonl"
    lines = [json.dumps(client) for client in generate(3, seed=1)]
    breaking = json.dumps({"id": "B", "episodes": [{"id": "E99", "start": "2013-01-01"}]})
    data.write_text("\n".join([lines[0], breaking, lines[1], lines[2]]) + "\n")
    outputs = []
    for count in (1, 2):  # to standard output: a file given with --out is not written at all after a failure
        code, out, err = run(capsys, "evaluate", "national", "--data", data, "--as-of", AS_OF,
                             "--jobs", count, "--outcome", "planned_exit")
        outputs.append((code, out, err.splitlines()[-1]))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 3 and outputs[0][1].count("\n") == 1 and "a bug met client B" in outputs[0][2]
    out = tmp_path / "out.jsonl"
    assert run(capsys, "evaluate", "national", "--data", data, "--as-of", AS_OF, "--out", out, "--jobs", 2)[0] == 3
    assert not out.exists()


def test_a_failure_on_a_client_set_aside_for_a_repeated_id_does_not_stop_the_run(capsys, monkeypatch, tmp_path):
    """One process never evaluates a client whose id came before, so a failure there cannot stop it."""
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 1 << 20)
    lines = [json.dumps(client) for client in generate(3, seed=1)]
    first = json.loads(lines[0])
    failing_for(monkeypatch, first["id"])
    repeat = json.dumps({**first, "episodes": [{"id": "E99", "start": "2013-01-01"}]})
    data = tmp_path / "repeat.jsonl"
    data.write_text("\n".join([lines[0], lines[1], repeat, lines[2]]) + "\n")
    one = run(capsys, "evaluate", "national", "--data", data, "--as-of", AS_OF, "--jobs", 1)
    two = run(capsys, "evaluate", "national", "--data", data, "--as-of", AS_OF, "--jobs", 2)
    assert one == two
    assert one[0] == 0 and "duplicate client id" in one[2]
    alone = tmp_path / "alone.jsonl"
    alone.write_text(repeat + "\n")
    assert run(capsys, "evaluate", "national", "--data", alone, "--as-of", AS_OF, "--jobs", 2)[0] == 3  # it does fail


def test_an_unreadable_data_file_is_a_usage_error_with_jobs_too(capsys, tmp_path, monkeypatch):
    import builtins
    data = tmp_path / "locked.jsonl"
    data.write_text("{}\n" * 10)
    real_open = builtins.open

    def refusing(path, *args, **kwargs):  # as a file without read permission does, even for root
        if str(path) == str(data):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing)
    for count in (1, 2):
        code, _, err = run(capsys, "evaluate", "national", "--data", data, "--as-of", AS_OF, "--jobs", count)
        assert code == 2 and f"cannot read the data file {data}: Permission denied" in err
