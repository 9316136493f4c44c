"""Resolve: find rulesets by reference, apply `extends` and `override`, report clashes.

The result is one flat, frozen ``ResolvedRuleset``: a table per kind of declaration (see
``declarations``) holding everything in force, with a note of where each came from and of every
override and its reason. Declarations are filed by the table of kinds, never by their class.

A bare name with a date picks the version in force that day (docs/versions.md): each version is in
force from its `effective from` until the day before the next version's, or its own `effective
until` if that comes first.
"""

from __future__ import annotations

import datetime
import enum
import functools
import re
from pathlib import Path
from typing import Iterable, Optional

import attrs

from . import tree
from .declarations import KINDS, TABLES, DeclarationKind, Inheritance, kind_of, sharing
from .errors import Code, Problems, RulesetError, RulesetNotFound, Span, UsageError, raise_all
from .parse import parse_file
from .resources import file_kind, shipped_rulesets_dir
from .words import article, did_you_mean

VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
NAME_REF_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(@[0-9]+\.[0-9]+\.[0-9]+)?$")  # name or name@version


def version_key(version: str):
    return tuple(int(part) for part in version.split("."))


def _parsed(path: Path) -> tree.Module:
    """The parsed file; parsed once per content, since resolving by date reads every version's header."""
    return _parse_content(str(path), path.read_bytes())


@functools.lru_cache(maxsize=32)
def _parse_content(path: str, content: bytes) -> tree.Module:
    # keyed by the content, not the time it was written: a file rewritten within a clock tick is read again
    return parse_file(path)


class Choice(enum.StrEnum):
    """How a ruleset reference was turned into one file."""

    PATH = "path"        # a .pbr file named by its path
    PINNED = "pinned"    # name@version
    LATEST = "latest"    # a bare name where no date is given: its latest version
    BY_DATE = "by date"  # a bare name with a date: the version in force that day


@attrs.frozen(slots=True)
class InForce:
    """When one version of a ruleset is in force: from ``first`` to ``last``, both included (None:
    no limit on that side). ``replaced_by``: the next version, when it starts on or before this
    one's first day, so that this one is never in force."""

    name: str
    version: str
    path: Path
    first: Optional[datetime.date]
    last: Optional[datetime.date]
    replaced_by: Optional[str] = None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def never(self) -> bool:
        return self.replaced_by is not None or bool(self.first and self.last and self.last < self.first)

    def covers(self, day: datetime.date) -> bool:
        return (not self.never and (self.first is None or self.first <= day)
                and (self.last is None or day <= self.last))

    @property
    def words(self) -> str:
        """`from 2012-04-01 until 2013-03-31`, in the words of the header."""
        if self.replaced_by:
            return f"on no date ({self.replaced_by} is in force from its first day)"
        if self.never:
            return f"on no date (its last day, {self.last}, comes before its first, {self.first})"
        if self.first is None:
            return f"until {self.last}" if self.last else "at any date"
        return f"from {self.first}" + (f" until {self.last}" if self.last else "")


@attrs.frozen(slots=True)
class Selection:
    """Which file a reference means, how it was chosen, and whether it is in force on the date."""

    asked: str
    path: Path
    choice: Choice
    as_of: Optional[datetime.date] = None
    period: Optional[InForce] = None      # when the chosen version is in force (None: no date asked)
    in_force: Optional[InForce] = None    # the version in force on the date (None: none is)

    @property
    def note(self) -> Optional[str]:
        """What a bare name was taken to mean, for the person who gave it."""
        if self.choice is Choice.BY_DATE:
            return f"{self.asked} means {self.period.ref}, in force on {self.as_of}"
        return None

    @property
    def warning(self) -> Optional[str]:
        """Set when a pinned version or a file is used on a date it is not in force."""
        if self.period is None or self.period.covers(self.as_of):
            return None
        instead = f"; {self.in_force.ref} is in force then" if self.in_force else ""
        return (f"{self.period.ref} is in force {self.period.words}, not on {self.as_of}{instead}: "
                f"the results follow {self.period.ref} as asked")


