"""The timeline store's schema: the few SQL differences between SQLite and PostgreSQL
(`Dialect`) and the schema versions (`migrations`), applied in order by sql.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str
    timestamp: str
    json: str
    serial_key: str
    to_db_time: Callable[[dt.datetime], Any]
    from_db_time: Callable[[Any], dt.datetime]
    lock_sql: str | None  # serialises migrations across processes

    def sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)


def migrations(d: Dialect) -> list[str]:
    """Schema versions in order; never edit a released one, append a new one."""
    return [_v1_entries_and_audit(d), _v2_owners_and_conflicts(d), _V3_STORE_POSITION,
            _V4_NO_CLIENT_TIME_INDEX, _V5_CORRECTIONS_ONLY_ROOT_INDEX]


def _v1_entries_and_audit(d: Dialect) -> str:
    return f"""
    CREATE TABLE IF NOT EXISTS timeline_entries (
        entry_id     TEXT PRIMARY KEY,
        client       TEXT NOT NULL,
        sequence     BIGINT NOT NULL,
        sector       TEXT NOT NULL,
        kind         TEXT NOT NULL,
        status       TEXT NOT NULL,
        root_id      TEXT NOT NULL,
        view         TEXT NOT NULL DEFAULT 'current',
        occurred_at  {d.timestamp} NOT NULL,
        recorded_at  {d.timestamp} NOT NULL,
        entry        {d.json} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS timeline_client_sequence
        ON timeline_entries (client, sequence);
    CREATE INDEX IF NOT EXISTS timeline_root ON timeline_entries (root_id);
    CREATE INDEX IF NOT EXISTS timeline_client_time ON timeline_entries (client, occurred_at);
    CREATE TABLE IF NOT EXISTS audit_log (
        id      {d.serial_key},
        at      {d.timestamp} NOT NULL,
        actor   TEXT NOT NULL,
        action  TEXT NOT NULL,
        client  TEXT,
        detail  TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_client ON audit_log (client, at);
    """


def _v2_owners_and_conflicts(d: Dialect) -> str:
    return f"""
    CREATE TABLE IF NOT EXISTS record_owners (
        record_key  TEXT PRIMARY KEY,
        client      TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS store_conflicts (
        id          {d.serial_key},
        entry_id    TEXT NOT NULL,
        detected_at {d.timestamp} NOT NULL,
        fields      TEXT NOT NULL
    );
    """


# Readers that follow the store (exports, the SDK) need a position that only grows
# in commit order: each upsert takes the next numbers from one counter row, whose
# lock serialises writers until commit. Entries stored before this version are
# numbered in entry-id order.
_V3_STORE_POSITION = """
ALTER TABLE timeline_entries ADD COLUMN stored_seq BIGINT NOT NULL DEFAULT 0;
UPDATE timeline_entries SET stored_seq = numbered.n FROM (
    SELECT entry_id, ROW_NUMBER() OVER (ORDER BY entry_id) AS n FROM timeline_entries
) AS numbered WHERE timeline_entries.entry_id = numbered.entry_id;
CREATE INDEX IF NOT EXISTS timeline_stored_seq ON timeline_entries (stored_seq);
CREATE TABLE IF NOT EXISTS store_position (
    id  INTEGER PRIMARY KEY,
    n   BIGINT NOT NULL
);
INSERT INTO store_position (id, n) SELECT 1, COUNT(*) FROM timeline_entries
"""


# Every query of a client's entries (sql.py `_timeline`) selects by client and orders by
# sequence, which timeline_client_sequence serves; the time bounds filter those rows.
# The (client, occurred_at) index served no query, and each entry written paid for it:
# one more random-key index page rewritten per entry (a sixth of the store's write cost,
# measured as bench.hotpath's store stage).
_V4_NO_CLIENT_TIME_INDEX = "DROP INDEX IF EXISTS timeline_client_time"


# An original's root is its own entry id, so the primary key finds it; only corrections
# (a few in a hundred) need an index by root. Indexing every entry's root cost one more
# random-key index page rewritten per entry written (sql.py `_recompute` asks the two).
_V5_CORRECTIONS_ONLY_ROOT_INDEX = """
DROP INDEX IF EXISTS timeline_root;
CREATE INDEX IF NOT EXISTS timeline_corrections ON timeline_entries (root_id)
    WHERE root_id <> entry_id
"""


COLUMNS = ("entry_id, client, sequence, sector, kind, status, root_id, occurred_at, "
           "recorded_at, entry, stored_seq")
