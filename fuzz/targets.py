"""Fuzz targets for pbr_rules: Hypothesis strategies, the invariant each case must keep, and a
runner that counts cases tried and failures (docs/fuzzing.md).

Five targets, each a strategy of cases and a ``check(case)`` that raises on a broken invariant:

- ``grammar``    ruleset text generated from ``grammars/pbr.lark`` (``hypothesis.extra.lark``)
- ``plausible``  rulesets that extend national 1.0.0 with generated parameters, definitions,
                 outcomes, overrides, payments, measures and examples over the national schema
- ``mutated``    the shipped rulesets and tests/golden/*.pbr, mutated as text and as bytes
- ``jsonl``      national clients as JSON Lines, mutated as records, lines and bytes
- ``csv``        national clients as a folder of CSV extracts, mutated as cells, rows, headers,
                 files and bytes

Rulesets: ``pbr_rules.load`` returns a ruleset or raises a ``RulesetError`` with a code and a
place, within a time limit; a ruleset that loads evaluates a fixed cohort (and pays it, measures
it, runs its examples) with no exception but clients set aside. Records: no exception, every
client evaluated or set aside, the same bytes twice, and (on some cases) the same bytes from
``--jobs 1`` and ``--jobs 2``.

``run_target`` drives a target with ``@given`` and, unlike a plain Hypothesis test, keeps going
after a failure: every failure is counted and filed under a key (exception type, first line of its
message, where in pbr_rules it was raised), so that ``fuzz/run.py`` can report distinct failures
and save a minimised reproducer of each. ``tests/test_fuzz.py`` runs each target briefly with
failures raised.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python fuzz/run.py` from a checkout
    sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings, strategies as st  # noqa: E402

import pbr_rules  # noqa: E402
from pbr_rules import DataError, PbrError, RulesetError, UsageError  # noqa: E402

AS_OF = "2013-06-30"
PACKAGE = Path(pbr_rules.__file__).resolve().parent
SHIPPED = ROOT / "rulesets"
GOLDEN = ROOT / "tests" / "golden"
GRAMMAR = ROOT / "grammars" / "pbr.lark"

# per-case time limits (seconds); a case that takes longer is a failure ("Timeout")
LIMITS = {"load": float(os.environ.get("PBR_FUZZ_LOAD_SECONDS", "5")),
          "evaluate": float(os.environ.get("PBR_FUZZ_EVALUATE_SECONDS", "10")),
          "records": float(os.environ.get("PBR_FUZZ_RECORDS_SECONDS", "20"))}
# the most memory (address space, MB) the fuzzing process may take while a target runs: a case that
# wants more raises MemoryError, a failure, instead of the machine's out-of-memory killer ending the run
MEMORY_MB = int(os.environ.get("PBR_FUZZ_MEMORY_MB", "4096"))
JOBS_EVERY = 4  # records: compare --jobs 1 with --jobs 2 on one case in this many
OUTCOMES = collections.Counter()  # how far cases got: "loaded", "refused" (a RulesetError), "jobs compared", ...
CODES = collections.Counter()  # the codes of the RulesetErrors met (every one of a RulesetErrors)


# =================================================================================================
# Failures: what broke, filed under a key, with the case that broke it
# =================================================================================================
class CaseTimeout(BaseException):
    """A case ran past its time limit (a BaseException, so that no `except Exception` in the engine
    turns it into something else)."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str):
    """Raise CaseTimeout in this thread after ``seconds`` (SIGALRM; not in other threads)."""
    if (not seconds or threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "setitimer")):
        yield
        return

    def expired(signum, frame):
        raise CaseTimeout(f"{what} took more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    # then again every half second: an exception raised where Python ignores it (a garbage
    # collector callback, a __del__) would otherwise lose the time limit for good
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def memory_limit(megabytes: int):
    """Lower this process's soft address-space limit for a while (raised back after)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = megabytes * 2**20
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: run without
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class Failure(AssertionError):
    """A broken invariant. ``key`` (kind, message, location) files it among distinct failures."""

    def __init__(self, kind: str, message: str, location: str = "", detail: str = ""):
        self.key = (kind, _normalised(message), location)  # from the whole message, before it is cut short
        message = message if len(message) <= 300 else f"{message[:300]}... ({len(message)} characters)"
        super().__init__(f"{kind}: {message}" + (f" (at {location})" if location else ""))
        self.kind, self.message, self.location, self.detail = kind, message, location, detail


def _tail(detail: str, lines: int = 25) -> str:
    """The last lines of a traceback (a deep recursion's runs to thousands)."""
    shown = detail.splitlines()
    return "\n".join((["..."] if len(shown) > lines else []) + shown[-lines:])


def _normalised(message: str) -> str:
    """A message's first line with what varies from case to case (numbers, quoted names) taken out."""
    line = (message.strip().splitlines() or [""])[0]
    line = re.sub(r"`[^`]*(`|$)|'[^']*('|$)|\"[^\"]*(\"|$)", "…", line)
    line = re.sub(r"[0-9]+", "N", line)
    return line[:140]


def _place(tb, with_line: bool = True) -> str:
    """The innermost frame of a traceback in pbr_rules (or in a ruleset's generated code)."""
    place = ""
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        try:
            inside = Path(filename).resolve().is_relative_to(PACKAGE)
        except (OSError, ValueError):
            inside = False
        if inside:
            rel = Path(filename).resolve().relative_to(PACKAGE.parent)
            place = f"{rel}:{lineno} {frame.f_code.co_name}" if with_line else f"{rel} {frame.f_code.co_name}"
        elif filename.startswith("<") and "pbr" in filename.lower():
            place = f"generated code {frame.f_code.co_name}"
    return place


def as_failure(error: BaseException, stage: str = "") -> Failure:
    """The Failure an exception means: itself, a timeout, or an unexpected exception (an
    InternalError is filed under the exception it wraps)."""
    if isinstance(error, Failure):
        return error
    detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if isinstance(error, CaseTimeout):
        return Failure("Timeout", f"{error}", _place(error.__traceback__, with_line=False), detail)
    root = error
    while isinstance(root, pbr_rules.InternalError) and root.__cause__ is not None:
        root = root.__cause__
    message = root.message if isinstance(root, PbrError) else str(root)
    where = _place(root.__traceback__) or _place(error.__traceback__)
    kind = type(root).__name__ + (f" in {stage}" if stage else "")
    return Failure(kind, message or type(root).__name__, where, detail)


@dataclass
class Found:
    """One distinct failure: how often it was met, and the first case that met it."""

    failure: Failure
    case: object
    count: int = 0


@dataclass
class Stats:
    target: str
    tried: int = 0
    failing: int = 0
    distinct: dict = field(default_factory=dict)  # key -> Found
    seconds: float = 0.0
    outcomes: collections.Counter = field(default_factory=collections.Counter)  # how far the cases got
    fuzzer_errors: int = 0  # batches stopped by an error in a strategy (a bug in the fuzzer)

    def record(self, failure: Failure, case) -> None:
        # the traceback is kept as text (failure.detail): let go of the frames, and all they hold
        failure.__traceback__ = failure.__context__ = failure.__cause__ = None
        self.failing += 1
        found = self.distinct.setdefault(failure.key, Found(failure, case))
        found.count += 1


# =================================================================================================
# Targets and the runner
# =================================================================================================
@dataclass
class Target:
    name: str
    about: str
    strategy: Callable[[], st.SearchStrategy]   # built on first use
    check: Callable[[object], None]             # raises Failure (or anything) on a broken invariant
    shrink: Callable[[object, Callable], object]  # (case, still fails) -> a smaller case


def run_target(target: Target, examples: int, seconds: Optional[float] = None, raise_failures: bool = False,
               stats: Optional[Stats] = None, batch: int = 100, on_case: Callable | None = None) -> Stats:
    """Try up to ``examples`` cases (and for at most ``seconds``), counting cases and failures.

    Each batch is a fresh ``@given`` run (generation only: no database, no shrinking). With
    ``raise_failures`` the first failure is raised (for pytest); otherwise every failure is filed
    in ``stats`` and generation goes on."""
    stats = stats or Stats(target.name)
    start = time.monotonic()
    before_outcomes = collections.Counter(OUTCOMES)
    stop_at = start + seconds if seconds else None
    strategy = target.strategy()

    def over() -> bool:
        return stats.tried >= examples or (stop_at is not None and time.monotonic() >= stop_at)

    while not over():
        size = min(batch, examples - stats.tried)

        @settings(max_examples=size, database=None, phases=[Phase.generate], deadline=None,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(strategy)
        def body(case):
            if over():
                return
            stats.tried += 1
            try:
                target.check(case)
            except (Exception, CaseTimeout) as error:
                failure = as_failure(error)
                stats.record(failure, case)
                if raise_failures:
                    raise AssertionError(f"fuzz target {target.name}: {failure}\n{describe(case)[:3000]}\n\n"
                                         f"{_tail(failure.detail)}") from None
            if on_case is not None:
                on_case(stats)

        before = stats.tried
        try:
            with memory_limit(MEMORY_MB):
                body()
        except Exception as error:
            if raise_failures:
                raise
            # a bug in the fuzzer itself (a strategy that fails): said, not counted, and the run goes on
            stats.fuzzer_errors += 1
            print(f"fuzz target {target.name}: the fuzzer failed (not pbr_rules): "
                  f"{type(error).__name__}: {error}", file=sys.stderr)
            if stats.fuzzer_errors >= 5:
                break
        if stats.tried == before:  # the strategy gave nothing more (should not happen)
            break
    stats.seconds += time.monotonic() - start
    stats.outcomes.update(OUTCOMES - before_outcomes)
    return stats


def still_fails(target: Target, key: tuple) -> Callable[[object], bool]:
    """A test for shrinking: does the case still fail, with the same key?"""
    def test(case) -> bool:
        try:
            with memory_limit(MEMORY_MB):
                target.check(case)
        except (Exception, CaseTimeout) as error:
            return as_failure(error).key == key
        return False
    return test


def minimise(target: Target, found: Found, seconds: float = 60.0):
    """The smallest case found within ``seconds`` that fails the same way as ``found.case``."""
    deadline = time.monotonic() + seconds
    test = still_fails(target, found.failure.key)

    def bounded(case) -> bool:
        if time.monotonic() > deadline:
            return False
        return test(case)
    with memory_limit(MEMORY_MB):
        return target.shrink(found.case, bounded)


def ddmin(items: list, test: Callable[[list], bool], granularity: int = 2) -> list:
    """Delta debugging: a smaller list for which ``test`` still holds (``test(items)`` must)."""
    n = granularity
    while len(items) >= 2:
        size = max(len(items) // n, 1)
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        reduced = False
        for i in range(len(chunks)):
            complement = [x for j, chunk in enumerate(chunks) if j != i for x in chunk]
            if complement and test(complement):
                items, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(n * 2, len(items))
    if len(items) == 1 and test([]):
        return []
    return items


# =================================================================================================
# Cases and how they are written, read back and described
# =================================================================================================
@dataclass
class RulesetCase:
    """A ruleset file's bytes, written as ``NAME/VERSION.pbr`` (with ``examples/`` copied from the
    shipped ruleset ``examples_from`` when given)."""

    text: bytes
    name: str = "fz"
    version: str = "1.0.0"
    examples_from: Optional[str] = None
    origin: str = ""

    def __repr__(self) -> str:
        return f"RulesetCase({self.origin or self.name!r}, {_short(self.text)})"

    def _repr_pretty_(self, printer, cycle) -> None:  # how Hypothesis shows a falsifying case: short
        printer.text(repr(self))


@dataclass
class RecordsCase:
    """Client records: ``files`` maps a name to its bytes: ``data.jsonl`` for JSON Lines, else the
    files of a folder of CSV extracts (a value None: the file is absent). ``clients``: how many
    clients are certainly there (clients.csv left as written), for the count check; ``jobs``: compare
    --jobs 1 and 2 on this case."""

    kind: str  # "jsonl" or "csv"
    files: dict
    clients: Optional[int] = None
    jobs: bool = False
    origin: str = ""

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}: {_short(data) if data is not None else 'absent'}" for name, data in self.files.items())
        return f"RecordsCase({self.kind}, {self.origin!r}, {shown}, jobs={self.jobs})"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))


def _short(data: bytes, limit: int = 600) -> str:
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def describe(case) -> str:
    if isinstance(case, RulesetCase):
        text = case.text.decode("utf-8", errors="backslashreplace")
        return f"ruleset {case.name}/{case.version}.pbr ({case.origin}):\n{text[:4000]}"
    if isinstance(case, RecordsCase):
        return "\n".join(f"--- {name} ---\n{(data or b'').decode('utf-8', errors='backslashreplace')[:2000]}"
                         for name, data in case.files.items())
    return repr(case)


def save_case(case, folder: Path, failure: Failure | None = None, target: str = "") -> Path:
    """Write a case to ``folder`` so that ``replay`` (and ``fuzz/run.py --replay``) can run it again."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"target": target}
    if isinstance(case, RulesetCase):
        path = folder / case.name / f"{case.version}.pbr"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.text)
        meta.update(kind="ruleset", name=case.name, version=case.version, examples_from=case.examples_from,
                    origin=case.origin)
    else:
        data = folder / "data"
        data.mkdir(exist_ok=True)
        for name, content in case.files.items():
            if content is not None:
                (data / name).write_bytes(content)
        meta.update(kind=case.kind, files=list(case.files), absent=[n for n, c in case.files.items() if c is None],
                    clients=case.clients, jobs=case.jobs, origin=case.origin)
    if failure is not None:
        meta["failure"] = {"kind": failure.kind, "message": failure.message, "location": failure.location}
        (folder / "traceback.txt").write_text(failure.detail or str(failure), encoding="utf-8")
    (folder / "case.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def load_case(folder: Path):
    meta = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    if meta["kind"] == "ruleset":
        text = (folder / meta["name"] / f"{meta['version']}.pbr").read_bytes()
        return meta, RulesetCase(text, meta["name"], meta["version"], meta.get("examples_from"), meta.get("origin", ""))
    files = {}
    for name in meta["files"]:
        files[name] = None if name in meta.get("absent", []) else (folder / "data" / name).read_bytes()
    return meta, RecordsCase(meta["kind"], files, meta.get("clients"), meta.get("jobs", False), meta.get("origin", ""))


def replay(folder: Path) -> None:
    """Run a saved case through its target's check: raises if it still fails."""
    meta, case = load_case(Path(folder))
    with memory_limit(MEMORY_MB):
        TARGETS[meta["target"]].check(case)


# =================================================================================================
# Rulesets: the invariant
# =================================================================================================
_COHORT_LINES: list = []


def cohort_lines() -> list:
    """The fixed cohort every ruleset that loads is run over: 30 national clients, seed 1."""
    if not _COHORT_LINES:
        from pbr_rules.cohort import generate
        _COHORT_LINES.extend(json.dumps(client) for client in generate(30, 1))
    return _COHORT_LINES


def check_ruleset(case: RulesetCase) -> None:
    """Load the ruleset: a ruleset, or a RulesetError with a code and a place; then evaluate it."""
    with tempfile.TemporaryDirectory(prefix="pbr-fuzz-") as scratch:
        folder = Path(scratch) / case.name
        folder.mkdir()
        path = folder / f"{case.version}.pbr"
        path.write_bytes(case.text)
        if case.examples_from and (SHIPPED / case.examples_from / "examples").is_dir():
            shutil.copytree(SHIPPED / case.examples_from / "examples", folder / "examples")
        try:
            ruleset = _load(path)
            if ruleset is not None:
                OUTCOMES["loaded"] += 1
                _evaluate(ruleset)
        finally:
            _forget_parsed_files()


def _forget_parsed_files() -> None:
    """Empty the engine's caches of parsed files (keyed by content, up to 32 of them, however big):
    a fuzzing process loads thousands of different files, some huge, and would otherwise run out
    of memory on what earlier cases left there rather than on the case at hand."""
    from pbr_rules import parse, resolve
    for cached in (getattr(resolve, "_parse_content", None), getattr(parse, "_placeholder_tree", None)):
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


def _load(path: Path):
    try:
        with time_limit(LIMITS["load"], "loading the ruleset"):
            return pbr_rules.load(path)
    except RulesetError as error:
        OUTCOMES["refused"] += 1
        CODES.update(f"{e.code.number} {e.code.slug}" for e in getattr(error, "errors", None) or [error] if e.code)
        _check_ruleset_error(error)
        return None
    except (Exception, CaseTimeout) as error:
        raise as_failure(error, "load") from None


def _check_ruleset_error(error: RulesetError) -> None:
    errors = getattr(error, "errors", None) or [error]
    for one in errors:
        if one.code is None:
            raise Failure("RulesetError without a code", one.message)
        span = one.span
        if span is None or not (span.line >= 1 and span.column >= 1):
            raise Failure("RulesetError without a place", f"[{one.code.number}] {one.message}",
                          f"span {span!r}")
    try:
        str(error)
    except Exception as failed:  # the message itself must render
        raise as_failure(failed, "rendering a RulesetError") from None


def _evaluate(ruleset) -> None:
    from pbr_rules.examples import run_examples
    from pbr_rules.results import Rejected
    lines = cohort_lines()
    try:
        with time_limit(LIMITS["evaluate"], "evaluating the cohort"):
            items = list(ruleset.evaluate_lines(lines, AS_OF, source="cohort.jsonl"))
            for item in items:
                if isinstance(item, Rejected):
                    if not item.errors:
                        raise Failure("Rejected without a problem", f"client {item.client}")
                    for problem in item.errors:
                        str(problem)
                else:
                    item.to_json_line()
            if len(items) != len(lines):
                raise Failure("clients lost", f"{len(lines)} clients in, {len(items)} results or set aside")
            if ruleset.payer is not None:
                list(ruleset.pay_results(items, AS_OF).to_json_lines())
            if ruleset.measure_names:
                list(ruleset.measure_results(items, AS_OF).to_json_lines())
        with time_limit(LIMITS["evaluate"], "running the examples"):
            try:
                run_examples(ruleset)
            except PbrError as error:
                if isinstance(error, pbr_rules.InternalError):
                    raise
    except Failure:
        raise
    except (Exception, CaseTimeout) as error:
        raise as_failure(error, "evaluate") from None


def shrink_ruleset(case: RulesetCase, test: Callable[[RulesetCase], bool]) -> RulesetCase:
    """Fewer lines, then fewer tokens in each line; the header line is kept."""
    def with_lines(lines: list) -> RulesetCase:
        return RulesetCase(b"".join(lines), case.name, case.version, case.examples_from, case.origin)

    lines = case.text.splitlines(keepends=True)
    head, body = lines[:1], lines[1:]
    body = ddmin(body, lambda kept: test(with_lines(head + kept)))
    best = with_lines(head + body)
    # then within each line: drop runs of tokens
    for index in range(len(body)):
        tokens = re.findall(rb"\s+|\"(?:[^\"\\]|\\.)*\"|[^\s\"]+|\"", body[index])
        if len(tokens) < 2:
            continue

        def line_test(kept, index=index):
            trial = list(body)
            trial[index] = b"".join(kept) + (b"\n" if not b"".join(kept).endswith(b"\n") else b"")
            return test(with_lines(head + trial))
        kept = ddmin(tokens, line_test)
        body[index] = b"".join(kept) + (b"\n" if not b"".join(kept).endswith(b"\n") else b"")
        best = with_lines(head + body)
    # and a single long token (a string of placeholders, a long name): halve it while it fails
    for index in range(len(body)):
        while len(body[index]) > 200:
            half = body[index][: len(body[index]) // 2]
            trial = list(body)
            trial[index] = half + b"\n"
            if not test(with_lines(head + trial)):
                break
            body = trial
        best = with_lines(head + body)
    return best


# =================================================================================================
# Rulesets 1: from the grammar
# =================================================================================================
NATIONAL_WORDS = ["client", "e", "r", "w", "episode", "episodes", "top_reviews", "presentations", "offences",
                  "hep_b_doses", "start", "end", "date", "id", "stage", "review", "days_used", "opiates",
                  "national", "wigan", "drugs", "health", "offending", "abstinence", "planned_exit",
                  "sustained_recovery", "successful_discharge", "representation_window", "substance",
                  "presenting_substances", "discharge_reason", "completed_drug_free", "provider", "text",
                  "x", "y", "fz", "golden", "per", "outcome", "count", "low", "medium", "high", "complexity"]
KEYWORDS = {"ruleset", "version", "extends", "outcome", "define", "parameter", "and", "or", "not", "in", "is",
            "when", "at", "because", "otherwise", "pending", "achieved", "let", "window", "some", "no", "every",
            "each", "earliest", "latest", "where", "satisfies", "within", "true", "false", "from", "for", "until",
            "as", "of"}
SEPARATORS = st.sampled_from([" ", " ", " ", " ", "\n", "\n  ", "\t", " # a comment\n"])


def _name_text() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(NATIONAL_WORDS),
                     st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
                     st.sampled_from(["a" * 300, "_", "x" * 5000]))


def _string_text() -> st.SearchStrategy:
    inner = st.one_of(
        st.sampled_from(["", "a text", "Episode {e.id} ended on {e.end}.", "{w}", "{client.id}", "{", "}",
                         "{}", "{{x}}", "{1 +}", "\\\"quoted\\\"", "\\n", "\\q", "\\x41", "é ünïcode ✓",
                         "{e.end + 12 months}", "{no_such_name}", "line\nbreak", "\\\\"]),
        st.text(st.characters(codec="utf-8", exclude_characters='"\\'), max_size=20),
    )
    return inner.map(lambda text: f'"{text}"')


def _date_text() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(["2012-04-01", "2013-06-30", "2013-02-30", "2012-02-29", "9999-12-31",
                                      "0001-01-01", "0000-00-00", "2013-13-01"]),
                     st.dates().map(lambda d: d.isoformat()).filter(lambda t: len(t) == 10))


