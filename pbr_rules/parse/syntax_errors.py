"""Syntax errors in words: what was found, what was expected, and the usual mistakes by name.

Lark reports the token it could not use and the terminals it would have accepted. This turns
that into a message a policy lead reads: terminals in words ("a date (YYYY-MM-DD)"), a misspelt
keyword guessed (`mnths` -> `months`), and common mistakes recognised by the parser state they
leave (a rule without its reason, `==`, an override without `because`), each with its code.
"""

from __future__ import annotations

import difflib
import functools

import attrs
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import Code, RulesetSyntaxError, Span
from .grammar import parser
from .text import SourceText

_TERMINAL_WORDS = {
    "NAME": "a name", "STRING": 'a quoted text ("...")', "DATE": "a date (YYYY-MM-DD)",
    "NUMBER": "a number", "SIGNED_NUMBER": "a number", "VERSION": "a version (like 1.0.0)",
    "MONEY": "an amount (like £1,200)", "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "ADD_OP": "+ or -", "MUL_OP": "* or /", "DURATION_UNIT": "a unit (days, weeks, months, years)",
    "IS_TEST": "known, unknown, true or false", "STAGE": "interim or final",
    "WINDOW_START": "after or from", "YES_NO": "yes/no", "$END": "the end of the file",
    "AGGREGATE_KIND": "average, median, share, count", "BOUND": "at most or at least",
    "RELATIVE": "below or above",
}


@attrs.frozen
class Mistake:
    """A common mistake: its code, what to tell the writer, and texts that make it.

    ``after`` mistakes are something missing at the end of a statement (a rule without its
    reason): they apply only when the next statement has begun on a later line, and are shown
    where the missing words belong, after the last thing written. ``same_line`` words the
    error when the unexpected token is on the same line instead."""

    code: Code
    label: str
    examples: tuple
    after: bool = False
    same_line: str | None = None
    same_token: bool = False  # applies only when the unexpected token is the examples' own


