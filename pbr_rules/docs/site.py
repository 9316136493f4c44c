"""The documentation site: which rulesets it holds, and its pages written as HTML or Markdown.

``collect`` loads the rulesets asked for and every base they extend (a page links to its base's
page, so the base is always there); ``build_site`` reads each into a ``RulesetPage``; ``render_site``
lays the pages out with the Jinja templates in templates/docs/ (autoescaped HTML, escaped Markdown:
ruleset texts are untrusted and are shown, never run); ``write_site`` writes the files.

The site is static: no server, no script. It is deterministic: the same rulesets give the same
bytes (no build time, no absolute paths), so the Markdown shipped in docs/rules/ can be checked for
staleness by regenerating it.
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path
from typing import Iterable, Optional

import attrs
import jinja2
from markupsafe import Markup, escape

from ..errors import PbrError, UsageError
from ..compare import ShadowRun, ShadowSummary
from ..evaluate import Ruleset, load
from ..resolve import NAME_REF_RE, RulesetLibrary, version_key
from ..tree import Status
from .pages import VariantRun, build_page, in_force, page_stem
from .source import highlighted, stylesheet

FORMATS = {"html": ".html", "md": ".md"}


@attrs.frozen
class Site:
    pages: tuple                 # RulesetPage, each base before what extends it
    lineage: tuple               # (depth, page) in the order of a nested list: each base, then its extensions

    @property
    def failures(self) -> list:
        """Every failing expectation of every page's examples, as `pbr test` words it."""
        return [failure for page in self.pages for example in page.examples for failure in example.failures]


def collect(refs: Iterable[str], folders: Iterable = (), every: bool = False) -> list:
    """The rulesets named (a bare name means every version of it; ``every``: every ruleset found),
    with every base they extend, each once, bases first. Two different files with the same name and
    version are refused: the site would show one and call it both."""
    folders = list(folders)
    library = RulesetLibrary(folders)
    wanted = list(refs)
    if every:
        wanted += [name for name in library.names() if library.versions(name)]
    loaded: dict = {}
    for ref in wanted:
        if NAME_REF_RE.fullmatch(str(ref)) and "@" not in str(ref) and library.versions(str(ref)):
            for version in library.versions(str(ref)):
                _load(f"{ref}@{version}", library, folders, loaded)
        else:
            _load(ref, library, folders, loaded)
    return sorted((ruleset for ruleset, _ in loaded.values()), key=_chain)


def _load(ref, library: RulesetLibrary, folders: list, loaded: dict) -> None:
    path = Path(library.select(ref).path).resolve()
    if any(seen == path for _, seen in loaded.values()):
        return  # loaded already: its base, or named twice
    ruleset = load(path, folders)
    if ruleset.ref in loaded:
        raise UsageError(f"two different files are {ruleset.ref}: {loaded[ruleset.ref][1]} and {path}",
                         hint="document one of them (a ruleset's name and version say which file it is)")
    loaded[ruleset.ref] = (ruleset, path)
    base = ruleset.checked.resolved.base
    if base is not None:
        _load(base.path, library, folders, loaded)


def _chain(ruleset: Ruleset) -> tuple:
    """(root ref, ..., own ref): sorting by it puts every base before what extends it."""
    chain, resolved = [], ruleset.checked.resolved
    while resolved is not None:
        chain.insert(0, (resolved.name, version_key(resolved.version)))
        resolved = resolved.base
    return tuple(chain)


def build_site(rulesets: list, folders: Iterable = ()) -> Site:
    """The site of the rulesets (``collect``); ``folders`` are the rulesets folders they were found in,
    where the later versions of each say until when each version is in force."""
    stems = {ruleset.ref: page_stem(ruleset.ref) for ruleset in rulesets}
    periods = _periods(rulesets, RulesetLibrary(folders))
    by_ref = {ruleset.ref: ruleset for ruleset in rulesets}
    pages = [build_page(ruleset, _shown_files(ruleset), stems, periods.get(ruleset.ref), _variant(ruleset, by_ref))
             for ruleset in rulesets]
    return Site(tuple(pages), _lineage(pages))


VARIANT_AS_OF = datetime.date(2014, 6, 30)  # the example cohort's usual date (README): most of it decided


def _variant(ruleset: Ruleset, by_ref: dict) -> Optional[VariantRun]:
    """What a ruleset that extends another changes on its root's example cohort (examples/cohort.jsonl
    beside the root ruleset), as `pbr compare ROOT RULESET` shows it; None without such a cohort."""
    root = ruleset.checked.resolved
    while root.base is not None:
        root = root.base
    path = Path(root.path).parent / "examples" / "cohort.jsonl"
    if root is ruleset.checked.resolved or root.ref not in by_ref or not path.is_file():
        return None
    run = ShadowRun(by_ref[root.ref], ruleset, VARIANT_AS_OF)
    shadow = ShadowSummary(run)
    clients = 0
    with path.open("rb") as lines:
        for item in run.compare_lines(lines, str(path)):
            shadow.add(item)
            clients += 1
    shown = f"rulesets/{root.name}/examples/cohort.jsonl"
    return VariantRun(root.ref, shown, clients, VARIANT_AS_OF.isoformat(), shadow.differences, shadow.table())


