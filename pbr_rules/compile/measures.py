"""The compiled part of a cohort measure: what one client contributes.

For each measure the generator writes two functions of a client's as-of view:
- `mc_M(client, as_of)`: the record that makes the client a member (the earliest of its list
  dated in the cohort period that meets the cohort's condition), or None;
- `mv_M(client, as_of, unit)`: the member's value and the last day of its period (the measure's
  window), given that record.
Adding members up across clients is the measure stage's (pbr_rules/measure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .generator import Generator


def emit_measure_functions(gen: "Generator") -> None:
    if gen.trace:  # explain traces outcomes; measures are taken over a cohort, not one client
        return
    for spec in gen.c.measures.values():
        _membership(gen, spec)
        _value(gen, spec)


def _membership(gen: "Generator", spec) -> None:
    measure = spec.measure
    cohort = measure.cohort
    out = gen.out
    out.span = cohort.span
    gen.analysis.start()
    out.name_as(cohort.binding, "unit")
    first, last = out.const(spec.first), out.const(spec.last)
    condition = f" and ({gen.ex(cohort.condition)}) is True" if cohort.condition is not None else ""
    out.define(f"mc_{measure.name}", "client, as_of")
    out.emit(1, f"for unit in client[{spec.list_field!r}]:")  # in date order: stop past the period
    out.emit(2, f"_d = unit[{spec.dated_by!r}]")
    out.emit(2, f"if _d > {last}:")
    out.emit(3, "return None")
    out.emit(2, f"if _d >= {first}{condition}:")
    out.emit(3, "return unit")
    out.emit(1, "return None")
    out.emit(0, "")


def _value(gen: "Generator", spec) -> None:
    measure = spec.measure
    out = gen.out
    out.span = measure.span
    gen.analysis.start()
    out.name_as(measure.cohort.binding, "unit")
    out.define(f"mv_{measure.name}", "client, as_of, unit")
    for statement in measure.statements:
        out.span = statement.span
        gen.visit(statement)
    out.span = measure.value.span
    window = out.name_of(spec.window.binding, spec.window.name)
    out.emit(1, f"return ({gen.ex(measure.value)}, {window}.end)")
    out.emit(0, "")
