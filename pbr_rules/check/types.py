"""The language's types, their names in words, and what arithmetic and comparison allow.

Types are words a policy lead uses: "a length of time", "a date", "an amount of money". Units
are part of the type: a number cannot be added to a length of time, a date minus a date is a
number of days. ``ARITHMETIC`` is the one table of what each operator gives.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import Optional

import attrs

from ..tree import Op, Scalar
from ..values import Duration, Money, Percent
from ..words import article


class TypeKind(enum.StrEnum):
    DATE = "date"
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    DURATION = "duration"
    PERCENT = "percent"
    MONEY = "money"
    ENUM = "enum"        # a value of the enum `name`
    SET = "set"          # a set of values of the enum `name`
    MAP = "map"          # a table of `value`s by the enum `name`
    RECORD = "record"    # one record of the type `name`
    LIST = "list"        # a list of records of the type `name`
    WINDOW = "window"
    RESULT = "result"    # another outcome's result for a unit (`name`: the outcome)
    ERROR = "error"      # after a reported mistake: accepted silently, to avoid knock-on errors


@attrs.frozen(slots=True)
class T:
    """A type: its kind, and for enums, sets, maps, records and lists what they are of."""

    kind: TypeKind = attrs.field(converter=TypeKind)
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
            "result": f"the result of outcome `{self.name}`",
        }.get(self.kind) or f"a table of {self.value.words() if self.value else 'values'} by {self.name}"


ERROR = T("error")
DATE, NUMBER, TEXT, BOOL = T("date"), T("number"), T("text"), T("bool")
DURATION, PERCENT, MONEY, WINDOW = T("duration"), T("percent"), T("money"), T("window")
ORDERED = ("number", "date", "money", "percent")  # kinds that `<` and `>` compare

# the types input declarations (`define f(d: date)`) may name besides records and enums
PRIMITIVE_INPUT_TYPES = {"date": DATE, "number": NUMBER, "text": TEXT}


def of_value(value) -> T:
    """The type of a value written in a ruleset: a literal, or an element of a parameter."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, Decimal)):
        return NUMBER
    if isinstance(value, Duration):
        return DURATION
    if isinstance(value, Percent):
        return PERCENT
    if isinstance(value, Money):
        return MONEY
    if isinstance(value, datetime.date):
        return DATE
    if isinstance(value, str):
        return TEXT
    return ERROR


def of_field(scalar: Scalar, of: str | None) -> T:
    """The type of a record field of a kind (``of``: its enum or record)."""
    if scalar is Scalar.SET:
        return T("set", of)
    if scalar is Scalar.LIST:
        return T("list", of)
    if scalar is Scalar.MAP:
        return T("map", of, NUMBER)
    if scalar is Scalar.ENUM:
        return T("enum", of)
    if scalar.numeric:
        return NUMBER
    return {Scalar.DATE: DATE, Scalar.TEXT: TEXT, Scalar.BOOL: BOOL}[scalar]


ARITHMETIC = {
    (Op.ADD, "number", "number"): NUMBER, (Op.SUBTRACT, "number", "number"): NUMBER,
    (Op.MULTIPLY, "number", "number"): NUMBER, (Op.DIVIDE, "number", "number"): NUMBER,
    (Op.ADD, "date", "duration"): DATE, (Op.SUBTRACT, "date", "duration"): DATE,
    (Op.ADD, "duration", "date"): DATE,
    (Op.SUBTRACT, "date", "date"): NUMBER,
    (Op.ADD, "duration", "duration"): DURATION, (Op.SUBTRACT, "duration", "duration"): DURATION,
    (Op.MULTIPLY, "duration", "number"): DURATION, (Op.MULTIPLY, "number", "duration"): DURATION,
    (Op.ADD, "money", "money"): MONEY, (Op.SUBTRACT, "money", "money"): MONEY,
    (Op.MULTIPLY, "money", "number"): MONEY, (Op.MULTIPLY, "number", "money"): MONEY,
    (Op.DIVIDE, "money", "number"): MONEY,
    (Op.MULTIPLY, "money", "percent"): MONEY, (Op.MULTIPLY, "percent", "money"): MONEY,
    (Op.MULTIPLY, "number", "percent"): NUMBER, (Op.MULTIPLY, "percent", "number"): NUMBER,
    (Op.ADD, "percent", "percent"): PERCENT, (Op.SUBTRACT, "percent", "percent"): PERCENT,
}

# how a failed operation is worded: the verb, and which side is named first with which word
_VERBS = {Op.ADD: ("add", "to", True), Op.SUBTRACT: ("subtract", "from", True),
          Op.MULTIPLY: ("multiply", "by", False), Op.DIVIDE: ("divide", "by", False)}


def arithmetic_words(op: Op) -> tuple[str, str, bool]:
    """(verb, preposition, right side first) for "cannot add X to Y", "cannot multiply X by Y"."""
    return _VERBS[op]


def compare_hint(left: T, right: T) -> str | None:
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


def arithmetic_hint(op: Op, left: T, right: T, left_text: str = "", right_text: str = "") -> str | None:
    """A hint for a failed ``left op right``; the texts as written make it concrete."""
    kinds = {left.kind, right.kind}
    if kinds == {"duration", "number"} and op in (Op.ADD, Op.SUBTRACT):
        return "give the number a unit, like `6 months + 3 months`"
    if kinds == {"date", "number"} and op in (Op.ADD, Op.SUBTRACT):
        date_text, number_text = (left_text, right_text) if left.kind == "date" else (right_text, left_text)
        if date_text and number_text:
            return f"say what the number counts, like `{date_text} {op} {number_text} days`"
        return "say what the number counts, like `e.end + 28 days`"
    if kinds == {"date"} and op is Op.ADD:
        return "two dates cannot be added; subtract them to count the days between"
    return None
