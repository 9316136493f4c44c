"""The shape of the code: every pass knows every node it walks, every grammar rule is built,
every declaration kind has its row, every field kind is read, stages import only earlier
stages, and no function outgrows a screen. Each of these fails when a construct is added to one
place and forgotten in another."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import pbr_rules
from pbr_rules import tree
from pbr_rules.declarations import KINDS, kind_of
from pbr_rules.errors import InternalError
from pbr_rules.visitor import Visitor

PACKAGE = Path(pbr_rules.__file__).parent
MODULES = sorted(name for _, name, _ in pkgutil.walk_packages([str(PACKAGE)], "pbr_rules.")
                 if not name.endswith(".__main__"))  # running it is the point of a __main__
for _name in MODULES:
    importlib.import_module(_name)


def all_visitors() -> list[type]:
    found, pending = [], list(Visitor.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("pbr_rules.")]


PASSES = all_visitors()


def test_the_passes_are_found():
    names = {cls.__name__ for cls in PASSES}
    assert {"ExpressionChecker", "OutcomeChecker", "Checker", "ConstantFolder", "Inliner", "Generator"} <= names


@pytest.mark.parametrize("visitor", PASSES, ids=[cls.__name__ for cls in PASSES])
def test_every_pass_has_a_method_for_every_node_of_the_families_it_walks(visitor):
    assert visitor.walks, f"{visitor.__name__} must say which node families it walks"
    assert visitor.missing_methods() == []


def test_a_pass_missing_a_method_is_caught_and_refuses_the_node():
    class OnlyLiterals(Visitor):
        walks = (tree.Expr,)

        def visit_Literal(self, node):
            return node.value

    assert "Binary" in OnlyLiterals.missing_methods()
    span = pbr_rules.errors.Span("x.pbr", 1, 1)
    with pytest.raises(InternalError, match="does not know Name nodes"):
        OnlyLiterals().visit(tree.Name("x", span=span))


def test_every_declaration_class_has_one_row_in_the_table_of_kinds():
    declared = {kind.node for kind in KINDS}
    assert declared == set(tree.node_classes(tree.Declaration))
    assert len(declared) == len(KINDS)

    class Stray(tree.Node):  # a node outside the families, so the other tests never meet it
        pass

    with pytest.raises(InternalError, match="no row in the table"):
        kind_of(Stray(span=pbr_rules.errors.Span("x.pbr", 1, 1)))


def test_every_rule_of_the_grammar_has_a_tree_builder_method():
    from pbr_rules.parse.builder import Builder
    from pbr_rules.parse.grammar import parser
    built = set()
    for rule in parser().rules:
        name = str(rule.alias or rule.origin.name)
        if name.startswith("_") or (rule.options.expand1 and not rule.alias):
            continue  # inlined by Lark: no tree of its own
        built.add(name)
    assert built, "no rules found"
    assert sorted(name for name in built if not callable(getattr(Builder, name, None))) == []


def test_a_grammar_rule_without_a_method_is_refused_not_passed_on():
    from lark import Tree
    from pbr_rules.parse.builder import Builder
    with pytest.raises(Exception) as caught:
        Builder("x.pbr", [""], lambda text: None).transform(Tree("unheard_of", []))
    assert isinstance(caught.value.__context__ or caught.value, Exception)
    assert "unheard_of" in str(caught.value)


def test_node_equality_leaves_out_position_and_annotations():
    a = tree.Binary(tree.Op.ADD, tree.Name("x", span=span(1)), tree.Literal(1, span=span(1)), span=span(1))
    b = tree.Binary(tree.Op.ADD, tree.Name("x", span=span(9)), tree.Literal(1, span=span(9)), span=span(9),
                    type="annotated")
    assert a == b and hash(a) == hash(b)
    assert [type(c).__name__ for c in a.children()] == ["Name", "Literal"]
    assert tree.Binary.fields() == ("op", "left", "right")
    assert a.replace(op=tree.Op.SUBTRACT) != a


def span(line: int):
    return pbr_rules.errors.Span("x.pbr", line, 1)


def test_every_field_kind_is_read_typed_and_written_by_every_stage():
    from pbr_rules.check.types import of_field
    from pbr_rules.data import CONVERTERS, ClientReader
    for scalar in tree.Scalar:
        assert scalar in CONVERTERS and callable(getattr(ClientReader, CONVERTERS[scalar]))
        assert of_field(scalar, "x") is not None


# stages, in the order data flows; a module may import the foundation and earlier stages only
FOUNDATION = {"errors", "counts", "values", "words", "resources", "dates", "tree", "visitor", "schema", "results",
              "runtime"}
STAGES = ["parse", "declarations", "resolve", "data", "fast_reader", "extracts", "check", "analyse", "compile", "pipeline",
          "measure", "pay", "evaluate", "jobs", "examples", "statements", "describe", "diff", "compare", "docs", "cohort", "cli",
          "__init__"]


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_stages(module: str) -> set:
    path = Path(importlib.import_module(module).__file__)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "pbr_rules" or target.startswith("pbr_rules."):
                names = [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
                found |= {stage_of(name) for name in names}
        elif isinstance(node, ast.Import):
            found |= {stage_of(a.name) for a in node.names if a.name.startswith("pbr_rules.")}
    return found


@pytest.mark.parametrize("module", MODULES)
def test_data_flows_one_way_no_stage_imports_a_later_one(module):
    own = stage_of(module)
    if own in FOUNDATION:
        allowed = FOUNDATION
    else:
        assert own in STAGES, f"{module}: add its stage to STAGES or FOUNDATION"
        allowed = FOUNDATION | set(STAGES[: STAGES.index(own) + 1])
    assert imported_stages(module) - allowed - {own} == set()


def test_every_subpackage_is_installed():
    import tomllib
    repository = Path(__file__).resolve().parent.parent  # the source tree, not the installed copy
    pyproject = tomllib.loads((repository / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    source = repository / "pbr_rules"
    subpackages = {"pbr_rules." + path.parent.relative_to(source).as_posix().replace("/", ".")
                   for path in source.rglob("__init__.py") if path.parent != source}
    assert {"pbr_rules.check", "pbr_rules.compile", "pbr_rules.parse"} <= subpackages
    assert subpackages - listed == set()


def test_no_function_is_longer_than_about_a_screen():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_the_checked_tree_records_every_type_and_what_every_name_refers_to():
    from pbr_rules.check.scope import EnumName, EnumValue, Symbol
    checked = pbr_rules.load("wigan").checked
    roots = [d.body for d in checked.definitions.values()] + list(checked.outcomes.values())
    seen = 0
    for root in roots:
        for node in root.walk():
            if isinstance(node, tree.Name):
                assert isinstance(node.ref, (Symbol, EnumValue, EnumName)), (node, node.span)
                if isinstance(node.ref, EnumName):
                    continue  # the enum itself, in `setting.treatment`, is not a value
            if isinstance(node, tree.Expr):
                assert node.type is not None, (node, node.span)
                seen += 1
    assert seen > 500  # the check really walked the trees
