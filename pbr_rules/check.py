"""Check a resolved ruleset: names, types and units, schema, cycles, rule order, examples.

The checker reports every mistake it can find in one pass, each with its place and a hint, in
words a policy lead uses ("a length of time", "a date"). What it learns, the type of every
expression and what every name refers to, it hands to the compiler in a ``CheckedRuleset``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Optional

import attrs

from . import ast
from .errors import RulesetError, Span, raise_all
from .resolve import ResolvedRuleset, attach_source_lines, did_you_mean

BUILTIN_FUNCTIONS = {"earliest_of": "the earliest of the known dates",
                     "latest_of": "the latest of the known dates"}
PRIMITIVE_PARAM_TYPES = {"date", "number", "text"}


@attrs.frozen(slots=True)
class T:
    """A type: kind is date, number, text, bool, duration, percent, money, enum, set, map,
    record, list, window, or error (after a reported mistake, to avoid knock-on errors)."""

    kind: str
    name: Optional[str] = None
    value: Optional["T"] = None

    def words(self) -> str:
        return {
            "date": "a date", "number": "a number", "text": "a text", "bool": "a yes/no condition",
            "duration": "a length of time", "percent": "a percentage", "money": "an amount of money",
            "window": "a time window", "error": "an unknown type",
        }.get(self.kind) or {
            "enum": f"{article(self.name)} {self.name} value", "set": f"a set of {self.name} values",
            "record": f"{article(self.name)} {self.name} record", "list": f"a list of {self.name} records",
        }.get(self.kind) or f"a table of {self.value.words() if self.value else 'values'} by {self.name}"


def article(word: str | None) -> str:
    return "an" if word and word[0].lower() in "aeiou" else "a"


ERROR = T("error")
DATE, NUMBER, TEXT, BOOL = T("date"), T("number"), T("text"), T("bool")
DURATION, PERCENT, MONEY, WINDOW = T("duration"), T("percent"), T("money"), T("window")
LITERAL_TYPES = {"number": NUMBER, "duration": DURATION, "percent": PERCENT, "money": MONEY,
                 "date": DATE, "text": TEXT, "bool": BOOL}


@attrs.frozen(slots=True)
class Symbol:
    kind: str   # parameter, definition, var, let, window, client, unit
    name: str
    type: T
    decl: object = None


@attrs.frozen(slots=True)
class EnumValue:
    enum: str
    value: str


@attrs.frozen(slots=True)
class FieldInfo:
    name: str
    type: T
    optional: bool
    scalar: str          # date number count score text bool set list map enum
    low: Optional[Decimal]
    high: Optional[Decimal]
    known_from: Optional[str]
    not_before: Optional[str]
    value_scalar: Optional[str] = None  # a map's values: number, count or score (low/high are theirs)


@attrs.frozen(slots=True)
class RecordInfo:
    name: str
    fields: dict          # name -> FieldInfo, in declaration order
    dated_by: Optional[str]
    lagging_by: Optional[str]
    doc: Optional[str]


@attrs.define(slots=True)
class CheckedRuleset:
    resolved: ResolvedRuleset
    records: dict                 # name -> RecordInfo
    types: dict                   # id(expr) -> T
    refs: dict                    # id(Name/Attr) -> Symbol | EnumValue
    parameter_values: dict        # name -> [(from_date | None, value)]
    parameter_types: dict         # name -> T
    definition_types: dict        # name -> T
    unit_lists: dict              # outcome name -> client list field of its unit (None: per client)
    lists: dict                   # client list field -> record name

    @property
    def ref(self) -> str:
        return self.resolved.ref


def check(resolved: ResolvedRuleset) -> CheckedRuleset:
    checker = _Checker(resolved)
    checker.run()
    attach_source_lines(checker.errors, resolved.sources)
    raise_all([*resolved.errors, *checker.errors])
    return checker.result()


class _Checker:
    def __init__(self, resolved: ResolvedRuleset):
        self.rs = resolved
        self.errors: list[RulesetError] = []
        self.types: dict = {}
        self.refs: dict = {}
        self.records: dict = {}
        self.parameter_values: dict = {}
        self.parameter_types: dict = {}
        self.definition_types: dict = {}
        self.definition_state: dict = {}
        self.definition_stack: list = []
        self.unit_lists: dict = {}
        self.lists: dict = {}

    def result(self) -> CheckedRuleset:
        return CheckedRuleset(self.rs, self.records, self.types, self.refs, self.parameter_values,
                              self.parameter_types, self.definition_types, self.unit_lists, self.lists)

    def error(self, message: str, span: Span | None, hint: str | None = None) -> T:
        self.errors.append(RulesetError(message, span=span, hint=hint))
        return ERROR

    def text_of(self, node) -> str:
        """The expression as written, for messages: `6 months`, `e.end`."""
        span = getattr(node, "span", None)
        lines = self.rs.sources.get(span.file) if span else None
        if not lines or span.line <= 0 or span.end_line != span.line:
            return ""
        return lines[span.line - 1][span.column - 1: span.end_column - 1]

    def shown(self, node, t: T) -> str:
        text = self.text_of(node)
        return f"{t.words()} (`{text}`)" if text else t.words()

    # ---- run --------------------------------------------------------------------------------
    def run(self) -> None:
        self.check_enums()
        self.check_records()
        self.check_parameters()
        self.check_overridden_signatures()
        for name in self.rs.definitions:
            self.definition_type(name)
        self.check_overridden_results()
        for outcome in self.rs.outcomes.values():
            self.check_outcome(outcome)
        self.check_examples()

    # ---- schema -----------------------------------------------------------------------------
    def check_enums(self) -> None:
        for enum in self.rs.enums.values():
            seen = set()
            for value in enum.values:
                if value in seen:
                    self.error(f"enum `{enum.name}` lists `{value}` twice", enum.span)
                seen.add(value)

    def field_type(self, type_expr: ast.TypeExpr, where: Span) -> tuple[T, str]:
        kind = type_expr.kind
        if kind in ("date", "text", "bool"):
            return {"date": DATE, "text": TEXT, "bool": BOOL}[kind], kind
        if kind in ("number", "count", "score"):
            return NUMBER, kind
        if kind == "set":
            if type_expr.name not in self.rs.enums:
                return self.error(f"`set of {type_expr.name}`: there is no enum `{type_expr.name}`",
                                  type_expr.span, did_you_mean(type_expr.name, self.rs.enums)), "set"
            return T("set", type_expr.name), "set"
        if kind == "list":
            if type_expr.name not in self.rs.records:
                return self.error(f"`list of {type_expr.name}`: there is no record `{type_expr.name}`",
                                  type_expr.span, did_you_mean(type_expr.name, self.rs.records)), "list"
            return T("list", type_expr.name), "list"
        if kind == "map":
            if type_expr.name not in self.rs.enums:
                return self.error(f"`map of {type_expr.name}`: there is no enum `{type_expr.name}`",
                                  type_expr.span, did_you_mean(type_expr.name, self.rs.enums)), "map"
            value, scalar = self.field_type(type_expr.value_type, where)
            if value.kind not in ("number", "error"):
                self.error("a map's values must be numbers", type_expr.value_type.span)
            return T("map", type_expr.name, value), "map"
        # a named type: an enum
        if type_expr.name in self.rs.enums:
            return T("enum", type_expr.name), "enum"
        if type_expr.name in self.rs.records:
            return self.error(f"a field cannot hold a single `{type_expr.name}` record",
                              type_expr.span, f"write `list of {type_expr.name}`"), "error"
        candidates = list(self.rs.enums) + ["date", "number", "count", "score", "text", "yes/no"]
        return self.error(f"unknown type `{type_expr.name}`", type_expr.span,
                          did_you_mean(type_expr.name, candidates)
                          or "types are date, number, count, score, text, yes/no, an enum, `set of`, `list of`, `map of`"), "error"

    def check_records(self) -> None:
        for record in self.rs.records.values():
            fields = {}
            for field in record.fields:
                if field.name in fields:
                    self.error(f"record `{record.name}` has two fields called `{field.name}`", field.span)
                    continue
                t, scalar = self.field_type(field.type, field.span)
                if scalar == "list" and record.name != "client":
                    self.error("lists of records belong on the client record", field.span,
                               f"move `{field.name}` to `record client`")
                ranged = field.type.value_type if scalar == "map" and field.type.value_type else field.type
                low, high = ranged.low, ranged.high
                if low is not None and high is not None and low > high:
                    self.error(f"the range {low}..{high} is empty", ranged.span)
                fields[field.name] = FieldInfo(field.name, t, field.optional, scalar, low, high,
                                               field.known_from, field.not_before,
                                               ranged.kind if scalar == "map" else None)
            self.records[record.name] = RecordInfo(record.name, fields, record.dated_by,
                                                   record.lagging_by, record.doc)
        for record in self.rs.records.values():
            info = self.records[record.name]
            if record.dated_by is not None:
                self.require_date_field(info, record.dated_by, record.span, "dated by")
                field = info.fields.get(record.dated_by)
                if field is not None and field.optional:
                    self.error(f"`{record.name}` is dated by `{record.dated_by}`, so that field cannot be optional",
                               record.span)
            if record.lagging_by is not None:
                if record.dated_by is None:
                    self.error(f"`{record.name}` lags, so it needs a date: add `dated by FIELD`", record.span)
                param = self.rs.parameters.get(record.lagging_by)
                if param is None:
                    self.error(f"`lagging by {record.lagging_by}`: there is no parameter `{record.lagging_by}`",
                               record.span, did_you_mean(record.lagging_by, self.rs.parameters))
            for field in record.fields:
                if field.known_from:
                    self.require_date_field(info, field.known_from, field.span, "known from")
                if field.not_before:
                    self.require_date_field(info, field.not_before, field.span, "not before")
        client = self.records.get("client")
        if client is None:
            self.error("a ruleset needs a `record client`: the record of one person, holding the lists of their records",
                       self.rs.header.span, "declare `record client` with at least `id: text`")
            return
        id_field = client.fields.get("id")
        if id_field is None or id_field.scalar != "text" or id_field.optional:
            self.error("`record client` needs a required field `id: text`", self.rs.records["client"].span)
        by_record: dict = {}
        for field in client.fields.values():
            if field.scalar == "list" and field.type.kind == "list":
                self.lists[field.name] = field.type.name
                by_record.setdefault(field.type.name, []).append(field.name)
        self.lists_by_record = by_record

    def require_date_field(self, info: RecordInfo, name: str, span: Span, what: str) -> None:
        field = info.fields.get(name)
        if field is None:
            self.error(f"`{what} {name}`: record `{info.name}` has no field `{name}`", span,
                       did_you_mean(name, info.fields))
        elif field.type != DATE:
            self.error(f"`{what} {name}`: `{name}` is {field.type.words()}, not a date", span)

    # ---- parameters -------------------------------------------------------------------------
    def check_parameters(self) -> None:
        for param in self.rs.parameters.values():
            values = []
            types = set()
            for dated in param.values:
                value, t = self.constant(dated.expr)
                values.append((dated.from_date, value))
                types.add(t)
            if len(types) > 1 and ERROR not in types:
                self.error(f"the values of parameter `{param.name}` are of different kinds: "
                           + " and ".join(sorted(t.words() for t in types)), param.span)
            if len(param.values) > 1 and any(d.from_date is None for d in param.values):
                self.error(f"parameter `{param.name}` has several values, so each needs `from DATE`",
                           param.span, "write `12 months from 2012-04-01, 6 months from 2013-04-01`")
            dates = [d.from_date for d in param.values if d.from_date]
            if len(dates) != len(set(dates)):
                self.error(f"parameter `{param.name}` has two values from the same date", param.span)
            self.parameter_values[param.name] = sorted(values, key=lambda v: v[0] or datetime.date.min)
            self.parameter_types[param.name] = next(iter(types)) if len(types) == 1 else ERROR
        for record in self.rs.records.values():
            if record.lagging_by and record.lagging_by in self.parameter_types:
                if self.parameter_types[record.lagging_by] not in (DURATION, ERROR):
                    self.error(f"`lagging by {record.lagging_by}` needs a length of time, but it is "
                               f"{self.parameter_types[record.lagging_by].words()}", record.span)
                if len(self.parameter_values[record.lagging_by]) > 1:
                    self.error(f"a lag cannot change with the date: `{record.lagging_by}` has dated values",
                               record.span)
        for override in self.rs.overrides:
            if override.kind != "parameter":
                continue
            base = override.replaces
            old = {self.constant(d.expr, report=False)[1] for d in base.values}
            new = self.parameter_types.get(override.name)
            if new is not None and new != ERROR and old and new not in old:
                self.error(f"the override of `{override.name}` changes its kind: it was "
                           f"{next(iter(old)).words()}, now {new.words()}", override.span,
                           "an override must keep the kind, so that the inherited rules still make sense")
                # go on with the inherited value, so the inherited rules are not blamed for this
                self.parameter_types[override.name] = next(iter(old))
                self.parameter_values[override.name] = sorted(
                    ((d.from_date, self.constant(d.expr, report=False)[0]) for d in base.values),
                    key=lambda v: v[0] or datetime.date.min)

    def constant(self, expr, report: bool = True):
        """Evaluate a parameter's value: literals, sets and tables of enum values, negation."""
        if isinstance(expr, ast.Literal):
            self.types[id(expr)] = LITERAL_TYPES[expr.kind]
            return expr.value, LITERAL_TYPES[expr.kind]
        if isinstance(expr, ast.Unary) and expr.op == "-":
            value, t = self.constant(expr.operand, report)
            if t == NUMBER:
                return -value, t
            if t == DURATION:
                return -value, t
        if isinstance(expr, ast.SetLiteral):
            enum = self.infer_enum([item.name for item in expr.items], expr.span, report)
            if enum is None:
                return None, ERROR
            return frozenset(item.name for item in expr.items), T("set", enum)
        if isinstance(expr, ast.MapLiteral):
            keys = [key.name for key, _ in expr.items]
            enum = self.infer_enum(keys, expr.span, report)
            table = {}
            for key, value_expr in expr.items:
                value, t = self.constant(value_expr, report)
                if t != NUMBER and report:
                    self.error(f"the values in the table must be numbers, but `{key.name}` is {t.words()}",
                               value_expr.span)
                table[key.name] = value
            if enum is None:
                return None, ERROR
            return table, T("map", enum, NUMBER)
        if report:
            self.error("a parameter's value must be written out: a number, a length of time, a percentage, "
                       "an amount, a date, a text, or a set or table of enum values",
                       getattr(expr, "span", None),
                       "move calculations into a `define`")
        return None, ERROR

    def infer_enum(self, names, span, report=True) -> str | None:
        candidates = [e.name for e in self.rs.enums.values() if all(n in e.values for n in names)]
        if len(candidates) == 1:
            return candidates[0]
        if not report:
            return None
        if not candidates:
            all_values = [v for e in self.rs.enums.values() for v in e.values]
            unknown = [n for n in names if n not in all_values]
            if unknown:
                return self.error(f"`{unknown[0]}` is not a value of any enum", span,
                                  did_you_mean(unknown[0], all_values)) and None
            return self.error("these values do not all belong to one enum", span) and None
        return self.error(f"these values belong to several enums ({', '.join(candidates)})", span,
                          "compare with a field of the enum you mean, or name one value in full, like "
                          f"`{candidates[0]}.{names[0]}`") and None

    # ---- definitions ------------------------------------------------------------------------
    def definition_type(self, name: str) -> T:
        if name in self.definition_types:
            return self.definition_types[name]
        definition = self.rs.definitions[name]
        if self.definition_state.get(name) == "visiting":
            start = self.definition_stack.index(name)
            cycle = self.definition_stack[start:] + [name]
            self.error("definitions refer to each other in a circle: " + " -> ".join(cycle),
                       definition.span, "one of them must be written without the others")
            return ERROR
        self.definition_state[name] = "visiting"
        self.definition_stack.append(name)
        scope = {}
        for param in definition.params:
            scope[param.name] = Symbol("var", param.name, self.param_type(param), param)
        t = self.expr(definition.body, [scope])
        self.definition_stack.pop()
        self.definition_state[name] = "done"
        self.definition_types[name] = t
        return t

    def param_type(self, param: ast.Param) -> T:
        if param.type_name in self.rs.records:
            return T("record", param.type_name)
        if param.type_name in self.rs.enums:
            return T("enum", param.type_name)
        if param.type_name in PRIMITIVE_PARAM_TYPES:
            return {"date": DATE, "number": NUMBER, "text": TEXT}[param.type_name]
        candidates = list(self.rs.records) + list(self.rs.enums) + sorted(PRIMITIVE_PARAM_TYPES)
        return self.error(f"unknown type `{param.type_name}` for `{param.name}`", param.span,
                          did_you_mean(param.type_name, candidates))

    def check_overridden_signatures(self) -> None:
        for override in self.rs.overrides:
            if override.kind != "definition":
                continue
            old, new = override.replaces, self.rs.definitions[override.name]
            if [p.type_name for p in old.params] != [p.type_name for p in new.params]:
                self.error(f"the override of `{override.name}` must take the same inputs as the original "
                           f"({', '.join(p.name + ': ' + p.type_name for p in old.params) or 'none'})",
                           new.span)
                self.check_definition_alone(new)
                # check the rest against the original, so the inherited rules are not blamed
                self.rs.definitions[override.name] = old

    def check_definition_alone(self, definition: ast.Definition) -> None:
        scope = {p.name: Symbol("var", p.name, self.param_type(p), p) for p in definition.params}
        self.expr(definition.body, [scope])

    def check_overridden_results(self) -> None:
        for override in self.rs.overrides:
            if override.kind != "definition" or self.rs.definitions[override.name] is override.replaces:
                continue
            new_type = self.definition_types.get(override.name)
            checker = _Checker(self.rs.base)
            checker.check_enums()
            checker.check_records()
            checker.check_parameters()
            old_type = checker.definition_type(override.name)
            if ERROR not in (new_type, old_type) and new_type != old_type:
                self.error(f"the override of `{override.name}` gives {new_type.words()}, but the original "
                           f"gives {old_type.words()}", self.rs.definitions[override.name].span,
                           "an override must give the same kind of value")

    # ---- expressions ------------------------------------------------------------------------
    def lookup(self, name: str, scopes: list) -> Optional[Symbol]:
        for scope in reversed(scopes):
            if name in scope:
                return scope[name]
        if name == "client":
            return Symbol("client", "client", T("record", "client"))
        if name in self.rs.parameters:
            return Symbol("parameter", name, self.parameter_types.get(name, ERROR),
                          self.rs.parameters[name])
        return None

    def visible_names(self, scopes) -> list[str]:
        names = ["client", *self.rs.parameters, *self.rs.definitions]
        for scope in scopes:
            names.extend(scope)
        return names

    def expr(self, node, scopes: list, expected: T | None = None) -> T:
        t = self._expr(node, scopes, expected)
        self.types[id(node)] = t
        return t

    def condition(self, node, scopes, what: str) -> None:
        t = self.expr(node, scopes)
        if t not in (BOOL, ERROR):
            self.error(f"{what} must be a condition (true or false), but this is {self.shown(node, t)}",
                       node.span, "compare it with something, for example `x > 0` or `x is known`")

    def _expr(self, node, scopes, expected):
        method = getattr(self, "x_" + type(node).__name__)
        return method(node, scopes, expected)

    def x_Literal(self, node, scopes, expected):
        return LITERAL_TYPES[node.kind]

    def x_Name(self, node, scopes, expected):
        symbol = self.lookup(node.name, scopes)
        if symbol is not None:
            if symbol.kind == "parameter" and len(self.parameter_values.get(node.name, ())) > 1:
                return self.error(f"`{node.name}` has different values from different dates: say which date",
                                  node.span, f"write `{node.name} as of DATE`, for example `{node.name} as of e.end`")
            self.refs[id(node)] = symbol
            return symbol.type
        if node.name in self.rs.definitions:
            definition = self.rs.definitions[node.name]
            if definition.params:
                return self.error(f"`{node.name}` needs its inputs", node.span,
                                  f"write `{node.name}({', '.join(p.name for p in definition.params)})`")
            self.refs[id(node)] = Symbol("definition", node.name, ERROR, definition)
            return self.definition_type(node.name)
        if expected is not None and expected.kind == "enum":
            enum = self.rs.enums.get(expected.name)
            if enum and node.name in enum.values:
                self.refs[id(node)] = EnumValue(expected.name, node.name)
                return expected
            candidates = list(enum.values) if enum else []
            return self.error(f"`{node.name}` is not a {expected.name} value", node.span,
                              did_you_mean(node.name, candidates + self.visible_names(scopes))
                              or (f"the {expected.name} values are: " + ", ".join(candidates)))
        owners = [e.name for e in self.rs.enums.values() if node.name in e.values]
        if len(owners) == 1:
            self.refs[id(node)] = EnumValue(owners[0], node.name)
            return T("enum", owners[0])
        enum_values = [v for e in self.rs.enums.values() for v in e.values]
        return self.error(f"unknown name `{node.name}`", node.span,
                          did_you_mean(node.name, self.visible_names(scopes) + enum_values))

    def x_Attr(self, node, scopes, expected):
        if isinstance(node.base, ast.Name) and node.base.name in self.rs.enums \
                and self.lookup(node.base.name, scopes) is None:
            enum = self.rs.enums[node.base.name]
            if node.name not in enum.values:
                return self.error(f"`{node.name}` is not a {enum.name} value", node.span,
                                  did_you_mean(node.name, enum.values))
            self.refs[id(node)] = EnumValue(enum.name, node.name)
            return T("enum", enum.name)
        base = self.expr(node.base, scopes)
        if base == ERROR:
            return ERROR
        if base.kind == "record":
            info = self.records.get(base.name)
            field = info.fields.get(node.name) if info else None
            if field is None:
                return self.error(f"{article(base.name)} {base.name} record has no field `{node.name}`", node.span,
                                  did_you_mean(node.name, info.fields if info else ()))
            return field.type
        if base.kind == "window":
            if node.name in ("start", "end"):
                return DATE
            return self.error(f"a time window has no `{node.name}`", node.span,
                              "a window has a `start` and an `end`")
        return self.error(f"{self.shown(node.base, base)} has no fields, so `.{node.name}` means nothing",
                          node.span)

    def x_Index(self, node, scopes, expected):
        base = self.expr(node.base, scopes)
        if base == ERROR:
            return ERROR
        if base.kind != "map":
            return self.error(f"only a table can be looked up with [...]; this is {self.shown(node.base, base)}",
                              node.span)
        key = self.expr(node.index, scopes, T("enum", base.name))
        if key not in (ERROR, T("enum", base.name)):
            self.error(f"the table is by {base.name}, but the key is {self.shown(node.index, key)}",
                       node.index.span)
        return base.value

    def x_Call(self, node, scopes, expected):
        if node.name in BUILTIN_FUNCTIONS:
            if not node.args:
                return self.error(f"`{node.name}` needs at least one date", node.span)
            for arg in node.args:
                t = self.expr(arg, scopes)
                if t not in (DATE, ERROR):
                    self.error(f"`{node.name}` takes dates, but this is {self.shown(arg, t)}", arg.span)
            return DATE
        definition = self.rs.definitions.get(node.name)
        if definition is None:
            if node.name in self.rs.parameters:
                return self.error(f"`{node.name}` is a parameter, not a definition with inputs", node.span,
                                  f"write `{node.name}` without brackets")
            return self.error(f"unknown definition `{node.name}`", node.span,
                              did_you_mean(node.name, list(self.rs.definitions) + list(BUILTIN_FUNCTIONS)))
        if len(node.args) != len(definition.params):
            wanted = ", ".join(p.name for p in definition.params) or "no inputs"
            self.error(f"`{node.name}` takes {len(definition.params)} input(s) ({wanted}), "
                       f"but {len(node.args)} are given", node.span)
        for arg, param in zip(node.args, definition.params):
            want = self.param_type(param)
            got = self.expr(arg, scopes, want)
            if ERROR not in (want, got) and want != got:
                self.error(f"input `{param.name}` of `{node.name}` must be {want.words()}, "
                           f"but this is {self.shown(arg, got)}", arg.span)
        for arg in node.args[len(definition.params):]:
            self.expr(arg, scopes)
        return self.definition_type(node.name)

    def x_ValueAsOf(self, node, scopes, expected):
        if node.name not in self.rs.parameters:
            return self.error(f"`{node.name} as of ...`: there is no parameter `{node.name}`", node.span,
                              did_you_mean(node.name, self.rs.parameters))
        t = self.expr(node.date, scopes)
        if t not in (DATE, ERROR):
            self.error(f"`as of` needs a date, but this is {self.shown(node.date, t)}", node.date.span)
        return self.parameter_types.get(node.name, ERROR)

    def x_SetLiteral(self, node, scopes, expected):
        names = [item.name for item in node.items]
        if expected is not None and expected.kind == "enum":
            enum = self.rs.enums[expected.name]
            for item in node.items:
                if item.name not in enum.values:
                    self.error(f"`{item.name}` is not a {enum.name} value", item.span,
                               did_you_mean(item.name, enum.values))
            return T("set", expected.name)
        enum = self.infer_enum(names, node.span)
        return T("set", enum) if enum else ERROR

    def x_MapLiteral(self, node, scopes, expected):
        return self.error("a table of values can only be a parameter's value", node.span,
                          "declare it with `parameter NAME = {...}`")

    def x_Unary(self, node, scopes, expected):
        if node.op == "not":
            self.condition(node.operand, scopes, "what follows `not`")
            return BOOL
        t = self.expr(node.operand, scopes)
        if t not in (NUMBER, DURATION, MONEY, PERCENT, ERROR):
            return self.error(f"cannot make {self.shown(node.operand, t)} negative", node.span)
        return t

    def x_IsTest(self, node, scopes, expected):
        t = self.expr(node.operand, scopes)
        if node.test in ("true", "false") and t not in (BOOL, ERROR):
            self.error(f"`is {node.test}` needs a yes/no value, but this is {self.shown(node.operand, t)}",
                       node.span, "use `is known` to ask whether a value is recorded")
        if t.kind in ("list", "set"):
            self.error("a list is never unknown; to ask whether it is empty write `no x in ...`", node.span)
        return BOOL

    def x_Binary(self, node, scopes, expected):
        op = node.op
        if op in ("and", "or"):
            self.condition(node.left, scopes, f"each side of `{op}`")
            self.condition(node.right, scopes, f"each side of `{op}`")
            return BOOL
        if op == "in":
            return self.membership(node, scopes)
        left = self.expr(node.left, scopes)
        right = self.expr(node.right, scopes, left if left.kind == "enum" else None)
        if ERROR in (left, right):
            return BOOL if op in ("=", "!=", "<", "<=", ">", ">=") else ERROR
        if op in ("=", "!="):
            if left != right and not ({left.kind, right.kind} <= {"number"}):
                self.error(f"cannot compare {self.shown(node.left, left)} with {self.shown(node.right, right)}",
                           node.span, _compare_hint(left, right))
            return BOOL
        if op in ("<", "<=", ">", ">="):
            if left != right:
                self.error(f"cannot compare {self.shown(node.left, left)} with {self.shown(node.right, right)}",
                           node.span, _compare_hint(left, right))
            elif left.kind not in ("number", "date", "money", "percent"):
                self.error(f"{left.words()} cannot be ordered with `{op}`", node.span,
                           "use = or != to compare these")
            return BOOL
        result = _ARITHMETIC.get((op, left.kind, right.kind))
        if result is None:
            verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[op]
            pair = {"+": ("to", True), "-": ("from", True), "*": ("by", False), "/": ("by", False)}[op]
            first, second = (node.right, right), (node.left, left)
            if not pair[1]:
                first, second = second, first
            message = (f"cannot {verb} {self.shown(first[0], first[1])} {pair[0]} "
                       f"{self.shown(second[0], second[1])}")
            return self.error(message, node.span, _arithmetic_hint(op, left, right))
        return result

    def membership(self, node, scopes) -> T:
        right = self.expr(node.right, scopes) if not isinstance(node.right, ast.SetLiteral) else None
        if right is None:
            left = self.expr(node.left, scopes)
            if left.kind == "enum":
                self.expr(node.right, scopes, left)
                return BOOL
            right = self.expr(node.right, scopes)
            if ERROR not in (left, right):
                self.error(f"`in {{...}}` needs an enum value on the left, but this is {self.shown(node.left, left)}",
                           node.span)
            return BOOL
        left = self.expr(node.left, scopes, T("enum", right.name) if right.kind == "set" else None)
        if ERROR in (left, right):
            return BOOL
        if right.kind == "set":
            if left != T("enum", right.name):
                self.error(f"cannot look for {self.shown(node.left, left)} in {self.shown(node.right, right)}",
                           node.span)
        elif right.kind == "window":
            if left != DATE:
                self.error(f"only a date can be in a time window, but this is {self.shown(node.left, left)}",
                           node.span)
        else:
            self.error(f"`in` needs a set of values or a time window on the right, but this is "
                       f"{self.shown(node.right, right)}", node.span)
        return BOOL

    def x_Quantifier(self, node, scopes, expected):
        source = self.expr(node.source, scopes)
        if source == ERROR:
            element = ERROR
        elif source.kind == "list":
            element = T("record", source.name)
        elif source.kind == "set" and node.kind in ("some", "no", "every", "count"):
            element = T("enum", source.name)
        elif source.kind == "set":
            element = self.error(f"`{node.kind}` needs a list of records; a set of values has no order",
                                 node.source.span)
        else:
            element = self.error(f"`{node.kind} {node.var} in ...` needs a list of records or a set of values, "
                                 f"but this is {self.shown(node.source, source)}", node.source.span)
        if source.kind == "list":
            info = self.records.get(source.name)
            if node.kind in ("earliest", "latest") and info and info.dated_by is None:
                self.error(f"`{node.kind}` needs records with a date: `{source.name}` has no `dated by`",
                           node.span)
            if node.within is not None and info and info.dated_by is None:
                self.error(f"`within` needs records with a date: `{source.name}` has no `dated by`", node.span)
        if node.within is not None:
            window = self.lookup(node.within.name, scopes)
            if window is None or window.type != WINDOW:
                self.error(f"`within {node.within.name}`: `{node.within.name}` is not a time window",
                           node.within.span, did_you_mean(node.within.name,
                                                          [n for s in scopes for n, v in s.items() if v.type == WINDOW])
                           or "declare one with `window NAME = after DATE for LENGTH`")
            else:
                self.refs[id(node.within)] = window
            if source.kind == "set":
                self.error("`within` applies to lists of dated records, not to sets of values", node.within.span)
        scope = {node.var: Symbol("var", node.var, element, node)}
        if node.condition is not None:
            self.condition(node.condition, scopes + [scope], f"the condition after `{ 'satisfies' if node.kind == 'every' else 'where'}`")
        if node.kind in ("some", "no", "every"):
            return BOOL
        if node.kind == "count":
            return NUMBER
        if node.kind == "each":
            return source if source.kind == "list" else ERROR
        return element

    # ---- outcomes ---------------------------------------------------------------------------
    def check_outcome(self, outcome: ast.Outcome) -> None:
        scope: dict = {}
        if outcome.domain is None:
            self.error(f"outcome `{outcome.name}` does not say its domain, stage and unit", outcome.span,
                       "add a line like `domain drugs, final, per episode e` or `domain health, final, per client`")
            self.unit_lists[outcome.name] = None
        elif outcome.unit_type == "client":
            self.unit_lists[outcome.name] = None
            if outcome.frequency[0] == "client":
                self.error("`earned ... per client` only matters for outcomes counted per record",
                           outcome.span, "an outcome per client is already earned at most once")
        else:
            record = outcome.unit_type
            lists = getattr(self, "lists_by_record", {}).get(record, [])
            if record not in self.records:
                self.error(f"`per {record} {outcome.unit_var}`: there is no record `{record}`", outcome.span,
                           did_you_mean(record, self.records))
            elif len(lists) != 1:
                self.error(f"`per {record}`: the client record must have exactly one list of {record} records "
                           f"(it has {len(lists)})", outcome.span)
            elif "id" not in self.records[record].fields:
                self.error(f"`per {record}`: a {record} record needs an `id` field to name the unit",
                           outcome.span)
            self.unit_lists[outcome.name] = lists[0] if len(lists) == 1 else None
            scope[outcome.unit_var] = Symbol("unit", outcome.unit_var, T("record", record), outcome)
        scopes = [scope]
        decided = None
        for statement in outcome.statements:
            if decided is not None:
                self.error("this can never apply: the `otherwise pending` above already decides every case "
                           "left", statement.span, f"move it above line {decided.span.line}")
                decided = None  # report once
            if isinstance(statement, ast.Let):
                self.bind(scopes, statement.name, statement.span,
                          Symbol("let", statement.name, self.expr(statement.expr, scopes), statement))
            elif isinstance(statement, ast.WindowStmt):
                self.check_window(statement, scopes)
                self.bind(scopes, statement.name, statement.span,
                          Symbol("window", statement.name, WINDOW, statement))
            else:
                self.check_rule(statement, scopes)
                if statement.kind == "otherwise_pending":
                    decided = statement

    def bind(self, scopes, name: str, span: Span, symbol: Symbol) -> None:
        existing = self.lookup(name, scopes)
        if existing is not None and existing.kind in ("let", "window", "unit"):
            self.error(f"`{name}` is already named in this outcome", span, "choose another name")
        scopes[-1][name] = symbol

    def check_window(self, statement: ast.WindowStmt, scopes) -> None:
        anchor = self.expr(statement.anchor, scopes)
        if anchor not in (DATE, ERROR):
            self.error(f"a window starts from a date, but this is {self.shown(statement.anchor, anchor)}",
                       statement.anchor.span)
        if statement.length is not None:
            t = self.expr(statement.length, scopes)
            if t not in (DURATION, ERROR):
                self.error(f"a window's length must be a length of time, like `12 months`, but this is "
                           f"{self.shown(statement.length, t)}", statement.length.span)
        else:
            t = self.expr(statement.until, scopes)
            if t not in (DATE, ERROR):
                self.error(f"`until` needs a date, but this is {self.shown(statement.until, t)}",
                           statement.until.span)
        restart = statement.restart
        if restart is not None:
            if statement.length is None:
                self.error("a window that restarts needs a length (`for 6 months`), not an end date",
                           restart.span)
            source = self.expr(restart.source, scopes)
            if source != ERROR and (source.kind != "list" or self.records[source.name].dated_by is None):
                self.error(f"a window restarts after dated records, but this is {self.shown(restart.source, source)}",
                           restart.source.span)
            element = T("record", source.name) if source.kind == "list" else ERROR
            if restart.condition is not None:
                self.condition(restart.condition, scopes + [{restart.var: Symbol("var", restart.var, element)}],
                               "the condition after `where`")
            times = self.expr(restart.max_times, scopes)
            if times not in (NUMBER, ERROR):
                self.error(f"`at most ... times` needs a number, but this is {self.shown(restart.max_times, times)}",
                           restart.max_times.span)

    def check_rule(self, rule: ast.Rule, scopes) -> None:
        if rule.when is not None:
            self.condition(rule.when, scopes, "a rule's `when`")
        if rule.at is not None:
            t = self.expr(rule.at, scopes)
            if t not in (DATE, ERROR):
                word = "until" if rule.kind in ("pending", "otherwise_pending") else "at"
                self.error(f"`{word}` needs a date, but this is {self.shown(rule.at, t)}", rule.at.span,
                           "a length of time must be added to a date, like `e.end + 12 months`"
                           if t == DURATION else None)
        for template in rule.reasons:
            for part in template.parts:
                if not isinstance(part, str):
                    t = self.expr(part, scopes)
                    if t.kind in ("list",):
                        self.error(f"a reason cannot show {self.shown(part, t)}", part.span,
                                   "show one record's field instead")

    # ---- examples ---------------------------------------------------------------------------
    def check_examples(self) -> None:
        titles = {}
        for example in self.rs.examples:
            if example.title in titles:
                self.error(f'two examples are called "{example.title}"', example.span)
            titles[example.title] = example
            if example.client_file is not None:
                path = Path(example.span.file).parent / example.client_file
                if not path.is_file():
                    self.error(f"example client file `{example.client_file}` not found next to the ruleset",
                               example.span, f"looked for {path}")
            for expectation in example.expectations:
                if expectation.outcome not in self.rs.outcomes:
                    self.error(f"example names an unknown outcome `{expectation.outcome}`",
                               expectation.outcome_span,
                               did_you_mean(expectation.outcome, self.rs.outcomes))


