"""Text to AST: the Lark LALR parser, the tree-to-AST transformer and syntax errors in words."""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import re
from decimal import Decimal
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .errors import RulesetSyntaxError, Span
from .resources import grammar_text

DURATION_UNITS = {"day": (0, 1), "week": (0, 7), "month": (1, 0), "year": (12, 0)}


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", start=["start", "expr"],
                propagate_positions=True, maybe_placeholders=True, cache=False)


def parse_text(text: str, path: str = "<string>") -> ast.Module:
    """Parse one ruleset file's text into a Module, or raise RulesetSyntaxError."""
    lines = text.splitlines()
    try:
        tree = parser().parse(text, start="start")
    except UnexpectedInput as error:
        raise _syntax_error(error, text, lines, path) from None
    try:
        return _Builder(path, lines).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, RulesetSyntaxError):
            raise error.orig_exc from None
        raise


def parse_file(path: str | Path) -> ast.Module:
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
                                 span=Span(str(path), line, column), source_line=source_line,
                                 hint="save the ruleset as UTF-8 (most editors offer it under 'Save as')") from None
    return parse_text(text, str(path))


# ---- syntax errors in words ------------------------------------------------------------------
_TERMINAL_WORDS = {
    "NAME": "a name", "STRING": 'a quoted text ("...")', "DATE": "a date (YYYY-MM-DD)",
    "NUMBER": "a number", "SIGNED_NUMBER": "a number", "VERSION": "a version (like 1.0.0)",
    "MONEY": "an amount (like £1,200)", "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "ADD_OP": "+ or -", "MUL_OP": "* or /", "DURATION_UNIT": "a unit (days, weeks, months, years)",
    "IS_TEST": "known, unknown, true or false", "STAGE": "interim or final",
    "WINDOW_START": "after or from", "YES_NO": "yes/no", "$END": "the end of the file",
}

# Common mistakes, recognised by the parser state they leave (Lark's match_examples).
_COMMON_MISTAKES = {
    "an achievement rule needs its date: write `achieved at DATE when CONDITION because \"...\"`": [
        'ruleset a version 1.0.0 outcome o "t" achieved when true',
        'ruleset a version 1.0.0 outcome o "t" not achieved when true',
    ],
    "a rule's condition is missing: write `when CONDITION` after the date": [
        'ruleset a version 1.0.0 outcome o "t" achieved at x because "r"',
    ],
    "this rule needs a reason: add `because \"...\"` saying why, in words a provider understands": [
        'ruleset a version 1.0.0 outcome o "t" achieved at x when y',
        'ruleset a version 1.0.0 outcome o "t" achieved at x when y outcome',
        'ruleset a version 1.0.0 outcome o "t" not achieved at x when y',
    ],
    "an override needs a reason: add `because \"...\"` after it": [
        "ruleset a version 1.0.0 override parameter x = 1",
        "ruleset a version 1.0.0 override parameter x = 1 parameter",
        'ruleset a version 1.0.0 override parameter x = 1 "doc"',
        'ruleset a version 1.0.0 override outcome o "t" domain',
    ],
    "equality is a single `=` in this language": [
        "ruleset a version 1.0.0 define x = 1 == 2",
    ],
    "a ruleset file starts with `ruleset NAME version X.Y.Z`": [
        "outcome", "parameter", "define", "rulset", "ruleset a", "ruleset a version",
    ],
    "the value of a parameter needs a unit or a plain number: for example `12 months`, `20%` or `£1,200`": [
        "ruleset a version 1.0.0 parameter x =",
        "ruleset a version 1.0.0 parameter x = months",
    ],
}


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


def _describe_expected(expected) -> str:
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
    if len(words) > 8:
        return ", ".join(words[:8]) + f" (or {len(words) - 8} more)"
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1] if words else "nothing"


