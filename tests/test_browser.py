"""tests/browser.py: pages opened in a real headless chromium report what a reader would meet.

Each kind of problem has a page that has it, so the clean page's empty list of problems means
something. Skipped, saying how to install it, where chromium is not found."""

from __future__ import annotations

import struct
import textwrap
from pathlib import Path

import pytest

from browser import NOT_FOUND, BrowserError, Chromium, find_chromium, open_page, require_chromium

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def page(tmp_path: Path, body: str, head: str = "", name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(f"""\
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>National outcomes</title>{head}</head>
        <body>{body}</body></html>
        """), encoding="utf-8")
    return path


def lines(text: str) -> list[str]:
    """innerText without the blank lines it puts between paragraphs."""
    return [line for line in text.splitlines() if line]


@pytest.fixture(scope="module")
def browser():
    """One chromium for the tests that do not test launching it: a launch is most of a page open."""
    require_chromium()
    with Chromium() as chromium:
        yield chromium


CLEAN_BODY = """<h1 id="top">Outcomes</h1><p>Abstinence at review.</p>
    <a href="#top">Back to the top</a><a href="other.html">Other page</a>"""


def test_a_clean_page_has_no_problems_and_reads_back_title_text_ids_and_links(tmp_path):
    require_chromium()
    (tmp_path / "style.css").write_text("h1 { color: #036; }")
    path = page(tmp_path, CLEAN_BODY, head='<link rel="stylesheet" href="style.css">')
    report = open_page(path)
    assert report.problems == []
    assert report.url == path.as_uri()
    assert report.title == "National outcomes"
    assert lines(report.text)[:2] == ["Outcomes", "Abstinence at review."]
    assert report.ids == ("top",)
    assert report.links == (path.as_uri() + "#top", (tmp_path / "other.html").as_uri())
    assert not report.layout.overflows_horizontally and report.layout.wide_elements == ()


def test_console_errors_and_warnings_are_problems_and_plain_logs_are_not(browser, tmp_path):
    path = page(tmp_path, '<script>console.log("fine"); console.error("boom");'
                          ' console.warn("careful", 3);</script>')
    report = browser.open(path)
    # page() puts the body on the file's third line
    assert report.problems == [f"console error: boom ({path.as_uri()}:3)",
                               f"console warning: careful 3 ({path.as_uri()}:3)"]
    assert [(m.level, m.text) for m in report.console] == [
        ("log", "fine"), ("error", "boom"), ("warning", "careful 3")]


def test_an_uncaught_exception_is_a_problem(browser, tmp_path):
    path = page(tmp_path, '<script>throw new Error("no such outcome")</script>')
    report = browser.open(path)
    assert report.problems == [f"uncaught exception: Error: no such outcome ({path.as_uri()}:3)"]


def test_a_missing_stylesheet_or_image_is_a_failed_load_reported_once(browser, tmp_path):
    path = page(tmp_path, '<img src="chart.png" alt="chart">',
                head='<link rel="stylesheet" href="missing.css">')
    report = browser.open(path)
    missing = [(tmp_path / name).as_uri() for name in ("missing.css", "chart.png")]
    assert report.problems == [f"failed to load {url}: net::ERR_FILE_NOT_FOUND" for url in missing]
    # chromium's own console line about each failed load is kept, but not counted twice
    assert [m.url for m in report.console if m.source == "network"] == missing


def test_problems_of_one_page_do_not_follow_into_the_next(browser, tmp_path):
    browser.open(page(tmp_path, '<script>console.error("boom")</script>', name="bad.html"))
    assert browser.open(page(tmp_path, CLEAN_BODY, name="clean.html")).problems == []


def test_a_screenshot_is_a_png_of_the_viewport_asked_for(tmp_path):
    require_chromium()
    shot = tmp_path / "shots" / "page.png"
    report = open_page(page(tmp_path, CLEAN_BODY), screenshot=shot, width=800, height=600)
    assert report.screenshot == shot and png_size(shot) == (800, 600)


