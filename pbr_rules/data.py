"""Client records in: validation against the ruleset's schema, normalisation, as-of views.

A client that breaks the schema is reported with its id, the JSON path of every problem and its
line, and set aside whole; nothing is dropped silently. A valid client becomes a plain dict with
every declared field present (None when absent), dates as ``datetime.date``, decimals as
``Decimal``, sets as frozensets, and its record lists sorted by date (ties keep input order).
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from decimal import Decimal
from typing import Iterable, Iterator, Optional

import attrs

from .dates import ISO_DATE, add_duration, parse_iso_date
from .errors import DataError
from .schema import FieldInfo, RecordInfo, Scalar, Schema
from .words import article


TOO_LARGE = Decimal("1e30")  # numbers in records are counts, scores and amounts: far below this

# how a value of each field kind is read and checked: a ClientReader method per kind
CONVERTERS = {Scalar.DATE: "_date_converter", Scalar.NUMBER: "_numeric_converter",
              Scalar.COUNT: "_numeric_converter", Scalar.SCORE: "_numeric_converter",
              Scalar.TEXT: "_text_converter", Scalar.BOOL: "_bool_converter", Scalar.ENUM: "_enum_converter",
              Scalar.SET: "_set_converter", Scalar.MAP: "_map_converter", Scalar.LIST: "_list_converter"}



_SURROGATE = re.compile("[\ud800-\udfff]")

_DATE_VERBS = {"date": "is dated", "start": "starts on", "end": "ends on"}


@attrs.frozen(slots=True)
class Unseen:
    """A record, or one date in a record, that a client's view as of a date hides: it comes later."""

    record: str                       # the record's type (`client` for the client's own dates)
    record_id: Optional[str]
    field: str                        # the date that lies after the as-of date (with the lag, if any)
    day: datetime.date
    whole: bool                       # the record does not exist yet; else only this date is unknown
    lag: object = None                # the record type's lag (a Duration), if it lags
    hidden_with: tuple = ()           # fields known from this date, hidden with it

    @property
    def words(self) -> str:
        """`episode E3 starts on 2014-02-01, after the as-of date: not counted`"""
        noun = self.record.replace("_", " ")
        if self.record == "client":
            who = "the client"
        else:
            who = f"{noun} {self.record_id}" if self.record_id else f"{article(noun)} {noun}"
        when = f"{_DATE_VERBS.get(self.field, 'has ' + self.field.replace('_', ' '))} {self.day}"
        after = (f"which with the {noun} lag of {self.lag} is after the as-of date" if self.lag
                 else "after the as-of date")
        if self.whole:
            return f"{who} {when}, {after}: not counted"
        nor = f" (nor its {', '.join(self.hidden_with)})" if self.hidden_with else ""
        return f"{who} {when}, {after}: its {self.field.replace('_', ' ')} is not known yet{nor}"


class DateOrdered(list):
    """A list of records sorted by date that came in another order: ``input_index`` maps each
    record's id to its place as sent (a payment cap admits units in input order)."""

    __slots__ = ("input_index",)

def date_ordered(items: list, key: str | None, has_id: bool) -> list:
    """A list of records sorted by their date ``key`` when every one has it (stable: same-day
    records keep input order); a DateOrdered remembers the input order when it changed."""
    if key and len(items) > 1 and all(item[key] is not None for item in items):
        ordered = sorted(items, key=lambda item: item[key])
        if has_id and any(a is not b for a, b in zip(ordered, items)):
            ordered = DateOrdered(ordered)
            ordered.input_index = {item["id"]: i for i, item in enumerate(items)}
        return ordered
    return items


class SeenIds:
    """The client ids met so far in one input: a second client with an id already met is set
    aside (the one place this rule lives, for JSON Lines and CSV extracts alike)."""

    def __init__(self):
        self.first_line: dict[str, int | None] = {}

    def duplicate(self, client_id: str, line: int | None, source: str | None) -> DataError | None:
        """The error for a repeated id; otherwise None, and the id is remembered."""
        first = self.first_line.get(client_id)
        if client_id in self.first_line:
            return DataError(f"duplicate client id {client_id} (first on line {first})", client=client_id,
                             path="$.id", line_number=line, source=source)
        self.first_line[client_id] = line
        return None


