"""One exception hierarchy for everything a user can get wrong, apart from internal bugs.

Every user-facing error knows where it happened (file, line, column), says what is wrong in
the words of the field, and carries a hint where one can be given. A mistake in a ruleset also
carries a stable ``Code`` (``PBR101``), so that tests and tools match codes, not English;
docs/errors.md explains each with an example and the fix. ``str(error)`` is the gcc-style form:
``file:line:col: error: message [PBR101]``, the source line, a caret, then the hint.
"""

from __future__ import annotations

import enum
from typing import Iterable, Sequence

import attrs


class Code(enum.Enum):
    """The stable code of each kind of mistake in a ruleset: number and name never change
    meaning (a new kind of mistake gets a new code). Listed in docs/errors.md."""

    # syntax
    SYNTAX = ("PBR001", "syntax")
    NOT_UTF8 = ("PBR002", "not-utf8")
    NOT_A_DATE = ("PBR003", "not-a-date")
    FRACTIONAL_LENGTH = ("PBR004", "fractional-length")
    BAD_PLACEHOLDER = ("PBR005", "bad-placeholder")
    NESTED_TOO_DEEPLY = ("PBR006", "nested-too-deeply")
    BAD_ESCAPE = ("PBR007", "bad-escape")
    TOO_LONG = ("PBR008", "too-long")
    MISSING_HEADER = ("PBR010", "missing-header")
    MISSING_RULE_DATE = ("PBR011", "missing-rule-date")
    MISSING_CONDITION = ("PBR012", "missing-condition")
    MISSING_REASON = ("PBR013", "missing-reason")
    MISSING_OVERRIDE_REASON = ("PBR014", "missing-override-reason")
    DOUBLE_EQUALS = ("PBR015", "double-equals")
    MISSING_VALUE = ("PBR016", "missing-value")
    REASON_WITHOUT_OVERRIDE = ("PBR017", "reason-without-override")
    MISSING_EXPECTED_DATE = ("PBR018", "missing-expected-date")
    # names
    UNKNOWN_NAME = ("PBR101", "unknown-name")
    UNKNOWN_FIELD = ("PBR102", "unknown-field")
    UNKNOWN_TYPE = ("PBR103", "unknown-type")
    UNKNOWN_ENUM_VALUE = ("PBR104", "unknown-enum-value")
    DUPLICATE_NAME = ("PBR105", "duplicate-name")
    UNKNOWN_RULESET = ("PBR106", "unknown-ruleset")
    UNKNOWN_OUTCOME = ("PBR107", "unknown-outcome")
    UNKNOWN_DOMAIN = ("PBR108", "unknown-domain")
    WRONG_INPUTS = ("PBR109", "wrong-inputs")
    # types and units
    TYPE_MISMATCH = ("PBR201", "type-mismatch")
    UNIT_MISMATCH = ("PBR202", "unit-mismatch")
    UNDATED_PARAMETER = ("PBR203", "undated-parameter")
    NOT_WRITTEN_OUT = ("PBR204", "not-written-out")
    BAD_PARAMETER_VALUES = ("PBR205", "bad-parameter-values")
    UNDATED_RECORDS = ("PBR206", "undated-records")
    # schema
    NO_CLIENT_RECORD = ("PBR301", "no-client-record")
    BAD_FIELD = ("PBR302", "bad-field")
    BAD_DATE_FIELD = ("PBR303", "bad-date-field")
    BAD_LAG = ("PBR304", "bad-lag")
    # rulesets, extends and overrides
    NOTHING_TO_OVERRIDE = ("PBR401", "nothing-to-override")
    UNKNOWN_OVERRIDE = ("PBR402", "unknown-override")
    REDEFINED = ("PBR403", "redefined")
    OVERRIDE_CHANGES_KIND = ("PBR404", "override-changes-kind")
    EMPTY_REASON = ("PBR405", "empty-reason")
    CIRCULAR_EXTENDS = ("PBR406", "circular-extends")
    WRONG_FILE_NAME = ("PBR407", "wrong-file-name")
    BAD_EXTENSION = ("PBR408", "bad-extension")
    BAD_EFFECTIVE_DATES = ("PBR409", "bad-effective-dates")
    SHADOWS_SHIPPED = ("PBR410", "shadows-shipped")
    # outcomes and rules
    MISSING_CLASSIFICATION = ("PBR501", "missing-classification")
    BAD_UNIT = ("PBR502", "bad-unit")
    UNREACHABLE_RULE = ("PBR503", "unreachable-rule")
    UNDECIDED_OUTCOME = ("PBR504", "undecided-outcome")
    NEVER_ACHIEVED = ("PBR505", "never-achieved")
    CIRCULAR_DEFINITIONS = ("PBR506", "circular-definitions")
    BAD_WINDOW = ("PBR507", "bad-window")
    BAD_REASON = ("PBR508", "bad-reason")
    BAD_OUTCOME_REFERENCE = ("PBR509", "bad-outcome-reference")
    CIRCULAR_OUTCOMES = ("PBR510", "circular-outcomes")
    BAD_MEASURE = ("PBR511", "bad-measure")
    BAD_COHORT = ("PBR512", "bad-cohort")
    BAD_TARGET = ("PBR513", "bad-target")
    # examples
    EXAMPLE_FILE_MISSING = ("PBR601", "example-file-missing")
    EXAMPLE_CLIENT_INVALID = ("PBR602", "example-client-invalid")
    EXAMPLE_FILE_OUTSIDE = ("PBR603", "example-file-outside")
    # payments
    BAD_TARIFF = ("PBR701", "bad-tariff")
    BAD_SHARES = ("PBR702", "bad-shares")
    OVER_LIMIT = ("PBR703", "over-limit")
    BAD_PAYEE = ("PBR704", "bad-payee")
    BAD_GATE = ("PBR705", "bad-gate")
    BAD_PAYMENT = ("PBR706", "bad-payment")

    @property
    def number(self) -> str:
        return self.value[0]

    @property
    def slug(self) -> str:
        return self.value[1]

    def __str__(self) -> str:
        return f"{self.number} {self.slug}"


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

    code: Code | None = None

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
    code = f" [{error.code.number}]" if error.code else ""
    lines = [f"{where}{severity}: {error.message}{code}"]
    if error.source_line is not None and error.span is not None:
        text = error.source_line.rstrip("\n").expandtabs(4)
        lines.append(f"    {text}")
        lines.append("    " + " " * (error.span.column - 1) + "^")
    if error.hint:
        lines.append(f"  hint: {error.hint}")
    return "\n".join(lines)


