"""The describer: every node class has a reading, the national ruleset reads as the golden text
(regenerate with PBR_UPDATE_GOLDEN=1 after a deliberate change, and read the diff), and the
constructs a provider must understand read as the words promised: windows with their boundaries,
restarts, lags, negations, other outcomes' results, comparisons of dates and of numbers."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pbr_rules
from pbr_rules import tree
from pbr_rules.describe import Describer, Reading, describe_ruleset, listed, used_by, value_words
from pbr_rules.errors import InternalError, Span
from pbr_rules.values import Duration, Money, Percent
from conftest import assert_golden, load_text

HERE = Path(__file__).parent
FAMILIES = (tree.Expr, tree.Statement, tree.Declaration, tree.Part)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.__name__)
def test_every_node_class_has_a_reading(family):
    missing = [cls.__name__ for cls in tree.node_classes(family) if not hasattr(Describer, "visit_" + cls.__name__)]
    assert missing == [], f"the describer has no reading for {missing}: add visit_<Class> to pbr_rules/describe.py"


def test_a_node_without_a_reading_is_refused_not_skipped(national):
    class Stray(tree.Expr):
        pass

    with pytest.raises(InternalError, match="Describer does not know Stray nodes"):
        Describer(national.checked).visit(Stray(span=Span("x.pbr", 1, 1)))


def test_the_national_reading_is_golden(national):
    text = describe_ruleset(national.checked)
    assert_golden(HERE / "describe" / "national.txt", text)


def steps(ruleset, outcome: str) -> list:
    describer = Describer(ruleset.checked)
    return [describer.visit(statement) for statement in ruleset.checked.outcomes[outcome].statements]


def test_a_window_reads_with_its_boundaries_and_the_parameter_in_force(national, wigan):
    national_window = steps(national, "sustained_recovery")[2]
    assert national_window.startswith("The window w runs from the day after the episode's end up to and including "
                                      "the same day `representation_window` (12 months) later.")
    assert "(6 months) later" in steps(wigan, "sustained_recovery")[2]


def test_a_restart_says_how_often_and_after_what(national):
    window = steps(national, "no_offending_6m")[0]
    assert ("It starts again the day after each of the client's offences that falls within it, at most "
            "`max_clock_resets` (2) times.") in window


def test_a_lag_is_read_on_its_record_and_where_a_rule_waits_for_it(national):
    reading = Describer(national.checked).visit(national.checked.resolved.records["offence"])
    assert any("arrives late, by `offence_lag` (0 months)" in line for line in reading.lines)
    assert steps(national, "no_offending_6m")[-1].startswith(
        "Otherwise pending until `offence_lag` (0 months) after the last day of w.")


def test_rules_read_as_decisions_in_order(national):
    read = steps(national, "abstinence")
    assert read[0].startswith("Not applicable when the client has no presenting substance.")
    assert read[3].startswith("Achieved on the date of `second` when `second` is found.")
    assert read[-1].startswith("Otherwise pending.")
    reading = Describer(national.checked).visit(national.checked.outcomes["abstinence"])
    assert "The rules, in order (the first that applies decides):" in reading.lines
    assert reading.lines[-1].startswith("6. Otherwise pending.")


def test_not_is_carried_into_the_words(national):
    # not (a and b) reads as (not a) or (not b): De Morgan holds in the rules' three-valued logic
    assert steps(national, "ceased_injecting")[1].startswith(
        "Not applicable when the injecting days of `base` is not known or the injecting days of `base` is not more "
        "than 0.")
    assert "the episode does not meet `successful_discharge` (the episode has ended with a successful completion)" \
        in steps(national, "sustained_recovery")[1]


def test_definitions_read_by_their_description_and_their_body(national):
    describer = Describer(national.checked)
    reading = describer.visit(national.checked.definitions["top_of"])
    assert reading.heading == ("`top_of`, of a top review r and an episode e: the TOP was completed during the "
                               "episode (both ends included)")
    assert reading.lines == ("True when r's date is on or after e's start and either e's end is not known or r's "
                             "date is on or before e's end.",)


OUTCOMES_THAT_USE_OTHERS = """
ruleset clean version 1.0.0
extends national 1.0.0
title "Uses other outcomes"
parameter grace = 3 days
define short(d: date) = d - 2012-01-01 < 30
outcome clean_exit "Abstinent and a planned exit"
  domain drugs, final, per episode e
  achieved at latest_of(abstinence(e).date, planned_exit(e).date)
      when abstinence(e) is achieved and planned_exit(e) is achieved
    because "Abstinent on {abstinence(e).date}."
  not achieved at e.end + grace when abstinence(e) is not achieved or not short(e.start)
    because "No."
  otherwise pending because "Waiting."
