"""What the commands share: exit codes, reading data, writing output, reporting set-aside clients."""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from ..errors import RulesetError, RulesetNotFound, UsageError
from ..words import did_you_mean

# The engine's stages are imported where a command first needs them, not here: `pbr --help`, a
# misspelt option and `pbr cohort` then start without loading them all.


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


# measured (docs/performance.md): on 2 cores, 2 processes take 20,000 clients in 0.75 x the time
# of one and a million in 0.5 x; more processes than cores only add work
DEFAULT_JOBS = max(1, min(_cores(), 8))

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3


def print_error(error) -> None:
    """Positioned errors as `file:line:col: error: ...`; the others as `pbr: error: ...`."""
    print(str(error) if getattr(error, "span", None) else f"pbr: {error}", file=sys.stderr)


def say_files_read(ruleset) -> None:
    """Name on standard error each file of the ruleset and of its bases that is not a shipped one
    (those mean the shipped text, PBR410), so that every run says whose rules it applied."""
    from ..resources import shipped_rulesets_dir
    shipped = shipped_rulesets_dir().resolve()
    resolved = ruleset.checked.resolved
    while resolved is not None:
        path = Path(resolved.path).resolve()
        if not path.is_relative_to(shipped):
            print(f"pbr: {resolved.ref} is read from {path}", file=sys.stderr)
        resolved = resolved.base


def load_or_report(ref: str, folders: list):
    """The loaded ruleset, or None after printing its errors (an unknown ruleset is a usage error)."""
    from ..evaluate import load
    try:
        ruleset = load(ref, folders)
    except RulesetNotFound:
        raise
    except RulesetError as error:
        print_error(error)
        return None
    say_files_read(ruleset)
    return ruleset


def load_on(args, day, ref: str | None = None):
    """The ruleset RULESET (or ``ref``) means on the as-of date. Standard error says which version
    a bare name was taken to mean, and warns when a pinned version or a file is not in force then."""
    from ..evaluate import load
    ruleset = load(ref or args.ruleset, args.rulesets, as_of=day)
    if ruleset.selection.note:
        print(f"pbr: {ruleset.selection.note}", file=sys.stderr)
    if ruleset.selection.warning:
        print(f"pbr: warning: {ruleset.selection.warning}", file=sys.stderr)
    say_files_read(ruleset)
    return ruleset


def add_data_options(sub, as_of_help: str = "the evaluation date, YYYY-MM-DD") -> None:
    """--data and --as-of: the clients, and the day they are taken as of."""
    sub.add_argument("--data", required=True, metavar="PATH",
                     help="client records: JSON Lines ('-': stdin), or a folder of CSV extracts")
    sub.add_argument("--as-of", required=True, metavar="DATE", help=as_of_help)


def add_rejected_options(sub) -> None:
    """--errors and --strict: where clients set aside are reported, and whether that fails the run."""
    sub.add_argument("--errors", metavar="FILE",
                     help="write rejected records here as JSON Lines (default: described on standard error)")
    sub.add_argument("--strict", action="store_true", help="exit with 2 if any client was set aside")


def add_outcome_option(sub, verb: str) -> None:
    sub.add_argument("--outcome", action="append", metavar="ID",
                     help=f"{verb} only this outcome; repeat it, or separate ids with commas, for several")


def chosen_outcomes(values: list | None, ruleset) -> list[str]:
    """The outcomes named by --outcome, in the ruleset's order; every outcome without it."""
    known = ruleset.outcome_names
    if not values:
        return known
    asked = [name.strip() for value in values for name in value.split(",") if name.strip()]
    if not asked:
        raise UsageError("--outcome names no outcome", hint=f"give an outcome of {ruleset.ref}, like {known[0]}"
                         if known else f"{ruleset.ref} has no outcomes")
    for name in asked:
        if name in ruleset.measure_names:
            raise UsageError(f"`{name}` is a cohort measure of {ruleset.ref}, taken over every client, not an "
                             "outcome of one", hint=f"run `pbr measures {ruleset.ref} --measure {name}`; `pbr "
                             "explain` ends with the client's part in each measure")
        if name not in known:
            raise UsageError(f"{ruleset.ref} has no outcome `{name}`",
                             hint=did_you_mean(name, known) or f"its outcomes are {', '.join(known)}")
    return [name for name in known if name in asked]


