"""One way to open a SQLite file the timeline writes: WAL journal, busy waits that wait."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

BUSY_SECONDS = 30.0


def connect_wal(path: Path | str, *, synchronous: Literal["NORMAL", "FULL"],
                **kwargs: Any) -> sqlite3.Connection:
    """A connection to `path` in WAL mode. synchronous=NORMAL: commits survive a crash of
    the process, not always of the machine (the last ones may be lost); FULL: they survive
    both, for an fsync per commit."""
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, **kwargs)
    try:
        _enter_wal(conn)
        conn.execute(f"PRAGMA synchronous={synchronous}")
    except BaseException:
        conn.close()
        raise
    return conn


def _enter_wal(conn: sqlite3.Connection) -> None:
    # Switching a new file to WAL needs its exclusive lock, and SQLite answers "database is
    # locked" at once, without its busy handler, while another connection is doing the
    # same (the timeline and the API open one file together in `silta run`). Wait as the
    # busy timeout would.
    deadline = time.monotonic() + BUSY_SECONDS
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
