"""Language semantics on small rulesets: three-valued logic, quantifiers, dated parameters,
frequency caps, record extensions, overrides, and the compiler's hygiene."""

from __future__ import annotations

import pytest

import pbr_rules
from pbr_rules import RulesetErrors

from conftest import client, episode, status_of

HEADER = """
ruleset lang version 1.0.0
extends national 1.0.0
"""


def load(rulesets, body: str, name="lang"):
    rulesets.write(name, "1.0.0", HEADER.replace("lang", name) + body)
    return rulesets.load(f"{name}@1.0.0")


def test_an_unknown_condition_decides_nothing(rulesets):
    rs = load(rulesets, """
outcome probe "Probe"
  domain health, final, per episode e
  achieved at e.start when e.end > e.start because "ended after start"
  not achieved at e.start when not (e.end > e.start) because "not after"
  otherwise pending because "unknown"
""")
    open_episode = client(episodes=[episode("E1", "2012-01-01")])
    assert status_of(rs.evaluate(open_episode, "2013-01-01"), "probe", "E1") == ("pending", None, None)


def test_is_true_and_is_false_treat_unknown_as_neither(rulesets):
    rs = load(rulesets, """
outcome housed_at_start "Housed at start"
  domain health, final, per episode e
  let s = start_top(e)
  achieved at e.start when s.acute_housing_problem is false because "no"
  not achieved at e.start when s.acute_housing_problem is true because "yes"
  otherwise pending because "not answered"
""")
    tops = [{"date": "2012-01-01", "stage": "start", "days_used": {}}]
    person = client(episodes=[episode("E1", "2012-01-01")], tops=tops)
    assert status_of(rs.evaluate(person, "2013-01-01"), "housed_at_start", "E1")[0] == "pending"
    tops[0]["acute_housing_problem"] = False
    assert status_of(rs.evaluate(person, "2013-01-01"), "housed_at_start", "E1")[0] == "achieved"


def test_quantifiers_each_count_latest_every(rulesets):
    rs = load(rulesets, """
outcome many_reviews "At least two reviews, the last one abstinent"
  domain health, final, per episode e
  let reviews = each r in client.top_reviews where review_of(r, e)
  let last = latest r in reviews
  achieved at last.date when (count of r in reviews where r.stage = review) >= 2
      and every s in client.presenting_substances satisfies last.days_used[s] = 0
    because "{last.date} is review number {count of r in reviews}"
  otherwise pending because "not yet"
""")
    tops = [{"date": d, "stage": "review", "days_used": {"opiates": n}} for d, n in
            [("2012-02-01", 3), ("2012-03-01", 0), ("2012-04-01", 0)]]
    result = rs.evaluate(client(episodes=[episode("E1", "2012-01-01")], tops=tops), "2013-01-01")
    found = result.result("many_reviews", "E1")
    assert (found.status, found.date.isoformat()) == ("achieved", "2012-04-01")
    assert found.reasons == ("2012-04-01 is review number 3",)


def test_latest_takes_the_last_of_same_day_records(rulesets):
    rs = load(rulesets, """
outcome last_setting "Last presentation was to treatment"
  domain health, final, per client
  let last = latest p in client.presentations
  achieved at last.date when last.setting = treatment because "treatment"
  not achieved at last.date when last is known because "criminal justice"
  otherwise pending because "none"
""")
    person = client(presentations=[("2012-05-01", "criminal_justice"), ("2012-05-01", "treatment")])
    assert status_of(rs.evaluate(person, "2013-01-01"), "last_setting", "C1")[0] == "achieved"


def test_a_dated_parameter_takes_the_value_in_force_on_the_date_given(rulesets):
    rs = load(rulesets, """
parameter follow_up = 12 months from 2012-04-01, 6 months from 2013-04-01
  "Shorter follow-up for discharges from April 2013."
outcome followed_up "Followed up"
  domain drugs, final, per episode e
  window w = after e.end for follow_up as of e.end
  achieved at w.end when no p in client.presentations within w because "{w}"
  otherwise pending until w.end because "{w}"
""")
    early = client(episodes=[episode("E1", "2012-01-01", "2013-03-31", "completed_drug_free")])
    late = client(episodes=[episode("E1", "2012-01-01", "2013-04-01", "completed_drug_free")])
    assert status_of(rs.evaluate(early, "2015-01-01"), "followed_up", "E1")[1] == "2014-03-31"
    assert status_of(rs.evaluate(late, "2015-01-01"), "followed_up", "E1")[1] == "2013-10-01"