def _not_shadowing(path: Path, name: str, version: str) -> None:
    """A ruleset found in a folder of the user's may not be a shipped one changed: extending
    `national 1.0.0` must mean the national framework, not a file of that name that happens to be
    found first (the same text is allowed: a copy changes nothing)."""
    shipped = shipped_rulesets_dir() / name / f"{version}.pbr"
    if not shipped.is_file() or path.resolve() == shipped.resolve():
        return
    text = path.read_bytes()
    if text == shipped.read_bytes():
        return
    first_line = text.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    raise RulesetError(f"{path} is {name} {version}, which is a shipped ruleset, but it is not the shipped text: "
                       "a ruleset may not replace a shipped one of the same name and version",
                       code=Code.SHADOWS_SHIPPED, span=Span(str(path), 1, 1), source_line=first_line,
                       hint=f"give yours a version of its own (or another name), and extend it by that; to use "
                            f"the shipped {name} {version}, remove this file")


def _listed(folder: Path) -> list:
    try:
        return list(folder.glob("*.pbr"))
    except OSError:
        return []


class RulesetLibrary:
    """Finds ruleset files: ``NAME/VERSION.pbr`` under each folder searched, first match wins."""

    def __init__(self, folders: Iterable[str | Path] = ()):
        self.folders = [Path(f) for f in folders] + [shipped_rulesets_dir()]

    def versions(self, name: str) -> list[str]:
        found = set()
        for folder in self.folders:
            for path in _listed(folder / name):
                if VERSION_RE.match(path.stem):
                    found.add(path.stem)
        return sorted(found, key=version_key)

    def names(self) -> list[str]:
        return sorted({p.parent.name for f in self.folders for p in f.glob("*/*.pbr")})

    def find(self, name: str, version: str | None = None, span: Span | None = None) -> Path:
        if version is None:
            versions = self.versions(name)
            if not versions:
                raise RulesetNotFound(f"no ruleset called `{name}`", span=span,
                                      hint=did_you_mean(name, self.names()) or _searched(self.folders))
            version = versions[-1]
        for folder in self.folders:
            path = folder / name / f"{version}.pbr"
            if file_kind(path) == "plain":  # a name too long for the file system is not there
                _not_shadowing(path, name, version)
                return path
        known = self.versions(name)
        if known:
            hint = f"versions of `{name}` found: {', '.join(known)}"
        else:
            hint = did_you_mean(name, self.names()) or _searched(self.folders)
        raise RulesetNotFound(f"no ruleset `{name}` version {version}", span=span, hint=hint)

    def periods(self, name: str) -> list[InForce]:
        """When each version of a ruleset is in force, in version order."""
        self.find(name)  # no version at all: the usual "no ruleset called" error
        found = [(version, self.find(name, version)) for version in self.versions(name)]
        headers = [_parsed(path).header for _, path in found]
        periods = []
        for (version, path), header, following in zip(found, headers, headers[1:] + [None]):
            ends = [header.effective_until] if header.effective_until else []
            if following is not None and following.effective is not None:
                ends.append(following.effective - datetime.timedelta(days=1))
            last = min(ends) if ends else None
            replaced = following is not None and (following.effective is None or bool(
                header.effective and following.effective <= header.effective))
            periods.append(InForce(name, version, path, header.effective, last,
                                   f"{name}@{following.version}" if replaced else None))
        return periods

    def locate(self, ref: str | Path) -> Path:
        """A path, ``name@version`` or ``name`` (the latest version) to a ruleset file."""
        return self.select(ref).path

    def select(self, ref: str | Path, as_of: datetime.date | None = None) -> Selection:
        """The file a reference means: with ``as_of``, a bare name means the version in force that
        day (a UsageError if none is), and a pinned version or a file is checked against its dates."""
        text = str(ref)
        # a name the library knows is that ruleset, even beside a folder of the same name (the natural
        # layout of a folder of one's own rulesets, given with --rulesets .)
        known_name = NAME_REF_RE.match(text) is not None and bool(self.versions(text.partition("@")[0]))
        path = None if known_name else _ruleset_path(text)
        if path is not None:
            if as_of is None:
                return Selection(text, path, Choice.PATH)
            header = _parsed(path).header
            own = InForce(header.name, header.version, path, header.effective, header.effective_until)
            return Selection(text, path, Choice.PATH, as_of, own)
        name, _, version = text.partition("@")
        if version and not VERSION_RE.match(version):
            raise RulesetNotFound(f"`{version}` is not a version", hint="write name@1.0.0")
        if as_of is None:
            return Selection(text, self.find(name, version or None), Choice.PINNED if version else Choice.LATEST)
        pinned = self.find(name, version) if version else None  # an unknown version: the usual error
        periods = self.periods(name)
        in_force = next((p for p in periods if p.covers(as_of)), None)  # periods never overlap
        if pinned is not None:
            period = next(p for p in periods if p.version == version)
            return Selection(text, pinned, Choice.PINNED, as_of, period, in_force)
        if in_force is None:
            dates = "; ".join(f"{p.ref} is in force {p.words}" for p in periods)
            raise UsageError(f"no version of `{name}` is in force on {as_of}: {dates}",
                             hint=f"evaluate as of a date within those, or pin a version with {name}@VERSION "
                                  "to use it on this date anyway")
        return Selection(text, in_force.path, Choice.BY_DATE, as_of, in_force, in_force)


