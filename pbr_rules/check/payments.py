"""Check a ruleset's payment schedule: tariffs, fees, who is paid, splits, caps, reductions,
floors, gates, budgets and budget limits.

Every declaration is checked on its own as its table is visited; what needs the whole schedule
(who is paid for each kind of unit, budget limits) is checked at the end. The result is a
``PaymentSchedule`` of checked declarations, each expression typed, for the compiler and the
payment stage.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import attrs

from .. import tree
from ..errors import Code, Problems
from ..tree import Scalar
from ..values import format_money, format_percent
from ..visitor import Visitor
from ..words import did_you_mean
from .scope import Scopes, Symbol, SymbolKind
from .types import DATE, ERROR, TEXT, T

if TYPE_CHECKING:
    from .checker import Checker

ONE = Decimal(1)


def times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


@attrs.frozen
class PaymentSchedule:
    """The checked schedule. Expressions are checked trees; the unit of a tariff is its
    outcome's unit; ``payees`` has the checked choices of `paid to` for each kind of unit."""

    contract_start: Optional[datetime.date]
    payees: dict          # unit type ("client", "episode") -> tuple of checked PayeeChoice
    tariffs: dict         # outcome -> checked TariffDecl
    fees: dict            # name -> checked FeeDecl
    splits: dict          # outcome -> SplitDecl
    caps: dict            # name -> CapDecl
    reductions: dict      # name -> ReduceDecl
    floors: dict          # name -> FloorDecl
    gates: dict           # name -> GateDecl
    budgets: dict         # name -> BudgetDecl
    limits: dict          # outcome -> LimitDecl
    fee_lists: dict       # fee -> the client list holding its units (fees per client have none)
    key_texts: dict       # outcome -> its tariff's key as written (`client.complexity`), for messages
    measure_tariffs: dict = attrs.field(factory=dict)   # measure -> TariffDecl (flat, or per point)
    family_tariffs: dict = attrs.field(factory=dict)    # name -> FamilyTariffDecl

    @property
    def pays(self) -> bool:
        return bool(self.tariffs or self.fees or self.measure_tariffs or self.family_tariffs)


