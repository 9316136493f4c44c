"""Analyse the checked tree: which values can be unknown, and what a condition tells.

Every value in the language may be unknown (an optional field not recorded, a date still in the
future, a record that does not exist), and unknown values follow Kleene's three-valued logic.
Much of the time a value cannot be unknown: the client, a required field of a record that is
there, a literal, `x is known`. Knowing that lets the compiler write plain Python (`and`,
`any`, `x["f"]`) instead of the three-valued forms, and lets documentation say when a rule can
be undecided.

``UnknownValues`` answers two questions about an expression in its context:
- ``never_unknown(node)``: is it always true/false or a value, never unknown?
- ``facts(condition, when)``: which names and fields are known not to be unknown when the
  condition is true, false, not false or not true (a ``Truth``)?
The context is what the enclosing code has learned: inside `x is known and ...`, `x` is known.

Definitions with simple inputs are *inlined*: their body is used with the inputs substituted
(``Inliner``), so that what a definition tells about its input is known in the caller's terms.
"""

from __future__ import annotations

import contextlib
import enum

from . import tree
from .check import CheckedRuleset
from .check.scope import EnumValue, Symbol, SymbolKind
from .visitor import Visitor

MAX_INLINE_DEPTH = 8
# A definition is inlined only while its body, with the definitions it inlines in turn, has at
# most this many parts: definitions that each use the previous one several times would otherwise
# be copied into the code exponentially often. A larger one is called (the same result).
MAX_INLINED_SIZE = 300


class Inliner(Visitor):
    """A definition's body with its inputs replaced by the arguments of one call."""

    walks = (tree.Expr,)

    def __init__(self):
        self._bodies: dict = {}  # (definition, what each argument is) -> the substituted body
        self._sizes: dict = {}   # definition name -> the parts of its body once inlined

    def inlined_size(self, definition: tree.Definition) -> int:
        """The parts of a definition's body with every definition it would inline counted in,
        worked out once per definition (linear in the ruleset; past the limit, counting stops)."""
        size = self._sizes.get(definition.name)
        if size is None:
            size = 0
            for node in definition.body.walk():
                size += 1
                found = self.definition_of(node)
                if found is not None and self.simple(found[1]):
                    callee = self.inlined_size(found[0])
                    size += callee if callee <= MAX_INLINED_SIZE else 0  # a call is one part
                if size > MAX_INLINED_SIZE:
                    break
            self._sizes[definition.name] = size
        return size

    @staticmethod
    def definition_of(node):
        """The checked definition a call or a bare name refers to, and its arguments; None for
        anything else (a built-in function has no definition)."""
        ref = getattr(node, "ref", None)
        if not (isinstance(ref, Symbol) and ref.kind is SymbolKind.DEFINITION):
            return None
        return ref.value, (node.args if isinstance(node, tree.Call) else ())

    @staticmethod
    def simple(args: tuple) -> bool:
        """Inputs that are literals or names cost nothing to repeat: such calls are inlined."""
        return all(isinstance(arg, tree.Literal)
                   or (isinstance(arg, tree.Name) and isinstance(arg.ref, (Symbol, EnumValue))) for arg in args)

    def body(self, definition: tree.Definition, args: tuple):
        if not args:
            return definition.body
        # a name argument stands for its binding; arguments kept alive by the key's tuple
        key = (definition.name, tuple(arg.ref if isinstance(arg, tree.Name) else arg for arg in args))
        body = self._bodies.get(key)
        if body is None:
            substitutions = {param.binding: arg for param, arg in zip(definition.params, args)}
            body = self._bodies[key] = self.visit(definition.body, substitutions)
        return body

    def rebuilt(self, node, substitutions, *fields):
        """The node with the named fields rebuilt (itself if nothing inside changed)."""
        changes = {}
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, tuple):
                new = tuple(self.visit(item, substitutions) for item in value)
            else:
                new = None if value is None else self.visit(value, substitutions)
            if new is not value:
                changes[name] = new
        return node.replace(**changes) if changes else node

    def visit_Name(self, node, substitutions):
        return substitutions.get(node.ref, node) if isinstance(node.ref, Symbol) else node

    def visit_Literal(self, node, substitutions):
        return node

    def visit_SetLiteral(self, node, substitutions):
        return node

    def visit_MapLiteral(self, node, substitutions):
        return node

    def visit_Attr(self, node, substitutions):
        return node if isinstance(node.ref, EnumValue) else self.rebuilt(node, substitutions, "base")

    def visit_Index(self, node, substitutions):
        return self.rebuilt(node, substitutions, "base", "index")

    def visit_Call(self, node, substitutions):
        return self.rebuilt(node, substitutions, "args")

    def visit_ValueAsOf(self, node, substitutions):
        return self.rebuilt(node, substitutions, "date")

    def visit_Unary(self, node, substitutions):
        return self.rebuilt(node, substitutions, "operand")

    def visit_Binary(self, node, substitutions):
        return self.rebuilt(node, substitutions, "left", "right")

    def visit_IsTest(self, node, substitutions):
        return self.rebuilt(node, substitutions, "operand")

    def visit_OutcomeRef(self, node, substitutions):
        return self.rebuilt(node, substitutions, "unit")

    def visit_Quantifier(self, node, substitutions):
        return self.rebuilt(node, substitutions, "source", "condition")


