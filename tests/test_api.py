"""The embedding API: load by reference, evaluate, results and their JSON (docs/data.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import RulesetNotFound, UsageError

SPEC_CLIENT = {  # every field of the national schema
    "id": "C0001", "date_of_birth": "1979-03-14", "sex": "F", "provider": "P1", "complexity": "high",
    "presenting_substances": ["opiates", "crack"],
    "episodes": [{"id": "E1", "start": "2012-04-10", "end": "2012-11-30",
                  "discharge_reason": "completed_drug_free", "provider": "P1", "modality": "prescribing"}],
    "top_reviews": [{"date": "2012-04-10", "stage": "start", "days_used": {"opiates": 24, "crack": 6},
                     "injecting_days": 10, "quality_of_life": 7, "psychological_health": 8,
                     "physical_health": 9, "acute_housing_problem": True, "at_risk_of_eviction": False,
                     "paid_work_days": 0, "education_days": 0}],
    "presentations": [{"date": "2013-02-01", "setting": "criminal_justice"}],
    "offences": [{"date": "2012-06-02", "offence_type": "shoplifting"}],
    "hep_b_doses": [{"date": "2012-05-01"}]}


@pytest.mark.parametrize("ref", ["national", "national@1.0.0",
                                 Path(__file__).parent.parent / "rulesets" / "national" / "1.0.0.pbr"])
def test_load_by_name_version_or_path(ref):
    assert pbr_rules.load(ref).ref == "national@1.0.0"


@pytest.mark.parametrize("ref, hint", [("natonal", "did you mean `national`?"),
                                       ("national@9.9.9", "versions of `national` found: 1.0.0"),
                                       ("missing.pbr", None)])
def test_unknown_rulesets_say_what_exists(ref, hint):
    with pytest.raises(RulesetNotFound) as caught:
        pbr_rules.load(ref)
    assert caught.value.hint == hint


def test_the_design_client_under_wigan(wigan):
    result = wigan.evaluate(SPEC_CLIENT, as_of="2013-06-30")
    data = result.to_json()
    assert list(data) == ["client", "ruleset", "as_of", "results"]
    assert (data["client"], data["ruleset"], data["as_of"]) == ("C0001", "wigan@1.0.0", "2013-06-30")
    sustained = next(r for r in data["results"] if r["outcome"] == "sustained_recovery")
    assert sustained == {
        "outcome": "sustained_recovery", "unit": "E1", "status": "not_achieved", "date": "2013-02-01",
        "due": None, "amount": None,
        "reasons": ["Episode E1 ended on 2012-11-30 with completed_drug_free.",
                    "Presentation to criminal_justice on 2013-02-01, within the period 2012-12-01 to 2013-05-30."]}
    assert all(list(r) == ["outcome", "unit", "status", "date", "due", "amount", "reasons"] for r in data["results"])
    assert json.loads(result.to_json_line()) == data


def test_results_are_typed(national):
    result = national.evaluate(SPEC_CLIENT, "2013-06-30")
    planned = result.result("planned_exit", "E1")
    assert isinstance(planned, pbr_rules.OutcomeResult)
    assert planned.to_json()["date"] == "2012-11-30"
    with pytest.raises(AttributeError):
        planned.status = "achieved"  # frozen


def test_evaluate_many_streams(national):
    results = national.evaluate_many(iter([SPEC_CLIENT]), "2013-06-30")
    assert next(results).client == "C0001"


def test_as_of_must_be_a_date(national):
    with pytest.raises(UsageError) as caught:
        national.evaluate(SPEC_CLIENT, "30/06/2013")
    assert caught.value.hint == "write it as YYYY-MM-DD, for example 2013-06-30"


def test_wigan_records_its_override_and_reason(wigan):
    (override,) = wigan.checked.resolved.overrides
    assert override.name == "representation_window"
    assert override.reason.startswith("Wigan will be measuring the re-presentation outcome on a 6 months basis")
    assert str(wigan.checked.parameter_values["representation_window"][0][1]) == "6 months"


def test_every_error_is_a_pbr_error():
    for name in ["RulesetError", "RulesetErrors", "RulesetSyntaxError", "RulesetNotFound", "DataError",
                 "UsageError", "InternalError"]:
        assert issubclass(getattr(pbr_rules, name), pbr_rules.PbrError)


def test_grammar_and_rulesets_are_package_data():
    from pbr_rules.resources import grammar_path, shipped_rulesets_dir
    assert grammar_path().is_file()
    assert (shipped_rulesets_dir() / "national" / "1.0.0.pbr").is_file()
    assert (shipped_rulesets_dir() / "national" / "examples" / "clients.jsonl").is_file()


def test_the_package_gives_its_names_and_stages_on_first_use():
    import subprocess
    import sys
    code = ("import pbr_rules; print(pbr_rules.load.__module__, pbr_rules.data.__name__, pbr_rules.evaluate.as_date.__name__);"
            "import sys; print(hasattr(pbr_rules, 'nowhere'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["pbr_rules.evaluate", "pbr_rules.data", "as_date", "False"]
