"""The Pygments lexer of the rules language (pbr_rules.docs.lexer).

Its keywords are the grammar's; it lexes every shipped ruleset without an error token and spells
the text back exactly; it tells names from keywords; Pygments finds it by its entry point; HTML
output shows markup in a text rather than running it. Each check is also run against a bad case
(a naive lexer, a wrong keyword list, unescaped HTML) to show that it can fail.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer, words
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, get_lexer_for_mimetype
from pygments.token import (Comment, Error, Keyword, Literal, Name, Number, Punctuation, String,
                            Whitespace)
from pygments.util import ClassNotFound

from pbr_rules.docs.lexer import KEYWORDS, PbrLexer

REPOSITORY = Path(__file__).resolve().parent.parent  # the source tree, where the grammar is
GRAMMAR = REPOSITORY / "grammars" / "pbr.lark"
RULESETS = sorted((REPOSITORY / "rulesets").glob("*/*.pbr"))
EXACT = {"stripnl": False, "ensurenl": False}  # Pygments trims and adds newlines by default

# A Lark grammar's comments, "literals" and /regexes/, taken left to right so that a slash in a
# literal ("yes/no") or a quote in a regex (STRING's) is read as part of the right piece.
GRAMMAR_PIECE = re.compile(r'(?P<comment>//[^\n]*)'
                           r'|(?P<literal>"(?:[^"\\\n]|\\.)*")'
                           r'|(?P<regex>/(?:[^/\\\n]|\\.)+/)')


def grammar_words(grammar: str) -> set:
    """Every word the grammar spells: in its literals, and in its regexes (BOUND's `least`)."""
    found = set()
    for piece in GRAMMAR_PIECE.finditer(grammar):
        if piece["literal"]:
            found |= set(re.findall(r"[A-Za-z]+", piece["literal"]))
        elif piece["regex"]:
            pattern = re.sub(r"\[(?:\\.|[^\]\\])*\]", "", piece["regex"])  # [eE] is no word
            pattern = re.sub(r"\\.", "", pattern)  # nor is \d or \b
            found |= set(re.findall(r"[A-Za-z]{2,}", pattern))
    return found


def keyword_mismatch(grammar: set, keywords: frozenset) -> dict:
    """The words the lexer lacks, and the words it has that the grammar lacks."""
    return {"missing": sorted(grammar - keywords), "extra": sorted(keywords - grammar)}


def test_the_keywords_are_the_grammars_words():
    assert keyword_mismatch(grammar_words(GRAMMAR.read_text(encoding="utf-8")), KEYWORDS) == {
        "missing": [], "extra": []}
    assert isinstance(KEYWORDS, frozenset)


def test_a_keyword_list_out_of_step_with_the_grammar_is_caught():
    grammar = grammar_words(GRAMMAR.read_text(encoding="utf-8"))
    assert keyword_mismatch(grammar, KEYWORDS - {"cohort"})["missing"] == ["cohort"]
    assert keyword_mismatch(grammar, KEYWORDS | {"frobnicate"})["extra"] == ["frobnicate"]


def test_grammar_words_are_read_from_literals_and_regexes_not_comments():
    grammar = '''// Quantifiers run to the end
YES_NO.2: "yes/no"
MUL_OP: "*" | "/"
BOUND: /at\\s+(most|least)\\b/
STRING: /"([^"\\\\]|\\\\.)*"/
SIGNED_NUMBER: /-?\\d+([eE][+-]?\\d+)?/
rule: "cohort" NAME'''
    assert grammar_words(grammar) == {"yes", "no", "at", "most", "least", "cohort"}


# ---- every shipped ruleset --------------------------------------------------------------------
def error_tokens(lexer, text: str) -> list:
    return [(offset, value) for offset, kind, value in lexer.get_tokens_unprocessed(text) if kind in Error]


def spells_back(lexer, text: str) -> bool:
    return "".join(value for _, value in lexer.get_tokens(text)) == text


@pytest.mark.parametrize("path", RULESETS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_shipped_ruleset_lexes_without_error_and_spells_back(path):
    text = path.read_text(encoding="utf-8")
    assert error_tokens(PbrLexer(**EXACT), text) == []
    assert spells_back(PbrLexer(**EXACT), text)


def test_the_shipped_rulesets_are_found():
    assert len(RULESETS) >= 5 and any(path.parent.name == "national" for path in RULESETS)


def test_an_error_token_and_a_changed_text_are_caught():
    assert error_tokens(PbrLexer(**EXACT), 'outcome x "y" @') == [(14, "@")]
    assert not spells_back(PbrLexer(), "\n\noutcome x")  # the default options trim the blank lines


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='outcomedefinatl_ \n\t"\\#{}.,:()=<>£%-/0123456789\xe9'))
def test_any_text_spells_back_whatever_it_holds(text):
    assert spells_back(PbrLexer(**EXACT), text)


