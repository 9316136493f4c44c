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

import functools
import html
import re
from pathlib import Path
from typing import Iterable

import attrs
import jinja2
from markupsafe import Markup, escape

from ..evaluate import Ruleset, load
from ..resolve import NAME_REF_RE, RulesetLibrary
from ..tree import Status
from .pages import RulesetPage, build_page, in_force, page_stem
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
    with every base they extend, each once, bases first."""
    folders = list(folders)
    library = RulesetLibrary(folders)
    wanted = list(refs)
    if every:
        wanted += library.names()
    loaded: dict = {}
    for ref in wanted:
        if NAME_REF_RE.fullmatch(str(ref)) and "@" not in str(ref) and library.versions(str(ref)):
            for version in library.versions(str(ref)):
                _load(f"{ref}@{version}", folders, loaded)
        else:
            _load(ref, folders, loaded)
    return sorted(loaded.values(), key=_chain)


def _load(ref, folders: list, loaded: dict) -> None:
    ruleset = load(ref, folders)
    base = ruleset.checked.resolved.base
    if ruleset.ref in loaded:
        return
    loaded[ruleset.ref] = ruleset
    if base is not None and base.ref not in loaded:
        _load(base.path, folders, loaded)


def _chain(ruleset: Ruleset) -> tuple:
    """(root ref, ..., own ref): sorting by it puts every base before what extends it."""
    chain, resolved = [], ruleset.checked.resolved
    while resolved is not None:
        chain.insert(0, (resolved.name, _version_key(resolved.version)))
        resolved = resolved.base
    return tuple(chain)


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in version.split("."))


def build_site(rulesets: list) -> Site:
    by_ref = {ruleset.ref: ruleset for ruleset in rulesets}
    stems = {ref: page_stem(ref) for ref in by_ref}
    pages = []
    for ruleset in rulesets:
        base = ruleset.checked.resolved.base
        pages.append(build_page(ruleset, ruleset.checked.resolved.file_names(), stems,
                                by_ref.get(base.ref) if base is not None else None))
    return Site(tuple(pages), _lineage(pages))


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
_CODE = re.compile(r"`([^`]+)`")
_MARKDOWN_SPECIAL = re.compile(r"([\\<>*\[\]|_#])")


def inline_html(text, links: dict | None = None) -> Markup:
    """Text of the rules in HTML: escaped, each `name` as code, linked to its anchor when it has one."""
    def code(match) -> str:
        target = (links or {}).get(html.unescape(match.group(1)))
        shown = f"<code>{match.group(1)}</code>"
        return f'<a href="#{escape(target)}">{shown}</a>' if target else shown
    return Markup(_CODE.sub(code, str(escape("" if text is None else text))))


def inline_md(text, links: dict | None = None) -> str:
    """Text of the rules in Markdown, on one line: each `name` kept as code (linked when it has an
    anchor), everything else escaped so that no text of a ruleset makes markup or HTML."""
    out = []
    for index, part in enumerate(_CODE.split(" ".join(str("" if text is None else text).split()))):
        if index % 2:
            target = (links or {}).get(part)
            out.append(f"[`{part}`](#{target})" if target else f"`{part}`")
        else:
            out.append(_MARKDOWN_SPECIAL.sub(r"\\\1", part))
    return "".join(out)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pbr_rules", "templates/docs"), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(inline=inline_html, md=inline_md, status=lambda s: Status(s).words if s else "")
    environment.globals.update(in_force=in_force)
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


def write_site(files: dict, out: Path) -> list:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def page_of(site: Site, ref: str) -> RulesetPage:
    return next(page for page in site.pages if page.ref == ref)