_ARITHMETIC = {
    ("+", "number", "number"): NUMBER, ("-", "number", "number"): NUMBER,
    ("*", "number", "number"): NUMBER, ("/", "number", "number"): NUMBER,
    ("+", "date", "duration"): DATE, ("-", "date", "duration"): DATE,
    ("+", "duration", "date"): DATE,
    ("-", "date", "date"): NUMBER,
    ("+", "duration", "duration"): DURATION, ("-", "duration", "duration"): DURATION,
    ("*", "duration", "number"): DURATION, ("*", "number", "duration"): DURATION,
    ("+", "money", "money"): MONEY, ("-", "money", "money"): MONEY,
    ("*", "money", "number"): MONEY, ("*", "number", "money"): MONEY, ("/", "money", "number"): MONEY,
    ("*", "money", "percent"): MONEY, ("*", "percent", "money"): MONEY,
    ("*", "number", "percent"): NUMBER, ("*", "percent", "number"): NUMBER,
    ("+", "percent", "percent"): PERCENT, ("-", "percent", "percent"): PERCENT,
}


def _compare_hint(left: T, right: T) -> str | None:
    kinds = {left.kind, right.kind}
    if kinds == {"date", "number"}:
        return "to count days between dates subtract them (`d2 - d1 > 30`); to move a date add a length (`d + 30 days`)"
    if kinds == {"date", "duration"}:
        return "add the length to a date first, like `e.end + 12 months`"
    if kinds == {"number", "duration"}:
        return "give the number a unit, like `6 months`"
    if left.kind == "enum" and right.kind == "enum":
        return f"a {left.name} value can only be compared with another {left.name} value"
    return None


def _arithmetic_hint(op: str, left: T, right: T) -> str | None:
    kinds = {left.kind, right.kind}
    if kinds == {"duration", "number"} and op in "+-":
        return "give the number a unit, like `6 months + 3 months`"
    if kinds == {"date", "number"} and op in "+-":
        return "say what the number counts, like `e.end + 28 days`"
    if kinds == {"date"} and op == "+":
        return "two dates cannot be added; subtract them to count the days between"
    return None