MISTAKES = (
    Mistake(Code.MISSING_RULE_DATE,
            "an achievement rule needs its date: write `achieved at DATE when CONDITION because \"...\"`",
            ('ruleset a version 1.0.0 outcome o "t" achieved when true',
             'ruleset a version 1.0.0 outcome o "t" not achieved when true')),
    Mistake(Code.MISSING_CONDITION, "a rule's condition is missing: write `when CONDITION` after the date",
            ('ruleset a version 1.0.0 outcome o "t" achieved at x because "r"',)),
    Mistake(Code.MISSING_REASON,
            "this rule needs a reason: add `because \"...\"` saying why, in words a provider understands",
            ('ruleset a version 1.0.0 outcome o "t" achieved at x when y',
             'ruleset a version 1.0.0 outcome o "t" achieved at x when y outcome',
             'ruleset a version 1.0.0 outcome o "t" not achieved at x when y'),
            after=True, same_line="the rule's condition ends before it: a condition is followed by "
                                  "`because \"...\"`, and conditions are joined with `and` or `or`"),
    Mistake(Code.MISSING_OVERRIDE_REASON, "an override needs a reason: add `because \"...\"` after it",
            ("ruleset a version 1.0.0 override parameter x = 1",
             "ruleset a version 1.0.0 override parameter x = 1 parameter",
             'ruleset a version 1.0.0 override parameter x = 1 "doc"',
             'ruleset a version 1.0.0 override outcome o "t" domain',
             "ruleset a version 1.0.0 override tariff o £1.00",
             "ruleset a version 1.0.0 override tariff o £1.00 tariff",
             'ruleset a version 1.0.0 override tariff o £1.00 "doc"',
             "ruleset a version 1.0.0 override tariff o by x: a £1.00",
             "ruleset a version 1.0.0 override tariff o £1.00 in instalments 1% at x, rest on achievement",
             "ruleset a version 1.0.0 override fee f £1.00 per client on x",
             "ruleset a version 1.0.0 override cap c £1.00 per provider per quarter",
             "ruleset a version 1.0.0 override floor f £1.00 per provider per quarter",
             "ruleset a version 1.0.0 override contract from 2012-01-01",
             'ruleset a version 1.0.0 override paid to "x"',
             'ruleset a version 1.0.0 override split o between "a" 100%',
             "ruleset a version 1.0.0 override gate g on a until b"),
            after=True),
    Mistake(Code.DOUBLE_EQUALS, "equality is a single `=` in this language",
            ("ruleset a version 1.0.0 define x = 1 == 2",)),
    Mistake(Code.MISSING_HEADER, "a ruleset file starts with `ruleset NAME version X.Y.Z`",
            ("outcome", "parameter", "define", "rulset", "ruleset a", "ruleset a version")),
    Mistake(Code.REASON_WITHOUT_OVERRIDE,
            "`because` gives the reason for an override: to change what the extended ruleset says, start "
            "the line with `override` (`override parameter`, `override define`, `override outcome`, `override tariff`, ...)",
            ('ruleset a version 1.0.0 parameter x = 1 because "r"',
             'ruleset a version 1.0.0 parameter x = 1 "doc" because "r"',
             'ruleset a version 1.0.0 define x = 1 because "r"',
             'ruleset a version 1.0.0 outcome o "t" because "r"',
             'ruleset a version 1.0.0 tariff o £1.00 because "r"',
             'ruleset a version 1.0.0 tariff o £1.00 "doc" because "r"',
             'ruleset a version 1.0.0 tariff o by x: a £1.00 because "r"',
             'ruleset a version 1.0.0 fee f £1.00 per client on x because "r"',
             'ruleset a version 1.0.0 cap c £1.00 per provider per quarter because "r"',
             'ruleset a version 1.0.0 floor f £1.00 per provider per quarter because "r"',
             'ruleset a version 1.0.0 paid to "x" because "r"'),
            same_token=True),
    Mistake(Code.MISSING_EXPECTED_DATE, "an expected decision needs its date: write `achieved on DATE` or "
            "`not achieved on DATE`",
            ('ruleset a version 1.0.0 example "t" client {} as of 2013-01-01 expect o achieved',
             'ruleset a version 1.0.0 example "t" client {} as of 2013-01-01 expect o not achieved',
             'ruleset a version 1.0.0 example "t" client {} as of 2013-01-01 expect o achieved example',
             'ruleset a version 1.0.0 example "t" client {} as of 2013-01-01 expect o achieved expect'),
            after=True),
    Mistake(Code.MISSING_VALUE,
            "the value of a parameter needs a unit or a plain number: for example `12 months`, `20%` or `£1,200`",
            ("ruleset a version 1.0.0 parameter x =", "ruleset a version 1.0.0 parameter x = months")),
)


def syntax_error(error: UnexpectedInput, text: str, lines: list[str], path: str) -> RulesetSyntaxError:
    """The error Lark raised, in words, at its place in the file."""
    line, column = _position(error, lines)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        return _generic(f"unexpected character {char!r}", getattr(error, "allowed", None) or set(),
                        error, path, line, column, lines)
    if isinstance(error, UnexpectedEOF):
        message = "the file ends in the middle of a declaration"
        expected = error.expected
    else:
        token = error.token
        if token.type == "$END":
            message = "the file is empty" if not text.strip() else "the file ends too early"
        else:
            message = f"unexpected {str(token)!r}"
        expected = error.accepts or error.expected
    previous = _previous_end(error, text)
    later_line = previous is None or previous[0] < line or _token_type(error) == "$END"
    mistake = _common_mistake(error)
    where = _expected_hint(expected, short=True)  # the message already says what to do
    if mistake is None or (mistake.after and not later_line and mistake.same_line is None):
        return _generic(message, expected, error, path, line, column, lines)
    if mistake.after and not later_line:  # not missing after all: something else follows
        return _error(f"{message}: {mistake.same_line}", Code.SYNTAX, path, line, column, lines, where)
    if mistake.after and previous is not None:
        line, column = previous  # where the missing words belong: after the last thing written
        return _error(mistake.label, mistake.code, path, line, column, lines, where)
    return _error(f"{message}: {mistake.label}", mistake.code, path, line, column, lines, where)


