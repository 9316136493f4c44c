"""The parser's tables built ahead (grammars/pbr.lalr.json) are those of today's grammar, and the
parser loaded from them reads every ruleset, and words every syntax error, as a parser built from
the grammar does. When the grammar changes, write the tables again:

    python -m pbr_rules.parse.grammar --write-tables
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lark.exceptions import UnexpectedInput

from pbr_rules.parse import grammar
from pbr_rules.resources import grammar_tables_path, grammar_text, shipped_rulesets_dir

HERE = Path(__file__).parent
SOURCES = sorted(shipped_rulesets_dir().glob("*/*.pbr")) + sorted((HERE / "golden").glob("*.pbr"))


@pytest.fixture(scope="module")
def built():
    return grammar.build(grammar_text())


def test_the_tables_are_of_todays_grammar():
    stored = json.loads(grammar_tables_path().read_text(encoding="utf-8"))
    assert stored["grammar_sha256"] == grammar.grammar_hash(grammar_text()), \
        "grammars/pbr.lalr.json is stale: run python -m pbr_rules.parse.grammar --write-tables"


def test_the_parser_is_loaded_from_the_tables():
    import lark
    stored = json.loads(grammar_tables_path().read_text(encoding="utf-8"))
    if stored["lark_version"] != lark.__version__:
        pytest.skip(f"the tables were written by Lark {stored['lark_version']}, this is {lark.__version__}: the parser "
                    "is built from the grammar (write the tables again to start faster)")
    assert grammar.parser().source_path == "<deserialized>"


def test_tables_lark_cannot_load_are_not_used(monkeypatch):
    def refuse(*args, **kwargs):
        raise ValueError("Unknown options")
    monkeypatch.setattr(grammar.Lark, "_load_from_dict", refuse)
    assert grammar._prebuilt(grammar.grammar_hash(grammar_text())) is None


def test_stale_tables_are_not_used(monkeypatch):
    assert grammar._prebuilt("0" * 64) is None


@pytest.mark.parametrize("path", SOURCES, ids=[f"{p.parent.name}/{p.name}" for p in SOURCES])
def test_prebuilt_and_built_parsers_agree(path, built):
    text = path.read_bytes().decode("utf-8", errors="replace")
    outcomes = []
    for parser in (grammar.parser(), built):
        try:
            outcomes.append(parser.parse(text, start="start"))
        except UnexpectedInput as error:
            outcomes.append((type(error).__name__, error.line, error.column, sorted(error.expected or ())
                             if hasattr(error, "expected") else None))
    assert outcomes[0] == outcomes[1]


def test_the_tables_round_trip_through_json():
    built = grammar.tables(grammar_text())
    assert json.loads(grammar.tables_json(built), object_hook=grammar._from_json) == built
