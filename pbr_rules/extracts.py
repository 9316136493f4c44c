"""Client records from a folder of CSV extracts, the shape commissioners receive (docs/data.md).

    clients.csv          one row per client: the client record's own fields (`id` first)
    episodes.csv         one row per record of the client's list `episodes`, with a `client_id`
    top_reviews.csv      ... one file per list of the client record, named after the list

Cells are read by the ruleset's schema: an empty cell is absent; a set is written with `;`
between values (`opiates;crack`); a map is one column per key (`days_used.opiates`); yes/no is
true/false, yes/no or 1/0. What cannot be read is passed on as written, so that the schema check
reports it. Every problem is reported with the file and line it came from; a cell that is not
UTF-8 text is one of them (it sets its client aside, not the whole folder).

The shape of a file is checked as it is read, so that no row is lost or misread silently. A row
whose cells are more or fewer than the header's columns, or that runs over a line break (a
quoted cell holding one: no field of these extracts does, so it is a quote missing its pair that
swallowed the rows after it), or whose quotes cannot be read, is its client's problem: the client
is set aside, and the problem names the file and the row's first line. A row is always reported at
its first line. A header that cannot be read or names a column twice stops the run (UsageError).

Every list of the schema must have its file, if need be with its header line alone: a list file
left out is refused, never read as "no records", since an export that lost a file would otherwise
evaluate every client without those records. A CSV file that no list of the schema is named after
is not read, with a note (logged as a warning: on standard error unless the application
configures logging), since a folder may carry lists of another ruleset; one named like a missing
list (`episode.csv` without `episodes.csv`) is refused as a likely misspelling.

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
import itertools
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
        header = _header(clients_file) or []
        clients = _File(clients_file, len(header))
        read_client = self.row_reader("client", _columns(header))
        # ids as the merge reads them (by the row reader: `id.x` is read as `id`, as for any field)
        place = None if _never_down(_client_ids(clients, read_client)) else _places(_client_ids(clients, read_client))
        with contextlib.ExitStack() as stack:
            lists = {name: self._streamed(stack, folder / f"{name}.csv", place) for name in self.lists}
            yield _Extracts(self, clients, read_client, lists, place)

    def _streamed(self, stack: contextlib.ExitStack, path: Path, place: dict | None):
        """A list file's rows in clients.csv order (one client's rows in file order), keyed by the
        client's id, or by its place in clients.csv when ``place`` is given; rows of ids that
        clients.csv does not have are orphans."""
        header = _header(path)
        if header is None:  # as good as left out: a file cut short by an export may be empty too
            raise UsageError(f"{path.name} is empty: if no client has any, write its header line alone",
                             hint=f"its header line names `{CLIENT_ID_COLUMN}` and the columns of its records, "
                                  "as in a file that has rows")
        if CLIENT_ID_COLUMN not in header:
            raise UsageError(f"{path.name} has no `{CLIENT_ID_COLUMN}` column",
                             hint=f"each row of {path.name} names its client in `{CLIENT_ID_COLUMN}`")
        file, id_index = _File(path, len(header)), header.index(CLIENT_ID_COLUMN)
        key_of = _as_written if place is None else place.get  # a client id -> its key in the merge
        rows = _keyed_rows(file, id_index, key_of)
        if not _never_down(row[0] for row in _keyed_rows(file, id_index, key_of)):  # a first pass
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="pbr-sort-"))
            rows = _external_sort(rows, folder, str if place is None else int)
        return _StreamedRows(rows, path.name, _columns(header))

    def _check_files(self, folder: Path) -> None:
        """Refuse a folder without clients.csv or a list's file, or with a file named like a missing
        one; note the files that no list is named after, which are not read."""
        expected = ["clients"] + list(self.lists)
        present = {p.stem for p in folder.glob("*.csv") if p.is_file()}
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
        if missing:  # a list file left out is refused, never read as "no records": an export may have lost it
            files = [f"{name}.csv" for name in missing]
            named = files[0] if len(files) == 1 else ", ".join(files[:-1]) + " or " + files[-1]
            raise UsageError(
                f"{folder} has no {named}: if no client has any, write "
                f"{'the file' if len(files) == 1 else 'each file'} with its header line alone",
                hint="a folder of extracts has one CSV per list of the client record, even when the list is "
                     f"empty for every client ({', '.join(f'{name}.csv' for name in self.lists)}), so that a "
                     "file left out of an export never passes for clients without records")
        for stem in unknown:
            LOG.warning("pbr: note: %s.csv in %s is not read: the client record has no list called %s "
                        "(the lists: %s)", stem, folder, stem, ", ".join(self.lists) or "none")

    def row_reader(self, record_name: str, columns: list, skip: tuple = ()):
        """A function from a row's cells to ``(record, the columns whose cells are not UTF-8 text)``
        for a file with these ``columns`` (each column and the place of its cell): straight-line
        Python written once per file, as the record validators are. An empty cell is absent; a
        short row's missing cells are empty (the row is reported: ``_File.rows``, but its client's
        id is still read). Column names come from the data, so they reach the code only as
        constants."""
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


def _client_ids(clients: _File, read_client) -> Iterator:
    """Each client row's id as the merge reads it, or None (an empty or unreadable id)."""
    for _, cells, _ in clients.rows():
        client_id = read_client(cells)[0].get("id")
        yield client_id if isinstance(client_id, str) else None


