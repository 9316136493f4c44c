"""What a ruleset's page of the generated documentation holds, read from its checked tree.

Every reading comes from the describer (``describe.Describer``), the visitor that reads each node
of the checked tree in plain English; how a ruleset differs from its base comes from ``diff``; the
worked examples are run when the page is built (``worked``). The templates (templates/docs/) only lay
the page out, so the HTML and the Markdown say the same thing.

Anchors are stable and predictable, so other documents and `pbr explain --docs-url` can link to
them: ``outcome-NAME``, ``measure-NAME``, ``parameter-NAME``, ``definition-NAME``, ``record-NAME``,
``field-RECORD-NAME``, ``enum-NAME``, ``domain-NAME``, ``tariff-NAME``, ``payment-TABLE-NAME``, ``example-N``, and
``L-N`` for line N of a source page.
"""

from __future__ import annotations

import re
from typing import Optional

import attrs

from ..check import CheckedRuleset
from ..tree import Scalar
from ..describe import Describer, date_words, quoted as quote, read_declaration, section_title, sentence, used_by, words
from ..diff import Outline, diff_rulesets
from ..evaluate import Ruleset
from .worked import worked_examples

PAYMENT_TABLES = ("contract", "payees", "fees", "family_tariffs", "splits", "caps", "reductions", "floors", "gates",
                  "budgets", "limits")
# where each table of declarations (declarations.TABLES) is shown on a ruleset's page: a new kind of
# declaration without a place here fails tests/test_docs.py
TABLE_SECTIONS = {"enums": "enums", "domains": "domains", "records": "records", "parameters": "parameters",
                  "definitions": "definitions", "outcomes": "outcomes", "measures": "measures", "tariffs": "tariffs",
                  "examples": "examples", **{table: "payments" for table in PAYMENT_TABLES}}
ANCHOR_PREFIX = {"outcomes": "outcome", "measures": "measure", "parameters": "parameter",
                 "definitions": "definition", "records": "record", "enums": "enum", "tariffs": "tariff", "domains": "domain"}


def page_stem(ref: str) -> str:
    """The file name (without its extension) of a ruleset's page: ``national@1.0.0`` -> ``national-1.0.0``."""
    return ref.replace("@", "-")


def anchor(table: str, name: str) -> str:
    """A declaration's anchor on its ruleset's page; names of the language are already safe in an id,
    the few declarations named in words ("paid to") get hyphens."""
    return f"{ANCHOR_PREFIX.get(table, 'payment-' + table)}-{_NOT_IN_ID.sub('-', name)}"


_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_]+")


def outcome_url(base_url: str, ref: str, outcome: str, suffix: str = ".html") -> str:
    """Where an outcome's rules are documented under ``base_url`` (for `pbr explain --docs-url`)."""
    return f"{base_url.rstrip('/')}/{page_stem(ref)}{suffix}#{anchor('outcomes', outcome)}"


@attrs.frozen
class Place:
    """Where a declaration is written: its file as the reader knows it, its lines, and the source page."""

    file: str          # national/1.0.0.pbr
    line: int
    end_line: int
    page: str          # the stem of the page whose source view shows the file


@attrs.frozen
class Section:
    """A declaration shown: its anchor, a heading, its lines in words, and where it is written."""

    anchor: str
    name: str
    heading: str
    lines: tuple = ()
    place: Optional[Place] = None


@attrs.frozen
class OutcomeSection:
    anchor: str
    name: str
    title: str
    domain: Optional[str]        # with its title: "drugs (Free from drug(s) of dependence)"
    stage: Optional[str]
    decided: str                 # "once for the client", "for each episode (e in the rules)"
    frequency: Optional[str]     # an earning limit, in words
    description: Optional[str]
    source: Optional[str]        # the wording of the sources it implements
    steps: tuple                 # each rule in order, in words
    reason: Optional[str]        # why it overrides its base's outcome
    place: Place
    tariff: Optional[str]        # what it pays, in words
    examples: tuple              # (anchor, title) of the examples that expect it
    uses: tuple                  # the outcomes whose results it reads
    changed_since: Optional[str] = None  # an inherited outcome whose parameters were overridden since: said


