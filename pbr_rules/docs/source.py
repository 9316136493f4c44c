"""A ruleset's source on its own page: highlighted by the language's Pygments lexer, each line an
anchor (``#L-12``) that starts with its number, so every declaration on the ruleset's page can point at
its lines.

The colours are our own Pygments style, each chosen for a contrast of at least 4.5:1 (WCAG AA) on
the code's background; tests/test_docs.py measures every colour in the stylesheet.
"""

from __future__ import annotations

import functools

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.style import Style
from pygments.token import (Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String,
                            Text, Token)

from .lexer import PbrLexer

CODE_BACKGROUND = "#f6f8fa"


class RulesStyle(Style):
    """Quiet colours a reader can tell apart in print and on screen, all at AA contrast."""

    name = "pbr"
    background_color = CODE_BACKGROUND
    highlight_color = "#fff3b0"
    line_number_color = "#4d5560"
    line_number_background_color = CODE_BACKGROUND
    styles = {
        Token: "#1b1f24",
        Text: "#1b1f24",
        Comment: "italic #4d5560",
        Keyword: "#1d4f91",
        Keyword.Declaration: "bold #6a2a7e",
        Keyword.Constant: "bold #8a3b00",
        Name: "#1b1f24",
        Name.Function: "bold #0b5c36",
        Name.Class: "bold #0b5c36",
        Name.Variable: "bold #0b5c36",
        String: "#0b5c36",
        String.Escape: "#8a3b00",
        Number: "#9b2c1f",
        Literal.Date: "#9b2c1f",
        Operator: "#1b1f24",
        Punctuation: "#1b1f24",
        Error: "#b3001e",
    }


@functools.lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter:
    # each line is one span (`L-12`, the whole line marked when linked to) that begins with its own
    # number: a long line that wraps in print keeps its number, and numbers cannot drift from the code
    return HtmlFormatter(style=RulesStyle, linenos="inline", linespans="L", anchorlinenos=True,
                         cssclass="highlight", wrapcode=True)


def highlighted(page) -> Markup:
    """The page's own file as highlighted HTML (Pygments escapes the text it colours); blank lines at
    either end are kept, so that line numbers are the file's."""
    return Markup(highlight("".join(line + "\n" for line in page.source), PbrLexer(stripnl=False), _formatter()))


def stylesheet() -> str:
    """The CSS of the highlighting, appended to the site's stylesheet."""
    return "\n/* source highlighting (pbr_rules.docs.source.RulesStyle) */\n" + _formatter().get_style_defs(
        ".highlight") + "\n"