def test_a_full_page_screenshot_covers_the_whole_page(browser, tmp_path):
    shot = tmp_path / "whole.png"
    report = browser.open(page(tmp_path, '<div style="height: 3000px">Tall</div>'), screenshot=shot,
                          full_page=True, width=800, height=600)
    assert report.layout.scroll_height > 3000
    assert png_size(shot) == (800, report.layout.scroll_height)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    return struct.unpack(">II", data[16:24])  # the IHDR chunk's width and height


PRINT_HEAD = "<style>@media print { .screen-only { display: none } }</style>"
PRINT_BODY = '<nav class="screen-only">Contents</nav><p>Abstinence at review.</p>'


def test_print_media_emulation_applies_the_print_rules(browser, tmp_path):
    path = page(tmp_path, PRINT_BODY, head=PRINT_HEAD)
    on_screen, printed = browser.open(path), browser.open(path, media="print")
    assert lines(on_screen.text) == ["Contents", "Abstinence at review."]
    assert lines(printed.text) == ["Abstinence at review."]


def test_a_horizontal_overflow_is_measured_and_located(browser, tmp_path):
    path = page(tmp_path, '<table id="rates" class="wide"><tr><td><div style="width: 1500px">'
                          '12 months</div></td></tr></table><p>Narrow</p>')
    layout = browser.open(path, width=1000).layout
    assert layout.viewport_width == 1000 and layout.scroll_width > 1500
    assert layout.overflows_horizontally
    assert layout.wide_elements == ("table#rates.wide",)  # the outermost culprit, not its cells


def test_evaluate_returns_the_values_of_expressions_after_load(browser, tmp_path):
    report = browser.open(page(tmp_path, CLEAN_BODY), evaluate={
        "links": "document.links.length", "colour": "getComputedStyle(document.body).color"})
    assert report.values == {"links": 2, "colour": "rgb(0, 0, 0)"}
    with pytest.raises(BrowserError, match="threw: ReferenceError"):
        browser.open(page(tmp_path, CLEAN_BODY), evaluate={"oops": "no_such_name"})


def living_processes_in_group(group: int) -> list[int]:
    """Processes of a process group that are not zombies (a container's init may not reap them)."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[2]) == group and fields[0] != "Z":
            living.append(int(stat.parent.name))
    return living


def test_a_page_that_never_loads_times_out_and_the_browser_is_killed(tmp_path):
    require_chromium()
    chromium = Chromium()
    with pytest.raises(BrowserError, match="did not answer in time, waiting for the page to load"):
        with chromium:
            assert living_processes_in_group(chromium.process.pid) != []
            chromium.open(page(tmp_path, "<script>while (true) {}</script>"), timeout=2)
    assert chromium.process.returncode is not None
    assert living_processes_in_group(chromium.process.pid) == []
    assert not Path(chromium._profile.name).exists()


def test_a_browser_that_exits_at_once_is_an_error_not_a_hang(tmp_path):
    broken = tmp_path / "broken-chromium"
    broken.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(BrowserError, match="chromium exited(.|\n)*cannot open display"):
        with Chromium(str(broken), timeout=10):
            pass


def test_a_missing_page_is_refused_before_starting_a_browser(tmp_path, monkeypatch):
    monkeypatch.delenv("PBR_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # so that starting one would fail differently
    with pytest.raises(FileNotFoundError, match="no page to open"):
        open_page(tmp_path / "national.html")


def test_pbr_chromium_chooses_the_browser(tmp_path, monkeypatch):
    chosen = tmp_path / "my-chromium"
    chosen.write_text("#!/bin/sh\n")
    chosen.chmod(0o755)
    monkeypatch.setenv("PBR_CHROMIUM", str(chosen))
    assert find_chromium() == str(chosen) == require_chromium()


def test_a_pbr_chromium_that_is_not_there_fails_rather_than_skips(tmp_path, monkeypatch):
    monkeypatch.setenv("PBR_CHROMIUM", str(tmp_path / "absent"))
    assert find_chromium() is None
    with pytest.raises(pytest.fail.Exception, match="is not an executable"):
        require_chromium()


def test_without_chromium_the_browser_tests_skip_saying_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PBR_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_chromium()
    with pytest.raises(BrowserError, match="chromium not found") as raised:
        Chromium()
    assert str(raised.value) == NOT_FOUND