def _number_text() -> st.SearchStrategy:
    return st.one_of(st.sampled_from(["0", "1", "2", "3", "12", "28", "100", "1.5", "0.5", "00", "99999999999999999999",
                                      "9" * 400, "150"]),
                     st.integers(0, 10**6).map(str))


TERMINAL_TEXT = {
    "NAME": _name_text,
    "STRING": _string_text,
    "DATE": _date_text,
    "NUMBER": _number_text,
    "SIGNED_NUMBER": lambda: st.one_of(_number_text(), st.sampled_from(["-1", "-0", "1e3", "1E400", "-2.5e-3"])),
    "VERSION": lambda: st.sampled_from(["1.0.0", "1.0.0", "1.1.0", "2.0.0", "0.0.1", "10.20.30", "1.0.00"]),
    "MONEY": lambda: st.sampled_from(["£0", "£1", "£100", "£1,000.50", "£1,00", "£99999999999999", "£0.001",
                                      "£1,000,000.00"]),
    "BOUND": lambda: st.sampled_from(["at most", "at least", "at  most"]),
}


def grammar_rulesets() -> st.SearchStrategy:
    """Ruleset texts from grammars/pbr.lark: every terminal is followed by white space (Lark's
    ``%ignore WS`` would otherwise let ``from_lark`` glue keywords to names), and the terminals
    whose regular expressions say little (names, strings, dates, numbers) come from lists that
    mean something in the national schema, plus random ones."""
    from hypothesis.extra.lark import from_lark
    from lark import Lark
    from lark.lexer import PatternStr

    grammar = Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual", start="start",
                   maybe_placeholders=True)
    terminals, _, _ = grammar.grammar.compile(["start"], ())
    explicit = {}
    for terminal in terminals:
        if terminal.name == "WS":
            explicit["WS"] = st.sampled_from([" ", "\n", "\t", "\r\n"])
        elif terminal.name == "COMMENT":
            explicit["COMMENT"] = st.sampled_from(["# a comment\n", "#\n", "# é\n"])
        else:
            if terminal.name in TERMINAL_TEXT:
                base = TERMINAL_TEXT[terminal.name]()
            elif isinstance(terminal.pattern, PatternStr):
                base = st.just(terminal.pattern.value)
            else:
                base = st.from_regex(terminal.pattern.to_regexp(), fullmatch=True)
            explicit[terminal.name] = st.tuples(base, SEPARATORS).map("".join)
    texts = from_lark(grammar, start="start", explicit=explicit)
    # half the texts extend national 1.0.0 (a header item the grammar allows), so that their names
    # can be national's and more of them get past the checker's first questions
    return st.tuples(texts, st.booleans()).map(lambda pair: _as_ruleset_case(_extending(*pair)))


