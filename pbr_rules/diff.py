"""What changed between two rulesets or versions, in words a provider reads (`pbr diff A B`).

The comparison is structural: the two resolved rulesets are compared declaration by declaration,
kind by kind (the table of kinds in ``declarations``), by the equality of their tree nodes, which
leaves out positions and annotations. So reformatting, comments and how a length was written
(`1 year`, `12 months`) are not changes. What did change is said in plain English by the describer
(``describe``): a parameter's old and new value with the override's reason and the outcomes it
reaches, a changed outcome's rules step by step (old and new reading), the schema's new records,
fields and enum values, the payment schedule's parts, and the examples added or removed.

``diff_rulesets`` gives a ``RulesetDiff``; ``render`` writes it as text, Markdown or JSON (the keys
are documented in docs/diff.md).
"""

from __future__ import annotations

import difflib
import enum
import json
import re
from typing import Iterable, Optional

import attrs

from . import tree
from .check import CheckedRuleset
from .check.scope import SymbolKind
from .declarations import KINDS, TABLES
from .describe import Describer, Reading, date_words, quoted, read_declaration, section_title, used_by, wrap


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@attrs.frozen(slots=True)
class Detail:
    """One thing changed inside a declaration or the header: a step of an outcome, a field, a text."""

    what: str                    # "step 3", "field `end`", "description", "title"
    change: ChangeKind
    old: Optional[str] = None    # in words; None when added
    new: Optional[str] = None    # None when removed


@attrs.frozen(slots=True)
class Change:
    """One declaration added, removed or changed."""

    table: str                   # the table of kinds it is filed in: "parameters", "outcomes", ...
    kind: str                    # what it is called: "parameter", "outcome", ...
    name: str
    change: ChangeKind
    old: Optional[Reading]       # its whole reading in A (None when added)
    new: Optional[Reading]       # and in B (None when removed)
    title: Optional[str] = None             # an outcome's title
    old_value: Optional[str] = None         # a parameter's value(s), in words
    new_value: Optional[str] = None
    reason: Optional[str] = None            # the reason of the override in force in B
    reason_from: Optional[str] = None       # the ruleset that gave it
    affects: tuple = ()                     # the outcomes that use it (directly or through definitions)
    details: tuple = ()                     # Details, for outcomes, records, enums and parameters


@attrs.frozen(slots=True)
class RulesetDiff:
    old: str                     # ref: name@version
    new: str
    old_title: Optional[str]
    new_title: Optional[str]
    header: tuple                # Details of the header
    changes: tuple               # Changes, by kind in the order of the table of kinds
    titles: dict = attrs.field(factory=dict, eq=False, repr=False)  # outcome -> title (B's, else A's)

    @property
    def same(self) -> bool:
        return not self.header and not self.changes

    def to_json(self) -> dict:
        return {"from": {"ref": self.old, "title": self.old_title}, "to": {"ref": self.new, "title": self.new_title},
                "same": self.same, "header": [_detail_json(d) for d in self.header],
                "changes": [_change_json(c) for c in self.changes]}


def _detail_json(detail: Detail) -> dict:
    return {"what": detail.what, "change": detail.change.value, "old": detail.old, "new": detail.new}


def _change_json(change: Change) -> dict:
    return {"table": change.table, "kind": change.kind, "name": change.name, "change": change.change.value,
            "title": change.title, "old": change.old.plain() if change.old else None,
            "new": change.new.plain() if change.new else None, "old_value": change.old_value,
            "new_value": change.new_value, "reason": change.reason, "reason_from": change.reason_from,
            "affects": list(change.affects), "details": [_detail_json(d) for d in change.details]}


# ---- the comparison -----------------------------------------------------------------------------
def diff_rulesets(old: CheckedRuleset, new: CheckedRuleset) -> RulesetDiff:
    """What changed from ``old`` to ``new``: any two rulesets, related or not."""
    comparison = _Comparison(old, new)
    changes = [change for table in TABLES for change in comparison.table(table)]
    titles = {name: outcome.title for checked in (old, new) for name, outcome in checked.resolved.outcomes.items()}
    return RulesetDiff(old.ref, new.ref, old.resolved.title, new.resolved.title,
                       tuple(_header_details(old.resolved.header, new.resolved.header)), tuple(changes), titles)


