"""The syntax tree of a ruleset file: frozen, slotted attrs nodes.

Like Jinja2's ``nodes``, a node keeps its *fields* (what was written) apart from its *position*
(``span``) and its *annotations* (what the checker learned: an expression's ``type``, what a name
refers to). Equality and hashing look at the fields only, so the same expression written in two
places is equal; ``children()`` yields the nodes directly inside a node, in field order.

The parser builds the plain tree; the checker returns a copy with the annotations filled in (the
*checked tree*), which every later stage reads. Nothing mutates a tree.

Every node class belongs to one family (``Expr``, ``Statement``, ``Declaration``, or ``Part`` for
the pieces inside them); each pass over the tree is a visitor with a method per class of the
families it walks (see ``visitor.py``), and ``tests/test_architecture.py`` fails when one is
missing.
"""

from __future__ import annotations

import datetime
import enum
import sys
from decimal import Decimal
from typing import Iterator, Optional

import attrs

from .errors import Span

node = attrs.frozen(slots=True)


def annotation(**kwargs):
    """A field filled in by the checker: not part of what was written, so not compared."""
    return attrs.field(default=None, kw_only=True, eq=False, repr=False, **kwargs)


# ---- kinds ------------------------------------------------------------------------------------
class Status(enum.StrEnum):
    """The status of an outcome for one unit, as of a date."""

    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    PENDING = "pending"
    NOT_APPLICABLE = "not_applicable"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class RuleKind(enum.StrEnum):
    NOT_APPLICABLE = "not_applicable"
    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    PENDING = "pending"
    OTHERWISE_PENDING = "otherwise_pending"

    @property
    def status(self) -> Status:
        return Status.PENDING if self is RuleKind.OTHERWISE_PENDING else Status(self.value)

    @property
    def dated(self) -> bool:
        """Its date is when the outcome was decided (achieved or failed), not a due date."""
        return self in (RuleKind.ACHIEVED, RuleKind.NOT_ACHIEVED)


class QuantifierKind(enum.StrEnum):
    SOME = "some"
    NO = "no"
    EVERY = "every"
    COUNT = "count"
    EARLIEST = "earliest"
    LATEST = "latest"
    EACH = "each"  # the matching records, as a list

    @property
    def is_test(self) -> bool:
        """some/no/every: a condition (true, false or unknown)."""
        return self in (QuantifierKind.SOME, QuantifierKind.NO, QuantifierKind.EVERY)


