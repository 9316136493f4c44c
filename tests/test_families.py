"""Family tariffs: paid once for a family when every treated member has achieved the outcomes.

The boundaries: a family of one is not paid; a member still pending holds the family; a member the
outcome does not apply to is not treated; the line is dated the last member's achievement; a client
without the family field is in no family; the checker refuses a field that is missing or not text."""

from __future__ import annotations

import pytest

from conftest import client, codes_of, episode
from pbr_rules.errors import Code, PbrError

RULESET = """
ruleset fam version 1.0.0
extends national 1.0.0

extend record client
  family: optional text "The family the client belongs to."

tariff whole_family per family by family £600.00 for planned_exit to "Prime" illustrative
  "Paid when every treated member of a family has a planned exit."
tariff planned_exit £100.00
"""


def member(id, family, end=None, reason="completed_drug_free", start="2012-05-01"):
    data = client(id, episodes=[episode("E1", start, end, reason if end else None)])
    if family is not None:
        data["family"] = family
    return data


def family_lines(ruleset, clients, as_of="2013-12-31"):
    return [line for line in ruleset.pay(clients, as_of).lines if line.item == "whole_family"]


@pytest.fixture
def fam(rulesets):
    rulesets.write("fam", "1.0.0", RULESET)
    return rulesets.load("fam@1.0.0")


def test_a_family_is_paid_once_on_the_day_its_last_treated_member_achieved(fam):
    lines = family_lines(fam, [member("A", "F1", "2012-10-01"), member("B", "F1", "2012-11-15")])
    assert [(l.unit, l.date.isoformat(), l.paid, l.provider) for l in lines] == [
        ("F1", "2012-11-15", 600, "Prime")]
    assert "A on 2012-10-01, B on 2012-11-15" in lines[0].reasons[0]


def test_a_member_still_in_treatment_holds_the_family_and_a_family_of_one_is_not_paid(fam):
    assert family_lines(fam, [member("A", "F1", "2012-10-01"), member("B", "F1")]) == []
    assert family_lines(fam, [member("A", "F1", "2012-10-01")]) == []
    assert family_lines(fam, [member("A", "F1", "2012-10-01"), member("B", "F1", "2012-11-15", "dropped_out")]) == []


def test_only_treated_members_named_by_the_same_family_count(fam):
    untreated = client("C", episodes=[])  # no episode: no result for planned_exit, so not treated
    untreated["family"] = "F1"
    lines = family_lines(fam, [member("A", "F1", "2012-10-01"), member("B", "F1", "2012-11-15"), untreated,
                               member("D", None), member("E", "F2", "2012-09-01")])
    assert [(l.unit, l.date.isoformat()) for l in lines] == [("F1", "2012-11-15")]


def test_as_of_the_day_before_the_last_achievement_nothing_is_paid(fam):
    clients = [member("A", "F1", "2012-10-01"), member("B", "F1", "2012-11-15")]
    assert family_lines(fam, clients, "2012-11-14") == []
    assert len(family_lines(fam, clients, "2012-11-15")) == 1


@pytest.mark.parametrize("field, message", [
    ("famly", "has no field `famly`"), ("date_of_birth", "is not a text or an enum value")])
def test_the_family_field_must_be_a_text_of_the_client(rulesets, field, message):
    rulesets.write("fam", "1.0.0", RULESET.replace("by family", f"by {field}"))
    with pytest.raises(PbrError) as caught:
        rulesets.load("fam@1.0.0")
    assert codes_of(caught.value) == [Code.BAD_PAYMENT] and message in str(caught.value)


def test_a_family_tariff_reads_in_words(fam):
    from pbr_rules.describe import read_declaration
    reading = read_declaration(fam.checked, "family_tariffs", "whole_family")
    assert reading.heading == ('Family tariff `whole_family`: £600.00 once for each family (the clients whose family '
                               'is the same), to "Prime", when every treated member has achieved `planned_exit` '
                               '(illustrative amounts)')


@pytest.mark.parametrize("name, taken", [("planned_exit", "an outcome"), ("floor_top_up", "floor top-ups")])
def test_a_family_tariff_cannot_take_the_name_of_another_paid_item(rulesets, name, taken):
    rulesets.write("fam", "1.0.0", RULESET.replace("tariff whole_family per family", f"tariff {name} per family"))
    with pytest.raises(PbrError) as caught:
        rulesets.load("fam@1.0.0")
    assert codes_of(caught.value) == [Code.DUPLICATE_NAME] and f"already names {taken}" in str(caught.value)
