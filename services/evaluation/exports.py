"""Exports of the current view to Parquet and to MEDS 0.4: incremental, atomic, streaming.

Every export folder keeps what it has read so far in `_silta/log-*.parquet` (entries of
every view, as the timeline carries them) and its state in `_silta.json` (source, position,
time, schema and key versions). A run reads only the entries after the stored position,
appends them as one more log file, folds the whole log into the current view with DuckDB
(out of core, so memory does not grow with the timeline) and writes the output into a new
folder that replaces the old one only when complete: a failed run leaves the previous
export as it was, and nothing half-written.

Parquet: `sector=<health|social>/*.parquet` (hive partitions), one row per current entry,
columns as `services/evaluation/table.py`.

MEDS 0.4: meds_export.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.timeline import TIMELINE_ENTRY_TYPE, TimelineEntry
from services.errors import ConfigError, SourceError
from services.evaluation.deps import require
from services.evaluation.meds_export import write_meds
from services.evaluation.readers import Reader, run
from services.evaluation.table import (
    CURRENT_SCHEMA,
    SCHEMA,
    copy_relation,
    to_batch,
    to_entries,
)

pa = require("pyarrow")
pq = require("pyarrow.parquet")
duckdb = require("duckdb")

STATE = "_silta.json"
LOG = "_silta"
FORMATS = ("parquet", "meds")
# The store's rule (services/timeline/store/base.py recompute) in SQL: a retraction
# withdraws the record, else the latest amendment is current, else the original. Grouping
# (not window functions), and rows named by one BIGINT (file number, row number) rather
# than a struct: aggregates of fixed-size values spill to disk instead of running out of
# memory (a struct key did at 3 * 10^6 entries under 256 MB).
ROW_KEY = "(list_position({files}, filename)::BIGINT << 40) | file_row_number"
CHOSEN_SQL = f"""
CREATE TABLE chosen AS
SELECT pick AS row_key, record_kind FROM (
    SELECT coalesce(amendment, original) AS pick, record_kind FROM (
        SELECT bool_or(status = 'retracted') AS withdrawn,
               arg_max({ROW_KEY}, sequence) FILTER (WHERE status = 'amended') AS amendment,
               arg_max({ROW_KEY}, sequence) FILTER (WHERE status = 'active') AS original,
               any_value(kind) FILTER (WHERE status = 'active') AS record_kind
        FROM read_parquet({{files}}, filename = true, file_row_number = true)
        GROUP BY record_id
    ) WHERE NOT withdrawn
) WHERE pick IS NOT NULL
"""
# One physical row per current entry (a re-delivered entry is in the log twice, alike).
CURRENT_SQL = f"""
CREATE TABLE current_view AS
SELECT log.* EXCLUDE (filename, file_row_number, row_key), chosen.record_kind
FROM (SELECT *, {ROW_KEY} AS row_key
      FROM read_parquet({{files}}, filename = true, file_row_number = true)) AS log
JOIN chosen USING (row_key)
"""


def connect(workdir: Path, memory_limit: str | None = None) -> Any:
    """A DuckDB database in `workdir` that spills there beyond `memory_limit` (default
    SILTA_EVALUATION_MEMORY_LIMIT, else 512MB) instead of growing with the timeline."""
    limit = memory_limit or os.environ.get("SILTA_EVALUATION_MEMORY_LIMIT", "512MB")
    scratch = workdir / ".duckdb"
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(scratch / f"fold-{uuid.uuid4().hex[:8]}.duckdb"), config={
            "memory_limit": limit, "temp_directory": str(scratch / "spill"),
            "preserve_insertion_order": False})
    except duckdb.ParserException as exc:  # what DuckDB says of a limit it cannot read
        raise ConfigError(f"SILTA_EVALUATION_MEMORY_LIMIT {limit!r}: "
                          f"{str(exc).removeprefix('Parser Error: ')}") from None


def current_relation(con: Any, log_files: list[Path]) -> Any:
    """The current view of the entries in `log_files`, as a table in `con` (replacing an
    earlier one), returned as a relation with CURRENT_SCHEMA's columns."""
    con.execute("DROP TABLE IF EXISTS chosen; DROP TABLE IF EXISTS current_view")
    if log_files:
        files = "[" + ", ".join(f"'{f}'" for f in log_files) + "]"
        con.execute(CHOSEN_SQL.format(files=files))
        con.execute(CURRENT_SQL.format(files=files))
    else:  # nothing read yet: an empty view of the same shape
        empty = pa.Table.from_batches([], schema=CURRENT_SCHEMA)  # noqa: F841 - read by name
        con.execute("CREATE TABLE current_view AS SELECT * FROM empty")
    return con.table("current_view").select(", ".join(CURRENT_SCHEMA.names))


