"""Each timeline partition's state checkpointed on local disk, the way Kafka Streams keeps
a state store beside its changelog topic: memory stays flat however long the history, and
a restart reads only the part of the timeline partition published after the checkpoint.

One SQLite file per topic partition (`<state dir>/<topic>-<partition>.sqlite3`) holds the
last sequence per client, the entry ids published, and the timeline offset they reflect.
It is written only after a transaction commits, so it can be behind the topic (a crash
between commit and checkpoint) but never ahead of what committed; catching up re-absorbs
entries idempotently. A file that is damaged (unreadable when opened, or failing a read
or write while in use), of another format, or ahead of the topic (the topic was recreated)
is set aside and the state rebuilt from the topic, which remains the source of truth; a
log line says so. No integrity scan at open: it reads the whole file, and a restart must
not cost in proportion to history.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from services.kafka.clients import Kafka
from services.logging import get_logger
from services.timeline.sqlite import connect_wal
from services.timeline.state import CheckpointAhead, PartitionState, StateUnavailable, catch_up

FORMAT = "1"
_CHUNK = 500  # keys per query: well under SQLite's parameter limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sequences (client TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (entry_id TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class Damaged(Exception):
    """The checkpoint file cannot be trusted; the message says why (never its content)."""


class DiskState(PartitionState):
    def __init__(self, path: Path, topic: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            # A checkpoint that lost its last commits is behind the topic, and catches up.
            self._db = connect_wal(path, synchronous="NORMAL", isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise Damaged(f"not a readable SQLite database ({exc})") from None
        try:
            self._db.executescript(_SCHEMA)
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise Damaged(f"not a readable SQLite database ({exc})") from None
        if not meta:
            self._set({"format": FORMAT, "topic": topic})
        elif (meta.get("format"), meta.get("topic")) != (FORMAT, topic):
            self._db.close()
            raise Damaged(f"format {meta.get('format')} of topic {meta.get('topic')}, not "
                          f"format {FORMAT} of {topic}")
        self.next_offset = int(meta["next_offset"]) if "next_offset" in meta else None

    def _set(self, values: dict[str, str]) -> None:
        self._db.executemany("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                             "SET value = excluded.value", values.items())

    def known(self, entry_ids: Collection[str]) -> set[str]:
        return {row[0] for row in self._in("SELECT entry_id FROM seen WHERE entry_id", entry_ids)}

    def last_sequences(self, clients: Collection[str]) -> dict[str, int]:
        return {row[0]: int(row[1])
                for row in self._in("SELECT client, last FROM sequences WHERE client", clients)}

    def _in(self, query: str, keys: Collection[str]) -> list[Any]:
        """Rows of `query IN (keys)`, asked in chunks (SQLite caps the parameters)."""
        unique, rows = list(set(keys)), []
        with self._damage_guard():
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start:start + _CHUNK]
                rows += self._db.execute(f"{query} IN ({','.join('?' * len(chunk))})",
                                         chunk).fetchall()
        return rows

    def apply(self, sequences: dict[str, int], seen: set[str],
              next_offset: int | None = None) -> None:
        # max(): a late writer (a fenced previous owner sharing the folder) never moves a
        # sequence or the offset back.
        with self._damage_guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO sequences VALUES (?, ?) ON CONFLICT (client) DO UPDATE "
                    "SET last = max(last, excluded.last)", sequences.items())
                self._db.executemany("INSERT OR IGNORE INTO seen VALUES (?)",
                                     ((i,) for i in seen))
                if next_offset is not None and next_offset > (self.next_offset or 0):
                    self._set({"next_offset": str(next_offset)})
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if next_offset is not None and next_offset > (self.next_offset or 0):
            self.next_offset = next_offset

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _damage_guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:
            self.close()
            set_aside(self.path, f"failed while in use ({exc})")
            raise StateUnavailable(f"checkpoint {self.path.name} failed while in use") from None


def path_of(state_dir: Path, topic: str, partition: int) -> Path:
    return state_dir / f"{topic}-{partition}.sqlite3"


async def load(bootstrap: Kafka, topic: str, state_dir: Path, partition: int) -> DiskState:
    """The partition's state: its checkpoint caught up with the topic, or rebuilt."""
    log = get_logger(service="timeline", topic=topic, partition=partition)
    path = path_of(state_dir, topic, partition)
    started = time.monotonic()
    try:
        state = DiskState(path, topic)
    except Damaged as exc:
        set_aside(path, str(exc))
        state = DiskState(path, topic)
    start = state.next_offset
    try:
        end, read = await catch_up(bootstrap, topic, partition, state, start)
    except CheckpointAhead as exc:
        state.close()
        set_aside(path, str(exc))
        state, start = DiskState(path, topic), None
        end, read = await catch_up(bootstrap, topic, partition, state, None)
    log.info("partition state loaded", checkpoint=path.name,
             from_offset="beginning" if start is None else start, to_offset=end,
             entries_read=read, seconds=round(time.monotonic() - started, 3))
    return state


def set_aside(path: Path, why: str) -> None:
    """Move an untrustworthy checkpoint out of the way (kept for inspection as
    `*.damaged`), so the next load rebuilds from the topic."""
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.replace(part.with_name(part.name + ".damaged"))
    get_logger(service="timeline").warning(
        "partition checkpoint set aside; rebuilding from the topic", checkpoint=path.name,
        reason=why)