class Test(enum.StrEnum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    TRUE = "true"
    FALSE = "false"
    # of another outcome's result: unknown while it is pending
    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    NOT_APPLICABLE = "not_applicable"

    @property
    def status(self) -> Optional["Status"]:
        """The status an outcome test asks about; None for the tests of plain values."""
        return Status(self.value) if self in (Test.ACHIEVED, Test.NOT_ACHIEVED, Test.NOT_APPLICABLE) else None

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class Period(enum.StrEnum):
    """A payment period: caps, floors and volume reductions count within one."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CONTRACT_YEAR = "contract year"


class CapOrderKey(enum.StrEnum):
    """What a cap orders the lines it admits by: together, a total order."""

    DATE = "date"
    CLIENT = "client"        # the client id, as text
    OUTCOME = "outcome"      # in the ruleset's order
    UNIT = "unit"            # in input order
    INSTALMENT = "instalment"


class UnaryOp(enum.StrEnum):
    NOT = "not"
    NEGATE = "-"


class Op(enum.StrEnum):
    """The operator of a Binary expression."""

    AND = "and"
    OR = "or"
    ADD = "+"
    SUBTRACT = "-"
    MULTIPLY = "*"
    DIVIDE = "/"
    EQUAL = "="
    NOT_EQUAL = "!="
    LESS = "<"
    AT_MOST = "<="
    MORE = ">"
    AT_LEAST = ">="
    IN = "in"

    @property
    def logical(self) -> bool:
        return self in (Op.AND, Op.OR)

    @property
    def comparison(self) -> bool:
        return self.value in ("=", "!=", "<", "<=", ">", ">=")

    @property
    def ordering(self) -> bool:
        return self.value in ("<", "<=", ">", ">=")



class WindowStart(enum.StrEnum):
    AFTER = "after"  # the anchor day itself is not in the window
    FROM = "from"    # the anchor day is the first day

    @property
    def exclusive(self) -> bool:
        return self is WindowStart.AFTER


class Stage(enum.StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class Aggregate(enum.StrEnum):
    """How a cohort measure sums up its members' values."""

    AVERAGE = "average"   # the mean value per member
    MEDIAN = "median"
    SHARE = "share"       # the share of members whose value is yes, as a percentage
    COUNT = "count"       # how many members' values are yes
    RATE = "rate"         # the total per N members (`rate per 100 members`)

    @property
    def needs_yes_no(self) -> bool:
        return self in (Aggregate.SHARE, Aggregate.COUNT)


class Bound(enum.StrEnum):
    """Which side of its target a measure must be to be achieved."""

    AT_MOST = "at most"
    AT_LEAST = "at least"


class Relative(enum.StrEnum):
    """A target written relative to the baseline: `25% below baseline`."""

    BELOW = "below"
    ABOVE = "above"


class Scalar(enum.StrEnum):
    """The kinds of value a record field can hold: the one list every stage works from (the
    checker, the record validators, the CSV reader, the documentation)."""

    DATE = "date"
    NUMBER = "number"
    COUNT = "count"   # a whole number, usually with a range
    SCORE = "score"   # a whole number on a scale
    TEXT = "text"
    BOOL = "yes/no"
    ENUM = "enum"     # written as the enum's name
    SET = "set"       # set of ENUM
    LIST = "list"     # list of RECORD (on the client record)
    MAP = "map"       # map of ENUM to a number

    @property
    def numeric(self) -> bool:
        return self in (Scalar.NUMBER, Scalar.COUNT, Scalar.SCORE)

    @property
    def whole(self) -> bool:
        return self in (Scalar.COUNT, Scalar.SCORE)

    @property
    def empty(self):
        """The value of an absent field of this kind: lists, sets and maps are empty, never
        unknown; None (unknown) for the others."""
        return {Scalar.LIST: [], Scalar.SET: frozenset(), Scalar.MAP: {}}.get(self)


# ---- the node base -----------------------------------------------------------------------------
_ATTRIBUTES: dict = {}  # node class -> the names of all its attributes (fields, position, annotations)
_set = object.__setattr__  # frozen classes refuse setattr; a copy being made is not yet shared

@node
class Node:
    span: Span = attrs.field(kw_only=True, eq=False, repr=False)

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """The names of what was written: every attribute but the position and annotations."""
        return tuple(f.name for f in attrs.fields(cls) if f.eq)

    def children(self) -> Iterator["Node"]:
        """The nodes directly inside this one, in field order (also those inside tuples)."""
        for name in self.fields():
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item

    def replace(self, **changes) -> "Node":
        """A copy with some attributes changed: how the checker annotates the tree. (A lean
        ``attrs.evolve``: a ruleset's tree has thousands of nodes.)"""
        cls = type(self)
        names = _ATTRIBUTES.get(cls)
        if names is None:
            names = _ATTRIBUTES[cls] = frozenset(f.name for f in attrs.fields(cls))
        if not names.issuperset(changes):
            raise TypeError(f"{cls.__name__} has no attribute {sorted(changes.keys() - names)[0]}")
        copy = object.__new__(cls)
        for name in names:
            _set(copy, name, getattr(self, name))
        for name, value in changes.items():
            _set(copy, name, value)
        return copy

    def walk(self) -> Iterator["Node"]:
        """This node and every node inside it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


@node
class Expr(Node):
    """An expression. ``type`` is the checker's: a ``check.types.T``."""

    type: object = annotation()


@node
class Statement(Node):
    """A line of an outcome, run in order."""


@node
class Declaration(Node):
    """A top-level declaration of a ruleset file; ``declarations.KINDS`` has a row for each."""


@node
class Part(Node):
    """A piece of another node that is not an expression, statement or declaration."""


# ---- expressions -------------------------------------------------------------------------------
@node
class Literal(Expr):
    value: object  # int | Decimal | Duration | Percent | Money | date | str | bool


@node
class Name(Expr):
    name: str
    ref: object = annotation()  # a check.scope.Symbol, an EnumValue, or an EnumName (`setting`.treatment)


@node
class Attr(Expr):
    base: Expr
    name: str
    ref: object = annotation()  # an EnumValue for `enum.value`; None for a field


@node
class Index(Expr):
    base: Expr
    index: Expr


@node
class Call(Expr):
    name: str
    args: tuple  # tuple[Expr]
    ref: object = annotation()  # the definition's Symbol (its value: the checked definition); None for a built-in


@node
class ValueAsOf(Expr):
    """``parameter as of date``: the value of a dated parameter in force on a date."""

    name: str
    date: Expr
    ref: object = annotation()  # the parameter's Symbol


@node
class SetLiteral(Expr):
    items: tuple  # tuple[Name]


@node
class MapItem(Part):
    key: Name
    value: Expr


@node
class MapLiteral(Expr):
    items: tuple  # tuple[MapItem]


@node
class Unary(Expr):
    op: UnaryOp
    operand: Expr


@node
class Binary(Expr):
    op: Op
    left: Expr
    right: Expr


@node
class IsTest(Expr):
    operand: Expr
    test: Test


@node
class Quantifier(Expr):
    kind: QuantifierKind
    var: str
    source: Expr
    within: Optional[Name]
    condition: Optional[Expr]
    binding: object = annotation()  # the Symbol of `var`


@node
class OutcomeRef(Expr):
    """Another outcome's result for a unit (`abstinence(e)`) or for the client (`hep_b_course`).
    Written like a call or a name; the checker tells it from a definition by its name."""

    outcome: str
    unit: Optional[Expr]


@node
class Template(Part):
    """A reason text with ``{expression}`` placeholders: parts are str or Expr."""

    parts: tuple


# ---- schema ------------------------------------------------------------------------------------
@node
class TypeExpr(Part):
    kind: Scalar
    name: Optional[str] = None          # the enum or record of an enum, set, list or map
    low: Optional[Decimal] = None
    high: Optional[Decimal] = None
    value_type: Optional["TypeExpr"] = None


@node
class FieldDecl(Part):
    name: str
    optional: bool
    type: TypeExpr
    known_from: Optional[str]
    not_before: Optional[str]
    doc: Optional[str] = None           # what the field holds, for the data teams who fill it


@node
class EnumDecl(Declaration):
    name: str
    values: tuple  # tuple[str]
    doc: Optional[str]


@node
class DomainDecl(Declaration):
    """An outcome domain (`domains drugs "Free from drug(s) of dependence", ...`)."""

    name: str
    title: Optional[str]


@node
class RecordDecl(Declaration):
    name: str
    dated_by: Optional[str]
    lagging_by: Optional[str]
    doc: Optional[str]
    fields: tuple  # tuple[FieldDecl]


@node
class RecordExtension(Declaration):
    """`extend record NAME`: fields added to an inherited record."""

    name: str
    fields: tuple  # tuple[FieldDecl]


# ---- parameters and definitions ------------------------------------------------------------------
@node
class DatedValue(Part):
    expr: Expr
    from_date: Optional[datetime.date]


@node
class ParameterDecl(Declaration):
    name: str
    values: tuple  # tuple[DatedValue]
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class Param(Part):
    name: str
    type_name: str
    binding: object = annotation()


@node
class Definition(Declaration):
    name: str
    params: tuple  # tuple[Param]
    doc: Optional[str]
    body: Expr
    override_reason: Optional[str]


# ---- outcomes ----------------------------------------------------------------------------------
@node
class Let(Statement):
    name: str
    expr: Expr
    binding: object = annotation()


@node
class Restart(Part):
    var: str
    source: Expr
    condition: Optional[Expr]
    max_times: Expr
    binding: object = annotation()


@node
class WindowStmt(Statement):
    name: str
    start: WindowStart
    anchor: Expr
    length: Optional[Expr]  # `for N`
    until: Optional[Expr]   # `until D` (inclusive)
    restart: Optional[Restart]
    binding: object = annotation()


@node
class Rule(Statement):
    kind: RuleKind
    at: Optional[Expr]      # the achievement/failure date, or the due date of pending
    when: Optional[Expr]
    reasons: tuple          # tuple[Template]


@node
class Frequency(Part):
    """How often an outcome can be earned: once per unit (``limit`` None), or at most ``limit``
    times per client."""

    limit: Optional[int] = None

    @property
    def per_client(self) -> bool:
        return self.limit is not None


@node
class Classification(Part):
    """`domain drugs, final, per episode e`: the outcome's domain, stage and unit."""

    domain: str
    stage: Stage
    unit_type: str             # "client" or a record type name
    unit_var: Optional[str]    # the unit's name in the rules (None per client)
    domain_span: Span = attrs.field(eq=False, repr=False)


@node
class Outcome(Declaration):
    name: str
    title: str
    classification: Optional[Classification]
    description: Optional[str]
    source: Optional[str]
    frequency: Frequency
    statements: tuple
    override_reason: Optional[str]
    unit_binding: object = annotation()  # the Symbol of the unit (per record)

    @property
    def domain(self) -> Optional[str]:
        return self.classification.domain if self.classification else None

    @property
    def unit_type(self) -> Optional[str]:
        return self.classification.unit_type if self.classification else None

    @property
    def unit_var(self) -> Optional[str]:
        return self.classification.unit_var if self.classification else None


# ---- cohort measures -----------------------------------------------------------------------------
@node
class Cohort(Part):
    """`cohort e in client.episodes from 2012-04-01 to 2013-03-31 where ...`: a client is a member
    when one of its records is dated in the period (both days included) and meets the condition;
    the earliest such record is the member's, and its date the member's start."""

    var: str
    source: Expr
    start: Expr
    end: Expr
    condition: Optional[Expr]
    binding: object = annotation()  # the Symbol of `var`


@node
class Target(Part):
    """`target at most 25% below baseline`, or `target at least 60%`."""

    bound: Bound
    value: Expr
    relative: Optional[Relative]   # None: `value` is the target itself


@node
class Measure(Declaration):
    """A cohort measure: members, a value per member over its period (the measure's `window`),
    an aggregate, and a target, often relative to a baseline."""

    name: str
    title: str
    domain: Optional[str]
    stage: Optional[Stage]
    description: Optional[str]
    source: Optional[str]
    cohort: Optional[Cohort]
    statements: tuple          # Let and WindowStmt, in order
    value: Optional[Expr]
    aggregate: Optional[Aggregate]
    per: Optional[int]         # `rate per N members`
    baseline: Optional[Expr]
    target: Optional[Target]
    override_reason: Optional[str]
    domain_span: Optional[Span] = attrs.field(default=None, kw_only=True, eq=False, repr=False)


# ---- payments ------------------------------------------------------------------------------------
@node
class PaymentDeclaration(Declaration):
    """A part of the payment schedule: a family of its own, walked by the payment checker."""


@node
class ContractDecl(PaymentDeclaration):
    """`contract from DATE`: no payment line is dated before it."""

    start: datetime.date
    doc: Optional[str]
    override_reason: Optional[str]
    name: str = "contract"


@node
class PayeeChoice(Part):
    provider: Expr
    when: Optional[Expr]


@node
class PayeeDecl(PaymentDeclaration):
    """`paid to unit.provider, client.provider, "unassigned"`: the first choice whose condition
    holds and whose value is known. ``unit`` is the paid unit (an episode, or the client)."""

    choices: tuple  # tuple[PayeeChoice]
    doc: Optional[str]
    override_reason: Optional[str]
    name: str = "paid to"
    unit_binding: object = annotation()


@node
class TariffEntry(Part):
    key: str
    amount: Decimal


@node
class Instalment(Part):
    share: Decimal   # a fraction: 0.25 for 25%
    at: Expr


@node
class TariffDecl(PaymentDeclaration):
    """What an outcome pays: one amount, or a table by an enum-valued expression (complexity);
    optionally in instalments, the rest paid on achievement. What a cohort measure pays: one
    amount, or an amount per percentage point beyond its target, to a named provider."""

    name: str                    # the outcome or measure
    amount: Optional[Decimal]    # a flat tariff
    key: Optional[Expr]          # `by client.complexity`
    entries: tuple               # tuple[TariffEntry]
    instalments: tuple           # tuple[Instalment]
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]
    per_point: bool = False      # `per point beyond target`
    up_to: Optional[Decimal] = None  # `up to £10,000`
    payee: Optional[str] = None  # `to "Provider"`
    unit_binding: object = annotation()


