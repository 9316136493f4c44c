"""The describer: a ruleset read in plain English, from its checked tree.

A provider, a commissioner or a policy lead reads the rules here without reading the language:
"Achieved on the last day of w when the client has no presentation within w", "The window w runs
from the day after the episode's end up to and including the same day `representation_window`
(12 months) later". The reading is made by one visitor, ``Describer``, over the checked tree (the
same machinery as the checker and the code generator: a method per node class, and a node it has
no method for is refused), so it says what the checker understood, never what the source text
looks like: every name is read by what it refers to (the client, the episode, a parameter with its
value, a definition by its description), comparisons by the types compared ("before" for dates,
"less than" for numbers).

Expressions read as phrases, statements as sentences, parts as phrases, and declarations as a
``Reading``: a heading and its lines. ``describe_ruleset`` is the whole ruleset, as text;
``used_by`` says which outcomes each parameter, definition and outcome result reaches, for
"Affects: ..." in `pbr diff`. The generated documentation builds on both.
"""

from __future__ import annotations

import datetime
import re
import textwrap
from decimal import Decimal
from typing import Optional

import attrs

from . import tree
from .declarations import TABLES
from .check import CheckedRuleset
from .check.scope import EnumName, EnumValue, Symbol, SymbolKind
from .tree import Op, QuantifierKind, RuleKind, Scalar, Test
from .values import Duration, Money, Percent, format_money, format_number, format_percent
from .visitor import Visitor
from .words import article

WIDTH = 100  # the width text readings are wrapped to


@attrs.frozen(slots=True)
class Reading:
    """A declaration read in plain English: a heading, then its lines (sentences, or numbered steps)."""

    heading: str
    lines: tuple = ()

    def text(self, indent: str = "", width: int = WIDTH) -> str:
        """The heading, then each line indented by two more spaces, wrapped to ``width``."""
        out = [wrap(self.heading, indent, width)]
        out += [wrap(line, indent + "  ", width) for line in self.lines]
        return "\n".join(out)

    def plain(self) -> str:
        """One paragraph per line, unwrapped (for JSON and for comparing readings)."""
        return "\n".join((self.heading, *self.lines))


# ---- words -------------------------------------------------------------------------------------
def words(name: str) -> str:
    """A name of the rules as words: `discharge_reason` is "discharge reason"."""
    return name.replace("_", " ")


def plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def listed(items, last: str = "and") -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def date_words(day: datetime.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def quoted(text: str) -> str:
    return f'"{text}"'


def sentence(text: str) -> str:
    """A text as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", '."', ".)")) else text + "."


def value_words(value) -> str:
    """A value of the language as people write it: 12 months, £1,200.00, 20%, 1 April 2012."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return date_words(value)
    if isinstance(value, (int, Decimal)):
        return format_number(value)
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, (Duration, Money, Percent)):
        return str(value)
    if isinstance(value, dict):
        return ", ".join(f"{words(key)} {value_words(item)}" for key, item in value.items())
    if isinstance(value, (set, frozenset)):
        return listed(sorted(words(item) for item in value))
    return str(value)


_NUMBERED = re.compile(r"(\d+\. )")


def wrap(text: str, indent: str = "", width: int = WIDTH) -> str:
    """A paragraph wrapped to ``width``; a numbered step's later lines line up after its number."""
    numbered = _NUMBERED.match(text)
    hanging = indent + " " * (len(numbered.group(1)) if numbered else 2)
    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=hanging,
                         break_long_words=False, break_on_hyphens=False)


def _is(node, kind: str) -> bool:
    """The checker gave this expression a type of this kind ("date", "bool", "record", ...)."""
    t = getattr(node, "type", None)
    return t is not None and t.kind == kind


def _symbol(node) -> Optional[Symbol]:
    ref = getattr(node, "ref", None)
    return ref if isinstance(ref, Symbol) else None


# ---- the describer -----------------------------------------------------------------------------
_COMPARISON = {  # op -> (words for dates, words for other values)
    Op.EQUAL: ("is", "is"), Op.NOT_EQUAL: ("is not", "is not"),
    Op.LESS: ("is before", "is less than"), Op.AT_MOST: ("is on or before", "is at most"),
    Op.MORE: ("is after", "is more than"), Op.AT_LEAST: ("is on or after", "is at least"),
}
_ARITHMETIC = {Op.ADD: "plus", Op.SUBTRACT: "minus", Op.MULTIPLY: "times", Op.DIVIDE: "divided by"}
_TEST_WORDS = {Test.KNOWN: "is known", Test.UNKNOWN: "is not known", Test.TRUE: "is recorded as yes",
               Test.FALSE: "is recorded as no", Test.ACHIEVED: "is achieved", Test.NOT_ACHIEVED: "is not achieved",
               Test.NOT_APPLICABLE: "is not applicable"}
_NEGATED_TEST = {Test.KNOWN: "is not known", Test.UNKNOWN: "is known", Test.TRUE: "is not recorded as yes",
                 Test.FALSE: "is not recorded as no"}
_RULE_HEADS = {RuleKind.NOT_APPLICABLE: "Not applicable", RuleKind.ACHIEVED: "Achieved",
               RuleKind.NOT_ACHIEVED: "Not achieved", RuleKind.PENDING: "Pending",
               RuleKind.OTHERWISE_PENDING: "Otherwise pending"}
