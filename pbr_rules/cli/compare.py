"""`pbr compare`: the shadow run of two rulesets on the same clients. (Being written: see issue 7.)"""

from __future__ import annotations


def register(command, ruleset_help: str) -> None:
    """Add `pbr compare` to the command line (``command`` is the subcommand factory)."""
