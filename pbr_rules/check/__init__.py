"""Check: a resolved ruleset's names, types and units, schema, rules and examples.

    types.py        the type lattice: types in words, what arithmetic and comparison allow
    scope.py        what names refer to (symbols) and nested scopes
    constants.py    constant folding (parameter values, conditions that are always true)
    expressions.py  typing every expression: the checked, typed tree
    records.py      the schema: enums, records, fields, the client's lists, lags
    outcomes.py     each outcome's classification, lines in order, and that it can be decided
    checker.py      the checker proper: every declaration, table by table
"""

from .checker import CheckedParameter, CheckedRuleset, check

__all__ = ["check", "CheckedRuleset", "CheckedParameter"]