def path_key(node):
    """What identifies a name or a chain of fields (`s`, `e.end`, `base.injecting_days`), so
    that facts learned about it are recognised elsewhere; None for anything else."""
    if isinstance(node, tree.Name):
        return node.ref if isinstance(node.ref, Symbol) else None
    if isinstance(node, tree.Attr) and node.ref is None:
        base = path_key(node.base)
        return None if base is None else (base, node.name)
    return None


def path_with_prefixes(node) -> set:
    """The key of a path and of each of its prefixes: `a.b.c` known means `a.b` and `a` are."""
    keys = set()
    while isinstance(node, (tree.Name, tree.Attr)):
        key = path_key(node)
        if key is None:
            break
        keys.add(key)
        if isinstance(node, tree.Name):
            break
        node = node.base
    return keys


class Truth(enum.Enum):
    """What is given of a condition when asking what it tells (``UnknownValues.facts``)."""

    TRUE = "true"
    FALSE = "false"
    NOT_FALSE = "not false"  # true or unknown: the right side of `and` runs
    NOT_TRUE = "not true"    # false or unknown: the right side of `or` runs, a rule did not apply

    @property
    def flipped(self) -> "Truth":
        """What `not C` being this says of C."""
        return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE,
                Truth.NOT_FALSE: Truth.NOT_TRUE, Truth.NOT_TRUE: Truth.NOT_FALSE}[self]

    @property
    def certain(self) -> "Truth":
        """The same, for a condition that is never unknown: not false is true."""
        return {Truth.NOT_FALSE: Truth.TRUE, Truth.NOT_TRUE: Truth.FALSE}.get(self, self)


class UnknownValues:
    """The analysis, with the context of the code being read (see the module's doc)."""

    def __init__(self, checked: CheckedRuleset):
        self.checked = checked
        self.inliner = Inliner()
        self.known: list = []            # keys known here (a stack: see ``knowing``)
        self.outcome_known: set = set()  # keys known in the rest of the outcome being read
        self.inline_depth = 0
        self._never_unknown = _NeverUnknown(self)
        self._facts = _Facts(self)
        self._answers: dict = {}  # (question, node, context) -> (node, answer): see ``never_unknown``

    # ---- context ------------------------------------------------------------------------------
    def start(self) -> None:
        """A new function (an outcome, a definition): nothing is known yet."""
        self.known = []
        self.outcome_known = set()
        self._answers = {}

    def learn(self, keys) -> None:
        """Known for the rest of the outcome (what a rule that did not apply tells)."""
        self.outcome_known |= keys

    @contextlib.contextmanager
    def knowing(self, keys):
        keys = list(keys)
        self.known.extend(keys)
        try:
            yield
        finally:
            del self.known[len(self.known) - len(keys):]

    def is_known(self, node) -> bool:
        if not (self.known or self.outcome_known):
            return False
        key = path_key(node)
        return key is not None and (key in self.known or key in self.outcome_known)

    # ---- inlining ---------------------------------------------------------------------------
    def inline(self, node):
        """The body a call (or a definition's bare name) stands for, inputs substituted, when it
        is inlined here; None when it is called instead."""
        found = self.inliner.definition_of(node)
        if found is None:
            return None
        definition, args = found
        if (not self.inliner.simple(args) or self.inline_depth >= MAX_INLINE_DEPTH
                or self.inliner.inlined_size(definition) > MAX_INLINED_SIZE):
            return None
        return self.inliner.body(definition, args)

    @contextlib.contextmanager
    def inlined(self):
        self.inline_depth += 1
        try:
            yield
        finally:
            self.inline_depth -= 1

    # ---- the questions -------------------------------------------------------------------------
    # Each question asks the other of the parts of a condition (whether `a and b` is never unknown
    # depends on what `a` tells, and what it tells on whether it is never unknown), so an `and`
    # chain of N conditions would be read 3^N times over; answers are kept for the context they
    # were given in (what is known, how deep in inlining), which makes a chain linear.
    def never_unknown(self, node) -> bool:
        return self._remembered("never unknown", node, lambda: self._never_unknown.visit(node))

    def facts(self, condition, when: Truth) -> set:
        def work():
            truth = when.certain if self.never_unknown(condition) else when
            return frozenset(self._facts.visit(condition, truth))
        return set(self._remembered(when, condition, work))

    def _remembered(self, question, node, work):
        key = (question, id(node), frozenset(self.known), frozenset(self.outcome_known), self.inline_depth)
        found = self._answers.get(key)
        if found is not None and found[0] is node:  # the node itself: an id is reused once it is freed
            return found[1]
        answer = work()
        self._answers[key] = (node, answer)
        return answer