_DECODER = json.JSONDecoder(parse_float=Decimal)  # json.loads would build one per line


class _NoDuplicateCheck:
    @staticmethod
    def duplicate(client_id, line, source) -> None:
        return None


_NO_CHECK = _NoDuplicateCheck()


def json_records(lines: Iterable, source: str = "<data>") -> Iterator[tuple]:
    """``(line number, record, None)`` or ``(line number, None, DataError)`` for each non-blank
    line of JSON Lines (str, or bytes in UTF-8), before any schema is applied."""
    for number, line in enumerate(lines, 1):
        found = json_record(number, line, source)
        if found is not None:
            yield found


def without_bom(line):
    if type(line) is bytes:
        return line[3:] if line.startswith(b"\xef\xbb\xbf") else line
    return line[1:] if line.startswith("\ufeff") else line


def json_record(number: int, line, source: str) -> tuple | None:
    """``(number, record, None)`` or ``(number, None, DataError)`` for one line; None if blank."""
    if type(line) is bytes:
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as error:
            return number, None, DataError(f"not UTF-8 text: byte 0x{line[error.start]:02x} at column "
                                           f"{error.start + 1}", line_number=number, source=source)
    if not line.strip():
        return None
    try:
        return number, _DECODER.decode(line), None
    except (ValueError, RecursionError) as error:  # past Python's limits: too long a number, too deep
        if not isinstance(error, json.JSONDecodeError):
            why = ("nested too deeply" if isinstance(error, RecursionError)
                   else "a number too long to read (Python reads at most 4,300 digits)")
            return number, None, DataError(f"not valid JSON here: {why}", line_number=number, source=source)
        try:  # json.loads words a byte order mark as such: the shared decoder would not
            json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            if "\r" in line.rstrip("\r\n"):  # records kept apart by CR alone read as one line
                return number, None, DataError(
                    "not valid JSON: this line holds carriage returns (CR) that are not line ends, so it may "
                    "hold many records: save the file with LF (or CRLF) line ends, one client a line",
                    line_number=number, source=source)
            return number, None, DataError(f"not valid JSON: {error.msg} (column {error.colno})",
                                           line_number=number, source=source)
        raise


