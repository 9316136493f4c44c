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

Clients come out in clients.csv order. When clients.csv is sorted by id (extracts usually are),
every file is streamed: the list files are merged beside it by client id, and a list file that is
not sorted by client_id is first sorted through temporary files, in runs of ``RUN_ROWS`` rows, so
memory stays flat for any number of clients. When clients.csv is not sorted, the list files are
read whole and grouped by client, with a note that says so.
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
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterator

import attrs

from .errors import DataError, UsageError
from .schema import Scalar, Schema
from .words import article

LOG = logging.getLogger(__name__)

CLIENT_ID_COLUMN = "client_id"
_INTEGER = re.compile(r"^-?[0-9]+$")
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
        (file, line); ``problems`` are DataErrors found while reading the CSV itself.

        When clients.csv is sorted by id, each list file is streamed beside it in client order (a
        list file that is not sorted by client_id is first sorted in bounded memory, through
        temporary files): memory stays flat however many clients there are. Otherwise the list
        files are read whole and grouped by client, with a note saying so."""
        folder = Path(folder)
        self._check_files(folder)
        with contextlib.ExitStack() as stack:
            if _ids_sorted(folder / "clients.csv", "id"):
                lists = {name: _StreamedRows(self._rows_by_client(stack, folder / f"{name}.csv", name))
                         for name in self.lists}
            else:
                LOG.warning("pbr: note: clients.csv in %s is not sorted by id, so its list files are read whole "
                            "(memory grows with them); sort the extracts by client id to read them in bounded "
                            "memory", folder)
                lists = {name: _GroupedRows(self._list_rows(folder / f"{name}.csv", name)) for name in self.lists}
            yield from self._clients(folder / "clients.csv", lists)

    def _clients(self, clients_file: Path, lists: dict) -> Iterator[tuple]:
        with open(clients_file, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                line = reader.line_num
                client, unreadable = self._row(row, "client", skip=())
                origins = {"$": ("clients.csv", line)}
                problems = [_unreadable(client.get("id"), f"$.{column}", "clients.csv", line)
                            for column in unreadable]
                client_id = client.get("id") if isinstance(client.get("id"), str) else None
                for list_name, by_client in lists.items():
                    # a repeated id gets no rows: its first row took them (the duplicate is reported
                    # by the JSON reader's rule)
                    rows = by_client.take(client_id) if client_id is not None else []
                    client[list_name] = [record for record, _, _ in rows]
                    for index, (_, where, unreadable) in enumerate(rows):
                        origins[f"$.{list_name}[{index}]"] = where
                        problems += [_unreadable(client_id, f"$.{list_name}[{index}].{column}", *where)
                                     for column in unreadable]
                yield client, origins, problems
        yield from _orphans(lists)

    def _rows_by_client(self, stack: contextlib.ExitStack, path: Path, list_name: str) -> Iterator[tuple]:
        """The list file's rows ordered by client id (one client's rows in file order)."""
        if not path.is_file():
            return iter(())
        if _ids_sorted(path, CLIENT_ID_COLUMN):
            return self._list_rows(path, list_name)
        return self._list_rows(path, list_name, sort_in=stack.enter_context(
            tempfile.TemporaryDirectory(prefix="pbr-sort-")))

    def _list_rows(self, path: Path, list_name: str, sort_in: str | None = None) -> Iterator[tuple]:
        """(client id, (record, (file, line), unreadable)) for each row of a list file, in file
        order, or by client id when sorted in the folder ``sort_in``."""
        if not path.is_file():
            return
        record_name = self.lists[list_name]
        with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if header is not None and CLIENT_ID_COLUMN not in header:
                raise UsageError(f"{path.name} has no `{CLIENT_ID_COLUMN}` column",
                                 hint=f"each row of {path.name} names its client in `{CLIENT_ID_COLUMN}`")
            rows = ((_client_id_of(row.get(CLIENT_ID_COLUMN)), reader.line_num, row) for row in reader)
            if sort_in is not None:
                rows = _external_sort(rows, header, sort_in)
            for client_id, line, row in rows:
                record, unreadable = self._row(row, record_name, skip=(CLIENT_ID_COLUMN,))
                yield client_id, (record, (path.name, line), unreadable)

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

    def _row(self, row: dict, record_name: str, skip: tuple) -> tuple:
        """The record, and the columns whose cells are not UTF-8 text (left out of it)."""
        info = self.records[record_name]
        record: dict = {}
        unreadable = []
        for column, cell in row.items():
            if column in skip or column is None or cell is None:
                continue
            cell = cell.strip()
            if cell == "":
                continue
            if _UNDECODED.search(cell) or _UNDECODED.search(column):
                unreadable.append(column.encode("utf-8", "replace").decode("utf-8"))
                continue
            name, dot, key = column.partition(".")
            field = info.fields.get(name)
            if dot and field is not None and field.scalar is Scalar.MAP:
                record.setdefault(name, {})[key] = _number(cell)
            elif field is None:
                record[column] = cell  # the schema check reports the unknown column
            else:
                record[name] = self._cell(cell, field.scalar)
        return record, unreadable

    @staticmethod
    def _cell(cell: str, scalar: Scalar):
        if scalar.numeric:
            return _number(cell)
        if scalar is Scalar.BOOL:
            lowered = cell.lower()
            return True if lowered in _TRUE else False if lowered in _FALSE else cell
        if scalar is Scalar.SET:
            return [value.strip() for value in cell.split(";") if value.strip()]
        return cell  # dates, texts and enum values are checked as written


def _client_id_of(cell: str | None) -> str:
    """A list row's client id; an unreadable one still names its rows, shown with a placeholder
    where the bytes were bad."""
    return (cell or "").strip().encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _ids_sorted(path: Path, column: str) -> bool:
    """Whether the file's ids in ``column`` never go down (a first pass that reads only them; rows
    without a readable id take no part in the merge and are skipped)."""
    if not path.is_file():
        return True
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or column not in header:
            return True  # nothing to merge, or refused when the file is read
        index = len(header) - 1 - header[::-1].index(column)  # a repeated column: the last, as DictReader
        previous = ""
        for row in reader:
            cell = row[index].strip() if index < len(row) else ""
            if not cell or _UNDECODED.search(cell):
                continue
            if column == CLIENT_ID_COLUMN:
                cell = _client_id_of(cell)
            if cell < previous:
                return False
            previous = cell
    return True


RUN_ROWS = 200_000  # rows sorted in memory at a time when a list file is sorted through temporary files


def _external_sort(rows: Iterator[tuple], header: list, folder: str) -> Iterator[tuple]:
    """``(client id, line, row)`` sorted by client id then line, in runs of ``RUN_ROWS`` written to
    ``folder`` (a private temporary folder) and merged: bounded memory for any file size."""
    runs, batch = [], []
    for client_id, line, row in rows:
        batch.append((client_id, line, [row.get(column) or "" for column in header]))
        if len(batch) >= RUN_ROWS:
            runs.append(_write_run(sorted(batch, key=_by_client), folder, len(runs)))
            batch = []
    batch.sort(key=_by_client)
    merged = heapq.merge(*(_read_run(run) for run in runs), iter(batch), key=_by_client)
    for client_id, line, cells in merged:
        yield client_id, line, dict(zip(header, cells))


def _by_client(item: tuple) -> tuple:
    return item[0], item[1]


def _write_run(batch: list, folder: str, number: int) -> str:
    path = os.path.join(folder, f"run-{number}.csv")
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.writer(handle)
        for client_id, line, cells in batch:
            writer.writerow([client_id, line, *cells])
    return path


def _read_run(path: str) -> Iterator[tuple]:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
        for row in csv.reader(handle):
            yield row[0], int(row[1]), row[2:]


class _StreamedRows:
    """A list file's rows, sorted by client id, taken client by client as clients.csv (sorted by
    id too) comes; rows of ids that clients.csv passes by are kept as orphans."""

    def __init__(self, rows: Iterator[tuple]):
        self._rows = rows
        self._next = next(rows, None)
        self.orphans: dict = {}

    def take(self, client_id: str) -> list:
        taken = []
        while self._next is not None and self._next[0] <= client_id:
            row_id, row = self._next
            (taken if row_id == client_id else self.orphans.setdefault(row_id, [])).append(row)
            self._next = next(self._rows, None)
        return taken

    def rest(self) -> dict:
        """Every row clients.csv did not take, by client id (once clients.csv is read)."""
        while self._next is not None:
            self.orphans.setdefault(self._next[0], []).append(self._next[1])
            self._next = next(self._rows, None)
        return self.orphans


class _GroupedRows:
    """A list file's rows grouped by client id, read whole (clients.csv is not sorted by id)."""

    def __init__(self, rows: Iterator[tuple]):
        self._by_client: dict = {}
        for client_id, row in rows:
            self._by_client.setdefault(client_id, []).append(row)

    def take(self, client_id: str) -> list:
        return self._by_client.pop(client_id, [])

    def rest(self) -> dict:
        return self._by_client


