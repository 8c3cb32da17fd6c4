"""`Timeline`: the timeline in a notebook, as a DuckDB relation of the current view.

    from services.evaluation import Timeline
    t = Timeline.from_store("sqlite:///.silta/timeline.sqlite3")   # or .from_topic(...),
    view = t.current(sector="social", since="2025-01-01")          # .from_api(...),
    view.aggregate("kind, count(*) AS n", "kind").show()           # .from_parquet(...)

Why DuckDB: embedded (no server in a secure processing environment), SQL over Parquet out
of core with a memory limit (10^8 rows on one machine), Arrow in and out, and the same
Parquet files feed Spark when a county or the nation outgrows one machine.

Reading is incremental: a second `current()` reads only what arrived since the first.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from contracts.timeline import TimelineEntry
from services.evaluation.exports import connect, current_relation
from services.evaluation.readers import (
    ApiReader,
    ParquetReader,
    Position,
    Reader,
    StoreReader,
    TopicReader,
    run,
)
from services.evaluation.table import SCHEMA, to_batch, to_entries


class Timeline:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        # Relations are lazy and outlive this object (`Timeline.from_store(u).current()`),
        # so the files they read stay until the process ends.
        self._dir = Path(tempfile.mkdtemp(prefix="silta-timeline-"))
        atexit.register(shutil.rmtree, self._dir, True)
        self._logs: list[Path] = []
        self._position: Position = None
        self.con = connect(self._dir)

    def close(self) -> None:
        """Close the connection and remove the copied log now, not at exit (for a process
        that replaces its Timeline, like the API's dashboard); its relations end with it."""
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    @classmethod
    def from_store(cls, url: str | None = None) -> Timeline:
        """The store at `url`; by default the one `silta run` (make demo) keeps."""
        if url is None:
            from services.cli.export import ExportSettings

            url = ExportSettings().store_url
        return cls(StoreReader(url))

    @classmethod
    def from_topic(cls, bootstrap: str, topic: str = "silta.timeline.v1") -> Timeline:
        return cls(TopicReader(bootstrap, topic))

    @classmethod
    def from_api(cls, url: str, token: str) -> Timeline:
        return cls(ApiReader(url, token))

    @classmethod
    def from_parquet(cls, path: str | Path) -> Timeline:
        return cls(ParquetReader(Path(path)))

    def refresh(self) -> int:
        """Read what arrived since the last read; returns how many entries that was."""
        path = self._dir / f"log-{len(self._logs) + 1:06d}.parquet"
        read = 0
        with pq.ParquetWriter(path, SCHEMA) as writer:
            def sink(entries: list[TimelineEntry]) -> None:
                nonlocal read
                writer.write_batch(to_batch(entries))
                read += len(entries)

            position = run(self.reader.read(self._position, sink))
        if read:
            self._logs.append(path)
        else:
            path.unlink()
        if not isinstance(self.reader, ParquetReader):  # an export is read whole each time
            self._position = position
        elif read:
            self._logs = [path]
        return read

    def entries(self) -> list[TimelineEntry]:
        """Every entry read so far, of every view (fine for a few million)."""
        self.refresh()
        return [e for log in self._logs for e in to_entries(pq.read_table(log))]

    def current(self, *, since: str | dt.datetime | None = None,
                until: str | dt.datetime | None = None,
                sector: str | Sequence[str] | None = None,
                kind: str | Sequence[str] | None = None,
                code_prefix: str | None = None, system: str | None = None,
                ordered: bool = True) -> Any:
        """The current view as a DuckDB relation (one row per record), filtered: `since`
        inclusive and `until` exclusive on occurred_at; sectors and kinds, any of them (an
        amended record has the kind it was recorded as, `record_kind`);
        a code starting with `code_prefix` (in `system`, when given). Ordered by client
        and sequence unless `ordered` is false (what the indicators read: every query
        over an ordered relation sorts it again)."""
        self.refresh()
        relation = current_relation(self.con, self._logs)
        conditions = []
        for column, bound, op in (("occurred_at", since, ">="), ("occurred_at", until, "<")):
            if bound is not None:
                when = bound if isinstance(bound, dt.datetime) else dt.datetime.fromisoformat(
                    bound)
                when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
                conditions.append(f"{column} {op} TIMESTAMPTZ '{when.isoformat()}'")
        for column, wanted in (("sector", sector), ("coalesce(record_kind, kind)", kind)):
            if wanted is not None:
                values = [wanted] if isinstance(wanted, str) else list(wanted)
                conditions.append(f"{column} IN ({', '.join(_quote(v) for v in values)})")
        if code_prefix is not None:
            match = f"starts_with(c.code, {_quote(code_prefix)})"
            if system is not None:
                match += f" AND c.system = {_quote(system)}"
            conditions.append(f"len(list_filter(codes, c -> {match})) > 0")
        for condition in conditions:
            relation = relation.filter(condition)
        return relation.order("client, sequence") if ordered else relation


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