def same_declaration(a, b) -> bool:
    """Equal as written, structurally: positions, annotations and the override's reason left out
    (the reason is reported beside the change, and is no change by itself)."""
    if type(a) is not type(b):
        return False
    if hasattr(a, "override_reason"):
        a, b = a.replace(override_reason=None), b.replace(override_reason=None)
    return a == b


def _header_details(old: tree.Header, new: tree.Header) -> list:
    def extends(header):
        return f"{header.extends.name} {header.extends.version}" if header.extends else None

    def day(value):
        return date_words(value) if value else None

    pairs = [("name", old.name, new.name), ("version", old.version, new.version),
             ("title", old.title, new.title), ("in force from", day(old.effective), day(new.effective)),
             ("in force until", day(old.effective_until), day(new.effective_until)),
             ("extends", extends(old), extends(new)), ("description", old.description, new.description)]
    return [_text_detail(what, a, b) for what, a, b in pairs if a != b]


def _text_detail(what: str, old: Optional[str], new: Optional[str]) -> Detail:
    change = ChangeKind.ADDED if old is None else ChangeKind.REMOVED if new is None else ChangeKind.CHANGED
    return Detail(what, change, old, new)


class _Comparison:
    """The two checked rulesets, with a describer and the uses of each."""

    def __init__(self, old: CheckedRuleset, new: CheckedRuleset):
        self.old, self.new = old, new
        self.describers = {id(old): Describer(old), id(new): Describer(new)}
        self.uses = (used_by(old), used_by(new))
        self.kinds = {}
        for kind in KINDS:
            self.kinds.setdefault(kind.table, kind)  # `records`: the record, not its extensions

    def reading(self, checked: CheckedRuleset, table: str, name: str) -> Reading:
        return read_declaration(checked, table, name, self.describers[id(checked)])

    def table(self, table: str) -> list:
        before = self.old.resolved.tables.get(table, {})
        after = self.new.resolved.tables.get(table, {})
        changes = []
        for name in [*before, *(n for n in after if n not in before)]:
            if name in before and name in after and same_declaration(before[name], after[name]):
                continue
            changes.append(self.change(table, name, before.get(name), after.get(name)))
        return changes

    def change(self, table: str, name: str, before, after) -> Change:
        kind = ChangeKind.ADDED if before is None else ChangeKind.REMOVED if after is None else ChangeKind.CHANGED
        old = self.reading(self.old, table, name) if before is not None else None
        new = self.reading(self.new, table, name) if after is not None else None
        change = Change(table, self.kinds[table].noun, name, kind, old, new,
                        title=getattr(after or before, "title", None) if table == "outcomes" else None,
                        reason=getattr(after, "override_reason", None),
                        reason_from=self.new.resolved.origin.get((table, name)) if after is not None else None,
                        affects=self.affects(table, name))
        details = getattr(self, f"details_{table}", None)
        if details is not None:
            change = details(change, before, after)
        return change

    def affects(self, table: str, name: str) -> tuple:
        key = {"parameters": "parameter", "definitions": "definition", "outcomes": "outcome"}.get(table)
        if key is None:
            return ()
        found = [*self.uses[1].get((key, name), ()), *self.uses[0].get((key, name), ())]
        return tuple(dict.fromkeys(found))

    # ---- what changed inside a declaration, by table (``details_<table>``) ----------------------
    def details_parameters(self, change: Change, before, after) -> Change:
        old_value = self.value(self.old, before)
        new_value = self.value(self.new, after)
        details = []
        if before is not None and after is not None:
            if before.doc != after.doc:
                details.append(_text_detail("its explanation", before.doc, after.doc))
            if before.illustrative != after.illustrative:
                marked = "is now marked illustrative" if after.illustrative else "is no longer marked illustrative"
                details.append(Detail(f"its value {marked}", ChangeKind.CHANGED, str(before.illustrative).lower(),
                                      str(after.illustrative).lower()))
            if old_value != new_value:
                details += self.steps_using(change.name, change.affects)
        return attrs.evolve(change, old_value=old_value, new_value=new_value, details=tuple(details))

    def steps_using(self, parameter: str, outcomes: tuple) -> list:
        """The steps of unchanged outcomes that name the parameter, as they read before and now:
        the rules are written the same, and read differently by its value."""
        details = []
        for name in outcomes:
            old, new = self.old.outcomes.get(name), self.new.outcomes.get(name)
            if old is None or new is None or not same_declaration(old, new):
                continue  # a changed outcome is told step by step under Outcomes
            for number, (before, after) in enumerate(zip(old.statements, new.statements), 1):
                if any(getattr(getattr(node, "ref", None), "name", None) == parameter
                       and getattr(node.ref, "kind", None) is SymbolKind.PARAMETER for node in after.walk()):
                    details.append(Detail(f"the reading of step {number} of `{name}`", ChangeKind.CHANGED,
                                          self.describers[id(self.old)].visit(before),
                                          self.describers[id(self.new)].visit(after)))
        return details

    def value(self, checked: CheckedRuleset, parameter) -> Optional[str]:
        if parameter is None:
            return None
        return self.describers[id(checked)].parameter_values(parameter)

    def details_outcomes(self, change: Change, before, after) -> Change:
        if before is None or after is None:
            return change
        old, new = self.old.outcomes.get(before.name, before), self.new.outcomes.get(after.name, after)
        details = [_text_detail(what, getattr(before, field), getattr(after, field))
                   for what, field in (("title", "title"), ("description", "description"), ("source", "source"))
                   if getattr(before, field) != getattr(after, field)]
        describe_old, describe_new = self.describers[id(self.old)], self.describers[id(self.new)]
        for what, field in (("classification", "classification"), ("how often it is earned", "frequency")):
            a, b = getattr(old, field), getattr(new, field)
            if a != b:
                details.append(_text_detail(what, describe_old.visit(a) if a is not None else None,
                                            describe_new.visit(b) if b is not None else None))
        details += self.steps(old.statements, new.statements)
        return attrs.evolve(change, details=tuple(details))

    def steps(self, old: tuple, new: tuple) -> list:
        """The outcome's steps that changed, matched in order (numbered as in each reading)."""
        describe_old, describe_new = self.describers[id(self.old)], self.describers[id(self.new)]
        details = []
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for operation, i1, i2, j1, j2 in matcher.get_opcodes():
            if operation == "equal":
                continue
            paired = min(i2 - i1, j2 - j1)
            for offset in range(paired):
                i, j = i1 + offset, j1 + offset
                what = f"step {j + 1}" + (f" (step {i + 1} before)" if i != j else "")
                details.append(Detail(what, ChangeKind.CHANGED, describe_old.visit(old[i]), describe_new.visit(new[j])))
            for i in range(i1 + paired, i2):
                details.append(Detail(f"step {i + 1}", ChangeKind.REMOVED, describe_old.visit(old[i]), None))
            for j in range(j1 + paired, j2):
                details.append(Detail(f"step {j + 1}", ChangeKind.ADDED, None, describe_new.visit(new[j])))
        return details

    def details_records(self, change: Change, before, after) -> Change:
        if before is None or after is None:
            return change
        describe_old, describe_new = self.describers[id(self.old)], self.describers[id(self.new)]
        details = [_text_detail(what, getattr(before, field), getattr(after, field))
                   for what, field in (("description", "doc"), ("dated by", "dated_by"), ("data lag", "lagging_by"))
                   if getattr(before, field) != getattr(after, field)]
        old_fields = {field.name: field for field in before.fields}
        new_fields = {field.name: field for field in after.fields}
        for name in [*old_fields, *(n for n in new_fields if n not in old_fields)]:
            a, b = old_fields.get(name), new_fields.get(name)
            if a != b:
                details.append(_text_detail(f"field `{name}`", describe_old.visit(a) if a else None,
                                            describe_new.visit(b) if b else None))
        return attrs.evolve(change, details=tuple(details))

    def details_enums(self, change: Change, before, after) -> Change:
        if before is None or after is None:
            return change
        details = [Detail(f"value `{value}`", ChangeKind.REMOVED) for value in before.values
                   if value not in after.values]
        details += [Detail(f"value `{value}`", ChangeKind.ADDED) for value in after.values
                    if value not in before.values]
        if before.doc != after.doc:
            details.append(_text_detail("description", before.doc, after.doc))
        return attrs.evolve(change, details=tuple(details))


