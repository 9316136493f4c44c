"""`pbr docs`: the generated documentation site, HTML and Markdown.

Golden pages of a small ruleset that has every kind of declaration; a link check over the whole
shipped site in both formats; every outcome, record, the parameters and the examples within two
clicks of the index; untrusted texts shown, never run; worked examples computed when the site is
built (a failing one fails `pbr docs`); the shipped Markdown in docs/rules/ kept fresh; and the
national page opened in a real browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import assert_golden, codes_of
from pbr_rules.cli import main
from pbr_rules.errors import PbrError
from pbr_rules.declarations import TABLES
from pbr_rules.docs.pages import TABLE_SECTIONS, anchor, outcome_url, page_stem
from pbr_rules.docs.site import build_site, collect, inline_html, inline_md, render_site

HERE = Path(__file__).parent
SMALL = HERE / "docs" / "rulesets"
GOLDEN = HERE / "docs" / "golden"
REPOSITORY = HERE.parent
SHIPPED_DOCS = REPOSITORY / "docs" / "rules"


@pytest.fixture(scope="module")
def small_site():
    return build_site(collect(["small"], [SMALL]))


@pytest.fixture(scope="module")
def shipped_site():
    return build_site(collect([], every=True))


@pytest.fixture(scope="module")
def shipped_html(shipped_site):
    return render_site(shipped_site, "html")


@pytest.fixture(scope="module")
def shipped_md(shipped_site):
    return render_site(shipped_site, "md")


# ---- rendering ----------------------------------------------------------------------------------
def test_text_of_the_rules_is_escaped_and_names_become_linked_code():
    links = {"representation_window": "parameter-representation_window"}
    shown = inline_html("<b>x</b> & `representation_window` and `w`", links)
    assert shown == ('&lt;b&gt;x&lt;/b&gt; &amp; <a href="#parameter-representation_window"><code>representation_window'
                     '</code></a> and <code>w</code>')
    assert inline_md("a *b* [c](d) <i> | `representation_window`", links) == (
        r"a \*b\* \[c\](d) \<i\> \| [`representation_window`](#parameter-representation_window)")
    assert inline_md("two\nlines") == "two lines"


def test_templates_refuse_a_missing_value_and_escape_html():
    import jinja2
    from pbr_rules.docs.site import _environment
    environment = _environment()
    with pytest.raises(jinja2.UndefinedError):
        environment.get_template("ruleset.html.j2").render(site=None, suffix=".html")
    assert environment.from_string("{{ text }}").render(text="<b>") == "&lt;b&gt;"
    assert environment.get_template("ruleset.md.j2").environment.autoescape("ruleset.md.j2") is False


def test_the_small_ruleset_pages_are_golden(small_site):
    for fmt in ("html", "md"):
        files = render_site(small_site, fmt)
        for name, text in files.items():
            if name.endswith((".source.html", ".css")):
                continue  # Pygments' own markup and CSS: checked by the link check and the browser instead
            assert_golden(GOLDEN / name, text)


def test_every_table_of_declarations_has_a_place_on_the_page(small_site):
    from pbr_rules.evaluate import load
    assert set(TABLE_SECTIONS) == set(TABLES)
    html = render_site(small_site, "html")["small-1.0.0.html"]
    tables = load("small@1.0.0", [SMALL]).checked.resolved.tables
    missing = []
    for table in TABLES:
        assert tables[table], f"the small ruleset should have a declaration of every kind: none in {table}"
        for number, name in enumerate(tables[table], 1):
            wanted = f"example-{number}" if table == "examples" else anchor(table, name)
            if f'id="{wanted}"' not in html:
                missing.append(wanted)
    assert missing == []


HOSTILE_TAGS = {"script", "img", "iframe", "svg", "b"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def _unescaped(text: str, character: str) -> int:
    return len(re.findall(r"(?<!\\)" + re.escape(character), text))


def test_untrusted_texts_are_shown_never_run(small_site):
    html = render_site(small_site, "html")
    page = html["small-1.0.0.html"]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; is shown, never run" in page
    markdown = render_site(small_site, "md")["small-1.0.0.md"]
    assert r"\<script\>alert('x')\</script\> is shown" in markdown and r"\[a link\](http://example.org)" in markdown


def test_a_hostile_ruleset_makes_no_markup_in_either_format():
    """Every text of tests/docs/rulesets/hostile tries to make HTML or Markdown (unclosed code spans,
    pipes in table cells, list markers, comments): none of it may become markup."""
    site = build_site(collect(["hostile"], [SMALL]))
    for name, text in render_site(site, "html").items():
        if name.endswith(".html"):
            tags = _Tags()
            tags.feed(text)
            assert tags.tags & HOSTILE_TAGS == set() and tags.handlers == [], name
    for name, text in render_site(site, "md").items():
        if name.endswith(".source.md"):  # the source is in a fence longer than any run of backticks in it
            fence = text.split("\n")[[line.endswith("pbr") for line in text.split("\n")].index(True)][:-3]
            assert len(fence) >= 3 and all(len(run) < len(fence) for run in re.findall("`+", text.split(fence)[1]))
            continue
        ours = re.sub(r'<a id="[A-Za-z0-9_-]+"></a>', "", text)
        assert _unescaped(ours, "<") == 0, name
        code_spans = re.sub(r"`[^`<>|\\\n]+`", "", ours)  # code without markup in it: the templates' own
        assert _unescaped(code_spans, "`") == 0, name
        for table in re.findall(r"(?m)^(\|.*\|\n\|[-|]+\|\n(?:\|.*\|\n)*)", ours):
            rows = table.strip().split("\n")
            assert len({_unescaped(row, "|") for row in rows}) == 1, rows
        assert not re.search(r"(?m)^(- a list item|1\. an ordered)", ours)


def test_an_example_cannot_read_or_publish_a_file_outside_its_ruleset_folder(tmp_path, rulesets):
    from pbr_rules.errors import Code
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"id": "S1", "note": "SECRET"}\n')
    folder = rulesets.root / "leak"
    folder.mkdir(parents=True)
    (folder / "linked.jsonl").symlink_to(secret)
    for client_file in ("../../secret.jsonl", str(secret), "linked.jsonl"):
        rulesets.write("leak", "1.0.0", f"""
            ruleset leak version 1.0.0
            extends national 1.0.0
            example "x"
              client "S1" from "{client_file}" as of 2013-01-01
              expect planned_exit pending
            """)
        with pytest.raises(PbrError) as caught:
            rulesets.load("leak@1.0.0")
        assert codes_of(caught.value) == [Code.EXAMPLE_FILE_OUTSIDE] and "SECRET" not in str(caught.value)


def test_the_same_rulesets_give_the_same_bytes_whatever_the_hash_seed_or_folder(tmp_path):
    """Two processes with different hash seeds, one with the ruleset given by its path from elsewhere:
    the same bytes, and no path of the machine in them."""
    import os
    import subprocess
    import sys
    outputs = []
    for seed, ref in (("1", "small"), ("2", str(SMALL / "small" / "1.0.0.pbr"))):
        out = tmp_path / f"site{seed}"
        command = [sys.executable, "-m", "pbr_rules.cli", "docs", ref, "--rulesets", str(SMALL), "--out", str(out),
                   "--format", "md"]
        subprocess.run(command, check=True, capture_output=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONHASHSEED=seed))
        outputs.append({path.name: path.read_bytes() for path in out.iterdir()})
    assert outputs[0] == outputs[1]
    assert not any(str(REPOSITORY).encode() in text or str(tmp_path).encode() in text for text in outputs[0].values())


# ---- worked examples ----------------------------------------------------------------------------
def test_a_worked_example_shows_records_windows_and_results_computed_beside_expected(shipped_site):
    national = next(page for page in shipped_site.pages if page.ref == "national@1.0.0")
    first = national.examples[0]
    assert first.title == "Successful discharge, no re-presentation for 12 months"
    assert [(w.outcome, w.unit, w.start, w.end) for w in first.windows] == [
        ("sustained_recovery", "E1", "2012-12-01", "2013-11-30")]
    episodes = next(table for table in first.tables if table.list_name == "episodes")
    assert episodes.columns[:3] == ("id", "start", "end") and episodes.rows[0][0][0] == "E1"
    assert [(c.expected, c.computed, c.passed) for c in first.checks] == [
        ("achieved on 2012-11-30", "achieved on 2012-11-30", True),
        ("achieved on 2013-11-30", "achieved on 2013-11-30", True)]


def test_a_restarted_window_says_after_what_and_a_lagged_record_when_it_is_known(small_site):
    second = small_site.pages[0].examples[1]
    assert second.windows[0].restarts == ("the offence of 2012-12-01",)
    offences = next(table for table in second.tables if table.list_name == "offences")
    assert [note for _, note in offences.rows] == [
        "", "an offence is dated 2013-02-15, which with the offence lag of 1 month is after the as-of date: not counted"]


def test_a_failing_example_fails_pbr_docs_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "rulesets" / "small"
    folder.mkdir(parents=True)
    text = (SMALL / "small" / "1.0.0.pbr").read_text().replace("pending until 2013-07-01", "pending until 2013-07-02")
    (folder / "1.0.0.pbr").write_text(text)
    out = tmp_path / "site"
    assert main(["docs", "small", "--rulesets", str(tmp_path / "rulesets"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "expected pending until 2013-07-02, got pending until 2013-07-01" in err
    assert "no documentation written" in err and not out.exists()


# ---- the site -----------------------------------------------------------------------------------
def test_pbr_docs_writes_the_named_rulesets_and_their_bases(tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["docs", "wigan", "--out", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "index.html", "national-1.0.0.html", "national-1.0.0.source.html", "style.css", "wigan-1.0.0.html",
        "wigan-1.0.0.source.html", "wigan-1.1.0.html", "wigan-1.1.0.source.html"]
    index = (out / "index.html").read_text()
    assert re.search(r"national@1.0.0</a> &rarr; <a[^>]*>wigan@1.0.0</a> &rarr; <a[^>]*>wigan@1.1.0", index)
    assert main(["docs", "--out", str(out)]) == 2


def test_a_page_says_how_it_differs_from_its_base_with_old_and_new_values_and_the_reason(shipped_site):
    wigan = next(page for page in shipped_site.pages if page.ref == "wigan@1.0.0")
    said = [text for _, _, text in wigan.differences]
    assert "`representation_window` changes from 12 months to 6 months." in said
    assert any(text.startswith("The reason given by wigan@1.0.0: \"Wigan will be measuring") for text in said)
    for ref in ("wigan@1.0.0", "wigan@1.1.0"):  # two levels down, the value it replaced is still national's
        page = next(page for page in shipped_site.pages if page.ref == ref)
        window = next(row for row in page.parameters if row.name == "representation_window")
        assert (window.base_value, window.declared_by) == ("12 months", "wigan@1.0.0") and window.reason
        sustained = next(o for o in page.outcomes if o.name == "sustained_recovery")
        assert "`representation_window` (was 12 months, now 6 months, set by wigan@1.0.0)" in sustained.changed_since
    assert wigan.effective_until == "31 March 2013; wigan 1.1.0 from the next day"


def test_a_cohort_example_shows_each_member(shipped_site):
    bracknell = next(page for page in shipped_site.pages if page.ref == "bracknell@1.0.0")
    cohort = bracknell.examples[0]
    assert cohort.tables == () and cohort.windows == ()
    assert [(m[1], m[3], m[5]) for m in cohort.members] == [("B1", "2012-05-10", "1"), ("B4", "2012-04-01", "0")]
    assert [(c.expected, c.computed) for c in cohort.checks] == [
        ("pending", "pending until 2014-03-31"), ("pending until 2014-03-31", "pending until 2014-03-31")]


def test_two_files_of_one_ruleset_are_refused_not_merged(tmp_path):
    import shutil
    shutil.copytree(REPOSITORY / "rulesets" / "national", tmp_path / "national")
    copy = tmp_path / "national" / "1.0.0.pbr"
    copy.write_text(copy.read_text().replace("representation_window = 12 months", "representation_window = 9 months"))
    with pytest.raises(Exception, match="two different files are national@1.0.0"):
        collect([str(copy), "wigan@1.0.0"])


def test_pbr_docs_reports_a_bad_out_folder_and_removes_only_its_own_stale_pages(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["docs", "national", "--out", str(afile)]) == 2
    assert "cannot write the site" in capsys.readouterr().err
    out = tmp_path / "site"
    assert main(["docs", "wigan@1.0.0", "--out", str(out)]) == 0
    (out / "notes.html").write_text("mine")
    assert main(["docs", "national", "--out", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "index.html", "national-1.0.0.html", "national-1.0.0.source.html", "notes.html", "style.css"]
    assert "removed 2 pages an earlier run wrote there" in capsys.readouterr().err


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "link" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def _html_links(files: dict) -> dict:
    parsed = {}
    for name, text in files.items():
        if name.endswith(".html"):
            parser = _Links()
            parser.feed(text)
            parsed[name] = parser
    return parsed


def _broken(files: dict, parsed: dict) -> list:
    broken = []
    for name, links in parsed.items():
        for href in links.hrefs:
            if re.match(r"[a-z]+:", href):
                continue
            target, _, fragment = href.partition("#")
            target = target or name
            if target not in files:
                broken.append(f"{name}: {href} (no such file)")
            elif fragment and fragment not in parsed.get(target, _Links()).ids | _md_ids(files, target):
                broken.append(f"{name}: {href} (no such anchor)")
    return broken


def _md_ids(files: dict, name: str) -> set:
    return set(re.findall(r'<a id="([^"]+)"></a>', files.get(name, "")))


def test_every_internal_link_and_anchor_resolves_in_html(shipped_html):
    assert _broken(shipped_html, _html_links(shipped_html)) == []
    bad = dict(shipped_html, **{"index.html": shipped_html["index.html"] + '<a href="national-1.0.0.html#nope">x</a>'})
    assert _broken(bad, _html_links(bad)) == ["index.html: national-1.0.0.html#nope (no such anchor)"]


def test_every_internal_link_and_anchor_resolves_in_markdown(shipped_md):
    broken = []
    for name, text in shipped_md.items():
        for href in re.findall(r"\]\(([^)\s]+)\)", text):
            target, _, fragment = href.partition("#")
            target = target or name
            if target not in shipped_md:
                broken.append(f"{name}: {href} (no such file)")
            elif fragment and fragment not in _md_ids(shipped_md, target):
                broken.append(f"{name}: {href} (no such anchor)")
    assert broken == []


def test_any_outcome_record_the_parameters_and_examples_are_two_clicks_from_the_index(shipped_html, shipped_site):
    parsed = _html_links(shipped_html)
    reached, frontier = set(), {"index.html"}
    for _ in range(2):
        step = set()
        for name in frontier:
            for href in parsed[name].hrefs:
                target, _, fragment = href.partition("#")
                step.add((target or name, fragment))
        reached |= step
        frontier = {target for target, _ in step if target.endswith(".html")}
    for page in shipped_site.pages:
        wanted = [o.anchor for o in page.outcomes] + [r.anchor for r in page.records] + ["parameters", "examples"]
        missing = [a for a in wanted if (f"{page.stem}.html", a) not in reached]
        assert missing == [], page.ref


def test_explain_links_each_outcome_to_its_rules(tmp_path, capsys):
    assert outcome_url("https://x.org/rules/", "wigan@1.1.0", "planned_exit") == \
        "https://x.org/rules/wigan-1.1.0.html#outcome-planned_exit"
    assert page_stem("wigan@1.1.0") == "wigan-1.1.0"
    data = REPOSITORY / "rulesets" / "national" / "examples" / "clients.jsonl"
    assert main(["explain", "national", "--data", str(data), "--client", "S1", "--as-of", "2013-12-31",
                 "--docs-url", "https://x.org/rules"]) == 0
    out = capsys.readouterr().out
    assert "  the rules: https://x.org/rules/national-1.0.0.html#outcome-sustained_recovery" in out


def test_the_shipped_markdown_in_docs_rules_is_fresh(shipped_md):
    """docs/rules/ is `pbr docs --all --format md --out docs/rules`; regenerate it when this fails."""
    shipped = {path.name: path.read_text(encoding="utf-8") for path in SHIPPED_DOCS.glob("*.md")}
    stale = sorted(name for name in shipped_md.keys() | shipped.keys() if shipped_md.get(name) != shipped.get(name))
    assert stale == [], "docs/rules is stale: run `pbr docs --all --format md --out docs/rules`"


# ---- in a real browser --------------------------------------------------------------------------
def test_the_national_page_renders_in_a_real_browser_with_no_console_errors(tmp_path, shipped_html, shipped_site):
    from browser import Chromium, require_chromium
    require_chromium()
    for name, text in shipped_html.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with Chromium() as browser:
        report = browser.open(tmp_path / "national-1.0.0.html", screenshot=tmp_path / "national.png")
        assert report.problems == [] and not report.layout.overflows_horizontally
        assert report.title == "National drug and alcohol recovery outcomes (national 1.0.0)"
        assert "Abstinence at two TOP reviews" in report.text and "outcome-sustained_recovery" in report.ids
        assert (tmp_path / "national.png").read_bytes()[:4] == b"\x89PNG"
        for page in ("national-1.0.0.html", "bracknell-1.0.0.html", "index.html"):  # a phone's width
            narrow = browser.open(tmp_path / page, width=400, height=900)
            assert not narrow.layout.overflows_horizontally, (page, narrow.layout.wide_elements)
        hidden = "getComputedStyle(document.querySelector('nav.contents')).display"
        assert browser.open(tmp_path / "national-1.0.0.html", evaluate={"nav": hidden}).values["nav"] != "none"
        printed = browser.open(tmp_path / "national-1.0.0.html", media="print", evaluate={"nav": hidden})
        assert "Skip to the content" not in printed.text and printed.values["nav"] == "none"
        assert "Abstinence at two TOP reviews" in printed.text
        # an outcome's first line: its number sits level with its code, on screen and in print (where
        # long lines wrap)
        national = next(page for page in shipped_site.pages if page.ref == "national@1.0.0")
        line = next(o for o in national.outcomes if o.name == "sustained_recovery").place.line
        number = f"document.querySelector('#L-{line} a[href=\"#L-{line}\"]')"
        level = f"Math.abs({number}.getBoundingClientRect().top - {number}.nextElementSibling.getBoundingClientRect().top)"
        wide = "document.documentElement.scrollWidth <= window.innerWidth"
        for media in (None, "print"):
            source = browser.open(tmp_path / "national-1.0.0.source.html", media=media,
                                  evaluate={"drift": level, "fits": wide})
            assert source.problems == [] and source.values["drift"] < 3
        assert source.values["fits"], "printed source must wrap, not run off the page"


# ---- style --------------------------------------------------------------------------------------
def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_text_colour_has_aa_contrast_on_every_background(small_site):
    css = render_site(small_site, "html")["style.css"]
    variables = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    resolved = re.sub(r"var\(--([a-z-]+)\)", lambda m: variables[m.group(1)], css)
    texts = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", resolved))
    backgrounds = set(re.findall(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})", resolved)) | {"#ffffff"}
    backgrounds -= {"#fff3b0"}  # the highlight of a linked line: a marker behind text, checked below on its own
    assert len(texts) >= 10 and len(backgrounds) >= 3
    weak = sorted(f"{t} on {b}: {contrast(t, b):.2f}" for t in texts for b in backgrounds if contrast(t, b) < 4.5)
    assert weak == []
    assert min(contrast(t, "#fff3b0") for t in texts) >= 4.5
    assert contrast("#777777", "#ffffff") < 4.5  # the measure can fail: a light grey does
