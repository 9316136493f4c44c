"""Check cohort measures: the cohort, the member's period, the value, the aggregate and the target.

A measure follows each member for a period: its one `window`, which must start from the
member's start (the date of the record that made the client a member) and have a length. That
is what lets a measure say, before the cohort has closed, when it will be decided: the period of
a member joining on the cohort's last day. The baseline and target are known before any client
is seen, so they are folded here into exact numbers in the value's own scale (a share in percent).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import attrs

from .. import tree
from ..dates import add_duration
from ..errors import Code
from ..runtime import make_window
from ..values import Duration, Percent, format_number
from ..words import did_you_mean
from .constants import NOT_CONSTANT, ConstantFolder
from .scope import Scopes, Symbol, SymbolKind
from .types import BOOL, ERROR, NUMBER, T

if TYPE_CHECKING:
    from .checker import Checker

HUNDRED = Decimal(100)


@attrs.frozen(slots=True)
class MeasureSpec:
    """A checked measure, and what the later stages need of it."""

    measure: tree.Measure      # the checked tree
    list_field: str            # the client list holding the records that make a client a member
    record: str                # the type of those records
    dated_by: str              # their date: a member's start is the earliest one in the cohort period
    first: datetime.date       # the cohort period, both days included
    last: datetime.date
    window: tree.WindowStmt    # the member's period
    length: Duration           # its length, from the member's start
    lags: tuple                # the lags of the data it reads (also through outcomes and definitions)
    cohort_lag: Optional[Duration]  # the lag of the cohort's own list: members dated by `last` are in by then
    yes_no: bool               # a member's value is yes/no (counted as 1 or 0), else a number
    baseline: Optional[Decimal]  # in the value's scale: a share is in percent
    target: Decimal

    @property
    def cohort_closes(self) -> datetime.date:
        """The day every record dated in the cohort period is in the data."""
        return add_duration(self.last, self.cohort_lag) if self.cohort_lag else self.last

    @property
    def latest_close(self) -> datetime.date:
        """When the period of a member joining on the cohort's last day closes: the latest a
        measure can be decided (never before every member is in)."""
        return max(self.close_of(self.last), self.cohort_closes)

    @property
    def name(self) -> str:
        return self.measure.name

    @property
    def aggregate(self) -> tree.Aggregate:
        return self.measure.aggregate

    @property
    def bound(self) -> tree.Bound:
        return self.measure.target.bound

    @property
    def has_condition(self) -> bool:
        return self.measure.cohort.condition is not None

    def close_of(self, start: datetime.date) -> datetime.date:
        """The day the period of a member starting on ``start`` has all its data: the window's
        last day plus the longest lag (lags are compared by the day they give, not their units)."""
        end = make_window(self.window.start.exclusive, start, self.length, None).end
        return max((add_duration(end, lag) for lag in self.lags), default=end)


def _plain(value: Decimal) -> Decimal:
    """Without trailing zeros, and never in exponent form: 0.4350 is 0.435, 40.00 is 40."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


