"""Shared fixtures: the shipped rulesets, a scratch rulesets folder, and client builders."""

from __future__ import annotations

import os

import textwrap
from pathlib import Path

import pytest

import pbr_rules


@pytest.fixture(scope="session")
def national():
    return pbr_rules.load("national@1.0.0")


@pytest.fixture(scope="session")
def wigan():
    return pbr_rules.load("wigan@1.0.0")


def assert_golden(path, text: str) -> None:
    """``text`` must be the golden file's; with PBR_UPDATE_GOLDEN=1 it becomes it (read the diff)."""
    path = Path(path)
    if os.environ.get("PBR_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def codes_of(error) -> list:
    """The codes of a RulesetError, or of each error a RulesetErrors holds."""
    errors = getattr(error, "errors", None) or [error]
    return [e.code for e in errors]


def load_text(tmp_path_factory, name: str, text: str):
    """Load a ruleset written in a test (for module-scoped fixtures): NAME@1.0.0 in a scratch folder."""
    root = tmp_path_factory.mktemp("rulesets")
    (root / name).mkdir()
    (root / name / "1.0.0.pbr").write_text(text)
    return pbr_rules.load(f"{name}@1.0.0", [root])


@pytest.fixture
def rulesets(tmp_path):
    """A scratch rulesets folder: ``rulesets.write(name, version, text)`` returns the file."""

    class Folder:
        root = tmp_path / "rulesets"

        def write(self, name: str, version: str, text: str) -> Path:
            path = self.root / name / f"{version}.pbr"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
            return path

        def load(self, ref):
            return pbr_rules.load(ref, [self.root])

    return Folder()


def episode(id, start, end=None, reason=None, **extra):
    record = {"id": id, "start": start}
    if end:
        record["end"] = end
    if reason:
        record["discharge_reason"] = reason
    record.update(extra)
    return record


def client(id="C1", episodes=(), substances=("opiates",), tops=(), presentations=(), offences=(), doses=()):
    return {"id": id, "presenting_substances": list(substances), "episodes": list(episodes),
            "top_reviews": list(tops),
            "presentations": [{"date": d, "setting": s} for d, s in presentations],
            "offences": [{"date": d} for d in offences], "hep_b_doses": [{"date": d} for d in doses]}


def status_of(result, outcome, unit):
    found = result.result(outcome, unit)
    assert found is not None, f"no result for {outcome} {unit}"
    return (found.status, found.date and found.date.isoformat(), found.due and found.due.isoformat())
