"""pbr_rules: outcome rules for payment by results.

    import pbr_rules
    rs = pbr_rules.load("wigan@1.0.0")                 # a path, name@version, or name (latest)
    result = rs.evaluate(client_dict, as_of="2013-06-30")
    print(result.to_json())

Pipeline, one module or package per stage (docs/architecture.md): grammar -> parse -> tree ->
resolve -> check -> analyse -> compile -> evaluate.
"""

from __future__ import annotations

from .errors import (DataError, InternalError, PbrError, RulesetError, RulesetErrors,
                     RulesetNotFound, RulesetSyntaxError, UsageError)
from .evaluate import ClientResult, OutcomeResult, Rejected, Ruleset, load
from .resolve import RulesetLibrary

__all__ = ["load", "Ruleset", "ClientResult", "OutcomeResult", "Rejected", "RulesetLibrary",
           "PbrError", "RulesetError", "RulesetErrors", "RulesetSyntaxError", "RulesetNotFound",
           "DataError", "UsageError", "InternalError"]