# --- export folders ---------------------------------------------------------------------

def _state(out: Path, fmt: str) -> dict[str, Any] | None:
    """The previous export's state; SourceError when `out` holds something else."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise SourceError(f"{out} exists and is not a folder")
    state_file = out / STATE
    if not state_file.is_file():
        if any(out.iterdir()):
            raise SourceError(f"{out} holds other files; export into an empty or new folder, "
                              f"or one a previous `silta export {fmt}` wrote")
        return None
    try:
        state = json.loads(state_file.read_text())
    except ValueError:
        raise SourceError(f"{state_file} is damaged; remove {out} and export again") from None
    if state.get("format") != fmt:
        raise SourceError(f"{out} holds a {state.get('format')} export, not {fmt}")
    return dict(state)


def _carry(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)  # log files never change: share them
    except OSError:
        shutil.copy2(src, dst)


def _replace(tmp: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def export(reader: Reader, out: Path, fmt: str,
           progress: Callable[[int], None] = lambda n: None) -> dict[str, Any]:
    """Bring the export in `out` up to date from `reader`; returns its new state."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    out = out.resolve()
    previous = _state(out, fmt)
    if previous is not None and previous.get("source") != reader.description:
        previous = None  # another source: positions do not carry over, start afresh
    previous = previous or {}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    (tmp / LOG).mkdir(parents=True)
    try:
        logs = [tmp / LOG / name for name in previous.get("log_files", [])]
        for path in logs:
            _carry(out / LOG / path.name, path)
        read = _Read(set(previous.get("key_versions", [])))
        new_log = tmp / LOG / f"log-{len(logs) + 1:06d}.parquet"
        position = _read_into(reader, previous.get("position"), new_log, read, progress)
        if read.entries:
            logs.append(new_log)
        else:
            new_log.unlink()
        rows = _fold_and_write(logs, tmp, fmt)
        state = {
            "format": fmt, "source": reader.description, "position": position,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            "schema": TIMELINE_ENTRY_TYPE, "key_versions": sorted(read.key_versions),
            "entries_read_this_run": read.entries,
            "entries_read": read.entries + previous.get("entries_read", 0),
            "current_rows": rows, "log_files": [p.name for p in logs],
        }
        (tmp / STATE).write_text(json.dumps(state, indent=2) + "\n")
        _replace(tmp, out)
        return state
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass
class _Read:
    key_versions: set[str]
    entries: int = 0


def _read_into(reader: Reader, position: Any, log: Path, read: _Read,
               progress: Callable[[int], None]) -> Any:
    """The entries after `position` into the Parquet file `log`; returns the new position."""
    writer = pq.ParquetWriter(log, SCHEMA)
    try:
        def sink(entries: list[TimelineEntry]) -> None:
            writer.write_batch(to_batch(entries))
            read.key_versions.update(e.key_version for e in entries)
            read.entries += len(entries)
            progress(read.entries)

        return run(reader.read(position, sink))
    finally:
        writer.close()


def _fold_and_write(logs: list[Path], tmp: Path, fmt: str) -> int:
    """The current view of `logs`, written into `tmp` as `fmt`; returns its row count."""
    con = connect(tmp)
    try:
        current = current_relation(con, logs)
        rows = (_write_parquet if fmt == "parquet" else write_meds)(con, current, tmp)
    finally:
        con.close()
    shutil.rmtree(tmp / ".duckdb", ignore_errors=True)
    return rows


# --- Parquet ----------------------------------------------------------------------------

def _write_parquet(con: Any, current: Any, tmp: Path) -> int:
    rows = int(current.aggregate("count(*)").fetchone()[0])
    for sector in ("health", "social"):
        folder = tmp / f"sector={sector}"
        folder.mkdir()
        selected = current.filter(f"sector = '{sector}'").order("client, sequence")
        copy_relation(selected, folder / "part-0.parquet", CURRENT_SCHEMA)
    return rows


def read_current(path: Path) -> Iterator[list[TimelineEntry]]:
    """The rows of a Parquet export, as entries in batches; SourceError naming the file
    when it cannot be read."""
    state = _state(path, "parquet") if path.exists() else None
    if state is None:
        raise SourceError(f"{path} is not a `silta export parquet` folder")
    for part in sorted(path.glob("sector=*/*.parquet")):
        try:
            source = pq.ParquetFile(part)
            for batch in source.iter_batches(50_000):
                yield list(to_entries(batch))
        except (pa.ArrowException, OSError) as exc:
            raise SourceError(f"{part} is not a readable Parquet file "
                              f"({type(exc).__name__}); export again") from None