def _extending(text: str, extend: bool) -> str:
    match = _HEADER.match(text)
    if not extend or match is None:
        return text
    return text[: match.end()] + "\nextends national 1.0.0\n" + text[match.end():]


_GAP = r"(?:\s|#[^\n]*)+"  # white space and comments
_HEADER = re.compile(rf"\A{_GAP[:-1]}*ruleset{_GAP}([A-Za-z_][A-Za-z0-9_]*){_GAP}version{_GAP}([0-9]+\.[0-9]+\.[0-9]+)")


def _as_ruleset_case(text: str, origin: str = "grammar") -> RulesetCase:
    """The file is placed where its header says (NAME/VERSION.pbr), as a user's would be; a header
    too long for a file name, or none, goes to fz/1.0.0.pbr."""
    match = _HEADER.match(text)
    name, version = (match.group(1), match.group(2)) if match else ("fz", "1.0.0")
    if len(name) > 100 or len(version) > 30:
        name, version = "fz", "1.0.0"
    return RulesetCase(text.encode("utf-8", errors="surrogatepass"), name, version, None, origin)


# =================================================================================================
# Rulesets 2: plausible ones, extending national 1.0.0
# =================================================================================================
ENUMS = {
    "substance": ["opiates", "crack", "cocaine", "amphetamines", "cannabis", "alcohol", "other"],
    "discharge_reason": ["completed_drug_free", "completed_alcohol_free", "completed_occasional_user",
                         "transferred_not_in_custody", "transferred_in_custody", "dropped_out",
                         "withdrawn_by_provider", "retained_in_custody", "declined", "died", "other"],
    "setting": ["treatment", "criminal_justice"],
    "top_stage": ["start", "review", "exit", "post_treatment_exit"],
    "complexity_group": ["low", "medium", "high"],
    "modality": ["prescribing", "psychosocial", "detoxification", "residential", "recovery_support", "other"],
}
RECORDS = {
    "client": {"id": "text", "date_of_birth": "date", "sex": "text", "provider": "text",
               "complexity": "enum:complexity_group", "presenting_substances": "set:substance",
               "episodes": "list:episode", "top_reviews": "list:top_review", "presentations": "list:presentation",
               "offences": "list:offence", "hep_b_doses": "list:hep_b_dose"},
    "episode": {"id": "text", "start": "date", "end": "date", "discharge_reason": "enum:discharge_reason",
                "provider": "text", "modality": "enum:modality"},
    "top_review": {"date": "date", "stage": "enum:top_stage", "days_used": "map:substance",
                   "injecting_days": "number", "quality_of_life": "number", "psychological_health": "number",
                   "physical_health": "number", "acute_housing_problem": "bool", "at_risk_of_eviction": "bool",
                   "paid_work_days": "number", "education_days": "number"},
    "presentation": {"date": "date", "setting": "enum:setting"},
    "offence": {"date": "date", "offence_type": "text"},
    "hep_b_dose": {"date": "date"},
}
LISTS = {"episodes": "episode", "top_reviews": "top_review", "presentations": "presentation",
         "offences": "offence", "hep_b_doses": "hep_b_dose"}
NATIONAL_PARAMETERS = {"representation_window": "duration", "review_pair_window": "duration",
                       "quality_of_life_norm": "number", "reliable_change": "map:substance",
                       "hep_b_course_window": "duration", "offending_interim_period": "duration",
                       "offending_final_period": "duration", "max_clock_resets": "number", "offence_lag": "duration"}
NATIONAL_DEFINITIONS = {  # name -> (input types, result type)
    "successful_completion_reasons": ((), "set:discharge_reason"),
    "successful_discharge": (("episode",), "bool"),
    "top_of": (("top_review", "episode"), "bool"),
    "review_of": (("top_review", "episode"), "bool"),
    "start_top": (("episode",), "rec:top_review"),
    "abstinent": (("top_review",), "bool"),
    "reliably_improved": (("top_review", "top_review"), "bool"),
    "not_injecting": (("top_review",), "bool"),
    "housed": (("top_review",), "bool"),
    "good_quality_of_life": (("top_review",), "bool"),
}
NATIONAL_OUTCOMES = {"abstinence": "episode", "reliable_improvement": "episode", "planned_exit": "episode",
                     "sustained_recovery": "episode", "ceased_injecting": "episode", "housing": "episode",
                     "quality_of_life": "episode", "hep_b_course": None, "no_offending_6m": "episode",
                     "no_offending_12m": "episode"}
DOMAINS = ["drugs", "health", "offending", "employment"]
VALUE_TYPES = ["bool", "number", "date", "duration", "text", "rec:episode", "rec:top_review", "list:episode",
               "list:top_review", "enum:substance", "set:substance", "enum:discharge_reason", "map:substance"]
DURATION_UNITS = ["days", "day", "weeks", "months", "month", "years", "year"]