_PERIODS = {tree.Period.MONTH: "month", tree.Period.QUARTER: "calendar quarter", tree.Period.YEAR: "calendar year",
            tree.Period.CONTRACT_YEAR: "contract year"}


class Describer(Visitor):
    """Reads checked nodes in plain English: an expression as a phrase, a statement as a sentence,
    a declaration as a ``Reading``. ``checked`` gives parameter values and outcome titles."""

    walks = (tree.Expr, tree.Statement, tree.Declaration, tree.Part)

    def __init__(self, checked: CheckedRuleset):
        self.checked = checked
        self.called: dict = {}  # Symbol -> what it is called here (the unit paid for, in `paid to`)

    # ---- names ----------------------------------------------------------------------------------
    def visit_Literal(self, node) -> str:
        return value_words(node.value)

    def visit_Name(self, node) -> str:
        ref = node.ref
        if isinstance(ref, EnumValue):
            return words(ref.value)
        if isinstance(ref, EnumName):
            return words(ref.enum)
        if isinstance(ref, Symbol):
            return self.symbol(ref)
        return words(node.name)  # not checked: an enum value in a parameter's set, as written

    def symbol(self, symbol: Symbol) -> str:
        if symbol in self.called:
            return self.called[symbol]
        kind = symbol.kind
        if kind is SymbolKind.CLIENT:
            return "the client"
        if kind is SymbolKind.UNIT:
            return f"the {words(symbol.type.name)}"
        if kind is SymbolKind.PARAMETER:
            return self.parameter(symbol.name)
        if kind is SymbolKind.DEFINITION:
            return self.definition_use(symbol.name, symbol.value, [], symbol.type)
        if kind is SymbolKind.LET:
            return f"`{symbol.name}`"
        return symbol.name  # an input, a quantifier's variable, a window: short names the sentence gives

    def parameter(self, name: str) -> str:
        """`representation_window` (12 months): by name, with the value in force (tables by name only)."""
        checked = self.checked.parameters.get(name)
        if checked is None or checked.type.kind == "map":
            return f"`{name}`"
        return f"`{name}` ({self.parameter_values(checked.declaration)})"

    def parameter_values(self, parameter: tree.ParameterDecl) -> str:
        return ", ".join(self.visit(dated) for dated in parameter.values)

    def definition_use(self, name: str, definition, args: list, t, negate: bool = False) -> str:
        """A definition by its description: "e meets `successful_discharge` (the episode has ended ...)"."""
        doc = getattr(definition, "doc", None)
        described = f"`{name}`" + (f" ({doc})" if doc else "")
        if not args:
            return described
        if t is not None and t.kind == "bool":
            verb = ("does not meet" if negate else "meets") if len(args) == 1 else ("do not meet" if negate else "meet")
            return f"{listed(args)} {verb} {described}"
        return f"`{name}` of {listed(args)}" + (f" ({doc})" if doc else "")

    def possessive(self, base, field: str) -> str:
        """"the episode's end", "r's date", "the date of `second`"."""
        symbol = _symbol(base)
        shown = self.visit(base)
        if symbol is not None and symbol not in self.called and symbol.kind in (
                SymbolKind.CLIENT, SymbolKind.UNIT, SymbolKind.INPUT, SymbolKind.VARIABLE):
            return f"{shown}'s {field}"
        return f"the {field} of {shown}"

    def visit_Attr(self, node) -> str:
        if isinstance(node.ref, EnumValue):
            return words(node.ref.value)
        if isinstance(node.base, tree.OutcomeRef):
            return f"the date {self.outcome_of(node.base)} was decided"
        if _is(node.base, "window"):
            return f"the {'first' if node.name == 'start' else 'last'} day of {self.visit(node.base)}"
        return self.possessive(node.base, words(node.name))

    def visit_Index(self, node) -> str:
        index = self.visit(node.index)
        symbol = _symbol(node.base)
        if symbol is not None and symbol.kind is SymbolKind.PARAMETER:
            return f"the value for {index} in `{symbol.name}`"
        return f"{self.visit(node.base)} for {index}"

    def visit_Call(self, node) -> str:
        args = [self.visit(arg) for arg in node.args]
        if node.name in ("earliest_of", "latest_of"):
            which = "earli" if node.name == "earliest_of" else "lat"
            degree = "er" if len(args) == 2 else "est"
            return f"the {which}{degree} of {listed(args)} (of those known)"
        symbol = _symbol(node)
        return self.definition_use(node.name, symbol.value if symbol else None, args, node.type)

    def visit_ValueAsOf(self, node) -> str:
        return f"{self.parameter(node.name)} in force on {self.visit(node.date)}"

    def visit_SetLiteral(self, node) -> str:
        return listed(self.visit(item) for item in node.items) or "no values"

    def visit_MapItem(self, node) -> str:
        return f"{self.visit(node.key)} {self.visit(node.value)}"

    def visit_MapLiteral(self, node) -> str:
        return ", ".join(self.visit(item) for item in node.items)

    def visit_OutcomeRef(self, node) -> str:
        return f"the result of {self.outcome_of(node)}"

    def outcome_of(self, node: tree.OutcomeRef) -> str:
        return f"`{node.outcome}`" + (f" for {self.visit(node.unit)}" if node.unit is not None else "")

    # ---- operators ------------------------------------------------------------------------------
    def visit_Unary(self, node) -> str:
        if node.op is tree.UnaryOp.NOT:
            return self.negated(node.operand)
        return f"minus {self.operand(node.operand)}"

    def negated(self, node) -> str:
        """`not X` in words: the negation is carried into X where English allows ("is not known",
        "does not meet", "has no"); De Morgan's laws hold in the three-valued logic of the rules."""
        if isinstance(node, tree.Unary) and node.op is tree.UnaryOp.NOT:
            return self.visit(node.operand)
        if isinstance(node, tree.Binary) and node.op.logical:
            flipped = Op.OR if node.op is Op.AND else Op.AND
            return self.visit(node.replace(op=flipped, left=_not(node.left), right=_not(node.right)))
        if isinstance(node, tree.Binary) and (node.op.comparison or node.op is Op.IN):
            return self.comparison(node, negate=True)
        if isinstance(node, tree.IsTest) and node.test in _NEGATED_TEST:
            return self.is_test(node, _NEGATED_TEST[node.test])
        if isinstance(node, tree.Quantifier) and node.kind in (QuantifierKind.SOME, QuantifierKind.NO):
            other = QuantifierKind.NO if node.kind is QuantifierKind.SOME else QuantifierKind.SOME
            return self.visit(node.replace(kind=other))
        if isinstance(node, tree.Call) and node.args and _is(node, "bool") and isinstance(_symbol(node), Symbol):
            args = [self.visit(arg) for arg in node.args]
            return self.definition_use(node.name, node.ref.value, args, node.type, negate=True)
        return f"it is not so that {self.visit(node)}"

    def visit_Binary(self, node) -> str:
        if node.op.logical:
            return self.logical(node)
        if node.op.comparison or node.op is Op.IN:
            return self.comparison(node)
        left, right = self.operand(node.left, False), self.operand(node.right, False)
        if node.op is Op.ADD and _is(node.left, "date"):
            return f"{right} after {left}"
        if node.op is Op.ADD and _is(node.right, "date"):
            return f"{left} after {right}"
        if node.op is Op.SUBTRACT and _is(node.left, "date"):
            if _is(node.right, "date"):
                return f"the number of days from {right} to {left}"
            return f"{right} before {left}"
        return f"{left} {_ARITHMETIC[node.op]} {right}"

    def operand(self, node, in_arithmetic: bool = True) -> str:
        """An operand, bracketed when it is arithmetic inside arithmetic, or a quantifier whose
        `where` would run on: "(a plus b) times c", "(the number of doses d where ...) is at least 3"."""
        shown = self.visit(node)
        arithmetic = in_arithmetic and isinstance(node, tree.Binary) and node.op in _ARITHMETIC \
            and not _is(node, "date")
        open_ended = isinstance(node, tree.Quantifier) and node.condition is not None
        return f"({shown})" if arithmetic or open_ended else shown

    def comparison(self, node, negate: bool = False) -> str:
        left, right = self.operand(node.left, False), self.operand(node.right, False)
        if node.op is Op.IN:
            verb = "is within" if _is(node.right, "window") else "is one of"
            if isinstance(node.right, tree.SetLiteral):
                right = listed((self.visit(item) for item in node.right.items), "or")
        else:
            dates = _is(node.left, "date") or _is(node.right, "date")
            verb = _COMPARISON[node.op][0 if dates else 1]
        if negate:
            verb = "is" if verb == "is not" else verb.replace("is", "is not", 1)
        return f"{left} {verb} {right}"

    def logical(self, node) -> str:
        """`a and b and c` as "a, b and c"; an `or` inside an `and` as "either x or y", an `and`
        inside an `or` as "both x and y", so that the grouping is never in doubt."""
        items, pending = [], [node]
        while pending:  # flatten a chain of the same operator, left to right
            item = pending.pop(0)
            if isinstance(item, tree.Binary) and item.op is node.op:
                pending[:0] = [item.left, item.right]
            else:
                items.append(item)
        shown = []
        for item in items:
            text = self.visit(item)
            if isinstance(item, tree.Binary) and item.op.logical:
                text = ("either " if item.op is Op.OR else "both ") + text
            shown.append(text)
        return listed(shown, str(node.op))

    def visit_IsTest(self, node) -> str:
        return self.is_test(node, _TEST_WORDS[node.test])

    def is_test(self, node: tree.IsTest, verb: str) -> str:
        if isinstance(node.operand, tree.OutcomeRef):
            return f"{self.outcome_of(node.operand)} {verb}"
        if _is(node.operand, "record"):  # a record found by `earliest`, `latest` or a definition
            verb = verb.replace("known", "found")
        return f"{self.visit(node.operand)} {verb}"

    # ---- quantifiers ----------------------------------------------------------------------------
    def visit_Quantifier(self, node) -> str:
        element = getattr(node.binding, "type", None)
        noun = words(element.name) if element is not None and element.name else "item"
        var = f" {node.var}" if node.condition is not None else ""
        where = f" where {self.visit(node.condition)}" if node.condition is not None else ""
        within = f" within {self.visit(node.within)}" if node.within is not None else ""
        field = self.client_list(node.source)
        kind = node.kind
        if field is not None:
            noun = field[:-1] if field.endswith("s") else noun  # "the client has no presenting substance"
            return self.client_quantifier(kind, noun, field, node.var, var, within, where, node.condition)
        source = self.visit(node.source)
        shape = {
            QuantifierKind.SOME: f"there is {article(noun)} {noun}{var} in {source}{within}{where}",
            QuantifierKind.NO: f"there is no {noun}{var} in {source}{within}{where}",
            QuantifierKind.COUNT: f"the number of {plural(noun)}{var} in {source}{within}{where}",
            QuantifierKind.EARLIEST: f"the earliest {noun}{var} in {source}{within}{where}",
            QuantifierKind.LATEST: f"the latest {noun}{var} in {source}{within}{where}",
            QuantifierKind.EACH: f"the {plural(noun)}{var} in {source}{within}{where}",
        }
        if kind is QuantifierKind.EVERY:
            return f"for every {noun} {node.var} in {source}{within}, {self.visit(node.condition)}"
        return shape[kind]

    def client_quantifier(self, kind, noun, field, name, var, within, where, condition) -> str:
        """Over one of the client's lists: "the client has no presentation within w"."""
        if kind is QuantifierKind.EVERY:
            return f"for every one of the client's {field} {name}{within}, {self.visit(condition)}"
        return {
            QuantifierKind.SOME: f"the client has {article(noun)} {noun}{var}{within}{where}",
            QuantifierKind.NO: f"the client has no {noun}{var}{within}{where}",
            QuantifierKind.COUNT: f"the number of the client's {field}{var}{within}{where}",
            QuantifierKind.EARLIEST: f"the client's earliest {noun}{var}{within}{where}",
            QuantifierKind.LATEST: f"the client's latest {noun}{var}{within}{where}",
            QuantifierKind.EACH: f"the client's {field}{var}{within}{where}",
        }[kind]

    @staticmethod
    def client_list(source) -> Optional[str]:
        """The words of a list or set field of the client record (`client.top_reviews`), or None."""
        if isinstance(source, tree.Attr) and isinstance(source.base, tree.Name):
            symbol = _symbol(source.base)
            if symbol is not None and symbol.kind is SymbolKind.CLIENT:
                return words(source.name)
        return None

    def visit_Template(self, node) -> str:
        """A reason as the result gives it, each value it shows in braces, read in words."""
        return quoted("".join(part if isinstance(part, str) else "{" + self.visit(part) + "}"
                              for part in node.parts))

    # ---- statements -----------------------------------------------------------------------------
    def visit_Let(self, node) -> str:
        return f"Let `{node.name}` be {self.visit(node.expr)}."

    def visit_WindowStmt(self, node) -> str:
        anchor = self.visit(node.anchor)
        start = f"from the day after {anchor}" if node.start.exclusive else f"from {anchor}"
        if node.length is not None:
            same_day = f"the same day {self.visit(node.length)} later"
            end = f"up to and including {same_day}" if node.start.exclusive else \
                f"up to and including the day before {same_day}"
        else:
            end = f"up to and including {self.visit(node.until)}"
        restart = f" {self.visit(node.restart)}" if node.restart is not None else ""
        return (f"The window {node.name} runs {start} {end}.{restart} That nothing happens within "
                f"{node.name} is known only once {node.name} has ended.")

    def visit_Restart(self, node) -> str:
        field = self.client_list(node.source)
        each = f"each of the client's {field}" if field is not None else f"each {node.var} in {self.visit(node.source)}"
        where = f" {node.var} where {self.visit(node.condition)}" if node.condition is not None else ""
        return (f"It starts again the day after {each}{where} that falls within it, at most "
                f"{self.visit(node.max_times)} times.")

    def visit_Rule(self, node) -> str:
        head = _RULE_HEADS[node.kind]
        if node.at is not None:
            dated = node.kind.dated
            head += f" {'on' if dated else 'until'} {self.visit(node.at)}"
        if isinstance(node.when, tree.Literal) and node.when.value is True:
            head += " in every case left"
        elif node.when is not None:
            head += f" when {self.visit(node.when)}"
        says = listed((self.visit(reason) for reason in node.reasons), "and")
        return f"{head}." + (f" The result says: {says}" if says else "")

    # ---- schema ---------------------------------------------------------------------------------
    def visit_EnumDecl(self, node) -> Reading:
        values = listed(words(value) for value in node.values)
        return Reading(f"`{node.name}`: {values}", _lines(node.doc))

    def visit_DomainDecl(self, node) -> Reading:
        return Reading(f"`{node.name}`" + (f": {node.title}" if node.title else ""))

    def visit_RecordDecl(self, node) -> Reading:
        lines = list(_lines(node.doc))
        if node.dated_by:
            lines.append(f"Dated by its {words(node.dated_by)}: a record dated after the evaluation date does "
                         "not exist yet.")
        if node.lagging_by:
            lines.append(f"Its data arrives late, by {self.parameter(node.lagging_by)}: a record is known only "
                         "that long after its date, and a window over these records closes that long after its "
                         "last day.")
        lines += [self.visit(field) for field in node.fields]
        return Reading(f"The {words(node.name)} record", tuple(lines))

    def visit_RecordExtension(self, node) -> Reading:
        return Reading(f"Adds to the {words(node.name)} record", tuple(self.visit(f) for f in node.fields))

    def visit_FieldDecl(self, node) -> str:
        notes = ["optional (absent is unknown)"] if node.optional else []
        if node.not_before:
            notes.append(f"never before its {words(node.not_before)}")
        if node.known_from:
            notes.append(f"known only once its {words(node.known_from)} has come")
        said = f"`{node.name}`: {self.visit(node.type)}" + "".join(f"; {note}" for note in notes)
        return said + (f". {sentence(node.doc)}" if node.doc else "")

    def visit_TypeExpr(self, node) -> str:
        kind = node.kind
        if kind is Scalar.ENUM:
            return f"one of the {words(node.name)} values"
        if kind is Scalar.SET:
            return f"a set of {words(node.name)} values"
        if kind is Scalar.LIST:
            return f"a list of {words(node.name)} records"
        if kind is Scalar.MAP:
            return f"{self.visit(node.value_type)} for each {words(node.name)} (0 for one not listed)"
        shown = {Scalar.BOOL: "yes or no", Scalar.TEXT: "a text", Scalar.DATE: "a date"}.get(kind) \
            or f"{article(kind.value)} {kind.value}"
        if node.low is not None and node.high is not None:
            return f"{shown} from {format_number(node.low)} to {format_number(node.high)}"
        if node.low is not None or node.high is not None:
            bound = "at least" if node.low is not None else "at most"
            return f"{shown}, {bound} {format_number(node.low if node.low is not None else node.high)}"
        return shown

    # ---- parameters and definitions -------------------------------------------------------------
    def visit_ParameterDecl(self, node) -> Reading:
        values = self.parameter_values(node)
        marked = " (an illustrative value: the sources do not give it)" if node.illustrative else ""
        return Reading(f"`{node.name}` = {values}{marked}", _lines(node.doc) + _because(node.override_reason))

    def visit_DatedValue(self, node) -> str:
        value = self.visit(node.expr)
        return value + (f" from {date_words(node.from_date)}" if node.from_date else "")

    def visit_Param(self, node) -> str:
        return f"{article(node.type_name)} {words(node.type_name)} {node.name}"

    def visit_Definition(self, node) -> Reading:
        inputs = f", of {listed(self.visit(p) for p in node.params)}" if node.params else ""
        heading = f"`{node.name}`{inputs}" + (f": {node.doc}" if node.doc else "")
        body = self.visit(node.body)
        said = f"True when {body}." if _is(node.body, "bool") else sentence(f"it is {body}")
        return Reading(heading, (said,) + _because(node.override_reason))

    # ---- outcomes -------------------------------------------------------------------------------
    def visit_Classification(self, node) -> str:
        domain = self.checked.resolved.domains.get(node.domain)
        title = f" ({domain.title})" if domain is not None and domain.title else ""
        unit = "once for the client" if node.unit_type == "client" else \
            f"for each {words(node.unit_type)} ({node.unit_var} in the rules)"
        return f"{article(node.stage.value).capitalize()} {node.stage} outcome in the {node.domain} domain{title}, " \
               f"decided {unit}"

    def visit_Frequency(self, node) -> str:
        if not node.per_client:
            return "earned once for each unit"
        times = "once" if node.limit == 1 else f"at most {node.limit} times"
        return (f"earned {times} per client: by the first units, in order, that achieve it; a later one is "
                "not achieved")

    def visit_Outcome(self, node) -> Reading:
        lines = []
        if node.classification is not None:
            head = self.visit(node.classification)
            if node.frequency.per_client:
                head += "; " + self.visit(node.frequency)
            lines.append(head + ".")
        lines += _lines(node.description)
        lines += _lines(node.source, "Source: ")
        lines.append("The rules, in order (the first that applies decides):")
        lines += [f"{number}. {self.visit(statement)}" for number, statement in enumerate(node.statements, 1)]
        return Reading(f"`{node.name}`: {node.title}", tuple(lines) + _because(node.override_reason))

    # ---- cohort measures -------------------------------------------------------------------------
    def visit_Measure(self, node) -> Reading:
        lines = []
        if node.domain is not None:
            domain = self.checked.resolved.domains.get(node.domain)
            title = f" ({domain.title})" if domain is not None and domain.title else ""
            lines.append(f"{article(node.stage.value).capitalize()} {node.stage} measure in the {node.domain} domain"
                         f"{title}, judged over a cohort of clients.")
        lines += _lines(node.description)
        lines += _lines(node.source, "Source: ")
        if node.cohort is not None:
            lines.append(self.visit(node.cohort))
        if node.statements:
            lines.append("Each member is followed for a period:")
            lines += [f"{number}. {self.visit(statement)}" for number, statement in enumerate(node.statements, 1)]
        if node.value is not None:
            unknown = ("; a yes or no still unknown then counts as no" if _is(node.value, "bool") else "")
            lines.append(f"For each member, the value is {self.visit(node.value)}, taken as it stands when the "
                         f"member's period has closed (with its data's lag){unknown}.")
        if node.aggregate is not None:
            lines.append(sentence(f"the measure is {_AGGREGATE_WORDS[node.aggregate]}".replace(
                "N members", f"{node.per} members")))
        if node.baseline is not None:
            lines.append(sentence(f"the baseline is {self.visit(node.baseline)}"))
        if node.target is not None:
            lines.append(self.visit(node.target))
            spec = self.checked.measures.get(node.name)
            if node.target.relative is not None and spec is not None and spec.target is not None:
                lines.append(f"With the baseline above, that is {node.target.bound} {format_number(spec.target)}.")
        lines.append("It is pending until the cohort period has ended and every member's period has closed, "
                     "then achieved or not achieved on the day the last period closed, and it does not change "
                     "after that; with no member it is not applicable.")
        return Reading(f"`{node.name}`: {node.title}", tuple(lines) + _because(node.override_reason))

    def visit_Cohort(self, node) -> str:
        record_type = node.binding.type.name if node.binding is not None and node.binding.type.name else None
        record = self.checked.resolved.records.get(record_type) if record_type else None
        noun = words(record_type) if record_type else f"record of {self.visit(node.source)}"
        dated = f"whose {words(record.dated_by)}" if record is not None and record.dated_by else "dated"
        where = f", where {self.visit(node.condition)}" if node.condition is not None else ""
        return (f"The cohort: every client with {article(noun)} {noun} {dated} is from "
                f"{self.visit(node.start)} to {self.visit(node.end)}, both days included{where}. The earliest "
                f"such {noun} is the member's ({node.var} in the rules), and its date the member's start.")

    def visit_Target(self, node) -> str:
        value = self.visit(node.value)
        if node.relative is None:
            return f"It is achieved when the measure is {node.bound} {value}."
        # `at most 25% below baseline` is met by a value 25% or more below it (the checker refuses the
        # other pairings): said the way a reader counts the stretch
        moved = "reduced" if node.relative is tree.Relative.BELOW else "increased"
        return (f"It is achieved when the measure is at least {value} {node.relative} the baseline: "
                f"{node.bound} the baseline {moved} by {value}.")

    def visit_MeasureExpectation(self, node) -> str:
        date = ""
        if node.date is not None:
            date = f" {'until' if node.status is tree.Status.PENDING else 'on'} {date_words(node.date)}"
        value = f" with the value {node.value}" if node.value is not None else ""
        return f"measure `{node.measure}` {node.status.words}{date}{value}"


    # ---- payments -------------------------------------------------------------------------------
    def visit_ContractDecl(self, node) -> Reading:
        return Reading(f"The contract starts on {date_words(node.start)}: no payment is dated before it",
                       _lines(node.doc) + _because(node.override_reason))

    def visit_PayeeChoice(self, node) -> str:
        return self.visit(node.provider) + (f" when {self.visit(node.when)}" if node.when is not None else "")

    def visit_PayeeDecl(self, node) -> Reading:
        """Read from the checked choices (for the first kind of unit paid), `unit` as "the unit paid for"."""
        symbol, choices = next(iter(self.checked.payments.payees.values()), (None, node.choices))
        if symbol is not None:
            self.called[symbol] = "the unit paid for"
        shown = ", else ".join(self.visit(choice) for choice in choices)
        return Reading(f"Paid to {shown}" + (": the first of these that is known" if len(choices) > 1 else ""),
                       _lines(node.doc) + _because(node.override_reason))

    def visit_TariffEntry(self, node) -> str:
        return f"{words(node.key)} {format_money(node.amount)}"

    def visit_Instalment(self, node) -> str:
        return f"{format_percent(node.share)} on {self.visit(node.at)}"

    def tariff_amount(self, node: tree.TariffDecl) -> str:
        """What a tariff pays: "£1,200.00", "by the client's complexity: low £800.00, ...", per point."""
        if node.key is not None:
            amount = f"by {self.visit(node.key)}: " + listed(self.visit(entry) for entry in node.entries)
        else:
            amount = format_money(node.amount)
        if node.per_point:
            amount += " for each whole percentage point beyond its target"
            amount += f", at most {format_money(node.up_to)}" if node.up_to is not None else ""
        return amount

    def tariff_terms(self, node: tree.TariffDecl) -> str:
        """What a tariff pays, to whom for a measure's, and whether the amounts are illustrative."""
        amount = self.tariff_amount(node)
        if node.payee is not None:
            amount += f", to {quoted(node.payee)}, once it is achieved"
        return amount + _illustrative(node)

    def visit_TariffDecl(self, node) -> Reading:
        lines = []
        if node.instalments:
            parts = [self.visit(part) for part in node.instalments] + ["the rest on achievement"]
            lines.append(sentence("paid in instalments: " + listed(parts)))
        return Reading(f"`{node.name}` pays {self.tariff_terms(node)}",
                       tuple(lines) + _lines(node.doc) + _because(node.override_reason))

    def visit_FeeDecl(self, node) -> Reading:
        unit = "the client" if node.unit_type == "client" else f"each {words(node.unit_type)}"
        when = f", when {self.visit(node.when)}" if node.when is not None else ""
        return Reading(f"Fee `{node.name}`: {format_money(node.amount)} for {unit}, paid on {self.visit(node.on)}"
                       f"{when}{_illustrative(node)}", _lines(node.doc) + _because(node.override_reason))

    def visit_SplitShare(self, node) -> str:
        return f"{quoted(node.provider)} {format_percent(node.share)}"

    def visit_SplitDecl(self, node) -> Reading:
        shares = listed(self.visit(share) for share in node.shares)
        illustrative = " (illustrative shares)" if node.illustrative else ""
        return Reading(f"`{node.name}` is split between {shares}{illustrative}",
                       _lines(node.doc) + _because(node.override_reason))

    def visit_CapDecl(self, node) -> Reading:
        order = listed(key.value for key in node.order) if node.order else \
            "date, client, outcome, unit and instalment"
        return Reading(f"Cap `{node.name}`: at most {format_money(node.amount)} of outcome payments per provider per "
                       f"{_PERIODS[node.period]}, lines admitted in order of {order}{_illustrative(node)}",
                       _lines(node.doc) + _because(node.override_reason))

    def visit_ReduceDecl(self, node) -> Reading:
        return Reading(f"Volume reduction `{node.name}`: the outcome payments for each client after the first "
                       f"{format_number(node.clients)} per provider per {_PERIODS[node.period]} are paid at "
                       f"{format_percent(node.rate)}{_illustrative(node)}",
                       _lines(node.doc) + _because(node.override_reason))

    def visit_FloorDecl(self, node) -> Reading:
        who = f"paid `{node.with_fee}` in it" if node.with_fee else "with any payment in it"
        return Reading(f"Floor `{node.name}`: once a {_PERIODS[node.period]} has ended, a provider {who} is topped "
                       f"up to {format_money(node.amount)} of outcome payments for it{_illustrative(node)}",
                       _lines(node.doc) + _because(node.override_reason))

    def visit_GateDecl(self, node) -> Reading:
        held = listed(f"`{name}`" for name in node.outcomes)
        until = listed(f"`{name}`" for name in node.until)
        return Reading(f"Gate `{node.name}`: {held} {'is' if len(node.outcomes) == 1 else 'are'} held until {until} "
                       f"{'is' if len(node.until) == 1 else 'are each'} achieved or not applicable, for the same "
                       "unit", _lines(node.doc) + _because(node.override_reason))

    def visit_FamilyTariffDecl(self, node) -> Reading:
        outcomes = listed(f"`{name}`" for name in node.outcomes)
        return Reading(f"Family tariff `{node.name}`: {format_money(node.amount)} once for each family (the clients "
                       f"whose {words(node.field)} is the same), to {quoted(node.payee)}, when every treated member "
                       f"has achieved {outcomes}{_illustrative(node)}",
                       (f"A member is treated when it has a result for {outcomes} other than not applicable. A family "
                        "needs at least two treated members; it is paid on the day the last of them achieved, outside "
                        "caps and reductions.",) + _lines(node.doc) + _because(node.override_reason))

    def visit_BudgetShare(self, node) -> str:
        return f"`{node.outcome}` {format_percent(node.share)}"

    def visit_BudgetDecl(self, node) -> Reading:
        shares = listed(self.visit(share) for share in node.shares)
        return Reading(f"Budget `{node.name}`: {format_money(node.amount)} for the {node.domain} domain per contract "
                       f"year; shares: {shares}{_illustrative(node)}",
                       _lines(node.doc) + _because(node.override_reason))

    def visit_LimitDecl(self, node) -> Reading:
        return Reading(f"`{node.name}` may take at most {format_percent(node.share)} of the money for the "
                       f"{node.domain} domain", _lines(node.doc) + _because(node.override_reason))

    # ---- examples and the file ------------------------------------------------------------------
    def visit_Expectation(self, node) -> str:
        unit = f" for {node.unit}" if node.unit else ""
        date = ""
        if node.date is not None:
            date = f" {'until' if node.status is tree.Status.PENDING else 'on'} {date_words(node.date)}"
        return f"`{node.outcome}`{unit} {node.status.words}{date}"

    def visit_PaymentExpectation(self, node) -> str:
        shown = f"{'held' if node.held else 'paid'} `{node.item}`"
        shown += f" for {node.unit}" if node.unit else ""
        shown += f", instalment {node.instalment}" if node.instalment is not None else ""
        shown += f", {format_money(node.amount)}" if node.amount is not None else ""
        shown += f" on {date_words(node.date)}" if node.date is not None else ""
        return shown + (f" to {quoted(node.provider)}" if node.provider else "")

    def visit_Example(self, node) -> Reading:
        if node.client is not None:
            client = f"client {node.client.get('id', '(no id)')} (written in the example)"
        elif getattr(node, "whole_file", False):
            client = f"every client in {node.client_file}"
        else:
            client = f"client {node.client_id} from {node.client_file}"
        expected = listed(self.visit(expectation) for expectation in node.expectations)
        return Reading(f"Example {quoted(node.title)}",
                       (sentence(f"{client}, as of {date_words(node.as_of)}: expects {expected}"),))

    def visit_Extends(self, node) -> str:
        return f"{node.name} {node.version}"

    def visit_Header(self, node) -> Reading:
        lines = []
        if node.extends is not None:
            lines.append(f"Extends {self.visit(node.extends)}: what it does not change is as there.")
        if node.effective is not None or node.effective_until is not None:
            since = f" from {date_words(node.effective)}" if node.effective else ""
            until = f" until {date_words(node.effective_until)}" if node.effective_until else ""
            lines.append(f"In force{since}{until}.")
        lines += _lines(node.description)
        title = f"{node.title} " if node.title else ""
        return Reading(f"{title}({node.name} {node.version})", tuple(lines))

    def visit_Module(self, node) -> Reading:
        """A file as written (its own declarations, read unchecked: names as they are written)."""
        header = self.visit(node.header)
        own = [self.visit(declaration).plain() for declaration in node.declarations]
        return Reading(header.heading, header.lines + tuple(own))


