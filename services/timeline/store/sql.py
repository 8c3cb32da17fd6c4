"""One SQL implementation of the timeline store for SQLite and PostgreSQL.

Both run through DB-API connections on a worker thread, so the logic (upserts, view
recomputation, queries) exists once; schema.py holds the tables, their migrations and the
few differences (`Dialect`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from contracts.timeline import TimelineEntry
from services.timeline.owners import Claim
from services.timeline.store.base import (
    AuditRecord,
    EntryRecord,
    Page,
    Query,
    RowView,
    StoreConflict,
    StoredEntry,
    UpsertResult,
    differing_fields,
    recompute,
    record_of,
    root_of,
)
from services.timeline.store.schema import COLUMNS, Dialect, migrations


class SqlStore:
    """A timeline store over one DB-API connection, used from worker threads one at a time
    (behind a lock), so the transactions of one store object never interleave."""

    def __init__(self, url: str, dialect: Dialect, connect: Callable[[], Any]) -> None:
        self.url = url
        self.dialect = dialect
        self._connect = connect
        self._conn: Any = None
        self._lock = threading.Lock()

    # --- plumbing --------------------------------------------------------------------

    async def open(self) -> None:
        await asyncio.to_thread(self._open)

    def _open(self) -> None:
        self._conn = self._connect()
        self._migrate()

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.to_thread(conn.close)

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._lock:
            cursor = self._conn.cursor()
            try:
                yield cursor
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
            finally:
                cursor.close()

    def _x(self, cursor: Any, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor.execute(self.dialect.sql(sql), tuple(params))
        return cursor

    def _migrate(self) -> None:
        with self._tx() as cur:
            if self.dialect.lock_sql:
                self._x(cur, self.dialect.lock_sql)
            self._x(cur, "CREATE TABLE IF NOT EXISTS schema_migrations "
                         "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            applied = {row[0] for row in self._x(cur, "SELECT version FROM schema_migrations")}
            for version, script in enumerate(migrations(self.dialect), start=1):
                if version in applied:
                    continue
                for statement in filter(str.strip, script.split(";")):
                    self._x(cur, statement)
                self._x(cur, "INSERT INTO schema_migrations VALUES (?, ?)",
                        (version, dt.datetime.now(dt.UTC).isoformat()))

    async def ping(self) -> bool:
        try:
            await asyncio.to_thread(self._ping)
            return True
        except Exception:
            return False

    def _ping(self) -> None:
        with self._tx() as cur:
            self._x(cur, "SELECT 1").fetchone()

    # --- writes ----------------------------------------------------------------------

    async def upsert(self, entries: Sequence[TimelineEntry | EntryRecord]) -> UpsertResult:
        return await asyncio.to_thread(self._upsert, entries) if entries else UpsertResult(0, [])

    def _upsert(self, entries: Sequence[TimelineEntry | EntryRecord]) -> UpsertResult:
        records = [e if isinstance(e, EntryRecord) else record_of(e) for e in entries]
        with self._tx() as cur:
            inserted, held = self._insert(cur, records)
            # Redelivery brings the same entry again; anything else is a divergence between
            # topic and store that must be seen, not ignored.
            conflicts = [StoreConflict(r.entry.entry_id, fields) for r, body in held
                         if (fields := _differing(body, r.body))]
            now = self.dialect.to_db_time(dt.datetime.now(dt.UTC))
            cur.executemany(self.dialect.sql(
                "INSERT INTO store_conflicts (entry_id, detected_at, fields) VALUES (?, ?, ?)"),
                [(c.entry_id, now, ",".join(c.fields)) for c in conflicts])
            self._recompute(cur, {root_of(r.entry) for r in records})
        return UpsertResult(inserted, conflicts)

    def _insert(self, cur: Any, records: list[EntryRecord]) -> tuple[int, list[tuple[
            EntryRecord, Any]]]:
        """Store the entries not yet held, numbered in the order given after those before:
        (how many were stored, each entry that was held already with the stored JSON)."""
        t = self.dialect.to_db_time
        self._x(cur, "UPDATE store_position SET n = n + ? WHERE id = 1", (len(records),))
        first = int(self._x(cur, "SELECT n FROM store_position WHERE id = 1")
                    .fetchone()[0]) - len(records) + 1
        rows = [(e.entry_id, e.client, e.sequence, e.sector, e.kind, e.status, root_of(e),
                 t(e.occurred_at), t(e.recorded_at), r.body, position)
                for position, r in enumerate(records, start=first) for e in (r.entry,)]
        cur.executemany(self.dialect.sql(
            f"INSERT INTO timeline_entries ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?) ON CONFLICT (entry_id) DO NOTHING"), rows)
        if cur.rowcount == len(rows):
            return len(rows), []  # the common case: all new
        # A row whose position is not the one given here was held before (or earlier in
        # this batch, or stored meanwhile by another instance sharing the store).
        stored = {entry_id: (position, body) for entry_id, position, body in self._in(
            cur, "SELECT entry_id, stored_seq, entry FROM timeline_entries WHERE entry_id",
            [row[0] for row in rows])}
        held = [(r, stored[row[0]][1]) for r, row in zip(records, rows, strict=True)
                if stored[row[0]][0] != row[-1]]
        return len(rows) - len(held), held

    def _recompute(self, cur: Any, roots: set[str]) -> None:
        """Recompute the view of every record (root) these entries belong to. A record of
        one entry that retracts nothing keeps the view it was stored with (current), so
        only records of several entries, or with a retraction, get new views."""
        # The originals by primary key, the corrections by their partial index (schema v5).
        rows_of = "SELECT root_id, entry_id, sequence, status, view FROM timeline_entries WHERE "
        keys = list(roots)
        found = self._in(cur, rows_of + "root_id = entry_id AND entry_id", keys)
        found += self._in(cur, rows_of + "root_id <> entry_id AND root_id", keys)
        by_root: dict[str, list[RowView]] = {}
        for root, entry_id, sequence, status, view in found:
            by_root.setdefault(root, []).append(RowView(entry_id, sequence, status, view))
        changes = [(view, entry_id) for rows in by_root.values()
                   if len(rows) > 1 or any(r.status == "retracted" for r in rows)
                   for entry_id, view in recompute(rows).items()
                   if view != next(r.view for r in rows if r.entry_id == entry_id)]
        cur.executemany(self.dialect.sql(
            "UPDATE timeline_entries SET view = ? WHERE entry_id = ?"), changes)

    def _in(self, cur: Any, query: str, keys: Sequence[str]) -> list[Any]:
        """Rows of `query IN (keys)`, asked in chunks (SQLite caps the parameters)."""
        unique, rows = list(dict.fromkeys(keys)), []
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            rows += self._x(cur, f"{query} IN ({', '.join('?' * len(chunk))})",
                            chunk).fetchall()
        return rows

    async def claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        return await asyncio.to_thread(self._claim, claims) if claims else {}

    def _claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        first: dict[str, str] = {}
        for claim in claims:
            first.setdefault(claim.key, claim.client)
        with self._tx() as cur:
            # Two statements per batch, not two per claim: this runs on every batch.
            cur.executemany(self.dialect.sql(
                "INSERT INTO record_owners (record_key, client) VALUES (?, ?) "
                "ON CONFLICT (record_key) DO NOTHING"), list(first.items()))
            return dict(self._in(cur, "SELECT record_key, client FROM record_owners WHERE "
                                 "record_key", list(first)))

    async def conflicts(self, limit: int = 100) -> list[StoreConflict]:
        return await asyncio.to_thread(self._conflicts, limit)

    def _conflicts(self, limit: int) -> list[StoreConflict]:
        with self._tx() as cur:
            rows = self._x(cur, "SELECT entry_id, fields FROM store_conflicts ORDER BY id "
                                "LIMIT ?", (limit,)).fetchall()
        return [StoreConflict(r[0], tuple(r[1].split(","))) for r in rows]

    async def audit(self, actor: str, action: str, client: str | None, detail: str) -> None:
        await asyncio.to_thread(self._audit, actor, action, client, detail)

    def _audit(self, actor: str, action: str, client: str | None, detail: str) -> None:
        with self._tx() as cur:
            self._x(cur, "INSERT INTO audit_log (at, actor, action, client, detail) "
                         "VALUES (?, ?, ?, ?, ?)",
                    (self.dialect.to_db_time(dt.datetime.now(dt.UTC)), actor, action,
                     client, detail))

    # --- reads -----------------------------------------------------------------------

    async def timeline(self, query: Query) -> Page:
        return await asyncio.to_thread(self._timeline, query)

    def _timeline(self, q: Query) -> Page:
        where, params = ["client = ?", "sequence > ?"], [q.client, q.after_sequence]
        if not q.include_history:
            where.append("view = 'current'")
        if q.sectors:
            where.append(f"sector IN ({', '.join('?' * len(q.sectors))})")
            params += q.sectors
        if q.kinds:
            where.append(f"kind IN ({', '.join('?' * len(q.kinds))})")
            params += q.kinds
        if q.since:
            where.append("occurred_at >= ?")
            params.append(self.dialect.to_db_time(q.since))
        if q.until:
            where.append("occurred_at < ?")
            params.append(self.dialect.to_db_time(q.until))
        with self._tx() as cur:
            rows = self._x(cur, f"SELECT entry, view FROM timeline_entries WHERE "
                                f"{' AND '.join(where)} ORDER BY sequence LIMIT ?",
                           [*params, q.limit + 1]).fetchall()
        entries = [StoredEntry(_entry(row[0]), row[1]) for row in rows[: q.limit]]
        more = len(rows) > q.limit
        return Page(entries, entries[-1].entry.sequence if more and entries else None)

    async def get(self, entry_id: str) -> StoredEntry | None:
        return await asyncio.to_thread(self._get, entry_id)

    def _get(self, entry_id: str) -> StoredEntry | None:
        with self._tx() as cur:
            row = self._x(cur, "SELECT entry, view FROM timeline_entries WHERE entry_id = ?",
                          (entry_id,)).fetchone()
        return StoredEntry(_entry(row[0]), row[1]) if row else None

    async def clients(self, limit: int = 100) -> list[tuple[str, int, int]]:
        return await asyncio.to_thread(self._clients, limit)

    def _clients(self, limit: int) -> list[tuple[str, int, int]]:
        with self._tx() as cur:
            rows = self._x(cur, """
                SELECT client,
                       SUM(CASE WHEN sector = 'health' THEN 1 ELSE 0 END) AS health,
                       SUM(CASE WHEN sector = 'social' THEN 1 ELSE 0 END) AS social
                FROM timeline_entries WHERE view = 'current' GROUP BY client
                ORDER BY CASE WHEN SUM(CASE WHEN sector = 'health' THEN 1 ELSE 0 END) > 0
                          AND SUM(CASE WHEN sector = 'social' THEN 1 ELSE 0 END) > 0
                          THEN 0 ELSE 1 END, COUNT(*) DESC, client
                LIMIT ?""", (limit,)).fetchall()
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    async def entries_since(self, position: int = -1,
                            limit: int = 1000) -> list[tuple[int, TimelineEntry]]:
        return await asyncio.to_thread(self._entries_since, position, limit)

    def _entries_since(self, position: int, limit: int) -> list[tuple[int, TimelineEntry]]:
        with self._tx() as cur:
            rows = self._x(cur, "SELECT stored_seq, entry FROM timeline_entries WHERE "
                                "stored_seq > ? ORDER BY stored_seq LIMIT ?",
                           (position, limit)).fetchall()
        return [(int(row[0]), _entry(row[1])) for row in rows]

    async def count(self) -> int:
        return await asyncio.to_thread(self._count)

    def _count(self) -> int:
        with self._tx() as cur:
            return int(self._x(cur, "SELECT COUNT(*) FROM timeline_entries").fetchone()[0])

    async def audit_log(self, limit: int = 100) -> list[AuditRecord]:
        return await asyncio.to_thread(self._audit_log, limit)

    def _audit_log(self, limit: int) -> list[AuditRecord]:
        with self._tx() as cur:
            rows = self._x(cur, "SELECT at, actor, action, client, detail FROM audit_log "
                                "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [AuditRecord(self.dialect.from_db_time(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def _differing(stored: Any, offered: str) -> tuple[str, ...]:
    """The fields in which an offered entry's JSON differs from the stored one's."""
    if isinstance(stored, str) and stored == offered:
        return ()
    return differing_fields(_entry(stored), _entry(offered))


def _entry(raw: Any) -> TimelineEntry:
    if isinstance(raw, dict):  # PostgreSQL hands JSONB back decoded
        return TimelineEntry.model_validate(raw)
    return TimelineEntry.model_validate_json(raw)
