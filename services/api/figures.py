"""The dashboard's numbers: every indicator of services/evaluation over this API's own
store, computed by `indicators()` exactly as `silta evaluate indicators` computes them
(same store, same suppression, counted up to the end of today in Helsinki).

Computing costs DuckDB work in proportion to the store (about a second for 10^4 entries,
minutes for 10^7: services/evaluation/README.md), so:
- the store is mirrored into the evaluator's `Timeline` (Parquet in a temporary folder)
  once, then read incrementally (only entries after the position already read);
- results are kept per period and grouping until the store moves, and the store is looked
  at again at most every `max_age` seconds: a busy store costs at most one computation
  per choice and interval, a quiet one none after the first;
- the view is read into the indicators' shared tables once per store position (and
  grouping); each period and the deadline trend's TREND half-years are computed from them;
- one computation at a time, in a worker thread, so the API keeps answering other reads.

DuckDB, pyarrow, numpy and pytz are the optional `evaluation` extra: without them `missing()`
says what to install, the endpoint answers 503 and the page says the dashboard is
unavailable. Nothing of services/evaluation is imported before that check.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import time
from dataclasses import dataclass, field
from typing import Any

from contracts.indicators import IndicatorRecord
from services.api.models import DataSpan, Indicators
from services.workdays import HELSINKI

EXTRA = "the dashboard needs the 'evaluation' extra: pip install 'sote-silta[evaluation]'"
REQUIRED = ("duckdb", "pyarrow", "numpy", "pytz")
# The deadline indicators' shares over the data's latest TREND THL half-years are the
# dashboard's trend.
TREND = 6
# A Timeline keeps a Parquet file per read that found new entries; after this many the
# store is mirrored afresh into one.
COMPACT_AFTER = 200


def missing() -> str | None:
    """Why the dashboard cannot compute (a module of the extra is not installed), or None."""
    for module in REQUIRED:
        try:
            importlib.import_module(module)
        except ImportError:
            return f"{module} is not installed: {EXTRA}"
    return None


@dataclass
class _Mirror:
    """The store as the evaluator's tools read it, and what was computed on it."""

    timeline: Any
    view: Any = None
    reads: int = 0
    span: DataSpan = field(default_factory=lambda: DataSpan(
        entries=0, first_event_day=None, last_event_day=None))
    results: dict[tuple[str | None, str | None, dt.date], Indicators] = field(
        default_factory=dict)
    trends: dict[dt.date, list[IndicatorRecord]] = field(default_factory=dict)
    prepared: Any = None  # the shared tables of services/evaluation/indicators.py `prepare`


class IndicatorFigures:
    def __init__(self, store_url: str, min_cell: int, max_age: float) -> None:
        self.store_url = store_url
        self.min_cell = min_cell
        self.max_age = max_age
        self._mirror: _Mirror | None = None
        self._looked = -float("inf")
        self._lock = asyncio.Lock()

    async def figures(self, period: str | None, by: str | None) -> tuple[Indicators, bool]:
        """The figures, and whether they were kept from an earlier request. Raises
        ConfigError (an unknown period), SourceError (the store cannot be read)."""
        async with self._lock:
            return await asyncio.to_thread(self._figures, period, by)

    def _figures(self, period: str | None, by: str | None) -> tuple[Indicators, bool]:
        from services.evaluation.periods import parse_period  # checked before any work

        chosen = parse_period(period) if period else None
        mirror = self._look()
        until = dt.datetime.now(HELSINKI).date() + dt.timedelta(days=1)
        key = (chosen.label if chosen else None, by, until)
        if key in mirror.results:
            return mirror.results[key], True
        from services.evaluation.indicators import compute
        from services.evaluation.tables import Options

        options = Options(period=chosen, until=until, by=by, min_cell=self.min_cell)
        prepared = self._prepared(mirror, options)
        span = mirror.span
        found = Indicators(
            period=key[0], by=by, min_cell=self.min_cell,
            counted_to=until - dt.timedelta(days=1), computed_at=dt.datetime.now(dt.UTC),
            data=span, periods=_periods(span.first_event_day, span.last_event_day),
            records=compute(prepared, options),
            trend=self._trend(mirror, until))
        mirror.results[key] = found
        return found, False

    def _look(self) -> _Mirror:
        """The mirror, brought up to the store's position when `max_age` has passed."""
        if self._mirror is not None and time.monotonic() - self._looked < self.max_age:
            return self._mirror
        from services.evaluation import Timeline

        if self._mirror is None or self._mirror.reads >= COMPACT_AFTER:
            self._drop()
            self._mirror = _Mirror(Timeline.from_store(self.store_url))
        mirror = self._mirror
        if mirror.timeline.refresh() or mirror.view is None:
            mirror.reads += 1
            mirror.view = mirror.timeline.current(ordered=False)
            mirror.span = _span(mirror.view)
            mirror.results.clear()
            mirror.trends.clear()
            mirror.prepared = None
        self._looked = time.monotonic()
        return mirror

    def _prepared(self, mirror: _Mirror, options: Any) -> Any:
        """The view read once into the indicators' shared tables; again only for another
        grouping (tables prepared for a grouping also answer the ungrouped figures)."""
        if mirror.prepared is None or options.by not in (None, mirror.prepared.by):
            from services.evaluation.indicators import prepare

            mirror.prepared = prepare(mirror.timeline.con, mirror.view, options)
        return mirror.prepared

    def _trend(self, mirror: _Mirror, until: dt.date) -> list[IndicatorRecord]:
        if until not in mirror.trends:
            from services.evaluation.indicators import compute
            from services.evaluation.periods import periods_between
            from services.evaluation.tables import Options

            first, last = mirror.span.first_event_day, mirror.span.last_event_day
            trend: list[IndicatorRecord] = []
            for half in periods_between(first, last)[-TREND:] if first and last else []:
                options = Options(period=half, until=until, min_cell=self.min_cell)
                trend += [r for r in compute(self._prepared(mirror, options), options,
                                             families=("deadlines",))
                          if r.group is None]
            mirror.trends[until] = trend
        return mirror.trends[until]

    def _drop(self) -> None:
        if self._mirror is not None:
            self._mirror.timeline.close()
            self._mirror = None

    def close(self) -> None:
        self._drop()


def _span(view: Any) -> DataSpan:
    """Current entries, first and last event day in Helsinki."""
    row = view.aggregate("count(*) AS n, "
                         "min(timezone('Europe/Helsinki', occurred_at))::DATE AS first_day, "
                         "max(timezone('Europe/Helsinki', occurred_at))::DATE AS last_day"
                         ).fetchone()
    return DataSpan(entries=int(row[0]), first_event_day=row[1], last_event_day=row[2])


def _periods(first: dt.date | None, last: dt.date | None) -> list[str]:
    if first is None or last is None:
        return []
    from services.evaluation.periods import periods_between

    return [p.label for kind in ("half-year", "year") for p in periods_between(first, last, kind)]