_AGGREGATE_WORDS = {
    tree.Aggregate.AVERAGE: "the average of the members' values",
    tree.Aggregate.MEDIAN: "the median of the members' values",
    tree.Aggregate.SHARE: "the share of members whose value is yes, as a percentage",
    tree.Aggregate.COUNT: "the number of members whose value is yes",
    tree.Aggregate.RATE: "the total of the members' values per N members",
}


def _not(node):
    return tree.Unary(tree.UnaryOp.NOT, node, span=node.span, type=node.type)


def _lines(text: Optional[str], prefix: str = "") -> tuple:
    return (sentence(prefix + text),) if text else ()


def _because(reason: Optional[str]) -> tuple:
    return (f"Changed from what it extends, because: {quoted(reason)}",) if reason else ()


def _illustrative(node) -> str:
    return " (illustrative amounts)" if getattr(node, "illustrative", False) else ""


# ---- the whole ruleset --------------------------------------------------------------------------
TITLES = {"enums": "Enums", "domains": "Domains", "records": "Records", "parameters": "Parameters",
          "definitions": "Definitions", "outcomes": "Outcomes", "contract": "The contract", "payees": "Who is paid",
          "tariffs": "Tariffs", "fees": "Fees", "splits": "Splits between providers", "caps": "Caps",
          "reductions": "Volume reductions", "floors": "Floors", "gates": "Gates", "budgets": "Budgets",
          "family_tariffs": "Family tariffs",
          "limits": "Budget limits", "measures": "Cohort measures", "examples": "Examples"}
