"""One exception hierarchy for everything a user can get wrong, apart from internal bugs.

Every user-facing error knows where it happened (file, line, column), says what is wrong in
the words of the field, and carries a hint where one can be given. ``str(error)`` is the
gcc-style form: ``file:line:col: error: message``, the source line, a caret, then the hint.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import attrs


@attrs.frozen(slots=True)
class Span:
    """A place in a ruleset file (1-based line and column)."""

    file: str
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class PbrError(Exception):
    """Root of every error pbr_rules raises on purpose."""

    def __init__(self, message: str, *, span: Span | None = None, hint: str | None = None,
                 source_line: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.source_line = source_line

    @property
    def file(self) -> str | None:
        return self.span.file if self.span else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def __str__(self) -> str:
        return format_diagnostic(self)


def format_diagnostic(error: PbrError, severity: str = "error") -> str:
    where = f"{error.span}: " if error.span else ""
    lines = [f"{where}{severity}: {error.message}"]
    if error.source_line is not None and error.span is not None:
        text = error.source_line.rstrip("\n").expandtabs(4)
        lines.append(f"    {text}")
        lines.append("    " + " " * (error.span.column - 1) + "^")
    if error.hint:
        lines.append(f"  hint: {error.hint}")
    return "\n".join(lines)


class RulesetError(PbrError):
    """A mistake in a ruleset: found while parsing, resolving or checking."""


class RulesetSyntaxError(RulesetError):
    """The text does not follow the language's grammar."""


class RulesetNotFound(RulesetError):
    """A ruleset reference (a path, name or name@version) that leads to no file."""


class RulesetErrors(RulesetError):
    """Several ruleset errors found in one pass; ``errors`` holds them in source order."""

    def __init__(self, errors: Sequence[RulesetError]):
        self.errors = sorted(errors, key=_position_key)
        first = self.errors[0]
        super().__init__(first.message, span=first.span, hint=first.hint,
                         source_line=first.source_line)

    def __str__(self) -> str:
        count = len(self.errors)
        body = "\n".join(format_diagnostic(e) for e in self.errors)
        return f"{body}\n{count} error{'s' if count != 1 else ''}"


def _position_key(error: PbrError):
    span = error.span
    return (span.file, span.line, span.column) if span else ("", 0, 0)


def raise_all(errors: Iterable[RulesetError]) -> None:
    """Raise the collected errors: a single one as itself, several as RulesetErrors."""
    errors = list(errors)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise RulesetErrors(errors)


class DataError(PbrError):
    """A client record that does not fit the ruleset's schema.

    ``client`` is the client id (when it could be read), ``path`` a JSON path into the record,
    ``line_number`` the line of the input file, ``errors`` every problem found in the record.
    """

    def __init__(self, message: str, *, client: str | None = None, path: str = "$",
                 line_number: int | None = None, source: str | None = None, errors: list | None = None):
        super().__init__(message)
        self.client = client
        self.path = path
        self.line_number = line_number
        self.source = source
        self.errors = errors or [self]  # every problem of the record, when one error stands for several

    def to_json(self) -> dict:
        return {"source": self.source, "line": self.line_number, "client": self.client,
                "path": self.path, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.source or '<data>'}:{self.line_number}" if self.line_number else (
            self.source or "<data>")
        who = f" client {self.client}" if self.client else ""
        return f"{where}:{who} {self.path}: {self.message}"


class UsageError(PbrError):
    """A bad argument given to the API or the command line."""


class InternalError(PbrError):
    """A bug in pbr_rules itself, not in the rules or the data. Please report it."""

    def __str__(self) -> str:
        return (f"internal error (a bug in pbr_rules, not in your rules or data): {self.message}"
                + (f"\n  while: {self.hint}" if self.hint else ""))
