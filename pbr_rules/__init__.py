"""pbr_rules: outcome rules for payment by results.

    import pbr_rules
    rs = pbr_rules.load("wigan@1.0.0")                 # a path, name@version, or name (latest)
    result = rs.evaluate(client_dict, as_of="2013-06-30")
    print(result.to_json())

Pipeline, one module or package per stage (docs/architecture.md): grammar -> parse -> tree ->
resolve -> check -> analyse -> compile -> evaluate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .check import check
from .errors import (DataError, InternalError, PbrError, RulesetError, RulesetErrors,
                     RulesetNotFound, RulesetSyntaxError, UsageError)
from .evaluate import ClientResult, OutcomeResult, Rejected, Ruleset
from .resolve import RulesetLibrary, resolve_file

__all__ = ["load", "Ruleset", "ClientResult", "OutcomeResult", "Rejected", "RulesetLibrary",
           "PbrError", "RulesetError", "RulesetErrors", "RulesetSyntaxError", "RulesetNotFound",
           "DataError", "UsageError", "InternalError"]


def load(ref: str | Path, rulesets: Iterable[str | Path] = ()) -> Ruleset:
    """Parse, resolve, check and compile a ruleset.

    ``ref`` is a path to a ``.pbr`` file, ``name@version``, or ``name`` for its latest version,
    looked up under the folders in ``rulesets`` and then the shipped rulesets.
    Raises a RulesetError (several at once as RulesetErrors) for mistakes in the rules.
    """
    library = RulesetLibrary(rulesets)
    path = library.locate(ref)
    try:
        return Ruleset(check(resolve_file(path, library)))
    except PbrError:
        raise
    except Exception as error:  # a bug in pbr_rules, never the user's rules: say so
        raise InternalError(f"{type(error).__name__}: {error}", hint=f"loading {path}") from error
