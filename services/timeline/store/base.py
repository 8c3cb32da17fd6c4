"""The timeline store: a materialised, queryable copy of `silta.timeline.v1`.

Both backends (SQLite by default, PostgreSQL by URL) share one schema, one set of
migrations and these semantics:

- writes are idempotent upserts by entry id, so redelivery never duplicates a row;
- every log entry is kept; `view` says what corrections did to it: `current`,
  `superseded` (an amendment replaced it) or `retracted` (its record was withdrawn).
  A record is the original entry plus every correction naming it (`root_id`); the view
  of all of them is recomputed whenever one arrives (see `recompute`), so the result
  does not depend on the order the store receives them;
- every read through the API is audit-logged in `audit_log`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from contracts.timeline import TimelineEntry
from services.timeline.owners import Claim


@dataclass(frozen=True)
class Query:
    client: str
    sectors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    after_sequence: int = 0
    limit: int = 100
    include_history: bool = False


@dataclass(frozen=True)
class StoredEntry:
    entry: TimelineEntry
    view: str


@dataclass(frozen=True)
class Page:
    entries: list[StoredEntry]
    next_after: int | None  # pass as after_sequence for the next page; None at the end


@dataclass(frozen=True)
class AuditRecord:
    at: dt.datetime
    actor: str
    action: str
    client: str | None
    detail: str


@dataclass(frozen=True)
class StoreConflict:
    """The store already held `entry_id` with other content in `fields`."""

    entry_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class UpsertResult:
    new: int                        # entries stored for the first time
    conflicts: list[StoreConflict]  # entry ids already held with different content


def differing_fields(stored: TimelineEntry, offered: TimelineEntry) -> tuple[str, ...]:
    """Names of the fields that differ (names only: values may be anything)."""
    a, b = stored.model_dump(), offered.model_dump()
    return tuple(sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name)))


@dataclass(frozen=True)
class EntryRecord:
    """An entry as the store writes it: its fields, and its JSON as stored."""

    entry: Any  # a TimelineEntry, or its mirror (contracts/structs.py): fields are read
    body: str


def record_of(entry: TimelineEntry) -> EntryRecord:
    return EntryRecord(entry, entry.model_dump_json(exclude_none=True))


@dataclass
class RowView:
    entry_id: str
    sequence: int
    status: str
    view: str = "current"  # as stored


def recompute(rows: Sequence[RowView]) -> dict[str, str]:
    """The view of each entry of one record (the original and its corrections).

    A retraction withdraws the record whatever order things arrived in; otherwise the
    latest amendment is current, and the original only while nothing amended it. (Sources
    publish in parallel partitions, so a correction can reach the log before its original.)
    """
    if not rows:
        return {}
    if any(r.status == "retracted" for r in rows):
        return {r.entry_id: "retracted" for r in rows}
    amendments = [r for r in rows if r.status == "amended"]
    latest = max(amendments or rows, key=lambda r: r.sequence)
    return {r.entry_id: ("current" if r is latest else "superseded") for r in rows}


def root_of(entry: Any) -> str:
    return entry.corrects or entry.entry_id


class TimelineStore(Protocol):
    url: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def upsert(self, entries: Sequence[TimelineEntry | EntryRecord]) -> UpsertResult:
        """Store entries idempotently; an entry id already held with other content is kept
        as it was and reported (and recorded in `store_conflicts`), never ignored."""

    async def claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        """Record ownership (services/timeline/owners.py)."""

    async def conflicts(self, limit: int = 100) -> list[StoreConflict]: ...

    async def timeline(self, query: Query) -> Page: ...

    async def get(self, entry_id: str) -> StoredEntry | None: ...

    async def clients(self, limit: int = 100) -> list[tuple[str, int, int]]:
        """(client, health entries, social entries), clients with both sectors first."""

    async def entries_since(self, position: int = -1,
                            limit: int = 1000) -> list[tuple[int, TimelineEntry]]:
        """(position, entry) in the order the store committed them, after `position`
        (-1: from the start). Positions are unique and only grow; a reader keeps the last
        one it saw."""

    async def count(self) -> int: ...

    async def audit(self, actor: str, action: str, client: str | None, detail: str) -> None: ...

    async def audit_log(self, limit: int = 100) -> list[AuditRecord]: ...

    async def ping(self) -> bool: ...