class MeasureChecker:
    def __init__(self, checker: "Checker"):
        self.ctx = checker
        self.expressions = checker.expressions

    def error(self, code: Code, message: str, span, hint: str | None = None) -> T:
        return self.ctx.error(code, message, span, hint)

    def fold(self, node):
        single = {name: p.values[0][1] for name, p in self.ctx.parameters.items() if len(p.values) == 1}
        return ConstantFolder(single).fold(node)

    def check(self, measure: tree.Measure) -> tuple:
        """The checked measure, and its MeasureSpec (None when a mistake was reported)."""
        errors_before = len(self.ctx.problems.errors)
        self.classification(measure)
        named = {s.name: s.span.line for s in measure.statements if isinstance(s, (tree.Let, tree.WindowStmt))}
        scopes = Scopes(named_later=named).inner({})
        cohort, period = self.cohort(measure, scopes)
        statements = tuple(self.statement(s, scopes) for s in measure.statements)
        value = self.value(measure, scopes)
        checked = measure.replace(cohort=cohort, statements=statements, value=value)
        window = self.window(checked)
        checked, baseline, target = self.target(checked)
        if len(self.ctx.problems.errors) > errors_before:
            return checked, None
        record = cohort.binding.type.name
        first, last = period
        return checked, MeasureSpec(checked, cohort.source.name, record, self.ctx.records[record].dated_by, first,
                                    last, window, self.fold(window.length), self.lags(checked),
                                    self.ctx.schema.lag(record), value.type == BOOL, baseline, target)

    def classification(self, measure: tree.Measure) -> None:
        if measure.domain is None:
            self.error(Code.MISSING_CLASSIFICATION, f"measure `{measure.name}` does not say its domain and stage",
                       measure.span, "add a line like `domain offending, final`")
        elif measure.domain not in self.ctx.resolved.domains:
            domains = self.ctx.resolved.domains
            self.error(Code.UNKNOWN_DOMAIN, f"there is no domain `{measure.domain}`", measure.domain_span,
                       did_you_mean(measure.domain, domains) or f"the domains are: {', '.join(domains)}")

    # ---- the cohort -----------------------------------------------------------------------------
    def cohort(self, measure: tree.Measure, scopes: Scopes) -> tuple:
        cohort = measure.cohort
        if cohort is None:
            self.error(Code.BAD_MEASURE, f"measure `{measure.name}` does not say who is in its cohort", measure.span,
                       "add a line like `cohort e in client.episodes from 2012-04-01 to 2013-03-31`")
            cohort = tree.Cohort("_", tree.Name("client", span=measure.span), tree.Literal(None, span=measure.span),
                                 tree.Literal(None, span=measure.span), None, span=measure.span)
        source = self.expressions.check(cohort.source, scopes)
        record = self.cohort_record(source, cohort)
        symbol = Symbol(SymbolKind.UNIT, cohort.var, T("record", record) if record else ERROR)
        scopes.bind(symbol)
        start, first = self.cohort_day(cohort.start, scopes, "first")
        end, last = self.cohort_day(cohort.end, scopes, "last")
        if first and last and first > last:
            self.error(Code.BAD_COHORT, f"the cohort's first day {first} is after its last day {last}", cohort.span,
                       "write `from FIRST to LAST`, the earlier date first")
        condition = None
        if cohort.condition is not None:
            condition = self.expressions.condition(cohort.condition, scopes, "the cohort's `where`")
        checked = cohort.replace(source=source, start=start, end=end, condition=condition, binding=symbol)
        return checked, (first, last)

    def cohort_record(self, source, cohort: tree.Cohort) -> str | None:
        """The record type of the client list a cohort is drawn from; it must be dated."""
        t = source.type
        if t == ERROR:
            return None
        is_client_list = (t.kind == "list" and isinstance(source, tree.Attr) and isinstance(source.base, tree.Name)
                          and source.base.name == "client")
        if not is_client_list:
            self.error(Code.BAD_COHORT, f"a cohort is drawn from one of the client's lists, but this is "
                       f"{self.expressions.shown(source)}", cohort.source.span,
                       "write `cohort e in client.episodes from DATE to DATE`")
            return None
        if self.ctx.records[t.name].dated_by is None:
            self.error(Code.BAD_COHORT, f"{t.name} records have no date (`dated by`), so none can be in the "
                       "cohort's period", cohort.source.span, f"add `dated by FIELD` to `record {t.name}`")
            return None
        return t.name

    def cohort_day(self, node, scopes: Scopes, which: str) -> tuple:
        checked = self.expressions.check(node, scopes)
        value = self.fold(checked) if checked.type != ERROR else NOT_CONSTANT
        if isinstance(value, datetime.date):
            return checked, value
        if checked.type != ERROR and value is not None:
            self.error(Code.BAD_COHORT, f"the cohort's {which} day must be a date written out (or a parameter "
                       f"holding one), but this is {self.expressions.shown(checked)}", node.span,
                       "write it like `from 2012-04-01 to 2013-03-31`")
        return checked, None

    # ---- the member's period and value ------------------------------------------------------
    def statement(self, statement, scopes: Scopes):
        if isinstance(statement, tree.Rule):
            self.error(Code.BAD_MEASURE, "a measure has no rules of its own: it is achieved or not by its "
                       "`target`", statement.span, "compare the measure with its target: `target at most 25% "
                       "below baseline`; per-client rules belong in an outcome, which the value can use")
            return statement
        return self.ctx.outcome_checker.visit(statement, scopes)

    def value(self, measure: tree.Measure, scopes: Scopes):
        if measure.value is None:
            self.error(Code.BAD_MEASURE, f"measure `{measure.name}` does not say what is measured for each member",
                       measure.span, "add a line like `value count of o in client.offences within w`")
            return None
        value = self.expressions.check(measure.value, scopes)
        if value.type not in (BOOL, NUMBER, ERROR):
            self.error(Code.BAD_MEASURE, f"a member's value must be a number or yes/no, but this is "
                       f"{self.expressions.shown(value)}", measure.value.span)
            return value
        aggregate = measure.aggregate
        if aggregate is None:
            self.error(Code.BAD_MEASURE, f"measure `{measure.name}` does not say how its members' values are "
                       "summed up", measure.span, "add `measured as average` (or median, share, count, or "
                       "`rate per 100 members`)")
        elif value.type != ERROR and aggregate.needs_yes_no != (value.type == BOOL):
            needs = "a yes/no value" if aggregate.needs_yes_no else "a number"
            self.error(Code.BAD_MEASURE, f"`measured as {aggregate}` needs {needs} per member, but the value is "
                       f"{self.expressions.shown(value)}", measure.value.span,
                       "use share or count for yes/no values; average, median or rate for numbers")
        return value

    def window(self, measure: tree.Measure) -> tree.WindowStmt | None:
        windows = [s for s in measure.statements if isinstance(s, tree.WindowStmt)]
        cohort = measure.cohort
        if cohort.binding.type == ERROR:  # the cohort's mistake is reported: the period depends on it
            return None
        record = self.ctx.records.get(cohort.binding.type.name)
        start = f"{cohort.var}.{record.dated_by}" if record else f"{cohort.var}.start"
        example = f"window w = after {start} for 12 months"
        if not windows:
            self.error(Code.BAD_MEASURE, f"measure `{measure.name}` must follow each member for a period, its "
                       "`window`, but it has none", measure.span,
                       f"add one line like `{example}`; the value is taken when it closes")
            return None
        if len(windows) > 1:
            self.error(Code.BAD_MEASURE, f"measure `{measure.name}` has {len(windows)} windows, but a member is "
                       "followed for one period", windows[1].span,
                       "keep the member's period as the one `window`; write other spans with `let` and dates")
            return None
        window = windows[0]
        anchor = window.anchor
        from_start = (record is not None and isinstance(anchor, tree.Attr) and anchor.name == record.dated_by
                      and isinstance(anchor.base, tree.Name) and anchor.base.ref is cohort.binding)
        if not from_start or window.length is None or window.restart is not None:
            self.error(Code.BAD_MEASURE, "a measure's window is the member's period: it starts from the member's "
                       f"start (`{start}`) and has a length, without restarts", window.span, f"write `{example}`")
            return None
        if not isinstance(self.fold(window.length), Duration):
            self.error(Code.BAD_MEASURE, "a measure's period must have a length known before any client is seen",
                       window.length.span, "write it out, like `12 months`, or use a parameter with one value")
            return None
        return window

    def lags(self, measure: tree.Measure) -> tuple:
        """The lags of the records the measure reads, itself or through the outcomes and definitions
        it uses: a member's period closes only when the latest of them has passed."""
        roots = [measure.value, *measure.statements, measure.cohort]
        seen, pending = set(), list(self.ctx.uses.get(("measure", measure.name), ()))
        while pending:
            kind, name = pending.pop()
            if (kind, name) in seen:
                continue
            seen.add((kind, name))
            used = (self.ctx.outcomes if kind == "outcome" else self.ctx.checked_definitions).get(name)
            if used is not None:
                roots.append(used)
            pending.extend(self.ctx.uses.get((kind, name), ()))
        lags = {self.ctx.schema.lag(node.source.type.name)
                for root in roots for node in root.walk()
                if isinstance(node, tree.Quantifier) and node.source.type.kind == "list"}
        lags.add(self.ctx.schema.lag(measure.cohort.binding.type.name))  # the member's own record too
        return tuple(sorted((lag for lag in lags if lag), key=str))

    # ---- baseline and target ----------------------------------------------------------------
    def target(self, measure: tree.Measure) -> tuple:
        """The measure with its baseline and target checked, and their exact values (None after a mistake)."""
        share = measure.aggregate is tree.Aggregate.SHARE
        baseline = None
        if measure.baseline is not None:
            checked, baseline = self.number(measure.baseline, share, "baseline")
            measure = measure.replace(baseline=checked)
        target = measure.target
        if target is None:
            self.error(Code.BAD_TARGET, f"measure `{measure.name}` has no target, so it can never be achieved",
                       measure.span, "add a line like `target at most 25% below baseline` or `target at least 60%`")
            return measure, baseline, None
        if target.relative is None:
            checked, value = self.number(target.value, share, "target")
            return measure.replace(target=target.replace(value=checked)), baseline, value
        checked = self.expressions.check(target.value, Scopes())
        measure = measure.replace(target=target.replace(value=checked))
        percent = self.fold(checked) if checked.type != ERROR else NOT_CONSTANT
        if not isinstance(percent, Percent):
            self.error(Code.BAD_TARGET, f"`{target.relative} baseline` needs a percentage written out (or a "
                       "parameter holding one), like `25%`", target.value.span)
            return measure, baseline, None
        if measure.baseline is None:
            self.error(Code.BAD_TARGET, f"the target is {target.relative} the baseline, but the measure has none",
                       target.span, "add a line like `baseline 0.58`")
            return measure, baseline, None
        if baseline is None:
            return measure, None, None
        if not self.sensible_stretch(target, percent, baseline):
            return measure, baseline, None
        factor = 1 - percent.fraction if target.relative is tree.Relative.BELOW else 1 + percent.fraction
        return measure, baseline, _plain(baseline * factor)

    def sensible_stretch(self, target: tree.Target, percent: Percent, baseline: Decimal) -> bool:
        """`at most ... below` and `at least ... above`, by less than all of a positive baseline."""
        below = target.relative is tree.Relative.BELOW
        if (target.bound is tree.Bound.AT_MOST) != below:
            right = "at most" if below else "at least"
            self.error(Code.BAD_TARGET, f"`{target.bound} ... {target.relative} baseline` points the wrong way: a "
                       f"target {target.relative} the baseline is met by a value {right} it", target.span,
                       f"write `target {right} {self.ctx.text_of(target.value) or '25%'} {target.relative} baseline`")
            return False
        if baseline <= 0:
            self.error(Code.BAD_TARGET, f"a stretch {target.relative} the baseline needs a baseline above 0, but it "
                       f"is {format_number(baseline)}", target.span, "write the target itself: `target at most 0.4`")
            return False
        if below and percent.fraction >= 1:
            self.error(Code.BAD_TARGET, f"{percent} below the baseline leaves nothing: the target would be 0 or less",
                       target.value.span, "a stretch below the baseline is less than 100%")
            return False
        return True

    def number(self, node, share: bool, what: str) -> tuple:
        """The checked expression, and its exact value in the measure's scale (None after a mistake)."""
        checked = self.expressions.check(node, Scopes())
        value = self.fold(checked) if checked.type != ERROR else NOT_CONSTANT
        if share and isinstance(value, Percent):
            if not 0 <= value.fraction <= 1:
                self.error(Code.BAD_TARGET, f"a share is from 0% to 100%, but the {what} is {value}", node.span)
                return checked, None
            return checked, _plain(value.fraction * HUNDRED)
        if not share and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return checked, Decimal(value)
        if checked.type == ERROR:
            return checked, None
        needs = "a percentage, like `40%`" if share else "a number, like `0.58`"
        self.error(Code.BAD_TARGET, f"the {what} of this measure must be {needs} (written out, or a parameter "
                   f"holding one), but this is {self.expressions.shown(checked)}", node.span,
                   "a share is compared with percentages" if share else None)
        return checked, None