class _Writer:
    """Writes a plausible ruleset with ``draw``: expressions are generated by type over the national
    schema and what the ruleset itself declares, with a few wrong on purpose."""

    def __init__(self, draw):
        self.draw = draw
        self.random = draw(st.randoms(use_true_random=True))  # for chances: uniform, unlike integers
        self.fresh = 0
        self.definitions = dict(NATIONAL_DEFINITIONS)
        self.parameters = dict(NATIONAL_PARAMETERS)
        self.dated_parameters: dict = {}
        self.outcomes = dict(NATIONAL_OUTCOMES)
        self.measures: list = []
        self.names: set = set()

    # ---- drawing helpers ------------------------------------------------------------------------
    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def chance(self, percent: float) -> bool:
        return self.random.random() * 100 < percent

    def number(self, low: int = 0, high: int = 30) -> int:
        return self.draw(st.integers(low, high))

    def new_name(self, stem: str) -> str:
        if self.names and self.chance(3):  # now and then a name used already: a duplicate
            return self.pick(sorted(self.names))
        self.fresh += 1
        name = f"{stem}{self.fresh}"
        self.names.add(name)
        return name

    def var(self, stem: str) -> str:
        self.fresh += 1
        return f"{stem}{self.fresh}"

    # ---- literals -------------------------------------------------------------------------------
    def date_literal(self) -> str:
        if self.chance(0.5):
            return self.pick(["2013-02-30", "9999-12-31", "0001-01-01", "2012-02-29", "2013-02-29"])
        return f"{self.number(2011, 2015)}-{self.number(1, 12):02d}-{self.number(1, 28):02d}"

    def duration_literal(self) -> str:
        if self.chance(5):
            return self.pick(["0 months", "1000 years", "1.5 months", "99999 days", "100 years"])
        return f"{self.number(1, 24)} {self.pick(DURATION_UNITS)}"

    def text_literal(self, scope: dict | None = None) -> str:
        words = self.pick(["done", "Episode {e.id} ended.", "P1", "", "{client.id}", "é", "a \\\"quote\\\""])
        if scope is not None and "e" not in scope:
            words = words.replace("{e.id}", "{client.id}")
        return f'"{words}"'

    def reason(self, scope: dict) -> str:
        parts = []
        for _ in range(self.number(0, 3)):
            parts.append("{" + self.placeholder(scope) + "}")
        words = self.pick(["Decided", "The client", "Per rule", "É"]) + " " + " ".join(parts) + "."
        if self.chance(3):
            words += self.pick(["{", "}", "{}", "{1 +}", "{no_such}", "\\q", "{" * 3])
        return f'"{words}"'

    def placeholder(self, scope: dict) -> str:
        options = []
        for name, ty in scope.items():
            if ty.startswith("rec:"):
                fields = RECORDS[ty[4:]]
                options.extend(f"{name}.{f}" for f, t in fields.items() if t in ("date", "text", "number")
                               or t.startswith("enum:"))
            elif ty in ("date", "number", "text", "window", "duration") or ty.startswith("enum:"):
                options.append(name)
        options.extend(p for p, t in self.parameters.items() if t in ("duration", "number"))
        return self.pick(options) if options else "client.id"

    # ---- expressions by type --------------------------------------------------------------------
    def expr(self, ty: str, scope: dict, depth: int) -> str:
        if depth > 0 and self.chance(4):  # a value of another type: for the checker to refuse
            ty = self.pick(VALUE_TYPES)
        maker = getattr(self, "_" + ty.split(":")[0])
        return maker(ty, scope, depth)

    def _leaves(self, ty: str, scope: dict) -> list:
        """Names and fields in scope of type ``ty``."""
        found = []
        for name, kind in scope.items():
            if kind == ty:
                found.append(name)
            elif kind.startswith("rec:"):
                found.extend(f"{name}.{f}" for f, t in RECORDS[kind[4:]].items() if t == ty)
        if scope is not None:
            found.extend(p for p, t in self.parameters.items() if t == ty)
            found.extend(f"{p} as of {self.date_of(scope)}" for p, t in self.dated_parameters.items() if t == ty)
        return found

    def date_of(self, scope: dict) -> str:
        dates = [f"{n}.{f}" for n, k in scope.items() if k.startswith("rec:")
                 for f, t in RECORDS[k[4:]].items() if t == "date"]
        return self.pick(dates) if dates else self.date_literal()

    def records_in_scope(self, scope: dict, record: str) -> list:
        return [n for n, k in scope.items() if k == f"rec:{record}"]

    def quantified(self, scope: dict, depth: int, kinds=("some", "no", "every", "count", "each", "earliest",
                                                         "latest")) -> tuple:
        """(text, record type): a quantifier over a list of the client (or a let-bound list)."""
        kind = self.pick(kinds)
        lists = [(f"client.{name}", record) for name, record in LISTS.items()]
        lists += [(n, k[5:]) for n, k in scope.items() if k.startswith("list:")]
        source, record = self.pick(lists)
        if kind in ("some", "no", "every") and self.chance(15):
            source, record = "client.presenting_substances", "substance"
        variable = self.var(record[0])
        inner = dict(scope)
        inner[variable] = f"enum:{record}" if record == "substance" else f"rec:{record}"
        windows = [n for n, k in scope.items() if k == "window"]
        within = f" within {self.pick(windows)}" if windows and self.chance(40) else ""
        condition = self.expr("bool", inner, depth - 1)
        if kind == "every":
            return f"every {variable} in {source}{within} satisfies {condition}", record
        word = {"count": "count of"}.get(kind, kind)
        if kind in ("no", "some") and within and self.chance(50):
            return f"{word} {variable} in {source}{within}", record
        return f"{word} {variable} in {source}{within} where {condition}", record

    def _bool(self, ty, scope, depth):
        leaves = self._leaves("bool", scope)
        options = ["leaf", "known", "compare_date", "compare_number", "enum_in", "def"]
        if depth > 0:
            options += ["and", "or", "not", "quantifier", "count", "outcome", "window_in", "set_in"]
        kind = self.pick(options)
        if kind == "leaf":
            if leaves and self.chance(60):
                leaf = self.pick(leaves)
                return f"{leaf} is {self.pick(['true', 'false'])}" if "." in leaf and self.chance(50) else leaf
            return self.pick(["true", "false"])
        if kind == "known":
            value = self.expr(self.pick(["date", "number", "rec:top_review", "text"]), scope, 0)
            return f"{value} is {self.pick(['known', 'unknown'])}"
        if kind == "compare_date":
            return f"{self.expr('date', scope, depth - 1)} {self.pick(['<', '<=', '>', '>=', '=', '!='])} " \
                   f"{self.expr('date', scope, depth - 1)}"
        if kind == "compare_number":
            return f"{self.expr('number', scope, depth - 1)} {self.pick(['<', '<=', '>', '>=', '=', '!='])} " \
                   f"{self.expr('number', scope, depth - 1)}"
        if kind == "enum_in":
            enum = self.pick(["discharge_reason", "top_stage", "setting", "substance", "modality"])
            value = self.expr(f"enum:{enum}", scope, 0)
            if self.chance(50):
                return f"{value} = {self.pick(ENUMS[enum])}"
            members = self.draw(st.lists(st.sampled_from(ENUMS[enum]), min_size=0 if self.chance(10) else 1,
                                         max_size=3, unique=True))
            return f"{value} in {{{', '.join(members)}}}"
        if kind == "def":
            return self.call_definition("bool", scope, depth)
        if kind in ("and", "or"):
            return f"({self.expr('bool', scope, depth - 1)}) {kind} ({self.expr('bool', scope, depth - 1)})"
        if kind == "not":
            return f"not ({self.expr('bool', scope, depth - 1)})"
        if kind == "quantifier":
            text, _ = self.quantified(scope, depth, ("some", "no", "every"))
            return f"({text})"
        if kind == "count":
            text, _ = self.quantified(scope, depth, ("count",))
            return f"({text}) {self.pick(['>=', '<', '='])} {self.number(0, 4)}"
        if kind == "outcome":
            return f"{self.outcome_call(scope)} is {self.pick(['achieved', 'not achieved', 'not applicable'])}"
        if kind == "window_in":
            windows = [n for n, k in scope.items() if k == "window"]
            return f"{self.expr('date', scope, depth - 1)} in {self.pick(windows)}" if windows else "true"
        # set_in
        substance = self.expr("enum:substance", scope, 0)
        return f"{substance} in client.presenting_substances"

    def outcome_call(self, scope: dict) -> str:
        """Another outcome's result for a unit in scope (now and then for a unit not in scope)."""
        callable_ = [n for n, unit in self.outcomes.items() if unit is None or self.records_in_scope(scope, unit)]
        if not callable_ or self.chance(3):
            callable_ = sorted(self.outcomes)
        name = self.pick(sorted(callable_))
        unit = self.outcomes[name]
        return name if unit is None else f"{name}({self.pick(self.records_in_scope(scope, unit) or ['e'])})"

    def call_definition(self, ty: str, scope: dict, depth: int) -> str:
        candidates = [n for n, (_, result) in self.definitions.items() if result == ty]
        if not candidates:
            return self.pick(["true", "false"]) if ty == "bool" else self.expr(ty, scope, 0)
        name = self.pick(candidates)
        inputs = self.definitions[name][0]
        if not inputs:
            return name
        args = []
        for record in inputs:
            have = self.records_in_scope(scope, record)
            if have and self.chance(85):
                args.append(self.pick(have))
            elif record == "top_review":
                args.append(f"(earliest {self.var('t')} in client.top_reviews)")
            else:
                args.append(self.expr(f"rec:{record}", scope, max(depth - 1, 0)))
        if self.chance(3):  # the wrong number of inputs
            args = args[:-1] if len(args) > 1 else args + args
        return f"{name}({', '.join(args)})"

    def _number(self, ty, scope, depth):
        options = ["literal", "leaf"]
        if depth > 0:
            options += ["arith", "negate", "count", "days_used", "reliable", "days_between", "def"]
        kind = self.pick(options)
        if kind == "leaf":
            leaves = self._leaves("number", scope)
            if leaves:
                return self.pick(leaves)
            kind = "literal"
        if kind == "literal":
            if self.chance(5):
                return self.pick(["99999999999999999999", "0.000001", "1.5", "0", "9" * 40])
            return str(self.number(0, 30))
        if kind == "arith":
            return f"({self.expr('number', scope, depth - 1)} {self.pick(['+', '-', '*', '/'])} " \
                   f"{self.expr('number', scope, depth - 1)})"
        if kind == "negate":
            return f"-{self.expr('number', scope, depth - 1)}"
        if kind == "count":
            text, _ = self.quantified(scope, depth, ("count",))
            return f"({text})"
        if kind in ("days_used", "reliable"):
            key = self.expr("enum:substance", scope, 0)
            if kind == "reliable":
                return f"reliable_change[{key}]"
            reviews = self.records_in_scope(scope, "top_review")
            review = self.pick(reviews) if reviews else f"(latest {self.var('t')} in client.top_reviews)"
            return f"{review}.days_used[{key}]"
        if kind == "days_between":
            return f"({self.expr('date', scope, depth - 1)} - {self.expr('date', scope, depth - 1)})"
        return self.call_definition("number", scope, depth)

    def _date(self, ty, scope, depth):
        options = ["leaf", "literal"]
        if depth > 0:
            options += ["plus", "minus", "earliest_of", "window_edge", "record_date", "outcome_date", "def"]
        kind = self.pick(options)
        if kind == "leaf":
            leaves = self._leaves("date", scope)
            if leaves:
                return self.pick(leaves)
            kind = "literal"
        if kind == "literal":
            return self.date_literal()
        if kind in ("plus", "minus"):
            return f"{self.expr('date', scope, depth - 1)} {'+' if kind == 'plus' else '-'} " \
                   f"{self.expr('duration', scope, depth - 1)}"
        if kind == "earliest_of":
            dates = [self.expr("date", scope, depth - 1) for _ in range(self.number(1, 3))]
            return f"{self.pick(['earliest_of', 'latest_of'])}({', '.join(dates)})"
        if kind == "window_edge":
            windows = [n for n, k in scope.items() if k == "window"]
            return f"{self.pick(windows)}.{self.pick(['start', 'end'])}" if windows else self.date_literal()
        if kind == "record_date":
            text, record = self.quantified(scope, depth, ("earliest", "latest"))
            date_field = "start" if record == "episode" else "date"
            return f"({text}).{date_field}"
        if kind == "outcome_date":
            return f"{self.outcome_call(scope)}.date"
        return self.call_definition("date", scope, depth)

    def _duration(self, ty, scope, depth):
        leaves = self._leaves("duration", scope)
        if leaves and self.chance(50):
            return self.pick(leaves)
        return self.duration_literal()

    def _text(self, ty, scope, depth):
        leaves = self._leaves("text", scope)
        return self.pick(leaves) if leaves and self.chance(70) else self.text_literal(scope)

    def _enum(self, ty, scope, depth):
        enum = ty[5:]
        leaves = self._leaves(ty, scope)
        return self.pick(leaves) if leaves and self.chance(70) else self.pick(ENUMS[enum])

    def _set(self, ty, scope, depth):
        if ty == "set:substance":
            return "client.presenting_substances" if self.chance(70) else f"{{{', '.join(ENUMS['substance'][:2])}}}"
        return "successful_completion_reasons"

    def _map(self, ty, scope, depth):
        reviews = self.records_in_scope(scope, "top_review")
        return f"{self.pick(reviews)}.days_used" if reviews and self.chance(60) else "reliable_change"

    def _rec(self, ty, scope, depth):
        record = ty[4:]
        have = self.records_in_scope(scope, record)
        if have and (depth == 0 or self.chance(60)):
            return self.pick(have)
        if record == "top_review" and "e" in scope and self.chance(30):
            return "start_top(e)"
        if record == "client":
            return "client"
        source = next((f"client.{n}" for n, r in LISTS.items() if r == record), "client.episodes")
        variable = self.var(record[0])
        inner = dict(scope, **{variable: ty})
        condition = f" where {self.expr('bool', inner, depth - 1)}" if depth > 0 and self.chance(70) else ""
        return f"({self.pick(['earliest', 'latest'])} {variable} in {source}{condition})"

    def _list(self, ty, scope, depth):
        record = ty[5:]
        source = next((f"client.{n}" for n, r in LISTS.items() if r == record), "client.episodes")
        if depth == 0 or self.chance(40):
            return source
        variable = self.var(record[0])
        inner = dict(scope, **{variable: f"rec:{record}"})
        return f"(each {variable} in {source} where {self.expr('bool', inner, depth - 1)})"

    # ---- declarations ---------------------------------------------------------------------------
    def header(self) -> str:
        lines = ["ruleset fz version 1.0.0"]
        base = self.pick(["national 1.0.0"] * 30 + ["wigan 1.0.0"] * 3 + ["national 9.9.9"])
        if self.chance(98):
            lines.append(f"extends {base}")
        if self.chance(30):
            lines.append(f'title "Fuzz {self.pick(["ruleset", "é", ""])}"')
        if self.chance(30):
            lines.append(f"effective from {self.date_literal()}")
        if self.chance(10):
            lines.append(f"effective until {self.date_literal()}")
        return "\n".join(lines)

    def parameter(self) -> str:
        name = self.new_name("p")
        ty = self.pick(["duration", "number", "percent", "money", "date", "map", "set", "text"])
        values = {"duration": self.duration_literal, "number": lambda: str(self.number(0, 50)),
                  "percent": lambda: f"{self.number(0, 120)}%", "money": lambda: f"£{self.number(0, 5000):,}",
                  "date": self.date_literal,
                  "map": lambda: "{" + ", ".join(f"{s}: {self.number(0, 28)}" for s in
                                                 self.draw(st.lists(st.sampled_from(ENUMS["substance"]),
                                                                    min_size=1, max_size=7, unique=True))) + "}",
                  "set": lambda: "{" + ", ".join(self.draw(st.lists(st.sampled_from(ENUMS["discharge_reason"]),
                                                                   max_size=3, unique=True))) + "}",
                  "text": lambda: self.text_literal()}[ty]
        dated = self.chance(20)
        text = f"parameter {name} = {values()}"
        if dated:
            text += f" from {self.date_literal()}"
            for _ in range(self.number(0, 2)):
                text += f", {values()} from {self.date_literal()}"
        if self.chance(30):
            text += " illustrative"
        if self.chance(50):
            text += f'\n  "{self.pick(["What it means.", "É", ""])}"'
        kind = {"duration": "duration", "number": "number", "map": "map:substance", "date": "date",
                "text": "text"}.get(ty)
        if kind:
            (self.dated_parameters if dated else self.parameters)[name] = kind
        return text

    def definition(self) -> str:
        name = self.new_name("d")
        inputs = tuple(self.draw(st.lists(st.sampled_from(["episode", "top_review", "presentation", "offence"]),
                                          max_size=2)))
        scope = {"client": "rec:client"}
        params = []
        for record in inputs:
            variable = self.var(record[0])
            scope[variable] = f"rec:{record}"
            params.append(f"{variable}: {record}")
        result = self.pick(["bool", "bool", "number", "date", "rec:top_review", "list:episode"])
        body = self.expr(result, scope, self.number(1, 3))
        self.definitions[name] = (inputs, result)
        signature = f"({', '.join(params)})" if params else ""
        description = f' "{self.pick(["what it says", "é"])}"' if self.chance(40) else ""
        return f"define {name}{signature}{description} =\n  {body}"

    def outcome(self, override: str | None = None) -> str:
        if override:
            name, unit_record = override, NATIONAL_OUTCOMES[override]
        else:
            name = self.new_name("o")
            unit_record = self.pick(["episode"] * 12 + [None] * 6 + ["top_review"])
        scope = {"client": "rec:client"}
        if unit_record is None:
            unit = "per client"
        else:
            unit = f"per {unit_record} {unit_record[0] if unit_record != 'episode' else 'e'}"
            scope[unit_record[0] if unit_record != "episode" else "e"] = f"rec:{unit_record}"
        lines = [f'outcome {name} "Outcome {name}"' + (f' because "{self.pick(["local", "é"])}"' if override else "")]
        if self.chance(95):
            lines.append(f"  domain {self.pick(DOMAINS)}, {self.pick(['interim', 'final'])}, {unit}")
        if self.chance(20):
            lines.append(f"  earned {self.pick(['once per unit', 'once per client', 'at most 2 times per client', 'at most 1 times per client', 'at most 0 times per client', 'at most 1.5 times per client'])}")
        if self.chance(20):
            lines.append(f'  description "{self.pick(["What it is.", "É"])}"')
        depth = self.number(1, 3)
        has_achieved = False
        for _ in range(self.number(1, 6)):
            kind = self.pick(["let", "window", "not_applicable", "achieved", "achieved", "not_achieved", "pending"])
            if kind == "let":
                variable = self.var("v")
                ty = self.pick(["bool", "date", "number", "rec:top_review", "list:top_review", "rec:episode"])
                lines.append(f"  let {variable} = {self.expr(ty, scope, depth)}")
                scope[variable] = ty
            elif kind == "window":
                variable = self.var("w")
                start = self.expr("date", scope, depth - 1)
                if self.chance(70):
                    span = f"for {self.expr('duration', scope, 0)}"
                else:
                    span = f"until {self.expr('date', scope, depth - 1)}"
                text = f"  window {variable} = {self.pick(['after', 'from'])} {start} {span}"
                if self.chance(30):
                    o = self.var("o")
                    where = f" where {self.expr('bool', dict(scope, **{o: 'rec:offence'}), 0)}" if self.chance(30) else ""
                    text += (f",\n      restarting after each {o} in client.offences{where}, at most "
                             f"{self.pick(['max_clock_resets', '2', '0', '1000'])} times")
                lines.append(text)
                scope[variable] = "window"
            elif kind == "not_applicable":
                lines.append(f"  not applicable when {self.expr('bool', scope, depth)}"
                             + (f" because {self.reason(scope)}" if self.chance(70) else ""))
            elif kind in ("achieved", "not_achieved"):
                word = "achieved" if kind == "achieved" else "not achieved"
                has_achieved |= kind == "achieved"
                lines.append(f"  {word} at {self.expr('date', scope, depth - 1)} when {self.expr('bool', scope, depth)}\n"
                             f"    because {self.reason(scope)}" + (f", {self.reason(scope)}" if self.chance(20) else ""))
            else:
                until = f" until {self.expr('date', scope, depth - 1)}" if self.chance(40) else ""
                lines.append(f"  pending{until} when {self.expr('bool', scope, depth)}"
                             + (f" because {self.reason(scope)}" if self.chance(70) else ""))
        if not has_achieved and self.chance(90):
            lines.append(f"  achieved at {self.expr('date', scope, 0)} when {self.expr('bool', scope, depth)}"
                         f" because {self.reason(scope)}")
        if self.chance(90):
            until = f" until {self.expr('date', scope, 0)}" if self.chance(30) else ""
            lines.append(f"  otherwise pending{until} because {self.reason(scope)}")
        if not override:
            self.outcomes[name] = unit_record
        return "\n".join(lines)

    def override(self) -> str:
        kind = self.pick(["parameter", "define", "outcome"])
        because = f'because "{self.pick(["local practice", "é", "x"])}"'
        if kind == "parameter":
            name = self.pick(sorted(NATIONAL_PARAMETERS))
            ty = NATIONAL_PARAMETERS[name]
            value = {"duration": self.duration_literal, "number": lambda: str(self.number(0, 30)),
                     "map:substance": lambda: "{opiates: 6, crack: 6, cocaine: 6, amphetamines: 6, cannabis: 8, "
                                              "alcohol: 8, other: 6}"}[ty]()
            if self.chance(10):
                value = self.pick(["12", "£5", "2012-01-01", "10%"])  # a value of another kind
            return f"override parameter {name} = {value}\n  {because}"
        if kind == "define":
            name = self.pick([n for n in NATIONAL_DEFINITIONS if NATIONAL_DEFINITIONS[n][0]])
            inputs, result = NATIONAL_DEFINITIONS[name]
            scope = {"client": "rec:client"}
            params = []
            for index, record in enumerate(inputs):
                variable = ["e", "r", "base"][index] if record != "episode" else "e"
                if variable in scope:
                    variable = self.var("q")
                scope[variable] = f"rec:{record}"
                params.append(f"{variable}: {record}")
            return f"override define {name}({', '.join(params)}) =\n  {self.expr(result, scope, 2)}\n  {because}"
        name = self.pick(sorted(NATIONAL_OUTCOMES))
        return "override " + self.outcome(override=name)

    def payment(self) -> str:
        outcomes = sorted(self.outcomes)
        outcome = self.pick(outcomes)
        money = lambda: f"£{self.number(0, 3000):,}.{self.number(0, 99):02d}" if self.chance(50) else f"£{self.number(0, 3000)}"  # noqa: E731
        period = self.pick(["month", "quarter", "year", "contract year"])
        illustrative = " illustrative" if self.chance(40) else ""
        kind = self.pick(["tariff", "tariff_by", "instalments", "fee", "cap", "floor", "reduce", "split",
                          "limit", "gate", "contract", "paid", "budget"])
        if kind == "tariff":
            return f"tariff {outcome} {money()}{illustrative}"
        if kind == "tariff_by":
            levels = self.draw(st.lists(st.sampled_from(ENUMS["complexity_group"]), min_size=1, max_size=3, unique=True))
            return f"tariff {outcome} by client.complexity: " + ", ".join(f"{lv} {money()}" for lv in levels) + illustrative
        if kind == "instalments":
            scope = {"client": "rec:client", "e": "rec:episode"}
            parts = ", ".join(f"{self.number(0, 60)}% at {self.expr('date', scope, 1)}" for _ in range(self.number(1, 3)))
            return f"tariff {outcome} {money()}\n  in instalments {parts},\n  rest on achievement{illustrative}"
        if kind == "fee":
            scope = {"client": "rec:client", "e": "rec:episode"}
            when = f" when {self.expr('bool', scope, 1)}" if self.chance(50) else ""
            return f"fee {self.new_name('fee')} {money()} per episode e on {self.expr('date', scope, 1)}{when}{illustrative}"
        if kind == "cap":
            order = " in order of date, client, outcome, unit, instalment" if self.chance(20) else ""
            return f"cap {self.new_name('cap')} {money()} per provider per {period}{order}{illustrative}"
        if kind == "floor":
            return f"floor {self.new_name('floor')} {money()} per provider per {period}{illustrative}"
        if kind == "reduce":
            return (f"reduce {self.new_name('reduce')} to {self.number(0, 120)}% above {self.number(0, 50)} clients "
                    f"per provider per {period}{illustrative}")
        if kind == "split":
            shares = ", ".join(f'"P{i}" {self.number(0, 100)}%' for i in range(1, self.number(1, 3) + 1))
            return f"split {outcome} between {shares}{illustrative}"
        if kind == "limit":
            return f"limit {outcome} to {self.number(0, 100)}% of {self.pick(DOMAINS)}"
        if kind == "gate":
            first = ", ".join(self.draw(st.lists(st.sampled_from(outcomes), min_size=1, max_size=3, unique=True)))
            then = ", ".join(self.draw(st.lists(st.sampled_from(outcomes), min_size=1, max_size=2, unique=True)))
            return f"gate {self.new_name('gate')} on {first} until {then}"
        if kind == "contract":
            return f"contract from {self.date_literal()}"
        if kind == "paid":
            return f'paid to {self.pick(["unit.provider, ", "", "client.provider, "])}client.provider, "unassigned"'
        shares = ""
        if self.chance(50):
            shares = ": " + ", ".join(f"{o} {self.number(0, 100)}%" for o in
                                      self.draw(st.lists(st.sampled_from(outcomes), min_size=1, max_size=3, unique=True)))
        return f"budget {self.new_name('budget')} {money()} for {self.pick(DOMAINS)} per contract year{shares}{illustrative}"

    def measure(self) -> str:
        name = self.new_name("m")
        first = self.date_literal()
        last = self.date_literal()
        scope = {"client": "rec:client", "e": "rec:episode"}
        lines = [f'measure {name} "Measure {name}"', f"  domain {self.pick(DOMAINS)}, {self.pick(['interim', 'final'])}"]
        where = f" where {self.expr('bool', scope, 1)}" if self.chance(30) else ""
        lines.append(f"  cohort e in client.episodes from {first} to {last}{where}")
        if self.chance(70):
            lines.append(f"  window w = after e.start for {self.duration_literal()}")
            scope["w"] = "window"
        aggregate = self.pick(["average", "median", "share", "count", f"rate per {self.number(1, 1000)} members"])
        value_type = "bool" if aggregate == "share" else self.pick(["number", "number", "bool"])
        lines.append(f"  value {self.expr(value_type, scope, 2)}")
        lines.append(f"  measured as {aggregate}")
        if self.chance(60):
            lines.append(f"  baseline {self.pick(['0.5', '3', '0', '1.25', '100'])}")
            if self.chance(80):
                relative = f" {self.pick(['below', 'above'])} baseline" if self.chance(50) else ""
                lines.append(f"  target {self.pick(['at most', 'at least'])} "
                             f"{self.pick(['25%', '0.4', '10%', '0', '150%'])}{relative}")
        self.measures.append(name)
        return "\n".join(lines)

    def example(self) -> str:
        from pbr_rules.cohort import generate
        client = list(generate(1, self.number(1, 50)))[0]
        client["id"] = "X1"
        outcome = self.pick(sorted(self.outcomes))
        unit = "" if self.outcomes[outcome] is None else " for E1"
        status = self.pick([f"achieved on {self.date_literal()}", "pending", f"pending until {self.date_literal()}",
                            "not applicable", f"not achieved on {self.date_literal()}"])
        return (f'example "Example {self.fresh}"\n  client {json.dumps(client)}\n  as of {self.date_literal()}\n'
                f"  expect {outcome}{unit} {status}")


