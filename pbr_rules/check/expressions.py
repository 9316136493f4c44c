"""Check expressions: names, types and units, in words a policy lead uses.

``ExpressionChecker.check(node, scopes)`` returns the checked copy of an expression: every node
carries its ``type`` (``types.T``), and every name what it refers to (``ref``: a ``Symbol`` or an
``EnumValue``). A mistake is reported once, through the checker's ``error``, and gives the type
``ERROR``, which later checks accept silently so that one mistake is not reported many times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING


from .. import tree
from ..errors import Code
from ..visitor import Visitor
from .scope import EnumName, EnumValue, Scopes, Symbol, SymbolKind
from .types import (BOOL, DATE, DURATION, ERROR, MONEY, NUMBER, ORDERED, PERCENT, WINDOW, T, ARITHMETIC,
                    arithmetic_hint, arithmetic_words, compare_hint, of_value)
from ..words import article, did_you_mean

if TYPE_CHECKING:
    from .checker import Checker

BUILTIN_FUNCTIONS = {"earliest_of": "the earliest of the known dates",
                     "latest_of": "the latest of the known dates"}


class ExpressionChecker(Visitor):
    walks = (tree.Expr,)

    def __init__(self, checker: "Checker"):
        self.ctx = checker

    # ---- entry points -----------------------------------------------------------------------
    def check(self, node, scopes: Scopes, expected: T | None = None):
        """The checked copy of ``node``; ``expected`` helps read bare enum values."""
        return self.visit(node, scopes, expected)

    def condition(self, node, scopes: Scopes, what: str):
        checked = self.check(node, scopes)
        if checked.type not in (BOOL, ERROR):
            self.error(Code.TYPE_MISMATCH,
                       f"{what} must be a condition (true or false), but this is {self.shown(checked)}",
                       node.span, "compare it with something, for example `x > 0` or `x is known`")
        return checked

    def error(self, code: Code, message: str, span, hint: str | None = None) -> T:
        return self.ctx.error(code, message, span, hint)

    def shown(self, node) -> str:
        """Its type in words, with the expression as written: "a number (`3`)"."""
        text = self.ctx.text_of(node)
        words = node.type.words()
        return f"{words} (`{text}`)" if text else words

    @staticmethod
    def typed(node, t: T, **changes):
        return node.replace(type=t, **changes)

    def lookup(self, name: str, scopes: Scopes) -> Symbol | None:
        found = scopes.find(name)
        if found is not None:
            return found
        if name == "client":
            return self.ctx.client
        return self.ctx.parameter_symbol(name)

    def visible_names(self, scopes: Scopes) -> list[str]:
        return ["client", *self.ctx.parameter_names(), *self.ctx.definitions, *scopes.names()]

    # ---- values ---------------------------------------------------------------------------
    def visit_Literal(self, node, scopes, expected):
        return self.typed(node, of_value(node.value))

    def visit_Name(self, node, scopes, expected):
        symbol = self.lookup(node.name, scopes)
        if symbol is not None:
            if symbol.kind is SymbolKind.PARAMETER and self.ctx.is_dated(node.name):
                return self.typed(node, self.error(
                    Code.UNDATED_PARAMETER, f"`{node.name}` has different values from different dates: say which date",
                    node.span, f"write `{node.name} as of DATE`, for example `{node.name} as of e.end`"))
            return self.typed(node, symbol.type, ref=symbol)
        definition = self.ctx.definitions.get(node.name)
        if definition is not None:
            if definition.params:
                return self.typed(node, self.error(
                    Code.WRONG_INPUTS, f"`{node.name}` needs its inputs", node.span,
                    f"write `{node.name}({', '.join(p.name for p in definition.params)})`"))
            self.ctx.note_use("definition", node.name)
            t = self.ctx.definition_type(node.name)
            return self.typed(node, t, ref=self.ctx.definition_symbol(node.name))
        expected_enum = self.ctx.enums.get(expected.name) if expected is not None and expected.kind == "enum" else None
        if node.name in self.ctx.resolved.outcomes and not (expected_enum and node.name in expected_enum.values):
            return self.outcome_ref(node, (), scopes)
        return self.enum_value(node, scopes, expected)

    def enum_value(self, node, scopes, expected):
        enums = self.ctx.enums
        if expected is not None and expected.kind == "enum":
            enum = enums.get(expected.name)
            if enum and node.name in enum.values:
                return self.typed(node, expected, ref=EnumValue(expected.name, node.name))
            candidates = list(enum.values) if enum else []
            return self.typed(node, self.error(
                Code.UNKNOWN_ENUM_VALUE, f"`{node.name}` is not a {expected.name} value", node.span,
                did_you_mean(node.name, candidates + self.visible_names(scopes))
                or (f"the {expected.name} values are: " + ", ".join(candidates))))
        owners = [e.name for e in enums.values() if node.name in e.values]
        if len(owners) == 1:
            return self.typed(node, T("enum", owners[0]), ref=EnumValue(owners[0], node.name))
        enum_values = [v for e in enums.values() for v in e.values]
        return self.typed(node, self.error(Code.UNKNOWN_NAME, f"unknown name `{node.name}`", node.span,
                                           scopes.later_hint(node.name)
                                           or did_you_mean(node.name, self.visible_names(scopes) + enum_values)))

    def visit_Attr(self, node, scopes, expected):
        enums = self.ctx.enums
        if isinstance(node.base, tree.Name) and node.base.name in enums and self.lookup(node.base.name, scopes) is None:
            enum = enums[node.base.name]
            base = node.base.replace(ref=EnumName(enum.name))
            if node.name not in enum.values:
                return self.typed(node, self.error(Code.UNKNOWN_ENUM_VALUE, f"`{node.name}` is not a {enum.name} value",
                                                   node.span, did_you_mean(node.name, enum.values)), base=base)
            return self.typed(node, T("enum", enum.name), base=base, ref=EnumValue(enum.name, node.name))
        base = self.check(node.base, scopes)
        return self.typed(node, self.field_type(node, base), base=base)

    def field_type(self, node, base) -> T:
        t = base.type
        if t == ERROR:
            return ERROR
        if t.kind == "record":
            fields = self.ctx.field_types.get(t.name, {})
            if node.name not in fields:
                return self.error(Code.UNKNOWN_FIELD, f"{article(t.name)} {t.name} record has no field `{node.name}`",
                                  node.span, did_you_mean(node.name, fields))
            return fields[node.name]
        if t.kind == "result":
            if node.name == "date":
                return DATE
            return self.error(Code.UNKNOWN_FIELD, f"an outcome's result has no `{node.name}`", node.span,
                              "a result has a `date`: when it was achieved or failed")
        if t.kind == "window":
            if node.name in ("start", "end"):
                return DATE
            return self.error(Code.UNKNOWN_FIELD, f"a time window has no `{node.name}`", node.span,
                              "a window has a `start` and an `end`")
        return self.error(Code.UNKNOWN_FIELD, f"{self.shown(base)} has no fields, so `.{node.name}` means nothing",
                          node.span)

    def visit_Index(self, node, scopes, expected):
        base = self.check(node.base, scopes)
        if base.type == ERROR:
            return self.typed(node, ERROR, base=base)
        if base.type.kind != "map":
            return self.typed(node, self.error(
                Code.TYPE_MISMATCH, f"only a table can be looked up with [...]; this is {self.shown(base)}",
                node.span), base=base)
        key_type = T("enum", base.type.name)
        index = self.check(node.index, scopes, key_type)
        if index.type not in (ERROR, key_type):
            self.error(Code.TYPE_MISMATCH, f"the table is by {base.type.name}, but the key is {self.shown(index)}",
                       node.index.span)
        return self.typed(node, base.type.value, base=base, index=index)

    def visit_Call(self, node, scopes, expected):
        if node.name in BUILTIN_FUNCTIONS:
            return self.builtin_call(node, scopes)
        definition = self.ctx.definitions.get(node.name)
        if definition is None and node.name in self.ctx.resolved.outcomes:
            return self.outcome_ref(node, node.args, scopes)
        if definition is None:
            if self.ctx.parameter_symbol(node.name) is not None:
                return self.typed(node, self.error(
                    Code.WRONG_INPUTS, f"`{node.name}` is a parameter, not a definition with inputs", node.span,
                    f"write `{node.name}` without brackets"))
            return self.typed(node, self.error(
                Code.UNKNOWN_NAME, f"unknown definition `{node.name}`", node.span,
                did_you_mean(node.name, list(self.ctx.definitions) + list(BUILTIN_FUNCTIONS))))
        if len(node.args) != len(definition.params):
            wanted = ", ".join(p.name for p in definition.params) or "no inputs"
            self.error(Code.WRONG_INPUTS, f"`{node.name}` takes {len(definition.params)} input(s) ({wanted}), "
                       f"but {len(node.args)} are given", node.span)
        args = []
        for arg, param_type, param in zip(node.args, self.ctx.input_types(definition), definition.params):
            checked = self.check(arg, scopes, param_type)
            if ERROR not in (param_type, checked.type) and param_type != checked.type:
                self.error(Code.TYPE_MISMATCH, f"input `{param.name}` of `{node.name}` must be {param_type.words()}, "
                           f"but this is {self.shown(checked)}", arg.span)
            args.append(checked)
        args += [self.check(arg, scopes) for arg in node.args[len(definition.params):]]
        self.ctx.note_use("definition", node.name)
        t = self.ctx.definition_type(node.name)
        return self.typed(node, t, args=tuple(args), ref=self.ctx.definition_symbol(node.name))

    def outcome_ref(self, node, args: tuple, scopes):
        """`abstinence(e)`, `hep_b_course`: another outcome's result for a unit or the client."""
        outcome = self.ctx.resolved.outcomes[node.name]
        result = T("result", node.name)
        checked_args = [self.check(arg, scopes) for arg in args]
        unit = checked_args[0] if checked_args else None
        classification = outcome.classification
        if classification is None:
            return tree.OutcomeRef(node.name, unit, span=node.span, type=ERROR)
        self.ctx.note_use("outcome", node.name)
        if outcome.frequency.per_client:
            limit = outcome.frequency.limit
            self.error(Code.BAD_OUTCOME_REFERENCE, f"outcome `{node.name}` is earned at most "
                       f"{'once' if limit == 1 else f'{limit} times'} per client, so its result for one unit depends "
                       "on the others: it cannot be referred to", node.span, "refer to an outcome earned once per unit")
        if classification.unit_type == "client":
            if args:
                self.error(Code.BAD_OUTCOME_REFERENCE, f"outcome `{node.name}` is per client: refer to it without "
                           "brackets", node.span, f"write `{node.name} is achieved`")
            return tree.OutcomeRef(node.name, None, span=node.span, type=result)
        wanted = T("record", classification.unit_type)
        if len(checked_args) != 1:
            self.error(Code.BAD_OUTCOME_REFERENCE, f"outcome `{node.name}` is per {classification.unit_type}: say "
                       f"which one", node.span, f"write `{node.name}({classification.unit_var})` with "
                       f"{article(classification.unit_type)} {classification.unit_type}")
        elif unit.type not in (wanted, ERROR):
            self.error(Code.BAD_OUTCOME_REFERENCE, f"outcome `{node.name}` is per {classification.unit_type}, but "
                       f"this is {self.shown(unit)}", args[0].span)
        return tree.OutcomeRef(node.name, unit, span=node.span, type=result)

    def visit_OutcomeRef(self, node, scopes, expected):
        raise AssertionError("outcome references are made by the checker, never parsed")

    def builtin_call(self, node, scopes):
        if not node.args:
            return self.typed(node, self.error(Code.WRONG_INPUTS, f"`{node.name}` needs at least one date", node.span))
        args = []
        for arg in node.args:
            checked = self.check(arg, scopes)
            if checked.type not in (DATE, ERROR):
                self.error(Code.TYPE_MISMATCH, f"`{node.name}` takes dates, but this is {self.shown(checked)}", arg.span)
            args.append(checked)
        return self.typed(node, DATE, args=tuple(args))

    def visit_ValueAsOf(self, node, scopes, expected):
        symbol = self.ctx.parameter_symbol(node.name)
        if symbol is None:
            return self.typed(node, self.error(
                Code.UNKNOWN_NAME, f"`{node.name} as of ...`: there is no parameter `{node.name}`", node.span,
                did_you_mean(node.name, self.ctx.parameter_names())))
        date = self.check(node.date, scopes)
        if date.type not in (DATE, ERROR):
            self.error(Code.TYPE_MISMATCH, f"`as of` needs a date, but this is {self.shown(date)}", node.date.span)
        return self.typed(node, symbol.type, date=date, ref=symbol)

    def visit_SetLiteral(self, node, scopes, expected):
        if expected is not None and expected.kind == "enum":
            enum = self.ctx.enums[expected.name]
            for item in node.items:
                if item.name not in enum.values:
                    self.error(Code.UNKNOWN_ENUM_VALUE, f"`{item.name}` is not a {enum.name} value", item.span,
                               did_you_mean(item.name, enum.values))
            name = expected.name
        else:
            name = self.ctx.infer_enum([item.name for item in node.items], node.span)
        if name is None:
            return self.typed(node, ERROR)
        values = self.ctx.enums[name].values
        items = tuple(item.replace(type=T("enum", name), ref=EnumValue(name, item.name)) if item.name in values
                      else item.replace(type=ERROR) for item in node.items)
        return self.typed(node, T("set", name), items=items)

    def visit_MapLiteral(self, node, scopes, expected):
        return self.typed(node, self.error(Code.NOT_WRITTEN_OUT, "a table of values can only be a parameter's value",
                                           node.span, "declare it with `parameter NAME = {...}`"))

    # ---- operators --------------------------------------------------------------------------
    def visit_Unary(self, node, scopes, expected):
        if node.op is tree.UnaryOp.NOT:
            return self.typed(node, BOOL, operand=self.condition(node.operand, scopes, "what follows `not`"))
        operand = self.check(node.operand, scopes)
        t = operand.type
        if t not in (NUMBER, DURATION, MONEY, PERCENT, ERROR):
            t = self.error(Code.TYPE_MISMATCH, f"cannot make {self.shown(operand)} negative", node.span)
        return self.typed(node, t, operand=operand)

    def visit_IsTest(self, node, scopes, expected):
        operand = self.check(node.operand, scopes)
        t = operand.type
        if (node.test.status is not None) != (t.kind == "result") and t != ERROR:
            if t.kind == "result":
                self.error(Code.TYPE_MISMATCH, f"`is {node.test}` does not apply to an outcome's result", node.span,
                           "ask `is achieved`, `is not achieved` or `is not applicable`")
            else:
                self.error(Code.TYPE_MISMATCH, f"`is {node.test.words}` needs an outcome's result, like "
                           f"`abstinence(e) is {node.test.words}`, but this is {self.shown(operand)}", node.span)
            return self.typed(node, BOOL, operand=operand)
        if node.test in (tree.Test.TRUE, tree.Test.FALSE) and t not in (BOOL, ERROR):
            self.error(Code.TYPE_MISMATCH, f"`is {node.test}` needs a yes/no value, but this is {self.shown(operand)}",
                       node.span, "use `is known` to ask whether a value is recorded")
        if t.kind in ("list", "set"):
            self.error(Code.TYPE_MISMATCH, "a list is never unknown; to ask whether it is empty write `no x in ...`",
                       node.span)
        return self.typed(node, BOOL, operand=operand)

    def visit_Binary(self, node, scopes, expected):
        op = node.op
        if op.logical:
            left = self.condition(node.left, scopes, f"each side of `{op}`")
            right = self.condition(node.right, scopes, f"each side of `{op}`")
            return self.typed(node, BOOL, left=left, right=right)
        if op is tree.Op.IN:
            return self.membership(node, scopes)
        left = self.check(node.left, scopes)
        right = self.check(node.right, scopes, left.type if left.type.kind == "enum" else None)
        if ERROR in (left.type, right.type):
            t = BOOL if op.comparison else ERROR
        elif op.comparison:
            t = self.comparison(node, left, right)
        else:
            t = self.arithmetic(node, left, right)
        return self.typed(node, t, left=left, right=right)

    def comparison(self, node, left, right) -> T:
        lt, rt = left.type, right.type
        if node.op.ordering and lt == rt and lt.kind not in ORDERED:
            self.error(Code.TYPE_MISMATCH, f"{lt.words()} cannot be ordered with `{node.op}`", node.span,
                       "use = or != to compare these")
        elif lt != rt and (node.op.ordering or not ({lt.kind, rt.kind} <= {"number"})):
            self.error(Code.UNIT_MISMATCH, f"cannot compare {self.shown(left)} with {self.shown(right)}", node.span,
                       self.days_hint(node.op, left, right) or self.number_hint(left, right)
                       or compare_hint(lt, rt))
        return BOOL

    def parameter_hint(self, node) -> str | None:
        """For a parameter of the wrong kind: where it is declared, which is where to fix it."""
        if isinstance(node, tree.Name) and isinstance(node.ref, Symbol) and node.ref.kind is SymbolKind.PARAMETER:
            origin = self.ctx.resolved.origin.get(("parameters", node.name))
            where = "" if origin == self.ctx.resolved.ref else f" of {origin}"
            return (f"`{node.name}` is declared on line {node.ref.value.span.line}{where} as "
                    f"{node.type.words()}: give its value a unit there, like `6 months`")
        return None

    def number_hint(self, left, right) -> str | None:
        """A plain number (a count of days, a field) against a written length like `10 days`."""
        number, length = (left, right) if left.type.kind == "number" else (right, left)
        if length.type.kind != "duration" or number.type.kind != "number":
            return None
        declared = self.parameter_hint(number)
        if declared:
            return declared
        if isinstance(length, tree.Literal) and self.ctx.text_of(number):
            return (f"`{self.ctx.text_of(number)}` is a plain number, not a length of time: compare it with "
                    f"a plain number, without `{str(length.value).split()[-1]}`")
        return None

    def days_hint(self, op, left, right) -> str | None:
        """`d2 - d1 > 6 months`: a number of days against a length of time. The same comparison
        of dates says it: `d2 > d1 + 6 months`."""
        text = self.ctx.text_of
        for days, length, on_left in ((left, right, True), (right, left, False)):
            if (length.type.kind == "duration" and isinstance(days, tree.Binary) and days.op is tree.Op.SUBTRACT
                    and days.left.type.kind == days.right.type.kind == "date"):
                later, earlier, amount = text(days.left), text(days.right), text(length)
                if not (later and earlier and amount):
                    return None
                rewritten = (f"{later} {op} {earlier} + {amount}" if on_left
                             else f"{earlier} + {amount} {op} {later}")
                return f"`{text(days)}` is a number of days; compare the dates instead: `{rewritten}`"
        return None

    def arithmetic(self, node, left, right) -> T:
        result = ARITHMETIC.get((node.op, left.type.kind, right.type.kind))
        if result is not None:
            return result
        verb, preposition, right_first = arithmetic_words(node.op)
        first, second = (right, left) if right_first else (left, right)
        return self.error(Code.UNIT_MISMATCH, f"cannot {verb} {self.shown(first)} {preposition} {self.shown(second)}",
                          node.span, arithmetic_hint(node.op, left.type, right.type, self.ctx.text_of(left),
                                                     self.ctx.text_of(right)))

    def membership(self, node, scopes):
        if isinstance(node.right, tree.SetLiteral):
            left = self.check(node.left, scopes)
            if left.type.kind == "enum":
                return self.typed(node, BOOL, left=left, right=self.check(node.right, scopes, left.type))
            right = self.check(node.right, scopes)
            if ERROR not in (left.type, right.type):
                self.error(Code.TYPE_MISMATCH, "`in {...}` needs an enum value on the left, but this is "
                           f"{self.shown(left)}", node.span)
            return self.typed(node, BOOL, left=left, right=right)
        right = self.check(node.right, scopes)
        rt = right.type
        left = self.check(node.left, scopes, T("enum", rt.name) if rt.kind == "set" else None)
        lt = left.type
        if ERROR not in (lt, rt):
            if rt.kind == "set" and lt != T("enum", rt.name):
                self.error(Code.TYPE_MISMATCH, f"cannot look for {self.shown(left)} in {self.shown(right)}", node.span)
            elif rt.kind == "window" and lt != DATE:
                self.error(Code.TYPE_MISMATCH, f"only a date can be in a time window, but this is {self.shown(left)}",
                           node.span)
            elif rt.kind not in ("set", "window"):
                self.error(Code.TYPE_MISMATCH, "`in` needs a set of values or a time window on the right, but this "
                           f"is {self.shown(right)}", node.span)
        return self.typed(node, BOOL, left=left, right=right)

    # ---- quantifiers ------------------------------------------------------------------------
    def visit_Quantifier(self, node, scopes, expected):
        source = self.check(node.source, scopes)
        element = self.element_type(node, source)
        within = self.within(node, source, scopes) if node.within is not None else None
        binding = Symbol(SymbolKind.VARIABLE, node.var, element)
        condition = None
        if node.condition is not None:
            word = "satisfies" if node.kind is tree.QuantifierKind.EVERY else "where"
            condition = self.condition(node.condition, scopes.inner({node.var: binding}),
                                       f"the condition after `{word}`")
        kind = node.kind
        if kind.is_test:
            t = BOOL
        elif kind is tree.QuantifierKind.COUNT:
            t = NUMBER
        elif kind is tree.QuantifierKind.EACH:
            t = source.type if source.type.kind == "list" else ERROR
        else:
            t = element
        return self.typed(node, t, source=source, within=within, condition=condition, binding=binding)

    def element_type(self, node, source) -> T:
        t = source.type
        if t == ERROR:
            return ERROR
        if t.kind == "list":
            info = self.ctx.records.get(t.name)
            if node.kind in (tree.QuantifierKind.EARLIEST, tree.QuantifierKind.LATEST) and info and info.dated_by is None:
                self.error(Code.UNDATED_RECORDS, f"`{node.kind}` needs records with a date: `{t.name}` has no "
                           "`dated by`", node.span)
            if node.within is not None and info and info.dated_by is None:
                self.error(Code.UNDATED_RECORDS, f"`within` needs records with a date: `{t.name}` has no `dated by`",
                           node.span)
            return T("record", t.name)
        if t.kind == "set" and node.kind in (tree.QuantifierKind.SOME, tree.QuantifierKind.NO,
                                             tree.QuantifierKind.EVERY, tree.QuantifierKind.COUNT):
            return T("enum", t.name)
        if t.kind == "set":
            return self.error(Code.TYPE_MISMATCH, f"`{node.kind}` needs a list of records; a set of values has no order",
                              node.source.span)
        return self.error(Code.TYPE_MISMATCH, f"`{node.kind} {node.var} in ...` needs a list of records or a set of "
                          f"values, but this is {self.shown(source)}", node.source.span)

    def within(self, node, source, scopes):
        name = node.within
        window = self.lookup(name.name, scopes)
        if window is None or window.type != WINDOW:
            self.error(Code.BAD_WINDOW, f"`within {name.name}`: `{name.name}` is not a time window", name.span,
                       scopes.later_hint(name.name) or did_you_mean(name.name, scopes.windows())
                       or "declare one with `window NAME = after DATE for LENGTH`")
            checked = self.typed(name, ERROR)
        else:
            checked = self.typed(name, WINDOW, ref=window)
        if source.type.kind == "set":
            self.error(Code.BAD_WINDOW, "`within` applies to lists of dated records, not to sets of values", name.span)
        return checked
