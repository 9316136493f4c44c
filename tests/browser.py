"""Open generated HTML pages in a real headless chromium, for tests (not a test file itself).

It owns the whole conversation with the browser: finding chromium, launching it with the flags a
container needs, speaking the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (fd 3 is
what chromium reads, fd 4 what it writes; each message is JSON followed by a NUL byte; stdlib
only), and turning what the page did into a ``PageReport`` a test can assert on. Every wait is
bounded by a timeout and the browser is always killed, also when a test fails half-way.

    report = open_page(site / "national.html", screenshot=tmp_path / "national.png")
    assert report.problems == []

``Chromium`` keeps one browser open for several pages (a launch costs most of a page open).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DEFAULT_TIMEOUT = 30.0
# A full-page screenshot costs about 0.2 s per 1,000 px of height; the rest of a long page is cut.
FULL_PAGE_MAX_HEIGHT = 10_000
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
NOT_FOUND = ("chromium not found: install Debian's chromium (apt-get install chromium) "
             "or set PBR_CHROMIUM")

# --no-sandbox: chromium refuses to run as root with its sandbox; --disable-dev-shm-usage: a
# container's /dev/shm is often too small; --hide-scrollbars: scrollbars would take viewport width
# and differ between machines; the rest stop first-run, update and network chatter.
LAUNCH_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--mute-audio",
    "--remote-debugging-pipe",
)

# Read once the load event has fired: what a test wants to know about the rendered page.
FACTS_SCRIPT = """(() => {
  const root = document.documentElement, width = window.innerWidth;
  const describe = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
      + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\\s+/).join(".") : "");
  const wide = [];
  for (const e of document.querySelectorAll("body *")) {
    // the outermost elements past the right edge say where a horizontal overflow comes from
    if (e.getBoundingClientRect().right > width + 0.5 && !wide.some(w => w.contains(e))) wide.push(e);
    if (wide.length >= 5) break;
  }
  return {
    title: document.title, text: document.body ? document.body.innerText : "",
    ids: Array.from(document.querySelectorAll("[id]"), e => e.id),
    links: Array.from(document.querySelectorAll("a[href]"), a => a.href),
    scroll_width: root.scrollWidth, scroll_height: root.scrollHeight,
    viewport_width: width, viewport_height: window.innerHeight, wide_elements: wide.map(describe),
  };
})()"""


class BrowserError(Exception):
    """chromium could not be started, did not answer in time, or could not load the page."""


@dataclass(frozen=True)
class ConsoleMessage:
    level: str  # "log", "info", "warning", "error", "debug", ... as chromium names it
    text: str
    source: str  # "console" (the page's console API) or the Log domain's source, e.g. "network"
    url: str = ""  # of the script that logged, or of the resource a "network" message is about
    line: int | None = None  # counted from 1

    @property
    def where(self) -> str:
        return self.url + (f":{self.line}" if self.line else "")


@dataclass(frozen=True)
class FailedLoad:
    url: str
    reason: str  # e.g. "net::ERR_FILE_NOT_FOUND", "HTTP 404"


@dataclass(frozen=True)
class Layout:
    scroll_width: int
    scroll_height: int
    viewport_width: int
    viewport_height: int
    wide_elements: tuple[str, ...]  # outermost elements reaching past the right edge, e.g. "table.rates"

    @property
    def overflows_horizontally(self) -> bool:
        return self.scroll_width > self.viewport_width


@dataclass(frozen=True)
class PageReport:
    url: str
    title: str
    text: str  # document.body.innerText: what is visible (display: none is left out)
    ids: tuple[str, ...]
    links: tuple[str, ...]  # every a[href], resolved to an absolute URL
    layout: Layout
    console: tuple[ConsoleMessage, ...]
    exceptions: tuple[str, ...]
    failed_loads: tuple[FailedLoad, ...]
    values: dict = field(default_factory=dict)  # the results of open()'s ``evaluate`` expressions
    screenshot: Path | None = None

    @property
    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, failed loads: one readable line each."""
        failed_urls = {load.url for load in self.failed_loads}
        problems = [f"console {m.level}: {m.text}" + (f" ({m.where})" if m.where else "")
                    for m in self.console if m.level in ("error", "warning", "assert")
                    # chromium also logs each failed load; it is already listed below
                    and not (m.source == "network" and m.url in failed_urls)]
        problems += [f"uncaught exception: {text}" for text in self.exceptions]
        problems += [f"failed to load {load.url}: {load.reason}" for load in self.failed_loads]
        return problems


