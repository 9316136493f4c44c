"""What a client record holds, as the checker found it: records, fields, enums, lists and lags.

The checker builds a ``Schema`` from a ruleset's declarations; the record validators
(``data``), the CSV reader (``extracts``) and the documentation read it. Field kinds are
``tree.Scalar``, the one list of them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

import attrs

from .tree import Scalar
from .values import Duration

__all__ = ["Scalar", "FieldInfo", "RecordInfo", "Schema"]


@attrs.frozen(slots=True)
class FieldInfo:
    name: str
    scalar: Scalar
    optional: bool
    of: Optional[str]                 # the enum (enum, set, map keys) or record (list) it refers to
    low: Optional[Decimal] = None     # the range of a number, or of a map's values
    high: Optional[Decimal] = None
    value_scalar: Optional[Scalar] = None  # a map's values: number, count or score
    known_from: Optional[str] = None
    not_before: Optional[str] = None

    @property
    def ranged(self) -> bool:
        return self.low is not None or self.high is not None


@attrs.frozen(slots=True)
class RecordInfo:
    name: str
    fields: dict          # name -> FieldInfo, in declaration order
    dated_by: Optional[str]
    lagging_by: Optional[str]
    doc: Optional[str]

    def later_dates(self) -> list[str]:
        """Its date fields other than the one it is dated by: unknown while in the future."""
        return [name for name, f in self.fields.items() if f.scalar is Scalar.DATE and name != self.dated_by]


@attrs.frozen(slots=True)
class Schema:
    records: dict         # name -> RecordInfo, "client" among them
    enums: dict           # name -> tuple of its values, in order
    lists: dict           # list field of the client record -> the record type it holds
    lags: dict            # record name -> Duration it lags by (only records that lag)
    # what readers of this schema build from it once (``data``'s record validators)
    compiled: dict = attrs.field(factory=dict, eq=False, repr=False)

    def lag(self, record: str) -> Optional[Duration]:
        return self.lags.get(record)
