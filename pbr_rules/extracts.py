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

The list files are read whole and grouped by client (memory grows with them); clients.csv is
read one row at a time, and clients come out in its order.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
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
        (file, line); ``problems`` are DataErrors found while reading the CSV itself."""
        folder = Path(folder)
        clients_file = folder / "clients.csv"
        self._check_files(folder)
        grouped = {name: self._group(folder / f"{name}.csv", name) for name in self.lists}
        seen: set = set()
        with open(clients_file, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                line = reader.line_num
                client, unreadable = self._row(row, "client", skip=())
                origins = {"$": ("clients.csv", line)}
                problems = [_unreadable(client.get("id"), f"$.{column}", "clients.csv", line)
                            for column in unreadable]
                client_id = client.get("id")
                if isinstance(client_id, str) and client_id in seen:
                    # the duplicate is reported by the JSON reader's rule; keep its rows apart
                    client_id = None
                for list_name in self.lists:
                    rows = grouped[list_name].pop(client_id, []) if client_id is not None else []
                    client[list_name] = [record for record, _, _ in rows]
                    for index, (_, where, unreadable) in enumerate(rows):
                        origins[f"$.{list_name}[{index}]"] = where
                        problems += [_unreadable(client_id, f"$.{list_name}[{index}].{column}", *where)
                                     for column in unreadable]
                if isinstance(client.get("id"), str):
                    seen.add(client["id"])
                yield client, origins, problems
        # rows of clients that clients.csv does not have: reported, never dropped
        orphans: dict = {}
        for list_name, by_client in grouped.items():
            for client_id, rows in by_client.items():
                orphans.setdefault(client_id, []).append((list_name, rows))
        for client_id, lists in orphans.items():
            file, line = lists[0][0] + ".csv", lists[0][1][0][1][1]  # rows hold (record, (file, line), unreadable)
            problems = [DataError(f"client {client_id} has rows in {name}.csv but no row in clients.csv",
                                  client=client_id, path="$", line_number=rows[0][1][1], source=f"{name}.csv")
                        for name, rows in lists]
            yield {"id": client_id}, {"$": (file, line)}, problems

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

    def _group(self, path: Path, list_name: str) -> dict:
        grouped: dict = {}
        if not path.is_file():
            return grouped
        record_name = self.lists[list_name]
        with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is not None and CLIENT_ID_COLUMN not in reader.fieldnames:
                raise UsageError(f"{path.name} has no `{CLIENT_ID_COLUMN}` column",
                                 hint=f"each row of {path.name} names its client in `{CLIENT_ID_COLUMN}`")
            for row in reader:
                client_id = (row.get(CLIENT_ID_COLUMN) or "").strip()
                # an unreadable id still names its rows, shown with a placeholder where bytes were bad
                client_id = client_id.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                record, unreadable = self._row(row, record_name, skip=(CLIENT_ID_COLUMN,))
                grouped.setdefault(client_id, []).append((record, (path.name, reader.line_num), unreadable))
        return grouped

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