@functools.lru_cache(maxsize=1)
def _mistake_signatures() -> list:
    """(LALR state, accepted tokens, token type, label) of each labelled mistake.

    Like Lark's ``match_examples``, but keyed on the parser's current state alone: Lark's
    ParserState equality also compares stack depth, which differs with the nesting around the
    mistake, so the same slip deep in a file would go unlabelled.
    """
    signatures = []
    for label, texts in _COMMON_MISTAKES.items():
        for text in texts:
            try:
                parser().parse(text, start="start")
            except (UnexpectedToken, UnexpectedEOF) as error:
                token_type = getattr(getattr(error, "token", None), "type", "$END")
                signatures.append((error.state.position, frozenset(_accepted(error)), token_type, label))
    return signatures


def _accepted(error) -> set:
    return set(getattr(error, "accepts", None) or getattr(error, "expected", ()) or ())


def _common_mistake(error) -> str | None:
    state = getattr(error, "state", None)
    if state is None:
        return None
    token_type = getattr(getattr(error, "token", None), "type", "$END")
    accepted = frozenset(_accepted(error))
    candidates = [(sig_token == token_type, label) for position, accepts, sig_token, label
                  in _mistake_signatures() if position == state.position and accepts == accepted]
    candidates.sort(key=lambda c: not c[0])  # an example with the same unexpected token first
    return candidates[0][1] if candidates else None


def _syntax_error(error: UnexpectedInput, text: str, lines: list[str], path: str) -> RulesetSyntaxError:
    line = getattr(error, "line", 0) or 0
    column = getattr(error, "column", 0) or 0
    if isinstance(error, UnexpectedEOF) or line <= 0:
        line = max(len(lines), 1)
        column = len(lines[-1]) + 1 if lines else 1
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    label = None
    if isinstance(error, (UnexpectedToken, UnexpectedEOF)):
        label = _common_mistake(error)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        message = f"unexpected character {char!r}"
        expected = getattr(error, "allowed", None) or set()
    elif isinstance(error, UnexpectedEOF):
        message = "the file ends in the middle of a declaration"
        expected = error.expected
    else:
        token = error.token
        if token.type == "$END":
            message = "the file is empty" if not text.strip() else "the file ends too early"
        else:
            message = f"unexpected {str(token)!r}"
        expected = error.accepts or error.expected
    hint = label or (f"expected {_describe_expected(expected)}" if expected else None)
    guess = _misspelt_keyword(error, expected)
    if guess and not label:
        message, hint = f"{message}: did you mean `{guess}`?", hint
    if label:
        message = f"{message}: {label}"
        hint = f"expected {_describe_expected(expected)}" if expected else None
    return RulesetSyntaxError(message, span=Span(path, line, column), hint=hint, source_line=source_line)


# ---- tree to AST -----------------------------------------------------------------------------
def _clean_text(raw: str) -> str:
    """A quoted text without its quotes, escapes undone, runs of white space made one space."""
    body = json.loads(raw) if "\\" in raw else raw[1:-1]
    return re.sub(r"\s+", " ", body).strip()


def _parse_date(token: Token, path: str, lines: list[str]) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(token))
    except ValueError:
        raise RulesetSyntaxError(f"{token} is not a real date", span=_token_span(token, path),
                                 hint="dates are written YYYY-MM-DD, for example 2013-02-28",
                                 source_line=lines[token.line - 1]) from None


def _token_span(token: Token, path: str) -> Span:
    return Span(path, token.line, token.column, token.end_line or token.line,
                token.end_column or token.column)


