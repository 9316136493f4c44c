"""The fast path of reading JSON Lines (msgspec, ``fast_reader``) never accepts what the slow path
(``data.ClientReader``) rejects, and for every line it accepts gives the very client the slow path
gives: equal values of the same types, lists in the same order. Lines are generated valid, subtly
invalid (one field broken) and wild (any JSON, any bytes); a run reads the same items, errors
included, with the fast path and without it.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pbr_rules.data import DateOrdered, json_record
from pbr_rules.fast_reader import FastReader

from conftest import load_text

EVERY_KIND = """ruleset kinds version 1.0.0

enum colour: red, green, blue

record client "Every kind of field."
  id: text
  born: optional date
  flag: optional yes/no
  colour: optional colour
  colours: set of colour
  amount: optional number
  share: optional number 0..100
  visits: optional count 0..28
  score: optional score 0..20
  tally: map of colour to count 0..28
  weights: map of colour to number
  visits_list: list of visit
  notes: list of note

record visit dated by start
  id: text
  start: date
  end: optional date not before start
  colour: optional colour known from end
  count: optional count 1..5

record note dated by date
  date: date
  text: optional text
"""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    return load_text(tmp_path_factory, "kinds", EVERY_KIND)


@pytest.fixture(scope="module")
def readers(kinds):
    fast = FastReader.for_schema(kinds.checked.schema, kinds.reader)
    assert fast is not None, "msgspec is a dependency: the fast path must be there"
    return kinds.reader, fast


# ---- generated lines ---------------------------------------------------------------------------
colours = st.sampled_from(["red", "green", "blue"])
iso_days = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2030, 12, 31)).map(str)
wild = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text(max_size=6)
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=6)
near = st.one_of(  # values a careless extract writes where something else was meant
    st.none(), st.booleans(), st.integers(-3, 40), st.sampled_from([1.0, 2.5, 1e3, -0.0, 28.0, 3.00]),
    st.sampled_from(["2014-02-30", "2014-1-2", "20140102", "2014-01-02T00:00", "٢٠١٤-01-02", "2014-01-02\n", "",
                     "red", "Red", "purple", "\ud800", "2014-01-02 "]),
    iso_days, colours, st.lists(colours, max_size=3), st.dictionaries(colours, st.integers(-2, 30), max_size=3),
    wild)

visits = st.fixed_dictionaries(
    {"id": st.sampled_from(["V1", "V2", "V3"]), "start": iso_days},
    optional={"end": iso_days, "colour": colours, "count": st.integers(0, 6)})
notes = st.fixed_dictionaries({"date": iso_days}, optional={"text": st.text(max_size=5)})
valid_clients = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=5)},
    optional={"born": iso_days, "flag": st.booleans(), "colour": colours, "colours": st.lists(colours, max_size=4),
              "amount": st.integers(-5, 5) | st.decimals(allow_nan=False, allow_infinity=False, places=2),
              "share": st.integers(-1, 101), "visits": st.integers(0, 28), "score": st.integers(0, 20),
              "tally": st.dictionaries(colours, st.integers(0, 28)),
              "weights": st.dictionaries(colours, st.integers(-5, 5) | st.decimals(allow_nan=False, allow_infinity=False)),
              "visits_list": st.lists(visits, max_size=4), "notes": st.lists(notes, max_size=3)})
FIELDS = ["id", "born", "flag", "colour", "colours", "amount", "share", "visits", "score", "tally", "weights",
          "visits_list", "notes", "unknown"]


@st.composite
def broken_clients(draw):
    """A valid client with one field (or one field of one record in a list) set to a near value."""
    record = draw(valid_clients)
    target = record
    if record.get("visits_list") and draw(st.booleans()):
        target = draw(st.sampled_from(record["visits_list"]))
        field = draw(st.sampled_from(["id", "start", "end", "colour", "count", "other"]))
    else:
        field = draw(st.sampled_from(FIELDS))
    if draw(st.booleans()):
        target.pop(field, None)
    else:
        target[field] = draw(near)
    return record


def as_json(record) -> str:
    return json.dumps(record, default=str)  # Decimals as their text, as an extract writes them


lines = st.one_of(
    valid_clients.map(as_json), broken_clients().map(as_json), wild.map(as_json),
    st.binary(max_size=30), st.text(max_size=30),
    valid_clients.map(as_json).map(lambda text: text.replace('"', "'", 1)),  # broken JSON
    valid_clients.map(lambda r: "\ufeff" + as_json(r)), valid_clients.map(lambda r: as_json(r) + "\r\n"),
    valid_clients.map(lambda r: as_json(r).replace(": ", ": 1e400, \"x\": ", 1)))


def slow_read(reader, line):
    found = json_record(1, line, "<test>")
    if found is None or found[2] is not None:
        return None, [found and found[2]]
    return reader.normalise(found[1])


def same(a, b) -> bool:
    """Equal, and of the same types all the way down (1 == Decimal('1') == True are not the same)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        if isinstance(a, DateOrdered) and a.input_index != b.input_index:
            return False
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    return a == b


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=lines, as_bytes=st.booleans())
def test_the_fast_path_accepts_only_what_the_slow_path_accepts_and_reads_it_the_same(readers, line, as_bytes):
    reader, fast = readers
    if as_bytes and isinstance(line, str):
        line = line.encode("utf-8", errors="surrogatepass")
    quick = fast.read(line)
    if quick is None:
        return  # the slow path decides, as it always did
    slow, errors = slow_read(reader, line)
    assert not errors, f"the fast path accepted a line the slow path rejects: {errors}"
    assert same(quick, slow)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(lines, max_size=8))
