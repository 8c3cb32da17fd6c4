"""Every indicator over the current view, through the suppression step, as
IndicatorRecords: what `silta evaluate indicators`, the report and `publish` show.

    con = connect(workdir)
    records = indicators(con, current_relation(con, logs), Options(period=parse_period("2025")))

`prepare` reads the view once into the tables every indicator shares (rows.py, the
deadlines' cases); `compute` turns them into tables of counts (cells and the sums tying
them), suppresses each once, and writes the records. `indicators` is both; a report that
needs several periods prepares once and computes each.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from contracts.indicators import IndicatorRecord
from services.evaluation import costs, crosssector, deadlines, outcomes, paths, rows
from services.evaluation.suppression import Key, Sum, suppress
from services.evaluation.tables import Options, Table, with_total

# "paths" includes the costs: a variant's cost is read off the paths' table
FAMILIES = ("deadlines", "outcomes", "cross-sector", "paths")
# What the indicator modules read of each row (rows.py)
REFS = rows.REFS | outcomes.REFS
CODES = deadlines.CODES | outcomes.CODES | paths.CODES
COLUMNS = deadlines.COLUMNS | outcomes.COLUMNS | crosssector.COLUMNS


@dataclass(frozen=True)
class Prepared:
    """The tables `prepare` left in a connection, and the grouping they were made for."""

    con: Any
    by: str | None
    unit_costs: list[costs.UnitCost]


def indicators(con: Any, view: Any, options: Options) -> list[IndicatorRecord]:
    """Every indicator of `view` (a DuckDB relation of the current view) under `options`."""
    return compute(prepare(con, view, options), options)


def prepare(con: Any, view: Any, options: Options) -> Prepared:
    """Read `view` into the shared tables, grouped by `options.by`."""
    unit_costs = costs.load(options.unit_costs or costs.DEFAULT_TABLE)  # fail before work
    rows.prepare(con, view, options.by, REFS, CODES, COLUMNS)
    deadlines.prepare(con)
    return Prepared(con, options.by, unit_costs)


def compute(prepared: Prepared, options: Options,
            families: Collection[str] = FAMILIES) -> list[IndicatorRecord]:
    """The records of `families` for `options` (its grouping that of `prepare`, or none)."""
    if options.by not in (None, prepared.by):
        raise ValueError(f"prepared for --by {prepared.by}, asked for --by {options.by}")
    con = prepared.con
    try:
        tables = deadline_tables(con, options) if "deadlines" in families else []
        if "outcomes" in families:
            tables += outcomes.tables(con, options)
        if "cross-sector" in families:
            tables += crosssector.tables(con, options)
        if "paths" in families:
            costs.price(con, options, prepared.unit_costs)
            tables += paths.tables(con, options)  # costs.tables reads its clients
            tables += costs.tables(con, options)
    finally:  # what one computation needs is not kept for the next (memory is the limit)
        for table in (*outcomes.SCRATCH, *paths.SCRATCH, *costs.SCRATCH):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return [record for table in tables for record in publish(table, options)]


def deadline_tables(con: Any, options: Options) -> list[Table]:
    start, until = options.window()
    counted = deadlines.counts(con, start, until, grouped=options.by is not None)
    out = []
    for deadline in deadlines.DEADLINES:
        by_group = counted[deadline.id]
        for cells in by_group.values():
            cells["decided"] = cells["met"] + cells["missed"]
        counts = with_total(by_group, options)
        counts[None] = {"met": 0, "missed": 0, "open": 0, "decided": 0} | counts[None]
        out.append(Table.of(deadline.id, counts, {"decided": ("met", "missed")},
                            _deadline_record))
    return out


def _deadline_record(group: str | None, cells: dict[str, int | None]) -> dict[str, Any]:
    met, decided = cells["met"], cells["decided"]
    return {"numerator": met, "denominator": decided, "open": cells["open"],
            "value": met / decided if met is not None and decided else None}


_FIELD_OF = {"met": "numerator", "decided": "denominator", "improved": "numerator",
             "n": "denominator", "with": "numerator", "clients": "denominator",
             "costed": "numerator"}


def publish(table: Table, options: Options) -> list[IndicatorRecord]:
    cells: dict[Key, int] = {(group, name): n for group, row in table.counts.items()
                             for name, n in row.items()}
    sums = [Sum((group, total), tuple((group, p) for p in parts))
            for group in table.counts for total, parts in table.sums]
    groups = [g for g in table.counts if g is not None]
    if groups:
        sums += [Sum((None, name), tuple((g, name) for g in groups))
                 for name in table.counts[None]]
    hidden = suppress(cells, sums, options.min_cell)
    period = options.period.label if options.period else None
    ordered = sorted(table.counts.items(), key=lambda item: (item[0] is not None, item[0] or ""))
    out = []
    for output in table.outputs:
        for group, row in ordered:
            shown = {name: None if (group, name) in hidden else n for name, n in row.items()}
            fields = output.record(group, shown)
            fields_of = output.fields or {name: _FIELD_OF.get(name, name) for name in row}
            reasons = {field: hidden.reasons[(group, name)]
                       for name, field in fields_of.items() if (group, name) in hidden}
            out.append(IndicatorRecord(indicator=output.indicator, period=period,
                                       group=output.label(group), suppressed=reasons,
                                       **fields))
    return out