def _number(text: str):
    return Decimal(text) if "." in text else int(text)


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, path: str, lines: list[str], offset: tuple[int, int] | None = None):
        super().__init__()
        self.path = path
        self.lines = lines
        self.offset = offset  # (line, column) of a template placeholder's first character

    # spans
    def _span(self, meta) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, 0, 0)
        line, column, end_line, end_column = meta.line, meta.column, meta.end_line, meta.end_column
        if self.offset:
            base_line, base_column = self.offset
            column = column + base_column - 1 if line == 1 else column
            end_column = end_column + base_column - 1 if end_line == 1 else end_column
            line, end_line = line + base_line - 1, end_line + base_line - 1
        return Span(self.path, line, column, end_line, end_column)

    def _tspan(self, token: Token) -> Span:
        span = _token_span(token, self.path)
        if self.offset:
            base_line, base_column = self.offset
            column = span.column + base_column - 1 if span.line == 1 else span.column
            span = Span(self.path, span.line + base_line - 1, column)
        return span

    # file structure
    def start(self, meta, children):
        header, *declarations = children
        return ast.Module(header, tuple(declarations), self.path, "\n".join(self.lines))

    def header(self, meta, children):
        name, version, *items = children
        fields = {"title": None, "effective": None, "extends": None, "description": None}
        for key, value in items:
            fields[key] = value
        return ast.Header(str(name), str(version), span=self._span(meta), **fields)

    def title(self, meta, children):
        return ("title", _clean_text(children[0]))

    def effective(self, meta, children):
        return ("effective", _parse_date(children[0], self.path, self.lines))

    def extends(self, meta, children):
        name, version = children
        return ("extends", (str(name), str(version), self._tspan(name)))

    def description(self, meta, children):
        return ("description", _clean_text(children[0]))

    # schema
    def enum_decl(self, meta, children):
        *names, doc = children
        return ast.EnumDecl(str(names[0]), tuple(str(n) for n in names[1:]),
                            _clean_text(doc) if doc else None, self._span(meta))

    def record_decl(self, meta, children):
        name = children[0]
        dated_by = lagging_by = None
        doc = None
        fields = []
        for child in children[1:]:
            if isinstance(child, tuple):
                if child[0] == "dated_by":
                    dated_by = child[1]
                else:
                    lagging_by = child[1]
            elif isinstance(child, Token):
                doc = _clean_text(child)
            elif isinstance(child, ast.FieldDecl):
                fields.append(child)
        return ast.RecordDecl(str(name), dated_by, lagging_by, doc, tuple(fields), False,
                              self._span(meta))

    def record_extension(self, meta, children):
        name, *fields = children
        return ast.RecordDecl(str(name), None, None, None, tuple(fields), True, self._span(meta))

    def dated_by(self, meta, children):
        return ("dated_by", str(children[0]))

    def lagging_by(self, meta, children):
        return ("lagging_by", str(children[0]))

    def field_decl(self, meta, children):
        name, *rest = children
        optional = False
        type_expr = None
        known_from = not_before = None
        for child in rest:
            if isinstance(child, Token) and child.type == "OPTIONAL":
                optional = True
            elif isinstance(child, ast.TypeExpr):
                type_expr = child
            elif isinstance(child, tuple) and child[0] == "known_from":
                known_from = child[1]
            elif isinstance(child, tuple) and child[0] == "not_before":
                not_before = child[1]
        return ast.FieldDecl(str(name), optional, type_expr, known_from, not_before, self._span(meta))

    def known_from(self, meta, children):
        return ("known_from", str(children[0]))

    def not_before(self, meta, children):
        return ("not_before", str(children[0]))

    def _typed(self, kind, meta, **kw):
        return ast.TypeExpr(kind, span=self._span(meta), **kw)

    def date_type(self, meta, children):
        return self._typed("date", meta)

    def text_type(self, meta, children):
        return self._typed("text", meta)

    def bool_type(self, meta, children):
        return self._typed("bool", meta)

    def _ranged(self, kind, meta, children):
        low, high = children[0] if children and children[0] else (None, None)
        return self._typed(kind, meta, low=low, high=high)

    def number_type(self, meta, children):
        return self._ranged("number", meta, children)

    def count_type(self, meta, children):
        return self._ranged("count", meta, children)

    def score_type(self, meta, children):
        return self._ranged("score", meta, children)

    def range(self, meta, children):
        return tuple(children)

    def signed_number(self, meta, children):
        return Decimal(str(children[0]))

    def set_type(self, meta, children):
        return self._typed("set", meta, name=str(children[0]))

    def list_type(self, meta, children):
        return self._typed("list", meta, name=str(children[0]))

    def map_type(self, meta, children):
        return self._typed("map", meta, name=str(children[0]), value_type=children[1])

    def named_type(self, meta, children):
        return self._typed("named", meta, name=str(children[0]))

    # parameters and definitions
    def _parameter(self, meta, children, reason=None):
        name = children[0]
        values = [c for c in children[1:] if isinstance(c, ast.DatedValue)]
        illustrative = any(isinstance(c, Token) and c.type == "ILLUSTRATIVE" for c in children)
        docs = [c for c in children[1:] if isinstance(c, Token) and c.type == "STRING"]
        return ast.ParameterDecl(str(name), tuple(values), illustrative,
                                 _clean_text(docs[0]) if docs else None, reason, self._span(meta))

    def parameter_decl(self, meta, children):
        return self._parameter(meta, children)

    def override_parameter(self, meta, children):
        *rest, because = children
        return self._parameter(meta, rest, reason=_plain(because))

    def dated_value(self, meta, children):
        expr, date = children
        return ast.DatedValue(expr, _parse_date(date, self.path, self.lines) if date else None,
                              self._span(meta))

    def _definition(self, meta, children, reason=None):
        name = children[0]
        params = tuple(c for c in children[1:-1] if isinstance(c, ast.Param))
        docs = [c for c in children[1:-1] if isinstance(c, Token) and c.type == "STRING"]
        return ast.Definition(str(name), params, _clean_text(docs[0]) if docs else None,
                              children[-1], reason, self._span(meta))

    def definition(self, meta, children):
        return self._definition(meta, [c for c in children if c is not None])

    def override_definition(self, meta, children):
        *rest, because = children
        return self._definition(meta, [c for c in rest if c is not None],
                                reason=_plain(because))

    def param(self, meta, children):
        return ast.Param(str(children[0]), str(children[1]), self._span(meta))

    # outcomes
    def _outcome(self, meta, name, title, items, reason=None):
        fields = dict(domain=None, stage=None, unit_type=None, unit_var=None, description=None,
                      source=None, frequency=("unit",))
        statements = []
        for item in items:
            if isinstance(item, tuple):
                key, value = item
                if key == "classification":
                    fields.update(value)
                else:
                    fields[key] = value
            else:
                statements.append(item)
        return ast.Outcome(str(name), _clean_text(title), statements=tuple(statements),
                           override_reason=reason, span=self._span(meta), **fields)

    def outcome(self, meta, children):
        name, title, *items = children
        return self._outcome(meta, name, title, items)

    def override_outcome(self, meta, children):
        name, title, because, *items = children
        return self._outcome(meta, name, title, items, reason=_plain(because))

    def classification(self, meta, children):
        domain, stage, (unit_type, unit_var) = children
        return ("classification", dict(domain=str(domain), stage=str(stage), unit_type=unit_type,
                                       unit_var=unit_var))

    def per_client(self, meta, children):
        return ("client", None)

    def per_record(self, meta, children):
        return (str(children[0]), str(children[1]))

    def source(self, meta, children):
        return ("source", _clean_text(children[0]))

    def earned(self, meta, children):
        return ("frequency", children[0])

    def once_per_unit(self, meta, children):
        return ("unit",)

    def once_per_client(self, meta, children):
        return ("client", 1)

    def at_most_per_client(self, meta, children):
        return ("client", int(children[0]))

    def let_stmt(self, meta, children):
        return ast.Let(str(children[0]), children[1], self._span(meta))

    def window_stmt(self, meta, children):
        name, (start_kind, anchor, length, until, restart) = children
        return ast.WindowStmt(str(name), start_kind, anchor, length, until, restart, self._span(meta))

    def window_expr(self, meta, children):
        start_kind, anchor, bound, restart = children
        length = bound[1] if bound[0] == "for" else None
        until = bound[1] if bound[0] == "until" else None
        return (str(start_kind), anchor, length, until, restart)

    def window_for(self, meta, children):
        return ("for", children[0])

    def window_until(self, meta, children):
        return ("until", children[0])

    def restart(self, meta, children):
        var, source, condition, max_times = children
        return ast.Restart(str(var), source, condition, max_times, self._span(meta))

    def _rule(self, kind, meta, at, when, because):
        return ast.Rule(kind, at, when, tuple(because or ()), self._span(meta))

    def not_applicable_rule(self, meta, children):
        return self._rule("not_applicable", meta, None, children[0], children[1])

    def achieved_rule(self, meta, children):
        return self._rule("achieved", meta, children[0], children[1], children[2])

    def not_achieved_rule(self, meta, children):
        return self._rule("not_achieved", meta, children[0], children[1], children[2])

    def pending_rule(self, meta, children):
        return self._rule("pending", meta, children[0], children[1], children[2])

    def otherwise_pending(self, meta, children):
        return self._rule("otherwise_pending", meta, children[0], None, children[1])

    def because(self, meta, children):
        return tuple(self._template(token) for token in children)

    def _template(self, token: Token) -> ast.Template:
        """Split a reason text into literal parts and parsed {expression} placeholders."""
        raw = str(token)
        text = json.loads(raw) if "\\" in raw else raw[1:-1]
        parts: list = []
        position = 0
        for match in re.finditer(r"\{([^{}]*)\}", text):
            if match.start() > position:
                parts.append(text[position:match.start()])
            # where the placeholder's expression starts in the file (best effort for escapes)
            before = raw[: match.start(1) + 1]
            line = token.line + before.count("\n")
            column = (len(before) - before.rfind("\n")) if "\n" in before else token.column + len(before)
            parts.append(self._placeholder(match.group(1), line, column))
            position = match.end()
        if position < len(text):
            parts.append(text[position:])
        parts = [re.sub(r"\s+", " ", p) if isinstance(p, str) else p for p in parts]
        return ast.Template(tuple(parts), self._tspan(token))

    def _placeholder(self, source: str, line: int, column: int):
        try:
            tree = parser().parse(source, start="expr")
        except UnexpectedInput:
            message = f"cannot read {{{source}}} in a reason text as an expression"
            raise RulesetSyntaxError(message, span=Span(self.path, line, column),
                                     hint="placeholders hold a name or a path, like {e.end}",
                                     source_line=self.lines[line - 1]) from None
        return _Builder(self.path, self.lines, offset=(line, column)).transform(tree)

    # examples
    def example(self, meta, children):
        title, client, as_of, *expectations = children
        kind, payload = client
        return ast.Example(
            _clean_text(title),
            client=payload if kind == "inline" else None,
            client_id=payload[0] if kind == "file" else None,
            client_file=payload[1] if kind == "file" else None,
            as_of=_parse_date(as_of, self.path, self.lines),
            expectations=tuple(expectations),
            span=self._span(meta),
        )

    def inline_client(self, meta, children):
        return ("inline", children[0])

    def file_client(self, meta, children):
        return ("file", (_clean_text(children[0]), _clean_text(children[1])))

    def expectation(self, meta, children):
        outcome, unit, (status, date) = children
        unit_text = None
        if unit is not None:
            unit_text = _clean_text(unit) if unit.type == "STRING" else str(unit)
        return ast.Expectation(str(outcome), unit_text, status, date, self._span(meta),
                               self._tspan(outcome))

    def expect_achieved(self, meta, children):
        return ("achieved", _parse_date(children[0], self.path, self.lines))

    def expect_not_achieved(self, meta, children):
        return ("not_achieved", _parse_date(children[0], self.path, self.lines))

    def expect_pending(self, meta, children):
        return ("pending", _parse_date(children[0], self.path, self.lines) if children[0] else None)

    def expect_not_applicable(self, meta, children):
        return ("not_applicable", None)

    def json_object(self, meta, children):
        return dict(c for c in children if c is not None)

    def json_pair(self, meta, children):
        return (json.loads(str(children[0])), children[1])

    def json_array(self, meta, children):
        return [c for c in children if c is not None] if children != [None] else []

    def json_string(self, meta, children):
        return json.loads(str(children[0]))

    def json_number(self, meta, children):
        return json.loads(str(children[0]), parse_float=Decimal)  # as client data is read: no floats

    def json_null(self, meta, children):
        return None

    # expressions
    def or_op(self, meta, children):
        return ast.Binary("or", children[0], children[1], self._span(meta))

    def and_op(self, meta, children):
        return ast.Binary("and", children[0], children[1], self._span(meta))

    def not_op(self, meta, children):
        return ast.Unary("not", children[0], self._span(meta))

    def negate(self, meta, children):
        return ast.Unary("-", children[0], self._span(meta))

    def compare(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, self._span(meta))

    def member(self, meta, children):
        return ast.Binary("in", children[0], children[1], self._span(meta))

    def is_test(self, meta, children):
        return ast.IsTest(children[0], str(children[1]), self._span(meta))

    def arith(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, self._span(meta))

    def attr(self, meta, children):
        return ast.Attr(children[0], str(children[1]), self._span(meta))

    def index(self, meta, children):
        return ast.Index(children[0], children[1], self._span(meta))

    def number(self, meta, children):
        return ast.Literal(_number(str(children[0])), "number", self._span(meta))

    def duration(self, meta, children):
        amount, unit = children
        if "." in str(amount):
            raise RulesetSyntaxError(f"{amount} {unit}: a length of time is a whole number of {unit}",
                                     span=self._tspan(amount), source_line=self.lines[amount.line - 1])
        months, days = DURATION_UNITS[str(unit).rstrip("s")]
        count = int(str(amount))
        value = ast.Duration(months * count, days * count, text=f"{count} {unit}")
        return ast.Literal(value, "duration", self._span(meta))

    def percent(self, meta, children):
        return ast.Literal(ast.Percent(Decimal(str(children[0])) / 100), "percent", self._span(meta))

    def money(self, meta, children):
        amount = Decimal(str(children[0])[1:].replace(",", ""))
        return ast.Literal(ast.Money(amount), "money", self._span(meta))

    def date(self, meta, children):
        return ast.Literal(_parse_date(children[0], self.path, self.lines), "date", self._span(meta))

    def text(self, meta, children):
        return ast.Literal(_clean_text(str(children[0])), "text", self._span(meta))

    def true(self, meta, children):
        return ast.Literal(True, "bool", self._span(meta))

    def false(self, meta, children):
        return ast.Literal(False, "bool", self._span(meta))

    def json_true(self, meta, children):
        return True

    def json_false(self, meta, children):
        return False

    def name(self, meta, children):
        return ast.Name(str(children[0]), self._span(meta))

    def call(self, meta, children):
        name, *args = children
        return ast.Call(str(name), tuple(a for a in args if a is not None), self._span(meta))

    def value_as_of(self, meta, children):
        return ast.ValueAsOf(str(children[0]), children[1], self._span(meta))

    def set_literal(self, meta, children):
        return ast.SetLiteral(tuple(c for c in children if c is not None), self._span(meta))

    def set_item(self, meta, children):
        return ast.Name(str(children[0]), self._tspan(children[0]))

    def map_literal(self, meta, children):
        return ast.MapLiteral(tuple(children), self._span(meta))

    def map_item(self, meta, children):
        return (ast.Name(str(children[0]), self._tspan(children[0])), children[1])

    def quantifier_closed(self, meta, children):
        kind, var, source, within = children
        return ast.Quantifier(kind, str(var), source, within, None, self._span(meta))

    def quantifier_open(self, meta, children):
        kind, var, source, within, condition = children
        return ast.Quantifier(kind, str(var), source, within, condition, self._span(meta))

    def every(self, meta, children):
        var, source, within, condition = children
        return ast.Quantifier("every", str(var), source, within, condition, self._span(meta))

    def quantifier_kind(self, meta, children):
        return "count" if str(children[0]) == "count" else str(children[0])

    def within(self, meta, children):
        return ast.Name(str(children[0]), self._tspan(children[0]))


def _plain(because: tuple) -> str:
    """An override's reason: the text of its first `because`, placeholders shown as written."""
    parts = because[0].parts if because else ()
    return "".join(p if isinstance(p, str) else "{…}" for p in parts)
