"""The `pbr` command line: its commands, outputs and exit codes (0 ok, 1 failures, 2 usage)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pbr_rules.cli import main
from pbr_rules.resolve import RulesetLibrary

from conftest import client, episode

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "clients.jsonl"
    rows = [client("C1", [episode("E1", "2012-01-10", "2012-11-30", "completed_drug_free")]),
            {"id": "C2", "sex": 5},
            client("C3", [episode("E1", "2012-03-01")])]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_ok(capsys):
    code, out, _ = run(capsys, "check", "national", "wigan@1.0.0")
    assert code == 0
    assert out.splitlines() == ["national@1.0.0: ok (10 outcomes, 52 examples)",
                                "wigan@1.0.0: ok (10 outcomes, 7 examples, 1 override(s))"]


def test_check_reports_errors_gcc_style(capsys):
    code, _, err = run(capsys, "check", GOLDEN / "syntax_missing_at.pbr")
    assert code == 1
    assert err.startswith(f"{GOLDEN / 'syntax_missing_at.pbr'}:4:12: error: unexpected 'when'")
    assert "\n               ^\n" in err


def test_unknown_ruleset_is_a_usage_error(capsys):
    code, _, err = run(capsys, "check", "nowhere")
    assert code == 2 and "no ruleset called `nowhere`" in err


def test_test_runs_every_shipped_example(capsys):
    code, out, _ = run(capsys, "test")
    *per_ruleset, total = out.splitlines()
    library = RulesetLibrary()
    assert [line.split(":")[0] for line in per_ruleset] == [
        f"{name}@{version}" for name in library.names() for version in library.versions(name)]
    passed = sum(int(line.split(": ")[1].split()[0]) for line in per_ruleset)
    # the shipped rulesets had 107 examples when this was written; more are added, none taken away
    assert code == 0 and passed >= 107 and total == f"{passed} passed, 0 failed"


def test_evaluate_jsonl_sets_bad_clients_aside(capsys, data, tmp_path):
    errors = tmp_path / "errors.jsonl"
    code, out, err = run(capsys, "evaluate", "national", "--data", data, "--as-of", "2013-06-30",
                         "--errors", errors)
    assert code == 0
    assert [json.loads(line)["client"] for line in out.splitlines()] == ["C1", "C3"]
    assert "3 clients read: 2 evaluated, 1 set aside" in err
    assert json.loads(errors.read_text())["path"] == "$.sex"


def test_evaluate_strict_fails_on_rejects(capsys, data):
    code, _, err = run(capsys, "evaluate", "national", "--data", data, "--as-of", "2013-06-30", "--strict")
    assert code == 2 and "rejected:" in err


def test_evaluate_csv_and_table(capsys, data, tmp_path):
    out_file = tmp_path / "out.csv"
    code, _, _ = run(capsys, "evaluate", "national", "--data", data, "--as-of", "2013-06-30",
                     "--format", "csv", "--out", out_file)
    rows = out_file.read_text().splitlines()
    assert code == 0 and rows[0] == "client,ruleset,as_of,outcome,unit,status,date,due,amount,reasons"
    assert rows[1].startswith("C1,national@1.0.0,2013-06-30,abstinence,E1,")
    code, out, _ = run(capsys, "evaluate", "national", "--data", data, "--as-of", "2013-06-30",
                       "--format", "table")
    assert out.splitlines()[0].split() == ["client", "outcome", "unit", "status", "date", "due"]


@pytest.mark.parametrize("args, message", [
    (["evaluate", "national", "--data", "missing.jsonl", "--as-of", "2013-06-30"], "cannot read the data file"),
    (["evaluate", "national", "--data", "-", "--as-of", "2013-13-01"], "is not a date"),
    (["explain", "national", "--data", "-", "--client", "C1", "--as-of", "2013-13-01"], "is not a date"),
])
def test_usage_errors(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err


def test_argparse_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["evaluate", "national"])
    assert caught.value.code == 2


@pytest.mark.parametrize("command", ["check", "test", "evaluate", "explain", "cohort"])
def test_help(capsys, command):
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    assert "usage: pbr " + command in capsys.readouterr().out


def test_explain_traces_every_rule(capsys, data):
    code, out, _ = run(capsys, "explain", "wigan@1.0.0", "--data", data, "--client", "C1", "--as-of", "2013-06-30")
    assert code == 0
    assert "sustained_recovery: Successful completion without re-presentation" in out
    assert "w = the period 2012-12-01 to 2013-05-30" in out
    assert "=> E1: achieved on 2013-05-30" in out


def test_explain_unknown_client(capsys, data):
    code, _, err = run(capsys, "explain", "national", "--data", data, "--client", "C404", "--as-of", "2013-06-30")
    assert code == 2 and "no client C404" in err


def test_explain_invalid_client(capsys, data):
    code, _, err = run(capsys, "explain", "national", "--data", data, "--client", "C2", "--as-of", "2013-06-30")
    assert code == 2 and "$.sex" in err


def test_cohort_is_seeded_and_valid(capsys, tmp_path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    run(capsys, "cohort", "--clients", 300, "--seed", 5, "--out", a)
    run(capsys, "cohort", "--clients", 300, "--seed", 5, "--out", b)
    run(capsys, "cohort", "--clients", 300, "--seed", 6, "--out", c)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    code, out, err = run(capsys, "evaluate", "national", "--data", a, "--as-of", "2014-06-30", "--strict")
    assert code == 0 and "300 evaluated, 0 set aside" in err


def test_output_is_byte_identical_across_processes(tmp_path):
    """Determinism, including across Python's string hash seeds (sets of substances)."""
    cohort = tmp_path / "cohort.jsonl"
    main(["cohort", "--clients", "200", "--seed", "3", "--out", str(cohort)])
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-m", "pbr_rules.cli", "evaluate", "national", "--data",
                               str(cohort), "--as-of", "2014-06-30"], capture_output=True, env=env, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0]) > 0


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "pbr"  # beside this Python: a venv need not be activated
    done = subprocess.run([str(script if script.exists() else "pbr"), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "evaluate" in done.stdout


def test_a_line_that_is_not_utf8_is_set_aside_alone(capsys, tmp_path):
    data = tmp_path / "mixed.jsonl"
    good = json.dumps(client("C1", [episode("E1", "2012-01-10")])).encode()
    data.write_bytes(good + b"\n" + b'{"id": "C2", "sex": "caf\xe9"}\n' + good.replace(b'"C1"', b'"C3"') + b"\n")
    code, out, err = run(capsys, "evaluate", "national", "--data", data, "--as-of", "2013-06-30")
    assert code == 0
    assert [json.loads(line)["client"] for line in out.splitlines()] == ["C1", "C3"]
    assert "mixed.jsonl:2: $: not UTF-8 text: byte 0xe9 at column 25" in err
    assert "3 clients read: 2 evaluated, 1 set aside" in err


def test_a_folder_is_not_a_ruleset(capsys, tmp_path):
    code, _, err = run(capsys, "check", tmp_path)
    assert code == 2 and err.startswith(f"pbr: error: {tmp_path} is a folder, not a ruleset")


def test_the_command_line_starts_without_loading_the_engine():
    """`pbr --help`, a misspelt option or `pbr cohort` should not wait for every stage to load: the
    stages are imported where a command first needs them (docs/performance.md)."""
    import subprocess
    import sys
    code = ("import sys, pbr_rules.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[:2] in ("
            "['pbr_rules', 'evaluate'], ['pbr_rules', 'tree'], ['pbr_rules', 'check'], ['pbr_rules', 'jobs'])))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
