"""Materialise the timeline topic into the store: at-least-once, idempotent upserts.

The store is a projection of the log. Offsets commit after the store transaction, so a
crash in between redelivers a batch, and upserts by entry id make that harmless.
"""

from __future__ import annotations

from typing import Any

from contracts.timeline import TimelineEntry
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics
from services.timeline.store import TimelineStore


class Materialiser:
    def __init__(self, store: TimelineStore, metrics: ServiceMetrics) -> None:
        self.store = store
        self.metrics = metrics
        self.log = get_logger(service="timeline-store")

    async def handle(self, records: tuple[Any, ...]) -> None:
        entries = [TimelineEntry.model_validate_json(r.value) for r in records if r.value]
        new = await self.store.upsert(entries)
        if records:
            self.metrics.consumed.labels("timeline-store", records[0].topic).inc(len(records))
        if new < len(entries):
            self.metrics.duplicates.labels("timeline-store").inc(len(entries) - new)