# ---- rendering ----------------------------------------------------------------------------------
def render(result: RulesetDiff, fmt: str) -> str:
    """The diff as `text`, `md` (Markdown) or `json`."""
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        return _Markdown(result).render()
    return _Text(result).render()


def counted(changes: Iterable[Change]) -> str:
    """"1 changed", "2 added, 1 removed"."""
    counts = {}
    for change in changes:
        counts[change.change] = counts.get(change.change, 0) + 1
    return ", ".join(f"{counts[kind]} {kind.value}" for kind in ChangeKind if kind in counts)


def _named(change: Change) -> str:
    return f"`{change.name}`" + (f" ({change.title})" if change.title else "")


def headline(change: Change) -> str:
    """The first line said of a change, as a sentence."""
    named = _named(change)
    if change.table == "parameters":
        if change.change is ChangeKind.ADDED:
            return f"{named} added: {change.new_value}."
        if change.change is ChangeKind.REMOVED:
            return f"{named} removed (it was {change.old_value})."
        if change.old_value != change.new_value:
            return f"{named} changes from {change.old_value} to {change.new_value}."
        return f"{named} keeps its value, {change.new_value}."
    kind = change.kind[0].upper() + change.kind[1:]
    if change.change is ChangeKind.CHANGED:
        return f"{kind} {named} changed."
    reading = change.new if change.change is ChangeKind.ADDED else change.old
    if reading.heading.lower().startswith(change.kind.split()[0]):  # "Fee `x`: ...": it says what it is
        return f"{change.change.value.capitalize()}: {reading.heading}"
    return f"{kind} {change.change.value}: {reading.heading}"


