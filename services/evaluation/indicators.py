"""Every indicator over the current view, through the suppression step, as
IndicatorRecords: what `silta evaluate indicators`, the report and `publish` show.

    con = connect(workdir)
    records = indicators(con, current_relation(con, logs), Options(period=parse_period("2025")))

Each indicator module returns counts per group; this module turns them into tables
(cells and the sums tying them), suppresses them once, and writes the records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.indicators import IndicatorRecord
from services.evaluation import deadlines
from services.evaluation.periods import Period
from services.evaluation.suppression import DEFAULT_MIN_CELL, Key, Sum, suppress

BY = tuple(deadlines.GROUPS)


@dataclass(frozen=True)
class Options:
    period: Period | None = None
    # The first day not yet counted: the data's position. A case whose step had not come
    # by then is open or missed, whatever arrives later.
    until: dt.date | None = None
    by: str | None = None
    min_cell: int = DEFAULT_MIN_CELL

    def window(self) -> tuple[dt.date, dt.date]:
        until = self.until or dt.date.today() + dt.timedelta(days=1)
        if self.period is None:
            return dt.date(1900, 1, 1), until
        return self.period.start, min(self.period.end, until)

    def label(self, value: str | None) -> str | None:
        return None if self.by is None else f"{self.by}={value or 'unknown'}"


Counts = dict[str | None, dict[str, int]]


@dataclass(frozen=True)
class Table:
    """One indicator's counts per group, and which counted cells add up to others."""

    indicator: str
    counts: Counts                            # group label (None: everyone) -> cell -> n
    parts: Mapping[str, Sequence[str]]        # cell -> the cells it is the sum of
    record: Callable[[dict[str, int | None]], dict[str, Any]]  # published cells -> fields


def indicators(con: Any, view: Any, options: Options) -> list[IndicatorRecord]:
    view.create_view("silta_view", replace=True)
    deadlines.prepare(con)
    tables = [_deadline_table(con, d, options) for d in deadlines.DEADLINES]
    return [record for table in tables for record in _publish(table, options)]


def with_total(by_group: Counts, options: Options) -> Counts:
    """Per-group counts relabelled, plus the everyone row (None)."""
    rows: Counts = {options.label(g): dict(c) for g, c in by_group.items()} if options.by else {}
    total: dict[str, int] = {}
    for cells in by_group.values():
        for name, n in cells.items():
            total[name] = total.get(name, 0) + n
    rows[None] = total
    return rows


def _deadline_table(con: Any, deadline: deadlines.Deadline, options: Options) -> Table:
    start, until = options.window()
    by_group = deadlines.counts(con, deadline, start, until, options.by)
    for cells in by_group.values():
        cells["decided"] = cells["met"] + cells["missed"]
    rows = with_total(by_group, options)
    rows[None] = {"met": 0, "missed": 0, "open": 0, "decided": 0} | rows[None]

    def record(cells: dict[str, int | None]) -> dict[str, Any]:
        met, decided = cells["met"], cells["decided"]
        return {"numerator": met, "denominator": decided, "open": cells["open"],
                "value": met / decided if met is not None and decided else None}

    return Table(deadline.id, rows, {"decided": ("met", "missed")}, record)


_FIELD_OF = {"met": "numerator", "decided": "denominator", "open": "open", "missed": "missed"}


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
        fields = table.record(shown)
        reasons = {_FIELD_OF.get(name, name): hidden.reasons[(group, name)]
                   for name in row if (group, name) in hidden}
        out.append(IndicatorRecord(indicator=table.indicator, period=period, group=group,
                                   suppressed=reasons, **fields))
    return out
