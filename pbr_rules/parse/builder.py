"""Lark's parse tree to the ruleset's syntax tree (``tree``): one method per grammar rule.

The walk is Lark's ``Transformer`` in miniature (bottom up; a method gets the rule's position
and its built children), written here because Lark's ``v_args`` wrapper costs more than building
the node itself. A grammar rule without a method is refused (``__default__``), never passed on as
a raw Lark tree; ``tests/test_architecture.py`` also checks that every rule has one.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

from lark import Token, Tree

from .. import tree
from ..errors import Code, InternalError, RulesetSyntaxError, Span
from ..values import Duration, Money, Percent


WELL_WRITTEN_MONEY = re.compile(r"£(\d{1,3}(,\d{3})+|\d+)(\.\d\d)?")
# a length of time is at most 100 years: windows of thousands of years would run dates past the
# calendar's end (9999-12-31) and set every client aside, for a mistake in the rules
LONGEST_MONTHS, LONGEST_DAYS = 1200, 36525
LONGEST_NUMBER = 40  # characters of a number (money is bounded on its own)
_NUMBERS = frozenset({"NUMBER", "SIGNED_NUMBER"})
MONEY_LIMIT = Decimal(10) ** 12  # with pence, 14 digits: far inside Decimal's exact 28


def clean_text(raw: str) -> str:
    """A quoted text without its quotes, escapes undone, runs of white space made one space.
    Its escapes were checked when it was built (``Builder.transform``), so JSON reads them."""
    raw = re.sub(r"\s+", " ", raw)  # first: a text may run over lines, which JSON does not allow
    if "\\" not in raw:
        return raw[1:-1].strip()
    return re.sub(r"\s+", " ", json.loads(raw, strict=False)).strip()


# a text's escapes are JSON's; a `\u` escape of half a character must be one of a pair
_ESCAPE = re.compile(r'\\(?:(["\\/bfnrt])|u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})'
                     r'|u([dD][89a-fA-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|(.?))', re.S)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _unescaped(written: str) -> str:
    """Part of a text, its escapes (checked already) undone."""
    return json.loads(f'"{written}"', strict=False) if "\\" in written else written


def _escape_message(written: str) -> str:
    if written.lower().startswith("\\u"):
        return f"`{written}` is half of a character: a `\\u` escape from D800 to DFFF must be one of a pair"
    return f"`{written}` is not an escape a text can hold"


def bad_escape(raw: str) -> tuple[int, str] | None:
    """The offset and text of the first escape in a quoted text that is not one, or None."""
    for match in _ESCAPE.finditer(raw):
        if match.group(4) is not None or match.group(6) is not None:
            return match.start(), match.group(0)
    return None


def token_span(token: Token, path: str) -> Span:
    return Span(path, token.line, token.column, token.end_line or token.line,
                token.end_column or token.column)


def _number(text: str):
    return Decimal(text) if "." in text else int(text)


def _plain(because: tuple) -> str:
    """An override's reason: the text of its first `because`, placeholders shown as written."""
    parts = because[0].parts if because else ()
    return "".join(p if isinstance(p, str) else "{…}" for p in parts)


# a measure's lines that may be written once, as they are written
_MEASURE_LINES = {"measure_domain": "domain", "description": "description", "source": "source", "cohort": "cohort",
                  "value": "value", "aggregate": "measured as", "baseline": "baseline", "target": "target"}

_EXPECTED_STATUS = {"expect_achieved": tree.Status.ACHIEVED, "expect_not_achieved": tree.Status.NOT_ACHIEVED,
                    "expect_pending": tree.Status.PENDING, "expect_not_applicable": tree.Status.NOT_APPLICABLE}


