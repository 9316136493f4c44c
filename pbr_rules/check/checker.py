"""The checker: every declaration of a resolved ruleset, table by table, into a checked ruleset.

It reports every mistake it finds in one pass, each with its place, code and hint, in words a
policy lead uses. What it learns it hands on in a ``CheckedRuleset``: the schema, each
parameter's values and type, and the checked tree of every definition and outcome (each
expression typed, each name resolved). It never changes what the resolver produced. An
extending ruleset's base is checked first, once, so that overrides can be held to it.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

import attrs

from .. import tree
from ..data import ClientReader
from ..declarations import TABLES
from ..errors import Code, Problems, raise_all
from ..resources import example_file, file_kind
from ..resolve import ResolvedRuleset, attach_source_lines
from ..words import did_you_mean
from ..schema import Schema
from ..visitor import Visitor
from .constants import NOT_CONSTANT, ConstantFolder
from .expressions import ExpressionChecker
from .records import RecordChecker
from .measures import MeasureChecker, MeasureSpec
from .outcomes import OutcomeChecker
from .payments import PaymentChecker, PaymentSchedule
from .scope import Scopes, Symbol, SymbolKind
from .types import ERROR, NUMBER, PRIMITIVE_INPUT_TYPES, T, of_value


@attrs.frozen(slots=True)
class CheckedParameter:
    declaration: tree.ParameterDecl
    type: T
    values: tuple                 # ((from date or None, value), ...) by date, undated first
    symbol: Symbol


@attrs.frozen
class CheckedRuleset:
    resolved: ResolvedRuleset
    schema: Schema
    parameters: dict              # name -> CheckedParameter
    definitions: dict             # name -> checked tree.Definition
    outcomes: dict                # name -> checked tree.Outcome, in the ruleset's order
    unit_lists: dict              # outcome name -> client list field of its unit (None: per client)
    base: Optional["CheckedRuleset"]
    payments: PaymentSchedule
    measures: dict = attrs.field(factory=dict)   # name -> MeasureSpec, in the ruleset's order

    @property
    def ref(self) -> str:
        return self.resolved.ref

    @property
    def records(self) -> dict:
        return self.schema.records

    @property
    def lists(self) -> dict:
        return self.schema.lists

    @property
    def parameter_values(self) -> dict:
        """name -> [(from date or None, value), ...]."""
        return {name: list(p.values) for name, p in self.parameters.items()}

    def single_values(self) -> dict:
        """The parameters that have one value whatever the date, with it (for folding)."""
        return {name: p.values[0][1] for name, p in self.parameters.items() if len(p.values) == 1}


def check(resolved: ResolvedRuleset) -> CheckedRuleset:
    """Check a resolved ruleset (its base first); raise every mistake found together."""
    base = check(resolved.base) if resolved.base is not None else None
    checker = Checker(resolved, base)
    checker.run()
    attach_source_lines(checker.problems.errors, resolved.sources)
    raise_all([*resolved.errors, *checker.problems.errors])
    return checker.result()


class Checker(Visitor):
    walks = (tree.Declaration,)

    def __init__(self, resolved: ResolvedRuleset, base: CheckedRuleset | None):
        self.resolved = resolved
        self.base = base
        self.problems = Problems()
        self.enums = resolved.enums
        self.client = Symbol(SymbolKind.CLIENT, "client", T("record", "client"))
        self.expressions = ExpressionChecker(self)
        self.record_checker = RecordChecker(self)
        self.outcome_checker = OutcomeChecker(self)
        self.payment_checker = PaymentChecker(self)
        self.measure_checker = MeasureChecker(self)
        self.measures: dict[str, MeasureSpec] = {}
        self.payments: PaymentSchedule | None = None
        # what each definition and outcome uses: ("outcome" | "definition", name) -> {(kind, name), ...}
        self.owners: list = []
        self.uses: dict = {}
        self.parameters: dict[str, CheckedParameter] = {}
        # the definitions in force; an override with the wrong inputs is replaced by its original
        self.definitions = dict(resolved.definitions)
        self.checked_definitions: dict = {}
        self.definition_symbols: dict = {}
        self.definition_stack: list[str] = []
        self._input_types: dict = {}
        self.outcomes: dict = {}
        self.unit_lists: dict = {}
        self.schema: Schema | None = None
        self.schema_ok = False  # the schema is sound, so example clients can be read with it
        self.example_reader: ClientReader | None = None

    # ---- services to the expression and outcome checkers ---------------------------------------
    def error(self, code: Code, message: str, span, hint: str | None = None) -> T:
        self.problems.add(code, message, span, hint)
        return ERROR

    def text_of(self, node) -> str:
        """The expression as written, for messages: `6 months`, `e.end` (one line only)."""
        span = getattr(node, "span", None)
        lines = self.resolved.sources.get(span.file) if span else None
        if not lines or span.line <= 0 or span.end_line != span.line:
            return ""
        return lines[span.line - 1][span.column - 1: span.end_column - 1]

    @property
    def records(self) -> dict:
        return self.record_checker.records

    @property
    def field_types(self) -> dict:
        return self.record_checker.field_types

    def parameter_symbol(self, name: str) -> Symbol | None:
        parameter = self.parameters.get(name)
        return parameter.symbol if parameter else None

    def parameter_names(self) -> list[str]:
        return list(self.resolved.parameters)

    def is_dated(self, name: str) -> bool:
        return len(self.parameters[name].values) > 1

    def infer_enum(self, names, span, report: bool = True) -> str | None:
        candidates = [e.name for e in self.enums.values() if all(n in e.values for n in names)]
        if len(candidates) == 1:
            return candidates[0]
        if not report:
            return None
        if not candidates:
            all_values = [v for e in self.enums.values() for v in e.values]
            unknown = [n for n in names if n not in all_values]
            if unknown:
                self.error(Code.UNKNOWN_ENUM_VALUE, f"`{unknown[0]}` is not a value of any enum", span,
                           did_you_mean(unknown[0], all_values))
            else:
                self.error(Code.UNKNOWN_ENUM_VALUE, "these values do not all belong to one enum", span)
            return None
        if not names:
            self.error(Code.UNKNOWN_ENUM_VALUE, f"an empty set `{{}}` could be a set of any enum ({', '.join(candidates)})",
                       span, "write `{}` where the enum is known, as in `e.discharge_reason in {}`, "
                             "or name the values the set may hold")
            return None
        self.error(Code.UNKNOWN_ENUM_VALUE, f"these values belong to several enums ({', '.join(candidates)})", span,
                   "compare with a field of the enum you mean, or name one value in full, like "
                   f"`{candidates[0]}.{names[0]}`")
        return None

    # ---- the run ------------------------------------------------------------------------------
    def run(self) -> None:
        """Every declaration, table by table in the order of ``declarations.TABLES``."""
        for table in TABLES:
            for declaration in self.resolved.tables[table].values():
                self.visit(declaration)
            self.table_done(table)

    def table_done(self, table: str) -> None:
        if table == "records":
            self.record_checker.finish()
        elif table == "parameters":
            self.record_checker.check_lags()
            self.check_parameter_overrides()
            self.schema = self.record_checker.schema()
            self.schema_ok = not self.problems and not self.resolved.errors
            self.check_definition_signatures()
        elif table == "definitions":
            self.check_definition_results()
        elif table == "outcomes":
            self.check_outcome_circles()
        elif table == "limits":
            self.payments = self.payment_checker.finish()

    def result(self) -> CheckedRuleset:
        definitions = {name: self.checked_definitions[name] for name in self.definitions}
        return CheckedRuleset(self.resolved, self.schema, self.parameters, definitions, self.outcomes,
                              self.unit_lists, self.base, self.payments, self.measures)

    # ---- schema ---------------------------------------------------------------------------------
    def visit_EnumDecl(self, enum: tree.EnumDecl) -> None:
        seen = set()
        for value in enum.values:
            if value in seen:
                self.error(Code.DUPLICATE_NAME, f"enum `{enum.name}` lists `{value}` twice", enum.span)
            seen.add(value)

    def visit_DomainDecl(self, domain: tree.DomainDecl) -> None:
        """Nothing to check but its name, which the resolver keeps unique."""

    def visit_RecordDecl(self, record: tree.RecordDecl) -> None:
        self.record_checker.add(record)

    def visit_RecordExtension(self, extension: tree.RecordExtension) -> None:
        raise AssertionError("the resolver merges record extensions into their record")

    # ---- parameters ---------------------------------------------------------------------------
    def visit_ParameterDecl(self, param: tree.ParameterDecl) -> None:
        values, types = [], set()
        for dated in param.values:
            value, t = self.parameter_value(dated.expr)
            values.append((dated.from_date, value))
            types.add(t)
        if len(types) > 1 and ERROR not in types:
            self.error(Code.BAD_PARAMETER_VALUES, f"the values of parameter `{param.name}` are of different kinds: "
                       + " and ".join(sorted(t.words() for t in types)), param.span,
                       "every value of a parameter is the same kind of thing, like `12 months from 2012-04-01, "
                       "6 months from 2013-04-01`")
        if len(param.values) > 1 and any(d.from_date is None for d in param.values):
            self.error(Code.BAD_PARAMETER_VALUES, f"parameter `{param.name}` has several values, so each needs "
                       "`from DATE`", param.span, "write `12 months from 2012-04-01, 6 months from 2013-04-01`")
        dates = [d.from_date for d in param.values if d.from_date]
        if len(dates) != len(set(dates)):
            self.error(Code.BAD_PARAMETER_VALUES, f"parameter `{param.name}` has two values from the same date",
                       param.span)
        t = next(iter(types)) if len(types) == 1 else ERROR
        self.set_parameter(param, t, values)

    def set_parameter(self, param: tree.ParameterDecl, t: T, values) -> None:
        ordered = tuple(sorted(values, key=lambda v: v[0] or datetime.date.min))
        self.parameters[param.name] = CheckedParameter(param, t, ordered,
                                                       Symbol(SymbolKind.PARAMETER, param.name, t, param))

    def parameter_value(self, expr) -> tuple:
        """A parameter's value, written out, and its type."""
        value = ConstantFolder().fold(expr)
        if value is NOT_CONSTANT:
            hint = ("write the value itself, like `6 months`, `20%` or `£1,200`" if isinstance(expr, tree.Name)
                    else "move calculations into a `define`")
            self.error(Code.NOT_WRITTEN_OUT, "a parameter's value must be written out: a number, a length of time, "
                       "a percentage, an amount, a date, a text, or a set or table of enum values",
                       getattr(expr, "span", None), hint)
            return None, ERROR
        if isinstance(expr, tree.SetLiteral):
            enum = self.infer_enum([item.name for item in expr.items], expr.span)
            return (value, T("set", enum)) if enum else (None, ERROR)
        if isinstance(expr, tree.MapLiteral):
            enum = self.infer_enum([item.key.name for item in expr.items], expr.span)
            for item in expr.items:
                t = of_value(value[item.key.name])
                if t != NUMBER:
                    self.error(Code.NOT_WRITTEN_OUT, f"the values in the table must be numbers, but "
                               f"`{item.key.name}` is {t.words()}", item.value.span)
            return (value, T("map", enum, NUMBER)) if enum else (None, ERROR)
        return value, of_value(value)

    def check_parameter_overrides(self) -> None:
        for override in self.resolved.own_overrides:  # the base's were held to its base
            if override.kind.table != "parameters" or self.base is None:
                continue
            old = self.base.parameters.get(override.name)
            new = self.parameters[override.name].type
            if old is None or new == ERROR or old.type == ERROR or new == old.type:
                continue
            self.error(Code.OVERRIDE_CHANGES_KIND, f"the override of `{override.name}` changes its kind: it was "
                       f"{old.type.words()}, now {new.words()}", override.span,
                       "an override must keep the kind, so that the inherited rules still make sense")
            # go on with the inherited value, so the inherited rules are not blamed for this
            self.set_parameter(self.parameters[override.name].declaration, old.type, old.values)

    # ---- definitions --------------------------------------------------------------------------
    def visit_Definition(self, definition: tree.Definition) -> None:
        self.definition_type(definition.name)

    def input_types(self, definition: tree.Definition) -> list[T]:
        """The type of each input of a definition (each unknown type reported once)."""
        key = id(definition)
        if key not in self._input_types:
            self._input_types[key] = [self.input_type(param) for param in definition.params]
        return self._input_types[key]

    def input_type(self, param: tree.Param) -> T:
        if param.type_name in self.resolved.records:
            return T("record", param.type_name)
        if param.type_name in self.enums:
            return T("enum", param.type_name)
        if param.type_name in PRIMITIVE_INPUT_TYPES:
            return PRIMITIVE_INPUT_TYPES[param.type_name]
        candidates = list(self.resolved.records) + list(self.enums) + sorted(PRIMITIVE_INPUT_TYPES)
        return self.error(Code.UNKNOWN_TYPE, f"unknown type `{param.type_name}` for `{param.name}`", param.span,
                          did_you_mean(param.type_name, candidates))

    def definition_type(self, name: str) -> T:
        """The type of a definition's value, checking it (and what it uses) first if need be."""
        if name in self.checked_definitions:
            return self.checked_definitions[name].body.type
        definition = self.definitions[name]
        if name in self.definition_stack:
            cycle = self.definition_stack[self.definition_stack.index(name):] + [name]
            self.error(Code.CIRCULAR_DEFINITIONS, "definitions refer to each other in a circle: " + " -> ".join(cycle),
                       definition.span, "one of them must be written without the others")
            return ERROR
        self.definition_stack.append(name)
        checked = self.check_definition(definition)
        self.definition_stack.pop()
        self.checked_definitions[name] = checked
        self.definition_symbols[name] = Symbol(SymbolKind.DEFINITION, name, checked.body.type, checked)
        return checked.body.type

    def definition_symbol(self, name: str) -> Symbol:
        """The one symbol of a checked definition (its value: the checked definition). In a circle
        of definitions, which is reported, a stand-in."""
        symbol = self.definition_symbols.get(name)
        return symbol or Symbol(SymbolKind.DEFINITION, name, ERROR, self.definitions[name])

    def note_use(self, kind: str, name: str) -> None:
        """The definition or outcome being checked uses this definition or outcome."""
        if self.owners:
            self.uses.setdefault(self.owners[-1], set()).add((kind, name))

    def check_outcome_circles(self) -> None:
        """An outcome may use another's result, but never, through others, its own."""
        reported: set = set()
        for name, outcome in self.resolved.outcomes.items():
            path = self.path_to(("outcome", name), ("outcome", name), set())
            circle = frozenset(n for kind, n in path if kind == "outcome")
            if path and circle not in reported:
                reported.add(circle)
                shown = " -> ".join([name] + [n if kind == "outcome" else f"{n} (a definition)" for kind, n in path])
                self.error(Code.CIRCULAR_OUTCOMES, f"outcomes use each other's results in a circle: {shown}",
                           outcome.span, "one of them must be decided without the others")

    def path_to(self, start: tuple, goal: tuple, seen: set) -> list:
        for used in sorted(self.uses.get(start, ())):
            if used == goal:
                return [used]
            if used not in seen:
                seen.add(used)
                rest = self.path_to(used, goal, seen)
                if rest:
                    return [used] + rest
        return []

    def check_definition(self, definition: tree.Definition) -> tree.Definition:
        self.owners.append(("definition", definition.name))
        try:
            return self._check_definition(definition)
        finally:
            self.owners.pop()

    def _check_definition(self, definition: tree.Definition) -> tree.Definition:
        params, scope = [], {}
        for param, t in zip(definition.params, self.input_types(definition)):
            symbol = Symbol(SymbolKind.INPUT, param.name, t)
            scope[param.name] = symbol
            params.append(param.replace(binding=symbol))
        body = self.expressions.check(definition.body, Scopes().inner(scope))
        return definition.replace(params=tuple(params), body=body)

    def check_definition_signatures(self) -> None:
        for override in self.resolved.own_overrides:  # the base's were held to its base
            if override.kind.table != "definitions":
                continue
            old, new = override.replaces, self.resolved.definitions[override.name]
            if [p.type_name for p in old.params] != [p.type_name for p in new.params]:
                inputs = ", ".join(p.name + ": " + p.type_name for p in old.params) or "none"
                self.error(Code.OVERRIDE_CHANGES_KIND, f"the override of `{override.name}` must take the same "
                           f"inputs as the original ({inputs})", new.span)
                self.check_definition(new)  # for the mistakes inside it
                self.definitions[override.name] = old  # the rest is checked against the original

    def check_definition_results(self) -> None:
        for override in self.resolved.own_overrides:  # the base's were held to its base
            if override.kind.table != "definitions" or self.definitions[override.name] is override.replaces:
                continue
            new_type = self.definition_type(override.name)
            old_type = self.base.definitions[override.name].body.type
            if ERROR not in (new_type, old_type) and new_type != old_type:
                self.error(Code.OVERRIDE_CHANGES_KIND, f"the override of `{override.name}` gives {new_type.words()}, "
                           f"but the original gives {old_type.words()}", self.definitions[override.name].span,
                           "an override must give the same kind of value")

    # ---- outcomes and examples -----------------------------------------------------------------
    def visit_Outcome(self, outcome: tree.Outcome) -> None:
        self.owners.append(("outcome", outcome.name))
        try:
            checked, unit_list = self.outcome_checker.check(outcome)
        finally:
            self.owners.pop()
        self.outcomes[outcome.name] = checked
        self.unit_lists[outcome.name] = unit_list

    def visit_Measure(self, measure: tree.Measure) -> None:
        self.owners.append(("measure", measure.name))
        try:
            _, spec = self.measure_checker.check(measure)
        finally:
            self.owners.pop()
        if spec is not None:
            self.measures[measure.name] = spec

    def visit_Example(self, example: tree.Example) -> None:
        if example.client_file is not None:
            try:
                path = example_file(example.span.file, example.client_file)
            except (OSError, ValueError):  # a name too long for the file system, a NUL: no such file
                kind = "missing"
            else:
                kind = "outside" if path is None else file_kind(path)
            if kind == "outside":  # checked first: whether a file exists elsewhere is not the ruleset's to learn
                self.error(Code.EXAMPLE_FILE_OUTSIDE, f"example client file `{example.client_file}` is outside the "
                           "ruleset's folder", example.span, "keep example files in the ruleset's folder, e.g. "
                           "`examples/clients.jsonl` beside it")
            elif kind == "other":  # a folder, FIFO or device: never read
                self.error(Code.EXAMPLE_FILE_MISSING, f"example client file `{example.client_file}` is not a plain "
                           "file", example.span, "write the example's clients in a JSON Lines file")
            elif kind == "missing":
                self.error(Code.EXAMPLE_FILE_MISSING, f"example client file `{example.client_file}` not found next "
                           "to the ruleset", example.span,
                           f"looked for {Path(example.span.file).parent / example.client_file}")
        for expectation in example.expectations:
            if isinstance(expectation, tree.PaymentExpectation):
                self.check_payment_expectation(expectation)
            elif isinstance(expectation, tree.MeasureExpectation):
                if expectation.measure not in self.resolved.tables["measures"]:
                    self.error(Code.UNKNOWN_OUTCOME, f"example names an unknown measure `{expectation.measure}`",
                               expectation.measure_span,
                               did_you_mean(expectation.measure, self.resolved.tables["measures"]))
            elif example.whole_file:
                self.error(Code.UNKNOWN_OUTCOME, "an example of a whole file of clients expects measures, not "
                           f"outcomes: `expect {expectation.outcome} ...` needs one client", expectation.span,
                           'write `client "ID" from "FILE"` for an outcome of one client')
            elif expectation.outcome not in self.resolved.outcomes:
                self.error(Code.UNKNOWN_OUTCOME, f"example names an unknown outcome `{expectation.outcome}`",
                           expectation.outcome_span, did_you_mean(expectation.outcome, self.resolved.outcomes))
        if example.client is not None and self.schema_ok:
            self.check_example_client(example)

    def check_payment_expectation(self, expectation: tree.PaymentExpectation) -> None:
        items = [*self.payments.tariffs, *self.payments.fees, *self.payments.measure_tariffs,
                 *self.payments.family_tariffs] + (
            ["floor_top_up"] if self.payments.floors else [])
        if expectation.item not in items:
            self.error(Code.UNKNOWN_OUTCOME, f"example expects a payment for `{expectation.item}`, which is not paid "
                       "by this ruleset", expectation.item_span,
                       did_you_mean(expectation.item, items) or "the paid items are: " + (", ".join(items) or "none"))

    # ---- payments ---------------------------------------------------------------------------
    def visit_ContractDecl(self, node) -> None:
        self.payment_checker.visit(node)

    visit_PayeeDecl = visit_TariffDecl = visit_FeeDecl = visit_SplitDecl = visit_CapDecl = visit_ContractDecl
    visit_ReduceDecl = visit_FloorDecl = visit_GateDecl = visit_BudgetDecl = visit_LimitDecl = visit_FamilyTariffDecl = \
        visit_ContractDecl

    def check_example_client(self, example: tree.Example) -> None:
        """An inline client must be valid data, as `pbr test` would read it."""
        if self.example_reader is None:
            self.example_reader = ClientReader(self.schema)
        _, problems = self.example_reader.normalise(example.client)
        for problem in problems:
            self.error(Code.EXAMPLE_CLIENT_INVALID, f"the example's client is not valid data: {problem.path}: "
                       f"{problem.message}", example.client_span or example.span)