def _ruleset_path(text: str) -> Path | None:
    """The file a reference names by its path; None for a name or name@version."""
    path = Path(text)
    if path.is_dir():
        inside = sorted(str(p) for p in path.glob("*.pbr"))[:3]
        raise RulesetNotFound(f"{text} is a folder, not a ruleset",
                              hint=(f"give a file, like {inside[0]}, or its folder's parent with --rulesets"
                                    if inside else None) or
                              "give a .pbr file, NAME@VERSION, or NAME; a folder of rulesets goes in --rulesets")
    if text.endswith(".pbr") or path.is_file():
        if not path.is_file():
            raise RulesetNotFound(f"no ruleset file {text}")
        return path
    return None


def _searched(folders) -> str:
    return "looked in " + ", ".join(str(f) for f in folders)


@attrs.frozen(slots=True)
class Override:
    kind: DeclarationKind
    name: str
    reason: str
    span: Span
    replaces: object   # the inherited declaration


@attrs.frozen(slots=True)
class ResolvedRuleset:
    name: str
    version: str
    title: Optional[str]
    effective: Optional[datetime.date]   # `effective from`: its first day in force
    description: Optional[str]
    path: str
    header: tree.Header
    base: Optional["ResolvedRuleset"]
    tables: dict                 # table name (declarations.TABLES) -> {name: declaration}, in file order
    overrides: tuple             # every Override in force, the base's first
    origin: dict                 # (table, name) -> the ref of the ruleset that declared it
    sources: dict                # path -> list of lines, for messages
    errors: tuple                # mistakes found here, reported with the checker's
    effective_until: Optional[datetime.date] = None   # its own last day in force, if the header says

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def file_names(self) -> dict:
        """Each file of this ruleset and its bases as ``national/1.0.0.pbr``, its place in a rulesets
        folder (a file elsewhere keeps the path it was given)."""
        names, resolved = {}, self
        while resolved is not None:
            path = Path(resolved.path)
            in_place = (path.parent.name, path.stem) == (resolved.name, resolved.version)
            names[resolved.path] = f"{resolved.name}/{path.name}" if in_place else resolved.path
            resolved = resolved.base
        return names

    @property
    def own_overrides(self) -> tuple:
        """The overrides this file makes (``overrides`` also holds its bases')."""
        return tuple(o for o in self.overrides if o.span.file == self.path)

    @property
    def enums(self) -> dict:
        return self.tables["enums"]

    @property
    def domains(self) -> dict:
        return self.tables["domains"]

    @property
    def records(self) -> dict:
        return self.tables["records"]

    @property
    def parameters(self) -> dict:
        return self.tables["parameters"]

    @property
    def definitions(self) -> dict:
        return self.tables["definitions"]

    @property
    def outcomes(self) -> dict:
        return self.tables["outcomes"]

    @property
    def examples(self) -> tuple:
        """This file's own examples."""
        return tuple(self.tables["examples"].values())


