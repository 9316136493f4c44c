"""Client records from a folder of CSV extracts, the shape commissioners receive (docs/data.md).

    clients.csv          one row per client: the client record's own fields (`id` first)
    episodes.csv         one row per record of the client's list `episodes`, with a `client_id`
    top_reviews.csv      ... one file per list of the client record, named after the list

Cells are read by the ruleset's schema: an empty cell is absent; a set is written with `;`
between values (`opiates;crack`); a map is one column per key (`days_used.opiates`); yes/no is
true/false, yes/no or 1/0. What cannot be read is passed on as written, so that the schema check
reports it. Every problem is reported with the file and line it came from; a cell that is not
UTF-8 text is one of them (it sets its client aside, not the whole folder).

A CSV file that no list of the schema is named after is not read, with a note (logged as a
warning: on standard error unless the application configures logging), since a folder may carry
lists of another ruleset. A missing list file means the client has no records of that list, so a
file named like a missing one (`episode.csv` without `episodes.csv`) is refused as a likely
misspelling rather than skipped: skipping it would lose every record in it.

Clients come out in clients.csv order. Every file is streamed: the list files are merged beside
clients.csv in its order, and a list file in another order is first sorted into it through
temporary files, in runs of ``RUN_ROWS`` rows. When clients.csv is sorted by id (extracts usually
are) the ids are that order and nothing is held per client; otherwise a first pass over clients.csv
gives each id its place, the one thing held per client.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import heapq
import logging
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import attrs

from .errors import DataError, UsageError
from .schema import Scalar, Schema
from .words import article

LOG = logging.getLogger(__name__)

CLIENT_ID_COLUMN = "client_id"
_INTEGER = re.compile(r"^-?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_PATH_INDEX = re.compile(r"^\$\.(\w+)\[(\d+)\]")
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape


def _unreadable(client_id, path: str, file: str, line: int) -> DataError:
    return DataError("this cell is not UTF-8 text", client=client_id if isinstance(client_id, str) else None,
                     path=path, line_number=line, source=file)


class ExtractReader:
    """Turns CSV rows into client dicts in the JSON input shape, remembering where each came from."""

    def __init__(self, schema: Schema, *others: Schema):
        """``others``: the schemas of other rulesets reading the same folder (`pbr compare`); their
        lists and fields are read too, and each ruleset's own reader drops what it does not know.
        Where two schemas disagree on a field's kind, ``schema``'s is used to read its cells."""
        self.records = _merged_records(schema, others)
        self.lists = dict(schema.lists)  # list field -> record type
        for other in others:
            for name, record in other.lists.items():
                self.lists.setdefault(name, record)

    def read(self, folder: str | Path) -> Iterator[tuple]:
        """Yield ``(client dict, origins, problems)`` per client in clients.csv order, then one
        per client id found only in the list files. ``origins`` maps "$" and "$.LIST[i]" to
        (file, line); ``problems`` are DataErrors found while reading the CSV itself."""
        with self.open(folder) as extracts:
            for raw in extracts.rows_by_client():
                yield extracts.assemble(raw)

    @contextlib.contextmanager
    def open(self, folder: str | Path):
        """The folder, ready to be read client by client: ``rows_by_client()`` gives each client's
        rows as cells (the merge, cheap), ``assemble(rows)`` makes its record from them (the work;
        ``jobs`` does it in other processes).

        Every file is streamed: each list file is merged beside clients.csv in clients.csv's
        order, and a list file in another order is first sorted into it through temporary files.
        When clients.csv is sorted by id, ids are the order; otherwise a first pass over it gives
        each id its place (the one thing held per client)."""
        folder = Path(folder)
        self._check_files(folder)
        clients_file = folder / "clients.csv"
        read_client = self.row_reader("client", _columns(_header(clients_file) or []))
        # ids as the merge reads them (by the row reader: `id.x` is read as `id`, as for any field)
        place = None if _never_down(_client_ids(clients_file, read_client)) else \
            _places(_client_ids(clients_file, read_client))
        with contextlib.ExitStack() as stack:
            lists = {name: self._streamed(stack, folder / f"{name}.csv", place) for name in self.lists}
            yield _Extracts(self, clients_file, read_client, lists, place)

    def _streamed(self, stack: contextlib.ExitStack, path: Path, place: dict | None):
        """A list file's rows in clients.csv order (one client's rows in file order), keyed by the
        client's id, or by its place in clients.csv when ``place`` is given; rows of ids that
        clients.csv does not have are orphans."""
        header = _header(path)
        if header is not None and CLIENT_ID_COLUMN not in header:
            raise UsageError(f"{path.name} has no `{CLIENT_ID_COLUMN}` column",
                             hint=f"each row of {path.name} names its client in `{CLIENT_ID_COLUMN}`")
        columns = _columns(header or [])
        if header is None:
            return _StreamedRows(iter(()), path.name, columns)
        key_of = _as_written if place is None else place.get  # a client id -> its key in the merge
        rows = _keyed_rows(path, dict(columns)[CLIENT_ID_COLUMN], key_of)
        if not _sorted_by(path, CLIENT_ID_COLUMN, lambda cell: key_of(_client_id_of(cell))):
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="pbr-sort-"))
            rows = _external_sort(rows, folder, str if place is None else int)
        return _StreamedRows(rows, path.name, columns)

    def _check_files(self, folder: Path) -> None:
        """Refuse a folder without clients.csv or with a file named like a missing one; note the
        files that no list is named after, which are not read."""
        expected = ["clients"] + list(self.lists)
        present = {p.stem for p in folder.glob("*.csv")}
        missing = [name for name in expected if name not in present]
        unknown = sorted(present - set(expected))
        for stem in unknown:
            close = difflib.get_close_matches(stem, missing, n=1, cutoff=0.8)
            if close:
                wanted, record = close[0], self.lists.get(close[0], "client")
                raise UsageError(
                    f"{folder} has {stem}.csv but no {wanted}.csv: did you mean {wanted}.csv?",
                    hint=f"rename {stem}.csv to {wanted}.csv; if {stem}.csv holds a list that only another "
                         f"ruleset knows, add {article(wanted)} {wanted}.csv with just its header line, so that "
                         f"it is clear no {record} records are missing")
        if "clients" in missing:
            raise UsageError(f"{folder} has no clients.csv",
                             hint="a folder of extracts needs clients.csv, and one CSV per list: "
                                  + ", ".join(f"{name}.csv" for name in self.lists))
        for stem in unknown:
            LOG.warning("pbr: note: %s.csv in %s is not read: the client record has no list called %s "
                        "(the lists: %s)", stem, folder, stem, ", ".join(self.lists) or "none")

    def row_reader(self, record_name: str, columns: list, skip: tuple = ()):
        """A function from a row's cells to ``(record, the columns whose cells are not UTF-8 text)``
        for a file with these ``columns`` (each column and the place of its cell): straight-line
        Python written once per file, as the record validators are. A short row's missing cells
        are empty; an empty cell is absent. Column names come from the data, so they reach the
        code only as constants."""
        constants: list = []

        def const(value) -> str:
            constants.append(value)
            return f"K[{len(constants) - 1}]"

        lines = ["def read(cells):", "    n = len(cells)", "    record = {}", "    unreadable = []"]
        for column, index in columns:
            if column in skip:
                continue
            shown = const(column.encode("utf-8", "replace").decode("utf-8"))
            lines += [f"    if n > {int(index)}:", f"        c = cells[{int(index)}].strip()", "        if c:"]
            plan = self._column_plan(record_name, column)
            if plan is _UNREADABLE_COLUMN:
                lines.append(f"            unreadable.append({shown})")
                continue
            name, key, read = plan
            value = "c" if read is _as_written else f"{const(read)}(c)"
            store = (f"record.setdefault({const(name)}, {{}})[{const(key)}] = {value}" if key is not None
                     else f"record[{const(name)}] = {value}")
            lines += ["            if c.isascii() or not UNDECODED(c):", f"                {store}",
                      "            else:", f"                unreadable.append({shown})"]
        lines.append("    return record, unreadable")
        namespace = {"K": tuple(constants), "UNDECODED": _UNDECODED.search, "__builtins__": {"len": len}}
        exec(compile("\n".join(lines) + "\n", f"<pbr CSV reader {record_name}>", "exec"), namespace)
        return namespace["read"]

    def _column_plan(self, record_name: str, column: str):
        """How a column's cells are read: (the field it fills, the map key or None, how a cell is
        read), worked out once per column."""
        if _UNDECODED.search(column):
            return _UNREADABLE_COLUMN
        name, dot, key = column.partition(".")
        field = self.records[record_name].fields.get(name)
        if dot and field is not None and field.scalar is Scalar.MAP:
            return name, key, _number
        if field is None:
            return column, None, _as_written  # the schema check reports the unknown column
        return name, None, _CELL_READERS.get(field.scalar, _as_written)


def _client_id_of(cell: str | None) -> str:
    """A list row's client id; an unreadable one still names its rows, shown with a placeholder
    where the bytes were bad."""
    cell = (cell or "").strip()
    return cell if cell.isascii() else cell.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _sorted_by(path: Path, column: str, key_of) -> bool:
    """Whether the keys of a list file's rows (``key_of`` their ``column`` cell) never go down: a
    first pass that reads only that column. Rows without a key take no part in the merge."""
    if not path.is_file():
        return True
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or column not in header:
            return True  # nothing to merge, or refused when the file is read
        index = len(header) - 1 - header[::-1].index(column)  # a repeated column: the last, as DictReader
        return _never_down(key_of(row[index] if index < len(row) else "") for row in reader if row)


def _never_down(keys: Iterator) -> bool:
    """Whether the keys (None: no key, skipped) never go down."""
    previous = None
    for key in keys:
        if key is None:
            continue
        if previous is not None and key < previous:
            return False
        previous = key
    return True


def _client_ids(clients_file: Path, read_client) -> Iterator:
    """Each client row's id as the merge reads it, or None (an empty or unreadable id)."""
    with open(clients_file, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        for cells in reader:
            if cells:  # not a blank line
                client_id = read_client(cells)[0].get("id")
                yield client_id if isinstance(client_id, str) else None


def _places(client_ids: Iterator) -> dict:
    """Each id of clients.csv -> its place (its first row's)."""
    places: dict = {}
    for number, client_id in enumerate(client_ids):
        if client_id is not None:
            places.setdefault(client_id, number)
    return places


def _header(path: Path) -> list | None:
    """The first row of a CSV file; None when there is no file or it is empty."""
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        return next(csv.reader(handle), None)


def _columns(header: list) -> list[tuple[str, int]]:
    """Each column once, in the order it first comes, with the place of its last cell: a repeated
    column's last cell counts, as with csv.DictReader."""
    last = {column: index for index, column in enumerate(header)}
    return [(column, last[column]) for column in dict.fromkeys(header)]


def _keyed_rows(path: Path, id_index: int, key_of) -> Iterator[tuple]:
    """(key, line, client id, cells) for each row of a list file; the key (``key_of`` the client id)
    is None for an id clients.csv does not have."""
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        next(reader, None)  # the header
        for cells in reader:
            if not cells:  # a blank line
                continue
            client_id = _client_id_of(cells[id_index] if id_index < len(cells) else None)
            yield key_of(client_id), reader.line_num, client_id, cells


RUN_ROWS = 200_000  # rows sorted in memory at a time when a list file is sorted through temporary files


def _external_sort(rows: Iterator[tuple], folder: str, key_type) -> Iterator[tuple]:
    """``(key, line, client id, row)`` sorted by key then line, in runs of ``RUN_ROWS`` written to
    ``folder`` (a private temporary folder) and merged: bounded memory for any file size. Rows
    without a key (ids clients.csv does not have) come first, in file order."""
    runs, batch = [], []
    for item in rows:
        if item[0] is None:
            yield item
            continue
        batch.append(item)
        if len(batch) >= RUN_ROWS:
            runs.append(_write_run(sorted(batch, key=_by_key), folder, len(runs)))
            batch = []
    batch.sort(key=_by_key)
    yield from heapq.merge(*(_read_run(run, key_type) for run in runs), iter(batch), key=_by_key)


def _by_key(item: tuple) -> tuple:
    return item[0], item[1]


def _write_run(batch: list, folder: str, number: int) -> str:
    """A sorted run: each row as its key, line and client id, then its cells."""
    path = os.path.join(folder, f"run-{number}.csv")
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.writer(handle)
        for key, line, client_id, cells in batch:
            writer.writerow([key, line, client_id, *cells])
    return path


def _read_run(path: str, key_type) -> Iterator[tuple]:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
        for cells in csv.reader(handle):
            yield key_type(cells[0]), int(cells[1]), cells[2], cells[3:]


class _StreamedRows:
    """A list file's rows in clients.csv order, taken client by client as clients.csv comes."""

    def __init__(self, rows: Iterator[tuple], file: str, columns: list):
        self.file, self.columns = file, columns  # how its rows are read (``_Extracts.assemble``)
        self._rows = rows
        self._next = next(rows, None)
        self.orphans: dict = {}  # client id -> (line, cells) of rows clients.csv does not have

    def take(self, key) -> list:
        """The rows of the client with this key, (line, cells) in file order."""
        taken = []
        while self._next is not None and (self._next[0] is None or self._next[0] <= key):
            found, line, client_id, cells = self._next
            if found == key:
                taken.append((line, cells))
            else:  # no such id in clients.csv, or passed by
                self.orphans.setdefault(client_id, []).append((line, cells))
            self._next = next(self._rows, None)
        return taken

    def rest(self) -> dict:
        """Every row clients.csv did not take, by client id (once clients.csv is read)."""
        while self._next is not None:
            _, line, client_id, cells = self._next
            self.orphans.setdefault(client_id, []).append((line, cells))
            self._next = next(self._rows, None)
        return self.orphans


class _Extracts:
    """An open folder of extracts (``ExtractReader.open``)."""

    def __init__(self, reader: ExtractReader, clients_file: Path, read_client, lists: dict, place: dict | None):
        self._clients_file, self._read_client, self._lists, self._place = clients_file, read_client, lists, place
        # per list: its name, file and row reader, for ``assemble`` (which may run in a forked worker)
        self._plans = [(name, rows.file, reader.row_reader(reader.lists[name], rows.columns, (CLIENT_ID_COLUMN,)))
                       for name, rows in lists.items()]

    def rows_by_client(self) -> Iterator[tuple]:
        """Per client in clients.csv order ``(line, cells, [rows of each list])``, rows being (line,
        cells); then each orphan, already assembled (a client dict, origins and problems)."""
        place, read_client = self._place, self._read_client
        with open(self._clients_file, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            reader = csv.reader(handle)
            next(reader, None)  # the header
            for cells in reader:
                if not cells:  # a blank line
                    continue
                client_id = read_client(cells)[0].get("id")
                key = None if not isinstance(client_id, str) else client_id if place is None else place.get(client_id)
                # a repeated id gets no rows: its first row took them (the duplicate is reported by
                # the JSON reader's rule)
                yield reader.line_num, cells, [rows.take(key) if key is not None else [] for rows in self._lists.values()]
        yield from _orphans(self._lists)

    def assemble(self, raw: tuple) -> tuple:
        """``(client dict, origins, problems)`` from what ``rows_by_client`` gave."""
        if isinstance(raw[0], dict):  # an orphan, assembled already
            return raw
        line, cells, rows_of_lists = raw
        client, unreadable = self._read_client(cells)
        origins = {"$": ("clients.csv", line)}
        problems = [_unreadable(client.get("id"), f"$.{column}", "clients.csv", line) for column in unreadable]
        client_id = client.get("id") if isinstance(client.get("id"), str) else None
        for (list_name, file, read_row), rows in zip(self._plans, rows_of_lists):
            records = client[list_name] = []
            for index, (row_line, row_cells) in enumerate(rows):
                record, unreadable = read_row(row_cells)
                records.append(record)
                origins[f"$.{list_name}[{index}]"] = (file, row_line)
                problems += [_unreadable(client_id, f"$.{list_name}[{index}].{column}", file, row_line)
                             for column in unreadable]
        return client, origins, problems


def _orphans(lists: dict) -> Iterator[tuple]:
    """Rows of clients that clients.csv does not have: reported, never dropped. A client comes
    when its first row in the first list that has it comes."""
    orphans: dict = {}
    for list_name, by_client in lists.items():
        rest = by_client.rest()
        for client_id in sorted(rest, key=lambda found: rest[found][0][0]):  # by first line
            orphans.setdefault(client_id, []).append((list_name, rest[client_id]))
    for client_id, found in orphans.items():
        problems = [DataError(f"client {client_id} has rows in {name}.csv but no row in clients.csv",
                              client=client_id, path="$", line_number=rows[0][0], source=f"{name}.csv")
                    for name, rows in found]
        yield {"id": client_id}, {"$": (found[0][0] + ".csv", found[0][1][0][0])}, problems


def _merged_records(schema: Schema, others: tuple) -> dict:
    """Every record of ``schema`` and ``others``; a record several of them know has all their
    fields, ``schema``'s first."""
    records = dict(schema.records)
    for other in others:
        for name, info in other.records.items():
            mine = records.get(name)
            if mine is None:
                records[name] = info
            elif not info.fields.keys() <= mine.fields.keys():
                extra = {field: about for field, about in info.fields.items() if field not in mine.fields}
                records[name] = attrs.evolve(mine, fields={**mine.fields, **extra})
    return records


def _number(cell: str):
    """An int or a Decimal for a cell written as a number in ASCII digits; anything else (`NaN`,
    `Infinity`, `1_000`, digits of other scripts) is passed on as text: "expected a number"."""
    if _INTEGER.match(cell) and len(cell) < 4000:  # Python refuses to read longer ints from text
        return int(cell)
    if _DECIMAL.match(cell):
        return Decimal(cell)
    return cell


def _as_written(cell: str) -> str:
    return cell  # dates, texts and enum values are checked as written


def _yes_or_no(cell: str):
    lowered = cell.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else cell


def _set_values(cell: str) -> list:
    return [value.strip() for value in cell.split(";") if value.strip()]


_CELL_READERS = {scalar: _number for scalar in Scalar if scalar.numeric} | {Scalar.BOOL: _yes_or_no,
                                                                         Scalar.SET: _set_values}
_UNREADABLE_COLUMN = ("", None, None)  # a column whose name is not UTF-8 text: its cells are reported


def place_errors(errors: list, origins: dict) -> list:
    """Point each problem at the CSV file and line its record came from."""
    for error in errors:
        match = _PATH_INDEX.match(error.path)
        key = f"$.{match.group(1)}[{match.group(2)}]" if match else "$"
        file, line = origins.get(key, origins["$"])
        error.source, error.line_number = file, line
    return errors
