"""docs/errors.md explains every error code with an example ruleset, and each example really
makes that error: the examples are run here, so the page cannot drift from the checker.

A section is `## PBR101 unknown-name`, then a paragraph, one or more ```pbr blocks, and the fix
(`**Fix:**`). A block is written to `example/1.0.0.pbr` unless its info line says `path=...`
(several blocks make several files; the first is loaded); one that does not start with
`ruleset` is given the header `ruleset example version 1.0.0` / `extends national 1.0.0`;
`encoding=latin-1` writes it in that encoding.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules.errors import Code, PbrError, RulesetErrors

DOC = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
HEADING = re.compile(r"^## (PBR\d{3}) ([a-z0-9-]+)[ \t]*$", re.M)
BLOCK = re.compile(r"^```pbr([^\n]*)\n(.*?)^```", re.M | re.S)
HEADER = "ruleset example version 1.0.0\nextends national 1.0.0\n"


def sections() -> dict:
    text = DOC.read_text(encoding="utf-8")
    found = {}
    matches = list(HEADING.finditer(text))
    for match, following in zip(matches, matches[1:] + [None]):
        body = text[match.end(): following.start() if following else len(text)]
        found[(match.group(1), match.group(2))] = body
    return found


SECTIONS = sections()


def test_every_code_has_one_section_in_order():
    documented = list(SECTIONS)
    assert documented == [(code.number, code.slug) for code in Code]


@pytest.mark.parametrize("code", list(Code), ids=[code.number for code in Code])
def test_the_example_makes_the_error_and_the_fix_is_given(code, tmp_path):
    body = SECTIONS[(code.number, code.slug)]
    assert "**Fix:**" in body, f"{code}: say how to fix it"
    blocks = BLOCK.findall(body)
    assert blocks, f"{code}: give an example ruleset in a ```pbr block"
    target = None
    for info, text in blocks:
        options = dict(item.split("=", 1) for item in info.split())
        path = tmp_path / options.get("path", "example/1.0.0.pbr")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not text.startswith("ruleset"):
            text = HEADER + text
        path.write_bytes(text.encode(options.get("encoding", "utf-8")))
        target = target or path
    with pytest.raises(PbrError) as caught:
        pbr_rules.load(target, [tmp_path])
    error = caught.value
    codes = [e.code for e in error.errors] if isinstance(error, RulesetErrors) else [error.code]
    assert code in codes, f"{code}: the example gave {[str(c) for c in codes]}:\n{error}"