@st.composite
def plausible_rulesets(draw) -> RulesetCase:
    writer = _Writer(draw)
    parts = [writer.header()]
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["parameter", "definition", "definition", "outcome", "outcome", "outcome",
                                     "override", "payment", "measure", "example"]))
        parts.append(getattr(writer, kind)())
    return RulesetCase(("\n\n".join(parts) + "\n").encode("utf-8"), "fz", "1.0.0", None, "plausible")


# =================================================================================================
# Rulesets 3: the shipped and golden ones, mutated
# =================================================================================================
def seed_rulesets() -> list:
    """(origin, name to write it as, version, text, shipped folder for examples) of every seed."""
    seeds = []
    for path in sorted(SHIPPED.glob("*/*.pbr")):
        text = path.read_text(encoding="utf-8")
        name = f"fz_{path.parent.name}"  # a changed copy of a shipped ruleset is refused (PBR410): rename it
        text = re.sub(r"\A(\s*ruleset\s+)([A-Za-z_][A-Za-z0-9_]*)", lambda m: m.group(1) + name, text, count=1)
        seeds.append((f"rulesets/{path.parent.name}/{path.name}", name, path.stem, text, path.parent.name))
    for path in sorted(GOLDEN.glob("*.pbr")):
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="surrogateescape")
        text = re.sub(r"\A(\s*ruleset\s+)golden\b", r"\1fz_golden", text, count=1)
        seeds.append((f"tests/golden/{path.name}", "fz_golden", "1.0.0", text, None))
    return seeds