@node
class FeeDecl(PaymentDeclaration):
    """`fee attachment_fee £120.00 per episode e on e.start when ...`: paid for every unit."""

    name: str
    amount: Decimal
    unit_type: str
    unit_var: Optional[str]
    on: Expr
    when: Optional[Expr]
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]
    unit_binding: object = annotation()


@node
class SplitShare(Part):
    provider: str
    share: Decimal


@node
class SplitDecl(PaymentDeclaration):
    """`split planned_exit between "A" 60%, "B" 40%`: co-dependent providers share an outcome."""

    name: str                    # the outcome
    shares: tuple                # tuple[SplitShare]
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class CapDecl(PaymentDeclaration):
    name: str
    amount: Decimal
    period: Period
    order: tuple                 # tuple[CapOrderKey]; empty: the default order
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class ReduceDecl(PaymentDeclaration):
    """`reduce NAME to 50% above 100 clients per provider per quarter`."""

    name: str
    rate: Decimal
    clients: Decimal             # a whole number, checked
    period: Period
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class FloorDecl(PaymentDeclaration):
    name: str
    amount: Decimal
    period: Period
    with_fee: Optional[str]      # only providers paid this fee in the period
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class GateDecl(PaymentDeclaration):
    """`gate NAME on O1, O2 until G1, G2`: O1 and O2 are paid only once G1 and G2 are each
    achieved or not applicable, for the same unit (or the client)."""

    name: str
    outcomes: tuple              # tuple[str]
    until: tuple                 # tuple[str]
    doc: Optional[str]
    override_reason: Optional[str]