def test_a_run_reads_the_same_with_and_without_the_fast_path(kinds, batch):
    reader = kinds.reader
    with_fast = list(reader.read_jsonl(batch, "in.jsonl"))
    saved, reader.fast_read = reader.fast_read, None
    try:
        without = list(reader.read_jsonl(batch, "in.jsonl"))
    finally:
        reader.fast_read = saved
    assert [(n, c is None, [e.to_json() for e in errors or ()]) for n, c, errors in with_fast] == \
           [(n, c is None, [e.to_json() for e in errors or ()]) for n, c, errors in without]
    assert all(same(a[1], b[1]) for a, b in zip(with_fast, without))


def test_plainly_valid_lines_take_the_fast_path(readers):
    reader, fast = readers
    line = json.dumps({"id": "C1", "born": "1980-02-29", "colours": ["red", "red"], "amount": 2.50, "share": 100,
                       "tally": {"red": 3}, "weights": {"blue": 0.5},
                       "visits_list": [{"id": "V2", "start": "2014-03-01"}, {"id": "V1", "start": "2014-01-01",
                                                                            "end": "2014-02-01", "colour": "red"}]})
    client = fast.read(line)
    assert client is not None and same(client, slow_read(reader, line)[0])
    assert isinstance(client["visits_list"], DateOrdered) and client["visits_list"].input_index == {"V2": 0, "V1": 1}
    assert client["amount"] == Decimal("2.50") and client["colours"] == frozenset({"red"})


@pytest.mark.parametrize("record", [
    {"id": "C1", "visits": 2.0},                         # whole, but written as a decimal: the slow path takes it
    {"id": "C1", "visits_list": [{"id": "V1", "start": "2014-01-02", "end": "2014-01-01"}]},  # out of order
    {"id": "C1", "visits_list": [{"id": "V1", "start": "2014-01-02"}, {"id": "V1", "start": "2014-01-03"}]},
    {"id": "C1", "share": 100.5}, {"id": None}, {"id": "C1", "extra": 1}, {"id": "C1", "born": "2014-02-30"},
])
def test_what_is_not_plainly_valid_is_left_to_the_slow_path(readers, record):
    assert readers[1].read(json.dumps(record)) is None


def test_without_msgspec_every_line_takes_the_slow_path(kinds, monkeypatch):
    import pbr_rules.fast_reader as fast_reader
    monkeypatch.setattr(fast_reader, "msgspec", None)
    assert FastReader.for_schema(kinds.checked.schema, kinds.reader) is None


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=lines)
def test_the_fast_path_for_decoded_records_agrees_with_the_slow_path_too(readers, line):
    """What a CSV extract gives (JSON's kinds of value, no floats) takes the same fast path."""
    reader, fast = readers
    found = json_record(1, line, "<test>")
    if found is None or found[2] is not None:
        return
    quick = fast.read_record(found[1])
    if quick is None:
        return
    slow, errors = reader.normalise(found[1])
    assert not errors, f"the fast path accepted a record the slow path rejects: {errors}"
    assert same(quick, slow)


def test_a_schema_msgspec_cannot_express_reads_through_the_slow_path(tmp_path_factory):
    """A field named like a Python private name, and a range wider than 64 bits: the ruleset loads
    and its records are read (found by review)."""
    odd = load_text(tmp_path_factory, "odd", """ruleset odd version 1.0.0

record client "Odd fields."
  id: text
  __note: optional text
  pence: optional count 0..100000000000000000000
""")
    assert odd.reader.fast_read is None or odd.reader.fast_read(json.dumps({"id": "C1"})) is not None
    client = odd.prepare({"id": "C1", "__note": "x", "pence": 10**19})
    assert client["pence"] == 10**19 and client["__note"] == "x"
    if odd.reader.fast_read is not None:
        assert odd.reader.fast_read(json.dumps({"id": "C1", "pence": 10**19})) is not None