def _generic(message, expected, error, path, line, column, lines) -> RulesetSyntaxError:
    guess = _misspelt_keyword(error, expected)
    if guess:
        message = f"{message}: did you mean `{guess}`?"
    return _error(message, Code.SYNTAX, path, line, column, lines, _expected_hint(expected, short=bool(guess)))


def _expected_hint(expected, short: bool) -> str | None:
    """"expected ...", the tokens that could have come here; when the message already says what
    to write (``short``), only if they are a few (a long list of the grammar's words is noise)."""
    if not expected:
        return None
    words = _expected_words(expected)
    if short and len(words) > 4:
        return None
    return f"expected {_describe(words)}"


def _error(message, code, path, line, column, lines, hint) -> RulesetSyntaxError:
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    return RulesetSyntaxError(message, code=code, span=Span(path, line, column), hint=hint,
                              source_line=source_line)


def _position(error, lines) -> tuple[int, int]:
    line = getattr(error, "line", 0) or 0
    column = getattr(error, "column", 0) or 0
    if isinstance(error, UnexpectedEOF) or line <= 0:
        line = max(len(lines), 1)
        column = len(lines[-1]) + 1 if lines else 1
    return line, column


def _previous_end(error, text: str) -> tuple[int, int] | None:
    """(line, column) just after the last thing written before the unexpected token."""
    token = getattr(error, "token", None)
    offset = getattr(token, "start_pos", None)
    if offset is None or getattr(token, "type", None) == "$END":
        offset = len(text)
    return SourceText(text).end_before(offset)


def _token_type(error) -> str:
    return getattr(getattr(error, "token", None), "type", "$END")


def _misspelt_keyword(error, expected) -> str | None:
    """A keyword or unit close to the unexpected word (`mnths` -> `months`)."""
    token = getattr(error, "token", None)
    if token is None or getattr(token, "type", None) != "NAME":
        return None
    words = []
    for name in expected or ():
        if name == "DURATION_UNIT":
            words += ["days", "weeks", "months", "years"]
            continue
        try:
            pattern = parser().get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str" and pattern.value.isalpha():
            words.append(pattern.value)
    matches = difflib.get_close_matches(str(token), words, n=1, cutoff=0.7)
    return matches[0] if matches else None


def _expected_words(expected) -> list[str]:
    words = []
    for name in sorted(expected):
        if name in _TERMINAL_WORDS:
            word = _TERMINAL_WORDS[name]
        else:
            try:
                pattern = parser().get_terminal(name).pattern
                word = f"`{pattern.value}`" if pattern.type == "str" else name.lower()
            except KeyError:
                word = name.lower()
        if word not in words:
            words.append(word)
    return words


def _describe(words: list[str]) -> str:
    if len(words) > 8:
        return ", ".join(words[:8]) + f" (or {len(words) - 8} more)"
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1] if words else "nothing"


@functools.lru_cache(maxsize=1)
def _mistake_signatures() -> list:
    """(LALR state, accepted tokens, token type, mistake) of each example of a mistake.

    Like Lark's ``match_examples``, but keyed on the parser's current state alone: Lark's
    ParserState equality also compares stack depth, which differs with the nesting around the
    mistake, so the same slip deep in a file would go unlabelled.
    """
    signatures = []
    for mistake in MISTAKES:
        for text in mistake.examples:
            try:
                parser().parse(text, start="start")
            except (UnexpectedToken, UnexpectedEOF) as error:
                signatures.append((error.state.position, frozenset(_accepted(error)), _token_type(error), mistake))
    return signatures


def _accepted(error) -> set:
    return set(getattr(error, "accepts", None) or getattr(error, "expected", ()) or ())


def _common_mistake(error) -> Mistake | None:
    state = getattr(error, "state", None)
    if state is None:
        return None
    token_type = _token_type(error)
    accepted = frozenset(_accepted(error))
    candidates = [(sig_token != token_type, index, mistake) for index, (position, accepts, sig_token, mistake)
                  in enumerate(_mistake_signatures()) if position == state.position and accepts == accepted
                  and (sig_token == token_type or not mistake.same_token)]
    candidates.sort()  # an example with the same unexpected token first
    return candidates[0][2] if candidates else None
