"""The code generator: the checked tree to Python, one function per definition and outcome.

Truth values are True/False/None (unknown); `and`/`or`/`not` follow Kleene's logic, written
inline with assignment expressions so that nothing is evaluated twice and short-circuits hold.
Where the analysis (``analyse.UnknownValues``) shows a value is never unknown, plain Python says
the same thing faster. Definitions with simple inputs are inlined.

Each outcome function returns the finished ``OutcomeResult`` of its unit; ``evaluate_all`` runs
every outcome over every unit of a client, in order. The traced variant (for `pbr explain`)
also records each binding and each rule tried, and the record fields each outcome reads.
"""

from __future__ import annotations

from .. import runtime, tree
from ..analyse import Truth, UnknownValues
from ..check import CheckedRuleset
from ..check.constants import NOT_CONSTANT, ConstantFolder
from ..check.scope import EnumValue, SymbolKind
from ..tree import Op, QuantifierKind, RuleKind, Status
from ..values import format_money, format_percent, runtime_value
from ..visitor import Visitor
from .measures import emit_measure_functions
from .writer import CodeWriter

NO_RULE_APPLIED = "No rule of this outcome has decided it yet."
STATUS_NAMES = {Status.ACHIEVED: "_ACHIEVED", Status.NOT_ACHIEVED: "_NOT_ACHIEVED",
                Status.PENDING: "_PENDING", Status.NOT_APPLICABLE: "_NOT_APPLICABLE"}
_PYTHON_OPS = {Op.EQUAL: "==", Op.NOT_EQUAL: "!=", Op.LESS: "<", Op.AT_MOST: "<=", Op.MORE: ">",
               Op.AT_LEAST: ">=", Op.IN: "in", Op.ADD: "+", Op.SUBTRACT: "-", Op.MULTIPLY: "*"}


