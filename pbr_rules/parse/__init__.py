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
    _not_too_deep(parsed, lines, path)
    builder = Builder(path, lines, _placeholder_tree)
    module = builder.transform(parsed)
    raise_all(builder.problems)
    return module.replace(path=path, source="\n".join(lines))


# how deeply parts of a file may sit inside one another: every pass over the tree, and Python's own
# compiler for the generated code, reads an expression by recursion, so a deeper one (1,000
# conditions joined by `and`, 200 `not`s) would stop them with a crash instead of a message
MAX_DEPTH = 110  # about 100 levels of an expression, under a declaration's own few


def _depth(parsed) -> tuple:
    """(the deepest node of a Lark tree, its depth), found without recursion: that is the point."""
    deepest, depth, stack = parsed, 0, [(parsed, 1)]
    while stack:
        node, level = stack.pop()
        if level > depth:
            deepest, depth = node, level
        stack.extend((child, level + 1) for child in node.children if hasattr(child, "children"))
    return deepest, depth


def _not_too_deep(parsed, lines: list[str], path: str) -> None:
    deepest, depth = _depth(parsed)
    if depth <= MAX_DEPTH:
        return
    meta = deepest.meta
    line, column = getattr(meta, "line", 1), getattr(meta, "column", 1)
    raise RulesetSyntaxError(
        f"this is nested too deeply to be read: about {depth - 10} parts inside one another (conditions joined "
        f"by `and` or `or`, `not`s, terms of a sum), where at most about {MAX_DEPTH - 10} can be",
        code=Code.NESTED_TOO_DEEPLY, span=Span(path, line, column),
        source_line=lines[line - 1] if 0 < line <= len(lines) else "",
        hint="give groups of them names with `define`, and join the names")


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
        parsed = parser().parse(source, start="expr")
    except UnexpectedInput:
        return None
    return parsed if _depth(parsed)[1] <= MAX_DEPTH else None  # too deep to read: not an expression