class RulesetError(PbrError):
    """A mistake in a ruleset: found while parsing, resolving or checking. Always has a code."""

    default_code: Code | None = None

    def __init__(self, message: str, *, code: Code | None = None, span: Span | None = None,
                 hint: str | None = None, source_line: str | None = None):
        super().__init__(message, span=span, hint=hint, source_line=source_line)
        self.code = code or self.default_code
        if self.code is None:
            raise TypeError("a RulesetError needs a code")


class RulesetSyntaxError(RulesetError):
    """The text does not follow the language's grammar."""

    default_code = Code.SYNTAX


class RulesetNotFound(RulesetError):
    """A ruleset reference (a path, name or name@version) that leads to no file."""

    default_code = Code.UNKNOWN_RULESET


class RulesetErrors(RulesetError):
    """Several ruleset errors found in one pass; ``errors`` holds them in source order."""

    def __init__(self, errors: Sequence[RulesetError]):
        self.errors = sorted(errors, key=_position_key)
        first = self.errors[0]
        super().__init__(first.message, code=first.code, span=first.span, hint=first.hint,
                         source_line=first.source_line)

    def __str__(self) -> str:
        count = len(self.errors)
        body = "\n".join(format_diagnostic(e) for e in self.errors)
        return f"{body}\n{count} error{'s' if count != 1 else ''}"


def _position_key(error: PbrError):
    span = error.span
    return (span.file, span.line, span.column) if span else ("", 0, 0)


class Problems:
    """The mistakes one pass finds, collected so that all are reported together."""

    def __init__(self):
        self.errors: list[RulesetError] = []

    def add(self, code: Code, message: str, span: Span | None, hint: str | None = None) -> None:
        self.errors.append(RulesetError(message, code=code, span=span, hint=hint))

    def __bool__(self) -> bool:
        return bool(self.errors)


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


class OutsideCalendar(DataError):
    """A client whose dates the rules' arithmetic takes past the calendar (after 9999-12-31 or
    before 0001-01-01): that client's problem, set aside, never the run's."""

    def __init__(self, client: str | None, as_of=None):
        super().__init__("a date of this client is too near the end (or the start) of the calendar for the "
                         "rules: a time window or data lag from it would run past 9999-12-31 (or before "
                         f"0001-01-01){f', as of {as_of}' if as_of else ''}", client=client, path="$")


class UsageError(PbrError):
    """A bad argument given to the API or the command line."""


class InternalError(PbrError):
    """A bug in pbr_rules itself, not in the rules or the data. Please report it."""

    def __str__(self) -> str:
        return (f"internal error (a bug in pbr_rules, not in your rules or data): {self.message}"
                + (f"\n  while: {self.hint}" if self.hint else ""))
