"""Syntax highlighting of the pbr rules language for Pygments (`PbrLexer`, and its word lists).

The lexer reads text, not a parse tree: it colours a ruleset that does not parse yet, and never
fails. It follows grammars/pbr.lark; ``KEYWORDS`` is every word the grammar spells, and a test
keeps the two equal. Keywords are contextual in the grammar (a field may be called ``date``), so
a few rules look at the neighbouring text to tell a name from a keyword: next to ``.``, before
``:`` at the start of a line, after ``dated by``, ``known from`` and the like.

Pygments finds the lexer by the entry point in pyproject.toml: ``get_lexer_by_name("pbr")``.
"""

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (Comment, Keyword, Literal, Name, Number, Operator, Punctuation,
                            String, Whitespace)

# Declarations and the statements that introduce a name.
DECLARATION_KEYWORDS = (
    "ruleset", "domains", "enum", "record", "extend", "parameter", "define", "outcome", "measure",
    "example", "override", "tariff", "fee", "split", "cap", "reduce", "floor", "gate", "budget",
    "limit", "let", "window",
)
# What a rule decides (`not applicable` and `not achieved` are lexed as one phrase).
STATUS_KEYWORDS = ("achieved", "applicable", "pending", "otherwise")
LITERAL_KEYWORDS = ("true", "false", "null")
OPERATOR_KEYWORDS = ("and", "or", "not", "in", "is")
TYPE_KEYWORDS = ("date", "number", "count", "score", "text", "set", "list", "map", "optional")
YES_NO = "yes/no"  # a type spelt with a slash, so it is not one word
DURATION_UNITS = ("days", "day", "weeks", "week", "months", "month", "years", "year")
OTHER_KEYWORDS = (
    "above", "achievement", "after", "as", "at", "average", "baseline", "because", "before",
    "below", "between", "beyond", "by", "client", "clients", "cohort", "contract", "dated",
    "description", "domain", "each", "earliest", "earned", "effective", "every", "expect", "family",
    "extends", "final", "for", "from", "held", "illustrative", "instalment", "instalments",
    "interim", "known", "lagging", "latest", "least", "measured", "median", "members", "most",
    "no", "of", "on", "once", "order", "paid", "per", "point", "provider", "quarter", "rate",
    "rest", "restarting", "satisfies", "share", "some", "source", "target", "times", "title", "to",
    "unit", "unknown", "until", "up", "value", "version", "when", "where", "with", "within",
)
KEYWORDS = frozenset(
    DECLARATION_KEYWORDS + STATUS_KEYWORDS + LITERAL_KEYWORDS + OPERATOR_KEYWORDS + TYPE_KEYWORDS
    + DURATION_UNITS + OTHER_KEYWORDS + tuple(YES_NO.split("/"))
)

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
END_OF_WORD = r"(?![A-Za-z0-9_])"  # so that `outcome_count` stays one name
_TWO_KEYWORDS_THEN_FIELD = bygroups(Keyword, Whitespace, Keyword, Whitespace, Name.Attribute)


def _keyword_then_name(keywords: tuple, name_token) -> tuple:
    """A rule: one of `keywords`, then the name it declares, coloured as `name_token`."""
    return (words(keywords, suffix=r"(\s+)(" + NAME + ")"),
            bygroups(Keyword.Declaration, Whitespace, name_token))