class _NeverUnknown(Visitor):
    """Is an expression never unknown, in the analysis's context?"""

    walks = (tree.Expr,)

    def __init__(self, analysis: UnknownValues):
        self.analysis = analysis

    def inlined(self, node):
        body = self.analysis.inline(node)
        if body is None:
            return False
        with self.analysis.inlined():
            return self.visit(body)

    def visit_Literal(self, node):
        return True

    def visit_SetLiteral(self, node):
        return True

    def visit_IsTest(self, node):
        return node.test.status is None  # an outcome's result is unknown while it is pending

    def visit_OutcomeRef(self, node):
        return node.unit is None or self.visit(node.unit)

    def visit_MapLiteral(self, node):
        return False

    def visit_ValueAsOf(self, node):
        return False

    def visit_Name(self, node):
        if self.analysis.is_known(node):
            return True
        ref = node.ref
        if isinstance(ref, EnumValue):
            return True
        if not isinstance(ref, Symbol):
            return False
        if ref.kind is SymbolKind.DEFINITION:
            return self.inlined(node)
        if ref.kind is SymbolKind.LET:
            return self.visit(ref.value)
        return ref.kind is not SymbolKind.INPUT  # an input is as known as what it is given

    def visit_Attr(self, node):
        if self.analysis.is_known(node) or isinstance(node.ref, EnumValue):
            return True
        base_type = node.base.type
        if base_type.kind != "record" or not self.visit(node.base):
            return False
        record = self.analysis.checked.schema.records[base_type.name]
        field = record.fields[node.name]
        # a required field is always there, unless the as-of view may hide it (a later date)
        hideable = (field.scalar is tree.Scalar.DATE and node.name != record.dated_by) or field.known_from
        return not field.optional and not hideable

    def visit_Index(self, node):
        return self.visit(node.base) and self.visit(node.index)  # absent keys count as 0

    def visit_Call(self, node):
        return self.inlined(node)

    def visit_Unary(self, node):
        return node.op is tree.UnaryOp.NOT and self.visit(node.operand)

    def visit_Binary(self, node):
        op = node.op
        if (op is tree.Op.IN and node.right.type.kind == "window") or op is tree.Op.DIVIDE:
            return False
        if op.logical:
            with self.analysis.knowing(self.analysis.facts(node.left, Truth.NOT_FALSE if op is tree.Op.AND
                                                           else Truth.NOT_TRUE)):
                return self.visit(node.left) and self.visit(node.right)
        return self.visit(node.left) and self.visit(node.right)

    def visit_Quantifier(self, node):
        kind = node.kind
        if kind in (tree.QuantifierKind.COUNT, tree.QuantifierKind.EACH):
            return True
        if kind.is_test and node.within is None:
            # the variable is a record or value from the list: never unknown
            return node.condition is None or self.visit(node.condition)
        return False


class _Facts(Visitor):
    """The keys known not to be unknown when a condition has a given truth (see the module)."""

    walks = (tree.Expr,)

    def __init__(self, analysis: UnknownValues):
        self.analysis = analysis

    def nothing(self, node, when):
        return set()

    visit_Literal = visit_Name = visit_Attr = visit_Index = visit_ValueAsOf = nothing
    visit_SetLiteral = visit_MapLiteral = visit_Quantifier = visit_OutcomeRef = nothing

    def visit_IsTest(self, node, when):
        if node.test.status is not None:
            return set()
        keys = path_with_prefixes(node.operand)
        if node.test is tree.Test.UNKNOWN:
            return keys if when is Truth.FALSE else set()
        return keys if when is Truth.TRUE else set()  # known, true, false

    def visit_Unary(self, node, when):
        if node.op is tree.UnaryOp.NOT:
            return self.analysis.facts(node.operand, when.flipped)
        return set()

    def visit_Binary(self, node, when):
        op = node.op
        if op.logical:
            # and: true/not false need both sides so; or: false/not true need both sides so
            both = ((op is tree.Op.AND and when in (Truth.TRUE, Truth.NOT_FALSE))
                    or (op is tree.Op.OR and when in (Truth.FALSE, Truth.NOT_TRUE)))
            left, right = self.analysis.facts(node.left, when), self.analysis.facts(node.right, when)
            return left | right if both else left & right
        if op.comparison and when in (Truth.TRUE, Truth.FALSE):
            return path_with_prefixes(node.left) | path_with_prefixes(node.right)
        return set()

    def visit_Call(self, node, when):
        body = self.analysis.inline(node)
        if body is None:
            return set()
        with self.analysis.inlined():
            return self.analysis.facts(body, when)  # what an inlined definition tells, in the caller's terms