class PaymentChecker(Visitor):
    walks = (tree.PaymentDeclaration,)

    def __init__(self, checker: "Checker"):
        self.ctx = checker
        self.contract_start = None
        self.fee_lists: dict = {}
        self.measure_tariffs: dict = {}
        self.key_texts: dict = {}
        self.payee: tree.PayeeDecl | None = None
        self.tables: dict = {name: {} for name in ("tariffs", "fees", "splits", "caps", "reductions", "floors",
                                                   "gates", "budgets", "limits", "family_tariffs")}

    def error(self, code: Code, message: str, span, hint: str | None = None) -> T:
        return self.ctx.error(code, message, span, hint)

    def outcome(self, name: str, span) -> tree.Outcome | None:
        outcomes = self.ctx.resolved.outcomes
        if name not in outcomes:
            self.error(Code.UNKNOWN_OUTCOME, f"there is no outcome `{name}`", span, did_you_mean(name, outcomes))
            return None
        return outcomes[name]

    def unit_scope(self, unit_type: str, unit_var: Optional[str]) -> tuple:
        """Scopes binding the unit's name (nothing per client) and the unit's symbol."""
        if unit_type == "client":
            return Scopes(), None
        symbol = Symbol(SymbolKind.UNIT, unit_var, T("record", unit_type))
        return Scopes().inner({unit_var: symbol}), symbol

    def expect(self, node, scopes: Scopes, wanted: T, what: str):
        checked = self.ctx.expressions.check(node, scopes)
        if checked.type not in (wanted, ERROR):
            self.error(Code.TYPE_MISMATCH, f"{what} must be {wanted.words()}, but this is "
                       f"{self.ctx.expressions.shown(checked)}", node.span)
        return checked

    # ---- declarations ---------------------------------------------------------------------------
    def visit_ContractDecl(self, contract: tree.ContractDecl) -> None:
        if contract.start.day > 28:
            self.error(Code.BAD_PAYMENT, f"a contract starting on {contract.start} has no same day in every month, so "
                       "its contract years would have no clear first day", contract.span,
                       "start the contract on a day from the 1st to the 28th")
        self.contract_start = contract.start

    def visit_PayeeDecl(self, payee: tree.PayeeDecl) -> None:
        self.payee = payee  # checked at the end, once for each kind of unit that is paid

    def visit_TariffDecl(self, tariff: tree.TariffDecl) -> None:
        if tariff.name in self.ctx.resolved.tables["measures"]:
            self.measure_tariff(tariff)
            return
        if tariff.per_point or tariff.payee is not None:
            what = "`per point beyond target`" if tariff.per_point else f"`to \"{tariff.payee}\"`"
            self.error(Code.BAD_TARIFF, f"{what} belongs to the tariff of a cohort measure, but `{tariff.name}` is "
                       "not a measure", tariff.span, "an outcome's lines are paid to the provider `paid to` "
                       "chooses for each unit")
        outcome = self.outcome(tariff.name, tariff.span)
        if outcome is None or outcome.classification is None:
            return
        scopes, unit = self.unit_scope(outcome.unit_type, outcome.unit_var)
        key = None
        if tariff.key is not None:
            key = self.ctx.expressions.check(tariff.key, scopes)
            self.key_texts[tariff.name] = self.ctx.text_of(tariff.key) or "the tariff group"
            self.tariff_table(tariff, key)
        instalments = tuple(part.replace(at=self.expect(part.at, scopes, DATE, "an instalment's date"))
                            for part in tariff.instalments)
        shares = sum((part.share for part in tariff.instalments), Decimal(0))
        if tariff.instalments and (shares >= ONE or any(p.share <= 0 for p in tariff.instalments)):
            self.error(Code.BAD_SHARES, f"the instalments of `{tariff.name}` take {format_percent(shares)} before the "
                       "rest, which must leave something to pay on achievement", tariff.span,
                       "each instalment takes more than 0%, and together less than 100%")
        self.tables["tariffs"][tariff.name] = tariff.replace(key=key, instalments=instalments, unit_binding=unit)

    def measure_tariff(self, tariff: tree.TariffDecl) -> None:
        """A measure is paid once, to a named provider: a fixed sum, or an amount per point."""
        if tariff.key is not None or tariff.instalments:
            self.error(Code.BAD_TARIFF, f"`{tariff.name}` is a cohort measure: it is paid once, when it is achieved, "
                       "not by a table or in instalments", tariff.span,
                       f"write `tariff {tariff.name} £20,000 to \"PROVIDER\"`, or `£500 per point beyond target`")
        if tariff.payee is None:
            self.error(Code.BAD_TARIFF, "a measure is paid for the whole cohort, so its tariff must say who is paid",
                       tariff.span, "add `to \"PROVIDER\"` after the amount")
        if tariff.up_to is not None and tariff.amount is not None and tariff.up_to < tariff.amount:
            self.error(Code.BAD_TARIFF, f"`up to {format_money(tariff.up_to)}` is less than one point's amount, "
                       f"{format_money(tariff.amount)}", tariff.span)
        self.measure_tariffs[tariff.name] = tariff

    def tariff_table(self, tariff: tree.TariffDecl, key) -> None:
        if key.type == ERROR:
            return
        if key.type.kind != "enum":
            self.error(Code.BAD_TARIFF, f"a tariff table is by an enum value, like `client.complexity`, but this is "
                       f"{self.ctx.expressions.shown(key)}", tariff.key.span)
            return
        values = self.ctx.enums[key.type.name].values
        seen: set = set()
        for entry in tariff.entries:
            if entry.key not in values:
                self.error(Code.BAD_TARIFF, f"`{entry.key}` is not a {key.type.name} value", entry.span,
                           did_you_mean(entry.key, values) or "the values are: " + ", ".join(values))
            elif entry.key in seen:
                self.error(Code.BAD_TARIFF, f"the tariff of `{tariff.name}` gives `{entry.key}` twice", entry.span)
            seen.add(entry.key)
        missing = [v for v in values if v not in seen]
        if missing:
            self.error(Code.BAD_TARIFF, f"the tariff of `{tariff.name}` has no amount for " + ", ".join(missing),
                       tariff.span, "give every value an amount (£0.00 if it is unpaid)")

    def own_item(self, declaration, table: str, noun: str, example: str) -> None:
        """Payment lines name their item: a fee or a family tariff cannot take a name that already
        names an outcome, a measure, another paid item, or floor top-ups."""
        name, resolved = declaration.name, self.ctx.resolved
        taken = next((what for other, what in (("outcomes", "an outcome"), ("measures", "a measure"), ("fees", "a fee"),
                                               ("family_tariffs", "a family tariff"))
                      if other != table and name in resolved.tables.get(other, ())), None)
        taken = taken or ("floor top-ups" if name == "floor_top_up" else None)
        if taken:
            self.error(Code.DUPLICATE_NAME, f"{noun} cannot be called `{name}`: payment lines name their item, and "
                       f"`{name}` already names {taken}", declaration.span, f"choose another name, like `{example}`")

    def visit_FeeDecl(self, fee: tree.FeeDecl) -> None:
        self.own_item(fee, "fees", "a fee", "attachment_fee")
        if fee.unit_type != "client":
            unit_list = self.ctx.outcome_checker.unit_list(fee.unit_type, fee.unit_var, fee.span)
            if unit_list is None:
                return
            self.fee_lists[fee.name] = unit_list
        scopes, unit = self.unit_scope(fee.unit_type, fee.unit_var)
        on = self.expect(fee.on, scopes, DATE, "the date a fee is paid on")
        when = self.ctx.expressions.condition(fee.when, scopes, "a fee's condition") if fee.when else None
        self.tables["fees"][fee.name] = fee.replace(on=on, when=when, unit_binding=unit)

    def paid(self, name: str, span, what: str) -> None:
        """A split or gate of an outcome that has no tariff would do nothing: say so."""
        if name in self.ctx.resolved.outcomes and name not in self.ctx.resolved.tables["tariffs"]:
            self.error(Code.BAD_PAYMENT, f"{what} `{name}`, which has no tariff, so it would change nothing", span,
                       f"add `tariff {name} ...`, or remove this")

    def visit_SplitDecl(self, split: tree.SplitDecl) -> None:
        self.outcome(split.name, split.span)
        self.paid(split.name, split.span, "the split is of")
        total = sum((s.share for s in split.shares), Decimal(0))
        providers = [s.provider for s in split.shares]
        if total != ONE:
            self.error(Code.BAD_SHARES, f"the shares of `{split.name}` add up to {format_percent(total)}, not 100%",
                       split.span, "the providers' shares of one outcome must add up to 100%")
        if len(set(providers)) != len(providers):
            self.error(Code.BAD_SHARES, f"the split of `{split.name}` names a provider twice", split.span)
        self.tables["splits"][split.name] = split

    def visit_CapDecl(self, cap: tree.CapDecl) -> None:
        if cap.order and sorted(cap.order) != sorted(tree.CapOrderKey):
            missing = [k.value for k in tree.CapOrderKey if k not in cap.order]
            self.error(Code.BAD_PAYMENT, f"the order of cap `{cap.name}` must name each of date, client, outcome, "
                       "unit and instalment once, so that which line the cap stops at is never left to chance",
                       cap.span, ("add " + ", ".join(missing)) if missing else "name each once")
        self.tables["caps"][cap.name] = cap

    def visit_ReduceDecl(self, reduce: tree.ReduceDecl) -> None:
        if reduce.clients != int(reduce.clients) or reduce.clients < 0:
            self.error(Code.BAD_PAYMENT, f"`above {reduce.clients} clients`: a number of clients is a whole number",
                       reduce.span)
        if not 0 <= reduce.rate < ONE:
            self.error(Code.BAD_SHARES, f"a reduced rate must be less than 100%, not {format_percent(reduce.rate)}",
                       reduce.span)
        self.tables["reductions"][reduce.name] = reduce

    def visit_FloorDecl(self, floor: tree.FloorDecl) -> None:
        if floor.with_fee is not None and floor.with_fee not in self.ctx.resolved.tables["fees"]:
            self.error(Code.BAD_PAYMENT, f"floor `{floor.name}` names a fee `{floor.with_fee}` that is not declared",
                       floor.span, did_you_mean(floor.with_fee, self.ctx.resolved.tables["fees"]))
        self.tables["floors"][floor.name] = floor

    def visit_GateDecl(self, gate: tree.GateDecl) -> None:
        for name in gate.outcomes:
            gated = self.outcome(name, gate.span)
            self.paid(name, gate.span, "the gate holds")
            if gated is None or gated.classification is None:
                continue
            for other in gate.until:
                opener = self.outcome(other, gate.span)
                if opener is None or opener.classification is None:
                    continue
                if other == name:
                    self.error(Code.BAD_GATE, f"gate `{gate.name}` holds `{name}` until `{name}` itself", gate.span)
                elif opener.unit_type not in ("client", gated.unit_type):
                    self.error(Code.BAD_GATE, f"gate `{gate.name}`: `{name}` is per {gated.unit_type} but `{other}` "
                               f"is per {opener.unit_type}, so there is no one result of `{other}` to wait for",
                               gate.span, f"wait for outcomes per {gated.unit_type}, or per client"
                               if gated.unit_type != "client" else "wait for outcomes per client")
                elif opener.frequency.per_client:
                    self.error(Code.BAD_GATE, f"gate `{gate.name}` waits for `{other}`, which is earned at most "
                               f"{times(opener.frequency.limit)} per client", gate.span)
        self.tables["gates"][gate.name] = gate

    def visit_BudgetDecl(self, budget: tree.BudgetDecl) -> None:
        domains = self.ctx.resolved.domains
        if budget.domain not in domains:
            self.error(Code.UNKNOWN_DOMAIN, f"there is no domain `{budget.domain}`", budget.span,
                       did_you_mean(budget.domain, domains))
        for share in budget.shares:
            outcome = self.outcome(share.outcome, share.span)
            if outcome is not None and outcome.domain not in (None, budget.domain):
                self.error(Code.BAD_SHARES, f"`{share.outcome}` is in the {outcome.domain} domain, not "
                           f"{budget.domain}", share.span)
        total = sum((s.share for s in budget.shares), Decimal(0))
        if total > ONE:
            self.error(Code.BAD_SHARES, f"the shares of budget `{budget.name}` add up to {format_percent(total)}, "
                       "more than the whole budget", budget.span)
        self.tables["budgets"][budget.name] = budget

    def visit_LimitDecl(self, limit: tree.LimitDecl) -> None:
        outcome = self.outcome(limit.name, limit.span)
        if limit.domain not in self.ctx.resolved.domains:
            self.error(Code.UNKNOWN_DOMAIN, f"there is no domain `{limit.domain}`", limit.span,
                       did_you_mean(limit.domain, self.ctx.resolved.domains))
        elif outcome is not None and outcome.domain not in (None, limit.domain):
            self.error(Code.BAD_SHARES, f"`{limit.name}` is in the {outcome.domain} domain, not {limit.domain}",
                       limit.span)
        if limit.share > ONE:
            self.error(Code.BAD_SHARES, f"a limit of {format_percent(limit.share)} is more than the whole budget",
                       limit.span, "a limit is at most 100%")
        self.tables["limits"][limit.name] = limit

    def visit_FamilyTariffDecl(self, family: tree.FamilyTariffDecl) -> None:
        self.own_item(family, "family_tariffs", "a family tariff", "whole_family")
        for name in family.outcomes:
            self.outcome(name, family.span)
        client = self.ctx.schema.records.get("client") if self.ctx.schema is not None else None
        field = client.fields.get(family.field) if client is not None else None
        if client is not None and field is None:
            self.error(Code.BAD_PAYMENT, f"family tariff `{family.name}`: the client record has no field "
                       f"`{family.field}` to tell a family by", family.span,
                       did_you_mean(family.field, client.fields) or "add an optional text field, e.g. `extend record "
                       f"client` with `{family.field}: optional text`")
        elif field is not None and field.scalar not in (Scalar.TEXT, Scalar.ENUM):
            self.error(Code.BAD_PAYMENT, f"family tariff `{family.name}`: `{family.field}` is not a text or an enum "
                       "value, so it cannot name a family", family.span)
        self.tables["family_tariffs"][family.name] = family

    # ---- the whole schedule ------------------------------------------------------------------
    def finish(self) -> PaymentSchedule:
        self.check_limits()
        payees = self.check_payees()
        return PaymentSchedule(self.contract_start, payees, fee_lists=self.fee_lists, key_texts=self.key_texts,
                               measure_tariffs=self.measure_tariffs, **self.tables)

    def check_limits(self) -> None:
        for limit in self.tables["limits"].values():
            for budget in self.tables["budgets"].values():
                if budget.domain != limit.domain:
                    continue
                for share in budget.shares:
                    if share.outcome == limit.name and share.share > limit.share:
                        self.error(Code.OVER_LIMIT, f"budget `{budget.name}` gives `{limit.name}` "
                                   f"{format_percent(share.share)} of the {limit.domain} money, but at most "
                                   f"{format_percent(limit.share)} is allowed", share.span,
                                   f"the limit is set by {self.ctx.resolved.origin[('limits', limit.name)]}, line "
                                   f"{limit.span.line}" + (f": {limit.doc}" if limit.doc else ""))

    def paid_unit_types(self) -> dict:
        """Each kind of unit that is paid, with the first declaration that pays one."""
        types: dict = {}
        for tariff in self.tables["tariffs"].values():
            types.setdefault(self.ctx.resolved.outcomes[tariff.name].unit_type, tariff)
        for fee in self.tables["fees"].values():
            types.setdefault(fee.unit_type, fee)
        return {unit_type: declaration for unit_type, declaration in types.items() if unit_type}

    def check_payees(self) -> dict:
        payee = self.payee
        if payee is None:
            return {}
        last = payee.choices[-1]
        if last.when is not None or not (isinstance(last.provider, tree.Literal) and isinstance(last.provider.value, str)):
            self.error(Code.BAD_PAYEE, "the last choice of `paid to` must be a provider's name in quotes, with no "
                       "condition, so that every payment has someone to go to", last.span,
                       'end with a default, like `"unassigned"`')
        origin = self.ctx.resolved.origin.get(("payees", "paid to"))
        inherited = origin != self.ctx.resolved.ref
        checked = {}
        for unit_type, paid_by in (self.paid_unit_types() or {"client": None}).items():
            problems = self.ctx.problems
            self.ctx.problems = Problems()  # mistakes for this kind of unit: said where they arise
            try:
                checked[unit_type] = self.payee_for(payee, unit_type)
            finally:
                found, self.ctx.problems = self.ctx.problems, problems
            if found and inherited and paid_by is not None:
                first = found.errors[0]
                self.error(Code.BAD_PAYEE, f"who is paid for {unit_type} units cannot be worked out: the inherited "
                           f"`paid to` ({origin}, line {payee.span.line}) says: {first.message}",
                           paid_by.span, f"override `paid to` with choices for {unit_type} units, or give the "
                           f"{unit_type} record the field it needs")
            else:
                problems.errors.extend(found.errors)
        return checked

    def payee_for(self, payee: tree.PayeeDecl, unit_type: str) -> tuple:
        """The checked choices of `paid to` for one kind of unit, `unit` bound to it."""
        symbol = Symbol(SymbolKind.UNIT, "unit", T("record", unit_type))
        scopes = Scopes().inner({"unit": symbol})
        choices = []
        for choice in payee.choices:
            provider = self.expect(choice.provider, scopes, TEXT, f"who is paid for {unit_type} units")
            when = (self.ctx.expressions.condition(choice.when, scopes, "the condition of a `paid to` choice")
                    if choice.when is not None else None)
            choices.append(choice.replace(provider=provider, when=when))
        return symbol, tuple(choices)
