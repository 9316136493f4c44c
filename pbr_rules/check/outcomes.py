"""Check outcomes: classification and unit, each line in order, and that rules can decide it.

An outcome's lines run in order and bind names as they go (`let`, `window`); the first rule
whose condition is true decides. So an outcome must have an `achieved` rule, and a last rule
that decides every case left (`otherwise pending`, or a rule whose condition is always true);
otherwise it could stay pending for ever without anyone having said so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


from .. import tree
from ..errors import Code
from ..visitor import Visitor
from ..words import did_you_mean
from .constants import ConstantFolder
from .scope import Scopes, Symbol, SymbolKind
from .types import DATE, DURATION, ERROR, NUMBER, WINDOW, T

if TYPE_CHECKING:
    from .checker import Checker


class OutcomeChecker(Visitor):
    walks = (tree.Statement,)

    def __init__(self, checker: "Checker"):
        self.ctx = checker
        self.expressions = checker.expressions
        self.folder = ConstantFolder()

    def error(self, code: Code, message: str, span, hint: str | None = None) -> T:
        return self.ctx.error(code, message, span, hint)

    def shown(self, node) -> str:
        return self.expressions.shown(node)

    def check(self, outcome: tree.Outcome) -> tuple:
        """The checked outcome, and the client list holding its units (None: one unit, the client)."""
        scope: dict = {}
        unit_list, unit = self.classification(outcome)
        if unit is not None:
            scope[unit.name] = unit
        named = {s.name: s.span.line for s in outcome.statements if isinstance(s, (tree.Let, tree.WindowStmt))}
        scopes = Scopes(named_later=named).inner(scope)
        statements = []
        decided = None
        for statement in outcome.statements:
            if decided is not None:
                self.error(Code.UNREACHABLE_RULE, "this can never apply: the `otherwise pending` above already "
                           "decides every case left", statement.span, f"move it above line {decided.span.line}")
                decided = None  # report once
            statements.append(self.visit(statement, scopes))
            if isinstance(statement, tree.Rule) and statement.kind is tree.RuleKind.OTHERWISE_PENDING:
                decided = statement
        self.check_decidable(outcome, statements)
        return outcome.replace(statements=tuple(statements), unit_binding=unit), unit_list

    def classification(self, outcome: tree.Outcome) -> tuple:
        classification = outcome.classification
        if classification is None:
            self.error(Code.MISSING_CLASSIFICATION, f"outcome `{outcome.name}` does not say its domain, stage and "
                       "unit", outcome.span, "add a line like `domain drugs, final, per episode e` or "
                       "`domain health, final, per client`")
            return None, None
        domains = self.ctx.resolved.domains
        if classification.domain not in domains:
            self.error(Code.UNKNOWN_DOMAIN, f"there is no domain `{classification.domain}`",
                       classification.domain_span, did_you_mean(classification.domain, domains)
                       or (f"the domains are: {', '.join(domains)}" if domains
                           else 'declare the domains with `domains NAME "title", ...`'))
        if classification.unit_type == "client":
            if outcome.frequency.per_client:
                self.error(Code.BAD_UNIT, "`earned ... per client` only matters for outcomes counted per record",
                           outcome.span, "an outcome per client is already earned at most once")
            return None, None
        return self.unit_list(outcome.unit_type, outcome.unit_var, outcome.span), Symbol(
            SymbolKind.UNIT, classification.unit_var, T("record", classification.unit_type))

    def unit_list(self, record: str, unit_var: str, span) -> str | None:
        """The client list that holds the units of `per RECORD VAR` (an outcome's or a fee's)."""
        lists = self.ctx.record_checker.lists_by_record.get(record, [])
        if record not in self.ctx.records:
            self.error(Code.BAD_UNIT, f"`per {record} {unit_var}`: there is no record `{record}`",
                       span, did_you_mean(record, self.ctx.records))
        elif len(lists) != 1:
            self.error(Code.BAD_UNIT, f"`per {record}`: the client record must have exactly one list of {record} "
                       f"records (it has {len(lists)})", span)
        elif "id" not in self.ctx.records[record].fields:
            self.error(Code.BAD_UNIT, f"`per {record}`: a {record} record needs an `id` field to name the unit",
                       span, f"add `id: text` to `record {record}`")
        return lists[0] if len(lists) == 1 else None

    def check_decidable(self, outcome: tree.Outcome, statements: list) -> None:
        rules = [s for s in statements if isinstance(s, tree.Rule)]
        if not rules:
            self.error(Code.UNDECIDED_OUTCOME, f"outcome `{outcome.name}` has no rules, so nothing can ever decide "
                       "it", outcome.span, 'add rules such as `achieved at DATE when CONDITION because "..."`, '
                       'and end with `otherwise pending because "..."`')
            return
        if not any(rule.kind is tree.RuleKind.ACHIEVED for rule in rules):
            self.error(Code.NEVER_ACHIEVED, f"outcome `{outcome.name}` has no `achieved` rule, so it can never be "
                       "achieved", outcome.span, 'add `achieved at DATE when CONDITION because "..."`')
        if not any(self.decides_the_rest(rule) for rule in rules):
            self.error(Code.UNDECIDED_OUTCOME, f"outcome `{outcome.name}` can be left undecided: when none of its "
                       "rules applies, nothing says what happens", outcome.span,
                       'end it with `otherwise pending because "..."`, or `otherwise pending until DATE because '
                       '"..."` to say when it will be decided')

    def decides_the_rest(self, rule: tree.Rule) -> bool:
        return rule.kind is tree.RuleKind.OTHERWISE_PENDING or self.folder.fold(rule.when) is True

    # ---- statements ---------------------------------------------------------------------------
    def bind(self, scopes: Scopes, symbol: Symbol, span) -> None:
        existing = scopes.find(symbol.name)
        if existing is not None and existing.kind.outcome_local:
            self.error(Code.DUPLICATE_NAME, f"`{symbol.name}` is already named in this outcome", span,
                       "choose another name")
        scopes.bind(symbol)

    def visit_Let(self, let: tree.Let, scopes: Scopes):
        expr = self.expressions.check(let.expr, scopes)
        symbol = Symbol(SymbolKind.LET, let.name, expr.type, expr)
        self.bind(scopes, symbol, let.span)
        scopes.named_later.pop(let.name, None)
        return let.replace(expr=expr, binding=symbol)

    def visit_WindowStmt(self, window: tree.WindowStmt, scopes: Scopes):
        anchor = self.expressions.check(window.anchor, scopes)
        if anchor.type not in (DATE, ERROR):
            self.error(Code.TYPE_MISMATCH, f"a window starts from a date, but this is {self.shown(anchor)}",
                       window.anchor.span)
        length = until = None
        if window.length is not None:
            length = self.expressions.check(window.length, scopes)
            if length.type not in (DURATION, ERROR):
                self.error(Code.TYPE_MISMATCH, "a window's length must be a length of time, like `12 months`, but "
                           f"this is {self.shown(length)}", window.length.span,
                           self.expressions.parameter_hint(length))
        else:
            until = self.expressions.check(window.until, scopes)
            if until.type not in (DATE, ERROR):
                self.error(Code.TYPE_MISMATCH, f"`until` needs a date, but this is {self.shown(until)}",
                           window.until.span)
        restart = self.restart(window, scopes) if window.restart is not None else None
        symbol = Symbol(SymbolKind.WINDOW, window.name, WINDOW)
        self.bind(scopes, symbol, window.span)
        scopes.named_later.pop(window.name, None)
        return window.replace(anchor=anchor, length=length, until=until, restart=restart, binding=symbol)

    def restart(self, window: tree.WindowStmt, scopes: Scopes) -> tree.Restart:
        restart = window.restart
        if window.length is None:
            self.error(Code.BAD_WINDOW, "a window that restarts needs a length (`for 6 months`), not an end date",
                       restart.span)
        source = self.expressions.check(restart.source, scopes)
        t = source.type
        if t != ERROR and (t.kind != "list" or self.ctx.records[t.name].dated_by is None):
            self.error(Code.BAD_WINDOW, f"a window restarts after dated records, but this is {self.shown(source)}",
                       restart.source.span)
        binding = Symbol(SymbolKind.VARIABLE, restart.var, T("record", t.name) if t.kind == "list" else ERROR)
        condition = None
        if restart.condition is not None:
            condition = self.expressions.condition(restart.condition, scopes.inner({restart.var: binding}),
                                                   "the condition after `where`")
        times = self.expressions.check(restart.max_times, scopes)
        if times.type not in (NUMBER, ERROR):
            self.error(Code.TYPE_MISMATCH, f"`at most ... times` needs a number, but this is {self.shown(times)}",
                       restart.max_times.span)
        return restart.replace(source=source, condition=condition, max_times=times, binding=binding)

    def visit_Rule(self, rule: tree.Rule, scopes: Scopes):
        when = at = None
        if rule.when is not None:
            when = self.expressions.condition(rule.when, scopes, "a rule's `when`")
        if rule.at is not None:
            at = self.expressions.check(rule.at, scopes)
            if at.type not in (DATE, ERROR):
                word = "until" if rule.kind in (tree.RuleKind.PENDING, tree.RuleKind.OTHERWISE_PENDING) else "at"
                self.error(Code.TYPE_MISMATCH, f"`{word}` needs a date, but this is {self.shown(at)}", rule.at.span,
                           "a length of time must be added to a date, like `e.end + 12 months`"
                           if at.type == DURATION else None)
        reasons = tuple(self.reason(template, scopes) for template in rule.reasons)
        return rule.replace(when=when, at=at, reasons=reasons)

    def reason(self, template: tree.Template, scopes: Scopes) -> tree.Template:
        parts = []
        for part in template.parts:
            if not isinstance(part, str):
                part = self.expressions.check(part, scopes)
                if part.type.kind == "list":
                    self.error(Code.BAD_REASON, f"a reason cannot show {self.shown(part)}", part.span,
                               "show one record's field instead")
            parts.append(part)
        return template.replace(parts=tuple(parts))
