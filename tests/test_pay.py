"""Payments: every money rule at its boundaries, and the pinned Lincolnshire schedule.

Each ruleset here extends national 1.0.0 with one schedule; clients are small dicts in the
national input format. Amounts are compared as Decimal strings, exact to the penny.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import pbr_rules
from pbr_rules.errors import Code, RulesetError
from pbr_rules.pay import share_of

from conftest import codes_of, load_text

HEADER = "ruleset {name} version 1.0.0\nextends national 1.0.0\n"


def client(cid="C1", complexity="medium", provider="P1", episodes=(), presentations=(), **extra):
    record = {"id": cid, "presenting_substances": ["opiates"], "episodes": list(episodes), "top_reviews": [],
              "presentations": list(presentations), "offences": [], "hep_b_doses": []}
    if complexity:
        record["complexity"] = complexity
    if provider:
        record["provider"] = provider
    record.update(extra)
    return record


def episode(eid="E1", start="2012-05-01", end="2012-11-30", reason="completed_drug_free", provider=None):
    record = {"id": eid, "start": start, "end": end, "discharge_reason": reason}
    if provider:
        record["provider"] = provider
    return {k: v for k, v in record.items() if v is not None}


def lines(run, **match):
    return [line.to_json() for line in run.lines
            if all(line.to_json()[key] == value for key, value in match.items())]


@pytest.fixture(scope="module")
def lincolnshire():
    return pbr_rules.load("lincolnshire@1.0.0")


# ---- the pinned Lincolnshire schedule ------------------------------------------------------------
def test_tariff_by_complexity_paid_on_the_achievement_date(lincolnshire):
    run = lincolnshire.pay([client(complexity="high", episodes=[episode()])], "2012-12-31")
    exit_line, = lines(run, item="planned_exit")
    assert exit_line == {"provider": "P1", "period": "2012-Q4", "date": "2012-11-30", "client": "C1",
                         "item": "planned_exit", "unit": "E1", "instalment": None, "due": "600.00", "paid": "600.00",
                         "status": "payable", "reasons": exit_line["reasons"]}
    fee, = lines(run, item="attachment_fee")
    assert (fee["date"], fee["paid"], fee["period"]) == ("2012-05-01", "120.00", "2012-Q2")


@pytest.mark.parametrize("as_of, paid", [
    ("2013-02-27", []),                                            # the day before the first instalment
    ("2013-02-28", ["333.33"]),                                    # e.end + 3 months
    ("2013-08-29", ["333.33", "333.33"]),
    ("2013-08-30", ["333.33", "333.33", "333.33"]),
    ("2013-11-29", ["333.33", "333.33", "333.33"]),                # pending until the window's last day
    ("2013-11-30", ["333.33", "333.33", "333.33", "333.34"]),      # the rest takes the odd penny
])
def test_instalments_fall_due_on_their_dates_and_sum_to_the_tariff(lincolnshire, as_of, paid):
    run = lincolnshire.pay([client(episodes=[episode()])], as_of)
    got = [line["paid"] for line in lines(run, item="sustained_recovery")]
    assert got == paid
    if len(paid) == 4:
        assert sum(Decimal(p) for p in got) == Decimal("1333.33")
        assert [line["instalment"] for line in lines(run, item="sustained_recovery")] == ["1/4", "2/4", "3/4", "4/4"]


@pytest.mark.parametrize("presented, instalments", [
    ("2013-02-27", 0),   # failed the day before the first instalment
    ("2013-02-28", 0),   # failed on the instalment's own date: it is stopped
    ("2013-03-01", 1),   # failed the day after: the first stays paid
    ("2013-05-30", 1),
    ("2013-05-31", 2),
])
def test_an_instalment_is_paid_only_while_the_outcome_has_not_failed(lincolnshire, presented, instalments):
    record = client(episodes=[episode()], presentations=[{"date": presented, "setting": "treatment"}])
    run = lincolnshire.pay([record], "2014-06-30")
    assert len(lines(run, item="sustained_recovery")) == instalments


def test_an_unsuccessful_discharge_pays_no_instalment(lincolnshire):
    run = lincolnshire.pay([client(episodes=[episode(reason="dropped_out")])], "2014-06-30")
    assert lines(run, item="sustained_recovery") == [] and lines(run, item="planned_exit") == []


def test_nothing_is_dated_before_the_contract_starts(lincolnshire):
    early = episode(start="2011-06-01", end="2012-03-31")   # planned exit the day before the contract
    on_day = episode(start="2012-04-01", end="2012-04-01")
    run = lincolnshire.pay([client("C1", episodes=[early]), client("C2", episodes=[on_day])], "2012-12-31")
    assert lines(run, item="planned_exit", client="C1") == []
    assert [l["date"] for l in lines(run, item="planned_exit", client="C2")] == ["2012-04-01"]
    assert [l["client"] for l in lines(run, item="attachment_fee")] == ["C2"]
    # the early episode's instalments after the contract's start are paid: they are dated then
    assert [l["date"] for l in lines(run, item="sustained_recovery", client="C1")] == [
        "2012-06-30", "2012-09-30", "2012-12-31"]
    assert all(l["date"] >= "2012-04-01" for l in run_lines(run))


def run_lines(run):
    return [line.to_json() for line in run.lines]


def test_the_provider_is_the_episodes_else_the_clients_else_unassigned(lincolnshire):
    records = [client("C1", provider="P9", episodes=[episode(provider="P2")]),
               client("C2", provider="P9", episodes=[episode()]),
               client("C3", provider=None, episodes=[episode()])]
    run = lincolnshire.pay(records, "2012-12-31")
    assert {(l["client"], l["provider"]) for l in lines(run, item="planned_exit")} == {
        ("C1", "P2"), ("C2", "P9"), ("C3", "unassigned")}


def test_without_a_complexity_group_outcome_lines_are_held(lincolnshire):
    run = lincolnshire.pay([client(complexity=None, episodes=[episode()])], "2013-12-31")
    held = lines(run, status="held")
    assert {(l["item"], l["instalment"]) for l in held} == {("planned_exit", None)} | {
        ("sustained_recovery", f"{n}/4") for n in range(1, 5)}
    assert all(l["due"] is None and l["paid"] == "0.00" for l in held)
    assert any("complexity" in reason for reason in held[0]["reasons"])
    assert lines(run, item="attachment_fee")[0]["paid"] == "120.00"


def big_clients(count: int, provider="P1"):
    """Clients each earning £600 (planned exit, high) on 2012-11-30, ids C1..C{count}."""
    return [client(f"C{n}", complexity="high", provider=provider, episodes=[episode()]) for n in range(1, count + 1)]


def test_the_cap_admits_lines_by_date_then_client_id_as_text_and_pays_the_crossing_line_in_part(lincolnshire):
    # 34 x £600 = £20,400 of planned exits on one day, one provider, one quarter
    run = lincolnshire.pay(big_clients(34), "2012-12-31")
    exits = lines(run, item="planned_exit")
    order = sorted(exits, key=lambda l: l["client"])            # the cap's order: client id as text
    paid = [l["paid"] for l in order]
    assert paid[:33] == ["600.00"] * 33 and order[33]["status"] == "part_capped" and paid[33] == "200.00"
    assert order[33]["client"] == "C9"                            # "C9" sorts after "C33" as text
    assert sum(Decimal(p) for p in paid) == Decimal("20000.00")
    more = lincolnshire.pay(big_clients(36), "2012-12-31")
    statuses = sorted(l["status"] for l in lines(more, item="planned_exit"))
    assert statuses.count("capped") == 2 and statuses.count("part_capped") == 1
    assert all(l["paid"] == "0.00" for l in lines(more, status="capped"))
    assert sum(Decimal(l["paid"]) for l in lines(more, item="attachment_fee")) == 36 * Decimal(120)  # not capped


def test_the_cap_does_not_depend_on_the_order_clients_come_in(lincolnshire):
    records = big_clients(40)
    forward = [l.to_json() for l in lincolnshire.pay(records, "2013-12-31").lines]
    backward = [l.to_json() for l in lincolnshire.pay(list(reversed(records)), "2013-12-31").lines]
    assert forward == backward


def test_the_cap_is_per_quarter_and_per_provider(lincolnshire):
    records = big_clients(34, "P1") + [client("D1", complexity="high", provider="P2", episodes=[episode()])]
    run = lincolnshire.pay(records, "2013-12-31")
    assert lines(run, client="D1", item="planned_exit")[0]["status"] == "payable"
    # 2013-Q1 (34 first instalments of £600) starts again from nothing: capped within itself only
    first = lines(run, item="sustained_recovery", period="2013-Q1", provider="P1")
    assert sum(Decimal(l["paid"]) for l in first) == Decimal("20000.00")
    assert [l["status"] for l in first].count("part_capped") == 1


@pytest.mark.parametrize("as_of, top_up", [("2012-06-29", None), ("2012-06-30", "750.00")])
def test_a_floor_tops_up_once_the_quarter_has_ended(lincolnshire, as_of, top_up):
    # P1 takes on two clients in 2012-Q2 (attachment fees) and earns one low planned exit (£250)
    taken_on = client("C1", complexity="low", episodes=[episode(start="2012-05-01", end=None, reason=None)])
    exited = client("C2", complexity="low", episodes=[episode(start="2012-04-02", end="2012-05-02")])
    run = lincolnshire.pay([taken_on, exited], as_of)
    floors = lines(run, item="floor_top_up")
    if top_up is None:
        assert floors == []  # the quarter has not ended: its outcome payments may still grow
    else:
        assert floors == [{"provider": "P1", "period": "2012-Q2", "date": "2012-06-30", "client": None,
                           "item": "floor_top_up", "unit": None, "instalment": None, "due": top_up,
                           "paid": top_up, "status": "payable", "reasons": floors[0]["reasons"]}]


def test_no_floor_without_an_attachment_fee_in_the_quarter(lincolnshire):
    early = client(episodes=[episode(start="2011-06-01", end="2012-05-31")])  # fee before the contract
    run = lincolnshire.pay([early], "2013-12-31")
    assert lines(run, item="floor_top_up") == []


def test_evaluate_fills_the_payable_amount(lincolnshire):
    result = lincolnshire.evaluate(client(episodes=[episode()]), "2013-06-30")
    amounts = {r.outcome: r.amount for r in result.rows}
    assert amounts["planned_exit"] == Decimal("400.00")
    assert amounts["sustained_recovery"] == Decimal("666.66")   # two instalments so far
    assert amounts["abstinence"] is None                        # not achieved: nothing payable
    assert result.to_json()["results"][2]["amount"] == "400.00"


def test_a_run_is_deterministic_to_the_byte(lincolnshire):
    import json
    records = big_clients(30) + [client("X", complexity=None, episodes=[episode()])]
    first = [json.dumps(d) for d in lincolnshire.pay(records, "2013-12-31", shadow=True).to_json_lines()]
    second = [json.dumps(d) for d in lincolnshire.pay(records, "2013-12-31", shadow=True).to_json_lines()]
    assert first == second and all('"shadow": "shadow: not for payment"' in line for line in first)


def test_from_and_to_choose_the_lines_shown(lincolnshire):
    run = lincolnshire.pay([client(episodes=[episode()])], "2013-12-31", from_date="2013-01-01",
                           to_date="2013-06-30")
    assert [l["date"] for l in run.to_json_lines()] == ["2013-02-28", "2013-05-30"]


def test_the_forecast_puts_pending_payments_in_the_month_they_fall_due(lincolnshire):
    run = lincolnshire.pay([client(episodes=[episode()])], "2013-06-30")
    assert run.forecast_by_month() == [("P1", "2013-08", Decimal("333.33")), ("P1", "2013-11", Decimal("333.34"))]


# ---- the other money rules, each in a small ruleset ----------------------------------------------
SCHEDULE = HEADER + """
tariff planned_exit by client.complexity: low £100.00, medium £200.00, high £300.00
tariff abstinence £50.00
"""


def schedule(tmp_path_factory, name: str, extra: str):
    return load_text(tmp_path_factory, name, SCHEDULE.format(name=name) + extra)


def test_a_split_shares_each_line_between_providers_to_the_penny(tmp_path_factory):
    rs = schedule(tmp_path_factory, "splitting", 'split planned_exit between "A" 33.33%, "B" 33.33%, "C" 33.34%\n')
    run = rs.pay([client(complexity="low", episodes=[episode()])], "2012-12-31")
    paid = {l["provider"]: l["paid"] for l in lines(run, item="planned_exit")}
    assert paid == {"A": "33.33", "B": "33.33", "C": "33.34"}


def test_a_reduced_rate_above_a_number_of_clients(tmp_path_factory):
    rs = schedule(tmp_path_factory, "reducing", "reduce marginal to 30% above 2 clients per provider per quarter\n")
    run = rs.pay([client(f"C{n}", complexity="high", episodes=[episode()]) for n in range(1, 5)], "2012-12-31")
    got = sorted((l["client"], l["status"], l["paid"]) for l in lines(run, item="planned_exit"))
    assert got == [("C1", "payable", "300.00"), ("C2", "payable", "300.00"), ("C3", "reduced", "90.00"),
                   ("C4", "reduced", "90.00")]


def test_a_gate_holds_a_line_until_the_other_outcome_is_achieved_and_dates_it_then(tmp_path_factory):
    rs = schedule(tmp_path_factory, "gated", 'gate every_need on planned_exit until hep_b_course "Health too."\n')
    doses = [{"date": d} for d in ("2013-01-01", "2013-02-01", "2013-03-01")]
    record = client(episodes=[episode()], hep_b_doses=doses)
    before = rs.pay([record], "2013-02-28")
    held, = lines(before, item="planned_exit")
    assert held["status"] == "held" and held["paid"] == "0.00" and held["due"] == "200.00"
    assert held["date"] == "2012-11-30" and "hep_b_course is pending" in " ".join(held["reasons"])
    after = rs.pay([record], "2013-03-01")
    line, = lines(after, item="planned_exit")
    assert (line["status"], line["date"], line["paid"]) == ("payable", "2013-03-01", "200.00")


def test_a_gate_opens_for_an_outcome_that_does_not_apply(tmp_path_factory):
    rs = schedule(tmp_path_factory, "gated_na", "gate every_need on planned_exit until ceased_injecting\n")
    run = rs.pay([client(episodes=[episode()])], "2012-12-31")
    assert lines(run, item="planned_exit")[0]["status"] == "payable"


def test_spend_is_reported_against_budgets(tmp_path_factory):
    rs = schedule(tmp_path_factory, "budgeted", "budget drugs_money £1,000.00 for drugs per contract year: "
                                                "planned_exit 60%, reliable_improvement 20%\n")
    run = rs.pay([client(complexity="high", episodes=[episode()])], "2013-03-31")
    spend = {(b.contract_year, b.outcome): (b.allocated, b.spent) for b in run.budgets}
    assert spend[("2012/13", None)] == (Decimal("1000.00"), Decimal("300.00"))
    assert spend[("2012/13", "planned_exit")] == (Decimal("600.00"), Decimal("300.00"))


@pytest.mark.parametrize("text, code", [
    ("budget b £1,000.00 for drugs per contract year: reliable_improvement 25%\n", Code.OVER_LIMIT),
    ('split planned_exit between "A" 60%, "B" 30%\n', Code.BAD_SHARES),
    ("tariff housing by client.sex: low £1.00\n", Code.BAD_TARIFF),
    ("gate g on planned_exit until hep_b_course, planned_exit\n", Code.BAD_GATE),
    ("floor f £1.00 per provider per quarter with no_such_fee\n", Code.BAD_PAYMENT),
    ("tariff no_such_outcome £1.00\n", Code.UNKNOWN_OUTCOME),
])
def test_schedules_that_cannot_be_paid_are_refused(tmp_path_factory, text, code):
    with pytest.raises(RulesetError) as caught:
        schedule(tmp_path_factory, "refused", text)
    assert code in codes_of(caught.value)


def test_an_extending_ruleset_overrides_a_tariff_by_name(tmp_path_factory):
    root = tmp_path_factory.mktemp("rulesets")
    (root / "base").mkdir()
    (root / "base" / "1.0.0.pbr").write_text(SCHEDULE.format(name="base"))
    (root / "local").mkdir()
    (root / "local" / "1.0.0.pbr").write_text(
        "ruleset local version 1.0.0\nextends base 1.0.0\n"
        'override tariff planned_exit £999.00 because "A flat price for every group."\n')
    rs = pbr_rules.load("local@1.0.0", [root])
    run = rs.pay([client(complexity="low", episodes=[episode()])], "2012-12-31")
    assert lines(run, item="planned_exit")[0]["paid"] == "999.00"
    assert lines(run, item="abstinence") == [] and "abstinence" in rs.checked.payments.tariffs


# ---- shares ------------------------------------------------------------------------------------
def test_shares_always_add_up_to_the_whole():
    from hypothesis import given, strategies as st

    @given(st.integers(0, 10_000_000), st.lists(st.integers(1, 40), min_size=1, max_size=5))
    def check(pence, percents):
        amount = Decimal(pence) / 100
        shares = [Decimal(p) / 100 for p in percents if p] + [None]
        parts = share_of(amount, shares)
        assert sum(parts) == amount and all(p == p.quantize(Decimal("0.01")) for p in parts)

    check()


def test_caps_settle_shortest_period_first(tmp_path_factory):
    rs = schedule(tmp_path_factory, "two_caps", "cap yearly £500.00 per provider per year\n"
                                               "cap monthly £150.00 per provider per month\n")
    records = [client(f"C{n}", complexity="medium", episodes=[episode(end=f"2012-{month:02d}-15")])
               for n, month in enumerate((6, 7, 8, 9, 10), 1)]
    run = rs.pay(records, "2012-12-31")
    paid = [l["paid"] for l in sorted(lines(run, item="planned_exit"), key=lambda l: l["date"])]
    # each month pays £150 of £200; the year stops at £500: June to September, then £50 in October
    assert paid == ["150.00", "150.00", "150.00", "50.00", "0.00"]


def test_the_cap_admits_a_clients_episodes_in_input_order(tmp_path_factory):
    rs = schedule(tmp_path_factory, "small_cap", "cap small £300.00 per provider per quarter\n")
    later_first = [episode("EB", start="2012-06-01", end="2012-11-30"), episode("EA", start="2012-05-01",
                                                                                end="2012-11-30")]
    run = rs.pay([client(complexity="medium", episodes=later_first)], "2012-12-31")
    assert {l["unit"]: l["status"] for l in lines(run, item="planned_exit")} == {"EB": "payable", "EA": "part_capped"}


def test_a_blank_provider_is_no_provider(lincolnshire):
    run = lincolnshire.pay([client(provider="P9", episodes=[dict(episode(), provider="")])], "2012-12-31")
    assert {l["provider"] for l in run_lines(run)} == {"P9"}


def test_a_framework_limit_cannot_be_lifted(tmp_path_factory):
    with pytest.raises(RulesetError) as caught:
        schedule(tmp_path_factory, "lifted", 'override limit reliable_improvement to 100% of drugs because "More."\n')
    assert "cannot be overridden" in str(caught.value)


@pytest.mark.parametrize("text, code", [
    ("override tariff planned_exit £999.00\n", Code.MISSING_OVERRIDE_REASON),
    ("override cap c £1.00 per provider per month\ntariff housing £1.00\n", Code.MISSING_OVERRIDE_REASON),
    ('tariff housing £400.00 because "x"\n', Code.REASON_WITHOUT_OVERRIDE),
    ('fee f £1.00 per client on 2012-01-01 because "x"\n', Code.REASON_WITHOUT_OVERRIDE),
])
def test_payment_declarations_get_the_usual_syntax_messages(tmp_path_factory, text, code):
    with pytest.raises(RulesetError) as caught:
        load_text(tmp_path_factory, "said", HEADER.format(name="said") + text)
    assert codes_of(caught.value)[0] is code


def test_paid_to_maps_clients_to_providers_by_group(tmp_path_factory):
    rs = schedule(tmp_path_factory, "groups", """override paid to "young_people" when client.date_of_birth >= 1987-04-01,
                 "prescribing" when unit.modality = prescribing,
                 unit.provider, "unassigned"
  because "Stockport splits its clients between four providers."