outcome vaccinated_by_2013 "Vaccinated"
  domain health, final, per client
  achieved at 2013-01-01 when hep_b_course is achieved and (count of d in client.hep_b_doses) * 2 >= 6
    because "Done."
  otherwise pending because "Waiting."
"""


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return load_text(tmp_path_factory, "clean", OUTCOMES_THAT_USE_OTHERS)


def test_other_outcomes_results_dates_and_numbers_read_in_words(clean):
    achieved, failed, _ = steps(clean, "clean_exit")
    assert achieved.startswith(
        "Achieved on the later of the date `abstinence` for the episode was decided and the date `planned_exit` for "
        "the episode was decided (of those known) when `abstinence` for the episode is achieved and `planned_exit` "
        "for the episode is achieved.")
    assert failed.startswith(
        "Not achieved on `grace` (3 days) after the episode's end when `abstinence` for the episode is not achieved "
        "or the episode's start does not meet `short`.")
    assert steps(clean, "vaccinated_by_2013")[0].startswith(
        "Achieved on 1 January 2013 when `hep_b_course` is achieved and the number of the client's hep b doses "
        "times 2 is at least 6.")
    short = Describer(clean.checked).visit(clean.checked.definitions["short"])
    assert short.lines == ("True when the number of days from 1 January 2012 to d is less than 30.",)


def test_uses_are_found_through_definitions_lags_and_results(national, clean):
    uses = used_by(national.checked)
    assert uses[("parameter", "representation_window")] == ["sustained_recovery"]
    assert uses[("definition", "successful_completion_reasons")] == ["planned_exit", "sustained_recovery"]
    assert uses[("parameter", "offence_lag")] == ["no_offending_6m", "no_offending_12m"]
    assert used_by(clean.checked)[("outcome", "abstinence")] == ["clean_exit"]


def test_payments_read_in_words():
    checked = pbr_rules.load("lincolnshire@1.0.0").checked
    text = describe_ruleset(checked)
    assert ('Paid to the provider of the unit paid for, else the client\'s provider, else "unassigned": the first '
            "of these that is known") in " ".join(text.split())
    assert ("Paid in instalments: 25% on 3 months after the episode's end, 25% on 6 months after the episode's "
            "end, 25% on 9 months after the episode's end and the rest on achievement.") in " ".join(text.split())


def test_the_reading_has_no_names_of_code_or_of_the_tree(national):
    """Underscores only inside backticks (names a provider can look up); no Python values."""
    for outcome in national.checked.outcomes:
        for step in steps(national, outcome):
            outside = re.sub(r"`[^`]*`|\"[^\"]*\"", "", step)
            assert "_" not in outside and "None" not in outside, step
            assert not re.search(r"\b(Name|Attr|Binary|Quantifier|Symbol)\(", step), step


def test_values_read_as_they_are_written():
    assert [value_words(v) for v in (Duration.written(1, "year"), Money(Decimal("1200")), Percent(Decimal("0.2")),
                                     datetime.date(2012, 4, 1), {"opiates": 8, "crack_cocaine": 10}, True)] == \
        ["1 year", "£1,200.00", "20%", "1 April 2012", "opiates 8, crack cocaine 10", "yes"]


@settings(max_examples=50)
@given(st.lists(st.text(alphabet="abc", min_size=1, max_size=3), max_size=5))
def test_lists_read_as_english(items):
    shown = listed(items)
    if len(items) >= 2:
        assert shown.endswith(f" and {items[-1]}") and shown.count(", ") == len(items) - 2
    else:
        assert shown == "".join(items)


def test_a_reading_wraps_with_numbered_steps_aligned():
    reading = Reading("Heading", ("1. " + "word " * 40,))
    lines = reading.text().splitlines()
    assert lines[0] == "Heading" and lines[1].startswith("  1. word") and lines[2].startswith("     word")
    assert all(len(line) <= 100 for line in lines)


def test_a_field_reads_with_what_it_holds(national):
    from pbr_rules.describe import read_declaration
    episode = read_declaration(national.checked, "records", "episode")
    end = next(line for line in episode.lines if line.startswith("`end`"))
    assert end == ("`end`: a date; optional (absent is unknown); never before its start. The discharge date; "
                   "absent while the episode is open.")
    assert "`stage`: one of the top stage values. When in treatment" in read_declaration(
        national.checked, "records", "top_review").plain()
