"""Evaluating clients in several processes (``--jobs N``), with the one-process output.

Worker processes are forked after the ruleset is loaded (so it is checked and compiled once).
Each takes a piece of the input, reads and evaluates its clients and renders each result (a JSON
line, CSV rows, or what a command needs of it). The first process takes the pieces back in input
order, so the output is in input order, and does the one thing that needs every client before:
the check that a client id is not used twice, with the same words and line numbers as one process.

- A JSON Lines file is cut into chunks of about ``CHUNK_BYTES`` at line ends; each worker reads
  its chunks' bytes from the file. A client set aside there is sent back as its problems' words,
  numbered within its chunk, and renumbered here.
- A folder of CSV extracts is merged client by client here (``extracts``: cheap, cells only), and
  batches of ``CLIENTS_PER_BATCH`` clients' cells go to the workers, which make the records,
  validate and evaluate them. At most two batches per worker are on their way at once, so memory
  stays bounded however far ahead the merge could run.

Output is byte-identical to one process (tests/test_jobs.py). Where processes cannot be forked
(a platform without fork), or there is one piece only, the pieces are read in this process.
"""

from __future__ import annotations

import collections
import io
import itertools
import multiprocessing
import os
import signal
from typing import Callable, Iterator, Optional

import attrs

from .data import SeenIds
from .errors import DataError, OutsideCalendar
from .extracts import ExtractReader
from .results import Rejected

CHUNK_BYTES = 2 << 20  # big enough that a chunk's overhead is lost in its work, small enough to spread
CLIENTS_PER_BATCH = 400  # of a folder of extracts: about as much work as a chunk


@attrs.frozen(slots=True)
class Evaluated:
    """One client evaluated: its line, id, and the result as ``render`` made it. Where ``render``
    makes bytes (a JSON line, CSV rows), the clients of a chunk that come in a row unrejected are
    given as one: ``rendered`` their bytes joined, ``clients`` how many (line and id are then None)."""

    line_number: Optional[int]
    client: Optional[str]
    rendered: object
    clients: int = 1


def evaluate_file(ruleset, path: str, as_of, jobs: int, render: Callable,
                  chunk_bytes: int | None = None) -> Iterator:
    """An Evaluated or a Rejected for each client of a JSON Lines file, in file order. ``render``
    turns a ClientResult into what is sent back (it runs in the workers: a text, say)."""
    chunks = _chunks(path, chunk_bytes or CHUNK_BYTES)
    work = _chunk_work(ruleset, path, as_of, render)
    yield from _in_order(_done(work, chunks, jobs, several=len(chunks) > 1), path)


def evaluate_folder(ruleset, folder: str, as_of, jobs: int, render: Callable) -> Iterator:
    """The same for a folder of CSV extracts, in clients.csv order (then the orphans)."""
    with ExtractReader(ruleset.checked.schema).open(folder) as extracts:
        batches = _batches(extracts.rows_by_client(), CLIENTS_PER_BATCH)
        work = _batch_work(ruleset, extracts, as_of, render)
        yield from _in_order(_done(work, batches, jobs, several=True), "clients.csv")


def _done(work: Callable, pieces, jobs: int, several: bool) -> Iterator:
    """``work(piece)`` for each piece, in order: in forked workers when there are several pieces."""
    if jobs <= 1 or not several or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(work, pieces)
        return
    global _WORK
    _WORK = work  # what the forked workers inherit (a closure could not be sent to them)
    # SIGTERM is held back while forking: a worker must not run the first process's handler
    # (it raises, to clean up the outputs) before its initializer restores the default
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_interrupts)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    finished = False
    try:
        waiting: collections.deque = collections.deque()
        for piece in pieces:
            waiting.append(pool.apply_async(_work, (piece,)))
            if len(waiting) >= 2 * jobs:
                yield waiting.popleft().get()
        while waiting:
            yield waiting.popleft().get()
        finished = True
    finally:
        if finished:  # every result is in: the workers end of themselves
            pool.close()
            pool.join()
        else:  # an error, Ctrl-C or SIGTERM part-way: stop them
            pool.terminate()
        _WORK = None


_WORK = None


