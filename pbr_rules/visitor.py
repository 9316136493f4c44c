"""One way to walk the tree: ``visit`` dispatches on ``visit_<ClassName>``, and a node a pass
has no method for is refused, never skipped.

Modelled on Jinja2's ``NodeVisitor`` with the refusing ``generic_visit`` of its ``idtracking``
``RootVisitor``: a construct added to the language without teaching every pass about it fails
loudly here (and ``tests/test_architecture.py`` fails before that, because each visitor names the
node families it ``walks`` and must have a method for every class in them).
"""

from __future__ import annotations

from typing import ClassVar

from .errors import InternalError


class Visitor:
    walks: ClassVar[tuple] = ()  # the node families (tree.Expr, ...) this pass must handle whole
    _methods: ClassVar[dict]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._methods = {}  # node class -> method name, per visitor class

    def visit(self, node, *args, **kwargs):
        cls = type(node)
        name = self._methods.get(cls)
        if name is None:
            name = self._methods[cls] = "visit_" + cls.__name__
        method = getattr(self, name, None)
        if method is None:
            return self.generic_visit(node, *args, **kwargs)
        return method(node, *args, **kwargs)

    def generic_visit(self, node, *args, **kwargs):
        raise InternalError(f"{type(self).__name__} does not know {type(node).__name__} nodes",
                            hint=str(getattr(node, "span", "")) or None)

    @classmethod
    def missing_methods(cls) -> list[str]:
        """The node classes of the families this pass walks that it has no method for."""
        from .tree import node_classes
        return [node.__name__ for family in cls.walks for node in node_classes(family)
                if not hasattr(cls, "visit_" + node.__name__)]