class ClientReader:
    """Validates and normalises client records for one ruleset's schema."""

    # the fast paths (``fast_reader``): the normalised client of a line, or of a record decoded
    # already, or None to read it here
    fast_read = None
    fast_read_record = None

    def __init__(self, schema: Schema):
        self.records: dict[str, RecordInfo] = schema.records
        self.enums = {name: frozenset(values) for name, values in schema.enums.items()}
        self.enum_order = schema.enums
        self.lists = schema.lists  # client list field -> record type
        self.lags = dict(schema.lags)
        self._view_plans = {name: self._view_plan(info) for name, info in self.records.items()}
        self._plans: dict = {}
        # compiled validators are kept with the schema: every reader of it shares them
        self._validators: dict = schema.compiled
        self._client_dates = bool(self._view_plans["client"][0])
        self._list_plans = [(field, record, self.records[record].dated_by, self.lags.get(record),
                             bool(self._view_plans[record][0])) for field, record in self.lists.items()]

    # ---- reading ----------------------------------------------------------------------------
    def read_jsonl(self, lines: Iterable, source: str = "<data>", check_duplicates: bool = True,
                   at_start: bool = True) -> Iterator:
        """Yield ``(line_number, client, None)`` or ``(line_number, None, [DataError, ...])``
        for each non-blank line, in order. Lines are str, or bytes in UTF-8 (a line that is not
        UTF-8 is reported and set aside, and the others still read). A client whose id an earlier
        one has is set aside, unless ``check_duplicates`` is off (``jobs`` checks across chunks). A
        byte order mark before the first line is skipped (``at_start``: the lines open the file)."""
        seen = SeenIds() if check_duplicates else _NO_CHECK
        fast = self.fast_read
        for number, line in enumerate(lines, 1):
            if number == 1 and at_start:  # a byte order mark opens the file, not its first record
                line = without_bom(line)
            client = fast(line) if fast is not None else None
            if client is not None:
                duplicate = seen.duplicate(client["id"], number, source)
                yield (number, None, [duplicate]) if duplicate is not None else (number, client, None)
                continue
            found = json_record(number, line, source)
            if found is None:  # a blank line
                continue
            _, obj, problem = found
            if problem is not None:
                yield number, None, [problem]
                continue
            client, errors = self.normalise(obj, line_number=number, source=source)
            if client is not None:
                duplicate = seen.duplicate(client["id"], number, source)
                if duplicate is not None:
                    client, errors = None, [duplicate]
            yield number, client, errors or None

    def normalise(self, obj, line_number: int | None = None, source: str | None = None):
        """(client, []) for a valid record, (None, [DataError, ...]) otherwise."""
        errors: list[DataError] = []
        client_id = obj.get("id") if isinstance(obj, dict) else None
        client_id = client_id if isinstance(client_id, str) else None

        def report(path: str, message: str) -> None:
            errors.append(DataError(message, client=client_id, path=path, line_number=line_number,
                                    source=source))

        if not isinstance(obj, dict):
            report("$", "a client must be a JSON object")
            return None, errors
        client = self._record(obj, "client", "$", report)
        return (client, []) if not errors else (None, errors)

    # ---- validation plans: one converter per field, chosen once per ruleset ---------------------
    def _plan(self, record_name: str):
        plan = self._plans.get(record_name)
        if plan is None:
            info = self.records[record_name]
            fields = []
            for name, field in info.fields.items():
                absent = field.scalar.empty  # lists, sets and maps are empty when absent
                fields.append((name, self._converter(field), None if absent is None else type(absent),
                               not field.optional))
            order_checks = [(name, f.not_before) for name, f in info.fields.items() if f.not_before]
            plan = self._plans[record_name] = (info, frozenset(info.fields), fields, order_checks)
        return plan

    def _converter(self, field: FieldInfo):
        """A function (value, path, name, report) -> normalised value, or None after reporting.
        Paths are only built when something is wrong."""
        return getattr(self, CONVERTERS[field.scalar])(field)

    @staticmethod
    def _date_converter(field: FieldInfo):
        def convert(value, path, name, report):
            try:
                return parse_iso_date(value)
            except ValueError as error:
                report(f"{path}.{name}", str(error))
        return convert

    def _numeric_converter(self, field: FieldInfo):
        return self._number_converter(field.scalar, field.low, field.high)

    @staticmethod
    def _text_converter(field: FieldInfo):
        def convert(value, path, name, report):
            if type(value) is str:
                surrogate = _SURROGATE.search(value)
                if surrogate is None:
                    return value
                report(f"{path}.{name}", f"this text holds \\u{ord(surrogate.group()):04x}, half of a character "
                                         "that is not there (a lone surrogate): it cannot be written out")
                return None
            report(f"{path}.{name}", f"expected a text, got {_json_kind(value)}")
        return convert

    @staticmethod
    def _bool_converter(field: FieldInfo):
        def convert(value, path, name, report):
            if value is True or value is False:
                return value
            report(f"{path}.{name}", f"expected true or false, got {_json_kind(value)}")
        return convert

    def _enum_converter(self, field: FieldInfo):
        enum = field.of

        def convert(value, path, name, report):
            return self._enum(value, enum, f"{path}.{name}", report)
        return convert

    def _set_converter(self, field: FieldInfo):
        enum = field.of
        values = self.enums[enum]

        def convert(value, path, name, report):
            if not isinstance(value, list):
                report(f"{path}.{name}", f"expected a list of {enum} values, got {_json_kind(value)}")
                return frozenset()
            if all(type(v) is str and v in values for v in value):
                return frozenset(value)
            return frozenset(v for i, v in enumerate(value)
                             if self._enum(v, enum, f"{path}.{name}[{i}]", report) is not None)
        return convert

    def _map_converter(self, field: FieldInfo):
        enum = field.of
        keys = self.enums[enum]
        value_convert = self._number_converter(field.value_scalar or Scalar.NUMBER, field.low, field.high)

        def convert(value, path, name, report):
            if not isinstance(value, dict):
                report(f"{path}.{name}", f"expected an object of numbers by {enum}, got {_json_kind(value)}")
                return {}
            table = {}
            for key, item in value.items():
                if key in keys or self._enum(key, enum, f"{path}.{name}.{key}", report) is not None:
                    table[key] = value_convert(item, f"{path}.{name}", key, report)
            return table
        return convert

    def _list_converter(self, field: FieldInfo):
        record_name = field.of

        def convert(value, path, name, report):
            return self._list(value, record_name, f"{path}.{name}", report)
        return convert

    @staticmethod
    def _number_converter(scalar: Scalar, low, high):
        whole = scalar.whole

        def convert(value, path, name, report):
            kind = type(value)
            if kind is not int and kind is not Decimal:
                report(f"{path}.{name}", f"expected a number, got {_json_kind(value)}")
                return None
            if kind is Decimal and not value.is_finite():
                report(f"{path}.{name}", f"expected a number, got {value}")
                return None
            if not -TOO_LARGE < value < TOO_LARGE:  # before any arithmetic: 1e999999999 would not end
                report(f"{path}.{name}", "the number is too large: no count or measure has more than 30 digits")
                return None
            if whole and kind is Decimal:
                if value != value.to_integral_value():
                    report(f"{path}.{name}", f"expected a whole number, got {value}")
                    return None
                value = int(value)
            if (low is not None and value < low) or (high is not None and value > high):
                report(f"{path}.{name}", f"{value} is outside the range {low}..{high}")
                return None
            return value
        return convert

    def _record(self, obj: dict, record_name: str, path: str, report) -> dict:
        validator = self._validators.get(record_name)
        if validator is None:
            validator = self._validators[record_name] = self._compile_validator(record_name)
        return validator(obj, path, report)

    def _compile_validator(self, record_name: str):
        """Straight-line Python for one record type: the common, valid case inline (type checks,
        ranges, dates); every problem is handed to the field's converter, which words it. Like
        the rules compiler, no value from the ruleset is put into the code: field names are
        identifiers the grammar checked, and everything else is a constant."""
        info, names, fields, order_checks = self._plan(record_name)
        constants: list = [names]
        lines = ["def validate(obj, path, report):",
                 "    if not K[0].issuperset(obj):",
                 "        unknown(obj, path, report)",
                 "    g = obj.get"]
        out = []

        def const(value) -> str:
            constants.append(value)
            return f"K[{len(constants) - 1}]"

        for index, (name, convert, absent, required) in enumerate(fields):
            var, key = f"x{index}", repr(name)
            lines += self._field_code(info.fields[name], var, key, const(convert), absent, required, const)
            out.append(f"{key}: {var}")
        field_names = list(info.fields)
        for name, earlier in order_checks:
            later_var, earlier_var = f"x{field_names.index(name)}", f"x{field_names.index(earlier)}"
            lines.append(f"    if {later_var} is not None and {earlier_var} is not None and {later_var} < {earlier_var}:")
            lines.append(f"        out_of_order(path, {repr(name)}, {later_var}, {repr(earlier)}, {earlier_var}, report)")
        lines.append("    return {" + ", ".join(out) + "}")
        return self._exec_validator(record_name, info, names, lines, constants)

    def _field_code(self, field: FieldInfo, var: str, key: str, slow: str, absent, required: bool, const) -> list:
        """The lines that read one field into ``var``: absent, the valid case inline, else ``slow``."""
        lines = [f"    v = g({key})", "    if v is None:"]
        if absent is not None:
            lines.append(f"        {var} = {absent.__name__}()")
        else:
            if required:
                lines.append(f"        missing(path, {key}, report)")
            lines.append(f"        {var} = None")
        if field.scalar is Scalar.DATE:
            lines += ["    elif type(v) is str and ISO(v):",
                      "        try:",
                      f"            {var} = DATE(v)",
                      "        except ValueError:",
                      f"            {var} = {slow}(v, path, {key}, report)"]
        else:
            fast = self._valid_case(field, const)
            if fast is not None:
                test, value = fast
                lines += [f"    elif {test}:", f"        {var} = {value}"]
        return lines + ["    else:", f"        {var} = {slow}(v, path, {key}, report)"]

    def _valid_case(self, field: FieldInfo, const):
        """(test, value) for the valid case of a field's kind, checked inline; None to leave
        every value to the converter."""
        scalar = field.scalar
        if scalar.whole or (scalar is Scalar.NUMBER and field.ranged):
            low = "" if field.low is None else f" and {const(field.low)} <= v"
            high = "" if field.high is None else f" and v <= {const(field.high)}"
            exact = "type(v) is int" if scalar.whole else "(type(v) is int or type(v) is Decimal)"
            return f"{exact}{low}{high}", "v"
        if scalar is Scalar.NUMBER:
            return "type(v) is int or type(v) is Decimal", "v"
        if scalar is Scalar.TEXT:  # lone surrogates (JSON's "\ud800") are left to the converter
            return "type(v) is str and (v.isascii() or not SURROGATE(v))", "v"
        if scalar is Scalar.BOOL:
            return "v is True or v is False", "v"
        if scalar is Scalar.ENUM:
            return f"type(v) is str and v in {const(self.enums[field.of])}", "v"
        if scalar is Scalar.MAP and field.value_scalar is not None and field.value_scalar.whole \
                and None not in (field.low, field.high):
            keys, low, high = const(self.enums[field.of]), const(field.low), const(field.high)
            return (f"type(v) is dict and all(type(k) is str and k in {keys} and type(n) is int and "
                    f"{low} <= n <= {high} for k, n in v.items())"), "dict(v)"
        return None

    def _exec_validator(self, record_name: str, info: RecordInfo, names, lines: list, constants: list):
        def unknown(obj, path, report):
            for key in obj:
                if key not in names:
                    close = difflib.get_close_matches(key, info.fields, n=1, cutoff=0.7)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    report(f"{path}.{key}", f"unknown field {key!r} in {article(info.name)} {info.name} record{hint}")

        def missing(path, name, report):
            report(f"{path}.{name}", f"missing required field {name!r} of {article(info.name)} {info.name} record")

        def out_of_order(path, name, value, earlier, bound, report):
            report(f"{path}.{name}", f"{name} {value} is before {earlier} {bound}")

        namespace = {"K": tuple(constants), "SURROGATE": _SURROGATE.search, "ISO": ISO_DATE.match, "DATE": datetime.date.fromisoformat,
                     "Decimal": Decimal, "unknown": unknown, "missing": missing, "out_of_order": out_of_order,
                     "__builtins__": __builtins__}
        exec(compile("\n".join(lines) + "\n", f"<pbr validator {record_name}>", "exec"), namespace)
        return namespace["validate"]

    def _enum(self, value, enum: str, path: str, report):
        values = self.enums[enum]
        if isinstance(value, str) and value in values:
            return value
        if not isinstance(value, str):
            report(path, f"expected {article(enum)} {enum} value, got {_json_kind(value)}")
            return None
        close = difflib.get_close_matches(value, values, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "expected one of " + ", ".join(self.enum_order[enum])
        report(path, f"{value!r} is not {article(enum)} {enum} value; {hint}")
        return None

    def _list(self, value, record_name: str, path: str, report):
        record = self.records[record_name]
        if type(value) is not list:
            report(path, f"expected a list of {record.name} records, got {_json_kind(value)}")
            return []
        validator = self._validators.get(record_name)
        if validator is None:
            validator = self._validators[record_name] = self._compile_validator(record_name)
        items = []
        has_id = "id" in record.fields
        ids: dict = {}
        for i, item in enumerate(value):
            if type(item) is not dict:
                report(f"{path}[{i}]", f"expected {article(record.name)} {record.name} record (a JSON object), "
                                       f"got {_json_kind(item)}")
                continue
            normalised = validator(item, f"{path}[{i}]", report)
            if has_id:
                record_id = normalised["id"]
                if record_id is not None:
                    if record_id in ids:
                        report(f"{path}[{i}].id", f"duplicate {record.name} id {record_id} "
                                                  f"(also at {path}[{ids[record_id]}])")
                    else:
                        ids[record_id] = i
            items.append(normalised)
        return date_ordered(items, record.dated_by, has_id)

    # ---- as-of views ------------------------------------------------------------------------
    def _view_plan(self, info: RecordInfo):
        dates = info.later_dates()
        dependents = {name: [n for n, f in info.fields.items() if f.known_from == name] for name in dates}
        return dates, dependents

    def view(self, client: dict, as_of: datetime.date) -> dict:
        """The client as known on ``as_of``: later records do not exist, later dates are unknown,
        and a lagging record exists only once its date plus the lag has been reached."""
        view = dict(client)
        if self._client_dates:
            self._hide_dates(view, "client", as_of, None)
        for list_field, record_name, key, lag, has_other_dates in self._list_plans:
            items = client[list_field]
            if not items:
                continue
            if key is not None:
                # a record is known once its date (plus the lag: `date + lag <= as_of`, which month
                # clamping makes differ from `date <= as_of - lag`) has come; lists are date-sorted
                last = items[-1][key]
                if (add_duration(last, lag) if lag else last) > as_of:
                    visible = []
                    for item in items:
                        day = item[key]
                        if (add_duration(day, lag) if lag else day) > as_of:
                            break
                        visible.append(item)
                    items = visible
            if has_other_dates:
                items = [self._hidden_copy(item, record_name, as_of, lag) for item in items]
            view[list_field] = items
        return view

    def unseen(self, client: dict, as_of: datetime.date) -> list[Unseen]:
        """What ``view`` hides of a (normalised) client, in data order: records that come after the
        as-of date, and later dates in the records it keeps (`pbr explain` says so)."""
        found = self._later_dates(client, "client", as_of, None)
        for list_field, record_name, key, lag, _ in self._list_plans:
            for item in client[list_field]:
                day = item[key] if key is not None else None
                if day is not None and (add_duration(day, lag) if lag else day) > as_of:
                    found.append(Unseen(record_name, item.get("id"), key, day, True, lag))
                else:
                    found.extend(self._later_dates(item, record_name, as_of, lag))
        return found

    def _later_dates(self, record: dict, record_name: str, as_of, lag) -> list[Unseen]:
        dates, dependents = self._view_plans[record_name]
        record_id = record.get("id") if record_name != "client" else None
        return [Unseen(record_name, record_id, name, record[name], False, lag, tuple(dependents[name]))
                for name in dates
                if record.get(name) is not None and (add_duration(record[name], lag) if lag else record[name]) > as_of]

    def _hidden_copy(self, item: dict, record_name: str, as_of, lag) -> dict:
        dates, dependents = self._view_plans[record_name]
        copy = None
        for name in dates:
            day = item[name]
            if day is not None and (add_duration(day, lag) if lag else day) > as_of:
                if copy is None:
                    copy = dict(item)
                copy[name] = None
                for dependent in dependents[name]:
                    copy[dependent] = None
        return copy if copy is not None else item

    def _hide_dates(self, record: dict, record_name: str, as_of, lag) -> None:
        dates, dependents = self._view_plans[record_name]
        for name in dates:
            day = record.get(name)
            if day is not None and day > as_of:
                record[name] = None
                for dependent in dependents[name]:
                    record[dependent] = None


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, Decimal, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"
