"""Check the schema: enums, records and their fields, the client record and its lists, lags.

What it finds becomes the ruleset's ``Schema`` (``pbr_rules.schema``), which the record
validators, the CSV reader and the documentation read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import tree
from ..errors import Code
from ..schema import FieldInfo, RecordInfo, Schema
from ..tree import Scalar
from ..words import did_you_mean
from .types import DATE, DURATION, ERROR, T, of_field

if TYPE_CHECKING:
    from .checker import Checker

# the kinds written as a plain word (the others name an enum or record)
_TYPE_NAMES = [s.value for s in Scalar if s not in (Scalar.ENUM, Scalar.SET, Scalar.LIST, Scalar.MAP)]


class RecordChecker:
    def __init__(self, checker: "Checker"):
        self.ctx = checker
        self.records: dict[str, RecordInfo] = {}
        self.field_types: dict[str, dict[str, T]] = {}  # record -> field -> its type (ERROR if bad)
        self.lists: dict[str, str] = {}
        self.lists_by_record: dict[str, list[str]] = {}

    def error(self, code: Code, message: str, span, hint: str | None = None) -> T:
        return self.ctx.error(code, message, span, hint)

    # ---- one record ---------------------------------------------------------------------------
    def add(self, record: tree.RecordDecl) -> None:
        fields, types = {}, {}
        for field in record.fields:
            if field.name in fields:
                self.error(Code.DUPLICATE_NAME, f"record `{record.name}` has two fields called `{field.name}`",
                           field.span)
                continue
            t = self.field_type(field.type)
            if field.type.kind is Scalar.LIST and record.name != "client":
                self.error(Code.BAD_FIELD, "lists of records belong on the client record", field.span,
                           f"move `{field.name}` to `record client`")
            ranged = field.type.value_type if field.type.kind is Scalar.MAP and field.type.value_type else field.type
            if ranged.low is not None and ranged.high is not None and ranged.low > ranged.high:
                self.error(Code.BAD_FIELD, f"the range {ranged.low}..{ranged.high} is empty", ranged.span)
            fields[field.name] = FieldInfo(
                field.name, field.type.kind, field.optional, field.type.name, ranged.low, ranged.high,
                ranged.kind if field.type.kind is Scalar.MAP else None, field.known_from, field.not_before)
            types[field.name] = t
        self.records[record.name] = RecordInfo(record.name, fields, record.dated_by, record.lagging_by, record.doc)
        self.field_types[record.name] = types

    def field_type(self, type_expr: tree.TypeExpr) -> T:
        kind, name = type_expr.kind, type_expr.name
        enums, records = self.ctx.enums, self.ctx.resolved.records
        if kind in (Scalar.SET, Scalar.MAP) and name not in enums:
            return self.error(Code.UNKNOWN_TYPE, f"`{kind} of {name}`: there is no enum `{name}`", type_expr.span,
                              did_you_mean(name, enums))
        if kind is Scalar.LIST and name not in records:
            return self.error(Code.UNKNOWN_TYPE, f"`list of {name}`: there is no record `{name}`", type_expr.span,
                              did_you_mean(name, records))
        if kind is Scalar.MAP:
            value = self.field_type(type_expr.value_type)
            if value.kind not in ("number", "error"):
                self.error(Code.BAD_FIELD, "a map's values must be numbers", type_expr.value_type.span)
        if kind is Scalar.ENUM and name not in enums:
            if name in records:
                return self.error(Code.BAD_FIELD, f"a field cannot hold a single `{name}` record", type_expr.span,
                                  f"write `list of {name}`")
            return self.error(Code.UNKNOWN_TYPE, f"unknown type `{name}`", type_expr.span,
                              did_you_mean(name, list(enums) + _TYPE_NAMES)
                              or "types are date, number, count, score, text, yes/no, an enum, `set of`, `list of`, `map of`")
        return of_field(kind, name)

    # ---- the records together ---------------------------------------------------------------------
    def finish(self) -> None:
        """What needs every record: dates, the client record and its lists."""
        for record in self.ctx.resolved.records.values():
            self.check_dates(record)
        client = self.records.get("client")
        if client is None:
            self.error(Code.NO_CLIENT_RECORD, "a ruleset needs a `record client`: the record of one person, holding "
                       "the lists of their records", self.ctx.resolved.header.span,
                       "declare `record client` with at least `id: text`")
            return
        id_field = client.fields.get("id")
        if id_field is None or id_field.scalar is not Scalar.TEXT or id_field.optional:
            self.error(Code.NO_CLIENT_RECORD, "`record client` needs a required field `id: text`",
                       self.ctx.resolved.records["client"].span)
        for field in client.fields.values():
            if field.scalar is Scalar.LIST and self.field_types["client"][field.name] != ERROR:
                self.lists[field.name] = field.of
                self.lists_by_record.setdefault(field.of, []).append(field.name)

    def check_dates(self, record: tree.RecordDecl) -> None:
        info = self.records[record.name]
        if record.dated_by is not None:
            self.require_date_field(info, record.dated_by, record.span, "dated by")
            field = info.fields.get(record.dated_by)
            if field is not None and field.optional:
                self.error(Code.BAD_DATE_FIELD, f"`{record.name}` is dated by `{record.dated_by}`, so that field "
                           "cannot be optional", record.span)
        if record.lagging_by is not None:
            if record.dated_by is None:
                self.error(Code.BAD_LAG, f"`{record.name}` lags, so it needs a date: add `dated by FIELD`", record.span)
            if record.lagging_by not in self.ctx.resolved.parameters:
                self.error(Code.BAD_LAG, f"`lagging by {record.lagging_by}`: there is no parameter "
                           f"`{record.lagging_by}`", record.span,
                           did_you_mean(record.lagging_by, self.ctx.resolved.parameters))
        for field in record.fields:
            if field.known_from:
                self.require_date_field(info, field.known_from, field.span, "known from")
            if field.not_before:
                self.require_date_field(info, field.not_before, field.span, "not before")

    def require_date_field(self, info: RecordInfo, name: str, span, what: str) -> None:
        t = self.field_types[info.name].get(name)
        if t is None:
            dates = [field for field, t in self.field_types[info.name].items() if t == DATE]
            self.error(Code.BAD_DATE_FIELD, f"`{what} {name}`: record `{info.name}` has no field `{name}`", span,
                       did_you_mean(name, info.fields)
                       or (f"its date fields are: {', '.join(dates)}" if dates else f"add `{name}: date` to it"))
        elif t != DATE:
            self.error(Code.BAD_DATE_FIELD, f"`{what} {name}`: `{name}` is {t.words()}, not a date", span)

    def check_lags(self) -> None:
        """Once the parameters are known: each lag is one length of time."""
        for record in self.ctx.resolved.records.values():
            parameter = self.ctx.parameters.get(record.lagging_by) if record.lagging_by else None
            if parameter is None:
                continue
            if parameter.type not in (DURATION, ERROR):
                self.error(Code.BAD_LAG, f"`lagging by {record.lagging_by}` needs a length of time, but it is "
                           f"{parameter.type.words()}", record.span)
            if len(parameter.values) > 1:
                self.error(Code.BAD_LAG, f"a lag cannot change with the date: `{record.lagging_by}` has dated values",
                           record.span)

    def schema(self) -> Schema:
        lags = {}
        for name, info in self.records.items():
            parameter = self.ctx.parameters.get(info.lagging_by) if info.lagging_by else None
            if parameter is not None and parameter.values:
                lag = parameter.values[-1][1]
                if lag and (lag.months or lag.days):
                    lags[name] = lag
        enums = {name: enum.values for name, enum in self.ctx.enums.items()}
        return Schema(self.records, enums, self.lists, lags)
