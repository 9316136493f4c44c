"""Resolve: find rulesets by reference, apply `extends` and `override`, report clashes.

The result is one flat ``ResolvedRuleset`` holding every enum, record, parameter, definition and
outcome in force, with a note of where each came from and of every override and its reason.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Iterable

import attrs

from . import ast
from .errors import RulesetError, RulesetNotFound, Span, raise_all
from .parse import parse_file
from .resources import shipped_rulesets_dir

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def _version_key(version: str):
    return tuple(int(part) for part in version.split("."))


class RulesetLibrary:
    """Finds ruleset files: ``NAME/VERSION.pbr`` under each folder searched, first match wins."""

    def __init__(self, folders: Iterable[str | Path] = ()):
        self.folders = [Path(f) for f in folders] + [shipped_rulesets_dir()]

    def versions(self, name: str) -> list[str]:
        found = set()
        for folder in self.folders:
            for path in (folder / name).glob("*.pbr"):
                if VERSION_RE.match(path.stem):
                    found.add(path.stem)
        return sorted(found, key=_version_key)

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
            if path.is_file():
                return path
        known = self.versions(name)
        if known:
            hint = f"versions of `{name}` found: {', '.join(known)}"
        else:
            hint = did_you_mean(name, self.names()) or _searched(self.folders)
        raise RulesetNotFound(f"no ruleset `{name}` version {version}", span=span, hint=hint)

    def locate(self, ref: str | Path) -> Path:
        """A path, ``name@version`` or ``name`` (the latest version) to a ruleset file."""
        text = str(ref)
        path = Path(text)
        if path.is_dir():
            inside = sorted(str(p) for p in path.glob("*.pbr"))[:3]
            raise RulesetNotFound(f"{text} is a folder, not a ruleset",
                                  hint=("give a file, like " + inside[0]) if inside else
                                  "give a .pbr file, NAME@VERSION, or NAME; a folder of rulesets goes in --rulesets")
        if text.endswith(".pbr") or path.is_file():
            if not path.is_file():
                raise RulesetNotFound(f"no ruleset file {text}")
            return path
        name, _, version = text.partition("@")
        if version and not VERSION_RE.match(version):
            raise RulesetNotFound(f"`{version}` is not a version", hint="write name@1.0.0")
        return self.find(name, version or None)


def _searched(folders) -> str:
    return "looked in " + ", ".join(str(f) for f in folders)


@attrs.frozen(slots=True)
class Override:
    kind: str          # parameter, definition, outcome
    name: str
    reason: str
    span: Span
    replaces: object   # the inherited declaration


@attrs.define(slots=True)
class ResolvedRuleset:
    name: str
    version: str
    title: str | None
    effective: object
    description: str | None
    path: str
    header: ast.Header
    base: "ResolvedRuleset | None"
    enums: dict = attrs.field(factory=dict)
    records: dict = attrs.field(factory=dict)       # name -> RecordDecl (fields merged)
    parameters: dict = attrs.field(factory=dict)
    definitions: dict = attrs.field(factory=dict)
    outcomes: dict = attrs.field(factory=dict)
    examples: list = attrs.field(factory=list)      # this file's own examples
    overrides: list = attrs.field(factory=list)
    origin: dict = attrs.field(factory=dict)        # (kind, name) -> "national@1.0.0"
    sources: dict = attrs.field(factory=dict)       # path -> list of lines
    errors: list = attrs.field(factory=list)        # mistakes found here, raised with the checker's

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def resolve_file(path: str | Path, library: RulesetLibrary | None = None,
                 _chain: tuple = ()) -> ResolvedRuleset:
    library = library or RulesetLibrary()
    path = Path(path)
    module = parse_file(path)
    header = module.header
    key = (header.name, header.version)
    if key in _chain:
        chain = " extends ".join(f"{n} {v}" for n, v in _chain + (key,))
        raise RulesetError(f"rulesets extend each other in a circle: {chain}",
                           span=header.span, source_line=module.source.splitlines()[0])
    errors: list[RulesetError] = []
    base = None
    if header.extends:
        name, version, span = header.extends
        local = path.resolve().parent.parent
        # a base is looked for beside the extending ruleset first, then where the caller looks
        # (folders[:-1]: the constructor puts the shipped folder back, last)
        base_library = RulesetLibrary([local, *library.folders[:-1]])
        try:
            base_path = base_library.find(name, version, span)
        except RulesetNotFound as error:
            error.source_line = module.source.splitlines()[span.line - 1]
            raise
        base = resolve_file(base_path, library, _chain + (key,))
    resolved = ResolvedRuleset(header.name, header.version, header.title, header.effective,
                               header.description, str(path), header, base)
    if base is not None:
        resolved.enums = dict(base.enums)
        resolved.records = dict(base.records)
        resolved.parameters = dict(base.parameters)
        resolved.definitions = dict(base.definitions)
        resolved.outcomes = dict(base.outcomes)
        resolved.origin = dict(base.origin)
        resolved.sources = dict(base.sources)
        resolved.overrides = list(base.overrides)
    resolved.sources[str(path)] = module.source.splitlines()
    here = resolved.ref
    own: dict = {}

    def table(kind):
        return {"enum": resolved.enums, "record": resolved.records,
                "parameter": resolved.parameters, "definition": resolved.definitions,
                "outcome": resolved.outcomes}[kind]

    def add(kind: str, decl, override_reason: str | None = None):
        name = decl.name
        values = table(kind)
        if (kind, name) in own:
            first = own[(kind, name)]
            errors.append(RulesetError(f"{kind} `{name}` is defined twice in this ruleset",
                                       span=decl.span, hint=f"the first is at line {first.span.line}"))
            return
        # parameters and definitions share one namespace: a name must mean one thing
        if kind in ("parameter", "definition"):
            other = "definition" if kind == "parameter" else "parameter"
            if name in table(other) and not (override_reason is not None and name in values):
                errors.append(RulesetError(
                    f"`{name}` is already a {other}; a {kind} cannot have the same name",
                    span=decl.span, hint="choose another name"))
                return
        own[(kind, name)] = decl
        if override_reason is not None:
            if base is None:
                errors.append(RulesetError(
                    "nothing to override: this ruleset does not extend another",
                    span=decl.span, hint="add `extends NAME VERSION` to the header, or remove `override`"))
                return
            if name not in values:
                hint = did_you_mean(name, values) or f"`override` changes something inherited from {base.ref}; to add a new {kind}, remove `override`"
                errors.append(RulesetError(
                    f"cannot override {kind} `{name}`: {base.ref} has no {kind} of that name",
                    span=decl.span, hint=hint))
                return
            if not override_reason.strip():
                errors.append(RulesetError(f"the override of `{name}` gives no reason", span=decl.span,
                                           hint='say why in `because "..."`'))
            resolved.overrides.append(Override(kind, name, override_reason, decl.span, values[name]))
        elif name in values:
            inherited_from = resolved.origin.get((kind, name), base.ref if base else here)
            if kind in ("parameter", "definition", "outcome"):
                keyword = {"parameter": "override parameter", "definition": "override define",
                           "outcome": "override outcome"}[kind]
                hint = f'to change it, write `{keyword} {name} ... because "..."`'
            else:
                hint = (f"to add fields, write `extend record {name}`" if kind == "record"
                        else "an inherited enum cannot be changed; declare a new one")
            errors.append(RulesetError(
                f"{kind} `{name}` is already defined by {inherited_from}",
                span=decl.span, hint=hint))
            return
        values[name] = decl
        resolved.origin[(kind, name)] = here

    for decl in module.declarations:
        if isinstance(decl, ast.EnumDecl):
            add("enum", decl)
        elif isinstance(decl, ast.RecordDecl) and decl.is_extension:
            record = resolved.records.get(decl.name)
            if record is None:
                errors.append(RulesetError(f"cannot extend record `{decl.name}`: there is no such record",
                                           span=decl.span, hint=did_you_mean(decl.name, resolved.records)))
                continue
            existing = {f.name for f in record.fields}
            new_fields = []
            for field in decl.fields:
                if field.name in existing:
                    errors.append(RulesetError(
                        f"record `{decl.name}` already has a field `{field.name}`; an extension may add fields but not change them",
                        span=field.span, hint="choose another field name"))
                else:
                    existing.add(field.name)
                    new_fields.append(field)
            resolved.records[decl.name] = attrs.evolve(record, fields=record.fields + tuple(new_fields))
        elif isinstance(decl, ast.RecordDecl):
            add("record", decl)
        elif isinstance(decl, ast.ParameterDecl):
            add("parameter", decl, decl.override_reason)
        elif isinstance(decl, ast.Definition):
            add("definition", decl, decl.override_reason)
        elif isinstance(decl, ast.Outcome):
            add("outcome", decl, decl.override_reason)
        elif isinstance(decl, ast.Example):
            resolved.examples.append(decl)
    attach_source_lines(errors, resolved.sources)
    if _chain:  # a base ruleset must resolve cleanly before anything can extend it
        raise_all(errors)
    resolved.errors = errors
    return resolved


def attach_source_lines(errors, sources: dict) -> None:
    for error in errors:
        if error.span and error.source_line is None:
            lines = sources.get(error.span.file)
            if lines and 0 < error.span.line <= len(lines):
                error.source_line = lines[error.span.line - 1]
