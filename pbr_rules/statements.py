"""Render a payment run: statements per provider per period, spend against budgets and the
cash-flow forecast, as Markdown or HTML (Jinja templates in ``templates/``), and payment lines
as CSV.

Everything shown comes from the run's lines, so a finance lead can reconcile a statement line
by line with `pbr pay --format jsonl`. Provider names, client ids and reasons come from data and
rulesets, which are untrusted: HTML is autoescaped, and Markdown cells are escaped too.
"""

from __future__ import annotations

import csv
import functools
import re
from decimal import Decimal

import attrs

from .pay import SHADOW, ZERO, LineKind, LineStatus, PaymentRun
from .values import format_money

LINE_COLUMNS = ["provider", "period", "date", "client", "item", "unit", "instalment", "due", "paid", "status",
                "reasons"]
CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 640, 180, 40


@attrs.frozen
class Statement:
    provider: str
    period: str
    lines: tuple
    totals: tuple          # (label, due, paid) for outcomes, fees, floor top-ups and all
    adjusted: tuple        # lines a cap, a reduction or a floor changed or made
    held: tuple


@attrs.frozen
class Chart:
    """A bar chart of one provider's forecast by month, in SVG coordinates."""

    provider: str
    width: int
    height: int
    bars: tuple            # (x, y, width, height, month, amount shown)
    top: str               # the largest amount, shown on the axis


def statements(run: PaymentRun) -> list:
    out = []
    for provider, period, lines in run.statements():
        totals = []
        for label, kind in (("Outcomes", LineKind.OUTCOME), ("Fees", LineKind.FEE), ("Floor top-ups", LineKind.FLOOR)):
            of_kind = [line for line in lines if line.kind is kind]
            if of_kind:
                totals.append((label, _sum(line.due for line in of_kind), _sum(line.paid for line in of_kind)))
        totals.append(("Total", _sum(line.due for line in lines), _sum(line.paid for line in lines)))
        adjusted = tuple(line for line in lines if line.kind is LineKind.FLOOR or line.status in (
            LineStatus.PART_CAPPED, LineStatus.CAPPED, LineStatus.REDUCED))
        held = tuple(line for line in lines if line.status is LineStatus.HELD)
        out.append(Statement(provider, period, tuple(lines), tuple(totals), adjusted, held))
    return out


def summary(run: PaymentRun) -> list:
    """(provider, due, paid, held lines) over every line shown, and ("All providers", ...) last."""
    rows: dict = {}
    for line in run.lines:
        due, paid, held = rows.get(line.provider, (ZERO, ZERO, 0))
        rows[line.provider] = (due + (line.due or ZERO), paid + line.paid, held + (line.status is LineStatus.HELD))
    out = [(provider, *totals) for provider, totals in sorted(rows.items())]
    if len(out) > 1:
        out.append(("All providers", _sum(r[1] for r in out), _sum(r[2] for r in out), sum(r[3] for r in out)))
    return out


def _sum(amounts) -> Decimal:
    return sum((a for a in amounts if a is not None), ZERO)


def charts(run: PaymentRun) -> list:
    by_provider: dict = {}
    for provider, month, amount in run.forecast_by_month():
        by_provider.setdefault(provider, []).append((month, amount))
    out = []
    for provider, months in by_provider.items():
        top = max(amount for _, amount in months) or Decimal(1)
        step = (CHART_WIDTH - CHART_MARGIN) / max(len(months), 1)
        bars = []
        for index, (month, amount) in enumerate(months):
            height = float(amount / top) * (CHART_HEIGHT - 30)
            bars.append((round(CHART_MARGIN + index * step + 2, 1), round(CHART_HEIGHT - 20 - height, 1),
                         round(min(max(step - 4, 1), 48), 1), round(height, 1), month, format_money(amount)))
        out.append(Chart(provider, CHART_WIDTH, CHART_HEIGHT, tuple(bars), format_money(top)))
    return out


_MARKDOWN_SPECIAL = re.compile(r"([\\`*{}\[\]<>|#])")


def markdown_cell(value) -> str:
    """A value in a Markdown table cell: one line, its special characters escaped (a provider
    name or a reason could otherwise break the table or inject HTML)."""
    text = " ".join(str("" if value is None else value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _money(value) -> str:
    return "" if value is None else format_money(value)


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2  # only the statements need it: `pbr pay` writing JSON Lines or CSV starts without it
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pbr_rules", "templates"), undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",)), trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters.update(md=markdown_cell, money=_money)
    return environment


def render(run: PaymentRun, fmt: str, title: str = "", set_aside: int = 0) -> str:
    """The run as a Markdown or HTML document: every statement, budgets, and the forecast.
    ``set_aside`` counts the clients not paid because their records were not valid data."""
    template = _environment().get_template(f"statement.{fmt}.j2")
    return template.render(run=run, statements=statements(run), summary=summary(run), charts=charts(run),
                           shadow=SHADOW if run.shadow else "",
                           forecast=run.forecast_by_month(), title=title or f"Payment statements: {run.ruleset}",
                           set_aside=set_aside or len(run.rejected))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A text cell a spreadsheet will not run as a formula: one that starts like a formula gets a
    leading apostrophe (client ids and provider names come from data)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(run: PaymentRun, out) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LINE_COLUMNS + ["ruleset"] + (["shadow"] if run.shadow else []))
    for data in run.to_json_lines():
        row = [data[c] for c in LINE_COLUMNS[:-1]] + [" | ".join(data["reasons"]), data["ruleset"]]
        writer.writerow([spreadsheet_safe(v) for v in row] + ([data["shadow"]] if run.shadow else []))