def resolve_file(path: str | Path, library: RulesetLibrary | None = None,
                 _chain: tuple = ()) -> ResolvedRuleset:
    library = library or RulesetLibrary()
    path = Path(path)
    module = _parsed(path)
    header = module.header
    key = (header.name, header.version)
    if key in _chain:
        chain = " extends ".join(f"{n} {v}" for n, v in _chain + (key,))
        raise RulesetError(f"rulesets extend each other in a circle: {chain}", code=Code.CIRCULAR_EXTENDS,
                           span=header.span, source_line=module.source.splitlines()[0])
    base = _resolve_base(path, module, library, _chain + (key,))
    filer = _Filer(header, base)
    _check_file_name(path, header, filer.problems)
    _check_effective_dates(header, filer.problems)
    for declaration in module.declarations:
        filer.file(declaration)
    sources = dict(base.sources) if base else {}
    sources[str(path)] = module.source.splitlines()
    attach_source_lines(filer.problems.errors, sources)
    if _chain:  # a base ruleset must resolve cleanly before anything can extend it
        raise_all(filer.problems.errors)
    return ResolvedRuleset(header.name, header.version, header.title, header.effective, header.description,
                           str(path), header, base, filer.tables, tuple(filer.overrides), filer.origin,
                           sources, tuple(filer.problems.errors), header.effective_until)


def _resolve_base(path: Path, module: tree.Module, library: RulesetLibrary, chain: tuple):
    extends = module.header.extends
    if extends is None:
        return None
    local = path.resolve().parent.parent
    # a base is looked for beside the extending ruleset first, then where the caller looks
    # (folders[:-1]: the constructor puts the shipped folder back, last)
    base_library = RulesetLibrary([local, *library.folders[:-1]])
    try:
        base_path = base_library.find(extends.name, extends.version, extends.span)
    except RulesetNotFound as error:
        error.source_line = module.source.splitlines()[extends.span.line - 1]
        raise
    return resolve_file(base_path, library, chain)


def _check_effective_dates(header: tree.Header, problems: Problems) -> None:
    """A version in force until before it is in force would never be in force."""
    if header.effective and header.effective_until and header.effective_until < header.effective:
        problems.add(Code.BAD_EFFECTIVE_DATES,
                     f"this version is in force from {header.effective} until {header.effective_until}: it "
                     "would never be in force, because its last day comes before its first",
                     header.span, "`effective until` is the last day in force, on or after `effective from`")


def _check_file_name(path: Path, header: tree.Header, problems: Problems) -> None:
    """A file at NAME/VERSION.pbr is found by that name and version: it must declare them."""
    if not VERSION_RE.match(path.stem):
        return
    folder = path.resolve().parent.name
    if (header.name, header.version) != (folder, path.stem):
        problems.add(Code.WRONG_FILE_NAME,
                     f"this file is {folder}/{path.stem}.pbr, so it must declare `ruleset {folder} version "
                     f"{path.stem}`, but it declares `ruleset {header.name} version {header.version}`",
                     header.span, "rulesets are found by their folder and file name: make the header and "
                                  "the file's place agree")