_TOKEN = re.compile(r"\s+|\"(?:[^\"\\\n]|\\.)*\"|£?[0-9][0-9.,]*|[A-Za-z_][A-Za-z0-9_]*|.", re.S)
HUGE_NUMBERS = ["0", "00", "99999999999999999999999999", "9" * 5000, "1e400", "0.0000000001", "٣", "１２",
                "१२", "1৪", "²", "-1", "1.5", "1,000", "12.", ".5"]
ODD_TEXT = ["{}", "{ }", "{", "}", "(", ")", "[", "]", '"', "'", "é", "\u200b", "\u202e", "\x00", "\x0c", "\x85",
            "\u2028", "𝟘", "\ud800", "\udfff", "ﬁ", "İ", "\t", "\r", "£", "%", "..", "->", "==", "#", "\\", "{{", "}}"]


def _one_in(draw, n: int) -> bool:
    """True about once in ``n`` draws (Hypothesis favours the bounds of ``integers``, so
    ``integers(0, n - 1) == 0`` would be true far more often)."""
    return draw(st.randoms(use_true_random=True)).random() * n < 1


def _kind(token: str) -> str:
    if not token.strip():
        return "space"
    if token[0] == '"':
        return "string"
    if token[0].isdigit() or token[0] == "£":
        return "number"
    if token[0].isalpha() or token[0] == "_":
        return "name"
    return "other"


