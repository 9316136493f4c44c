"""What names refer to: one ``Symbol`` per thing a name can be bound to.

The checker makes a symbol where a name is bound (a `let`, a window, a quantifier's variable, a
definition's input, the outcome's unit) and records it on every name that refers to it
(``tree.Name.ref``). Symbols compare by identity: two bindings of the same name are different
symbols, so later stages tell them apart without looking at names (the code generator gives each
its own Python name).
"""

from __future__ import annotations

import enum
from typing import Optional

import attrs

from .types import T


class SymbolKind(enum.StrEnum):
    CLIENT = "client"          # the client record
    UNIT = "unit"              # the outcome's unit (`per episode e`)
    PARAMETER = "parameter"
    DEFINITION = "definition"  # a definition without inputs, named
    INPUT = "input"            # an input of a definition (`define f(e: episode)`)
    VARIABLE = "variable"      # a quantifier's or a restart's variable: an element of a list or set
    LET = "let"
    WINDOW = "window"

    @property
    def outcome_local(self) -> bool:
        """Bound by a line of an outcome: a second binding of the name there is a mistake."""
        return self in (SymbolKind.LET, SymbolKind.WINDOW, SymbolKind.UNIT)


@attrs.frozen(slots=True, eq=False)
class Symbol:
    kind: SymbolKind
    name: str
    type: T
    value: object = None  # LET: its checked expression; PARAMETER, DEFINITION: the declaration


@attrs.frozen(slots=True)
class EnumValue:
    """A name that is a value of an enum (`completed_drug_free`, `setting.treatment`)."""

    enum: str
    value: str


@attrs.frozen(slots=True)
class EnumName:
    """The name of an enum itself, as in `setting.treatment`."""

    enum: str


class Scopes:
    """Nested scopes of an outcome or definition: each a dict of name -> Symbol, innermost last.
    ``named_later`` holds the names an outcome binds further down (name -> line), so that a
    name used above the line that binds it is reported as such, not as unknown."""

    def __init__(self, frames: tuple = (), named_later: dict | None = None):
        self.frames = frames
        self.named_later = named_later or {}

    def inner(self, bindings: dict | None = None) -> "Scopes":
        return Scopes(self.frames + ((bindings if bindings is not None else {}),), self.named_later)

    def later_hint(self, name: str) -> str | None:
        line = self.named_later.get(name)
        if line is None:
            return None
        return f"`{name}` is named on line {line}, below: a name can be used only after the line that names it"

    def find(self, name: str) -> Optional[Symbol]:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def bind(self, symbol: Symbol) -> None:
        """Bind in the innermost scope."""
        self.frames[-1][symbol.name] = symbol

    def names(self) -> list[str]:
        return [name for frame in self.frames for name in frame]

    def windows(self) -> list[str]:
        return [name for frame in self.frames for name, symbol in frame.items() if symbol.type.kind == "window"]
