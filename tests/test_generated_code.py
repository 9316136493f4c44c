"""The generated Python is hygienic (issue 11, class 2): nothing a ruleset writes reaches the code
except values in the constants tuple `K`, names through the mangling (`v12_x` for a binding, a
prefix per kind of declaration for a function) and field names as dictionary keys. So no name a
ruleset chooses can clash with another or with the code's own, and renaming a binding never
changes a result.
"""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pbr_rules
from pbr_rules import runtime
from pbr_rules.compile import GENERATED_BUILTINS, compile_ruleset
from pbr_rules.resources import shipped_rulesets_dir

# what the generated code itself names: its inputs, helpers in its namespace, and locals
OWN_NAMES = {"client", "as_of", "unit", "K", "_rt", "_R", "_new", "_trace", "_notes", "_p", "_at", "_c", "_d", "out",
             "append", "evaluate_all", "_rt_field", "_rt_add_duration", "_rt_add_months", "_rt_subtract_duration",
             "_ACHIEVED", "_NOT_ACHIEVED", "_PENDING", "_NOT_APPLICABLE", "None", "True", "False"}
# a binding: `v` and a number, then the name as written; a temporary: `t` and a number; a function:
# a prefix per kind of declaration and its name (instalments numbered)
MANGLED = re.compile(r"v[0-9]+_\w+|t[0-9]+|(d|o|t|f|p|mc|mv)_\w+|i_\w+_[0-9]+")
OWN_ATTRIBUTES = {"get", "isoformat", "join", "append", "start", "end"}
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifiers(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.FunctionDef):
            yield node.name


def assert_hygienic(compiled, texts) -> None:
    tree = ast.parse(compiled.source)
    for name in identifiers(tree):
        assert name in OWN_NAMES or name in GENERATED_BUILTINS or MANGLED.fullmatch(name), name
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert node.value == "" or FIELD_NAME.fullmatch(node.value), node.value  # field names, as keys
        if isinstance(node, ast.Attribute):  # the runtime's helpers, and a few methods of values
            assert node.attr in OWN_ATTRIBUTES or (ast.unparse(node.value) == "_rt" and hasattr(runtime, node.attr)
                                                   and not node.attr.startswith("__")), ast.unparse(node)
    for text in texts:
        assert text not in compiled.source


def ruleset_texts(ruleset) -> list[str]:
    """Titles, reasons and other texts written in the ruleset, long enough to recognise."""
    found = []
    for node in ruleset.checked.resolved.tables["outcomes"].values():
        found.append(node.title)
        for statement in node.statements:
            for template in getattr(statement, "reasons", None) or ():
                found.extend(part for part in template.parts if isinstance(part, str))
    return [text for text in found if text and len(text) > 12]


SHIPPED = sorted(f"{path.parent.name}@{path.stem}" for path in shipped_rulesets_dir().glob("*/*.pbr"))


@pytest.mark.parametrize("ref", SHIPPED)
def test_the_code_of_every_shipped_ruleset_holds_ruleset_names_only_mangled(ref):
    ruleset = pbr_rules.load(ref)
    texts = ruleset_texts(ruleset)
    assert texts, "the test must look for something"
    assert_hygienic(ruleset.compiled, texts)
    assert_hygienic(compile_ruleset(ruleset.checked, trace=True), texts)  # the code `pbr explain` runs


# names a ruleset may give its bindings that look like the code's own or like mangled names
LOOKALIKES = ["x", "x_1", "v1_x", "v2_x_1", "t1", "t2", "K", "out", "append", "unit", "as_of", "_notes", "_p",
              "_at", "_d", "open", "eval", "__import__", "d_abstinent", "o_q", "_rt", "_R", "len", "None_"]

CLIENTS = [
    {"id": "A", "presenting_substances": ["opiates"], "episodes": [{"id": "E1", "start": "2013-01-01"}],
     "top_reviews": [{"date": "2013-01-01", "stage": "start", "days_used": {"opiates": 20}},
                     {"date": "2013-03-01", "stage": "review", "days_used": {}, "injecting_days": 0}]},
    {"id": "B", "presenting_substances": ["crack"], "episodes": [{"id": "E2", "start": "2013-02-01"}],
     "top_reviews": [{"date": "2013-04-01", "stage": "review", "days_used": {"crack": 3}}]},
]


def binding_ruleset(rulesets, first: str, second: str, variable: str):
    return rulesets.write("names", "1.0.0", f"""
        ruleset names version 1.0.0
        extends national 1.0.0
        outcome q "Q"
          domain drugs, interim, per episode e
          let {first} = e.start
          let {second} = each r in client.top_reviews where r.stage = review
          achieved at e.start when some {variable} in {second} where {variable}.date > {first}
              and {variable}.injecting_days = 0
            because "A review after {{{first}}} without injecting."
          otherwise pending because "None yet."
        """)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.sampled_from(LOOKALIKES), min_size=3, max_size=3, unique=True))
def test_renaming_a_binding_never_changes_a_result(rulesets, names):
    """`let x_1 = ...` beside `some x in ...` once compiled both to one Python name."""
    plain = binding_ruleset(rulesets, "started", "reviews", "r2")
    expected = [r.results for r in pbr_rules.load(str(plain)).evaluate_many(CLIENTS, "2014-06-30")]
    renamed = pbr_rules.load(str(binding_ruleset(rulesets, *names)))
    assert [r.results for r in renamed.evaluate_many(CLIENTS, "2014-06-30")] == expected
    assert_hygienic(renamed.compiled, [])


def test_the_generated_code_can_reach_no_other_built_in(rulesets):
    ruleset = pbr_rules.load(str(binding_ruleset(rulesets, "started", "reviews", "r2")))
    namespace = ruleset.compiled.evaluate_all.__globals__
    assert set(namespace["__builtins__"]) == {"all", "any", "len", "next", "reversed", "sum"}
    assert "open" not in namespace and "__import__" not in namespace["__builtins__"]
