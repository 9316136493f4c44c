"""The fast path of reading JSON Lines: decode and validate a line in one step with msgspec.

For each record type of a ruleset's schema a msgspec Struct type is made at load time (every
field optional, unknown fields forbidden, enums as literals, counts with their range, dates as
dates), so that a valid line is decoded and checked in C. What the Struct types cannot say in
the same words as ``data.ClientReader`` (a number that is not whole, a map of decimals, ...) is
left as decoded and passed to that reader's own converter for the field.

The fast path only ever accepts: when anything about a line is not plainly valid (a JSON or
type error, a required field missing, two records with one id, dates out of order, a converter
reporting a problem), ``read`` returns None and the line goes to the slow path, which decides and
words every problem. Both paths give equal clients for a valid line and the slow path gives every
error, which ``tests/test_fast_reader.py`` holds over generated records, valid and broken.

Without msgspec (it is an ordinary dependency, but the library runs without it) ``FastReader.for_schema``
returns None and every line takes the slow path.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional

try:
    import msgspec
except ImportError:  # the slow path reads everything
    msgspec = None

from .data import ClientReader, date_ordered
from .schema import FieldInfo, Scalar, Schema


class NotPlainlyValid(Exception):
    """Raised inside the fast path: leave this line to the slow path."""


class FastReader:
    """Decodes and validates one JSON Lines line into the normalised client the slow path gives."""

    def __init__(self, schema: Schema, reader: ClientReader):
        self._reader = reader
        self._enums = schema.enums
        self._records = schema.records
        self._structs: dict = {}
        self._plans: dict = {}
        for name in self._records:
            self._struct(name)
        self._decode = msgspec.json.Decoder(self._structs["client"], float_hook=Decimal).decode
        self._errors = (msgspec.DecodeError, msgspec.ValidationError, NotPlainlyValid, ValueError, TypeError,
                        RecursionError, OverflowError)

    @classmethod
    def for_schema(cls, schema: Schema, reader: ClientReader) -> Optional["FastReader"]:
        """The fast path for a schema; None (every record takes the Python reader) without msgspec,
        or for a schema msgspec cannot express (a field named like `__note`, say)."""
        if msgspec is None:
            return None
        try:
            return cls(schema, reader)
        except (TypeError, ValueError, RuntimeError):
            return None

    def read(self, line) -> dict | None:
        """The normalised client of a line (bytes or str), or None to leave the line to the slow path."""
        try:
            return self._convert(self._decode(line), "client")
        except self._errors:
            return None

    def read_record(self, record: dict) -> dict | None:
        """The same for a client already decoded into JSON's kinds of value only (texts, ints,
        Decimals, true/false, None, lists and dicts, as a CSV extract's rows give), or None to leave
        it to the slow path. Not for other values: msgspec.convert takes a tuple for a list or a
        date for a date's text, which the slow path refuses."""
        try:
            return self._convert(msgspec.convert(record, self._structs["client"]), "client")
        except self._errors:
            return None

    # ---- the Struct types -----------------------------------------------------------------------
    def _struct(self, record_name: str):
        struct = self._structs.get(record_name)
        if struct is not None:
            return struct
        info = self._records[record_name]
        fields, empties, by_converter, lists = [], [], [], []
        converters = {name: convert for name, convert, _, _ in self._reader._plan(record_name)[2]}
        for name, field in info.fields.items():
            kind = self._type(field)
            if kind is None:  # the slow path's converter reads it
                kind = Any
                by_converter.append((name, converters[name]))
            if not field.optional and field.scalar.empty is None:
                fields.append((name, kind))  # absent or null: a msgspec error, so the slow path
            else:
                fields.append((name, Optional[kind], None))
            if field.scalar.empty is not None:
                empties.append((name, type(field.scalar.empty)))
            if field.scalar is Scalar.LIST:
                lists.append((name, field.of))
        # kw_only: fields keep the declaration order, required or not
        struct = msgspec.defstruct(f"{record_name}_record", fields, kw_only=True, forbid_unknown_fields=True)
        self._structs[record_name] = struct
        order = [(name, f.not_before) for name, f in info.fields.items() if f.not_before]
        # nothing to do but take the fields as decoded (most record types)
        as_decoded = not (empties or by_converter or lists or order)
        self._plans[record_name] = (tuple(empties), tuple(by_converter), tuple(lists), tuple(order), info,
                                    as_decoded)
        return struct

    def _type(self, field: FieldInfo):
        """The msgspec type that accepts exactly the plainly valid values of a field, or None when
        the field is left to its converter."""
        scalar = field.scalar
        if scalar is Scalar.DATE:
            return datetime.date
        if scalar is Scalar.TEXT:
            return str
        if scalar is Scalar.BOOL:
            return bool
        if scalar is Scalar.ENUM:
            return Literal[tuple(self._enums[field.of])]
        if scalar is Scalar.SET:
            return frozenset[Literal[tuple(self._enums[field.of])]]
        if scalar is Scalar.LIST:
            return list[self._struct(field.of)]
        if scalar.whole:
            return _whole(field.low, field.high)
        if scalar is Scalar.MAP and field.value_scalar is not None and field.value_scalar.whole:
            values = _whole(field.low, field.high)
            return None if values is None else dict[Literal[tuple(self._enums[field.of])], values]
        return None  # numbers (int or Decimal, as decoded), maps of numbers

    # ---- from Structs to the normalised dicts ---------------------------------------------------
    def _convert(self, struct, record_name: str) -> dict:
        empties, by_converter, lists, order, _, _ = self._plans[record_name]
        record = _asdict(struct)
        for name, empty in empties:
            if record[name] is None:
                record[name] = empty()
        for name, convert in by_converter:
            value = record[name]
            if value is not None:
                record[name] = convert(value, "$", name, _refuse)
        for name, item_record in lists:
            record[name] = self._items(record[name], item_record)
        for name, earlier in order:
            later, bound = record[name], record[earlier]
            if later is not None and bound is not None and later < bound:
                raise NotPlainlyValid
        return record

    def _items(self, structs: list, record_name: str) -> list:
        if not structs:
            return []
        _, _, _, _, info, as_decoded = self._plans[record_name]
        items = [_asdict(struct) for struct in structs] if as_decoded else \
            [self._convert(struct, record_name) for struct in structs]
        has_id = "id" in info.fields
        if has_id:
            ids = [item["id"] for item in items if item["id"] is not None]
            if len(set(ids)) != len(ids):
                raise NotPlainlyValid
        return date_ordered(items, info.dated_by, has_id)


_asdict = msgspec.structs.asdict if msgspec is not None else None


def _refuse(path, message) -> None:
    raise NotPlainlyValid


INT64 = range(-2**63, 2**63)  # what msgspec can check a whole number against


def _whole(low, high):
    """int within the field's range, when the range is whole numbers msgspec can check (else
    None: the field's converter reads it)."""
    bounds = {}
    for key, bound in (("ge", low), ("le", high)):
        if bound is not None:
            if bound != int(bound) or int(bound) not in INT64:
                return None
            bounds[key] = int(bound)
    return Annotated[int, msgspec.Meta(**bounds)] if bounds else int
