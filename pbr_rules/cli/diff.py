"""`pbr diff`: what changed between two rulesets or versions, in words. (Being written: see issue 7.)"""

from __future__ import annotations


def register(command, ruleset_help: str) -> None:
    """Add `pbr diff` to the command line (``command`` is the subcommand factory)."""