@attrs.frozen
class ParameterRow:
    anchor: str
    name: str
    values: tuple                # (value in words, from date in words or None)
    kind: str                    # "a length of time", "a table of numbers by substance"
    illustrative: bool
    doc: Optional[str]
    declared_by: str             # the ruleset whose declaration is in force
    base_value: Optional[str]    # the value it overrides, in words
    reason: Optional[str]
    used_by: tuple
    place: Place


@attrs.frozen
class FieldRow:
    anchor: str
    name: str
    type: str                    # in words, range included
    values: tuple                # the enum values it may take
    optional: bool
    description: str             # what it holds, and when it is known
    record: Optional[str] = None  # a list's record type, linked to its section


@attrs.frozen
class RecordSection:
    anchor: str
    name: str
    doc: Optional[str]
    dated_by: Optional[str]
    lag: Optional[str]           # "`offence_lag` (0 months)"
    fields: tuple
    place: Place


@attrs.frozen
class TariffRow:
    anchor: str
    name: str                    # the outcome or measure paid for
    target: str                  # its anchor
    amount: str
    instalments: str
    illustrative: bool
    doc: Optional[str]
    reason: Optional[str]


@attrs.frozen
class RulesetPage:
    ref: str
    stem: str
    name: str
    version: str
    title: Optional[str]
    file: str
    effective: Optional[str]
    effective_until: Optional[str]
    extends: Optional[str]       # the base's ref
    chain: tuple                 # (ref, stem) from the root of its lineage to itself
    description: Optional[str]
    differences: tuple           # diff.Outline entries against the base, examples left out
    domains: tuple               # (anchor, name, title)
    parameters: tuple
    enums: tuple
    records: tuple
    definitions: tuple
    outcomes: tuple
    measures: tuple
    tariffs: tuple
    payments: tuple              # (title, sections) for each other table of the payment schedule
    examples: tuple              # WorkedExample
    source: tuple                # the lines of its own file
    links: dict = attrs.field(eq=False, repr=False)  # a name in the readings -> its anchor
    variant: Optional["VariantRun"] = None  # what it changes on its root's example cohort


@attrs.frozen
class VariantRun:
    """`pbr compare ROOT RULESET` on the root ruleset's example cohort, as the page shows it."""

    base: str                    # the root ruleset's ref
    cohort: str                  # the file, as the reader finds it in the repository
    clients: int
    as_of: str                   # ISO date
    differences: int
    table: str                   # the comparison table, as `pbr compare` writes it


def build_page(ruleset: Ruleset, files: dict, stems: dict, period=None, variant=None) -> RulesetPage:
    """The page of one ruleset; ``files`` names each ruleset file as the reader knows it, ``stems``
    gives the page of each ruleset by ref (a base's declarations link to its source view), ``period``
    (last day, next version) when it is in force, from its own header and the next version's."""
    checked = ruleset.checked
    resolved = checked.resolved
    reader = _Reader(checked, files, stems)
    examples = worked_examples(ruleset)
    expecting: dict = {}
    for example in examples:
        for name in example.outcomes:
            expecting.setdefault(name, []).append((example.anchor, example.title))
    chain, current = [], resolved
    while current is not None:
        chain.insert(0, (current.ref, page_stem(current.ref)))
        current = current.base
    differences = ()
    if checked.base is not None:  # the base it was checked against: what it differs from
        differences = tuple(entry for entry in Outline(diff_rulesets(checked.base, checked), examples=False).entries()
                            if entry[0] != "title")
    header = resolved.header
    return RulesetPage(
        ref=resolved.ref, stem=page_stem(resolved.ref), name=resolved.name, version=resolved.version,
        title=resolved.title, file=files.get(resolved.path, resolved.path),
        effective=date_words(header.effective) if header.effective else None,
        effective_until=_until(header, period),
        extends=resolved.base.ref if resolved.base is not None else None, chain=tuple(chain),
        description=resolved.description, differences=differences,
        domains=tuple((anchor("domains", d.name), d.name, d.title) for d in resolved.domains.values()),
        parameters=reader.parameters(), enums=reader.enums(), records=reader.records(),
        definitions=reader.sections("definitions"), outcomes=reader.outcomes(expecting),
        measures=reader.sections("measures"), tariffs=reader.tariffs(), payments=reader.payments(),
        examples=tuple(examples), source=tuple(resolved.sources.get(resolved.path, ())), links=reader.links(),
        variant=variant)


