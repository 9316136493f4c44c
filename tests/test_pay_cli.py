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


def test_payment_lines_are_written_as_json_dumps_writes_them():
    """`pbr pay` writes each line's JSON directly: byte for byte what json.dumps gives, for every
    line of every pilot's run over the example cohort, shadow or not, and for any text."""
    import datetime as dt
    from decimal import Decimal as D

    import attrs
    from hypothesis import given, settings, strategies as st

    import pbr_rules
    from pbr_rules.pay import PaymentRun
    from pbr_rules.pay.lines import LineStatus, PaymentLine
    cohort = HERE.parent / "rulesets" / "national" / "examples" / "cohort.jsonl"
    records = [json.loads(line) for line in cohort.read_text().splitlines()]
    for ref in ("lincolnshire", "bracknell@1.1.0", "stockport", "west_kent", "wigan@1.1.0"):
        run = pbr_rules.load(ref).pay(records, "2014-06-30")
        for shadow in (False, True):
            run = attrs.evolve(run, shadow=shadow)
            assert list(run.json_lines()) == [json.dumps(data, ensure_ascii=False) for data in run.to_json_lines()]

    texts = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=8)

    @settings(max_examples=300, deadline=None)
    @given(provider=texts, client=st.none() | texts, item=texts, unit=st.none() | texts, instalment=st.none() | texts,
           day=st.none() | st.dates(), due=st.none() | st.decimals(places=2, allow_nan=False, allow_infinity=False),
           reasons=st.lists(texts, max_size=3), ruleset=texts)
    def same(provider, client, item, unit, instalment, day, due, reasons, ruleset):
        line = PaymentLine(provider, day, client, item, unit, instalment, due, D("1.50"), LineStatus.PART_CAPPED, tuple(reasons))
        run = PaymentRun(ruleset, dt.date(2014, 6, 30), (line,), (), (), (), False, None, None)
        assert list(run.json_lines()) == [json.dumps(data, ensure_ascii=False) for data in run.to_json_lines()]

    same()
