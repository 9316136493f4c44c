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

import contextlib
import itertools
from typing import Callable

import attrs

from . import ast, runtime
from .check import CheckedRuleset, EnumValue, Symbol, T
from .dates import add_duration, add_months, subtract_duration
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
    evaluate_all: Callable | None = None  # (client view, as_of, cap) -> [result rows]

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
                 "_rt_field": runtime.field, "_rt_add_duration": add_duration, "_rt_add_months": add_months,
                 "_rt_subtract_duration": subtract_duration}
    exec(code, namespace)
    outcomes = []
    for outcome in checked.resolved.outcomes.values():
        outcomes.append(CompiledOutcome(outcome.name, outcome.title, checked.unit_lists.get(outcome.name),
                                        outcome.frequency, namespace[f"o_{outcome.name}"], outcome.span))
    return CompiledRuleset(checked.ref, outcomes, source, generator.line_spans, filename, trace,
                           namespace.get("evaluate_all"))


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
        # inlining: each frame maps a definition's parameter names to (code, never_unknown)
        self.inline_frames: list[dict] = []
        self._frame_ids = itertools.count(1)
        self.quantifier_names: dict = {}  # id(Quantifier) -> the Python name of its variable
        # flow typing: code of paths known not to be unknown here (`x is known and ...`)
        self.known_paths: list[str] = []
        self.outcome_facts: set = set()  # paths known in the rest of the outcome being generated

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
            self.outcome_facts = set()
            self.emit(0, f"def d_{definition.name}(client, as_of{params}):")
            self.emit(1, f"return {self.ex(definition.body)}")
            self.emit(0, "")
        for outcome in self.c.resolved.outcomes.values():
            self.outcome(outcome)
        if not self.trace:
            self.evaluate_all()

    def evaluate_all(self) -> None:
        """One function that evaluates every outcome for one client, building the results."""
        self.span = None
        self.emit(0, "def evaluate_all(client, as_of, cap):")
        self.emit(1, "out = []")
        self.emit(1, "append = out.append")
        for outcome in self.c.resolved.outcomes.values():
            name = self.const(outcome.name)
            function = f"o_{outcome.name}"
            list_field = self.c.unit_lists.get(outcome.name)
            if list_field is None:
                self.emit(1, f"s = {function}(client, as_of, client)")
                self.emit(1, f"append(({name}, client['id'], s[0], s[1], s[2], None, s[3]))")
                continue
            capped = outcome.frequency[0] == "client"
            if capped:
                self.emit(1, "part = []")
            target = "part.append" if capped else "append"
            self.emit(1, f"for unit in client[{list_field!r}]:")
            self.emit(2, f"s = {function}(client, as_of, unit)")
            self.emit(2, f"{target}(({name}, unit['id'], s[0], s[1], s[2], None, s[3]))")
            if capped:
                self.emit(1, f"out.extend(cap(part, {int(outcome.frequency[1])}))")
        self.emit(1, "return out")

    def outcome(self, outcome: ast.Outcome) -> None:
        self.span = outcome.span
        unit = f", v_{outcome.unit_var}" if outcome.unit_var and outcome.unit_type != "client" else ", _unit"
        extra = ", _trace" if self.trace else ""
        self.emit(0, f"def o_{outcome.name}(client, as_of{unit}{extra}):")
        self.outcome_facts = set()
        has_notes = any(isinstance(s, ast.WindowStmt) and s.restart for s in outcome.statements)
        if has_notes:
            self.emit(1, "_notes = ()")
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
            self.emit(1, f"return ('pending', None, None, {notes}({self.const(NO_RULE_APPLIED)},))")
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
            self.emit(1, f"_notes = _rt.restart_notes({name})")
        if self.trace:
            self.emit(1, f"_trace.append(({line}, 'window', {self.const(statement.name)}, {name}))")

    def reasons(self, rule: ast.Rule) -> str:
        return "(" + "".join(self.template(t) + ", " for t in rule.reasons) + ")"

    def rule(self, rule: ast.Rule, notes: str, line: int) -> bool:
        """Emit one rule; True if it ends the outcome (`otherwise pending`)."""
        if rule.kind == "otherwise_pending":
            due = self.ex(rule.at) if rule.at is not None else "None"
            if self.trace:
                self.emit(1, f"_trace.append(({line}, 'rule', {self.const(rule.kind)}, True))")
            self.emit(1, f"return ('pending', None, {due}, {notes}{self.reasons(rule)})")
            return True
        condition = self.ex(rule.when)
        # the date and the reasons are computed only once the condition holds: what it tells holds there
        with self.knowing(self.facts(rule.when, "t")):
            reasons = self.reasons(rule)
            at = self.ex(rule.at) if rule.at is not None else "None"
            at_known = rule.at is not None and self.nonnull(rule.at)
        if self.trace:
            self.emit(1, f"_c = {condition}")
            self.emit(1, f"_trace.append(({line}, 'rule', {self.const(rule.kind)}, _c))")
            condition = "_c"
        certain = rule.when is not None and self.nonnull(rule.when)
        self.emit(1, f"if {condition}:" if certain and not self.trace else f"if ({condition}) is True:")
        if rule.kind in ("not_applicable", "pending"):
            self.outcome_facts |= self.facts(rule.when, "nt")
        if rule.kind in ("achieved", "not_achieved"):
            self.emit(2, f"_at = {at}")
            depth = 2
            if not at_known:  # a rule whose date is unknown decides nothing
                self.emit(2, "if _at is not None:")
                depth = 3
            self.emit(depth, "if _at <= as_of:")
            self.emit(depth + 1, f"return ({self.const(rule.kind)}, _at, None, {notes}{reasons})")
            # decided on a later day: not known yet, so pending until then
            self.emit(depth, f"return ('pending', None, _at, {notes}{reasons} + (_rt.decided_later(_at),))")
        elif rule.kind == "pending":
            self.emit(2, f"return ('pending', None, {at}, {notes}{reasons})")
        else:
            self.emit(2, f"return ('not_applicable', None, None, {notes}{reasons})")
        return False

    def template(self, template: ast.Template) -> str:
        parts = []
        for part in template.parts:
            if isinstance(part, str):
                parts.append(self.const(part))
            else:
                parts.append(self.shown(part))
        if len(parts) == 1:
            return parts[0]
        return "''.join((" + ", ".join(parts) + ",))"

    def shown(self, node) -> str:
        """Code that formats a value for a reason text, chosen by its type (dates and texts,
        the common cases, inline)."""
        kind = self.type_of(node).kind
        constant = self.constant_value(node)
        if constant is not None:
            shown = {"money": runtime.show_money, "percent": runtime.show_percent}.get(kind, runtime.show)
            return self.const(shown(_runtime_value(constant)))
        code = self.ex(node)
        unknown = self.const("unknown")
        if kind in ("date", "text", "enum"):
            method = ".isoformat()" if kind == "date" else ""
            if self.nonnull(node):
                return f"{code}{method}"
            t = self.temp()
            return f"({unknown} if ({t} := {code}) is None else {t}{method})"
        show = {"money": "_rt.show_money", "percent": "_rt.show_percent"}.get(kind, "_rt.show")
        return f"{show}({code})"

    # ---- expressions ------------------------------------------------------------------------
    def ex(self, node, iterable: bool = False) -> str:
        return getattr(self, "g_" + type(node).__name__)(node, iterable)

    def path_code(self, node) -> str | None:
        """The code of a name or a chain of fields, which identifies the value (see known_paths)."""
        if isinstance(node, ast.Name):
            return self.g_Name(node, False)
        if isinstance(node, ast.Attr) and self.c.refs.get(id(node)) is None:
            base = self.path_code(node.base)
            return None if base is None else f"{base}.{node.name}"
        return None

    def facts(self, condition, when: str) -> set:
        """Paths known not to be unknown when the condition is True ("t"), False ("f"), not
        False ("nf": True or unknown) or not True ("nt"), under Kleene's logic. A path known
        means its prefixes are too: `base.injecting_days` known means `base` is."""
        two_valued = self.nonnull(condition)
        if two_valued and when in ("nf", "nt"):
            when = "t" if when == "nf" else "f"
        if isinstance(condition, ast.IsTest):
            path = self.path_with_prefixes(condition.operand)
            if condition.test == "unknown":
                return path if when == "f" else set()
            return path if when == "t" else set()  # known, true, false
        if isinstance(condition, ast.Unary) and condition.op == "not":
            return self.facts(condition.operand, {"t": "f", "f": "t", "nf": "nt", "nt": "nf"}[when])
        if isinstance(condition, ast.Binary):
            op = condition.op
            if op in ("and", "or"):
                left, right = condition.left, condition.right
                # and: True/not-False need both sides so; or: False/not-True need both sides so
                both = (op == "and" and when in ("t", "nf")) or (op == "or" and when in ("f", "nt"))
                if both:
                    return self.facts(left, when) | self.facts(right, when)
                return self.facts(left, when) & self.facts(right, when)
            if op in ("=", "!=", "<", "<=", ">", ">=") and when in ("t", "f"):
                return self.path_with_prefixes(condition.left) | self.path_with_prefixes(condition.right)
        if isinstance(condition, ast.Call) and condition.name in self.c.resolved.definitions \
                and self.inlinable(condition.args):
            # what an inlined definition's body tells, in the caller's terms
            definition = self.c.resolved.definitions[condition.name]
            self.inline_frames.append(self.frame_for(definition, condition.args))
            try:
                return self.facts(definition.body, when)
            finally:
                self.inline_frames.pop()
        return set()

    def path_with_prefixes(self, node) -> set:
        paths = set()
        while isinstance(node, (ast.Name, ast.Attr)):
            code = self.path_code(node)
            if code is None:
                break
            paths.add(code)
            if isinstance(node, ast.Name):
                break
            node = node.base
        return paths

    @contextlib.contextmanager
    def knowing(self, paths):
        paths = list(paths)
        self.known_paths.extend(paths)
        try:
            yield
        finally:
            del self.known_paths[len(self.known_paths) - len(paths):]

    def nonnull(self, node) -> bool:
        """Is this expression never unknown? Then the None checks and Kleene logic are not
        needed, and plain Python (`and`, `any`, `x["f"]`) says the same thing faster."""
        if isinstance(node, (ast.Literal, ast.SetLiteral, ast.IsTest)):
            return True
        if (self.known_paths or self.outcome_facts) and isinstance(node, (ast.Name, ast.Attr)):
            code = self.path_code(node)
            if code in self.known_paths or code in self.outcome_facts:
                return True
        if isinstance(node, ast.Name):
            substituted = self.substitution(node)
            if substituted is not None:
                return substituted[1]
        if isinstance(node, ast.Binary):
            if node.op == "in" and self.type_of(node.right).kind == "window":
                return False
            if node.op == "/":
                return False
            if node.op in ("and", "or"):
                learned = self.facts(node.left, "nf" if node.op == "and" else "nt")
                with self.knowing(learned):
                    return self.nonnull(node.left) and self.nonnull(node.right)
            return self.nonnull(node.left) and self.nonnull(node.right)
        if isinstance(node, ast.Index):
            return self.nonnull(node.base) and self.nonnull(node.index)  # absent keys count as 0
        if isinstance(node, ast.Unary):
            return node.op == "not" and self.nonnull(node.operand)
        if isinstance(node, ast.Quantifier):
            if node.kind in ("count", "each"):
                return True
            if node.kind in ("some", "no", "every") and node.within is None:
                return node.condition is None or self.nonnull_in_quantifier(node)
            return False
        definition = None
        if isinstance(node, ast.Call) and node.name in self.c.resolved.definitions:
            definition, args = self.c.resolved.definitions[node.name], node.args
        elif isinstance(node, ast.Name) and node.name in self.c.resolved.definitions and (
                getattr(self.c.refs.get(id(node)), "kind", None) == "definition"):
            definition, args = self.c.resolved.definitions[node.name], ()
        if definition is not None:
            if not self.inlinable(args):
                return False
            self.inline_frames.append(self.frame_for(definition, args))
            try:
                return self.nonnull(definition.body)
            finally:
                self.inline_frames.pop()
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
            if isinstance(ref, Symbol) and ref.kind == "let":
                return self.nonnull(ref.decl.expr)
        return False

    def nonnull_in_quantifier(self, node) -> bool:
        # the quantifier's variable is a record or value from the list: never unknown
        return self.nonnull(node.condition)

    def constant_value(self, node):
        """A literal's or an undated parameter's value; None for anything else."""
        if isinstance(node, ast.Literal):
            return node.value
        ref = self.c.refs.get(id(node)) if isinstance(node, ast.Name) else None
        if isinstance(ref, Symbol) and ref.kind == "parameter":
            values = self.c.parameter_values.get(node.name, ())
            if len(values) == 1:
                return values[0][1]
        return None

    def constant_length(self, node):
        """The value of a length of time known when compiling (a literal or an undated parameter)."""
        if isinstance(node, ast.Literal) and isinstance(node.value, ast.Duration):
            return node.value
        ref = self.c.refs.get(id(node)) if isinstance(node, ast.Name) else None
        if isinstance(ref, Symbol) and ref.kind == "parameter":
            values = self.c.parameter_values.get(node.name, ())
            if len(values) == 1 and isinstance(values[0][1], ast.Duration):
                return values[0][1]
        return None

    # ---- inlining definitions ---------------------------------------------------------------
    def substitution(self, node: ast.Name):
        ref = self.c.refs.get(id(node))
        if self.inline_frames and isinstance(ref, Symbol) and ref.kind == "var" and isinstance(ref.decl, ast.Param):
            return self.inline_frames[-1].get(node.name)
        return None

    def inlinable(self, args: tuple) -> bool:
        """Inline a definition when its inputs are plain names: no work is repeated."""
        for arg in args:
            if isinstance(arg, ast.Literal):
                continue
            if not isinstance(arg, ast.Name):
                return False
            ref = self.c.refs.get(id(arg))
            if not (isinstance(ref, Symbol) or isinstance(ref, EnumValue)):
                return False
        return len(self.inline_frames) < 8

    def frame_for(self, definition: ast.Definition, args: tuple) -> dict:
        return {param.name: (self.ex(arg), self.nonnull(arg)) for param, arg in zip(definition.params, args)}

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
            return self.inline_or_call(self.c.resolved.definitions[node.name], ())
        if ref.kind == "client":
            return "client"
        if ref.kind == "parameter":
            return self.const(_runtime_value(self.c.parameter_values[node.name][-1][1]))
        substituted = self.substitution(node)
        if substituted is not None:
            return substituted[0]
        if ref.kind == "var" and isinstance(ref.decl, ast.Quantifier):
            return self.quantifier_names.get(id(ref.decl), f"v_{node.name}")
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
        return self.inline_or_call(self.c.resolved.definitions[node.name], node.args)

    def inline_or_call(self, definition: ast.Definition, args: tuple) -> str:
        if self.inlinable(args):
            self.inline_frames.append(self.frame_for(definition, args))
            try:
                return f"({self.ex(definition.body)})"
            finally:
                self.inline_frames.pop()
        codes = "".join(", " + self.ex(a) for a in args)
        return f"d_{definition.name}(client, as_of{codes})"

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
        left = self.ex(node.left, iterable)
        if op in ("and", "or"):
            # the right side runs only when the left did not decide: what that tells us holds there
            learned = self.facts(node.left, "nf" if op == "and" else "nt")
            with self.knowing(learned):
                right = self.ex(node.right, iterable)
                right_nonnull = self.nonnull(node.right)
        else:
            right = self.ex(node.right, iterable)
        a, b = self.temp(), self.temp()
        if op in ("and", "or") and self.nonnull(node.left):
            if right_nonnull:
                return f"({left} {op} {right})"
            # a certain left side decides or hands over to the right side as it is
            return f"({right} if {left} else False)" if op == "and" else f"(True if {left} else {right})"
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
                length = self.constant_length(node.right)
                if length is not None and self.nonnull(node.left) and op == "+" and not length.days:
                    return f"_rt_add_months({left}, {length.months})"
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
        # every quantifier's variable gets a name of its own: an inlined definition's variable
        # cannot capture a caller's, and a name's code identifies one binding (flow typing)
        var = f"v_{node.var}_{next(self._frame_ids)}"
        self.quantifier_names[id(node)] = var
        source_type = self.type_of(node.source)
        source = self.ex(node.source, iterable=True)
        if not self.nonnull(node.source):
            source = f"({source} or ())"
        plain_source = source
        closed = None
        if node.within is not None:
            record = self.c.records[source_type.name]
            window = f"v_{node.within.name}"
            lag = self.c.parameter_values.get(record.lagging_by) if record.lagging_by else None
            lag_value = self.const(_runtime_value(lag[-1][1])) if lag else "None"
            source = f"_rt.in_window({source}, {self.const(record.dated_by)}, {window})"
            closed = f"_rt.closed({window}, {lag_value}, as_of)"
        condition = self.ex(node.condition) if node.condition is not None else "True"
        certain = node.condition is None or self.nonnull(node.condition)
        kind = node.kind
        if certain and closed is None and kind in ("some", "no", "every"):
            if node.condition is None:
                found = f"(len({source}) > 0)"
                return found if kind == "some" else (f"(not {found})" if kind == "no" else "True")
            generator = f"({condition} for {var} in {source})"
            return {"some": f"any{generator}", "no": f"(not any{generator})", "every": f"all{generator}"}[kind]
        if kind in ("some", "no") and closed and node.condition is None:
            found = f"_rt.any_within({plain_source}, {self.const(record.dated_by)}, {window}, {closed})"
            if kind == "some":
                return found
            t = self.temp()
            return f"(None if ({t} := {found}) is None else not {t})"
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
        test = "" if node.condition is None else (f" if {condition}" if certain else f" if ({condition}) is True")
        if kind == "count":
            return f"sum(1 for {var} in {source}{test})"
        if kind == "each":
            return f"[{var} for {var} in {source}{test}]"
        if kind == "earliest" and closed and node.condition is None:
            return f"_rt.first_within({plain_source}, {self.const(record.dated_by)}, {window})"
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
