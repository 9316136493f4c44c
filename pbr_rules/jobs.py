"""Evaluating a JSON Lines file in several processes (``--jobs N``), with the one-process output.

The file is cut into chunks of about ``CHUNK_BYTES`` at line ends. Worker processes, forked
after the ruleset is loaded (so it is checked and compiled once), each read their chunks' bytes
from the file, read and evaluate every client and render its result (a JSON line, CSV rows, ...).
The first process takes the chunks back in file order, so the output is in input order, and does
the one thing that needs every line before: the check that a client id is not used twice, with
the same words and line numbers as a one-process run. A client set aside in a worker is sent back
as its problems' words, numbered within its chunk, and renumbered here.

Output is byte-identical to one process (tests/test_jobs.py). Where processes cannot be forked
(a platform without fork), or there is one chunk only, the chunks are read in this process.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from typing import Callable, Iterator, Optional

import attrs

from .data import SeenIds
from .errors import DataError
from .results import Rejected

CHUNK_BYTES = 2 << 20  # big enough that a chunk's overhead is lost in its work, small enough to spread


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
    job = (ruleset, path, as_of, render)
    if jobs <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _in_order(map(_work_on(job), chunks), path)
    return _in_parallel(job, chunks, jobs, path)


def _in_parallel(job, chunks: list, jobs: int, path: str) -> Iterator:
    global _JOB
    _JOB = job  # what the forked workers inherit (a closure could not be sent to them)
    pool = multiprocessing.get_context("fork").Pool(min(jobs, len(chunks)))
    try:
        yield from _in_order(pool.imap(_work, chunks), path)
    finally:
        pool.terminate()
        _JOB = None


def _in_order(chunk_results, source: str) -> Iterator:
    """The items of each chunk, renumbered from the start of the file; a repeated id set aside."""
    seen = SeenIds()
    before = 0  # lines in the chunks already given
    for lines, items in chunk_results:
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
            else:  # (line, client id, [(message, client, path), ...], None): set aside in the worker
                rejected = Rejected(number, item[1], tuple(
                    DataError(message, client=who, path=where, line_number=number, source=source)
                    for message, who, where in item[2]))
            if run:
                yield Evaluated(None, None, b"".join(run), len(run))
                run = []
            yield rejected
        if run:
            yield Evaluated(None, None, b"".join(run), len(run))
        before += lines


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


_JOB = None


def _work(chunk: tuple[int, int]):
    return _work_on(_JOB)(chunk)


def _work_on(job):
    ruleset, path, as_of, render = job

    def work(chunk: tuple[int, int]):
        """(lines in the chunk, [(line, client id, rendered) | (line, client id, problems, None), ...])"""
        start, end = chunk
        with open(path, "rb") as data:
            data.seek(start)
            text = data.read(end - start)
        items: list = []
        for number, client, errors in ruleset.reader.read_jsonl(io.BytesIO(text), path, check_duplicates=False):
            if errors:
                items.append((number, errors[0].client, [(e.message, e.client, e.path) for e in errors], None))
            else:
                result = ruleset.evaluate_prepared(client, as_of)
                items.append((number, result.client, render(result)))
        return text.count(b"\n"), items
    return work