def find_chromium() -> str | None:
    """PBR_CHROMIUM if set (a path or a command name), else the first chromium on PATH."""
    chosen = os.environ.get("PBR_CHROMIUM")
    if chosen:
        return shutil.which(chosen)
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def require_chromium() -> str:
    """The chromium to use, or skip the calling test saying how to get one."""
    found = find_chromium()
    if found is None and os.environ.get("PBR_CHROMIUM"):
        # a browser asked for by name and missing is a mistake to show, not a reason to skip
        pytest.fail(f"PBR_CHROMIUM={os.environ['PBR_CHROMIUM']} is not an executable")
    if found is None:
        pytest.skip(NOT_FOUND)
    return found


def open_page(path_or_url, *, screenshot: Path | None = None, width: int = 1200,
              height: int = 1600, media: str | None = None, full_page: bool = False,
              evaluate: dict[str, str] | None = None,
              timeout: float = DEFAULT_TIMEOUT) -> PageReport:
    """Load one page in a fresh headless chromium and report what happened (see ``Chromium.open``)."""
    url = page_url(path_or_url)  # a missing file is refused before a browser is started
    with Chromium(timeout=timeout) as browser:
        return browser.open(url, screenshot=screenshot, width=width, height=height,
                            media=media, full_page=full_page, evaluate=evaluate)


def page_url(path_or_url) -> str:
    """A URL as given (it has a scheme), else the file:// URL of an existing file."""
    if isinstance(path_or_url, str) and re.match(r"[a-zA-Z][a-zA-Z0-9+.-]+:", path_or_url):
        return path_or_url
    path = Path(path_or_url).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no page to open at {path}")
    return path.as_uri()