# the order a reader wants: what is paid for and how it is decided first, the schema after, examples last
FIRST = ("domains", "outcomes", "measures", "definitions", "parameters", "enums", "records")
CHECKED_TABLES = ("definitions", "outcomes")   # kept checked by the CheckedRuleset, by name
CHECKED_MEASURES = "measures"                  # kept checked in each MeasureSpec
CHECKED_PAYMENTS = ("tariffs", "fees")                     # kept checked by its PaymentSchedule


def section_title(table: str) -> str:
    """A table of declarations as a heading: "Tariffs", "Who is paid"."""
    return TITLES.get(table) or table.capitalize()


def reading_order() -> list:
    later = [table for table in TABLES if table not in FIRST and table != "examples"]
    return [*FIRST, *later, "examples"]


def checked_declaration(checked: CheckedRuleset, table: str, name: str):
    """The checked form of a declaration where the checker keeps one, each expression typed and
    each name resolved; otherwise the resolved one (it has no expressions to check)."""
    if table in CHECKED_TABLES:
        found = getattr(checked, table, {}).get(name)
    elif table in CHECKED_PAYMENTS:
        found = getattr(checked.payments, table).get(name)
    elif table == CHECKED_MEASURES:
        spec = checked.measures.get(name)
        found = spec.measure if spec is not None else None
    else:
        found = None
    return found if found is not None else checked.resolved.tables[table][name]