def test_a_dated_parameter_needs_a_date(rulesets):
    with pytest.raises(pbr_rules.RulesetError) as caught:
        load(rulesets, """
parameter follow_up = 12 months from 2012-04-01, 6 months from 2013-04-01
define later(e: episode) = e.end + follow_up
""")
    assert "say which date" in str(caught.value)


def test_earned_once_per_client(rulesets):
    rs = load(rulesets, """
outcome first_completion "First completion only"
  domain drugs, final, per episode e
  earned once per client
  achieved at e.end when successful_discharge(e) because "completed"
  otherwise pending because "open"
""")
    person = client(episodes=[episode("E1", "2012-01-01", "2012-03-01", "completed_drug_free"),
                              episode("E2", "2012-05-01", "2012-09-01", "completed_drug_free")])
    result = rs.evaluate(person, "2013-01-01")
    assert status_of(result, "first_completion", "E1") == ("achieved", "2012-03-01", None)
    second = result.result("first_completion", "E2")
    assert second.status == "not_achieved"
    assert second.reasons[-1] == "Already earned once for this client, the most this outcome allows."


def test_a_capped_achievement_waits_for_earlier_undecided_units(rulesets):
    rs = load(rulesets, """
outcome first_completion "First completion only"
  domain drugs, final, per episode e
  earned once per client
  achieved at e.end when successful_discharge(e) because "completed"
  not achieved at e.end when e.end is known because "ended otherwise"
  otherwise pending because "open"
""")
    # E1 is still open when E2 (which started later) completes: E2 must wait, because E1 may yet
    # complete and take the one payment; deciding E2 now could be overturned later
    person = client(episodes=[episode("E1", "2012-01-01", "2012-12-01", "completed_drug_free"),
                              episode("E2", "2012-03-01", "2012-06-01", "completed_drug_free")])
    early = rs.evaluate(person, "2012-07-01")
    assert status_of(early, "first_completion", "E1") == ("pending", None, None)
    assert status_of(early, "first_completion", "E2") == ("pending", None, None)
    late = rs.evaluate(person, "2013-01-01")
    assert status_of(late, "first_completion", "E1") == ("achieved", "2012-12-01", None)
    assert status_of(late, "first_completion", "E2") == ("not_achieved", "2012-06-01", None)


def test_a_decision_dated_after_the_as_of_date_is_pending_until_then(rulesets):
    rs = load(rulesets, """
outcome anniversary "A year after starting"
  domain health, final, per episode e
  achieved at e.start + 1 year when true because "a year on"
""")
    person = client(episodes=[episode("E1", "2012-03-01")])
    assert status_of(rs.evaluate(person, "2012-12-31"), "anniversary", "E1") == ("pending", None, "2013-03-01")
    assert status_of(rs.evaluate(person, "2013-03-01"), "anniversary", "E1") == ("achieved", "2013-03-01", None)


def test_an_extension_adds_fields_to_an_inherited_record(rulesets):
    rs = load(rulesets, """
extend record top_review
  employment_days: optional count 0..28
outcome employed "Employed at a review"
  domain employment, final, per episode e
  let r = earliest r in client.top_reviews where review_of(r, e) and r.employment_days >= 10
  achieved at r.date when r is known because "employed"
  otherwise pending because "not yet"
""")
    tops = [{"date": "2012-06-01", "stage": "review", "days_used": {}, "employment_days": 12}]
    person = client(episodes=[episode("E1", "2012-01-01")], tops=tops)
    assert status_of(rs.evaluate(person, "2013-01-01"), "employed", "E1")[0] == "achieved"
    national = pbr_rules.load("national")
    with pytest.raises(pbr_rules.DataError):
        national.evaluate(person, "2013-01-01")  # the national schema has no such field


def test_a_definition_override_changes_inherited_outcomes_and_is_recorded(rulesets):
    rs = load(rulesets, """
override define successful_discharge(e: episode) =
  e.end is known and e.discharge_reason is known and e.discharge_reason = completed_drug_free
  because "only drug-free completions count here"
""")
    person = client(episodes=[episode("E1", "2012-01-01", "2012-06-01", "completed_alcohol_free")])
    assert status_of(rs.evaluate(person, "2013-01-01"), "planned_exit", "E1")[0] == "not_achieved"
    (override,) = [o for o in rs.checked.resolved.overrides if o.name == "successful_discharge"]
    assert override.reason == "only drug-free completions count here"