def _ignore_interrupts() -> None:
    """Ctrl-C and SIGTERM are the first process's to handle (it stops the workers, which end
    quietly when it does)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def _work(piece):
    return _WORK(piece)


def _in_order(done, source: str) -> Iterator:
    """The items of each piece, renumbered from the start of the file; a repeated id set aside."""
    seen = SeenIds()
    before = 0  # lines in the chunks already given (a folder's lines are numbered already)
    for lines, items in done:
        run: list = []  # rendered bytes of clients in a row, written as one
        for item in items:
            number = before + item[0]
            if len(item) == 3:  # (line, client id, rendered)
                client_id, rendered = item[1], item[2]
                duplicate = seen.duplicate(client_id, number, source)
                if duplicate is None:
                    if type(rendered) is bytes:
                        run.append(rendered)
                    else:
                        yield Evaluated(number, client_id, rendered)
                    continue
                rejected = Rejected(number, client_id, (duplicate,))
            elif len(item) == 5:  # (line, client id, None, None, error): it failed in the worker
                duplicate = seen.duplicate(item[1], number, source) if item[1] is not None else None
                if duplicate is None:
                    if run:
                        yield Evaluated(None, None, b"".join(run), len(run))
                    raise item[4]
                rejected = Rejected(number, item[1], (duplicate,))
            else:  # (line, client id, problems, None): set aside in the worker
                rejected = Rejected(number, item[1], tuple(_problem(problem, number, source) for problem in item[2]))
            if run:
                yield Evaluated(None, None, b"".join(run), len(run))
                run = []
            yield rejected
        if run:
            yield Evaluated(None, None, b"".join(run), len(run))
        before += lines


def _problem(problem: tuple, number: int, source: str) -> DataError:
    """A problem sent back: (message, client, path), at the client's line, or with its own line
    and file too (a CSV extract's rows come from several files)."""
    message, client, path, *place = problem
    line, file = place or (number, source)
    return DataError(message, client=client, path=path, line_number=line, source=file)


# ---- JSON Lines -----------------------------------------------------------------------------------
def _chunks(path: str, size: int) -> list[tuple[int, int]]:
    """(start, end) byte offsets that cover the file, each ending just after a line break."""
    total = os.path.getsize(path)
    chunks, start = [], 0
    with open(path, "rb") as data:
        while start < total:
            data.seek(min(start + size, total))
            data.readline()
            end = min(data.tell(), total)
            chunks.append((start, end))
            start = end
    return chunks


def _chunk_work(ruleset, path: str, as_of, render: Callable) -> Callable:
    def work(chunk: tuple[int, int]):
        """(lines in the chunk, [(line, client id, rendered) | (line, client id, problems, None), ...])"""
        start, end = chunk
        with open(path, "rb") as data:
            data.seek(start)
            text = data.read(end - start)
        items: list = []
        number = 0
        try:
            for number, client, errors in ruleset.reader.read_jsonl(io.BytesIO(text), path, check_duplicates=False,
                                                                    at_start=start == 0):
                if errors:
                    items.append((number, errors[0].client, [(e.message, e.client, e.path) for e in errors], None))
                else:
                    items.append(_evaluated(ruleset, client, as_of, render, number, client["id"]))
        except Exception as error:  # reading a line failed: raised in order, as one process would
            items.append((number + 1, None, None, None, error))
        return text.count(b"\n"), items
    return work


def _evaluated(ruleset, client: dict, as_of, render: Callable, line: int, client_id: str) -> tuple:
    """(line, client id, rendered), or (line, client id, None, None, the error) when evaluating or
    rendering failed: the first process raises it where one process would have, after the
    clients before it, unless the client is set aside for a repeated id first (then one process
    would never have evaluated it)."""
    try:
        result = ruleset.evaluate_prepared(client, as_of)
        return line, result.client, render(result)
    except OutsideCalendar as error:  # the client's dates leave the calendar: set aside
        return line, client_id, [(error.message, error.client, error.path)], None
    except Exception as error:  # a bug, or output that cannot be written: raised in order
        return line, client_id, None, None, error


# ---- CSV extracts ---------------------------------------------------------------------------------
def _batches(items: Iterator, size: int) -> Iterator[list]:
    while True:
        batch = list(itertools.islice(items, size))
        if not batch:
            return
        yield batch


def _batch_work(ruleset, extracts, as_of, render: Callable) -> Callable:
    def work(batch: list):
        """(0, [(line, client id, rendered) | (line, client id, problems, None), ...]): lines are
        numbered already, problems carry their own file and line."""
        items: list = []
        for raw in batch:
            try:
                client, origins, problems = extracts.assemble(raw)
                line = origins["$"][1]
                normalised, problems = ruleset.prepare_extract(client, origins, problems)
            except Exception as error:  # reading the client failed: raised in order, as one process would
                items.append((raw[0] if isinstance(raw[0], int) else 0, None, None, None, error))
                break
            client_id = client.get("id") if isinstance(client.get("id"), str) else None
            if problems:
                items.append((line, client_id, [(e.message, e.client, e.path, e.line_number, e.source)
                                                for e in problems], None))
            else:
                items.append(_evaluated(ruleset, normalised, as_of, render, line, normalised["id"]))
        return 0, items
    return work
