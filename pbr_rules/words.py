"""Small helpers for messages in plain English."""

from __future__ import annotations

import difflib
from typing import Iterable


def article(word: str | None) -> str:
    """`a` or `an` before a word: an episode, a presentation."""
    return "an" if word and word[0].lower() in "aeiou" else "a"


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest candidate to a misspelt name, if one is close."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None
