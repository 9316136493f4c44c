"""Constant folding: the value of an expression that is known before any client is seen.

A parameter's value must be written out (a literal, a negative number or length, a set or a
table of enum values); the checker folds it here. Later, the compiler folds names of parameters
that have one value, and the checker asks whether a rule's condition is always true.
"""

from __future__ import annotations

from decimal import Decimal

from .. import tree
from ..values import Duration
from ..visitor import Visitor
from .scope import Symbol, SymbolKind


class _NotConstant:
    def __repr__(self) -> str:
        return "NOT_CONSTANT"


NOT_CONSTANT = _NotConstant()


class ConstantFolder(Visitor):
    """``fold(expr)`` gives its value, or NOT_CONSTANT. ``parameters`` holds the value of every
    parameter that has one value whatever the date (checked names refer to them)."""

    walks = (tree.Expr,)

    def __init__(self, parameters: dict | None = None):
        self.parameters = parameters or {}

    def fold(self, node):
        return self.visit(node)

    def visit_Literal(self, node):
        return node.value

    def visit_Name(self, node):
        ref = node.ref
        if isinstance(ref, Symbol) and ref.kind is SymbolKind.PARAMETER and node.name in self.parameters:
            return self.parameters[node.name]
        return NOT_CONSTANT

    def visit_Unary(self, node):
        value = self.visit(node.operand)
        if value is NOT_CONSTANT:
            return NOT_CONSTANT
        if node.op is tree.UnaryOp.NOT:
            return (not value) if isinstance(value, bool) else NOT_CONSTANT
        if isinstance(value, bool):
            return NOT_CONSTANT
        if isinstance(value, (int, Decimal, Duration)):
            return -value
        return NOT_CONSTANT

    def visit_SetLiteral(self, node):
        return frozenset(item.name for item in node.items)

    def visit_MapLiteral(self, node):
        table = {}
        for item in node.items:
            value = self.visit(item.value)
            if value is NOT_CONSTANT:
                return NOT_CONSTANT
            table[item.key.name] = value
        return table

    def visit_Binary(self, node):
        if not node.op.logical:
            return NOT_CONSTANT
        left, right = self.visit(node.left), self.visit(node.right)
        if not (isinstance(left, bool) and isinstance(right, bool)):
            return NOT_CONSTANT
        return (left and right) if node.op is tree.Op.AND else (left or right)

    # values that depend on a client, or on a date, are never constant
    def visit_Attr(self, node):
        return NOT_CONSTANT

    def visit_Index(self, node):
        return NOT_CONSTANT

    def visit_Call(self, node):
        return NOT_CONSTANT

    def visit_ValueAsOf(self, node):
        return NOT_CONSTANT

    def visit_IsTest(self, node):
        return NOT_CONSTANT

    def visit_OutcomeRef(self, node):
        return NOT_CONSTANT

    def visit_Quantifier(self, node):
        return NOT_CONSTANT
