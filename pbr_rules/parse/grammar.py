"""The language's grammar (``grammars/pbr.lark``), built once into a Lark LALR(1) parser."""

from __future__ import annotations

import functools

from lark import Lark

from ..resources import grammar_text

# `declarations` parses what follows a syntax error, to find the next ones; `expr` parses the
# {placeholders} of reason texts
START_RULES = ["start", "declarations", "expr"]


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", start=START_RULES,
                propagate_positions=True, maybe_placeholders=True, cache=False)