def body(change: Change) -> list:
    """(label or None, Reading or lines) shown under a change: an added or removed declaration's
    lines; a changed one's old and new readings when there are no details to say what changed."""
    if change.table == "examples":
        return []
    if change.change is ChangeKind.ADDED:
        return [(None, change.new.lines)]
    if change.change is ChangeKind.REMOVED:
        return [(None, change.old.lines)]
    if change.details or change.table == "parameters":  # a parameter's headline has both values
        return []
    return [("Was", change.old), ("Now", change.new)]


def short_change(detail: Detail) -> Optional[str]:
    """"Name changed from national to wigan." when both sides are short; None otherwise."""
    if detail.change is not ChangeKind.CHANGED or len(detail.old) + len(detail.new) > 60:
        return None
    return f"{detail.what[0].upper()}{detail.what[1:]} changed from {detail.old} to {detail.new}."


def added_or_removed(detail: Detail) -> str:
    """"Field `x` added: ...", "Source removed; it was: ...", "Value `ketamine` added"."""
    what = detail.what[0].upper() + detail.what[1:]
    if detail.change is ChangeKind.ADDED:
        return f"{what} added" + (f": {detail.new}" if detail.new else "")
    return f"{what} removed" + (f"; it was: {detail.old}" if detail.old else "")


EXAMPLES_NOTE = ("Examples belong to the file that declares them: a ruleset does not inherit the examples of "
                 "the one it extends.")


def notes(change: Change, titles: dict) -> list:
    """What is said under a change's headline: the reason, the outcomes it affects."""
    said = []
    if change.reason:
        said.append(f"The reason given by {change.reason_from}: {quoted(change.reason)}")
    if change.affects:
        word = "Outcomes that use its result" if change.table == "outcomes" else "Affects"
        said.append(f"{word}: " + "; ".join(f"`{name}`" + (f" ({titles[name]})" if titles.get(name) else "")
                                           for name in change.affects) + ".")
    return said


def _sections(result: RulesetDiff) -> list:
    """(table, its title, its changes), in the order of the comparison."""
    sections: dict = {}
    for change in result.changes:
        sections.setdefault(change.table, []).append(change)
    return [(table, section_title(table), changes) for table, changes in sections.items()]


NO_CHANGES = ("No changes: the two have the same rules, parameters, schema, payments and examples (layout and "
              "comments are not compared).")


