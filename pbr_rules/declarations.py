"""The kinds of declaration a ruleset file can hold, in one table.

Each row says, for one node class: the keyword it is written with, what it is called in
messages, the table of the resolved ruleset it is filed in, whether an extending ruleset may
``override`` it, how it is inherited, and which names it shares. The resolver files declarations
by this table and the checker visits the tables in its order, so a new kind of declaration
(a payment schedule, a cohort measure) is one node class, one row here, and one visitor method
per pass. ``KIND_OF`` refuses a node class that has no row.
"""

from __future__ import annotations

import enum
from typing import Optional

import attrs

from . import tree
from .errors import InternalError


class Inheritance(enum.Enum):
    INHERITED = "inherited"  # an extending ruleset has it too; only an override replaces it
    EXTENDS = "extends"      # adds to an inherited declaration of another row (`extend record`)
    OWN = "own"              # belongs to the file that declares it alone (examples)


@attrs.frozen
class DeclarationKind:
    node: type
    keyword: str                 # as written: `define`
    noun: str                    # in messages: "definition"
    table: str                   # the ResolvedRuleset table it is filed in
    inheritance: Inheritance
    overridable: bool = False
    namespace: Optional[str] = None   # kinds whose names must not clash (parameters, definitions)
    key: str = "name"            # the attribute that names a declaration
    redefine_hint: Optional[str] = None  # when an inherited one is declared again without override

    @property
    def override_keyword(self) -> Optional[str]:
        return f"override {self.keyword}" if self.overridable else None


KINDS = (
    DeclarationKind(tree.EnumDecl, "enum", "enum", "enums", Inheritance.INHERITED,
                    redefine_hint="an inherited enum cannot be changed; declare a new one"),
    DeclarationKind(tree.DomainDecl, "domains", "domain", "domains", Inheritance.INHERITED,
                    redefine_hint="it is inherited already: use it as it is"),
    DeclarationKind(tree.RecordDecl, "record", "record", "records", Inheritance.INHERITED,
                    redefine_hint="to add fields, write `extend record {name}`"),
    DeclarationKind(tree.RecordExtension, "extend record", "record extension", "records", Inheritance.EXTENDS),
    DeclarationKind(tree.ParameterDecl, "parameter", "parameter", "parameters", Inheritance.INHERITED,
                    overridable=True, namespace="values"),
    DeclarationKind(tree.Definition, "define", "definition", "definitions", Inheritance.INHERITED,
                    overridable=True, namespace="values"),
    DeclarationKind(tree.Outcome, "outcome", "outcome", "outcomes", Inheritance.INHERITED, overridable=True,
                    namespace="results"),
    DeclarationKind(tree.Measure, "measure", "measure", "measures", Inheritance.INHERITED, overridable=True,
                    namespace="results"),
    DeclarationKind(tree.ContractDecl, "contract", "contract start", "contract", Inheritance.INHERITED,
                    overridable=True),
    DeclarationKind(tree.PayeeDecl, "paid to", "rule of who is paid", "payees", Inheritance.INHERITED,
                    overridable=True),
    DeclarationKind(tree.TariffDecl, "tariff", "tariff", "tariffs", Inheritance.INHERITED, overridable=True),
    DeclarationKind(tree.FeeDecl, "fee", "fee", "fees", Inheritance.INHERITED, overridable=True),
    DeclarationKind(tree.SplitDecl, "split", "split", "splits", Inheritance.INHERITED, overridable=True),
    DeclarationKind(tree.CapDecl, "cap", "cap", "caps", Inheritance.INHERITED, overridable=True),
    DeclarationKind(tree.ReduceDecl, "reduce", "volume reduction", "reductions", Inheritance.INHERITED,
                    overridable=True),
    DeclarationKind(tree.FloorDecl, "floor", "floor", "floors", Inheritance.INHERITED, overridable=True),
    DeclarationKind(tree.GateDecl, "gate", "gate", "gates", Inheritance.INHERITED, overridable=True),
    DeclarationKind(tree.FamilyTariffDecl, "tariff", "family tariff", "family_tariffs", Inheritance.INHERITED,
                    overridable=True),
    DeclarationKind(tree.BudgetDecl, "budget", "budget", "budgets", Inheritance.INHERITED, overridable=True),
    # a limit is the framework's rule: a local ruleset may add limits but not lift one
    DeclarationKind(tree.LimitDecl, "limit", "budget limit", "limits", Inheritance.INHERITED,
                    redefine_hint="a limit set by {origin} holds for every ruleset that extends it"),
    DeclarationKind(tree.Example, "example", "example", "examples", Inheritance.OWN, key="title"),
)

_BY_NODE = {kind.node: kind for kind in KINDS}

# the resolved ruleset's tables, in the order the checker visits them
TABLES = tuple(dict.fromkeys(kind.table for kind in KINDS))


def kind_of(declaration) -> DeclarationKind:
    try:
        return _BY_NODE[type(declaration)]
    except KeyError:
        raise InternalError(f"{type(declaration).__name__} has no row in the table of declaration kinds",
                            hint=str(getattr(declaration, "span", ""))) from None


def sharing(kind: DeclarationKind) -> list[DeclarationKind]:
    """The other kinds whose names a declaration of this kind must not take."""
    if kind.namespace is None:
        return []
    return [k for k in KINDS if k.namespace == kind.namespace and k is not kind]
