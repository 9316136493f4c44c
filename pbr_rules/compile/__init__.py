"""Compile: a checked ruleset to Python, with a map from each generated line to its rule.

    writer.py      the generated lines, the line map, the constants and fresh names
    generator.py   the visitor that writes one function per definition and outcome
    measures.py    the two functions of a cohort measure: who is a member, and the member's value

No text from the ruleset is ever put into the code: values travel in the constants tuple ``K``,
names bound by rules get fresh numbered names, and the only identifiers taken from the ruleset
(definition and outcome names, field names as dictionary keys) are ones the grammar limited to
letters, digits and underscores.
"""

from __future__ import annotations

import builtins
from typing import Callable

import attrs

from .. import runtime
from ..check import CheckedRuleset
from ..dates import add_duration, add_months, subtract_duration
from ..errors import InternalError, Span
from ..results import OutcomeResult
from ..tree import Frequency
from .generator import STATUS_NAMES, Generator

__all__ = ["compile_ruleset", "CompiledRuleset", "CompiledOutcome"]

# The only built-ins the generated code uses, and the only ones it can reach: no `open`,
# `__import__` or `eval`, even if a name from a ruleset ever reached the code by mistake.
GENERATED_BUILTINS = {name: getattr(builtins, name) for name in ("all", "any", "len", "next", "reversed", "sum")}


@attrs.frozen(slots=True)
class CompiledOutcome:
    name: str
    title: str
    list_field: str | None        # the client list holding its units; None: one unit, the client
    frequency: Frequency
    span: Span
    unit_type: str | None = None  # "client", or the record type of its units
    domain: str | None = None


@attrs.define(slots=True)
class CompiledRuleset:
    ref: str
    outcomes: tuple               # CompiledOutcome, in the ruleset's order
    source: str                   # the generated Python, for reading and debugging
    line_spans: tuple             # generated line number - 1 -> Span of the rule it came from
    filename: str
    traced: bool
    evaluate_all: Callable        # (client view, as_of[, trace]) -> [OutcomeResult, ...]
    functions: dict = attrs.field(factory=dict, repr=False)  # every generated function, by name

    def span_of_line(self, lineno: int) -> Span | None:
        if 0 < lineno <= len(self.line_spans):
            return self.line_spans[lineno - 1]
        return None


def compile_ruleset(checked: CheckedRuleset, trace: bool = False) -> CompiledRuleset:
    out = Generator(checked, trace).generate()
    source = out.source()
    filename = f"<pbr {checked.ref}{' traced' if trace else ''}>"
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as error:  # the generator produced bad Python: our bug, not the user's
        raise InternalError(f"generated code does not compile: {error.msg} at line {error.lineno}",
                            hint=str(out.line_spans[max((error.lineno or 1) - 1, 0)])) from None
    namespace = {"K": tuple(out.constants), "_rt": runtime, "_R": OutcomeResult, "_new": tuple.__new__,
                 "__builtins__": GENERATED_BUILTINS,
                 # short names for the hottest helpers
                 "_rt_field": runtime.field, "_rt_add_duration": add_duration, "_rt_add_months": add_months,
                 "_rt_subtract_duration": subtract_duration}
    namespace.update({name: status for status, name in STATUS_NAMES.items()})
    exec(code, namespace)
    outcomes = tuple(CompiledOutcome(o.name, o.title, checked.unit_lists.get(o.name), o.frequency, o.span,
                                     o.unit_type, o.domain)
                     for o in checked.outcomes.values())
    functions = {name: value for name, value in namespace.items() if callable(value) and name[:2] in
                 ("o_", "d_", "t_", "i_", "f_", "p_", "mc", "mv")}
    return CompiledRuleset(checked.ref, outcomes, source, tuple(out.line_spans), filename, trace,
                           namespace["evaluate_all"], functions)