def read_declaration(checked: CheckedRuleset, table: str, name: str, describer: Describer | None = None) -> Reading:
    return (describer or Describer(checked)).visit(checked_declaration(checked, table, name))


def describe_ruleset(checked: CheckedRuleset) -> str:
    """The whole ruleset in plain English, as text: its header, then every declaration in force,
    section by section (outcomes with every rule in order), payments, and its own examples."""
    describer = Describer(checked)
    out = [describer.visit(checked.resolved.header).text()]
    for table in reading_order():
        names = list(checked.resolved.tables.get(table, ()))
        if not names:
            continue
        readings = [read_declaration(checked, table, name, describer).text("  ") for name in names]
        gap = "\n\n" if table in ("outcomes", "definitions", "records") else "\n"
        out.append(f"\n{section_title(table)}\n\n" + gap.join(readings))
    return "\n".join(out) + "\n"


# ---- what each outcome uses ---------------------------------------------------------------------
def used_by(checked: CheckedRuleset) -> dict:
    """("parameter" | "definition" | "outcome", name) -> the outcomes and measures that use it,
    directly or through definitions, in the ruleset's order. A parameter a record lags by reaches every
    outcome that looks through a list of those records."""
    lagging = {}
    for record in checked.resolved.records.values():
        if record.lagging_by:
            lagging.setdefault(record.name, []).append(record.lagging_by)
    direct = {("definition", name): _uses(definition, lagging) for name, definition in checked.definitions.items()}
    found: dict = {}
    users = [*checked.outcomes.items(), *((name, spec.measure) for name, spec in checked.measures.items())]
    for name, outcome in users:
        seen, pending = set(), list(_uses(outcome, lagging))
        while pending:  # through definitions, to what they use
            use = pending.pop()
            if use not in seen:
                seen.add(use)
                pending.extend(direct.get(use, ()))
        for use in seen:
            found.setdefault(use, []).append(name)
    return found


def _uses(root, lagging: dict) -> set:
    uses = set()
    for node in root.walk():
        symbol = getattr(node, "ref", None)
        if isinstance(symbol, Symbol) and symbol.kind in (SymbolKind.PARAMETER, SymbolKind.DEFINITION):
            uses.add((symbol.kind.value, symbol.name))
        elif isinstance(node, tree.OutcomeRef):
            uses.add(("outcome", node.outcome))
        elif isinstance(node, tree.Quantifier) and _is(node.source, "list"):
            uses.update(("parameter", lag) for lag in lagging.get(node.source.type.name, ()))
    return uses
