"""A result's JSON line is built directly, not through json.dumps: the two are byte-identical for
any text, date and amount (the JSON of a run is a contract other systems read)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from hypothesis import given, strategies as st

from pbr_rules.results import ClientResult, OutcomeResult
from pbr_rules.tree import Status

# every character, controls and lone surrogates included (a text from data can hold anything)
texts = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=20)
days = st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
amounts = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
rows = st.builds(OutcomeResult, outcome=texts, unit=texts, status=st.sampled_from(list(Status)),
                 date=st.none() | days, due=st.none() | days, amount=st.none() | amounts,
                 reasons=st.lists(texts, max_size=4).map(tuple))


@given(st.builds(ClientResult, client=texts, ruleset=texts, as_of=days, rows=st.lists(rows, max_size=5).map(tuple)))
def test_a_json_line_is_what_json_dumps_writes(result):
    assert result.to_json_line() == json.dumps(result.to_json(), ensure_ascii=False)


def test_quotes_controls_and_lone_surrogates_are_escaped_as_json_dumps_does():
    row = OutcomeResult("o\ud800", "\x00\n\"", Status.PENDING, None, None, None, ("\u2028\\",))
    assert row.json_text() == json.dumps(row.to_json(), ensure_ascii=False)


def test_an_amount_is_written_as_text_to_the_penny():
    row = OutcomeResult("o", "E1", Status.ACHIEVED, datetime.date(2014, 1, 2), None, Decimal("12.5"), ("a \"b\"",))
    assert json.loads(row.json_text()) == {"outcome": "o", "unit": "E1", "status": "achieved", "date": "2014-01-02",
                                           "due": None, "amount": "12.50", "reasons": ['a "b"']}