class PbrLexer(RegexLexer):
    """Highlights pbr rulesets: declarations and the names they declare (outcome names stand out),
    statuses, types, dates, money, percentages, durations, texts with their escapes and their
    `{placeholders}` in `because` reasons, and comments."""

    name = "pbr"
    aliases = ["pbr"]
    filenames = ["*.pbr"]
    mimetypes = ["text/x-pbr"]
    url = "docs/language.md"  # the project publishes no site yet: its guide, in the repository

    tokens = {
        "root": [
            (r"\n", Whitespace),
            # A field of a record, or a key, at the start of its line: a name even if a keyword.
            (r"^([ \t]*)(" + NAME + r")([ \t]*)(:)",
             bygroups(Whitespace, Name.Attribute, Whitespace, Punctuation)),
            (r"[^\S\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"', String.Double, "text"),
            (r"(because)" + END_OF_WORD, Keyword, "reasons"),
            (r"[0-9]+\.[0-9]+\.[0-9]+", Number),  # a version: before numbers
            (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", Literal.Date),
            (r"£[0-9](?:[0-9,]*[0-9])?(?:\.[0-9]+)?", Number),
            (r"[0-9]+(?:\.[0-9]+)?%", Number),
            (r"([0-9]+(?:\.[0-9]+)?)(\s+)" + words(DURATION_UNITS, suffix=END_OF_WORD).get(),
             bygroups(Number, Whitespace, Number)),
            (r"[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+", Number.Float),
            (r"\d+", Number.Integer),
            include("phrases"),
            include("declarations"),
            # a keyword used as a name: `client.episodes`, `unit.provider`
            (words(tuple(sorted(KEYWORDS)), suffix=r"(?=\.[A-Za-z_])"), Name.Builtin.Pseudo),
            include("words"),
            include("names"),
            (r"\.\.|<=|>=|!=|[=<>+\-*/%]", Operator),
            (r"[:,.(){}\[\]]", Punctuation),
        ],
        "phrases": [
            (r"not\s+(?:applicable|achieved)" + END_OF_WORD, Keyword.Constant),
            # the field a record option names: `dated by date`, `known from end`, `not before start`
            (r"(dated)(\s+)(by)(\s+)(" + NAME + ")", _TWO_KEYWORDS_THEN_FIELD),
            (r"(known)(\s+)(from)(\s+)(" + NAME + ")", _TWO_KEYWORDS_THEN_FIELD),
            (r"(not)(\s+)(before)(\s+)(" + NAME + ")", _TWO_KEYWORDS_THEN_FIELD),
            (r"(order)(\s+)(of)" + END_OF_WORD, bygroups(Keyword, Whitespace, Keyword), "order-names"),
            (r"count(?=\s+of" + END_OF_WORD + ")", Keyword),  # the quantifier, not the type
            (YES_NO, Keyword.Type),
            # an expectation names an outcome: `expect planned_exit`, `expect paid planned_exit`
            (r"(expect)(\s+)(paid|held)(\s+)(" + NAME + ")",
             bygroups(Keyword, Whitespace, Keyword, Whitespace, Name.Function)),
            (r"(expect)(\s+)(?!(?:paid|held|measure)" + END_OF_WORD + ")(" + NAME + ")",
             bygroups(Keyword, Whitespace, Name.Function)),
        ],
        "declarations": [
            (r"(extends)(\s+)(" + NAME + ")", bygroups(Keyword.Namespace, Whitespace, Name.Namespace)),
            _keyword_then_name(("ruleset",), Name.Namespace),
            # what is decided or paid: outcomes, measures, definitions, and the payment lines of each
            _keyword_then_name(("outcome", "measure", "define", "tariff", "fee", "split", "limit"),
                               Name.Function),
            _keyword_then_name(("record", "enum"), Name.Class),
            _keyword_then_name(("parameter", "let", "window", "cap", "reduce", "floor", "gate", "budget"),
                               Name.Variable),
        ],
        "words": [
            (words(DECLARATION_KEYWORDS, suffix=END_OF_WORD), Keyword.Declaration),
            (words(STATUS_KEYWORDS + LITERAL_KEYWORDS, suffix=END_OF_WORD), Keyword.Constant),
            (words(OPERATOR_KEYWORDS, suffix=END_OF_WORD), Operator.Word),
            (words(TYPE_KEYWORDS, suffix=END_OF_WORD), Keyword.Type),
            (words(DURATION_UNITS + OTHER_KEYWORDS, suffix=END_OF_WORD), Keyword),
        ],
        "names": [
            (r"(\.)(" + NAME + ")", bygroups(Punctuation, Name.Attribute)),
            (NAME + r"(?=\s*\()", Name.Function),  # a definition, or an outcome's result, called
            (NAME, Name),
        ],
        # `in order of date, client, outcome`: field names, whatever they spell
        "order-names": [
            (r"(\s*)(" + NAME + r")(\s*)(,)", bygroups(Whitespace, Name.Attribute, Whitespace, Punctuation)),
            (r"(\s*)(" + NAME + ")", bygroups(Whitespace, Name.Attribute), "#pop"),
            default("#pop"),
        ],
        # after `because`: one or more texts, with commas between, whose {placeholders} are read
        "reasons": [
            (r"\s+(?=[,\"#])", Whitespace),  # other space is the root's, which sees line starts
            (r"#[^\n]*", Comment.Single),
            (r",", Punctuation),
            (r'"', String.Double, "reason-text"),
            default("#pop"),
        ],
        "text": [
            (r'[^"\\]+', String.Double),
            include("text-end"),
        ],
        "reason-text": [
            (r'\{[^{}"\\]*\}', String.Interpol),
            (r'[^"\\{]+', String.Double),
            (r"\{", String.Double),
            include("text-end"),
        ],
        "text-end": [
            (r"\\.", String.Escape),
            (r"\\", String.Double),  # a backslash at the end of a line: no escape, the parser says so
            (r'"', String.Double, "#pop"),
        ],
    }
