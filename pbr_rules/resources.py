"""Where the grammar and the shipped rulesets live, installed or in a source checkout.

In a wheel they are the package data ``pbr_rules/grammars`` and ``pbr_rules/rulesets`` (mapped
from the repository's top-level folders by pyproject.toml); in a checkout they sit beside the
package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    installed = _PACKAGE / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def grammar_path() -> Path:
    return _data_dir("grammars") / "pbr.lark"


def grammar_tables_path() -> Path:
    """The parser's tables, built ahead from the grammar (parse/grammar.py)."""
    return _data_dir("grammars") / "pbr.lalr.json"


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


def example_file(ruleset_file: str, client_file: str) -> Path | None:
    """Where an example's client file is: inside the ruleset's own folder (symbolic links followed),
    else None. A ruleset is untrusted: its examples must not read, or reveal, files elsewhere."""
    folder = Path(ruleset_file).resolve().parent
    path = (folder / client_file).resolve()
    return path if path.is_relative_to(folder) else None


def file_kind(path: Path) -> str:
    """"plain" (a regular file), "other" (a folder, FIFO or device: never read) or "missing"."""
    try:
        return "plain" if path.is_file() else "other" if path.exists() else "missing"
    except (OSError, ValueError):  # a name too long for the file system, a NUL
        return "missing"


def shipped_rulesets_dir() -> Path:
    return _data_dir("rulesets")
