"""Materialise the timeline topic into the store: at-least-once, idempotent upserts.

The store is a projection of the log. Offsets commit after the store transaction, so a
crash in between redelivers a batch, and upserts by entry id make that harmless. An entry
id that arrives again with other content is a divergence: counted, logged, recorded in
`store_conflicts`, and found by `silta timeline verify`.
"""

from __future__ import annotations

from typing import Any

from contracts.structs import mirror
from contracts.timeline import TimelineEntry
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics
from services.timeline.store import TimelineStore
from services.timeline.store.base import EntryRecord, record_of


def entry_record(value: bytes, *, trusted: bool = False) -> EntryRecord:
    """A timeline record's entry, read by the entry's msgspec mirror (or by the model when
    the mirror declines: a ValidationError for a record that is no entry). `trusted`: its
    shape only, for entries the timeline service checked before it published them."""
    entry_mirror = mirror(TimelineEntry)
    entry = None if entry_mirror is None else entry_mirror.decode(value, checks=not trusted)
    if entry is None:
        return record_of(TimelineEntry.model_validate_json(value))
    return EntryRecord(entry, value.decode())


class Materialiser:
    def __init__(self, store: TimelineStore, metrics: ServiceMetrics, *,
                 trusted: bool = False) -> None:
        self.store = store
        self.metrics = metrics
        self.trusted = trusted  # only the timeline service writes the timeline topic
        self.log = get_logger(service="timeline-store")

    async def handle(self, records: tuple[Any, ...]) -> None:
        entries = [entry_record(r.value, trusted=self.trusted) for r in records if r.value]
        result = await self.store.upsert(entries)
        if records:
            self.metrics.consumed.labels("timeline-store", records[0].topic).inc(len(records))
        redelivered = len(entries) - result.new - len(result.conflicts)
        if redelivered:
            self.metrics.duplicates.labels("timeline-store").inc(redelivered)
        for conflict in result.conflicts:
            self.metrics.store_conflicts.labels("timeline-store").inc()
            self.log.error("store holds this entry id with other content; kept the stored one",
                           entry_id=conflict.entry_id, fields=list(conflict.fields))
