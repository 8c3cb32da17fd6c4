"""The current view: what the timeline says now, once amendments replaced and retractions
withdrew what they correct. Pure: entries in, entries out, in any arrival order.

A record is an original entry and the corrections naming it in `corrects`. Its current
entry is the latest amendment (by the client's `sequence`), else the original; a record
with a retraction has none. The rule is the store's (`services/timeline/store/base.py`
`recompute`), so the API, the exports and the SDK agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from contracts.timeline import TimelineEntry
from services.timeline.store.base import RowView, recompute, root_of


def current_view(entries: Iterable[TimelineEntry]) -> list[TimelineEntry]:
    """The current entry of every record, ordered by client and sequence; re-delivered
    entries (the same entry id again) count once."""
    unique: dict[str, TimelineEntry] = {}
    for entry in entries:
        unique.setdefault(entry.entry_id, entry)
    records: dict[str, list[TimelineEntry]] = defaultdict(list)
    for entry in unique.values():
        records[root_of(entry)].append(entry)
    current = []
    for rows in records.values():
        views = recompute([RowView(e.entry_id, e.sequence, e.status) for e in rows])
        current += [e for e in rows if views[e.entry_id] == "current"]
    return sorted(current, key=lambda e: (e.client, e.sequence))


def record_kinds(entries: Iterable[TimelineEntry]) -> dict[str, str]:
    """The kind each record was recorded as (its original's), by record id. An amendment's
    own kind is `record.amended`, so a view's amended rows take their kind from here."""
    return {entry.entry_id: entry.kind for entry in entries if entry.status == "active"}


def record_of(entry: TimelineEntry) -> str:
    """The record an entry belongs to: the original's entry id."""
    return root_of(entry)