class Builder:
    def __init__(self, path: str, lines: list[str], parse_placeholder, offset: tuple[int, int] | None = None,
                 problems: list | None = None):
        self.path = path
        self.lines = lines
        self.parse_placeholder = parse_placeholder  # text -> Lark tree of an expression
        self.offset = offset  # (line, column) of a template placeholder's first character
        # mistakes found while building (a date that does not exist, ...): all are reported
        self.problems = problems if problems is not None else []

    def _fail(self, error: RulesetSyntaxError, stand_in):
        """Note a mistake and go on with a stand-in value, to find the next mistakes too."""
        self.problems.append(error)
        return stand_in

    def transform(self, parsed: Tree):
        """The node (or part of one) that a Lark tree stands for, its children built first."""
        children = [self.transform(child) if isinstance(child, Tree)
                    else self._text_token(child) if isinstance(child, Token) and child.type == "STRING"
                    else self._number_token(child) if isinstance(child, Token) and child.type in _NUMBERS
                    and len(child) > LONGEST_NUMBER else child
                    for child in parsed.children]
        method = getattr(self, parsed.data, None)
        if method is None:
            return self.__default__(parsed.data, children, parsed.meta)
        return method(parsed.meta, children)

    def _number_token(self, token: Token) -> Token:
        """A number written with more characters than any rule needs (Python reads at most 4,300
        digits as a whole number): refused at its place, 0 standing in."""
        span = self._tspan(token)
        self._fail(RulesetSyntaxError(
            f"this number is {len(token):,} characters long: a number in the rules has at most {LONGEST_NUMBER}",
            code=Code.TOO_LONG, span=span, source_line=self.lines[span.line - 1],
            hint="write the number the rule means"), None)
        return Token.new_borrow_pos(token.type, "0", token)

    def _text_token(self, token: Token) -> Token:
        """A quoted text, its escapes checked: `\\q`, `\\x41` and half a character (`\\ud800`)
        are refused at their place, never kept as written or passed on to be written out."""
        if "\\" in token:
            found = bad_escape(str(token))
            if found is not None:
                offset, written = found
                before = str(token)[:offset]
                line = token.line + before.count("\n")
                column = offset - before.rfind("\n") if "\n" in before else token.column + offset
                span = self._tspan(Token("STRING", "", line=line, column=column))
                self._fail(RulesetSyntaxError(
                    _escape_message(written), code=Code.BAD_ESCAPE, span=span,
                    source_line=self.lines[span.line - 1],
                    hint='in a text, write \\" for a quote and \\\\ for a backslash'), None)
                return Token.new_borrow_pos("STRING", '""', token)  # a stand-in: the file is refused
        return token

    def __default__(self, data, children, meta):
        raise InternalError(f"the parser built a `{data}` and the tree builder has no method for it",
                            hint=str(self._span(meta)))

    # ---- positions -------------------------------------------------------------------------
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
        span = token_span(token, self.path)
        if self.offset:
            base_line, base_column = self.offset
            column = span.column + base_column - 1 if span.line == 1 else span.column
            span = Span(self.path, span.line + base_line - 1, column)
        return span

    def _date(self, token: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(token))
        except ValueError:
            span = self._tspan(token)  # in the file, also inside a reason's {placeholder}
            return self._fail(RulesetSyntaxError(
                f"{token} is not a real date", code=Code.NOT_A_DATE, span=span,
                hint="dates are written YYYY-MM-DD, for example 2013-02-28",
                source_line=self.lines[span.line - 1]), datetime.date.min)

    # ---- file structure ---------------------------------------------------------------------
    def start(self, meta, children):
        header, *declarations = children
        return tree.Module(header, _flatten(declarations), "", "", span=self._span(meta))

    def declarations(self, meta, children):
        return _flatten(children)

    def header(self, meta, children):
        name, version, *items = children
        fields = {"title": None, "effective": None, "effective_until": None, "extends": None, "description": None}
        for key, value in items:
            fields[key] = value
        return tree.Header(str(name), str(version), span=self._span(meta), **fields)

    def title(self, meta, children):
        return ("title", clean_text(children[0]))

    def effective(self, meta, children):
        return ("effective", self._date(children[0]))

    def effective_until(self, meta, children):
        return ("effective_until", self._date(children[0]))

    def extends(self, meta, children):
        name, version = children
        return ("extends", tree.Extends(str(name), str(version), span=self._tspan(name)))

    def description(self, meta, children):
        return ("description", clean_text(children[0]))

    # ---- schema -----------------------------------------------------------------------------
    def enum_decl(self, meta, children):
        *names, doc = children
        return tree.EnumDecl(str(names[0]), tuple(str(n) for n in names[1:]),
                             clean_text(doc) if doc else None, span=self._span(meta))

    def domains_decl(self, meta, children):
        return tuple(children)

    def domain_item(self, meta, children):
        name, title = children
        return tree.DomainDecl(str(name), clean_text(title) if title else None, span=self._span(meta))

    def record_decl(self, meta, children):
        options = {"dated_by": None, "lagging_by": None}
        doc = None
        fields = []
        for child in children[1:]:
            if isinstance(child, tuple):
                options[child[0]] = child[1]
            elif isinstance(child, Token):
                doc = clean_text(child)
            elif isinstance(child, tree.FieldDecl):
                fields.append(child)
        return tree.RecordDecl(str(children[0]), options["dated_by"], options["lagging_by"], doc,
                               tuple(fields), span=self._span(meta))

    def record_extension(self, meta, children):
        name, *fields = children
        return tree.RecordExtension(str(name), tuple(fields), span=self._span(meta))

    def dated_by(self, meta, children):
        return ("dated_by", str(children[0]))

    def lagging_by(self, meta, children):
        return ("lagging_by", str(children[0]))

    def field_decl(self, meta, children):
        name, *rest = children
        optional = any(isinstance(c, Token) and c.type == "OPTIONAL" for c in rest)
        type_expr = next(c for c in rest if isinstance(c, tree.TypeExpr))
        options = dict(c for c in rest if isinstance(c, tuple))
        doc = next((clean_text(c) for c in rest if isinstance(c, Token) and c.type == "STRING"), None)
        return tree.FieldDecl(str(name), optional, type_expr, options.get("known_from"),
                              options.get("not_before"), doc, span=self._span(meta))

    def known_from(self, meta, children):
        return ("known_from", str(children[0]))

    def not_before(self, meta, children):
        return ("not_before", str(children[0]))

    def _typed(self, kind: tree.Scalar, meta, **kw):
        return tree.TypeExpr(kind, span=self._span(meta), **kw)

    def _ranged(self, kind: tree.Scalar, meta, children):
        low, high = children[0] if children and children[0] else (None, None)
        return self._typed(kind, meta, low=low, high=high)

    def date_type(self, meta, children):
        return self._typed(tree.Scalar.DATE, meta)

    def text_type(self, meta, children):
        return self._typed(tree.Scalar.TEXT, meta)

    def bool_type(self, meta, children):
        return self._typed(tree.Scalar.BOOL, meta)

    def number_type(self, meta, children):
        return self._ranged(tree.Scalar.NUMBER, meta, children)

    def count_type(self, meta, children):
        return self._ranged(tree.Scalar.COUNT, meta, children)

    def score_type(self, meta, children):
        return self._ranged(tree.Scalar.SCORE, meta, children)

    def range(self, meta, children):
        return tuple(children)

    def signed_number(self, meta, children):
        return Decimal(str(children[0]))

    def set_type(self, meta, children):
        return self._typed(tree.Scalar.SET, meta, name=str(children[0]))

    def list_type(self, meta, children):
        return self._typed(tree.Scalar.LIST, meta, name=str(children[0]))

    def map_type(self, meta, children):
        return self._typed(tree.Scalar.MAP, meta, name=str(children[0]), value_type=children[1])

    def named_type(self, meta, children):
        return self._typed(tree.Scalar.ENUM, meta, name=str(children[0]))

    # ---- parameters and definitions -------------------------------------------------------------
    def _parameter(self, meta, children, reason=None):
        values = [c for c in children[1:] if isinstance(c, tree.DatedValue)]
        illustrative = any(isinstance(c, Token) and c.type == "ILLUSTRATIVE" for c in children)
        docs = [c for c in children[1:] if isinstance(c, Token) and c.type == "STRING"]
        return tree.ParameterDecl(str(children[0]), tuple(values), illustrative,
                                  clean_text(docs[0]) if docs else None, reason, span=self._span(meta))

    def parameter_decl(self, meta, children):
        return self._parameter(meta, children)

    def override_parameter(self, meta, children):
        *rest, because = children
        return self._parameter(meta, rest, reason=_plain(because))

    def dated_value(self, meta, children):
        expr, date = children
        return tree.DatedValue(expr, self._date(date) if date else None, span=self._span(meta))

    def _definition(self, meta, children, reason=None):
        children = [c for c in children if c is not None]
        params = tuple(c for c in children[1:-1] if isinstance(c, tree.Param))
        docs = [c for c in children[1:-1] if isinstance(c, Token) and c.type == "STRING"]
        return tree.Definition(str(children[0]), params, clean_text(docs[0]) if docs else None,
                               children[-1], reason, span=self._span(meta))

    def definition(self, meta, children):
        return self._definition(meta, children)

    def override_definition(self, meta, children):
        *rest, because = children
        return self._definition(meta, rest, reason=_plain(because))

    def param(self, meta, children):
        return tree.Param(str(children[0]), str(children[1]), span=self._span(meta))

    # ---- outcomes -----------------------------------------------------------------------------
    def _outcome(self, meta, name, title, items, reason=None):
        fields = dict(classification=None, description=None, source=None,
                      frequency=tree.Frequency(span=self._span(meta)))
        statements = []
        for item in items:
            if isinstance(item, tuple):
                fields[item[0]] = item[1]
            else:
                statements.append(item)
        return tree.Outcome(str(name), clean_text(title), statements=tuple(statements),
                            override_reason=reason, span=self._span(meta), **fields)

    def outcome(self, meta, children):
        name, title, *items = children
        return self._outcome(meta, name, title, items)

    def override_outcome(self, meta, children):
        name, title, because, *items = children
        return self._outcome(meta, name, title, items, reason=_plain(because))

    def classification(self, meta, children):
        domain, stage, (unit_type, unit_var) = children
        return ("classification", tree.Classification(
            str(domain), tree.Stage(str(stage)), unit_type, unit_var, domain_span=self._tspan(domain),
            span=self._span(meta)))

    def per_client(self, meta, children):
        return ("client", None)

    def per_record(self, meta, children):
        return (str(children[0]), str(children[1]))

    def source(self, meta, children):
        return ("source", clean_text(children[0]))

    def earned(self, meta, children):
        return ("frequency", children[0])

    def once_per_unit(self, meta, children):
        return tree.Frequency(None, span=self._span(meta))

    def once_per_client(self, meta, children):
        return tree.Frequency(1, span=self._span(meta))

    def at_most_per_client(self, meta, children):
        return tree.Frequency(self._whole_count(children[0], f"earned at most {children[0]} times",
                                                "the limit is a whole number of times, at least 1",
                                                "write `earned at most 2 times per client`"), span=self._span(meta))

    # ---- cohort measures ----------------------------------------------------------------------
    def _measure(self, meta, name, title, items, reason=None):
        fields = dict(domain=None, stage=None, description=None, source=None, cohort=None, value=None,
                      aggregate=None, per=None, baseline=None, target=None, domain_span=None)
        statements, seen = [], {}
        for item in items:
            if not isinstance(item, tuple):
                statements.append(item)
                continue
            key, value, span = item if len(item) == 3 else (*item, None)
            if key in seen and span is not None:
                self._fail(RulesetSyntaxError(
                    f"measure `{name}` says `{_MEASURE_LINES[key]}` twice", code=Code.SYNTAX, span=span,
                    source_line=self.lines[span.line - 1], hint=f"keep one (the other is on line {seen[key]})"), None)
            seen[key] = span.line if span else 0
            if key == "measure_domain":
                fields["domain"], fields["stage"], fields["domain_span"] = value
            elif key == "aggregate":
                fields["aggregate"], fields["per"] = value
            else:
                fields[key] = value
        return tree.Measure(str(name), clean_text(title), statements=tuple(statements), override_reason=reason,
                            span=self._span(meta), **fields)

    def measure(self, meta, children):
        name, title, *items = children
        return self._measure(meta, name, title, items)

    def override_measure(self, meta, children):
        name, title, because, *items = children
        return self._measure(meta, name, title, items, reason=_plain(because))

    def measure_domain(self, meta, children):
        domain, stage = children
        return ("measure_domain", (str(domain), tree.Stage(str(stage)), self._tspan(domain)), self._span(meta))

    def cohort(self, meta, children):
        var, source, start, end, condition = children
        return ("cohort", tree.Cohort(str(var), source, start, end, condition, span=self._span(meta)),
                self._span(meta))

    def measure_value(self, meta, children):
        return ("value", children[0], self._span(meta))

    def measured_as(self, meta, children):
        return ("aggregate", children[0], self._span(meta))

    def aggregate(self, meta, children):
        return (tree.Aggregate(str(children[0])), None)

    def rate_aggregate(self, meta, children):
        text = str(children[0])
        return (tree.Aggregate.RATE, self._whole_count(children[0], f"`rate per {text} members`",
                                                       "the rate is per a whole number of members",
                                                       "write `rate per 100 members`"))

    def _whole_count(self, token, written: str, rule: str, hint: str) -> int:
        """A NUMBER token that must be a whole number from 1; otherwise a positioned error (and 1)."""
        text = str(token)
        if not text.isdigit() or int(text) < 1:
            span = self._tspan(token)
            return self._fail(RulesetSyntaxError(f"{written}: {rule}", code=Code.SYNTAX, span=span,
                                                 source_line=self.lines[span.line - 1], hint=hint), 1)
        return int(text)

    def baseline(self, meta, children):
        return ("baseline", children[0], self._span(meta))

    def target(self, meta, children):
        bound, value, relative = children
        return ("target", tree.Target(tree.Bound(" ".join(str(bound).split())), value,
                                      tree.Relative(str(relative)) if relative else None, span=self._span(meta)),
                self._span(meta))

    def let_stmt(self, meta, children):
        return tree.Let(str(children[0]), children[1], span=self._span(meta))

    def window_stmt(self, meta, children):
        name, (start, anchor, length, until, restart) = children
        return tree.WindowStmt(str(name), start, anchor, length, until, restart, span=self._span(meta))

    def window_expr(self, meta, children):
        start, anchor, (bound, value), restart = children
        length = value if bound == "for" else None
        until = value if bound == "until" else None
        return (tree.WindowStart(str(start)), anchor, length, until, restart)

    def window_for(self, meta, children):
        return ("for", children[0])

    def window_until(self, meta, children):
        return ("until", children[0])

    def restart(self, meta, children):
        var, source, condition, max_times = children
        return tree.Restart(str(var), source, condition, max_times, span=self._span(meta))

    def _rule(self, kind: tree.RuleKind, meta, at, when, because):
        return tree.Rule(kind, at, when, tuple(because or ()), span=self._span(meta))

    def not_applicable_rule(self, meta, children):
        return self._rule(tree.RuleKind.NOT_APPLICABLE, meta, None, children[0], children[1])

    def achieved_rule(self, meta, children):
        return self._rule(tree.RuleKind.ACHIEVED, meta, *children)

    def not_achieved_rule(self, meta, children):
        return self._rule(tree.RuleKind.NOT_ACHIEVED, meta, *children)

    def pending_rule(self, meta, children):
        return self._rule(tree.RuleKind.PENDING, meta, *children)

    def otherwise_pending(self, meta, children):
        return self._rule(tree.RuleKind.OTHERWISE_PENDING, meta, children[0], None, children[1])

    def because(self, meta, children):
        return tuple(self._template(token) for token in children)

    def _template(self, token: Token) -> tree.Template:
        """Split a reason text into literal parts and parsed {expression} placeholders."""
        raw = str(token)
        parts: list = []
        position = 1  # in the raw text, past the opening quote
        # where each placeholder's expression starts in the file: the raw text is scanned once,
        # from placeholder to placeholder (a reason may hold thousands), and escapes are undone
        # part by part, so that they do not move the places
        scanned, line, line_start = 0, token.line, None
        for match in _PLACEHOLDER.finditer(raw, 1, len(raw) - 1):
            if match.start() > position:
                parts.append(_unescaped(raw[position:match.start()]))
            start = match.start(1)
            breaks = raw.count("\n", scanned, start)
            if breaks:
                line += breaks
                line_start = raw.rfind("\n", scanned, start)
            scanned = start
            column = start - line_start if line_start is not None else token.column + start
            parts.append(self._placeholder(_unescaped(match.group(1)), line, column))
            position = match.end()
        if position < len(raw) - 1:
            parts.append(_unescaped(raw[position:-1]))
        parts = [re.sub(r"\s+", " ", p) if isinstance(p, str) else p for p in parts]
        return tree.Template(tuple(parts), span=self._tspan(token))

    def _placeholder(self, source: str, line: int, column: int):
        parsed = self.parse_placeholder(source)
        if parsed is None:
            message = f"cannot read {{{source}}} in a reason text as an expression"
            return self._fail(RulesetSyntaxError(
                message, code=Code.BAD_PLACEHOLDER, span=Span(self.path, line, column),
                hint="placeholders hold a name or a path, like {e.end}", source_line=self.lines[line - 1]),
                "{" + source + "}")
        builder = Builder(self.path, self.lines, self.parse_placeholder, offset=(line, column), problems=self.problems)
        return builder.transform(parsed)

    # ---- payments -----------------------------------------------------------------------------
    @staticmethod
    def _extras(children) -> dict:
        """The optional `illustrative` flag and the description at the end of a declaration."""
        tokens = [c for c in children if isinstance(c, Token)]
        docs = [c for c in tokens if c.type == "STRING"]
        return {"illustrative": any(c.type == "ILLUSTRATIVE" for c in tokens),
                "doc": clean_text(docs[-1]) if docs else None}

    def _money(self, token) -> Decimal:
        if not WELL_WRITTEN_MONEY.fullmatch(str(token)):
            span = self._tspan(token)
            return self._fail(RulesetSyntaxError(
                f"{token} is not an amount of money as this language writes it", code=Code.SYNTAX, span=span,
                source_line=self.lines[span.line - 1],
                hint="write pounds with a comma every three digits and, if any, two digits of pence: "
                     "£1,333.33, £120, £20,000.00"), Decimal(0))
        amount = Decimal(str(token)[1:].replace(",", ""))
        if amount >= MONEY_LIMIT:
            span = self._tspan(token)
            return self._fail(RulesetSyntaxError(
                f"{token} is more money than pbr_rules can count exactly", code=Code.SYNTAX, span=span,
                source_line=self.lines[span.line - 1], hint="amounts are below £1,000,000,000,000"), Decimal(0))
        return amount

    @staticmethod
    def _share(token) -> Decimal:
        return Decimal(str(token)) / 100

    def contract_decl(self, meta, children):
        start, doc = children
        return tree.ContractDecl(self._date(start), clean_text(doc) if doc else None, None, span=self._span(meta))

    def payee_decl(self, meta, children):
        choices = tuple(c for c in children if isinstance(c, tree.PayeeChoice))
        return tree.PayeeDecl(choices, self._extras(children[len(choices):])["doc"], None, span=self._span(meta))

    def payee_choice(self, meta, children):
        return tree.PayeeChoice(children[0], children[1], span=self._span(meta))

    def tariff_decl(self, meta, children):
        name, (amount, key, entries), per_point, instalments, payee, *rest = children
        extras = self._extras(rest)
        return tree.TariffDecl(str(name), amount, key, entries, instalments or (), extras["illustrative"],
                               extras["doc"], None, per_point is not None, per_point[0] if per_point else None,
                               payee, span=self._span(meta))

    def per_point(self, meta, children):
        return (self._money(children[0]) if children and children[0] is not None else None,)

    def tariff_payee(self, meta, children):
        return clean_text(children[0])

    def flat_tariff(self, meta, children):
        return (self._money(children[0]), None, ())

    def tariff_table(self, meta, children):
        key, *entries = children
        return (None, key, tuple(entries))

    def tariff_entry(self, meta, children):
        return tree.TariffEntry(str(children[0]), self._money(children[1]), span=self._span(meta))

    def instalments(self, meta, children):
        return tuple(children)

    def instalment(self, meta, children):
        return tree.Instalment(self._share(children[0]), children[1], span=self._span(meta))

    def fee_decl(self, meta, children):
        name, amount, (unit_type, unit_var), on, when, *rest = children
        extras = self._extras(rest)
        return tree.FeeDecl(str(name), self._money(amount), unit_type, unit_var, on, when, extras["illustrative"],
                            extras["doc"], None, span=self._span(meta))

    def split_decl(self, meta, children):
        name, *rest = children
        shares = tuple(c for c in rest if isinstance(c, tree.SplitShare))
        extras = self._extras(rest[len(shares):])
        return tree.SplitDecl(str(name), shares, extras["illustrative"], extras["doc"], None, span=self._span(meta))

    def split_share(self, meta, children):
        return tree.SplitShare(clean_text(children[0]), self._share(children[1]), span=self._span(meta))

    def cap_decl(self, meta, children):
        name, amount, period, order, *rest = children
        extras = self._extras(rest)
        return tree.CapDecl(str(name), self._money(amount), period, order or (), extras["illustrative"],
                            extras["doc"], None, span=self._span(meta))

    def cap_order(self, meta, children):
        keys = []
        for token in children:
            try:
                keys.append(tree.CapOrderKey(str(token)))
            except ValueError:
                span = self._tspan(token)
                keys.append(self._fail(RulesetSyntaxError(
                    f"a cap cannot order its lines by `{token}`", code=Code.BAD_PAYMENT, span=span,
                    source_line=self.lines[span.line - 1],
                    hint="order by " + ", ".join(k.value for k in tree.CapOrderKey)), None))
        return tuple(k for k in keys if k is not None)

    def reduce_decl(self, meta, children):
        name, rate, clients, period, *rest = children
        extras = self._extras(rest)
        return tree.ReduceDecl(str(name), self._share(rate), Decimal(str(clients)), period,
                               extras["illustrative"], extras["doc"], None, span=self._span(meta))

    def floor_decl(self, meta, children):
        name, amount, period, fee, *rest = children
        extras = self._extras(rest)
        return tree.FloorDecl(str(name), self._money(amount), period, str(fee) if fee else None,
                              extras["illustrative"], extras["doc"], None, span=self._span(meta))

    def month_period(self, meta, children):
        return tree.Period.MONTH

    def quarter_period(self, meta, children):
        return tree.Period.QUARTER

    def year_period(self, meta, children):
        return tree.Period.YEAR

    def contract_year_period(self, meta, children):
        return tree.Period.CONTRACT_YEAR

    def gate_decl(self, meta, children):
        name, outcomes, until, doc = children
        return tree.GateDecl(str(name), outcomes, until, clean_text(doc) if doc else None, None,
                             span=self._span(meta))

    def family_tariff_decl(self, meta, children):
        name, field, amount, outcomes, payee, *rest = children
        extras = self._extras(rest)
        return tree.FamilyTariffDecl(str(name), self._money(amount), outcomes, str(field), payee,
                                     extras["illustrative"], extras["doc"], None, span=self._span(meta))

    def name_list(self, meta, children):
        return tuple(str(c) for c in children)

    def budget_decl(self, meta, children):
        name, amount, domain, *rest = children
        shares = tuple(c for c in rest if isinstance(c, tree.BudgetShare))
        extras = self._extras(rest)
        return tree.BudgetDecl(str(name), self._money(amount), str(domain), shares, extras["illustrative"],
                               extras["doc"], None, span=self._span(meta))

    def budget_share(self, meta, children):
        return tree.BudgetShare(str(children[0]), self._share(children[1]), span=self._span(meta))

    def limit_decl(self, meta, children):
        name, share, domain, doc = children
        return tree.LimitDecl(str(name), self._share(share), str(domain), clean_text(doc) if doc else None, None,
                              span=self._span(meta))

    def override_payment(self, meta, children):
        declaration, because = children
        return declaration.replace(override_reason=_plain(because))

    # ---- examples -----------------------------------------------------------------------------
    def example(self, meta, children):
        title, (kind, payload, client_span), as_of, *expectations = children
        return tree.Example(
            clean_text(title),
            client=payload if kind == "inline" else None,
            client_id=payload[0] if kind == "file" else None,
            client_file=payload[1] if kind in ("file", "cohort") else None,
            whole_file=kind == "cohort",
            as_of=self._date(as_of),
            expectations=tuple(expectations),
            client_span=client_span,
            span=self._span(meta),
        )

    def cohort_file(self, meta, children):
        return ("cohort", (None, clean_text(children[0])), self._span(meta))

    def inline_client(self, meta, children):
        return ("inline", children[0], self._span(meta))

    def file_client(self, meta, children):
        return ("file", (clean_text(children[0]), clean_text(children[1])), self._span(meta))

    def expectation(self, meta, children):
        outcome, unit, (status, date) = children
        unit_text = None
        if unit is not None:
            unit_text = clean_text(unit) if unit.type == "STRING" else str(unit)
        return tree.Expectation(str(outcome), unit_text, status, date, self._tspan(outcome),
                                span=self._span(meta))

    def _unit_text(self, unit) -> str | None:
        if unit is None:
            return None
        return clean_text(unit) if unit.type == "STRING" else str(unit)

    def expect_paid(self, meta, children):
        item, unit, instalment, amount, date, provider = children
        return tree.PaymentExpectation(str(item), self._unit_text(unit), instalment, False, self._money(amount),
                                       self._date(date), clean_text(provider) if provider else None,
                                       self._tspan(item), span=self._span(meta))

    def expect_held(self, meta, children):
        item, unit, instalment = children
        return tree.PaymentExpectation(str(item), self._unit_text(unit), instalment, True, None, None, None,
                                       self._tspan(item), span=self._span(meta))

    def expect_measure(self, meta, children):
        measure, (status, date), value = children
        return tree.MeasureExpectation(str(measure), status, date, Decimal(str(value)) if value else None,
                                       self._tspan(measure), span=self._span(meta))

    def instalment_ref(self, meta, children):
        return self._whole_count(children[0], f"instalment {children[0]}", "instalments are numbered 1, 2, 3, ...",
                                 "write `instalment 2` for the second")

    def _expected(self, meta, children, rule):
        return (_EXPECTED_STATUS[rule], self._date(children[0]) if children and children[0] else None)

    def expect_achieved(self, meta, children):
        return self._expected(meta, children, "expect_achieved")

    def expect_not_achieved(self, meta, children):
        return self._expected(meta, children, "expect_not_achieved")

    def expect_pending(self, meta, children):
        return self._expected(meta, children, "expect_pending")

    def expect_not_applicable(self, meta, children):
        return self._expected(meta, children, "expect_not_applicable")

    # inline JSON: read as client data is read, numbers as Decimal (no floats)
    def json_object(self, meta, children):
        return dict(c for c in children if c is not None)

    def json_pair(self, meta, children):
        return (json.loads(str(children[0]), strict=False), children[1])

    def json_array(self, meta, children):
        return [c for c in children if c is not None] if children != [None] else []

    def json_string(self, meta, children):
        return json.loads(str(children[0]), strict=False)

    def json_number(self, meta, children):
        return json.loads(str(children[0]), parse_float=Decimal)

    def json_true(self, meta, children):
        return True

    def json_false(self, meta, children):
        return False

    def json_null(self, meta, children):
        return None

    # ---- expressions --------------------------------------------------------------------------
    def _binary(self, op, meta, left, right):
        return tree.Binary(tree.Op(str(op)), left, right, span=self._span(meta))

    def or_op(self, meta, children):
        return self._binary("or", meta, *children)

    def and_op(self, meta, children):
        return self._binary("and", meta, *children)

    def compare(self, meta, children):
        left, op, right = children
        return self._binary(op, meta, left, right)

    def arith(self, meta, children):
        left, op, right = children
        return self._binary(op, meta, left, right)

    def member(self, meta, children):
        return self._binary("in", meta, *children)

    def not_op(self, meta, children):
        return tree.Unary(tree.UnaryOp.NOT, children[0], span=self._span(meta))

    def negate(self, meta, children):
        return tree.Unary(tree.UnaryOp.NEGATE, children[0], span=self._span(meta))

    def is_test(self, meta, children):
        return tree.IsTest(children[0], tree.Test(str(children[1])), span=self._span(meta))

    def is_achieved(self, meta, children):
        return tree.IsTest(children[0], tree.Test.ACHIEVED, span=self._span(meta))

    def is_not_achieved(self, meta, children):
        return tree.IsTest(children[0], tree.Test.NOT_ACHIEVED, span=self._span(meta))

    def is_not_applicable(self, meta, children):
        return tree.IsTest(children[0], tree.Test.NOT_APPLICABLE, span=self._span(meta))

    def attr(self, meta, children):
        return tree.Attr(children[0], str(children[1]), span=self._span(meta))

    def index(self, meta, children):
        return tree.Index(children[0], children[1], span=self._span(meta))

    def _literal(self, value, meta):
        return tree.Literal(value, span=self._span(meta))

    def number(self, meta, children):
        return self._literal(_number(str(children[0])), meta)

    def duration(self, meta, children):
        amount, unit = children
        if "." in str(amount):
            span = self._tspan(amount)
            return self._fail(RulesetSyntaxError(
                f"{amount} {unit}: a length of time is a whole number of {unit}", code=Code.FRACTIONAL_LENGTH,
                span=span, source_line=self.lines[span.line - 1],
                hint=f"write a whole number, or a smaller unit: {_smaller(str(amount), str(unit))}"),
                self._literal(Duration(), meta))
        length = Duration.written(int(str(amount)), str(unit))
        if length.months > LONGEST_MONTHS or length.days > LONGEST_DAYS:
            span = self._tspan(amount)
            return self._fail(RulesetSyntaxError(
                f"{amount} {unit} is longer than any rule can mean: a length of time is at most 100 years",
                code=Code.TOO_LONG, span=span, source_line=self.lines[span.line - 1],
                hint="write the length the rule means, such as `12 months` or `2 years`"),
                self._literal(Duration(), meta))
        return self._literal(length, meta)

    def percent(self, meta, children):
        return self._literal(Percent(Decimal(str(children[0])) / 100), meta)

    def money(self, meta, children):
        return self._literal(Money(self._money(children[0])), meta)

    def date(self, meta, children):
        return self._literal(self._date(children[0]), meta)

    def text(self, meta, children):
        return self._literal(clean_text(str(children[0])), meta)

    def true(self, meta, children):
        return self._literal(True, meta)

    def false(self, meta, children):
        return self._literal(False, meta)

    def name(self, meta, children):
        return tree.Name(str(children[0]), span=self._span(meta))

    def call(self, meta, children):
        name, *args = children
        return tree.Call(str(name), tuple(a for a in args if a is not None), span=self._span(meta))

    def value_as_of(self, meta, children):
        return tree.ValueAsOf(str(children[0]), children[1], span=self._span(meta))

    def set_literal(self, meta, children):
        return tree.SetLiteral(tuple(c for c in children if c is not None), span=self._span(meta))

    def set_item(self, meta, children):
        return tree.Name(str(children[0]), span=self._tspan(children[0]))

    def map_literal(self, meta, children):
        return tree.MapLiteral(tuple(children), span=self._span(meta))

    def map_item(self, meta, children):
        key = tree.Name(str(children[0]), span=self._tspan(children[0]))
        return tree.MapItem(key, children[1], span=self._span(meta))

    def quantifier_closed(self, meta, children):
        kind, var, source, within = children
        return tree.Quantifier(kind, str(var), source, within, None, span=self._span(meta))

    def quantifier_open(self, meta, children):
        kind, var, source, within, condition = children
        return tree.Quantifier(kind, str(var), source, within, condition, span=self._span(meta))

    def every(self, meta, children):
        var, source, within, condition = children
        return tree.Quantifier(tree.QuantifierKind.EVERY, str(var), source, within, condition,
                               span=self._span(meta))

    def quantifier_kind(self, meta, children):
        return tree.QuantifierKind(str(children[0]))  # `count of` keeps its first word

    def within(self, meta, children):
        return tree.Name(str(children[0]), span=self._tspan(children[0]))


def _smaller(amount: str, unit: str) -> str:
    """`1.5 years` -> `18 months`, `2.5 weeks` -> `17 days`, ... (rounded to the unit below)."""
    below = {"year": ("months", 12), "month": ("days", 30), "week": ("days", 7), "day": ("days", 1)}
    name, factor = below[unit.rstrip("s")]
    return f"`{round(Decimal(amount) * factor)} {name}`" + (" (about)" if unit.startswith("month") else "")


def _flatten(declarations) -> tuple:
    """Declarations in file order; a `domains` line gives one declaration per domain."""
    flat = []
    for item in declarations:
        flat.extend(item if isinstance(item, tuple) else (item,))
    return tuple(flat)
