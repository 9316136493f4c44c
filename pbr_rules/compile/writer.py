"""Writing generated Python: lines with a map back to the ruleset, constants, and fresh names.

Like Jinja2's ``CodeGenerator``, the writer keeps, for every generated line, the place in the
ruleset it came from (``line_spans``), so that a failure names the rule. Two rules keep ruleset
text out of the code:
- every value (literals, enum values, reason texts, parameter values) goes into the constants
  tuple ``K`` and the code says ``K[3]``;
- every name the code binds for the ruleset comes from ``fresh``, which numbers it: two
  bindings never share a Python name, whatever the ruleset calls them (`v3_e`, `v7_e`).
"""

from __future__ import annotations

import itertools

from ..errors import InternalError, Span


class CodeWriter:
    def __init__(self):
        self.lines: list[str] = []
        self.line_spans: list = []
        self.constants: list = []
        self._constant_index: dict = {}
        self._counter = itertools.count(1)
        self._names: dict = {}  # binding (a Symbol, compared by identity) -> its Python name
        self._functions: set = set()
        self.span: Span | None = None  # the ruleset place of the lines being written

    def define(self, name: str, inputs: str) -> None:
        """Begin a function of the module. Its name is a prefix per kind of declaration and the
        declaration's name (`d_housed`, `o_abstinence`), unique within its kind; a second
        function of one name would silently replace the first, so it is our bug."""
        if name in self._functions:
            raise InternalError(f"two generated functions are both called {name}")
        self._functions.add(name)
        self.emit(0, f"def {name}({inputs}):")

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)
        self.line_spans.append(self.span)

    def const(self, value) -> str:
        """The code of a constant: ``K[i]``, one entry per distinct (hashable) value."""
        # str(value) too: `1 year` and `12 months` are equal lengths, but are shown as written
        key = (type(value), value, str(value)) if _hashable(value) else None
        if key is not None and key in self._constant_index:
            return f"K[{self._constant_index[key]}]"
        self.constants.append(value)
        index = len(self.constants) - 1
        if key is not None:
            self._constant_index[key] = index
        return f"K[{index}]"

    def fresh(self, hint: str = "") -> str:
        """A Python name no other binding has: `v12_e` (the number makes it unique; the hint,
        a name the grammar limited to letters, digits and `_`, makes it readable)."""
        return f"v{next(self._counter)}_{hint}" if hint else f"t{next(self._counter)}"

    def name_of(self, binding, hint: str) -> str:
        """The Python name of a binding, the same at each use."""
        name = self._names.get(binding)
        if name is None:
            name = self._names[binding] = self.fresh(hint)
        return name

    def name_as(self, binding, name: str) -> None:
        """Give a binding a fixed name (a function's parameter: `client`, `unit`)."""
        self._names[binding] = name

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
