"""Input validation: bad records are reported with client, path and line, and set aside."""

from __future__ import annotations

import json

import pytest

from pbr_rules import DataError, Rejected

from conftest import client, episode

GOOD = client("C1", [episode("E1", "2012-01-10", "2012-11-30", "completed_drug_free")])


def rejection(national, record) -> list:
    lines = [json.dumps(GOOD), record if isinstance(record, str) else json.dumps(record), json.dumps(
        client("C3", [episode("E1", "2012-02-01")]))]
    items = list(national.evaluate_lines(lines, "2013-01-01", source="in.jsonl"))
    assert [type(i).__name__ for i in items] == ["ClientResult", "Rejected", "ClientResult"]
    assert items[1].line_number == 2
    return [(e.path, e.message) for e in items[1].errors]


def with_(**changes):
    record = json.loads(json.dumps(GOOD))
    record["id"] = "C2"
    record.update(changes)
    return record


def test_unknown_field_with_suggestion(national):
    assert rejection(national, with_(presenting_substance=["opiates"])) == [
        ("$.presenting_substance", "unknown field 'presenting_substance' in a client record "
                                   "(did you mean 'presenting_substances'?)")]


def test_wrong_type(national):
    assert rejection(national, with_(episodes=[{"id": "E1", "start": 20120110}])) == [
        ("$.episodes[0].start", "20120110 is not a date in the form YYYY-MM-DD")]


def test_impossible_date(national):
    assert rejection(national, with_(episodes=[{"id": "E1", "start": "2012-02-30"}])) == [
        ("$.episodes[0].start", "2012-02-30 is not a real date")]


def test_end_before_start(national):
    assert rejection(national, with_(episodes=[episode("E1", "2012-05-01", "2012-04-30", "dropped_out")])) == [
        ("$.episodes[0].end", "end 2012-04-30 is before start 2012-05-01")]


def test_duplicate_record_ids(national):
    assert rejection(national, with_(episodes=[episode("E1", "2012-05-01"), episode("E1", "2012-06-01")])) == [
        ("$.episodes[1].id", "duplicate episode id E1 (also at $.episodes[0])")]


def test_unknown_enum_value(national):
    assert rejection(national, with_(presenting_substances=["opiate"])) == [
        ("$.presenting_substances[0]", "'opiate' is not a substance value; did you mean 'opiates'?")]


def test_out_of_range_count(national):
    record = with_(top_reviews=[{"date": "2012-01-10", "stage": "start", "days_used": {"opiates": 29}}])
    assert rejection(national, record) == [("$.top_reviews[0].days_used.opiates", "29 is outside the range 0..28")]


def test_missing_required_field(national):
    assert rejection(national, with_(episodes=[{"id": "E1"}])) == [
        ("$.episodes[0].start", "missing required field 'start' of an episode record")]


def test_every_problem_of_a_client_is_reported(national):
    problems = rejection(national, with_(sex=3, episodes=[{"id": "E1", "start": "2012-13-01"}]))
    assert [p for p, _ in problems] == ["$.sex", "$.episodes[0].start"]


def test_invalid_json_line(national):
    assert rejection(national, '{"id": "C2", ') == [("$", "not valid JSON: Expecting property name enclosed "
                                                            "in double quotes (column 14)")]


def test_duplicate_client_id(national):
    lines = [json.dumps(GOOD), json.dumps(GOOD)]
    items = list(national.evaluate_lines(lines, "2013-01-01"))
    assert isinstance(items[1], Rejected)
    assert items[1].errors[0].message == "duplicate client id C1 (first on line 1)"


def test_nothing_is_lost(national):
    lines = [json.dumps(GOOD), "not json", json.dumps(with_(sex=1)), "", json.dumps(client("C9"))]
    items = list(national.evaluate_lines(lines, "2013-01-01"))
    evaluated = [i for i in items if not isinstance(i, Rejected)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(evaluated) + len(rejected) == 4  # blank lines are not clients
    assert [r.client for r in evaluated] == ["C1", "C9"]   # input order
    assert [r.line_number for r in rejected] == [2, 3]


def test_a_client_without_results_still_has_a_line(national):
    result = national.evaluate(client("C9"), "2013-01-01")
    assert [r.outcome for r in result.results] == ["hep_b_course"]


def test_evaluate_raises_data_error_with_all_problems(national):
    with pytest.raises(DataError) as caught:
        national.evaluate(with_(sex=1, complexity="extreme"), "2013-01-01")
    assert [e.path for e in caught.value.errors] == ["$.sex", "$.complexity"]
    assert caught.value.client == "C2"


def test_evaluate_many_sets_bad_clients_aside(national):
    errors = []
    results = list(national.evaluate_many([GOOD, with_(sex=1), client("C9")], "2013-01-01", errors=errors))
    assert [r.client for r in results] == ["C1", "C9"]
    assert [(e.client, e.path) for e in errors] == [("C2", "$.sex")]


def test_error_records_are_json(national):
    items = list(national.evaluate_lines([json.dumps(with_(sex=1))], "2013-01-01", source="in.jsonl"))
    assert items[0].errors[0].to_json() == {"source": "in.jsonl", "line": 1, "client": "C2", "path": "$.sex",
                                            "message": "expected a text, got the number 1"}


def test_substances_absent_from_days_used_count_as_zero_but_absent_answers_are_unknown(national):
    person = client("C1", [episode("E1", "2012-01-01")], tops=[
        {"date": "2012-01-01", "stage": "start", "days_used": {"opiates": 20}},
        {"date": "2012-06-01", "stage": "review", "days_used": {}},
        {"date": "2012-12-01", "stage": "review", "days_used": {}}])
    result = national.evaluate(person, "2013-01-01")
    assert result.result("abstinence", "E1").status == "achieved"
    assert result.result("quality_of_life", "E1").status == "pending"  # not scored: unknown, not 0


def test_whole_decimals_count_and_booleans_do_not(national):
    tops = [{"date": "2012-01-01", "stage": "start", "days_used": {"opiates": 3.0}, "injecting_days": 2.0}]
    person = client("C1", [episode("E1", "2012-01-01")], tops=tops)
    prepared = national.prepare(json.loads(json.dumps(person), parse_float=__import__("decimal").Decimal))
    assert prepared["top_reviews"][0]["injecting_days"] == 2 and type(prepared["top_reviews"][0]["injecting_days"]) is int
    assert prepared["top_reviews"][0]["days_used"] == {"opiates": 3}
    tops[0]["injecting_days"] = True
    assert rejection(national, with_(top_reviews=tops)) == [
        ("$.top_reviews[0].injecting_days", "expected a number, got true/false")]
    tops[0]["injecting_days"] = 2.5
    assert rejection(national, with_(top_reviews=tops)) == [
        ("$.top_reviews[0].injecting_days", "expected a whole number, got 2.5")]