# ---- particular tokens ------------------------------------------------------------------------
def tokens_spanning(lexer, source: str, piece: str) -> list | None:
    """The tokens that spell `piece` (its first place in `source`); None if one crosses its ends."""
    start = source.index(piece)
    end = start + len(piece)
    spanning = []
    for offset, kind, value in lexer.get_tokens_unprocessed(source):
        if offset < end and offset + len(value) > start:
            if offset < start or offset + len(value) > end:
                return None
            spanning.append((kind, value))
    return spanning


TEXT_WITH_ESCAPES = 'description "Said \\"yes\\",\nthen left."'
NAMES_LIKE_KEYWORDS = "define d = outcome_count + window_days"
CASES = {  # name: (source, the piece of it looked at, the tokens that piece must be)
    "date": ("effective from 2012-04-01", "2012-04-01", [(Literal.Date, "2012-04-01")]),
    "money": ("tariff housing £1,200.00 illustrative", "£1,200.00", [(Number, "£1,200.00")]),
    "money without pence": ("fee f £250 per client on e.start", "£250", [(Number, "£250")]),
    "percentage": ("limit x to 20% of drugs", "20%", [(Number, "20%")]),
    "duration": ("parameter w = 12 months", "12 months",
                 [(Number, "12"), (Whitespace, " "), (Number, "months")]),
    "version": ("ruleset national version 1.0.0", "1.0.0", [(Number, "1.0.0")]),
    "multi-line text with escaped quotes": (TEXT_WITH_ESCAPES, TEXT_WITH_ESCAPES[12:], [
        (String.Double, '"'), (String.Double, "Said "), (String.Escape, '\\"'), (String.Double, "yes"),
        (String.Escape, '\\"'), (String.Double, ",\nthen left."), (String.Double, '"')]),
    "comment": ('let x = 1  # a note "not a text"', '# a note "not a text"',
                [(Comment.Single, '# a note "not a text"')]),
    "hash in a text": ('title "No #1"', '"No #1"',
                       [(String.Double, '"'), (String.Double, "No #1"), (String.Double, '"')]),
    "outcome keyword": ('outcome planned_exit "Planned exit"', "outcome", [(Keyword.Declaration, "outcome")]),
    "outcome name": ('outcome planned_exit "Planned exit"', "planned_exit", [(Name.Function, "planned_exit")]),
    "not applicable": ("  not applicable when x", "not applicable", [(Keyword.Constant, "not applicable")]),
    "not achieved": ("  not achieved at e.end when x", "not achieved", [(Keyword.Constant, "not achieved")]),
    "otherwise pending": ("  otherwise pending", "otherwise pending",
                          [(Keyword.Constant, "otherwise"), (Whitespace, " "), (Keyword.Constant, "pending")]),
    "name starting with a keyword": (NAMES_LIKE_KEYWORDS, "outcome_count", [(Name, "outcome_count")]),
    "another": (NAMES_LIKE_KEYWORDS, "window_days", [(Name, "window_days")]),
    "field named like a type": ("record offence\n  date: date", "date: date", [
        (Name.Attribute, "date"), (Punctuation, ":"), (Whitespace, " "), (Keyword.Type, "date")]),
    "record dated by a field": ("record offence dated by date", "dated by date", [
        (Keyword, "dated"), (Whitespace, " "), (Keyword, "by"), (Whitespace, " "), (Name.Attribute, "date")]),
    "attribute named like a type": ("let d = r.date", "r.date",
                                    [(Name, "r"), (Punctuation, "."), (Name.Attribute, "date")]),
    "keyword used as a name": ("let d = client.episodes", "client", [(Name.Builtin.Pseudo, "client")]),
    "yes/no": ("  housed: optional yes/no", "yes/no", [(Keyword.Type, "yes/no")]),
    "placeholder in a reason": ('  because "Episode {e.id} ended."', "{e.id}", [(String.Interpol, "{e.id}")]),
    "no placeholder in a description": ('  description "a {b}"', '"a {b}"',
                                        [(String.Double, '"'), (String.Double, "a {b}"), (String.Double, '"')]),
    "expected outcome": ("  expect planned_exit for E1 achieved on 2012-11-30", "planned_exit",
                         [(Name.Function, "planned_exit")]),
    "order of fields": ("cap c £1 per provider per quarter in order of date, outcome", "date, outcome", [
        (Name.Attribute, "date"), (Punctuation, ","), (Whitespace, " "), (Name.Attribute, "outcome")]),
    "call": ("achieved at e.end when successful_discharge(e)", "successful_discharge",
             [(Name.Function, "successful_discharge")]),
}