@node
class FamilyTariffDecl(PaymentDeclaration):
    """`tariff NAME per family by FIELD £X for O1, O2 to "P"`: paid once for a family, the clients who
    share the value of the client record's FIELD, when every treated member has achieved the outcomes."""

    name: str
    amount: Decimal
    outcomes: tuple              # tuple[str]: what each treated member must achieve
    field: str                   # the client field that names the family
    payee: str
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class BudgetShare(Part):
    outcome: str
    share: Decimal


@node
class BudgetDecl(PaymentDeclaration):
    name: str
    amount: Decimal
    domain: str
    shares: tuple                # tuple[BudgetShare]
    illustrative: bool
    doc: Optional[str]
    override_reason: Optional[str]


@node
class LimitDecl(PaymentDeclaration):
    """`limit reliable_improvement to 20% of drugs`: no budget may give the outcome more."""

    name: str                    # the outcome
    share: Decimal
    domain: str
    doc: Optional[str]
    override_reason: Optional[str]


# ---- examples ------------------------------------------------------------------------------------
@node
class PaymentExpectation(Part):
    """`expect paid planned_exit for E1 £400.00 on 2012-11-30 to "P1"`, or `expect held ...`."""

    item: str
    unit: Optional[str]
    instalment: Optional[int]
    held: bool
    amount: Optional[Decimal]
    date: Optional[datetime.date]
    provider: Optional[str]
    item_span: Span = attrs.field(eq=False, repr=False)


