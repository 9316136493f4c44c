"""Parse: ruleset text to its syntax tree (``tree.Module``), or every syntax error in it.

After a syntax error the parser starts again at the next line that begins a declaration
(``outcome``, ``parameter``, ...), so that one run reports up to ``MAX_SYNTAX_ERRORS`` mistakes,
as the checker does, instead of stopping at the first.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lark.exceptions import UnexpectedInput

from .. import tree
from ..errors import Code, RulesetSyntaxError, Span, raise_all
from .builder import Builder
from .grammar import parser
from .syntax_errors import syntax_error
from .text import SourceText

MAX_SYNTAX_ERRORS = 20
_DECLARATION_START = re.compile(
    r"^[ \t]*(?:enum|domains|record|extend|parameter|define|outcome|example|override)\b", re.M)


def parse_text(text: str, path: str = "<string>") -> tree.Module:
    """Parse one ruleset file's text into a Module, or raise its syntax errors."""
    lines = text.splitlines()
    try:
        parsed = parser().parse(text, start="start")
    except UnexpectedInput as error:
        raise_all(_all_syntax_errors(error, text, lines, path))
    builder = Builder(path, lines, _placeholder_tree)
    module = builder.transform(parsed)
    raise_all(builder.problems)
    return module.replace(path=path, source="\n".join(lines))


def parse_file(path: str | Path) -> tree.Module:
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        source_line = raw.split(b"\n")[line - 1].decode("utf-8", errors="replace")
        raise RulesetSyntaxError(f"this file is not UTF-8 text: byte 0x{raw[error.start]:02x} cannot be read",
                                 code=Code.NOT_UTF8, span=Span(str(path), line, column), source_line=source_line,
                                 hint="save the ruleset as UTF-8 (most editors offer it under 'Save as')") from None
    return parse_text(text, str(path))


def _all_syntax_errors(first: UnexpectedInput, text: str, lines: list[str], path: str) -> list:
    """The first error, then those found by parsing again from each next declaration."""
    errors = [syntax_error(first, text, lines, path)]
    after_line = errors[0].span.line
    source = SourceText(text)
    while len(errors) < MAX_SYNTAX_ERRORS:
        resume = _next_declaration(source, after_line)
        if resume is None:
            break
        # blank out what came before, keeping the line breaks, so that positions stay true
        rest = re.sub(r"[^\n]", " ", text[:resume]) + text[resume:]
        try:
            parser().parse(rest, start="declarations")
            break
        except UnexpectedInput as error:
            found = syntax_error(error, text, lines, path)
            if found.span.line <= after_line and errors:
                after_line += 1  # no progress on this line: look further on
                continue
            errors.append(found)
            after_line = found.span.line
    return errors


def _next_declaration(source: SourceText, after_line: int) -> int | None:
    """The offset of the first line after ``after_line`` that starts a declaration (a line of a
    multi-line description that happens to begin with `record` does not)."""
    text = source.text
    offset = 0
    for _ in range(after_line):
        offset = text.find("\n", offset)
        if offset < 0:
            return None
        offset += 1
    for match in _DECLARATION_START.finditer(text, offset):
        if not source.in_text_or_comment(match.start()):
            return match.start()
    return None


@functools.lru_cache(maxsize=4096)
def _placeholder_tree(source: str):
    """The Lark tree of a reason text's {placeholder}, or None if it is not an expression.
    (The same few placeholders, `{e.id}`, recur in every rule: each is parsed once.)"""
    try:
        return parser().parse(source, start="expr")
    except UnexpectedInput:
        return None