@st.composite
def mutated_rulesets(draw) -> RulesetCase:
    seeds = _seeds()
    shipped = [seed for seed in seeds if seed[4] is not None]
    golden = [seed for seed in seeds if seed[4] is None]
    origin, name, version, text, examples = draw(st.sampled_from(golden if _one_in(draw, 3) else shipped))
    tokens = _TOKEN.findall(text)
    mutations = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3, 4]))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "replace", "replace", "replace",
                                     "number", "number", "insert", "long_name", "nesting", "lines", "lines",
                                     "placeholders", "string_end"]))
        mutations.append(kind)
        if not tokens:
            tokens = [""]
        body = next((i + 1 for i, t in enumerate(tokens) if "\n" in t), 0)  # after the header line, mostly
        index = draw(st.integers(0 if body >= len(tokens) or _one_in(draw, 10) else body, len(tokens) - 1))
        if kind == "delete":
            del tokens[index: index + draw(st.integers(1, 3))]
        elif kind == "duplicate":
            tokens[index:index] = tokens[index: index + draw(st.integers(1, 3))]
        elif kind == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[index], tokens[other] = tokens[other], tokens[index]
        elif kind == "replace":  # by a token of the same kind from the same file: often still parses
            same = [t for t in tokens if _kind(t) == _kind(tokens[index])]
            tokens[index] = draw(st.sampled_from(same))
        elif kind == "number":
            numbers = [i for i, t in enumerate(tokens) if t[:1].isdigit() or t[:2].startswith("£")]
            if numbers:
                index = draw(st.sampled_from(numbers))
                value = draw(st.sampled_from(HUGE_NUMBERS))
                tokens[index] = ("£" + value) if tokens[index].startswith("£") else value
        elif kind == "insert":
            tokens.insert(index, draw(st.sampled_from(ODD_TEXT)))
        elif kind == "long_name":
            names = [i for i, t in enumerate(tokens) if t[:1].isalpha() or t[:1] == "_"]
            if names:
                index = draw(st.sampled_from(names))
                times = draw(st.sampled_from([50, 1000, 20000]))
                tokens[index] = tokens[index] * max(1, min(times, 200_000 // len(tokens[index])))  # at most 200 kB
        elif kind == "nesting":
            depth = draw(st.sampled_from([30, 120, 1000, 5000]))
            shape = draw(st.sampled_from(["parens", "not", "and", "plus", "braces", "brackets"]))
            tokens.insert(index, {"parens": "(" * depth + "1" + ")" * depth, "not": "not " * depth + "true",
                                  "and": " and ".join(["true"] * depth), "plus": " + ".join(["1"] * depth),
                                  "braces": "{" * depth + "}" * depth, "brackets": "[" * depth}[shape])
        elif kind == "lines":
            lines = "".join(tokens).split("\n")
            line = draw(st.integers(0, len(lines) - 1))
            action = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate"]))
            if action == "delete":
                del lines[line]
            elif action == "duplicate":
                lines.insert(line, lines[line])
            elif action == "swap":
                other = draw(st.integers(0, len(lines) - 1))
                lines[line], lines[other] = lines[other], lines[line]
            else:
                lines[line] = lines[line][: draw(st.integers(0, len(lines[line])))]
            tokens = _TOKEN.findall("\n".join(lines))
        elif kind == "placeholders":
            strings = [i for i, t in enumerate(tokens) if t.startswith('"') and t.endswith('"') and len(t) > 1]
            if strings:
                index = draw(st.sampled_from(strings))
                count = draw(st.sampled_from([10, 1000, 100000]))
                tokens[index] = '"' + draw(st.sampled_from(["{e.id}", "{client.id}", "{w}", "{"])) * count + '"'
        elif kind == "string_end":
            strings = [i for i, t in enumerate(tokens) if t.startswith('"') and len(t) > 1]
            if strings:
                index = draw(st.sampled_from(strings))
                tokens[index] = tokens[index][:-1]  # the closing quote gone
    text = "".join(tokens)
    encoding = draw(st.sampled_from(["utf-8"] * 12 + ["bom", "latin-1", "crlf", "cr", "invalid", "truncate"]))
    mutations.append(encoding)
    data = text.encode("utf-8", errors="surrogatepass")  # a lone surrogate: bytes that are not UTF-8
    if encoding == "bom":
        data = b"\xef\xbb\xbf" + data
    elif encoding == "latin-1":
        data = text.encode("latin-1", errors="replace")
    elif encoding == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif encoding == "cr":
        data = data.replace(b"\n", b"\r")
    elif encoding == "invalid":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"])) + data[at:]
    elif encoding == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    return RulesetCase(data, name, version, examples, f"{origin} [{', '.join(mutations)}]")


_SEEDS: list = []


def _seeds() -> list:
    if not _SEEDS:
        _SEEDS.extend(seed_rulesets())
    return _SEEDS


# =================================================================================================
# Records: JSON Lines
# =================================================================================================
_NATIONAL = []


def national():
    if not _NATIONAL:
        _NATIONAL.append(pbr_rules.load("national@1.0.0"))
    return _NATIONAL[0]


_POOL: list = []


def client_pool() -> list:
    if not _POOL:
        from pbr_rules.cohort import generate
        _POOL.extend(json.dumps(c) for c in generate(60, 3))
    return _POOL


RAW = "\x00RAW{}\x00"  # a value replaced after json.dumps by raw JSON text
WRONG_VALUES = [None, True, False, 0, -1, 1.5, 10**30, "", "x", "opiates", [], {}, [1], {"a": 1}, "2013-02-30",
                "\ud800", "é", " ", "null"]
RAW_VALUES = ["1e400", "-0", "1" * 5000, "0.1e-400", "NaN", "Infinity", "-Infinity", "[" * 5000 + "]" * 5000,
              "{\"a\":" * 3000 + "1" + "}" * 3000, "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\\u0000\"", "1.0", "28.0",
              "\"" + "x" * 100000 + "\""]
BAD_DATES = ["2013-02-30", "9999-12-31", "9999-12-20", "0001-01-01", "2013-13-01", "2013-1-1", "20130101",
             "2012-02-29", "2013-02-29", "2013-01-01T00:00:00", " 2013-01-01", "٢٠١٣-٠١-٠١", "２０１３-01-01",
             "0000-01-01", "2013-00-10", "", "yesterday"]


def _paths(value, prefix=()) -> list:
    """Every (path, value) in a JSON value."""
    found = [(prefix, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, prefix + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, prefix + (index,)))
    return found


def _set(obj, path, value):
    if not path:
        return value
    target = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return obj


@st.composite
def jsonl_records(draw) -> RecordsCase:
    pool = client_pool()
    chosen = draw(st.lists(st.integers(0, len(pool) - 1), min_size=0, max_size=8))
    clients = [json.loads(pool[i]) for i in chosen]
    raws: list = []
    mutations = []
    for _ in range(draw(st.integers(0, 4))):
        if not clients:
            break
        index = draw(st.integers(0, len(clients) - 1))
        if not isinstance(clients[index], dict):  # made something else by an earlier mutation
            continue
        paths = _paths(clients[index])
        path, value = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["drop", "rename", "wrong", "raw", "date", "id", "duplicate_key", "extra",
                                     "many", "enum", "end_before_start", "days"]))
        mutations.append(kind)
        if kind == "drop" and path:
            parent = clients[index]
            for step in path[:-1]:
                parent = parent[step]
            del parent[path[-1]]
        elif kind == "rename" and path and isinstance(path[-1], str):
            parent = clients[index]
            for step in path[:-1]:
                parent = parent[step]
            parent[draw(st.sampled_from([path[-1].upper(), path[-1] + "_", path[-1][:-1], " " + path[-1], "é"]))] = \
                parent.pop(path[-1])
        elif kind == "wrong":
            clients[index] = _set(clients[index], path, draw(st.sampled_from(WRONG_VALUES)))
        elif kind == "raw":
            raws.append(draw(st.sampled_from(RAW_VALUES)))
            clients[index] = _set(clients[index], path, RAW.format(len(raws) - 1))
        elif kind == "date":
            dates = [p for p, v in paths if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v)]
            if dates:
                clients[index] = _set(clients[index], draw(st.sampled_from(dates)), draw(st.sampled_from(BAD_DATES)))
        elif kind == "id":
            other = draw(st.sampled_from(clients))
            clients[index]["id"] = other.get("id", "C1") if isinstance(other, dict) else "C1"
            if draw(st.booleans()):
                clients[index]["id"] = draw(st.sampled_from(["", "\ud800", "é" * 3, "x" * 10000, "C000001 ", "1"]))
        elif kind == "duplicate_key":
            raws.append('"x", "id": "DUP"')
            clients[index]["id"] = RAW.format(len(raws) - 1)
        elif kind == "extra":
            clients[index][draw(st.sampled_from(["extra", "", "\ud800", "id ", "__proto__"]))] = 1
        elif kind == "many":
            episodes = clients[index].get("episodes")
            if isinstance(episodes, list) and episodes and isinstance(episodes[0], dict):
                clients[index]["episodes"] = [dict(episodes[0], id=f"E{i}") for i in range(draw(st.sampled_from([50, 500])))]
        elif kind == "enum":
            enums = [p for p, v in paths if isinstance(v, str) and any(v in values for values in ENUMS.values())]
            if enums:
                clients[index] = _set(clients[index], draw(st.sampled_from(enums)),
                                      draw(st.sampled_from(["OPIATES", "opiates ", "nothing", "", "ópiates"])))
        elif kind == "end_before_start":
            for episode in clients[index].get("episodes") if isinstance(clients[index].get("episodes"), list) else []:
                if isinstance(episode, dict) and "start" in episode:
                    episode["end"] = "2000-01-01"
        elif kind == "days":
            for review in clients[index].get("top_reviews") if isinstance(clients[index].get("top_reviews"), list) else []:
                if isinstance(review, dict) and isinstance(review.get("days_used"), dict):
                    review["days_used"][draw(st.sampled_from(["opiates", "nothing", ""]))] = draw(
                        st.sampled_from([29, -1, 1.5, 10**20, "3", None]))
    ascii_only = draw(st.booleans())
    lines = []
    for client in clients:
        text = json.dumps(client, ensure_ascii=ascii_only)
        for number, raw in enumerate(raws):
            text = text.replace(json.dumps(RAW.format(number)), raw)
        lines.append(text)
    if _one_in(draw, 10):  # a line that is not a client object
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["[]", "1", "null", '"x"', "{", "}", "{}",
                                                                             "true", "{\"id\": \"Z\"}{\"id\": \"Y\"}"])))
    ending = draw(st.sampled_from(["\n"] * 6 + ["\r\n", "\r", "\n\n", "\n \n", "\n\x0c\n", "\n\u2028\n", "\n\x85\n"]))
    text = ending.join(lines) + (ending if draw(st.booleans()) or not lines else "")
    data = text.encode("utf-8", errors="surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["bom", "invalid", "truncate", "nul", "duplicate_line", "long_line", "bom_inside"]))
        mutations.append(kind)
        at = draw(st.integers(0, len(data)))
        if kind == "bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == "bom_inside":
            data = data[:at] + b"\xef\xbb\xbf" + data[at:]
        elif kind == "invalid":
            data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xfe\xff"])) + data[at:]
        elif kind == "truncate":
            data = data[:at]
        elif kind == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif kind == "duplicate_line":
            lines_b = data.split(b"\n")
            pick = draw(st.integers(0, len(lines_b) - 1))
            lines_b.insert(pick, lines_b[pick])
            data = b"\n".join(lines_b)
        elif kind == "long_line":
            data += b'{"id": "LONG", "sex": "' + b"y" * 3_000_000 + b'"}\n'
    jobs = _one_in(draw, JOBS_EVERY)
    return RecordsCase("jsonl", {"data.jsonl": data}, None, jobs, ", ".join(mutations) or "valid")


def expected_clients(data: bytes) -> int:
    """The clients a JSON Lines file holds, counted independently of the reader: each line (ended
    by LF, as a file is read) that is not blank once decoded; a line that is not UTF-8 counts."""
    count = 0
    for number, line in enumerate(io.BytesIO(data), 1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            count += 1
            continue
        if text.strip():
            count += 1
    return count


def check_jsonl(case: RecordsCase) -> None:
    data = case.files["data.jsonl"]
    expected = expected_clients(data)
    try:
        with time_limit(LIMITS["records"], "evaluating the JSON Lines"):
            first = _api_jsonl(data)
            again = _api_jsonl(data)
    except Failure:
        raise
    except (Exception, CaseTimeout) as error:
        raise as_failure(error, "evaluate_lines") from None
    if first != again:
        raise Failure("not deterministic", "evaluate_lines gave different output for the same bytes")
    outputs, problems, read = first
    if read != expected:
        raise Failure("clients miscounted", f"{expected} clients in the file, {read} evaluated or set aside")
    with tempfile.TemporaryDirectory(prefix="pbr-fuzz-") as scratch:
        path = Path(scratch) / "data.jsonl"
        path.write_bytes(data)
        one = _cli(path, Path(scratch), jobs=1)
        _check_cli_counts(one, expected, strict_exit=True)
        if one.out != b"".join(outputs):
            raise Failure("CLI differs from the API", "pbr evaluate wrote other results than evaluate_lines")
        if case.jobs:
            two = _cli(path, Path(scratch), jobs=2)
            _same_runs(one, two)


def _api_jsonl(data: bytes) -> tuple:
    from pbr_rules.results import Rejected
    outputs, problems, read = [], [], 0
    for item in national().evaluate_lines(io.BytesIO(data), AS_OF, source="data.jsonl"):
        read += 1
        if isinstance(item, Rejected):
            if not item.errors:
                raise Failure("Rejected without a problem", f"line {item.line_number}")
            problems.append(tuple(json.dumps(e.to_json()) for e in item.errors))
        else:
            outputs.append((item.to_json_line() + "\n").encode("utf-8"))
    return outputs, problems, read


@dataclass
class CliRun:
    code: int
    out: bytes
    errors: bytes
    stderr: str


def _cli(data: Path, scratch: Path, jobs: int) -> CliRun:
    """``pbr evaluate national@1.0.0`` in this process, with small chunks (and batches) so that
    --jobs 2 really cuts even a small input into pieces."""
    from pbr_rules import jobs as jobs_module
    from pbr_rules.cli import main
    out, errors = scratch / f"out{jobs}.jsonl", scratch / f"errors{jobs}.jsonl"
    stderr = io.StringIO()
    saved = jobs_module.CHUNK_BYTES, jobs_module.CLIENTS_PER_BATCH
    jobs_module.CHUNK_BYTES, jobs_module.CLIENTS_PER_BATCH = 300, 2
    try:
        with time_limit(LIMITS["records"], f"pbr evaluate --jobs {jobs}"), contextlib.redirect_stderr(stderr), \
                contextlib.redirect_stdout(io.StringIO()):
            code = main(["evaluate", "national@1.0.0", "--data", str(data), "--as-of", AS_OF, "--out", str(out),
                         "--errors", str(errors), "--jobs", str(jobs)])
    except (Exception, CaseTimeout) as error:
        _end_workers()
        raise as_failure(error, f"pbr evaluate --jobs {jobs}") from None
    finally:
        jobs_module.CHUNK_BYTES, jobs_module.CLIENTS_PER_BATCH = saved
    run = CliRun(code, out.read_bytes() if out.exists() else b"", errors.read_bytes() if errors.exists() else b"",
                 stderr.getvalue())
    for leftover in (out, errors):
        if leftover.exists():
            leftover.unlink()
    return run


def _end_workers() -> None:
    """After a run stopped part way: end the worker processes it forked (this process's own
    children, by their Process objects), which could otherwise wait for work for ever."""
    import multiprocessing
    for child in multiprocessing.active_children():
        child.kill()
        child.join(5)


_SUMMARY = re.compile(r"^pbr: (\d+) clients? read: (\d+) evaluated, (\d+) set aside", re.M)


def _check_cli_counts(run: CliRun, expected: int | None, strict_exit: bool) -> None:
    """Exit 0 (or, where allowed, 2 with one `pbr: error:` line); the counts add up."""
    if "Traceback" in run.stderr:
        raise Failure("traceback on standard error", run.stderr.strip().splitlines()[-1])
    if run.code == 3:
        line = next((l for l in run.stderr.splitlines() if "internal error" in l), run.stderr.strip()[:200])
        raise Failure("exit 3", line.replace("pbr: internal error (a bug in pbr_rules, not in your rules or data): ", ""))
    if run.code != 0:
        if strict_exit or run.code != 2:
            raise Failure(f"exit {run.code}", run.stderr.strip()[:300])
        errors = [l for l in run.stderr.splitlines() if l.startswith("pbr: error:")]
        if len(errors) != 1:
            raise Failure("exit 2 without one `pbr: error:` line", run.stderr.strip()[:300])
        if not re.search(r"\.csv\b|/|extracts|folder", errors[0]):
            raise Failure("exit 2 naming no file", errors[0])
        return
    found = _SUMMARY.search(run.stderr)
    if found is None:
        raise Failure("no summary line", run.stderr.strip()[:300])
    read, evaluated, aside = map(int, found.groups())
    if read != evaluated + aside:
        raise Failure("counts do not add up", found.group(0))
    lines = run.out.count(b"\n")
    if lines != evaluated:
        raise Failure("results miscounted", f"{evaluated} evaluated, {lines} result lines written")
    if len(run.errors.splitlines()) < aside:  # each client set aside has a problem or more, a line each
        raise Failure("set aside without a word", f"{aside} set aside, {len(run.errors.splitlines())} problems in --errors")
    if expected is not None and read != expected:
        raise Failure("clients miscounted by the CLI", f"{expected} clients in, {found.group(0)}")


def _same_runs(one: CliRun, two: CliRun) -> None:
    if (one.code, one.out, one.errors) != (two.code, two.out, two.errors):
        what = [name for name, a, b in (("exit code", one.code, two.code), ("results", one.out, two.out),
                                        ("errors", one.errors, two.errors)) if a != b]
        raise Failure("--jobs 2 differs from --jobs 1", ", ".join(what))
    if _SUMMARY.findall(one.stderr) != _SUMMARY.findall(two.stderr):
        raise Failure("--jobs 2 differs from --jobs 1", "the summary line")


def shrink_jsonl(case: RecordsCase, test: Callable) -> RecordsCase:
    def make(lines: list) -> RecordsCase:
        return RecordsCase("jsonl", {"data.jsonl": b"".join(lines)}, None, case.jobs, case.origin)

    lines = ddmin(io.BytesIO(case.files["data.jsonl"]).readlines(), lambda kept: test(make(kept)))
    # then each line that is JSON: drop keys and list items while it still fails
    for index, line in enumerate(lines):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        obj = _shrink_json(obj, lambda o, index=index: test(make(lines[:index] + [_dumped(o, line)] + lines[index + 1:])))
        lines[index] = _dumped(obj, line)
    return make(lines)


def _dumped(obj, original: bytes) -> bytes:
    ending = b"\r\n" if original.endswith(b"\r\n") else b"\n" if original.endswith(b"\n") else b""
    try:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8", errors="surrogatepass") + ending
    except ValueError:
        return json.dumps(obj).encode() + ending


def _shrink_json(obj, test: Callable, budget: list | None = None):
    budget = budget if budget is not None else [200]
    if isinstance(obj, dict):
        for key in list(obj):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            trial = {k: v for k, v in obj.items() if k != key}
            if test(trial):
                obj = trial
        for key in list(obj):
            obj[key] = _shrink_json(obj[key], lambda v, key=key: test({**obj, key: v}), budget)
    elif isinstance(obj, list):
        index = 0
        while index < len(obj) and budget[0] > 0:
            budget[0] -= 1
            trial = obj[:index] + obj[index + 1:]
            if test(trial):
                obj = trial
            else:
                index += 1
        for index in range(len(obj)):
            obj[index] = _shrink_json(obj[index], lambda v, index=index: test(obj[:index] + [v] + obj[index + 1:]), budget)
    return obj


# =================================================================================================
# Records: folders of CSV extracts
# =================================================================================================
_CSV_BASES: dict = {}


def csv_base(clients: int, seed: int) -> dict:
    """The files `pbr cohort --format csv` writes for a cohort, as bytes."""
    key = (clients, seed)
    if key not in _CSV_BASES:
        from pbr_rules.cohort import write_csv
        with tempfile.TemporaryDirectory(prefix="pbr-fuzz-") as scratch:
            write_csv(clients, seed, Path(scratch) / "x")
            _CSV_BASES[key] = {p.name: p.read_bytes() for p in sorted((Path(scratch) / "x").iterdir())}
    return dict(_CSV_BASES[key])


CELL_VALUES = ["", " ", "x", "-1", "1.5", "99999999999999999999999", "1e400", "١٢", "2013-02-30", "9999-12-31",
               "0001-01-01", "NaN", "true", "maybe", "opiates;;crack", ";", "opiates;unknown", '"', 'a"b', "a\nb",
               "a\r\nb", "\ud800", "é", "=1+1", "x" * 10000, "C000001", "  C000001", "29", "-0", "0x10", "1_000"]


@st.composite
def csv_folders(draw) -> RecordsCase:
    clients, seed = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    files = csv_base(clients, seed)
    tables = {name: list(csv.reader(io.StringIO(data.decode("utf-8")))) for name, data in files.items()}
    touched = set()
    mutations = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(tables)))
        rows = tables[name]
        if rows is None:
            continue
        kind = draw(st.sampled_from(["cell", "cell", "cell", "delete_row", "duplicate_row", "short_row", "long_row",
                                     "swap_rows", "reverse", "orphan", "blank_row", "rename_column", "repeat_column",
                                     "drop_column", "extra_column", "header_only", "empty_file", "missing_file",
                                     "misspelt_file", "unknown_file"]))
        mutations.append(f"{kind} {name}")
        touched.add(name)
        body = range(1, len(rows))
        if kind == "cell" and len(rows) > 1:
            row = draw(st.sampled_from(body))
            if rows[row]:
                column = draw(st.integers(0, len(rows[row]) - 1))
                rows[row][column] = draw(st.sampled_from(CELL_VALUES))
        elif kind == "delete_row" and len(rows) > 1:
            del rows[draw(st.sampled_from(body))]
        elif kind == "duplicate_row" and len(rows) > 1:
            row = draw(st.sampled_from(body))
            rows.insert(row, list(rows[row]))
        elif kind == "short_row" and len(rows) > 1:
            row = draw(st.sampled_from(body))
            rows[row] = rows[row][:-1]
        elif kind == "long_row" and len(rows) > 1:
            row = draw(st.sampled_from(body))
            rows[row] = rows[row] + ["extra"]
        elif kind == "swap_rows" and len(rows) > 2:
            a, b = draw(st.sampled_from(body)), draw(st.sampled_from(body))
            rows[a], rows[b] = rows[b], rows[a]
        elif kind == "reverse":
            rows[1:] = rows[:0:-1]
        elif kind == "orphan" and len(rows) > 1:
            row = draw(st.sampled_from(body))
            if rows[row]:
                rows[row][0] = draw(st.sampled_from(["ZZZ999", "", "C000001", "A0"]))
        elif kind == "blank_row":
            rows.insert(draw(st.integers(1, len(rows))) if rows else 0, draw(st.sampled_from([[], [""], ["", ""]])))
        elif kind == "rename_column" and rows and rows[0]:
            column = draw(st.integers(0, len(rows[0]) - 1))
            rows[0][column] = draw(st.sampled_from(["ID", rows[0][column] + "_", "", "days_used.nothing",
                                                    "days_used.", "client_id", "id"]))
        elif kind == "repeat_column" and rows and rows[0]:
            column = draw(st.integers(0, len(rows[0]) - 1))
            for row in rows:
                if len(row) > column:
                    row.append(row[column])
        elif kind == "drop_column" and rows and rows[0]:
            column = draw(st.integers(0, len(rows[0]) - 1))
            for row in rows:
                if len(row) > column:
                    del row[column]
        elif kind == "extra_column" and rows:
            for index, row in enumerate(rows):
                row.append("notes" if index == 0 else draw(st.sampled_from(["", "x", "é"])))
        elif kind == "header_only":
            del rows[1:]
        elif kind == "empty_file":
            rows.clear()
        elif kind == "missing_file":
            tables[name] = None
        elif kind == "misspelt_file" and name != "clients.csv":
            tables[name] = None
            tables[name.replace("s.csv", ".csv")] = rows
        elif kind == "unknown_file":
            tables["other_list.csv"] = [["client_id", "x"], ["C000001", "1"]]
    out = {}
    for name, rows in tables.items():
        if rows is None:
            out[name] = None
            continue
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        out[name] = text.getvalue().encode("utf-8", errors="surrogatepass")
    for _ in range(draw(st.integers(0, 2))):
        present = sorted(n for n, d in out.items() if d is not None)
        if not present:
            break
        name = draw(st.sampled_from(present))
        data = out[name]
        kind = draw(st.sampled_from(["crlf", "cr", "bom", "latin-1", "utf-16", "stray_quote", "truncate", "invalid",
                                     "nul", "no_final_newline"]))
        mutations.append(f"{kind} {name}")
        touched.add(name)
        at = draw(st.integers(0, len(data)))
        if kind == "crlf":
            data = data.replace(b"\n", b"\r\n")
        elif kind == "cr":
            data = data.replace(b"\n", b"\r")
        elif kind == "bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == "latin-1":
            data = data.decode("utf-8", errors="replace").encode("latin-1", errors="replace")
        elif kind == "utf-16":
            data = data.decode("utf-8", errors="replace").encode("utf-16")
        elif kind == "stray_quote":
            data = data[:at] + b'"' + data[at:]
        elif kind == "truncate":
            data = data[:at]
        elif kind == "invalid":
            data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + data[at:]
        elif kind == "nul":
            data = data[:at] + b"\x00" + data[at:]
        else:
            data = data.rstrip(b"\n")
        out[name] = data
    jobs = _one_in(draw, JOBS_EVERY)
    certain = clients if "clients.csv" not in touched else None
    return RecordsCase("csv", out, certain, jobs, f"{clients} clients, seed {seed}: " + "; ".join(mutations))