""")
    young = client("Y", date_of_birth="1990-01-01", episodes=[dict(episode(), modality="prescribing")])
    prescribed = client("P", date_of_birth="1970-01-01", episodes=[dict(episode(provider="Q"), modality="prescribing")])
    other = client("O", date_of_birth="1970-01-01", episodes=[episode(provider="Q")])
    run = rs.pay([young, prescribed, other], "2012-12-31")
    assert {l["client"]: l["provider"] for l in lines(run, item="planned_exit")} == {
        "Y": "young_people", "P": "prescribing", "O": "Q"}


@pytest.mark.parametrize("amount", ["£1,00", "£1,000.5", "£100.001", "£10,0000.00"])
def test_an_amount_written_wrongly_is_told_in_words(tmp_path_factory, amount):
    with pytest.raises(RulesetError) as caught:
        load_text(tmp_path_factory, "money", HEADER.format(name="money") + f"tariff housing {amount}\n")
    assert f"{amount} is not an amount of money" in str(caught.value) and "£1,333.33" in str(caught.value)


def test_a_split_with_one_share_assigns_the_outcome_to_that_provider(rulesets):
    rulesets.write("one", "1.0.0", """
        ruleset one version 1.0.0
        extends national 1.0.0
        tariff planned_exit £100.00
        split planned_exit between "Offender management" 100%
        """)
    run = rulesets.load("one@1.0.0").pay([client("C", episodes=[episode("E1", "2012-05-01", "2012-06-01",
                                                                        "completed_drug_free", provider="P1")])],
                                         "2012-12-31")
    assert [(line.item, line.provider, line.paid) for line in run.lines] == [
        ("planned_exit", "Offender management", Decimal("100.00"))]
    assert run.forecast == () or all(e.provider == "Offender management" for e in run.forecast)


def test_a_quarter_whose_only_lines_are_held_is_not_topped_up_by_a_floor(rulesets):
    rulesets.write("held", "1.0.0", """
        ruleset held version 1.0.0
        extends national 1.0.0
        contract from 2012-04-01
        tariff planned_exit by client.complexity: low £100.00, medium £200.00, high £300.00
        floor minimum £500.00 per provider per quarter
        """)
    ruleset = rulesets.load("held@1.0.0")
    ended = episode("E1", "2012-05-01", "2012-06-01", "completed_drug_free", provider="P1")
    unbanded = client("U", complexity=None, episodes=[ended])    # no complexity group: its line is held
    banded = client("B", complexity="low", episodes=[ended])
    assert [(l.item, l.status) for l in ruleset.pay([unbanded], "2012-12-31").lines] == [("planned_exit", "held")]
    assert [(l.item, l.paid) for l in ruleset.pay([banded], "2012-12-31").lines] == [
        ("planned_exit", Decimal("100.00")), ("floor_top_up", Decimal("400.00"))]
