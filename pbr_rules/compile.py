"""Compile a checked ruleset to Python: one function per definition and per outcome.

Like Jinja's code generator, this emits Python source and keeps a map from each generated line
back to the ruleset line it came from, so that a failure names the rule. No text from the
ruleset is ever put into the code: every value (literals, enum values, reason texts, parameter
values) is passed in the constants tuple ``K``, and identifiers are mangled (``v_`` for names
bound in rules, ``d_`` for definitions, ``o_`` for outcomes) after the grammar has limited them
to letters, digits and underscores.

Truth values are True/False/None (unknown); ``and``/``or``/``not`` follow Kleene's logic, written
inline with assignment expressions so that nothing is evaluated twice and short-circuits hold.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Callable

import attrs

from . import ast, runtime
from .check import CheckedRuleset, EnumValue, Symbol, T
from .dates import add_duration, subtract_duration
from .errors import InternalError, Span

NO_RULE_APPLIED = "No rule of this outcome has decided it yet."


@attrs.frozen(slots=True)
class CompiledOutcome:
    name: str
    title: str
    list_field: str | None        # the client list holding its units; None: one unit, the client
    frequency: tuple
    function: Callable
    span: Span


@attrs.define(slots=True)
class CompiledRuleset:
    ref: str
    outcomes: list
    source: str                    # the generated Python, for reading and debugging
    line_spans: list               # generated line number - 1 -> Span of the rule it came from
    filename: str
    traced: bool

    def span_of_line(self, lineno: int) -> Span | None:
        if 0 < lineno <= len(self.line_spans):
            return self.line_spans[lineno - 1]
        return None


def compile_ruleset(checked: CheckedRuleset, trace: bool = False) -> CompiledRuleset:
    generator = _Generator(checked, trace)
    generator.generate()
    source = "\n".join(generator.lines) + "\n"
    filename = f"<pbr {checked.ref}{' traced' if trace else ''}>"
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:  # the generator produced bad Python: our bug, not the user's
        raise InternalError(f"generated code does not compile: {error.msg} at line {error.lineno}",
                            hint=str(generator.line_spans[(error.lineno or 1) - 1])) from None
    namespace = {"K": tuple(generator.constants), "_rt": runtime, "__builtins__": __builtins__,
                 # short names for the hottest helpers
                 "_rt_field": runtime.field, "_rt_add_duration": add_duration,
                 "_rt_subtract_duration": subtract_duration}
    exec(code, namespace)
    outcomes = []
    for outcome in checked.resolved.outcomes.values():
        outcomes.append(CompiledOutcome(outcome.name, outcome.title, checked.unit_lists.get(outcome.name),
                                        outcome.frequency, namespace[f"o_{outcome.name}"], outcome.span))
    return CompiledRuleset(checked.ref, outcomes, source, generator.line_spans, filename, trace)


class _Generator:
    def __init__(self, checked: CheckedRuleset, trace: bool):
        self.c = checked
        self.trace = trace
        self.lines: list[str] = []
        self.line_spans: list = []
        self.constants: list = []
        self._constant_index: dict = {}
        self._temps = itertools.count(1)
        self.span: Span | None = None

    # ---- output -----------------------------------------------------------------------------
    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)
        self.line_spans.append(self.span)

    def const(self, value) -> str:
        key = (type(value), value) if _hashable(value) else None
        if key is not None and key in self._constant_index:
            return f"K[{self._constant_index[key]}]"
        self.constants.append(value)
        index = len(self.constants) - 1
        if key is not None:
            self._constant_index[key] = index
        return f"K[{index}]"

    def temp(self) -> str:
        return f"_t{next(self._temps)}"

    def type_of(self, node) -> T:
        return self.c.types.get(id(node))

    # ---- structure --------------------------------------------------------------------------
    def generate(self) -> None:
        self.emit(0, f"# generated from {self.c.ref}: read-only; see the ruleset for the rules")
        for definition in self.c.resolved.definitions.values():
            self.span = definition.span
            params = "".join(f", v_{p.name}" for p in definition.params)
            self.emit(0, f"def d_{definition.name}(client, as_of{params}):")
            self.emit(1, f"return {self.ex(definition.body)}")
            self.emit(0, "")
        for outcome in self.c.resolved.outcomes.values():
            self.outcome(outcome)

    def outcome(self, outcome: ast.Outcome) -> None:
        self.span = outcome.span
        unit = f", v_{outcome.unit_var}" if outcome.unit_var and outcome.unit_type != "client" else ", _unit"
        extra = ", _trace" if self.trace else ""
        self.emit(0, f"def o_{outcome.name}(client, as_of{unit}{extra}):")
        has_notes = any(isinstance(s, ast.WindowStmt) and s.restart for s in outcome.statements)
        if has_notes:
            self.emit(1, "_notes = []")
        notes = "_notes + " if has_notes else ""
        finished = False
        for statement in outcome.statements:
            self.span = statement.span
            line = statement.span.line
            if isinstance(statement, ast.Let):
                self.emit(1, f"v_{statement.name} = {self.ex(statement.expr)}")
                if self.trace:
                    self.emit(1, f"_trace.append(({line}, 'let', {self.const(statement.name)}, v_{statement.name}))")
            elif isinstance(statement, ast.WindowStmt):
                self.window(statement, line)
            else:
                finished = self.rule(statement, notes, line) or finished
        if not finished:
            self.span = outcome.span
            self.emit(1, f"return ('pending', None, None, {notes}[{self.const(NO_RULE_APPLIED)}])")
        self.emit(0, "")

    def window(self, statement: ast.WindowStmt, line: int) -> None:
        exclusive = "True" if statement.start_kind == "after" else "False"
        anchor = self.ex(statement.anchor)
        length = self.ex(statement.length) if statement.length is not None else "None"
        until = self.ex(statement.until) if statement.until is not None else "None"
        name = f"v_{statement.name}"
        restart = statement.restart
        if restart is None:
            self.emit(1, f"{name} = _rt.make_window({exclusive}, {anchor}, {length}, {until})")
        else:
            source_type = self.type_of(restart.source)
            record = self.c.records[source_type.name]
            accept = "None"
            if restart.condition is not None:
                accept = f"(lambda v_{restart.var}: {self.ex(restart.condition)})"
            self.emit(1, f"{name} = _rt.restarting_window({exclusive}, {anchor}, {length}, "
                         f"{self.ex(restart.source, iterable=True)}, {self.const(record.dated_by)}, {accept}, "
                         f"{self.ex(restart.max_times)}, {self.const(record.name)})")
            self.emit(1, f"_notes.extend(_rt.restart_notes({name}))")
        if self.trace:
            self.emit(1, f"_trace.append(({line}, 'window', {self.const(statement.name)}, {name}))")

    def rule(self, rule: ast.Rule, notes: str, line: int) -> bool:
        reasons = "[" + ", ".join(self.template(t) for t in rule.reasons) + "]"
        status = {"not_applicable": "not_applicable", "achieved": "achieved",
                  "not_achieved": "not_achieved", "pending": "pending",
                  "otherwise_pending": "pending"}[rule.kind]
        if rule.kind == "otherwise_pending":
            due = self.ex(rule.at) if rule.at is not None else "None"
            if self.trace:
                self.emit(1, f"_trace.append(({line}, 'rule', {self.const(rule.kind)}, True))")
            self.emit(1, f"return ('pending', None, {due}, {notes}{reasons})")
            return True
        condition = self.ex(rule.when)
        if self.trace:
            self.emit(1, f"_c = {condition}")
            self.emit(1, f"_trace.append(({line}, 'rule', {self.const(rule.kind)}, _c))")
            condition = "_c"
        self.emit(1, f"if ({condition}) is True:")
        if rule.kind in ("achieved", "not_achieved"):
            self.emit(2, f"_at = {self.ex(rule.at)}")
            self.emit(2, "if _at is not None:")
            self.emit(3, f"return ({self.const(status)}, _at, None, {notes}{reasons})")
        elif rule.kind == "pending":
            due = self.ex(rule.at) if rule.at is not None else "None"
            self.emit(2, f"return ('pending', None, {due}, {notes}{reasons})")
        else:
            self.emit(2, f"return ('not_applicable', None, None, {notes}{reasons})")
        return False

    def template(self, template: ast.Template) -> str:
        parts = []
        for part in template.parts:
            if isinstance(part, str):
                parts.append(self.const(part))
            else:
                kind = self.type_of(part).kind
                show = {"money": "_rt.show_money", "percent": "_rt.show_percent"}.get(kind, "_rt.show")
                parts.append(f"{show}({self.ex(part)})")
        if len(parts) == 1:
            return parts[0] if isinstance(template.parts[0], str) else parts[0]
        return "''.join((" + ", ".join(parts) + ",))"

    # ---- expressions ------------------------------------------------------------------------
    def ex(self, node, iterable: bool = False) -> str:
        return getattr(self, "g_" + type(node).__name__)(node, iterable)

    def nonnull(self, node) -> bool:
        """Is this expression never unknown? (Saves the None checks.)"""
        if isinstance(node, (ast.Literal, ast.SetLiteral, ast.IsTest)):
            return True
        if isinstance(node, ast.Attr) and self.c.refs.get(id(node)) is None:
            base_type = self.type_of(node.base)
            if base_type.kind == "record" and self.nonnull(node.base):
                record = self.c.records[base_type.name]
                field = record.fields[node.name]
                # a required field is always there, unless the as-of view may hide it (a later date)
                hideable = (field.type.kind == "date" and node.name != record.dated_by) or field.known_from
                return not field.optional and not hideable
            return False
        if isinstance(node, (ast.Name, ast.Attr)):
            ref = self.c.refs.get(id(node))
            if isinstance(ref, EnumValue):
                return True
            if isinstance(ref, Symbol) and ref.kind in ("client", "unit", "var", "parameter", "window"):
                return ref.kind != "var" or not isinstance(ref.decl, ast.Param)
        if isinstance(node, ast.Quantifier) and node.kind == "count":
            return True
        return False

    def g_Literal(self, node, iterable):
        value = node.value
        if isinstance(value, bool):
            return "True" if value else "False"
        return self.const(_runtime_value(value))

    def g_Name(self, node, iterable):
        ref = self.c.refs.get(id(node))
        if isinstance(ref, EnumValue):
            return self.const(ref.value)
        if ref is None or ref.kind == "definition":
            return f"d_{node.name}(client, as_of)"
        if ref.kind == "client":
            return "client"
        if ref.kind == "parameter":
            return self.const(_runtime_value(self.c.parameter_values[node.name][-1][1]))
        return f"v_{node.name}"

    def g_Attr(self, node, iterable):
        ref = self.c.refs.get(id(node))
        if isinstance(ref, EnumValue):
            return self.const(ref.value)
        base_type = self.type_of(node.base)
        base = self.ex(node.base, iterable)
        if base_type.kind == "window":
            return f"{base}.{'start' if node.name == 'start' else 'end'}"
        key = repr(node.name)
        if self.nonnull(node.base):
            return f"{base}[{key}]"
        if iterable:
            return f"_rt_field({base}, {key})"
        t = self.temp()
        return f"(None if ({t} := {base}) is None else {t}[{key}])"

    def g_Index(self, node, iterable):
        base, key = self.ex(node.base, iterable), self.ex(node.index, iterable)
        if self.nonnull(node.base) and self.nonnull(node.index):
            return f"{base}.get({key}, 0)"
        a, b = self.temp(), self.temp()
        return f"(None if ({a} := {base}) is None or ({b} := {key}) is None else {a}.get({b}, 0))"

    def g_Call(self, node, iterable):
        args = ", ".join(self.ex(a, iterable) for a in node.args)
        if node.name in ("earliest_of", "latest_of"):
            return f"_rt.{node.name}({args})"
        return f"d_{node.name}(client, as_of{', ' if args else ''}{args})"

    def g_ValueAsOf(self, node, iterable):
        values = tuple((start, _runtime_value(v)) for start, v in self.c.parameter_values[node.name])
        return f"_rt.value_as_of({self.const(values)}, {self.ex(node.date, iterable)})"

    def g_SetLiteral(self, node, iterable):
        return self.const(frozenset(item.name for item in node.items))

    def g_Unary(self, node, iterable):
        operand = self.ex(node.operand, iterable)
        if node.op == "not":
            if self.nonnull(node.operand):
                return f"(not {operand})"
            t = self.temp()
            return f"(None if ({t} := {operand}) is None else not {t})"
        if self.type_of(node) == T("duration"):
            return f"_rt.scale_length({operand}, -1)"
        t = self.temp()
        return f"(None if ({t} := {operand}) is None else -{t})"

    def g_IsTest(self, node, iterable):
        operand = self.ex(node.operand, iterable)
        return {"known": f"({operand} is not None)", "unknown": f"({operand} is None)",
                "true": f"({operand} is True)", "false": f"({operand} is False)"}[node.test]

    def g_Binary(self, node, iterable):
        op = node.op
        left, right = self.ex(node.left, iterable), self.ex(node.right, iterable)
        a, b = self.temp(), self.temp()
        if op == "and":
            return (f"(False if ({a} := {left}) is False else (False if ({b} := {right}) is False else "
                    f"(True if {a} is True and {b} is True else None)))")
        if op == "or":
            return (f"(True if ({a} := {left}) is True else (True if ({b} := {right}) is True else "
                    f"(False if {a} is False and {b} is False else None)))")
        left_type, right_type = self.type_of(node.left), self.type_of(node.right)
        if op == "in" and right_type.kind == "window":
            return (f"(None if ({a} := {left}) is None or ({b} := {right}).start is None or {b}.end is None "
                    f"else {b}.start <= {a} <= {b}.end)")
        python_op = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "in": "in",
                     "+": "+", "-": "-", "*": "*"}.get(op)
        kinds = (left_type.kind, right_type.kind)
        if op in "+-" and "duration" in kinds:
            if kinds == ("date", "duration"):
                fn = "add_duration" if op == "+" else "subtract_duration"
                return f"_rt_{fn}({left}, {right})"
            if kinds == ("duration", "date"):
                return f"_rt_add_duration({right}, {left})"
            return f"_rt.add_lengths({left}, {right}, {1 if op == '+' else -1})"
        if op == "*" and "duration" in kinds:
            length, factor = (left, right) if kinds[0] == "duration" else (right, left)
            return f"_rt.scale_length({length}, {factor})"
        if op == "-" and kinds == ("date", "date"):
            return f"_rt.days_between({left}, {right})"
        if op == "/":
            return f"_rt.divide({left}, {right})"
        if self.nonnull(node.left) and self.nonnull(node.right):
            return f"({left} {python_op} {right})"
        if self.nonnull(node.left):
            return f"(None if ({b} := {right}) is None else {left} {python_op} {b})"
        if self.nonnull(node.right):
            return f"(None if ({a} := {left}) is None else {a} {python_op} {right})"
        return f"(None if ({a} := {left}) is None or ({b} := {right}) is None else {a} {python_op} {b})"

    def g_Quantifier(self, node, iterable):
        var = f"v_{node.var}"
        source_type = self.type_of(node.source)
        source = self.ex(node.source, iterable=True)
        if not self.nonnull(node.source):
            source = f"({source} or ())"
        closed = None
        if node.within is not None:
            record = self.c.records[source_type.name]
            window = f"v_{node.within.name}"
            lag = self.c.parameter_values.get(record.lagging_by) if record.lagging_by else None
            lag_value = self.const(_runtime_value(lag[-1][1])) if lag else "None"
            source = f"_rt.in_window({source}, {self.const(record.dated_by)}, {window})"
            closed = f"_rt.closed({window}, {lag_value}, as_of)"
        condition = self.ex(node.condition) if node.condition is not None else "True"
        kind = node.kind
        if kind in ("some", "no"):
            values = f"({condition} for {var} in {source})"
            if closed:
                found = f"_rt.some_within({values}, {closed})"
            elif node.condition is None:
                found = f"(len({source}) > 0)"
            else:
                found = f"_rt.some({values})"
            if kind == "some":
                return found
            t = self.temp()
            return f"(None if ({t} := {found}) is None else not {t})"
        if kind == "every":
            values = f"({condition} for {var} in {source})"
            return f"_rt.every_within({values}, {closed})" if closed else f"_rt.every({values})"
        test = "" if node.condition is None else f" if ({condition}) is True"
        if kind == "count":
            return f"sum(1 for {var} in {source}{test})"
        if kind == "latest":
            source = f"reversed({source})"
        return f"next(({var} for {var} in {source}{test}), None)"


def _runtime_value(value):
    """Values as the evaluator uses them: money and percentages as Decimal."""
    if isinstance(value, ast.Money):
        return value.amount
    if isinstance(value, ast.Percent):
        return value.fraction
    if isinstance(value, dict):
        return {k: _runtime_value(v) for k, v in value.items()}
    return value


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