def test_inlined_definitions_do_not_capture_the_callers_names(rulesets):
    rs = load(rulesets, """
define later_review(r: top_review) = some x in client.top_reviews where x.date > r.date
outcome capture "Capture"
  domain health, final, per client
  let x = earliest x in client.top_reviews
  achieved at x.date when some x in client.top_reviews where later_review(x) because "there is a later one"
  otherwise pending because "no"
""")
    one = client(tops=[{"date": "2012-01-01", "stage": "start", "days_used": {}}])
    two = client(tops=[{"date": "2012-01-01", "stage": "start", "days_used": {}},
                       {"date": "2012-02-01", "stage": "review", "days_used": {}}])
    assert status_of(rs.evaluate(one, "2013-01-01"), "capture", "C1")[0] == "pending"
    assert status_of(rs.evaluate(two, "2013-01-01"), "capture", "C1")[0] == "achieved"


def test_no_text_of_the_ruleset_is_put_into_generated_code(rulesets):
    rs = load(rulesets, '''
outcome tricky "Tricky"
  domain health, final, per client
  achieved at client.date_of_birth when client.sex = "'); __import__('os').system('echo pwned'); ('"
    because "a reason with \\"quotes\\" and {client.id} and ')) + (('"
  otherwise pending because "not that text"
''')
    source = rs.compiled.source
    assert "__import__('os')" not in source and "quotes" not in source
    person = dict(client(), sex="'); __import__('os').system('echo pwned'); ('", date_of_birth="1980-01-01")
    result = rs.evaluate(person, "2013-01-01").result("tricky", "C1")
    assert result.reasons == ('a reason with "quotes" and C1 and \')) + ((\'',)


def test_generated_code_maps_back_to_ruleset_lines(national):
    compiled = national.compiled
    line = compiled.source.splitlines().index(
        next(l for l in compiled.source.splitlines() if l.startswith("def o_sustained_recovery")))
    assert compiled.span_of_line(line + 1).line == national.checked.resolved.outcomes["sustained_recovery"].span.line


def test_several_checker_errors_in_one_go(rulesets):
    with pytest.raises(RulesetErrors) as caught:
        load(rulesets, """
define a = 6 months + 3
define b(e: episode) = e.finish
define c = unknown_thing
""")
    assert [e.line for e in caught.value.errors] == [4, 5, 6]  # the header takes lines 1-3


def test_an_outcome_override_replaces_the_inherited_outcome_in_place(rulesets):
    rs = load(rulesets, """
override outcome planned_exit "Planned exit, drug free only"
  because "locally only drug-free completions are paid"
  domain drugs, final, per episode e
  achieved at e.end when e.discharge_reason = completed_drug_free because "drug free"
  not achieved at e.end when e.end is known because "ended otherwise"
  otherwise pending because "open"
""")
    assert rs.outcome_names.index("planned_exit") == pbr_rules.load("national").outcome_names.index("planned_exit")
    person = client(episodes=[episode("E1", "2012-01-01", "2012-06-01", "completed_alcohol_free")])
    assert status_of(rs.evaluate(person, "2013-01-01"), "planned_exit", "E1") == ("not_achieved", "2012-06-01", None)
    assert [o.reason for o in rs.checked.resolved.overrides] == ["locally only drug-free completions are paid"]


def test_an_unexpected_failure_is_reported_as_a_bug_not_a_traceback(national, monkeypatch, capsys):
    from pbr_rules import InternalError, cli
    from pbr_rules.cli import cohort

    def broken(*args, **kwargs):
        raise ZeroDivisionError("simulated bug")
    monkeypatch.setattr(national.compiled, "evaluate_all", broken)
    with pytest.raises(InternalError) as caught:
        national.evaluate(client(), "2013-01-01")
    assert "a bug in pbr_rules" in str(caught.value)
    monkeypatch.setattr(cohort, "_cohort", broken)
    assert cli.main(["cohort", "--clients", "1"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "internal error (a bug in pbr_rules, not in your rules or data): ZeroDivisionError" in err
    assert "Traceback" not in err


def test_a_reason_over_two_lines_with_an_escaped_quote_reads(rulesets):
    rulesets.write("quoted", "1.0.0", '''
        ruleset quoted version 1.0.0
        extends national 1.0.0
        outcome opened "Opened"
          domain drugs, interim, per episode e
          achieved at e.start when e.start is known
            because "Episode {e.id} was \\"opened\\"
            on {e.start}."
          otherwise pending because "Not opened."
        ''')
    result = rulesets.load("quoted@1.0.0").evaluate(
        {"id": "C", "episodes": [{"id": "E1", "start": "2012-05-01"}]}, "2012-12-31")
    assert result.result("opened", "E1").reasons == ('Episode E1 was "opened" on 2012-05-01.',)