class Chromium:
    """One headless chromium, for ``open``-ing pages one after another; use it with ``with``."""

    def __init__(self, executable: str | None = None, *, timeout: float = DEFAULT_TIMEOUT):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise BrowserError(NOT_FOUND)
        self.timeout = timeout
        self.process: subprocess.Popen | None = None
        self._profile = tempfile.TemporaryDirectory(prefix="pbr-chromium-", ignore_cleanup_errors=True)
        self._stderr = tempfile.TemporaryFile()
        self._pipe: _DevToolsPipe | None = None
        self._closed = False

    def __enter__(self) -> Chromium:
        try:
            self._launch()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _launch(self) -> None:
        browser_reads, we_write = os.pipe()
        we_read, browser_writes = os.pipe()

        def onto_fds_3_and_4():  # in the child, before exec: where --remote-debugging-pipe looks
            high_read = fcntl.fcntl(browser_reads, fcntl.F_DUPFD, 10)
            high_write = fcntl.fcntl(browser_writes, fcntl.F_DUPFD, 10)
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)
            os.close(high_read)
            os.close(high_write)

        command = [self.executable, *LAUNCH_FLAGS, f"--user-data-dir={self._profile.name}",
                   "about:blank"]
        try:
            # close_fds=False keeps the fds 3 and 4 made above (pass_fds would close them again:
            # it keeps the parent's numbers); Python's own fds are close-on-exec anyway.
            # A session of its own lets close() kill chromium's helper processes with it.
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
                close_fds=False, preexec_fn=onto_fds_3_and_4, start_new_session=True)
        finally:
            os.close(browser_reads)
            os.close(browser_writes)
        self._pipe = _DevToolsPipe(we_write, we_read, self.stderr_tail)
        self._pipe.call("Browser.getVersion", deadline=time.monotonic() + self.timeout)

    def stderr_tail(self, lines: int = 10) -> str:
        """The last lines chromium wrote to stderr, for saying why it exited."""
        self._stderr.seek(0)
        # without a desktop session chromium complains about D-Bus all the time, harmlessly
        said = [line for line in self._stderr.read().decode(errors="replace").splitlines()
                if "dbus" not in line.lower()]
        return "\n".join(said[-lines:])

    def open(self, path_or_url, *, screenshot: Path | None = None, width: int = 1200,
             height: int = 1600, media: str | None = None, full_page: bool = False,
             evaluate: dict[str, str] | None = None, timeout: float | None = None) -> PageReport:
        """Load a page in a new tab of ``width`` x ``height`` CSS pixels and report on it.

        Waits for the load event (so stylesheets, images and scripts have run), then reads the page.
        ``media="print"`` emulates print media; ``screenshot`` saves a PNG of the viewport (of the
        whole page with ``full_page``, up to FULL_PAGE_MAX_HEIGHT); ``evaluate`` maps names to JavaScript expressions whose
        values (JSON-able) come back in ``report.values``. All of it within ``timeout`` seconds
        (the browser's, by default)."""
        url = page_url(path_or_url)
        pipe, deadline = self._pipe, time.monotonic() + (timeout or self.timeout)
        target = pipe.call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                            deadline=deadline)["sessionId"]
        pipe.events[session] = []
        try:
            for domain in ("Runtime", "Log", "Page", "Network"):
                pipe.call(f"{domain}.enable", session=session, deadline=deadline)
            pipe.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                      "deviceScaleFactor": 1, "mobile": False}, session=session, deadline=deadline)
            if media:
                pipe.call("Emulation.setEmulatedMedia", {"media": media}, session=session,
                          deadline=deadline)
            self._navigate(session, url, deadline)
            facts = self._evaluate(session, FACTS_SCRIPT, deadline)
            values = {name: self._evaluate(session, expression, deadline)
                      for name, expression in (evaluate or {}).items()}
            if screenshot is not None:
                self._screenshot(session, Path(screenshot), facts if full_page else None, deadline)
            return _report(url, pipe.events[session], facts, values, screenshot)
        finally:
            del pipe.events[session]
            try:  # best effort: a browser that cannot close a tab is killed by close() anyway
                pipe.call("Target.closeTarget", {"targetId": target}, deadline=time.monotonic() + 2)
            except (BrowserError, OSError):
                pass

    def _navigate(self, session: str, url: str, deadline: float) -> None:
        navigated = self._pipe.call("Page.navigate", {"url": url}, session=session, deadline=deadline)
        if navigated.get("errorText"):
            raise BrowserError(f"chromium could not load {url}: {navigated['errorText']}")
        # the load event of this navigation, not a late one of the about:blank the tab opened with
        loader = navigated.get("loaderId")
        index = self._pipe.wait_for(session, deadline, lambda event: (
            event["method"] == "Page.frameNavigated" and "parentId" not in event["params"]["frame"]
            and event["params"]["frame"].get("loaderId") == loader)) if loader else 0
        self._pipe.wait_for(session, deadline, lambda event: event["method"] == "Page.loadEventFired",
                            start=index)

    def _evaluate(self, session: str, expression: str, deadline: float):
        result = self._pipe.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                                 session=session, deadline=deadline)
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating {expression[:60]!r} threw: "
                               f"{_exception_text(result['exceptionDetails'])}")
        return result["result"].get("value")

    def _screenshot(self, session: str, path: Path, whole_page: dict | None, deadline: float) -> None:
        params = {"format": "png"}
        if whole_page:
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": whole_page["scroll_width"],
                "height": min(whole_page["scroll_height"], FULL_PAGE_MAX_HEIGHT), "scale": 1})
        shot = self._pipe.call("Page.captureScreenshot", params, session=session, deadline=deadline)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        """Ask chromium to quit, then kill whatever of it is left; always safe to call again."""
        if self._closed:
            return
        self._closed = True
        if self.process is not None and self.process.poll() is None and self._pipe is not None:
            try:
                self._pipe.send("Browser.close")
                self.process.wait(timeout=3)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.process is not None:
            try:  # the whole session: the browser and its renderer, GPU and zygote helpers
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        if self._pipe is not None:
            self._pipe.close()
        self._stderr.close()
        self._profile.cleanup()