class _Reader:
    """Reads the parts of one checked ruleset for its page, with one describer."""

    def __init__(self, checked: CheckedRuleset, files: dict, stems: dict):
        self.checked = checked
        self.files = files
        self.stems = stems
        self.describer = Describer(checked)
        self.used = used_by(checked)
        self.resolved = checked.resolved

    def place(self, table: str, name: str) -> Place:
        span = self.resolved.tables[table][name].span
        origin = self.resolved.origin.get((table, name), self.resolved.ref)
        return Place(self.files.get(span.file, span.file), span.line, span.end_line or span.line,
                     self.stems.get(origin, page_stem(origin)))

    def links(self) -> dict:
        found = {}
        for table in ("parameters", "definitions", "measures", "outcomes"):  # later tables win a shared name
            found.update((name, anchor(table, name)) for name in self.resolved.tables.get(table, ()))
        return found

    def sections(self, table: str) -> tuple:
        out = []
        for name in self.resolved.tables.get(table, ()):
            reading = read_declaration(self.checked, table, name, self.describer)
            lines = reading.lines
            if table == "measures" and name in self.checked.payments.measure_tariffs:
                lines += ("It pays " + self.tariff_words(self.checked.payments.measure_tariffs[name]),)
            out.append(Section(anchor(table, name), name, reading.heading, lines, self.place(table, name)))
        return tuple(out)

    def outcomes(self, expecting: dict) -> tuple:
        out = []
        for name, outcome in self.checked.outcomes.items():
            classification = outcome.classification
            decided = ""
            if classification is not None:
                decided = "once for the client" if classification.unit_type == "client" else \
                    f"for each {words(classification.unit_type)} ({classification.unit_var} in the rules)"
            tariff = self.checked.payments.tariffs.get(name)
            uses = sorted(use for (kind, use), users in self.used.items() if kind == "outcome" and name in users)
            out.append(OutcomeSection(
                anchor=anchor("outcomes", name), name=name, title=outcome.title,
                domain=self.domain_words(outcome.domain), stage=str(classification.stage) if classification else None, decided=decided,
                frequency=self.describer.visit(outcome.frequency) if outcome.frequency.per_client else None,
                description=outcome.description, source=outcome.source,
                steps=tuple(self.describer.visit(statement) for statement in outcome.statements),
                reason=outcome.override_reason, place=self.place("outcomes", name),
                tariff=self.tariff_words(tariff) if tariff is not None else None,
                examples=tuple(expecting.get(name, ())), uses=tuple(uses),
                changed_since=self.changed_since(name)))
        return tuple(out)

    def changed_since(self, outcome: str) -> Optional[str]:
        """For an outcome written in a base, the parameters it uses that a later ruleset overrode: its
        description and source wording were written with the old values."""
        written_in = self.resolved.origin.get(("outcomes", outcome), self.resolved.ref)
        changed = []
        for (kind, name), users in self.used.items():
            declared_by = self.resolved.origin.get(("parameters", name))
            if kind == "parameter" and outcome in users and declared_by != written_in:
                before = self.overridden_value(name, declared_by)
                if before is not None:
                    now = ", ".join(self.describer.visit(v) for v in self.resolved.parameters[name].values)
                    changed.append(f"`{name}` (was {before}, now {now}, set by {declared_by})")
        if not changed:
            return None
        return (f"Written in {written_in}, whose description and source wording say what it meant there; since "
                f"then {', '.join(sorted(changed))} changed. The rules below are the ones that apply here.")

    def domain_words(self, name: Optional[str]) -> Optional[str]:
        domain = self.resolved.domains.get(name) if name else None
        return f"{name} ({domain.title})" if domain is not None and domain.title else name

    def tariff_words(self, tariff) -> str:
        """What an outcome or measure pays, in sentences: the amount, then instalments and the note."""
        return " ".join((self.describer.tariff_terms(tariff) + ".", *self.describer.visit(tariff).lines))

    def parameters(self) -> tuple:
        rows = []
        for name, declaration in self.resolved.parameters.items():
            checked = self.checked.parameters[name]
            origin = self.resolved.origin.get(("parameters", name), self.resolved.ref)
            rows.append(ParameterRow(
                anchor=anchor("parameters", name), name=name,
                values=tuple((self.describer.visit(dated.expr), date_words(dated.from_date) if dated.from_date else None)
                             for dated in declaration.values),
                kind=checked.type.words(), illustrative=declaration.illustrative, doc=self.parameter_doc(name),
                declared_by=origin, base_value=self.overridden_value(name, origin),
                reason=declaration.override_reason, used_by=tuple(self.used.get(("parameter", name), ())),
                place=self.place("parameters", name)))
        return tuple(rows)

    def parameter_doc(self, name: str) -> Optional[str]:
        """Its description; an override that gives none keeps the one of the declaration it overrides."""
        resolved = self.resolved
        while resolved is not None:
            declaration = resolved.parameters.get(name)
            if declaration is not None and declaration.doc:
                return declaration.doc
            resolved = resolved.base
        return None

    def overridden_value(self, name: str, origin: str) -> Optional[str]:
        """The value the parameter had before the ruleset that declares it overrode it, in words."""
        declaring = self.resolved
        while declaring is not None and declaring.ref != origin:
            declaring = declaring.base
        before = declaring.base.parameters.get(name) if declaring is not None and declaring.base else None
        if before is None:
            return None
        return ", ".join(self.describer.visit(dated) for dated in before.values)

    def enums(self) -> tuple:
        return tuple(Section(anchor("enums", name), name, f"`{name}`", tuple(enum.values),
                             self.place("enums", name)) for name, enum in self.resolved.enums.items())

    def records(self) -> tuple:
        out = []
        for name, record in self.resolved.records.items():
            lag = self.describer.parameter(record.lagging_by) if record.lagging_by else None
            fields = tuple(self.field(name, field) for field in record.fields)
            out.append(RecordSection(anchor("records", name), name, record.doc, record.dated_by, lag, fields,
                                     self.place("records", name)))
        return tuple(out)

    def field(self, record: str, field) -> FieldRow:
        type_expr = field.type
        enum = self.resolved.enums.get(type_expr.name) if type_expr.name else None
        notes = []
        if field.not_before:
            notes.append(f"never before its {words(field.not_before)}")
        if field.known_from:
            notes.append(f"known only once its {words(field.known_from)} has come")
        description = " ".join(filter(None, (sentence(field.doc or ""), sentence("; ".join(notes)))))
        return FieldRow(f"field-{record}-{field.name}", field.name, self.describer.visit(type_expr),
                        tuple(enum.values) if enum is not None else (), field.optional, description,
                        type_expr.name if type_expr.kind is Scalar.LIST else None)

    def tariffs(self) -> tuple:
        schedule = self.checked.payments
        rows = []
        for name, tariff in [*schedule.tariffs.items(), *schedule.measure_tariffs.items()]:
            table = "measures" if name in schedule.measure_tariffs else "outcomes"
            amount = self.describer.tariff_amount(tariff)
            if tariff.payee is not None:
                amount += f", to {quote(tariff.payee)}"
            instalments = ", ".join(self.describer.visit(part) for part in tariff.instalments)
            rows.append(TariffRow(anchor("tariffs", name), name, anchor(table, name), amount,
                                  instalments + (", the rest on achievement" if instalments else ""),
                                  tariff.illustrative, tariff.doc, tariff.override_reason))
        return tuple(rows)

    def payments(self) -> tuple:
        out = []
        for table in PAYMENT_TABLES:
            names = list(self.resolved.tables.get(table, ()))
            if names:
                readings = {name: read_declaration(self.checked, table, name, self.describer) for name in names}
                sections = tuple(Section(anchor(table, name), name, reading.heading, reading.lines,
                                         self.place(table, name)) for name, reading in readings.items())
                out.append((section_title(table), sections))
        return tuple(out)


def _until(header, period) -> Optional[str]:
    """The last day in force, in words, and the version that follows when it is what ends it."""
    last, following = period if period is not None else (header.effective_until, None)
    if last is None:
        return None
    return date_words(last) + (f"; {following.replace('@', ' ')} from the next day" if following else "")


def in_force(page: RulesetPage) -> str:
    """"from 1 April 2013", "from 1 April 2012 until 31 March 2013", "" when the header gives no dates."""
    said = f"from {page.effective}" if page.effective else ""
    return said + (f" until {page.effective_until}" if page.effective_until else "")
