"""The abstract syntax tree of a ruleset file: frozen, slotted attrs classes with source spans.

The parser builds these; nothing later mutates them. Names are kept as written; resolving them
is the resolver's and checker's job.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Optional, Union

import attrs

from .errors import Span

frozen = attrs.frozen(slots=True)


# ---- values ---------------------------------------------------------------------------------
@frozen
class Duration:
    """A calendar length: months (years are 12 months) and days (weeks are 7 days)."""

    months: int = 0
    days: int = 0
    text: str = attrs.field(default="", eq=False)

    def __str__(self) -> str:
        if self.text:
            return self.text
        parts = []
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        if self.days or not parts:
            parts.append(f"{self.days} day{'s' if self.days != 1 else ''}")
        return " ".join(parts)

    def __add__(self, other: "Duration") -> "Duration":
        return Duration(self.months + other.months, self.days + other.days)

    def __sub__(self, other: "Duration") -> "Duration":
        return Duration(self.months - other.months, self.days - other.days)

    def __neg__(self) -> "Duration":
        return Duration(-self.months, -self.days)


@frozen
class Money:
    """An amount in pounds, exact to the penny."""

    amount: Decimal

    def __str__(self) -> str:
        return f"£{self.amount:,.2f}"


@frozen
class Percent:
    """A share; ``fraction`` is 0.2 for 20%."""

    fraction: Decimal

    def __str__(self) -> str:
        return f"{(self.fraction * 100).normalize():f}%"


# ---- expressions ----------------------------------------------------------------------------
@frozen
class Literal:
    value: object  # int | Decimal | Duration | Percent | Money | date | str | bool
    kind: str      # number, duration, percent, money, date, text, bool
    span: Span


@frozen
class Name:
    name: str
    span: Span


@frozen
class Attr:
    base: "Expr"
    name: str
    span: Span


@frozen
class Index:
    base: "Expr"
    index: "Expr"
    span: Span


@frozen
class Call:
    name: str
    args: tuple
    span: Span


@frozen
class ValueAsOf:
    """``parameter as of date``: the value of a dated parameter in force on a date."""

    name: str
    date: "Expr"
    span: Span


@frozen
class SetLiteral:
    items: tuple  # tuple[Name]
    span: Span


@frozen
class MapLiteral:
    items: tuple  # tuple[tuple[Name, Expr]]
    span: Span


@frozen
class Unary:
    op: str  # "not" or "-"
    operand: "Expr"
    span: Span


@frozen
class Binary:
    op: str  # and or + - * / = != < <= > >= in
    left: "Expr"
    right: "Expr"
    span: Span


@frozen
class IsTest:
    operand: "Expr"
    test: str  # known, unknown, true, false
    span: Span


@frozen
class Quantifier:
    kind: str  # some, no, every, count, earliest, latest, each (the matching records, as a list)
    var: str
    source: "Expr"
    within: Optional[Name]
    condition: Optional["Expr"]
    span: Span


Expr = Union[Literal, Name, Attr, Index, Call, ValueAsOf, SetLiteral, MapLiteral, Unary, Binary,
             IsTest, Quantifier]


@frozen
class Template:
    """A reason text with ``{expression}`` placeholders: parts are str or Expr."""

    parts: tuple
    span: Span


# ---- schema ---------------------------------------------------------------------------------
@frozen
class TypeExpr:
    kind: str  # date number count score text bool set list map named
    name: Optional[str] = None          # element/enum/record name for set, list, map, named
    low: Optional[Decimal] = None
    high: Optional[Decimal] = None
    value_type: Optional["TypeExpr"] = None
    span: Optional[Span] = None


@frozen
class FieldDecl:
    name: str
    optional: bool
    type: TypeExpr
    known_from: Optional[str]
    not_before: Optional[str]
    span: Span


@frozen
class EnumDecl:
    name: str
    values: tuple  # tuple[str]
    doc: Optional[str]
    span: Span


@frozen
class RecordDecl:
    name: str
    dated_by: Optional[str]
    lagging_by: Optional[str]
    doc: Optional[str]
    fields: tuple  # tuple[FieldDecl]
    is_extension: bool
    span: Span


# ---- parameters and definitions -------------------------------------------------------------
@frozen
class DatedValue:
    expr: Expr
    from_date: Optional[datetime.date]
    span: Span


@frozen
class ParameterDecl:
    name: str
    values: tuple  # tuple[DatedValue]
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]
    span: Span


@frozen
class Param:
    name: str
    type_name: str
    span: Span


@frozen
class Definition:
    name: str
    params: tuple  # tuple[Param]
    doc: Optional[str]
    body: Expr
    override_reason: Optional[str]
    span: Span


# ---- outcomes -------------------------------------------------------------------------------
@frozen
class Let:
    name: str
    expr: Expr
    span: Span


@frozen
class Restart:
    var: str
    source: Expr
    condition: Optional[Expr]
    max_times: Expr
    span: Span


@frozen
class WindowStmt:
    name: str
    start_kind: str  # "after" (exclusive) or "from" (inclusive)
    anchor: Expr
    length: Optional[Expr]  # `for N`
    until: Optional[Expr]   # `until D` (inclusive)
    restart: Optional[Restart]
    span: Span


@frozen
class Rule:
    kind: str  # not_applicable, achieved, not_achieved, pending, otherwise_pending
    at: Optional[Expr]      # achievement/failure date, or the due date of pending
    when: Optional[Expr]
    reasons: tuple          # tuple[Template]
    span: Span


Statement = Union[Let, WindowStmt, Rule]


@frozen
class Outcome:
    name: str
    title: str
    domain: Optional[str]
    stage: Optional[str]
    unit_type: Optional[str]   # "client" or a record type name
    unit_var: Optional[str]
    description: Optional[str]
    source: Optional[str]
    frequency: tuple           # ("unit",), ("client", 1) or ("client", N)
    statements: tuple
    override_reason: Optional[str]
    span: Span


# ---- examples -------------------------------------------------------------------------------
@frozen
class Expectation:
    outcome: str
    unit: Optional[str]
    status: str
    date: Optional[datetime.date]
    span: Span
    outcome_span: Span


@frozen
class Example:
    title: str
    client: Optional[dict]
    client_id: Optional[str]
    client_file: Optional[str]
    as_of: datetime.date
    expectations: tuple
    span: Span


# ---- file -----------------------------------------------------------------------------------
@frozen
class Header:
    name: str
    version: str
    title: Optional[str]
    effective: Optional[datetime.date]
    extends: Optional[tuple]  # (name, version, Span)
    description: Optional[str]
    span: Span


@frozen
class Module:
    header: Header
    declarations: tuple
    path: str
    source: str = attrs.field(repr=False)