def _places(client_ids: Iterator) -> dict:
    """Each id of clients.csv -> its place (its first row's)."""
    places: dict = {}
    for number, client_id in enumerate(client_ids):
        if client_id is not None:
            places.setdefault(client_id, number)
    return places


def _open(path: Path):
    return open(path, newline="", encoding="utf-8-sig", errors="surrogateescape")


def _header(path: Path) -> list | None:
    """The first row of a CSV file, which names its columns; None when there is no file or it is
    empty. A header that cannot be read, or that names a column twice, stops the run: every row
    of the file would be misread."""
    if not path.is_file():
        return None
    with _open(path) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as error:
            raise UsageError(f"{path.name} line 1: its header cannot be read: {_unparsed(error, 1, reader.line_num)}",
                             hint=_HEADER_HINT) from None
    if header is None:
        return None
    if reader.line_num > 1:
        raise UsageError(f"{path.name} line 1: its header cannot be read: a cell runs on to line {reader.line_num}: "
                         "is a quote missing its pair?", hint=_HEADER_HINT)
    if not header:
        raise UsageError(f"{path.name} line 1 is blank: the first line of the file names its columns",
                         hint=_HEADER_HINT)
    first: dict = {}
    for number, column in enumerate(header, 1):
        if column in first:
            shown = column.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise UsageError(f"{path.name} names the column `{shown}` twice (columns {first[column]} and {number})",
                             hint="name each column once: remove one of the two, or rename it; which of a row's "
                                  "two cells to read is not clear")
        first[column] = number
    return header


_HEADER_HINT = "the first line of a CSV extract names its columns, separated by commas, each once"


def _columns(header: list) -> list[tuple[str, int]]:
    """Each column (named once: ``_header``) with the place of its cell."""
    return [(column, index) for index, column in enumerate(header)]