class _DevToolsPipe:
    """Commands to chromium and their answers; the events in between, kept for open sessions."""

    def __init__(self, write_fd: int, read_fd: int, stderr_tail):
        self._write_fd, self._read_fd = write_fd, read_fd
        self._stderr_tail = stderr_tail
        self._buffer = bytearray()
        self._last_id = 0
        self.events: dict[str, list[dict]] = {}  # by session: open() adds and removes its own

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write_fd, data):]
        return self._last_id

    def call(self, method: str, params: dict | None = None, *, session: str | None = None,
             deadline: float) -> dict:
        """Send a command and wait for its answer, keeping the events that come first."""
        try:
            sent = self.send(method, params, session)
        except BrokenPipeError:
            raise BrowserError(f"chromium exited, before {method}\n{self._stderr_tail()}")
        while True:
            message = self._receive(deadline, waiting_for=method)
            if message.get("id") == sent:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error'].get('message')}")
                return message.get("result", {})
            self._keep(message)

    def wait_for(self, session: str, deadline: float, wanted, start: int = 0) -> int:
        """Wait for a session's event that ``wanted(event)`` accepts; the index just after it."""
        events = self.events[session]
        while True:
            for index in range(start, len(events)):
                if wanted(events[index]):
                    return index + 1
            start = len(events)
            self._keep(self._receive(deadline, waiting_for="the page to load"))

    def _keep(self, message: dict) -> None:
        if "method" in message and message.get("sessionId") in self.events:
            self.events[message["sessionId"]].append(message)

    def _receive(self, deadline: float, waiting_for: str) -> dict:
        while (end := self._buffer.find(b"\0")) < 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._read_fd], [], [], remaining)[0]:
                raise BrowserError(f"chromium did not answer in time, waiting for {waiting_for}")
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise BrowserError(f"chromium exited, waiting for {waiting_for}\n{self._stderr_tail()}")
            self._buffer += chunk
        message = json.loads(self._buffer[:end])
        del self._buffer[:end + 1]
        return message

    def close(self) -> None:
        for fd in (self._write_fd, self._read_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self._write_fd = self._read_fd = -1


def _report(url: str, events: list[dict], facts: dict, values: dict,
            screenshot: Path | None) -> PageReport:
    console, exceptions, failed, requested = [], [], [], {}
    for event in events:
        method, params = event["method"], event["params"]
        if method == "Runtime.consoleAPICalled":
            frame = (params.get("stackTrace") or {}).get("callFrames") or [{}]
            console.append(ConsoleMessage(params["type"], " ".join(map(_shown, params["args"])),
                                          "console", *_location(frame[0])))
        elif method == "Log.entryAdded":
            entry = params["entry"]
            console.append(ConsoleMessage(entry["level"], entry["text"], entry["source"],
                                          *_location(entry)))
        elif method == "Runtime.exceptionThrown":
            exceptions.append(_exception_text(params["exceptionDetails"]))
        elif method == "Network.requestWillBeSent":
            requested[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived" and params["response"].get("status", 0) >= 400:
            response = params["response"]
            failed.append(FailedLoad(response["url"], f"HTTP {response['status']}"))
        elif method == "Network.loadingFailed":
            reason = params.get("blockedReason") or params.get("errorText") or "failed"
            failed.append(FailedLoad(requested.get(params["requestId"], "?"), reason))
    layout = Layout(facts["scroll_width"], facts["scroll_height"], facts["viewport_width"],
                    facts["viewport_height"], tuple(facts["wide_elements"]))
    return PageReport(url, facts["title"], facts["text"], tuple(facts["ids"]), tuple(facts["links"]),
                      layout, tuple(console), tuple(exceptions), tuple(failed), values,
                      Path(screenshot) if screenshot is not None else None)


def _shown(argument: dict) -> str:
    """A console.log argument as the console would show it."""
    if "value" in argument:
        value = argument["value"]
        return value if isinstance(value, str) else json.dumps(value)
    return argument.get("description") or argument.get("unserializableValue") or argument["type"]


def _location(location: dict) -> tuple[str, int | None]:
    """The url and line (from 1; the protocol counts from 0) of a call frame or a log entry."""
    line = location.get("lineNumber")
    return location.get("url", ""), line + 1 if isinstance(line, int) else None


def _exception_text(details: dict) -> str:
    exception = details.get("exception") or {}
    text = exception.get("description") or details.get("text", "exception")
    return text.splitlines()[0] + (f" ({details['url']}:{details['lineNumber'] + 1})"
                                   if details.get("url") else "")