@contextlib.contextmanager
def open_in(path: str):
    # bytes: the reader decodes line by line, so one bad line is set aside, not the whole file
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise UsageError(f"cannot read the data file {path}: {error.strerror}") from None
    with handle:
        yield handle


@contextlib.contextmanager
def open_out(path: str | None):
    """Where a command writes: standard output, or the file ``path``, written whole or not at all.

    A regular file is written under a temporary name beside it and renamed into place only when
    the command succeeds: after a failure, Ctrl-C or SIGTERM there is no truncated file that looks
    complete, and an earlier file of that name is left as it was. A device or pipe (`/dev/null`)
    is written directly. A file that cannot be written (no such folder, no permission, a full
    disk) is a usage error naming it, not a bug."""
    if path is None:
        yield sys.stdout
        return
    target = Path(path)
    if target.exists() and not target.is_file():
        try:
            with open(path, "w", encoding="utf-8", newline="") as handle:
                yield handle
        except OSError as error:
            _not_written(error, path, path)
        return
    try:
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=target.parent,
                                             prefix=f".{target.name}.", suffix=".part", delete=False)
    except OSError as error:
        _not_written(error, path, None)
    try:
        with handle:
            yield handle
        os.chmod(handle.name, 0o666 & ~_umask())  # as an ordinary new file would be
        os.replace(handle.name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        if isinstance(error, KeyboardInterrupt):
            print(f"pbr: interrupted: {path} was not written", file=sys.stderr)
        if isinstance(error, OSError):
            _not_written(error, path, handle.name)
        raise


# what writing a file can meet that is about the file, not a bug: no room, no permission
_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def _not_written(error: OSError, path: str, written: str | None) -> None:
    """Raise a usage error naming ``path`` for an error writing it; re-raise any other."""
    if error.errno in _WRITE_ERRORS or error.filename in (path, written) or written is None:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    raise error


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_data(stack: contextlib.ExitStack, ruleset, path: str, day):
    """ClientResults and Rejecteds for every client in a JSON Lines file or a CSV folder."""
    if Path(path).is_dir():
        return ruleset.evaluate_folder(path, day)
    data = stack.enter_context(open_in(path))
    return ruleset.evaluate_lines(data, day, source="<stdin>" if path == "-" else path)


def evaluated(stack: contextlib.ExitStack, ruleset, path: str, day, render, jobs: int = 1):
    """``jobs.Evaluated`` (the result as ``render`` makes it) and Rejecteds for every client, in
    input order: a JSON Lines file or a folder of extracts in ``jobs`` processes, stdin in this one."""
    from ..jobs import Evaluated
    from ..results import Rejected
    parallel = _in_parallel(ruleset, path, day, render, jobs)
    if parallel is not None:
        return parallel
    return (item if isinstance(item, Rejected) else Evaluated(None, item.client, render(item))
            for item in read_data(stack, ruleset, path, day))


def client_results(stack: contextlib.ExitStack, ruleset, path: str, day, jobs: int, keep):
    """ClientResults, as ``keep`` leaves them (what the command needs of each: it runs in the
    worker that evaluated the client), and Rejecteds, in input order; a JSON Lines file or a folder
    of extracts is read in ``jobs`` processes, stdin in this one."""
    from ..jobs import Evaluated
    parallel = _in_parallel(ruleset, path, day, keep, jobs)
    if parallel is not None:
        return (item.rendered if isinstance(item, Evaluated) else item for item in parallel)
    return read_data(stack, ruleset, path, day)


def _in_parallel(ruleset, path: str, day, render, jobs: int):
    """jobs.Evaluated and Rejecteds from ``jobs`` processes, or None where one process reads the data
    (one job asked for, or standard input)."""
    from ..jobs import evaluate_file, evaluate_folder
    if jobs <= 1 or path == "-":
        return None
    if Path(path).is_dir():
        return evaluate_folder(ruleset, path, day, jobs, render)
    if Path(path).is_file():
        with open_in(path):  # an unreadable file is the user's to fix, worded as one process words it
            pass
        return evaluate_file(ruleset, path, day, jobs, render)
    return None


def add_jobs_option(sub) -> None:
    sub.add_argument("--jobs", type=jobs_option, default=DEFAULT_JOBS, metavar="N",
                     help=f"read a JSON Lines file in N processes (default {DEFAULT_JOBS}, the cores this "
                          "machine gives the run, at most 8); the output is the same, in the same order")


def jobs_option(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"--jobs takes a number of processes, 1 or more, not {value!r}")
    return jobs


def set_aside(items, error_out, counts: dict):
    """The evaluated clients; each rejected one is reported (to --errors or standard error). While
    it runs, a line on standard error shows the progress when that is a terminal."""
    from ..results import Rejected
    progress = Progress(sys.stderr)
    for item in items:
        if isinstance(item, Rejected):
            counts["rejected"] += 1
            for error in item.errors:
                if error_out is not None:
                    error_out.write(_error_line(error.to_json()))
                else:
                    progress.clear()
                    print(f"rejected: {error}", file=sys.stderr)
        else:
            counts["evaluated"] += getattr(item, "clients", 1)
            yield item
        progress.update(counts)
    progress.clear()


def _error_line(data: dict) -> str:
    """A rejected record's problem as a JSON line; escaped to ASCII where the data holds half a
    character (a lone surrogate, which UTF-8 cannot carry), so the report itself never fails."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data)
    return text + "\n"


class Progress:
    """``pbr: 120,000 clients read, 3 set aside, 8,200 a second``, redrawn in place about twice a
    second from the first second of a run on: only when the stream is a terminal, so files, pipes
    and logs never get it."""

    EVERY = 0.5  # seconds between redraws

    def __init__(self, stream):
        self._stream = stream if _is_terminal(stream) else None
        self._start = time.monotonic()
        self._next = self._start + 1.0
        self._shown = False

    def update(self, counts: dict) -> None:
        if self._stream is None:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.EVERY
        read = counts["evaluated"] + counts["rejected"]
        self._stream.write(f"\rpbr: {read:,} clients read, {counts['rejected']:,} set aside, "
                           f"{read / (now - self._start):,.0f} a second\x1b[K")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def summary(args, counts: dict, done: str) -> int:
    rejected = counts["rejected"]
    where = f" (see {args.errors})" if args.errors and rejected else ""
    read = counts["evaluated"] + rejected
    print(f"pbr: {read} client{'s' if read != 1 else ''} read: {counts['evaluated']} {done}, {rejected} set aside"
          f"{where}", file=sys.stderr)
    return EXIT_USAGE if (args.strict and rejected) else EXIT_OK


def not_the_input(args) -> None:
    """Writing over the data being read would destroy it: --out and --errors may not be the data
    file (however spelt, hard links included), a file inside the data folder, or each other; nor
    may standard output be the data file (`> clients.jsonl`: the shell has emptied it already)."""
    data = None if args.data == "-" else Path(args.data)
    targets = [(name, getattr(args, name, None)) for name in ("out", "errors")]
    targets = [(name, target) for name, target in targets if target]
    for name, target in targets:
        if data is not None and _same_or_inside(Path(target), data):
            what = "a file in the data folder being read" if data.is_dir() else "the data file being read"
            raise UsageError(f"--{name} {target} is {what}: writing there would destroy it",
                             hint=f"give --{name} a file outside {args.data}")
    if len(targets) == 2 and _same_or_inside(Path(targets[0][1]), Path(targets[1][1])):
        raise UsageError(f"--out and --errors are the same file, {targets[0][1]}: the two would be mixed",
                         hint="give --errors another file")
    if data is not None and data.is_file() and not getattr(args, "out", None) and _is_stdout(data):
        raise UsageError(f"standard output is {args.data}, the data file being read (emptied by the shell "
                         "before pbr started)", hint="write the results with --out to another file")


def _same_or_inside(target: Path, data: Path) -> bool:
    if target.resolve() == data.resolve() or target.resolve().is_relative_to(data.resolve()) and data.is_dir():
        return True
    try:
        return target.exists() and data.exists() and os.path.samefile(target, data)
    except OSError:
        return False


def _is_stdout(data: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(data))
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False