@attrs.frozen
class _File:
    """A CSV file of the folder and the number of its header's columns."""

    path: Path
    width: int

    def rows(self) -> Iterator[tuple]:
        """``(line, cells, problem)`` for each row after the header, blank lines skipped. ``line``
        is the row's first line; ``problem`` is None, or what is wrong with the row's shape, which
        sets its client aside: cells more or fewer than the header's columns, a cell that runs
        on over a line break, quotes that cannot be read. The cells of a row that cannot be read
        are its first line's, read as well as they can be, for its client's id. A row is one
        length and one line check more than csv's own work."""
        width = self.width
        with _open(self.path) as handle, contextlib.closing(_Lines(self.path)) as lines:
            reader = csv.reader(handle, strict=True)
            next(reader, None)  # the header, read and checked by ``_header``
            last = reader.line_num
            while True:
                try:
                    for cells in reader:
                        first, last = last + 1, reader.line_num
                        if len(cells) == width and first == last:
                            yield first, cells, None
                        elif cells:  # not a blank line
                            yield first, cells, (f"a cell runs on to line {last}: is a quote missing its pair?"
                                                 if last > first else _miscounted(len(cells), width))
                    return
                except csv.Error as error:  # the reader goes on at the next line
                    first, last = last + 1, reader.line_num
                    yield first, lines.cells(first), _unparsed(error, first, last)


def _miscounted(cells: int, width: int) -> str:
    return f"this row has {cells} cell{'' if cells == 1 else 's'}, the header has {width}"


def _unparsed(error: csv.Error, first: int, last: int) -> str:
    """What is wrong with a row that csv cannot read (``strict``), from its first to its last line."""
    text = str(error)
    if text.startswith("unexpected end of data"):
        return ("a quote opened on this line is never closed" if last <= first else
                f"a cell runs on to the end of the file (line {last})") + ": is a quote missing its pair?"
    if text.startswith("field larger than field limit"):
        return (f"a cell runs on past {csv.field_size_limit():,} characters (to line {last}): "
                "is a quote missing its pair?")
    if last > first:
        return f"a cell runs on to line {last}: is a quote missing its pair?"
    if "expected after" in text:
        return ('a quoted cell goes on after its closing quote: is a quote missing its pair? (a quote inside '
                'a quoted cell is written twice: "")')
    return f"this row cannot be read as CSV ({text})"


class _Lines:
    """A file's lines by number, read forward on a handle of their own: only for the few rows that
    csv cannot read, whose cells it does not give."""

    def __init__(self, path: Path):
        self._path, self._handle, self._read = path, None, 0

    def cells(self, number: int) -> list:
        """The cells of line ``number`` on its own, read leniently; lines only ever go forward."""
        if self._handle is None:
            self._handle = _open(self._path)
        line = next(itertools.islice(self._handle, number - self._read - 1, None), "")
        self._read = number
        try:
            return next(csv.reader([line]), [])
        except csv.Error:  # a line too long for csv
            return []

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def _keyed_rows(file: _File, id_index: int, key_of) -> Iterator[tuple]:
    """(key, line, client id, cells, problem) for each row of a list file; the key (``key_of`` the
    client id) is None for an id clients.csv does not have."""
    for line, cells, problem in file.rows():
        client_id = _client_id_of(cells[id_index] if id_index < len(cells) else None)
        yield key_of(client_id), line, client_id, cells, problem


RUN_ROWS = 200_000  # rows sorted in memory at a time when a list file is sorted through temporary files


def _external_sort(rows: Iterator[tuple], folder: str, key_type) -> Iterator[tuple]:
    """``(key, line, client id, cells, problem)`` sorted by key then line, in runs of ``RUN_ROWS``
    written to ``folder`` (a private temporary folder) and merged: bounded memory for any file size.
    Rows without a key (ids clients.csv does not have) come first, in file order."""
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
    """A sorted run: each row as its key, line, client id and problem (empty: none), then its cells."""
    path = os.path.join(folder, f"run-{number}.csv")
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.writer(handle)
        for key, line, client_id, cells, problem in batch:
            writer.writerow([key, line, client_id, problem or "", *cells])
    return path


def _read_run(path: str, key_type) -> Iterator[tuple]:
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as handle:
        for cells in csv.reader(handle):
            yield key_type(cells[0]), int(cells[1]), cells[2], cells[4:], cells[3] or None


