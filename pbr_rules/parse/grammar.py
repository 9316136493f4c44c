"""The language's grammar (``grammars/pbr.lark``) as a Lark LALR(1) parser.

Building the parser's tables from the grammar takes a few tenths of a second, which every command
would pay at start-up. They are built ahead instead, into ``grammars/pbr.lalr.json`` (shipped with
the grammar), with the SHA-256 of the grammar they were built from. The tables are used only while
that hash matches the grammar; otherwise the parser is built from the grammar as before (correct,
only slower), and ``tests/test_grammar_tables.py`` fails until the tables are written again::

    python -m pbr_rules.parse.grammar --write-tables

JSON, not a pickle or Python: reading the file builds data and nothing else. Never Lark's
``cache=True``: it loads a pickle from a shared temporary folder, which another user could have
written, and loading a pickle can run code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys

import lark
from lark import Lark

from ..resources import grammar_tables_path, grammar_text

# `declarations` parses what follows a syntax error, to find the next ones; `expr` parses the
# {placeholders} of reason texts
START_RULES = ["start", "declarations", "expr"]
OPTIONS = dict(parser="lalr", lexer="contextual", start=START_RULES, propagate_positions=True,
               maybe_placeholders=True, cache=False)


def grammar_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    text = grammar_text()
    prebuilt = _prebuilt(grammar_hash(text))
    return prebuilt if prebuilt is not None else build(text)


def build(text: str) -> Lark:
    """The parser built from the grammar's text (what the tables are made from)."""
    return Lark(text, **OPTIONS)


def _prebuilt(wanted_hash: str) -> Lark | None:
    """The parser from the tables, if they are of this grammar and were written by this version of
    Lark (their layout is Lark's own, and may change between versions); else None."""
    try:
        tables = json.loads(grammar_tables_path().read_text(encoding="utf-8"), object_hook=_from_json)
    except (OSError, ValueError):  # not written yet, or unreadable: build from the grammar
        return None
    if tables.get("grammar_sha256") != wanted_hash or tables.get("lark_version") != lark.__version__:
        return None
    try:
        return Lark._load_from_dict(tables["data"], tables["memo"])
    except Exception:  # tables Lark cannot load after all: build from the grammar, as without them
        return None


def tables(text: str) -> dict:
    """The tables of the parser for a grammar, with the grammar's hash."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = build(text).memo_serialize([TerminalDef, Rule])
    return {"grammar_sha256": grammar_hash(text), "lark_version": lark.__version__, "data": data, "memo": memo}


def tables_json(built: dict) -> str:
    """The tables as JSON (`_to_json` keeps tuples and non-text keys)."""
    return json.dumps(_to_json(built), separators=(",", ":")) + "\n"


# JSON has lists and text keys only: a tuple is written {"(": [...]}, a dict with other keys
# {"{": [[key, value], ...]}; Lark's tables use neither "(" nor "{" as a key
def _to_json(value):
    if isinstance(value, tuple):
        return {"(": [_to_json(item) for item in value]}
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        if all(type(key) is str and key not in ("(", "{") for key in value):
            return {key: _to_json(item) for key, item in value.items()}
        return {"{": [[_to_json(key), _to_json(item)] for key, item in value.items()]}
    if value is None or type(value) in (str, int, bool):
        return value
    raise TypeError(f"a parser table holds {type(value).__name__}, which JSON cannot keep")


def _from_json(obj: dict):
    if len(obj) == 1:
        if "(" in obj:
            return tuple(obj["("])
        if "{" in obj:
            return {key: item for key, item in obj["{"]}
    return obj


def main(argv: list[str]) -> int:
    if argv != ["--write-tables"]:
        print("usage: python -m pbr_rules.parse.grammar --write-tables", file=sys.stderr)
        return 2
    path = grammar_tables_path()
    path.write_text(tables_json(tables(grammar_text())), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
