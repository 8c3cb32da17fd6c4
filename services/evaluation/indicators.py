"""Every indicator over the current view, through the suppression step, as
IndicatorRecords: what `silta evaluate indicators`, the report and `publish` show.

    con = connect(workdir)
    records = indicators(con, current_relation(con, logs), Options(period=parse_period("2025")))

Each indicator module returns counts per group; this module turns them into tables
(cells and the sums tying them), suppresses them once, and writes the records.
"""

from __future__ import annotations

from typing import Any

from contracts.indicators import IndicatorRecord
from services.evaluation import costs, crosssector, deadlines, outcomes, paths
from services.evaluation.suppression import Key, Sum, suppress
from services.evaluation.tables import Options, Table, with_total


def indicators(con: Any, view: Any, options: Options) -> list[IndicatorRecord]:
    unit_costs = costs.load(options.unit_costs or costs.DEFAULT_TABLE)  # fail before work
    view.create_view("silta_view", replace=True)
    deadlines.prepare(con)
    tables = [_deadline_table(con, d, options) for d in deadlines.DEADLINES]
    tables += outcomes.tables(con, options)
    tables += crosssector.tables(con, options)
    tables += paths.tables(con, options)
    tables += costs.tables(con, options, unit_costs)
    return [record for table in tables for record in _publish(table, options)]


def _deadline_table(con: Any, deadline: deadlines.Deadline, options: Options) -> Table:
    start, until = options.window()
    by_group = deadlines.counts(con, deadline, start, until, options.by)
    for cells in by_group.values():
        cells["decided"] = cells["met"] + cells["missed"]
    rows = with_total(by_group, options)
    rows[None] = {"met": 0, "missed": 0, "open": 0, "decided": 0} | rows[None]

    def record(group: str | None, cells: dict[str, int | None]) -> dict[str, Any]:
        met, decided = cells["met"], cells["decided"]
        return {"numerator": met, "denominator": decided, "open": cells["open"],
                "value": met / decided if met is not None and decided else None}

    return Table(deadline.id, rows, {"decided": ("met", "missed")}, record)


_FIELD_OF = {"met": "numerator", "decided": "denominator", "improved": "numerator",
             "n": "denominator", "with": "numerator", "clients": "denominator",
             "costed": "numerator"}


def _publish(table: Table, options: Options) -> list[IndicatorRecord]:
    cells: dict[Key, int] = {(group, name): n for group, row in table.counts.items()
                             for name, n in row.items()}
    sums = [Sum((group, total), tuple((group, p) for p in parts))
            for group in table.counts for total, parts in table.parts.items()]
    groups = [g for g in table.counts if g is not None]
    if groups:
        sums += [Sum((None, name), tuple((g, name) for g in groups))
                 for name in table.counts[None]]
    hidden = suppress(cells, sums, options.min_cell)
    period = options.period.label if options.period else None
    out = []
    for group, row in sorted(table.counts.items(), key=lambda item: (item[0] is not None,
                                                                      item[0] or "")):
        shown = {name: None if (group, name) in hidden else n for name, n in row.items()}
        fields = table.record(group, shown)
        reasons = {_FIELD_OF.get(name, name): hidden.reasons[(group, name)]
                   for name in row if (group, name) in hidden}
        out.append(IndicatorRecord(indicator=table.indicator, period=period,
                                   group=table.label(group),
                                   suppressed=reasons, **fields))
    return out