def _orphans(lists: dict) -> Iterator[tuple]:
    """Rows of clients that clients.csv does not have: reported, never dropped. A client comes
    when its first row in the first list that has it comes."""
    orphans: dict = {}
    for list_name, by_client in lists.items():
        rest = by_client.rest()
        for client_id in sorted(rest, key=lambda found: rest[found][0][1][1]):  # by first line
            orphans.setdefault(client_id, []).append((list_name, rest[client_id]))
    for client_id, found in orphans.items():
        file, line = found[0][0] + ".csv", found[0][1][0][1][1]  # rows hold (record, (file, line), unreadable)
        problems = [DataError(f"client {client_id} has rows in {name}.csv but no row in clients.csv",
                              client=client_id, path="$", line_number=rows[0][1][1], source=f"{name}.csv")
                    for name, rows in found]
        yield {"id": client_id}, {"$": (file, line)}, problems


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
    if _INTEGER.match(cell):
        return int(cell)
    try:
        return Decimal(cell)
    except InvalidOperation:
        return cell  # reported as "expected a number"


def place_errors(errors: list, origins: dict) -> list:
    """Point each problem at the CSV file and line its record came from."""
    for error in errors:
        match = _PATH_INDEX.match(error.path)
        key = f"$.{match.group(1)}[{match.group(2)}]" if match else "$"
        file, line = origins.get(key, origins["$"])
        error.source, error.line_number = file, line
    return errors
