"""`pbr pay` from the command line: every format, the shadow mark, --from/--to, set-aside clients,
escaping of untrusted names, and golden statements (regenerate with PBR_UPDATE_GOLDEN=1 after a
deliberate change, and read the diff)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pbr_rules.cli import main
from conftest import assert_golden

HERE = Path(__file__).parent
CLIENTS = HERE.parent / "rulesets" / "lincolnshire" / "examples" / "clients.jsonl"
KEYS = ["provider", "period", "date", "client", "item", "unit", "instalment", "due", "paid", "status", "reasons",
        "ruleset"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl_lines_have_the_contract_keys_in_order(capsys):
    code, out, err = run(capsys, "pay", "lincolnshire", "--data", CLIENTS, "--as-of", "2013-12-31")
    assert code == 0 and "5 clients read: 5 paid, 0 set aside" in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and all(list(line) == KEYS for line in lines)
    assert {line["status"] for line in lines} == {"payable", "held"}
    dates = [line["date"] for line in lines]
    assert dates == sorted(dates)


def test_csv_and_shadow(capsys):
    code, out, _ = run(capsys, "pay", "lincolnshire", "--data", CLIENTS, "--as-of", "2013-12-31", "--format", "csv",
                       "--shadow")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and list(rows[0]) == KEYS + ["shadow"]
    assert {row["shadow"] for row in rows} == {"shadow: not for payment"}


def test_from_and_to(capsys):
    _, out, _ = run(capsys, "pay", "lincolnshire", "--data", CLIENTS, "--as-of", "2013-12-31",
                    "--from", "2013-04-01", "--to", "2013-06-30")
    assert {json.loads(line)["period"] for line in out.splitlines()} == {"2013-Q2"}


def test_evaluate_fills_amounts(capsys):
    _, out, _ = run(capsys, "evaluate", "lincolnshire", "--data", CLIENTS, "--as-of", "2013-12-31")
    first = json.loads(out.splitlines()[0])
    amounts = {r["outcome"]: r["amount"] for r in first["results"]}
    assert amounts["planned_exit"] == "400.00" and amounts["sustained_recovery"] == "1333.33"
    assert amounts["abstinence"] is None


def test_a_bad_client_is_set_aside_and_the_others_paid(capsys, tmp_path):
    data = tmp_path / "clients.jsonl"
    data.write_text(CLIENTS.read_text() + '{"id": "BAD", "episodes": [{"id": "E1", "start": "soon"}]}\n')
    code, out, err = run(capsys, "pay", "lincolnshire", "--data", data, "--as-of", "2013-12-31", "--strict")
    assert code == 2 and "6 clients read: 5 paid, 1 set aside" in err and "BAD" in err
    assert out.strip()


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_statement_is_golden(capsys, fmt):
    code, out, _ = run(capsys, "pay", "lincolnshire", "--data", CLIENTS, "--as-of", "2013-06-30", "--format", fmt)
    assert code == 0
    assert_golden(HERE / "statements" / f"lincolnshire_2013-06-30.{fmt}", out)


def test_untrusted_names_are_escaped(capsys, tmp_path):
    data = tmp_path / "clients.jsonl"
    record = json.loads(CLIENTS.read_text().splitlines()[0])
    record["provider"] = '<script>alert(1)</script> | # *x*'
    record["episodes"][0].pop("provider")
    data.write_text(json.dumps(record) + "\n")
    _, html, _ = run(capsys, "pay", "lincolnshire", "--data", data, "--as-of", "2013-12-31", "--format", "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    _, md, _ = run(capsys, "pay", "lincolnshire", "--data", data, "--as-of", "2013-12-31", "--format", "md")
    assert "<script>" not in md and r"\<script\>" in md and r"\|" in md


def test_a_ruleset_without_tariffs_pays_nothing(capsys):
    code, out, err = run(capsys, "pay", "national", "--data", CLIENTS, "--as-of", "2013-12-31")
    assert code == 0 and out == "" and "nothing is paid" in err


def test_csv_cells_cannot_become_spreadsheet_formulas(capsys, tmp_path):
    data = tmp_path / "clients.jsonl"
    record = json.loads(CLIENTS.read_text().splitlines()[0])
    record["id"] = "=HYPERLINK(1)"
    data.write_text(json.dumps(record) + "\n")
    _, out, _ = run(capsys, "pay", "lincolnshire", "--data", data, "--as-of", "2013-12-31", "--format", "csv")
    assert {row["client"] for row in csv.DictReader(io.StringIO(out)) if row["client"]} == {"'=HYPERLINK(1)"}


def test_the_output_never_overwrites_the_data(capsys, tmp_path):
    data = tmp_path / "clients.jsonl"
    data.write_text(CLIENTS.read_text())
    code, _, err = run(capsys, "pay", "lincolnshire", "--data", data, "--as-of", "2013-12-31", "--out", data)
    assert code == 2 and "destroy" in err and data.read_text() == CLIENTS.read_text()


def test_statements_say_how_many_clients_were_set_aside(capsys, tmp_path):
    data = tmp_path / "clients.jsonl"
    data.write_text(CLIENTS.read_text() + '{"id": "BAD", "episodes": 3}\n')
    _, out, _ = run(capsys, "pay", "lincolnshire", "--data", data, "--as-of", "2013-12-31", "--format", "md")
    assert "1 client was set aside" in out