def _shown_files(ruleset: Ruleset) -> dict:
    """Each file of the ruleset as the page names it: ``national/1.0.0.pbr`` in a rulesets folder, its
    file name alone elsewhere (a site shows no path of the machine that built it)."""
    return {path: shown if not Path(shown).is_absolute() else Path(shown).name
            for path, shown in ruleset.checked.resolved.file_names().items()}


def _periods(rulesets: list, library: RulesetLibrary) -> dict:
    """ref -> (last day in force, the next version's ref when it is what ends it), for each ruleset that
    is a version in a rulesets folder (a file given by its path is in force as its own header says)."""
    found = {}
    for name in {ruleset.checked.resolved.name for ruleset in rulesets}:
        try:
            periods = library.periods(name)
        except PbrError:
            continue
        for period, following in zip(periods, periods[1:] + [None]):
            own_end = period.last is not None and following is not None and following.first is not None \
                and period.last == following.first - datetime.timedelta(days=1)
            found[(name, period.version, Path(period.path).resolve())] = (
                period.last, f"{name}@{following.version}" if own_end else None)
    return {ruleset.ref: found[key] for ruleset in rulesets
            if (key := (ruleset.checked.resolved.name, ruleset.checked.resolved.version,
                        Path(ruleset.checked.resolved.path).resolve())) in found}


def _lineage(pages: list) -> tuple:
    children: dict = {}
    for page in pages:
        children.setdefault(page.extends if page.extends in {p.ref for p in pages} else None, []).append(page)
    out = []

    def walk(parent, depth):
        for page in children.get(parent, ()):
            out.append((depth, page))
            walk(page.ref, depth + 1)
    walk(None, 0)
    return tuple(out)


# ---- rendering -----------------------------------------------------------------------------------
# a name of the rules in backticks (the describer writes names so): shown as code, linked when it has an
# anchor. Only a name: anything else between backticks is text, escaped like the rest.
_CODE = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*(?: [A-Za-z0-9_]+)*)`")  # `paid to` is named in words
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#~])")
_MARKDOWN_LINE_START = re.compile(r"^(\d+(?=[.)])|)([-+=>.)])")  # a list item, a heading underline, a quote


def inline_html(text, links: dict | None = None) -> Markup:
    """Text of the rules in HTML: escaped, each `name` as code, linked to its anchor when it has one."""
    def code(match) -> str:
        target = (links or {}).get(match.group(1))
        shown = f"<code>{match.group(1)}</code>"
        return f'<a href="#{escape(target)}">{shown}</a>' if target else shown
    return Markup(_CODE.sub(code, str(escape("" if text is None else text))))


def inline_md(text, links: dict | None = None) -> str:
    """Text of the rules in Markdown, on one line (so also in a table cell): each `name` kept as code
    (linked when it has an anchor), every other character that could make markup or HTML escaped,
    backticks and pipes included, so that no text of a ruleset is read as markup."""
    out = []
    flat = " ".join(str("" if text is None else text).split())
    for index, part in enumerate(_CODE.split(flat)):
        if index % 2:
            target = (links or {}).get(part)
            out.append(f"[`{part}`](#{target})" if target else f"`{part}`")
        else:
            out.append(_MARKDOWN_SPECIAL.sub(r"\\\1", part))
    return _MARKDOWN_LINE_START.sub(r"\1\\\2", "".join(out))


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pbr_rules", "templates/docs"), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(inline=inline_html, md=inline_md, status=lambda s: Status(s).words if s else "")
    environment.globals.update(in_force=in_force, fence=_fence)
    return environment


def render_site(site: Site, fmt: str = "html") -> dict:
    """file name -> its text: the index, a page and a source page per ruleset, and (HTML) the stylesheet."""
    suffix = FORMATS[fmt]
    environment = _environment()
    common = {"site": site, "suffix": suffix}
    files = {f"index{suffix}": environment.get_template(f"index{suffix}.j2").render(**common)}
    for page in site.pages:
        files[f"{page.stem}{suffix}"] = environment.get_template(f"ruleset{suffix}.j2").render(page=page, **common)
        code = highlighted(page) if fmt == "html" else _fence(page.source)
        files[f"{page.stem}.source{suffix}"] = environment.get_template(f"source{suffix}.j2").render(
            page=page, code=code, **common)
    if fmt == "html":
        files["style.css"] = environment.get_template("style.css").render() + stylesheet()
    return files


def _fence(lines) -> str:
    """A Markdown code fence longer than any run of backticks in the text it holds."""
    longest = max((len(run) for line in lines for run in re.findall("`+", line)), default=0)
    return "`" * max(3, longest + 1)


# the files a site is made of, so that pages of rulesets no longer documented can be removed (and
# nothing else a folder holds is touched)
_SITE_PAGE = re.compile(r"(index|[A-Za-z0-9_]+-[0-9]+\.[0-9]+\.[0-9]+(\.source)?)\.(html|md)")


def write_site(files: dict, out: Path) -> tuple:
    """Write the files into ``out`` (made if missing); remove the pages of the same format an earlier
    run wrote there that this one did not (a ruleset no longer documented). (written, removed)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    suffixes = {Path(name).suffix for name in files} - {".css"}
    removed = [path for path in sorted(out.iterdir()) if path.is_file() and path.suffix in suffixes
               and _SITE_PAGE.fullmatch(path.name) and path.name not in files]
    for path in removed:
        path.unlink()
    return written, removed

