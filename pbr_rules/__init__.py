"""pbr_rules: outcome rules for payment by results.

    import pbr_rules
    rs = pbr_rules.load("wigan@1.0.0")                 # a path, name@version, or name (latest)
    result = rs.evaluate(client_dict, as_of="2013-06-30")
    print(result.to_json())

Pipeline, one module or package per stage (docs/architecture.md): grammar -> parse -> tree ->
resolve -> check -> analyse -> compile -> evaluate.
"""

from __future__ import annotations

import importlib

from .errors import (DataError, InternalError, PbrError, RulesetError, RulesetErrors,
                     RulesetNotFound, RulesetSyntaxError, UsageError)

# imported on first use: `import pbr_rules.cli` (and `pbr --help`) need not load every stage
_LAZY = {"load": "evaluate", "Ruleset": "evaluate", "ClientResult": "evaluate", "OutcomeResult": "evaluate",
         "Rejected": "evaluate", "RulesetLibrary": "resolve"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:  # a stage: `pbr_rules.evaluate` works after `import pbr_rules`, as it did
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'pbr_rules' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["load", "Ruleset", "ClientResult", "OutcomeResult", "Rejected", "RulesetLibrary",
           "PbrError", "RulesetError", "RulesetErrors", "RulesetSyntaxError", "RulesetNotFound",
           "DataError", "UsageError", "InternalError"]
