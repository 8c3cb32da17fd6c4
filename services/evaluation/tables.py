"""What every indicator hands to the publishing step: the options it was computed under
and its counts per group, with the sums that tie the counts together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.evaluation.periods import Period
from services.evaluation.suppression import DEFAULT_MIN_CELL
from services.workdays import HELSINKI

BY = ("organisation", "age_band", "sector")


@dataclass(frozen=True)
class Options:
    period: Period | None = None
    # The first day not yet counted: the data's position. A case whose step had not come
    # by then is open or missed, whatever arrives later.
    until: dt.date | None = None
    by: str | None = None
    min_cell: int = DEFAULT_MIN_CELL
    unit_costs: Path | None = None  # a user's unit-cost table; default costs.DEFAULT_TABLE

    def window(self) -> tuple[dt.date, dt.date]:
        until = self.until or dt.datetime.now(HELSINKI).date() + dt.timedelta(days=1)
        if self.period is None:
            return dt.date(1900, 1, 1), until
        return self.period.start, min(self.period.end, until)

    def label(self, value: str | None) -> str | None:
        return None if self.by is None else f"{self.by}={value or 'unknown'}"


Counts = dict[str | None, dict[str, int]]
# (group, its cells with the suppressed ones None) -> the record's other fields
RecordFn = Callable[[str | None, dict[str, int | None]], dict[str, Any]]
MAX_LABEL = 256  # IndicatorRecord.group


@dataclass(frozen=True)
class Output:
    """One indicator read off a table's rows: a record per row."""

    indicator: str
    record: RecordFn
    prefix: str | None = None                 # label part shared by every row (a role)
    # the cells it shows, by the name `suppressed` gives them; None: all the row's
    fields: Mapping[str, str] | None = None

    def label(self, group: str | None) -> str | None:
        return ",".join(p for p in (self.prefix, group) if p) or None


@dataclass(frozen=True)
class Table:
    """Counts per group, which counted cells add up to others, and the indicators read off
    them. Indicators that share counts (a variant's clients and its cost) share a table, so
    one suppression decides what all of them show."""

    counts: Counts                            # group label (None: everyone) -> cell -> n
    sums: Sequence[tuple[str, Sequence[str]]]  # (cell, the cells it is the sum of)
    outputs: Sequence[Output]

    @classmethod
    def of(cls, indicator: str, counts: Counts, sums: Mapping[str, Sequence[str]],
           record: RecordFn, prefix: str | None = None) -> Table:
        """A table with one indicator."""
        return cls(counts, list(sums.items()), [Output(indicator, record, prefix)])


def with_total(by_group: Counts, options: Options) -> Counts:
    """Per-group counts relabelled, plus the everyone row (None); a cell one group lacks
    is 0 there."""
    names = list(dict.fromkeys(name for cells in by_group.values() for name in cells))
    rows: Counts = {options.label(g): {name: c.get(name, 0) for name in names}
                    for g, c in by_group.items()} if options.by else {}
    rows[None] = {name: sum(c.get(name, 0) for c in by_group.values()) for name in names}
    return rows