class _Writer:
    """What a rendering says, in order; each format says how its title, headings, paragraphs and
    items (nested by depth) are written."""

    def __init__(self, result: RulesetDiff):
        self.result = result
        self.out: list = []

    def render(self) -> str:
        result = self.result
        self.title(f"What changed from {_title(result.old, result.old_title)} "
                   f"to {_title(result.new, result.new_title)}")
        if result.same:
            self.paragraph(NO_CHANGES)
        if result.header:
            self.heading("The ruleset itself")
            for detail in result.header:
                self.detail(detail, 0)
        for table, title, changes in _sections(result):
            self.heading(f"{title}: {counted(changes)}")
            if table == "examples":
                self.paragraph(EXAMPLES_NOTE)
                changes = self.fewer_examples(changes)
            for change in changes:
                self.change(change)
        return self.finish()

    def finish(self):
        return "\n".join(self.out).strip("\n") + "\n"

    def fewer_examples(self, changes: list) -> list:
        """Every removed example is one line when there are many (an extending ruleset never has its
        base's examples); the json format lists them all."""
        removed = [c for c in changes if c.change.value == "removed"]
        if len(removed) <= 3:
            return changes
        self.item(f"Removed: {len(removed)} examples of {self.result.old}, which are not inherited (`--format json` "
                  "lists them)", 0)
        return [c for c in changes if c.change.value != "removed"]

    def change(self, change: Change) -> None:
        if change.table == "examples":
            return self.item(f"{change.change.value.capitalize()}: {quoted(change.name)}", 0)
        self.item(headline(change), 0)
        for note in notes(change, self.result.titles):
            self.item(note, 1)
        for detail in change.details:
            self.detail(detail, 1)
        for label, shown in body(change):
            if label is None:
                for line in shown:
                    self.item(line, 1)
            else:
                self.item(f"{label}: {shown.heading}", 1)
                for line in shown.lines:
                    self.item(line, 2)

    def detail(self, detail: Detail, depth: int) -> None:
        short = short_change(detail)
        if short is not None:
            self.item(short, depth)
        elif detail.change is ChangeKind.CHANGED:
            self.item(f"{detail.what[0].upper()}{detail.what[1:]} changed", depth)
            self.item(f"was: {detail.old}", depth + 1)
            self.item(f"now: {detail.new}", depth + 1)
        else:
            self.item(added_or_removed(detail), depth)


class Outline(_Writer):
    """The diff as a list of ("title" | "heading" | "paragraph" | "item", depth, text), for a page
    that lays it out itself (the generated documentation); ``examples=False`` leaves the examples out."""

    def __init__(self, result: RulesetDiff, examples: bool = True):
        super().__init__(result)
        self.examples = examples

    def finish(self):
        return self.out

    def entries(self) -> list:
        self.render()
        if self.examples:
            return self.out
        kept, skipping = [], False
        for entry in self.out:
            if entry[0] == "heading":
                skipping = entry[2].startswith(section_title("examples") + ":")
            if not skipping:
                kept.append(entry)
        return kept

    def title(self, text: str) -> None:
        self.out.append(("title", 0, text))

    def heading(self, text: str) -> None:
        self.out.append(("heading", 0, text))

    def paragraph(self, text: str) -> None:
        self.out.append(("paragraph", 0, text))

    def item(self, text: str, depth: int) -> None:
        self.out.append(("item", depth, text))


class _Text(_Writer):
    """Plain text, wrapped to the describer's width, two spaces deeper at each level."""

    def title(self, text: str) -> None:
        self.out.append(wrap(text))

    def heading(self, text: str) -> None:
        self.out.append("\n" + text)

    def paragraph(self, text: str) -> None:
        self.out.append(wrap(text, "  "))

    def item(self, text: str, depth: int) -> None:
        self.out.append(wrap(text, "  " * (depth + 1)))


def _title(ref: str, title: Optional[str]) -> str:
    return ref + (f" ({title})" if title else "")


_MARKDOWN_SPECIAL = re.compile(r"([\\<>*\[\]|])")


def _md(text: str) -> str:
    """Ruleset text in Markdown: one line, the characters that could make markup or HTML escaped
    (the backticks the describer puts round names are kept)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


class _Markdown(_Writer):
    """Markdown: a heading per kind of declaration, a bullet per change, the details nested."""

    def title(self, text: str) -> None:
        self.out.append(f"# {_md(text)}")

    def heading(self, text: str) -> None:
        self.block(f"## {_md(text)}")

    def paragraph(self, text: str) -> None:
        self.block(_md(text))

    def block(self, text: str) -> None:
        """A heading or paragraph: blank lines around it."""
        if self.out and self.out[-1]:
            self.out.append("")
        self.out += [text, ""]

    def item(self, text: str, depth: int) -> None:
        self.out.append(f"{'  ' * depth}- {_md(text)}")