@pytest.mark.parametrize("case", CASES)
def test_a_particular_token(case):
    source, piece, expected = CASES[case]
    assert tokens_spanning(PbrLexer(**EXACT), source, piece) == expected


class NaiveLexer(RegexLexer):
    """A bad lexer to test the tests by: keywords without word ends, no dates, money or escapes."""

    name = "naive pbr"
    tokens = {"root": [
        (r"\s+", Whitespace),
        (words(tuple(KEYWORDS)), Keyword),
        (r"[A-Za-z_]\w*", Name),
        (r"\d+", Number.Integer),
        (r'"[^"]*"', String),
        (r'[^\s\w"]', Punctuation),
    ]}


@pytest.mark.parametrize("case", CASES)
def test_each_particular_token_check_fails_for_a_naive_lexer(case):
    source, piece, expected = CASES[case]
    assert tokens_spanning(NaiveLexer(**EXACT), source, piece) != expected


# ---- found by Pygments ------------------------------------------------------------------------
ENTRY_POINT_INSTALLED = any(entry.value == "pbr_rules.docs.lexer:PbrLexer"
                            for entry in entry_points(group="pygments.lexers"))
needs_entry_point = pytest.mark.skipif(
    not ENTRY_POINT_INSTALLED,
    reason="the pygments.lexers entry point `pbr` is not installed: run `pip install -e .`")


@needs_entry_point
def test_pygments_finds_the_lexer_by_name_file_name_and_mime_type():
    assert type(get_lexer_by_name("pbr")) is PbrLexer
    assert type(get_lexer_for_filename("rulesets/national/1.0.0.pbr")) is PbrLexer
    assert type(get_lexer_for_mimetype("text/x-pbr")) is PbrLexer


@needs_entry_point
def test_a_lexer_without_its_alias_or_pattern_is_not_found(monkeypatch):
    monkeypatch.setattr(PbrLexer, "aliases", [])
    monkeypatch.setattr(PbrLexer, "filenames", [])
    with pytest.raises(ClassNotFound):
        get_lexer_by_name("pbr")
    with pytest.raises(ClassNotFound):
        get_lexer_for_filename("x.pbr")


# ---- HTML ---------------------------------------------------------------------------------------
def runs_markup(html: str) -> bool:
    return "<script" in html.lower()


def test_html_shows_a_script_in_a_text_and_never_runs_it():
    source = ('outcome x "<script>alert(1)</script>"\n'
              '  achieved at e.end when true because "{<script>}"  # <script>alert(2)</script>\n')
    html = highlight(source, PbrLexer(), HtmlFormatter())
    assert not runs_markup(html)
    assert html.count("&lt;script&gt;") == 3


def test_markup_that_would_run_is_caught():
    assert runs_markup('<span class="s">"<SCRIPT>alert(1)</SCRIPT>"</span>')