class _StreamedRows:
    """A list file's rows in clients.csv order, taken client by client as clients.csv comes."""

    def __init__(self, rows: Iterator[tuple], file: str, columns: list):
        self.file, self.columns = file, columns  # how its rows are read (``_Extracts.assemble``)
        self._rows = rows
        self._next = next(rows, None)
        self.orphans: dict = {}  # client id -> (line, cells, problem) of rows clients.csv does not have

    def take(self, key) -> list:
        """The rows of the client with this key, (line, cells, problem) in file order."""
        taken = []
        while self._next is not None and (self._next[0] is None or self._next[0] <= key):
            found, line, client_id, cells, problem = self._next
            if found == key:
                taken.append((line, cells, problem))
            else:  # no such id in clients.csv, or passed by
                self.orphans.setdefault(client_id, []).append((line, cells, problem))
            self._next = next(self._rows, None)
        return taken

    def rest(self) -> dict:
        """Every row clients.csv did not take, by client id (once clients.csv is read)."""
        while self._next is not None:
            _, line, client_id, cells, problem = self._next
            self.orphans.setdefault(client_id, []).append((line, cells, problem))
            self._next = next(self._rows, None)
        return self.orphans


class _Extracts:
    """An open folder of extracts (``ExtractReader.open``)."""

    def __init__(self, reader: ExtractReader, clients: _File, read_client, lists: dict, place: dict | None):
        self._clients, self._read_client, self._lists, self._place = clients, read_client, lists, place
        # per list: its name, file and row reader, for ``assemble`` (which may run in a forked worker)
        self._plans = [(name, rows.file, reader.row_reader(reader.lists[name], rows.columns, (CLIENT_ID_COLUMN,)))
                       for name, rows in lists.items()]

    def rows_by_client(self) -> Iterator[tuple]:
        """Per client in clients.csv order ``(line, cells, problem, [rows of each list])``, rows being
        (line, cells, problem) as ``_File.rows`` gives them; then each orphan, already assembled (a
        client dict, origins and problems)."""
        place, read_client = self._place, self._read_client
        for line, cells, problem in self._clients.rows():
            client_id = read_client(cells)[0].get("id")
            key = None if not isinstance(client_id, str) else client_id if place is None else place.get(client_id)
            # a repeated id gets no rows: its first row took them (the duplicate is reported by
            # the JSON reader's rule)
            yield line, cells, problem, [rows.take(key) if key is not None else [] for rows in self._lists.values()]
        yield from _orphans(self._lists)

    def assemble(self, raw: tuple) -> tuple:
        """``(client dict, origins, problems)`` from what ``rows_by_client`` gave."""
        if isinstance(raw[0], dict):  # an orphan, assembled already
            return raw
        line, cells, problem, rows_of_lists = raw
        client, unreadable = self._read_client(cells)
        origins = {"$": ("clients.csv", line)}
        client_id = client.get("id") if isinstance(client.get("id"), str) else None
        problems = [] if problem is None else [DataError(problem, client=client_id, path="$", line_number=line,
                                                         source="clients.csv")]
        problems += [_unreadable(client.get("id"), f"$.{column}", "clients.csv", line) for column in unreadable]
        for (list_name, file, read_row), rows in zip(self._plans, rows_of_lists):
            records = client[list_name] = []
            for index, (row_line, row_cells, row_problem) in enumerate(rows):
                record, unreadable = read_row(row_cells)
                records.append(record)
                origins[f"$.{list_name}[{index}]"] = (file, row_line)
                if row_problem is not None:
                    problems.append(DataError(row_problem, client=client_id, path=f"$.{list_name}[{index}]",
                                              line_number=row_line, source=file))
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
        problems += [DataError(problem, client=client_id, path=f"$.{name}[{index}]", line_number=line,
                               source=f"{name}.csv")
                     for name, rows in found for index, (line, _, problem) in enumerate(rows) if problem is not None]
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
