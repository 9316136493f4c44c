"""Payment lines, and the lines of one client: tariffs, instalments, fees, gates, who is paid,
splits, and the contract's start.

A ``PaymentLine`` is one amount for one provider on one date: an outcome's tariff (or one
instalment of it), a fee, or a floor's top-up. ``ClientPayments`` makes a client's lines from
its result rows as of a date; what depends on other clients (caps, volume reductions, floors)
is the ledger's (``ledger.py``). Money is ``Decimal`` in pounds, rounded half up to the penny
only where a share is taken, so that the parts of a tariff always add up to it exactly.
"""

from __future__ import annotations

import datetime
import enum
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import encode_basestring as _text  # a str as json.dumps(ensure_ascii=False) writes it
from typing import Callable, Optional

import attrs

from ..check.payments import PaymentSchedule
from ..tree import Status
from ..values import format_amount, format_money, format_percent

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
DEFAULT_PROVIDER = "unassigned"


def to_penny(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def share_of(amount: Decimal, shares: list) -> list:
    """``amount`` in parts by ``shares`` (fractions adding up to at most 1): each rounded half
    up to the penny, the last taking the remainder, so the parts add up to ``amount`` exactly."""
    parts = [to_penny(amount * share) for share in shares[:-1]]
    return parts + [amount - sum(parts, ZERO)]


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class LineStatus(enum.StrEnum):
    PAYABLE = "payable"          # paid in full
    HELD = "held"                # not paid yet: the reasons say what it waits for
    REDUCED = "reduced"          # paid at a reduced rate, above a volume
    PART_CAPPED = "part_capped"  # the line that reached a cap: paid up to it
    CAPPED = "capped"            # after a cap was reached: paid nothing


class LineKind(enum.IntEnum):
    OUTCOME = 0
    FEE = 1
    FLOOR = 2
    MEASURE = 3   # a cohort measure's payment: for the whole cohort, outside caps and reductions
    FAMILY = 4    # a family tariff's payment: for a whole family, outside caps and reductions


@attrs.frozen(slots=True)
class PaymentLine:
    """One line of a payment statement. ``due`` is what the line is worth (None while unknown),
    ``paid`` what is paid after caps, reductions and holds."""

    provider: str
    date: Optional[datetime.date]
    client: Optional[str]
    item: str                       # the outcome, the fee, or floor_top_up
    unit: Optional[str]
    instalment: Optional[str]       # "2/4"
    due: Optional[Decimal]
    paid: Decimal
    status: LineStatus
    reasons: tuple
    kind: LineKind = attrs.field(default=LineKind.OUTCOME, eq=False)
    # the cap's order within a date and client: the item's place in the ruleset, the unit's in
    # the client's list, the instalment's number
    item_order: int = attrs.field(default=0, eq=False)
    unit_order: int = attrs.field(default=0, eq=False)
    part: int = attrs.field(default=0, eq=False)

    @property
    def period(self) -> Optional[str]:
        return quarter_of(self.date) if self.date else None

    def to_json(self) -> dict:
        return {"provider": self.provider, "period": self.period,
                "date": self.date.isoformat() if self.date else None, "client": self.client,
                "item": self.item, "unit": self.unit, "instalment": self.instalment,
                "due": None if self.due is None else format_amount(self.due), "paid": format_amount(self.paid),
                "status": str(self.status), "reasons": list(self.reasons)}

    def json_text(self, extra: str = "") -> str:
        """``json.dumps(self.to_json() | more, ensure_ascii=False)`` byte for byte, built directly;
        ``extra`` is the JSON of the keys after ``reasons`` (`, "ruleset": "..."`)."""
        date, due = self.date, self.due
        period = "null" if date is None else _text(quarter_of(date))
        return (f'{{"provider": {_text(self.provider)}, "period": {period}, '
                f'"date": {"null" if date is None else _text(date.isoformat())}, '
                f'"client": {_json_or_null(self.client)}, "item": {_text(self.item)}, '
                f'"unit": {_json_or_null(self.unit)}, "instalment": {_json_or_null(self.instalment)}, '
                f'"due": {"null" if due is None else _text(format_amount(due))}, '
                f'"paid": {_text(format_amount(self.paid))}, "status": {_text(str(self.status))}, '
                f'"reasons": [{", ".join(map(_text, self.reasons))}]{extra}}}')

    def evolve(self, **changes) -> "PaymentLine":
        return attrs.evolve(self, **changes)


def _json_or_null(text: Optional[str]) -> str:
    return "null" if text is None else _text(text)


@attrs.frozen(slots=True)
class ForecastEntry:
    """What is expected to fall due on a date if a pending result is achieved on its due date."""

    provider: str
    date: datetime.date
    client: str
    item: str
    unit: Optional[str]
    instalment: Optional[str]
    amount: Decimal


@attrs.frozen(slots=True)
class _Client:
    """One client being paid: its record, its view as of the date, its result rows by outcome,
    and the lines and forecast made so far."""

    record: dict
    view: dict
    as_of: datetime.date
    by_outcome: dict
    lines: list
    forecast: list


@attrs.frozen(slots=True)
class _Part:
    number: int
    count: int                        # how many parts the tariff is paid in
    date: Optional[datetime.date]
    amount: Optional[Decimal]

    @property
    def label(self) -> Optional[str]:
        return f"{self.number}/{self.count}" if self.count > 1 else None


class ClientPayments:
    """Makes one client's payment lines from its result rows.

    ``functions`` are the compiled ruleset's: `t_O` (a tariff's key), `i_O_N` (instalment
    dates), `f_F` (a fee's condition and date), `p_T` (who is paid for a unit of type T), and
    `o_O` (an outcome, to ask how it stood on an earlier date)."""

    def __init__(self, schedule: PaymentSchedule, functions: dict, outcomes: tuple, unit_lists: dict,
                 view_as_of: Callable):
        self.schedule = schedule
        self.functions = functions
        self.order = {o.name: number for number, o in enumerate(outcomes)}
        self.order.update({name: len(outcomes) + number for number, name in enumerate(schedule.fees)})
        self.unit_lists = unit_lists
        self.unit_types = {o.name: o.unit_type for o in outcomes}
        self.view_as_of = view_as_of      # (client, day) -> the client as known on that day
        self.gates = {}                   # outcome -> [GateDecl]
        for gate in schedule.gates.values():
            for name in gate.outcomes:
                self.gates.setdefault(name, []).append(gate)

    # ---- the whole client ----------------------------------------------------------------------
    def lines(self, client: dict, view: dict, as_of: datetime.date, rows: list) -> tuple:
        """(lines, forecast): the client's lines dated up to ``as_of``, and what may fall due later."""
        paying = _Client(client, view, as_of, self.rows_by_outcome(rows), [], [])
        for name, tariff in self.schedule.tariffs.items():
            units = input_index = None
            quick = not tariff.instalments
            for unit_order, row in enumerate(paying.by_outcome.get(name, ())):
                status = row.status
                if status is Status.NOT_APPLICABLE or (quick and (
                        status is Status.NOT_ACHIEVED or (status is Status.PENDING and row.due is None))):
                    continue  # nothing is paid, and nothing is expected: the common case, kept fast
                if units is None:
                    units = self.units(view, name)
                    input_index = getattr(client.get(self.unit_lists.get(name) or ""), "input_index", None)
                unit = units[unit_order]
                self.outcome_lines(paying, tariff, row, unit, input_index[unit["id"]] if input_index else unit_order)
        for fee in self.schedule.fees.values():
            self.fee_lines(view, as_of, fee, paying.lines)
        lines, forecast = paying.lines, paying.forecast
        start = self.schedule.contract_start
        if start is not None:
            lines = [line for line in lines if line.date is None or line.date >= start]
            forecast = [entry for entry in forecast if entry.date >= start]
        return lines, forecast

    @staticmethod
    def rows_by_outcome(rows: list) -> dict:
        grouped: dict = {}
        for row in rows:
            grouped.setdefault(row.outcome, []).append(row)
        return grouped

    def units(self, view: dict, outcome: str) -> list:
        list_field = self.unit_lists.get(outcome)
        return [view] if list_field is None else view[list_field]

    def provider(self, view: dict, as_of, unit_type: str, unit: dict) -> str:
        function = self.functions.get(f"p_{unit_type}")
        provider = function(view, as_of, unit) if function else None
        return provider if provider is not None else DEFAULT_PROVIDER

    # ---- outcomes ------------------------------------------------------------------------------
    def outcome_lines(self, paying: _Client, tariff, row, unit: dict, unit_order: int) -> None:
        view, as_of = paying.view, paying.as_of
        parts = self.parts(view, as_of, tariff, row, unit)
        if all(part.date is None for part in parts):
            return
        amount, held_reason = self.tariff_amount(view, as_of, tariff, unit)
        if amount is not None:
            amounts = share_of(amount, [p.share for p in tariff.instalments] + [None])
            parts = [_Part(part.number, part.count, part.date, amounts[part.number - 1]) for part in parts]
        provider = self.provider(view, as_of, self.unit_types[tariff.name], unit)
        opened, gate_reason = self.gate(tariff.name, row, paying.by_outcome)
        order = self.order[tariff.name]
        for part in parts:
            if part.date is None:
                continue
            if part.date > as_of:
                if amount is not None and row.status is not Status.NOT_ACHIEVED:
                    paying.forecast.extend(ForecastEntry(payee, part.date, view["id"], tariff.name, row.unit,
                                                         part.label, share)
                                           for payee, share, _ in self.shares(tariff.name, provider, part.amount))
                continue
            if not self.part_stands(paying.record, tariff.name, row, unit, part):
                continue
            date, status, reasons = part.date, LineStatus.PAYABLE, self.part_reasons(tariff, row, part)
            if held_reason is not None:
                status, reasons = LineStatus.HELD, reasons + (held_reason,)
            elif opened is None:
                status, reasons = LineStatus.HELD, reasons + (gate_reason,)
            elif opened > date:
                date, reasons = opened, reasons + (gate_reason,)
            due = part.amount  # unknown (None) when the tariff could not be chosen
            line = PaymentLine(provider, date, view["id"], tariff.name, row.unit, part.label,
                               due, due if status is LineStatus.PAYABLE else ZERO, status, reasons,
                               LineKind.OUTCOME, order, unit_order, part.number)
            paying.lines.extend(self.split(line))

    def tariff_amount(self, view, as_of, tariff, unit) -> tuple:
        """(the tariff for this unit, None) or (None, why it is held)."""
        if tariff.key is None:
            return tariff.amount, None
        key = self.functions[f"t_{tariff.name}"](view, as_of, unit)
        if key is None:
            return None, (f"Held: {self.schedule.key_texts[tariff.name]} is not recorded, so the "
                          f"tariff of {tariff.name} cannot be chosen.")
        for entry in tariff.entries:
            if entry.key == key:
                return entry.amount, None
        return None, f"Held: the tariff of {tariff.name} has no amount for {key}."

    def parts(self, view, as_of, tariff, row, unit) -> list:
        """The tariff's parts, dated, their amounts still to be filled in: each instalment on its
        date, the rest on the achievement date (while pending, on the due date: the forecast)."""
        count = len(tariff.instalments) + 1
        parts = []
        for number in range(1, count):
            parts.append(_Part(number, count, self.functions[f"i_{tariff.name}_{number}"](view, as_of, unit), None))
        if row.status is Status.ACHIEVED:
            parts.append(_Part(count, count, row.date, None))
        elif row.status is Status.PENDING and row.due is not None:
            parts.append(_Part(count, count, row.due, None))
        return parts

    def part_stands(self, client: dict, outcome: str, row, unit: dict, part: _Part) -> bool:
        """Is a part due? The last when achieved; an instalment while the outcome had not failed
        as of the instalment's date (a failure on that very date stops it)."""
        if part.number == part.count:
            return row.status is Status.ACHIEVED
        if row.status in (Status.ACHIEVED, Status.PENDING):
            return True  # a decided status never changes, so it had not failed then either
        if row.date is not None and row.date > part.date:
            return True  # failed after the instalment's date
        day_view = self.view_as_of(client, part.date)
        units = self.units(day_view, outcome)
        then = next((u for u in units if u is day_view or u.get("id") == unit.get("id")), None)
        if then is None:
            return False
        earlier = self.functions[f"o_{outcome}"](day_view, part.date, then)
        return earlier[2] is not Status.NOT_ACHIEVED

    def part_reasons(self, tariff, row, part) -> tuple:
        if part.count == 1:
            return (f"{tariff.name} achieved on {row.date.isoformat()}: tariff {format_money(part.amount)}."
                    if part.amount is not None else f"{tariff.name} achieved on {row.date.isoformat()}.",)
        share = (f"{format_percent(tariff.instalments[part.number - 1].share)} of the tariff"
                 if part.number < part.count else "the rest of the tariff")
        when = (f"due on {part.date.isoformat()} while {tariff.name} has not failed" if part.number < part.count
                else f"on achievement, {row.date.isoformat() if row.date else 'when achieved'}")
        return (f"Instalment {part.label} of {tariff.name}: {share}, {when}.",)

    def gate(self, outcome: str, row, by_outcome: dict) -> tuple:
        """(the date the outcome's gates opened, their reason); (None, reason) while one is shut."""
        opened = datetime.date.min
        reasons = []
        for gate in self.gates.get(outcome, ()):
            waiting = []
            for other in gate.until:
                result = self.same_unit(by_outcome.get(other, ()), row.unit, other)
                if result is None or result.status in (Status.PENDING, Status.NOT_ACHIEVED):
                    waiting.append(f"{other} is {result.status.words if result else 'not evaluated'}")
                elif result.status is Status.ACHIEVED:
                    opened = max(opened, result.date)
            if waiting:
                each = "each of " if len(gate.until) > 1 else ""
                return None, (f"Held by gate {gate.name}: paid only once {each}{', '.join(gate.until)} is achieved or "
                              f"does not apply; " + "; ".join(waiting) + "." + (f" ({gate.doc})" if gate.doc else ""))
            reasons.append(f"Gate {gate.name} opened on {opened.isoformat()}." if opened > datetime.date.min
                           else f"Gate {gate.name} is open.")
        return opened, " ".join(reasons) if reasons else None

    def same_unit(self, rows, unit: str, outcome: str):
        if self.unit_lists.get(outcome) is None:
            return rows[0] if rows else None
        return next((r for r in rows if r.unit == unit), None)

    def shares(self, item: str, provider: str, amount: Optional[Decimal]) -> list:
        """[(provider, amount, reason)]: who gets what of an amount for an item. One provider
        unless the item is split between co-dependent providers (the last takes the odd penny)."""
        split = self.schedule.splits.get(item)
        if split is None:
            return [(provider, amount, None)]
        shares = [s.share for s in split.shares]
        amounts = share_of(amount, shares) if amount is not None else [None] * len(shares)
        return [(share.provider, part, f"{share.provider}'s share: {format_percent(share.share)} (split {split.name}).")
                for share, part in zip(split.shares, amounts)]

    def split(self, line: PaymentLine) -> list:
        if line.item not in self.schedule.splits:
            return [line]
        # a split with one share assigns the item to that provider (Enfield's offender management provider)
        parts = self.shares(line.item, line.provider, line.due)
        return [line.evolve(provider=provider, due=due, paid=due if line.status is LineStatus.PAYABLE else ZERO,
                            reasons=line.reasons + (reason,)) for provider, due, reason in parts]

    # ---- fees ----------------------------------------------------------------------------------
    def fee_lines(self, view, as_of, fee, lines: list) -> None:
        function = self.functions[f"f_{fee.name}"]
        units = [view] if fee.unit_type == "client" else view[self.schedule.fee_lists[fee.name]]
        for unit_order, unit in enumerate(units):
            condition, date = function(view, as_of, unit)
            if condition is not True or date is None or date > as_of:
                continue
            provider = self.provider(view, as_of, fee.unit_type, unit)
            unit_id = None if fee.unit_type == "client" else unit.get("id")
            what = f"{fee.unit_type} {unit_id}" if unit_id else "the client"
            lines.append(PaymentLine(provider, date, view["id"], fee.name, unit_id, None, fee.amount, fee.amount,
                                     LineStatus.PAYABLE, (f"Fee {fee.name} for {what}: {format_money(fee.amount)}, "
                                                          f"on {date.isoformat()}.",),
                                     LineKind.FEE, self.order[fee.name], unit_order, 0))


def amounts_by_unit(lines) -> dict:
    """(outcome, unit) -> what its lines are worth, held lines left out: a result's `amount`."""
    totals: dict = {}
    for line in lines:
        if line.kind is LineKind.OUTCOME and line.status is not LineStatus.HELD and line.due is not None:
            key = (line.item, line.unit)
            totals[key] = totals.get(key, ZERO) + line.due
    return totals