class Generator(Visitor):
    walks = (tree.Expr, tree.Statement)

    def __init__(self, checked: CheckedRuleset, trace: bool):
        self.c = checked
        self.trace = trace
        self.out = CodeWriter()
        self.analysis = UnknownValues(checked)
        self.folder = ConstantFolder(checked.single_values())
        self.notes = ""          # "_notes + " in an outcome whose window restarts
        self.outcome_name = ""   # the code of the current outcome's name

    # ---- structure --------------------------------------------------------------------------
    def generate(self) -> CodeWriter:
        self.out.emit(0, f"# generated from {self.c.ref}: read-only; see the ruleset for the rules")
        for definition in self.c.definitions.values():
            self.definition(definition)
        for outcome in self.c.outcomes.values():
            self.outcome(outcome)
        self.evaluate_all()
        self.payment_functions()
        emit_measure_functions(self)
        return self.out

    def definition(self, definition: tree.Definition) -> None:
        self.out.span = definition.span
        self.analysis.start()
        params = "".join(", " + self.out.name_of(p.binding, p.name) for p in definition.params)
        self.out.define(f"d_{definition.name}", f"client, as_of{params}")
        self.out.emit(1, f"return {self.ex(definition.body)}")
        self.out.emit(0, "")

    def outcome(self, outcome: tree.Outcome) -> None:
        self.out.span = outcome.span
        if outcome.unit_binding is not None:
            self.out.name_as(outcome.unit_binding, "unit")
        extra = ", _trace" if self.trace else ""
        self.out.define(f"o_{outcome.name}", f"client, as_of, unit{extra}")
        self.analysis.start()
        self.outcome_name = self.out.const(outcome.name)
        restarts = any(isinstance(s, tree.WindowStmt) and s.restart for s in outcome.statements)
        if restarts:
            self.out.emit(1, "_notes = ()")
        self.notes = "_notes + " if restarts else ""
        finished = False
        for statement in outcome.statements:
            self.out.span = statement.span
            finished = self.visit(statement) or finished
        if not finished:
            self.out.span = outcome.span
            self.emit_result(1, Status.PENDING, "None", "None", f"({self.out.const(NO_RULE_APPLIED)},)")
        self.out.emit(0, "")

    def emit_result(self, indent: int, status: Status, date: str, due: str, reasons: str) -> None:
        # tuple.__new__ builds the named row without a Python-level call: the hottest line
        self.out.emit(indent, f"return _new(_R, ({self.outcome_name}, unit['id'], {STATUS_NAMES[status]}, "
                              f"{date}, {due}, None, {self.notes}{reasons}))")

    def evaluate_all(self) -> None:
        """One function that evaluates every outcome for one client, in order."""
        self.out.span = None
        extra = ", _trace" if self.trace else ""
        self.out.define("evaluate_all", f"client, as_of{extra}")
        self.out.emit(1, "out = []")
        self.out.emit(1, "append = out.append")
        for outcome in self.c.outcomes.values():
            function = f"o_{outcome.name}"
            line = outcome.span.line
            if self.trace:
                self.out.emit(1, f"_trace.append(({line}, 'outcome', {self.out.const(outcome.name)}, None))")
            list_field = self.c.unit_lists.get(outcome.name)
            if list_field is None:
                self.out.emit(1, f"append({function}(client, as_of, client{extra}))")
            else:
                self.out.emit(1, f"for unit in client[{list_field!r}]:")
                if self.trace:
                    self.out.emit(2, f"_trace.append(({line}, 'unit', unit['id'], None))")
                self.out.emit(2, f"append({function}(client, as_of, unit{extra}))")
            if self.trace:  # last: an outcome's steps start with its first unit
                self.out.emit(1, f"_trace.append(({line}, 'reads', {self.out.const(outcome.name)}, "
                                 f"{self.out.const(self.fields_read(outcome))}))")
        self.out.emit(1, "return out")

    def fields_read(self, outcome: tree.Outcome) -> tuple:
        """``((record, (field, ...)), ...)``: every record field the outcome's lines read, also
        through the definitions they call, in the order first read (what `pbr explain` shows of
        a record: the bindings hold whole records, and a definition's reads are not bindings)."""
        found: dict = {}
        called: set = set()

        def walk(node) -> None:
            for child in node.children():
                if isinstance(child, tree.Attr) and child.ref is None and child.base.type is not None \
                        and child.base.type.kind in ("record", "list") and child.base.type.name:
                    found.setdefault(child.base.type.name, {})[child.name] = None
                elif isinstance(child, tree.Call) and child.name in self.c.definitions and child.name not in called:
                    called.add(child.name)
                    walk(self.c.definitions[child.name])
                walk(child)
        walk(outcome)
        return tuple((record, tuple(fields)) for record, fields in found.items())

    # ---- payments -----------------------------------------------------------------------------
    def payment_functions(self) -> None:
        """What the payment stage asks of a unit, each a function of (client, as_of, unit):
        `t_O` the tariff's key, `i_O_N` instalment N's date, `f_F` a fee's (condition, date),
        `p_T` who is paid for a unit of type T."""
        schedule = self.c.payments
        for tariff in schedule.tariffs.values():
            if tariff.key is not None:
                self.unit_function(f"t_{tariff.name}", tariff.unit_binding, tariff.span,
                                   lambda tariff=tariff: [f"return {self.ex(tariff.key)}"])
            for number, part in enumerate(tariff.instalments, 1):
                self.unit_function(f"i_{tariff.name}_{number}", tariff.unit_binding, part.span,
                                   lambda part=part: [f"return {self.ex(part.at)}"])
        for fee in schedule.fees.values():
            self.unit_function(f"f_{fee.name}", fee.unit_binding, fee.span, lambda fee=fee: [
                f"return ({self.ex(fee.when) if fee.when is not None else 'True'}, {self.ex(fee.on)})"])
        for unit_type, (symbol, choices) in schedule.payees.items():
            self.unit_function(f"p_{unit_type}", symbol, choices[0].span, lambda choices=choices: self.payee(choices))

    def payee(self, choices: tuple) -> list:
        lines = []
        for choice in choices:
            provider = self.ex(choice.provider)
            if choice.when is None:
                lines.append(f"_p = {provider}")
            else:
                lines.append(f"_p = {provider} if ({self.ex(choice.when)}) is True else None")
            lines.append("if _p: return _p")  # a blank provider is no provider
        return lines + ["return None"]

    def unit_function(self, name: str, binding, span, body) -> None:
        """A function of (client, as_of, unit); ``body`` writes its lines once the unit is bound."""
        self.out.span = span
        self.analysis.start()
        if binding is not None:
            self.out.name_as(binding, "unit")
        self.out.define(name, "client, as_of, unit")
        for line in body():
            self.out.emit(1, line)
        self.out.emit(0, "")

    # ---- statements -------------------------------------------------------------------------
    def traced(self, line: int, kind: str, name, value: str) -> None:
        if self.trace:
            self.out.emit(1, f"_trace.append(({line}, '{kind}', {self.out.const(str(name))}, {value}))")

    def visit_Let(self, let: tree.Let) -> bool:
        name = self.out.name_of(let.binding, let.name)
        self.out.emit(1, f"{name} = {self.ex(let.expr)}")
        self.traced(let.span.line, "let", let.name, name)
        return False

    def visit_WindowStmt(self, window: tree.WindowStmt) -> bool:
        exclusive = "True" if window.start.exclusive else "False"
        anchor = self.ex(window.anchor)
        length = self.ex(window.length) if window.length is not None else "None"
        until = self.ex(window.until) if window.until is not None else "None"
        name = self.out.name_of(window.binding, window.name)
        restart = window.restart
        if restart is None:
            self.out.emit(1, f"{name} = _rt.make_window({exclusive}, {anchor}, {length}, {until})")
        else:
            record = self.c.schema.records[restart.source.type.name]
            accept = "None"
            if restart.condition is not None:
                var = self.out.name_of(restart.binding, restart.var)
                accept = f"(lambda {var}: {self.ex(restart.condition)})"
            self.out.emit(1, f"{name} = _rt.restarting_window({exclusive}, {anchor}, {length}, "
                             f"{self.ex(restart.source, iterable=True)}, {self.out.const(record.dated_by)}, {accept}, "
                             f"{self.ex(restart.max_times)}, {self.out.const(record.name)})")
            self.out.emit(1, f"_notes = _rt.restart_notes({name})")
        self.traced(window.span.line, "window", window.name, name)
        return False

    def visit_Rule(self, rule: tree.Rule) -> bool:
        """Emit one rule; True if it ends the outcome (`otherwise pending`)."""
        line = rule.span.line
        if rule.kind is RuleKind.OTHERWISE_PENDING:
            due = self.ex(rule.at) if rule.at is not None else "None"
            self.traced(line, "rule", rule.kind, "True")
            self.emit_result(1, Status.PENDING, "None", due, self.reasons(rule))
            return True
        condition = self.ex(rule.when)
        # the date and the reasons are computed only once the condition holds: what it tells holds there
        with self.analysis.knowing(self.analysis.facts(rule.when, Truth.TRUE)):
            reasons = self.reasons(rule)
            at = self.ex(rule.at) if rule.at is not None else "None"
            at_known = rule.at is not None and self.analysis.never_unknown(rule.at)
        if self.trace:
            self.out.emit(1, f"_c = {condition}")
            self.traced(line, "rule", rule.kind, "_c")
            condition = "_c"
        certain = self.analysis.never_unknown(rule.when)
        self.out.emit(1, f"if {condition}:" if certain and not self.trace else f"if ({condition}) is True:")
        if rule.kind in (RuleKind.NOT_APPLICABLE, RuleKind.PENDING):
            self.analysis.learn(self.analysis.facts(rule.when, Truth.NOT_TRUE))
        if rule.kind.dated:
            self.decision(rule, at, at_known, reasons)
        elif rule.kind is RuleKind.PENDING:
            self.emit_result(2, Status.PENDING, "None", at, reasons)
        else:
            self.emit_result(2, Status.NOT_APPLICABLE, "None", "None", reasons)
        return False

    def decision(self, rule: tree.Rule, at: str, at_known: bool, reasons: str) -> None:
        """Achieved or not achieved on a date; decided on a later day is not known yet: pending."""
        self.out.emit(2, f"_at = {at}")
        depth = 2
        if not at_known:  # a rule whose date is unknown decides nothing
            self.out.emit(2, "if _at is not None:")
            depth = 3
        self.out.emit(depth, "if _at <= as_of:")
        self.emit_result(depth + 1, rule.kind.status, "_at", "None", reasons)
        self.emit_result(depth, Status.PENDING, "None", "_at", f"{reasons} + (_rt.decided_later(_at),)")

    def reasons(self, rule: tree.Rule) -> str:
        return "(" + "".join(self.template(t) + ", " for t in rule.reasons) + ")"

    def template(self, template: tree.Template) -> str:
        parts = [self.out.const(part) if isinstance(part, str) else self.shown(part) for part in template.parts]
        if len(parts) == 1:
            return parts[0]
        return "''.join((" + ", ".join(parts) + ",))"

    def shown(self, node) -> str:
        """Code that formats a value for a reason text, chosen by its type (dates and texts, the
        common cases, inline); a constant is formatted once, here."""
        kind = node.type.kind
        constant = self.folder.fold(node)
        if constant is not NOT_CONSTANT:
            value = runtime_value(constant)
            shown = {"money": format_money, "percent": format_percent}.get(kind)
            return self.out.const(shown(value) if shown else runtime.show(value))
        code = self.ex(node)
        if kind in ("date", "text", "enum"):
            method = ".isoformat()" if kind == "date" else ""
            if self.analysis.never_unknown(node):
                return f"{code}{method}"
            t = self.out.fresh()
            return f"({self.out.const('unknown')} if ({t} := {code}) is None else {t}{method})"
        show = {"money": "_rt.show_money", "percent": "_rt.show_percent"}.get(kind, "_rt.show")
        return f"{show}({code})"

    # ---- expressions ------------------------------------------------------------------------
    def ex(self, node, iterable: bool = False) -> str:
        return self.visit(node, iterable)

    def temp(self) -> str:
        return self.out.fresh()

    def known(self, node) -> bool:
        return self.analysis.never_unknown(node)

    def visit_Literal(self, node, iterable):
        if isinstance(node.value, bool):
            return "True" if node.value else "False"
        return self.out.const(runtime_value(node.value))

    def visit_Name(self, node, iterable):
        ref = node.ref
        if isinstance(ref, EnumValue):
            return self.out.const(ref.value)
        if ref.kind is SymbolKind.DEFINITION:
            return self.inline_or_call(node, ())
        if ref.kind is SymbolKind.CLIENT:
            return "client"
        if ref.kind is SymbolKind.PARAMETER:
            return self.out.const(runtime_value(self.c.parameters[node.name].values[-1][1]))
        return self.out.name_of(ref, node.name)

    def visit_Attr(self, node, iterable):
        if isinstance(node.ref, EnumValue):
            return self.out.const(node.ref.value)
        base = self.ex(node.base, iterable)
        if node.base.type.kind == "result":
            return f"_rt.result_date({base})"
        if node.base.type.kind == "window":
            return f"{base}.{'start' if node.name == 'start' else 'end'}"
        key = repr(node.name)
        if self.known(node.base):
            return f"{base}[{key}]"
        if iterable:  # no assignment expressions in a comprehension's iterable
            return f"_rt_field({base}, {key})"
        t = self.temp()
        return f"(None if ({t} := {base}) is None else {t}[{key}])"

    def visit_Index(self, node, iterable):
        base, key = self.ex(node.base, iterable), self.ex(node.index, iterable)
        if self.known(node.base) and self.known(node.index):
            return f"{base}.get({key}, 0)"
        a, b = self.temp(), self.temp()
        return f"(None if ({a} := {base}) is None or ({b} := {key}) is None else {a}.get({b}, 0))"

    def visit_Call(self, node, iterable):
        if node.ref is None:  # a built-in function
            args = ", ".join(self.ex(a, iterable) for a in node.args)
            return f"_rt.{node.name}({args})"
        return self.inline_or_call(node, node.args)

    def inline_or_call(self, node, args: tuple) -> str:
        body = self.analysis.inline(node)
        if body is not None:
            with self.analysis.inlined():
                return f"({self.ex(body)})"
        codes = "".join(", " + self.ex(a) for a in args)
        return f"d_{node.name}(client, as_of{codes})"

    def visit_ValueAsOf(self, node, iterable):
        values = tuple((start, runtime_value(v)) for start, v in self.c.parameters[node.name].values)
        return f"_rt.value_as_of({self.out.const(values)}, {self.ex(node.date, iterable)})"

    def visit_SetLiteral(self, node, iterable):
        return self.out.const(frozenset(item.name for item in node.items))

    def visit_MapLiteral(self, node, iterable):
        return self.out.const(runtime_value(ConstantFolder().fold(node)))  # only a parameter's value

    def visit_Unary(self, node, iterable):
        operand = self.ex(node.operand, iterable)
        t = self.temp()
        if node.op is tree.UnaryOp.NOT:
            if self.known(node.operand):
                return f"(not {operand})"
            return f"(None if ({t} := {operand}) is None else not {t})"
        if node.type.kind == "duration":
            return f"_rt.scale_length({operand}, -1)"
        return f"(None if ({t} := {operand}) is None else -{t})"

    def visit_OutcomeRef(self, node, iterable):
        # the traced variant records the other outcome's steps in a list of its own, not here
        extra = ", []" if self.trace else ""
        if node.unit is None:
            return f"o_{node.outcome}(client, as_of, client{extra})"
        unit = self.ex(node.unit, iterable)
        if self.known(node.unit):
            return f"o_{node.outcome}(client, as_of, {unit}{extra})"
        t = self.temp()
        return f"(None if ({t} := {unit}) is None else o_{node.outcome}(client, as_of, {t}{extra}))"

    def visit_IsTest(self, node, iterable):
        operand = self.ex(node.operand, iterable)
        if node.test.status is not None:
            return f"_rt.has_status({operand}, {STATUS_NAMES[node.test.status]})"
        return {"known": f"({operand} is not None)", "unknown": f"({operand} is None)",
                "true": f"({operand} is True)", "false": f"({operand} is False)"}[node.test]

    def visit_Binary(self, node, iterable):
        if node.op.logical:
            return self.logical(node, iterable)
        left, right = self.ex(node.left, iterable), self.ex(node.right, iterable)
        a, b = self.temp(), self.temp()
        kinds = (node.left.type.kind, node.right.type.kind)
        if node.op is Op.IN and kinds[1] == "window":
            return (f"(None if ({a} := {left}) is None or ({b} := {right}).start is None or {b}.end is None "
                    f"else {b}.start <= {a} <= {b}.end)")
        special = self.calendar_arithmetic(node, left, right, kinds)
        if special is not None:
            return special
        op = _PYTHON_OPS[node.op]
        left_known, right_known = self.known(node.left), self.known(node.right)
        if left_known and right_known:
            return f"({left} {op} {right})"
        if left_known:
            return f"(None if ({b} := {right}) is None else {left} {op} {b})"
        if right_known:
            return f"(None if ({a} := {left}) is None else {a} {op} {right})"
        return f"(None if ({a} := {left}) is None or ({b} := {right}) is None else {a} {op} {b})"

    def logical(self, node, iterable) -> str:
        op = node.op
        left = self.ex(node.left, iterable)
        # the right side runs only when the left did not decide: what that tells us holds there
        with self.analysis.knowing(self.analysis.facts(node.left, Truth.NOT_FALSE if op is Op.AND else Truth.NOT_TRUE)):
            right = self.ex(node.right, iterable)
            right_known = self.known(node.right)
        a, b = self.temp(), self.temp()
        if self.known(node.left):
            if right_known:
                return f"({left} {op} {right})"
            # a certain left side decides or hands over to the right side as it is
            return f"({right} if {left} else False)" if op is Op.AND else f"(True if {left} else {right})"
        if op is Op.AND:
            return (f"(False if ({a} := {left}) is False else (False if ({b} := {right}) is False else "
                    f"(True if {a} is True and {b} is True else None)))")
        return (f"(True if ({a} := {left}) is True else (True if ({b} := {right}) is True else "
                f"(False if {a} is False and {b} is False else None)))")

    def calendar_arithmetic(self, node, left: str, right: str, kinds: tuple) -> str | None:
        """Lengths of time, dates minus dates, and division: through the runtime's helpers."""
        op = node.op
        if op in (Op.ADD, Op.SUBTRACT) and "duration" in kinds:
            if kinds == ("date", "duration"):
                length = self.folder.fold(node.right)
                if op is Op.ADD and length is not NOT_CONSTANT and not length.days and self.known(node.left):
                    return f"_rt_add_months({left}, {length.months})"
                return f"_rt_{'add_duration' if op is Op.ADD else 'subtract_duration'}({left}, {right})"
            if kinds == ("duration", "date"):
                return f"_rt_add_duration({right}, {left})"
            return f"_rt.add_lengths({left}, {right}, {1 if op is Op.ADD else -1})"
        if op is Op.MULTIPLY and "duration" in kinds:
            length, factor = (left, right) if kinds[0] == "duration" else (right, left)
            return f"_rt.scale_length({length}, {factor})"
        if op is Op.SUBTRACT and kinds == ("date", "date"):
            return f"_rt.days_between({left}, {right})"
        if op is Op.DIVIDE:
            return f"_rt.divide({left}, {right})"
        return None

    def visit_Quantifier(self, node, iterable):
        var = self.out.name_of(node.binding, node.var)
        source = self.ex(node.source, iterable=True)
        hoisted = None
        if ":=" in source:
            # Python refuses an assignment expression anywhere in a comprehension's iterable, also
            # inside a nested comprehension or lambda (an inlined definition's filtered list), so
            # such a source is worked out first, into a name. A source is then never more than a
            # name with `:=` in it, however deeply quantifiers nest. (The code holds no ruleset
            # text, so `:=` is only ever ours.)
            hoisted, source = source, self.temp()
            name = source
        if not self.known(node.source):
            source = f"({source} or ())"
        window = None
        if node.within is not None:
            record = self.c.schema.records[node.source.type.name]
            window = (self.out.name_of(node.within.ref, node.within.name), self.out.const(record.dated_by),
                      self.lag_code(record.name))
        condition = self.ex(node.condition) if node.condition is not None else "True"
        certain = node.condition is None or self.known(node.condition)
        if node.kind.is_test:
            code = self.test_quantifier(node, var, source, condition, certain, window)
        else:
            code = self.value_quantifier(node, var, source, condition, certain, window)
        return code if hoisted is None else f"(({name} := {hoisted}), {code})[1]"

    def lag_code(self, record: str) -> str:
        lag = self.c.schema.lag(record)
        return self.out.const(lag) if lag else "None"

    def test_quantifier(self, node, var, source, condition, certain, window) -> str:
        """some / no / every: True, False, or unknown while a window is open."""
        kind = node.kind
        if window is None and certain:
            if node.condition is None:
                found = f"(len({source}) > 0)"
                return found if kind is QuantifierKind.SOME else (
                    f"(not {found})" if kind is QuantifierKind.NO else "True")
            generator = f"({condition} for {var} in {source})"
            return {QuantifierKind.SOME: f"any{generator}", QuantifierKind.NO: f"(not any{generator})",
                    QuantifierKind.EVERY: f"all{generator}"}[kind]
        closed = None
        plain_source = source
        if window is not None:
            name, field, lag = window
            closed = f"_rt.closed({name}, {lag}, as_of)"
            source = f"_rt.in_window({source}, {field}, {name})"
        if kind is QuantifierKind.EVERY:
            values = f"({condition} for {var} in {source})"
            return f"_rt.every_within({values}, {closed})" if closed else f"_rt.every({values})"
        if closed and node.condition is None:
            found = f"_rt.any_within({plain_source}, {window[1]}, {window[0]}, {closed})"
        elif closed:
            found = f"_rt.some_within(({condition} for {var} in {source}), {closed})"
        elif node.condition is None:
            found = f"(len({source}) > 0)"
        else:
            found = f"_rt.some(({condition} for {var} in {source}))"
        if kind is QuantifierKind.SOME:
            return found
        t = self.temp()
        return f"(None if ({t} := {found}) is None else not {t})"

    def value_quantifier(self, node, var, source, condition, certain, window) -> str:
        """count of / each / earliest / latest."""
        kind = node.kind
        plain_source = source
        if window is not None:
            source = f"_rt.in_window({source}, {window[1]}, {window[0]})"
        test = "" if node.condition is None else (f" if {condition}" if certain else f" if ({condition}) is True")
        if kind is QuantifierKind.COUNT:
            return f"sum(1 for {var} in {source}{test})"
        if kind is QuantifierKind.EACH:
            return f"[{var} for {var} in {source}{test}]"
        if kind is QuantifierKind.EARLIEST and window is not None and node.condition is None:
            return f"_rt.first_within({plain_source}, {window[1]}, {window[0]})"
        if kind is QuantifierKind.LATEST:
            source = f"reversed({source})"
        return f"next(({var} for {var} in {source}{test}), None)"