class _Filer:
    """Files one ruleset's declarations into tables that start as copies of its base's."""

    def __init__(self, header: tree.Header, base: ResolvedRuleset | None):
        self.base = base
        self.here = f"{header.name}@{header.version}"
        self.tables = {table: {} for table in TABLES}
        if base is not None:
            for kind in KINDS:
                if kind.inheritance is Inheritance.INHERITED:
                    self.tables[kind.table] = dict(base.tables[kind.table])
        self.origin = dict(base.origin) if base else {}
        self.overrides = list(base.overrides) if base else []
        self.own: dict = {}  # (table, name) -> the declaration of that name in this file
        self.problems = Problems()

    def file(self, declaration) -> None:
        kind = kind_of(declaration)
        if kind.inheritance is Inheritance.EXTENDS:
            self.extend_record(declaration)
        else:
            self.add(kind, declaration, getattr(declaration, "override_reason", None))

    def add(self, kind: DeclarationKind, declaration, override_reason: str | None) -> None:
        name = getattr(declaration, kind.key)
        values = self.tables[kind.table]
        if (kind.table, name) in self.own:
            first = self.own[(kind.table, name)]
            shown = f'"{name}"' if kind.key == "title" else f"`{name}`"
            return self.problems.add(Code.DUPLICATE_NAME, f"{kind.noun} {shown} is defined twice in this ruleset",
                                     declaration.span, f"the first is at line {first.span.line}")
        for other in sharing(kind):  # a name must mean one thing
            if name in self.tables[other.table] and not (override_reason is not None and name in values):
                return self.problems.add(
                    Code.DUPLICATE_NAME, f"`{name}` is already {article(other.noun)} {other.noun}; "
                    f"{article(kind.noun)} {kind.noun} cannot have the same name", declaration.span,
                    "choose another name")
        self.own[(kind.table, name)] = declaration
        if override_reason is not None:
            if not self.override(kind, declaration, name, override_reason):
                return
        elif name in values:
            return self.redefined(kind, declaration, name)
        values[name] = declaration
        self.origin[(kind.table, name)] = self.here

    def override(self, kind: DeclarationKind, declaration, name: str, reason: str) -> bool:
        values = self.tables[kind.table]
        if not kind.overridable:
            origin = self.origin.get((kind.table, name), self.base.ref if self.base else self.here)
            self.problems.add(Code.REDEFINED, f"a {kind.noun} cannot be overridden", declaration.span,
                              kind.redefine_hint.format(name=name, origin=origin))
            return False
        if self.base is None:
            self.problems.add(Code.NOTHING_TO_OVERRIDE, "nothing to override: this ruleset does not extend another",
                              declaration.span, "add `extends NAME VERSION` to the header, or remove `override`")
            return False
        if name not in values:
            hint = did_you_mean(name, values) or (f"`override` changes something inherited from {self.base.ref}; "
                                                  f"to add a new {kind.noun}, remove `override`")
            self.problems.add(Code.UNKNOWN_OVERRIDE, f"cannot override {kind.noun} `{name}`: {self.base.ref} has "
                              f"no {kind.noun} of that name", declaration.span, hint)
            return False
        if not reason.strip():
            self.problems.add(Code.EMPTY_REASON, f"the override of `{name}` gives no reason", declaration.span,
                              'say why in `because "..."`')
        self.overrides.append(Override(kind, name, reason, declaration.span, values[name]))
        return True

    def redefined(self, kind: DeclarationKind, declaration, name: str) -> None:
        inherited_from = self.origin.get((kind.table, name), self.base.ref if self.base else self.here)
        if kind.overridable:
            named = "" if name == kind.keyword else f" {name}"  # `contract`, `paid to`: one per ruleset
            hint = f'to change it, write `{kind.override_keyword}{named} ... because "..."`'
        else:
            hint = kind.redefine_hint.format(name=name, origin=inherited_from)
        self.problems.add(Code.REDEFINED, f"{kind.noun} `{name}` is already defined by {inherited_from}",
                          declaration.span, hint)

    def extend_record(self, extension: tree.RecordExtension) -> None:
        records = self.tables["records"]
        record = records.get(extension.name)
        if record is None:
            return self.problems.add(Code.BAD_EXTENSION, f"cannot extend record `{extension.name}`: there is no "
                                     "such record", extension.span, did_you_mean(extension.name, records))
        existing = {f.name for f in record.fields}
        new_fields = []
        for field in extension.fields:
            if field.name in existing:
                self.problems.add(Code.BAD_EXTENSION, f"record `{extension.name}` already has a field "
                                  f"`{field.name}`; an extension may add fields but not change them",
                                  field.span, "choose another field name")
            else:
                existing.add(field.name)
                new_fields.append(field)
        records[extension.name] = record.replace(fields=record.fields + tuple(new_fields))


def attach_source_lines(errors, sources: dict) -> None:
    for error in errors:
        if error.span and error.source_line is None:
            lines = sources.get(error.span.file)
            if lines and 0 < error.span.line <= len(lines):
                error.source_line = lines[error.span.line - 1]