@node
class MeasureExpectation(Part):
    """`expect measure offending_reduction achieved on 2014-03-31 with value 0.40`."""

    measure: str
    status: Status
    date: Optional[datetime.date]
    value: Optional[Decimal]
    measure_span: Span = attrs.field(eq=False, repr=False)


@node
class Expectation(Part):
    outcome: str
    unit: Optional[str]
    status: Status
    date: Optional[datetime.date]
    outcome_span: Span = attrs.field(eq=False, repr=False)


@node
class Example(Declaration):
    title: str
    client: Optional[dict] = attrs.field(hash=False)  # an inline client, as JSON
    client_id: Optional[str]
    client_file: Optional[str]
    as_of: datetime.date
    expectations: tuple
    whole_file: bool = False   # `clients from FILE`: every client of the file, a cohort
    client_span: Optional[Span] = attrs.field(default=None, kw_only=True, eq=False, repr=False)


# ---- file --------------------------------------------------------------------------------------
@node
class Extends(Part):
    name: str
    version: str


@node
class Header(Part):
    name: str
    version: str
    title: Optional[str]
    effective: Optional[datetime.date]
    extends: Optional[Extends]
    description: Optional[str]
    effective_until: Optional[datetime.date] = None   # the last day in force; None: until replaced


@node
class Module(Part):
    header: Header
    declarations: tuple
    path: str
    source: str = attrs.field(repr=False, eq=False)


FAMILIES = (Expr, Statement, Declaration, Part, PaymentDeclaration)


def node_classes(family: type) -> list[type]:
    """Every node class of a family (Expr, Statement, Declaration or Part), in definition order."""
    found = []
    pending = list(family.__subclasses__())
    while pending:
        cls = pending.pop(0)
        # attrs' slotted classes replace the class first defined, which may linger a while
        current = getattr(sys.modules[cls.__module__], cls.__name__, None)
        if current is cls and cls not in found and cls not in FAMILIES:  # a family within a family
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