def check_csv(case: RecordsCase) -> None:
    with tempfile.TemporaryDirectory(prefix="pbr-fuzz-") as scratch:
        folder = Path(scratch) / "extracts"
        folder.mkdir()
        for name, data in case.files.items():
            if data is not None:
                (folder / name).write_bytes(data)
        api = _api_folder(folder)
        one = _cli(folder, Path(scratch), jobs=1)
        _check_cli_counts(one, None, strict_exit=False)
        if one.code == 0:
            found = _SUMMARY.search(one.stderr)
            read = int(found.group(1))
            if case.clients is not None and read < case.clients:
                raise Failure("clients lost", f"clients.csv has {case.clients} clients; {found.group(0)}")
            if api is not None and api != (one.out, read):
                raise Failure("CLI differs from the API", "pbr evaluate and evaluate_folder disagree")
        again = _cli(folder, Path(scratch), jobs=1)
        if (one.code, one.out, one.errors) != (again.code, again.out, again.errors):
            raise Failure("not deterministic", "pbr evaluate gave different output for the same folder")
        if case.jobs:
            _same_runs(one, _cli(folder, Path(scratch), jobs=2))


def _api_folder(folder: Path):
    """(results written, clients read) from evaluate_folder; None when it refuses the folder."""
    from pbr_rules.results import Rejected
    out, read = [], 0
    try:  # notes on files not read are logged to standard error: kept out of the fuzzer's output
        with time_limit(LIMITS["records"], "evaluate_folder"), contextlib.redirect_stderr(io.StringIO()):
            for item in national().evaluate_folder(folder, AS_OF):
                read += 1
                if isinstance(item, Rejected):
                    if not item.errors:
                        raise Failure("Rejected without a problem", f"line {item.line_number}")
                    for problem in item.errors:
                        str(problem)
                else:
                    out.append((item.to_json_line() + "\n").encode("utf-8"))
    except Failure:
        raise
    except (UsageError, DataError):
        return None  # the CLI must then say so in one line, exit 2: checked there
    except (Exception, CaseTimeout) as error:
        raise as_failure(error, "evaluate_folder") from None
    return b"".join(out), read


def shrink_csv(case: RecordsCase, test: Callable) -> RecordsCase:
    """Fewer files, then fewer lines in each (the header kept while that still fails)."""
    files = dict(case.files)

    def make(current: dict) -> RecordsCase:
        return RecordsCase("csv", dict(current), case.clients if current.get("clients.csv") == case.files.get("clients.csv") else None,
                           case.jobs, case.origin)

    for name in list(files):
        if name == "clients.csv":
            continue
        trial = {k: v for k, v in files.items() if k != name}
        if test(make(trial)):
            files = trial
    for name in list(files):
        if files[name] is None:
            continue
        lines = files[name].splitlines(keepends=True)
        kept = ddmin(lines, lambda part, name=name: test(make({**files, name: b"".join(part)})))
        files[name] = b"".join(kept)
    return make(files)


# =================================================================================================
# The targets
# =================================================================================================
TARGETS = {
    "grammar": Target("grammar", "ruleset text generated from grammars/pbr.lark", grammar_rulesets,
                      check_ruleset, shrink_ruleset),
    "plausible": Target("plausible", "rulesets extending national 1.0.0 with generated declarations over its schema",
                        plausible_rulesets, check_ruleset, shrink_ruleset),
    "mutated": Target("mutated", "shipped and golden rulesets, mutated", mutated_rulesets, check_ruleset,
                      shrink_ruleset),
    "jsonl": Target("jsonl", "national clients as JSON Lines, mutated", jsonl_records, check_jsonl, shrink_jsonl),
    "csv": Target("csv", "national clients as CSV extracts, mutated", csv_folders, check_csv, shrink_csv),
}
