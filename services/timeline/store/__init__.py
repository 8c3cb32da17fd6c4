"""Timeline stores: `open_store(url)` for `sqlite:///path` or `postgresql://...`."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from services.errors import ConfigError
from services.timeline.sqlite import connect_wal
from services.timeline.store.base import Page, Query, StoredEntry, TimelineStore
from services.timeline.store.schema import Dialect
from services.timeline.store.sql import SqlStore

__all__ = ["Page", "Query", "StoredEntry", "TimelineStore", "open_store"]


def _sqlite_time(value: dt.datetime) -> str:
    # Fixed-width UTC text sorts in time order (isoformat: strftime's %Y-%m-%dT%H:%M:%S.%fZ
    # for the years 1000-9999, in a third of the time).
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _parse_time(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


# BEGIN IMMEDIATE takes the write lock before migrations read what is applied, so two
# processes opening one file (timeline and API in `silta run`) migrate once, in turn.
SQLITE = Dialect("sqlite", "?", "TEXT", "TEXT", "INTEGER PRIMARY KEY AUTOINCREMENT",
                 _sqlite_time, _parse_time, "BEGIN IMMEDIATE")
POSTGRES = Dialect("postgresql", "%s", "TIMESTAMPTZ", "JSONB", "BIGSERIAL PRIMARY KEY",
                   lambda v: v, _parse_time, "SELECT pg_advisory_xact_lock(7310019)")


# Entries and record owners are keyed by random hashes, so nearly every row written
# lands on another index page, and each commit writes each page it changed to the WAL
# whole. A page cache that holds the hot index pages (64 MiB, not the
# default 2 MiB) saves reading them back; checkpointing the WAL into the database every
# 10,000 pages (40 MiB) rather than every 1,000 copies each page once for many commits
# that changed it. Neither changes what a commit guarantees; measured as bench.hotpath's
# store stage: 39 -> 25 µs CPU per entry stored.
_SQLITE_WRITE_TUNING = ("PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=10000")


def open_store(url: str) -> TimelineStore:
    """A store for `url` (not yet opened: call `await store.open()`)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))

        def connect() -> sqlite3.Connection:
            if str(path) != ":memory:":
                path.parent.mkdir(parents=True, exist_ok=True)
            # FULL: the store consumer commits its offsets after the store's commit, so a
            # commit lost with the machine would be an entry the store never gets again.
            conn = connect_wal(path, synchronous="FULL", check_same_thread=False)
            for pragma in _SQLITE_WRITE_TUNING:
                conn.execute(pragma)
            return conn

        return SqlStore(url, SQLITE, connect)
    if url.startswith(("postgresql://", "postgres://")):
        def connect_pg() -> Any:
            import psycopg

            return psycopg.connect(url)

        return SqlStore(url, POSTGRES, connect_pg)
    raise ConfigError(f"SILTA_STORE_URL must start with sqlite:/// or postgresql://, got "
                      f"{url.split(':', 1)[0]}:...")
