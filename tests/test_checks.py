"""Checks a new policy lead needs (each also has a golden message in tests/golden/), and the
checker's contract with the resolver: it reads what the resolver produced and never changes it,
and a base ruleset is checked once."""

from __future__ import annotations

import copy

import pytest

import pbr_rules
from pbr_rules.check import checker as checker_module
from pbr_rules.cli import main
from pbr_rules.errors import Code, PbrError, RulesetErrors
from pbr_rules.parse import MAX_SYNTAX_ERRORS
from pbr_rules.resolve import RulesetLibrary, resolve_file

from conftest import codes_of


@pytest.mark.parametrize("header", ["ruleset other version 1.0.0", "ruleset checks version 1.0.1"])
def test_a_file_must_declare_the_name_and_version_of_its_place(rulesets, header):
    rulesets.write("checks", "1.0.0", header + "\nextends national 1.0.0\n")
    with pytest.raises(PbrError) as caught:
        rulesets.load("checks@1.0.0")
    assert codes_of(caught.value) == [Code.WRONG_FILE_NAME]
    assert "this file is checks/1.0.0.pbr, so it must declare `ruleset checks version 1.0.0`" in str(caught.value)


def test_syntax_errors_are_all_reported_up_to_a_limit(rulesets):
    broken = "".join(f"parameter p{i} = = 1\n" for i in range(MAX_SYNTAX_ERRORS + 5))
    rulesets.write("checks", "1.0.0", "ruleset checks version 1.0.0\n" + broken)
    with pytest.raises(RulesetErrors) as caught:
        rulesets.load("checks@1.0.0")
    lines = [e.line for e in caught.value.errors]
    assert lines == list(range(2, 2 + MAX_SYNTAX_ERRORS))


def test_after_a_syntax_error_the_next_declarations_are_still_read(rulesets):
    rulesets.write("checks", "1.0.0", """
        ruleset checks version 1.0.0
        extends national 1.0.0
        parameter a = 6 mnths
        parameter b = 3 months
        define c = 1 == 2
        """)
    with pytest.raises(RulesetErrors) as caught:
        rulesets.load("checks@1.0.0")
    assert [(e.line, e.code) for e in caught.value.errors] == [(3, Code.SYNTAX), (5, Code.DOUBLE_EQUALS)]


def test_pbr_check_validates_inline_example_clients(rulesets, capsys):
    rulesets.write("checks", "1.0.0", """
        ruleset checks version 1.0.0
        extends national 1.0.0
        example "A misspelt discharge reason"
          client {"id": "C1", "episodes": [{"id": "E1", "start": "2012-01-01", "end": "2012-06-01",
                  "discharge_reason": "completed_drugfree"}]}
          as of 2013-01-01
          expect planned_exit for E1 achieved on 2012-06-01
        """)
    assert main(["check", "checks", "--rulesets", str(rulesets.root)]) == 1
    err = capsys.readouterr().err
    assert ("4:3: error: the example's client is not valid data: $.episodes[0].discharge_reason: "
            "'completed_drugfree' is not a discharge_reason value; did you mean 'completed_drug_free'? [PBR602]") in err


def test_an_undecided_outcome_is_rejected_and_always_true_ends_it(rulesets):
    rulesets.write("checks", "1.0.0", """
        ruleset checks version 1.0.0
        extends national 1.0.0
        outcome anniversary "A year after starting"
          domain health, final, per episode e
          achieved at e.start + 1 year when true because "a year on"
        outcome maybe "Only when ended"
          domain health, final, per episode e
          achieved at e.end when e.end is known because "ended"
        """)
    with pytest.raises(PbrError) as caught:
        rulesets.load("checks@1.0.0")
    assert codes_of(caught.value) == [Code.UNDECIDED_OUTCOME]
    assert caught.value.line == 6  # `maybe`, not `anniversary`


def test_the_checker_never_changes_what_the_resolver_produced():
    library = RulesetLibrary()
    resolved = resolve_file(library.locate("wigan"), library)
    before = copy.copy(resolved.tables), {t: dict(v) for t, v in resolved.tables.items()}
    pbr_rules.check.check(resolved)
    assert {t: dict(v) for t, v in resolved.tables.items()} == before[1]
    assert all(resolved.tables[t] is before[0][t] for t in before[0])


def test_a_wrong_override_is_checked_against_the_original_without_touching_the_resolved_tables(rulesets):
    rulesets.write("checks", "1.0.0", """
        ruleset checks version 1.0.0
        extends national 1.0.0
        override define successful_discharge(r: top_review) = r.stage = exit because "changed inputs"
        """)
    library = RulesetLibrary([rulesets.root])
    resolved = resolve_file(library.locate("checks"), library)
    override = resolved.definitions["successful_discharge"]
    with pytest.raises(PbrError):
        pbr_rules.check.check(resolved)
    assert resolved.definitions["successful_discharge"] is override


def test_a_base_ruleset_is_checked_once(monkeypatch):
    checked = []
    run = checker_module.Checker.run

    def counting(self):
        checked.append(self.resolved.ref)
        return run(self)
    monkeypatch.setattr(checker_module.Checker, "run", counting)
    pbr_rules.load("wigan@1.1.0")
    assert checked == ["national@1.0.0", "wigan@1.0.0", "wigan@1.1.0"]
