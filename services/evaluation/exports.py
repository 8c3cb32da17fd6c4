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

MEDS 0.4: `data/0.parquet` (subject_id int64, time timestamp[us] in UTC, code, numeric_value,
text_value, sorted by subject and time), `metadata/codes.parquet`, `metadata/dataset.json`,
`metadata/subject_splits.parquet`. Codes are `PREFIX//code` (see `MEDS_PREFIXES`); each
entry gives one `SILTA//<kind>` row (an amended record keeps the kind it was recorded as),
one row per code (with the entry's numeric value), one for a coded value and one for the
palvelutehtävä. text_value is always null: the timeline carries no free text.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from contracts import systems
from contracts.catalogue import CATALOGUE
from contracts.timeline import TIMELINE_ENTRY_TYPE, TimelineEntry
from services.errors import ConfigError, SourceError
from services.evaluation.deps import require
from services.evaluation.readers import Reader, run
from services.evaluation.table import CURRENT_SCHEMA, SCHEMA, to_batch, to_entries

pa = require("pyarrow")
pq = require("pyarrow.parquet")
duckdb = require("duckdb")

STATE = "_silta.json"
LOG = "_silta"
FORMATS = ("parquet", "meds")
MEDS_PREFIXES = {
    systems.ICD10_FI: "ICD10FI", systems.ICPC2: "ICPC2", systems.LOINC: "LOINC",
    systems.THL_PROCEDURE: "THL_TOIMENPIDE", systems.SPAT: "SPAT",
    systems.PALVELUTEHTAVA: "PALVELUTEHTAVA", systems.PALVELUMUOTO: "PALVELUMUOTO",
    systems.YHTEYSTAPA: "YHTEYSTAPA", systems.MUNICIPALITY: "KUNTA",
    systems.ASIAKIRJARYHMA: "ASIAKIRJARYHMA", systems.PALVELUPROSESSI: "PALVELUPROSESSI",
    systems.ILMOITTAJA: "ILMOITTAJA", systems.V3_ACT_CODE: "HL7_ACTCODE",
}
# Subject ids: the pseudonym's first 15 hex digits as an integer (60 bits, so int64 and
# positive); deterministic for a key version, so exports of one key line up.
SUBJECT_ID = "('0x' || substr(client, 1, 15))::BIGINT"

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


def prefix_of(system: str) -> str:
    if (known := MEDS_PREFIXES.get(system)) is not None:
        return known
    for base, label in ((f"{systems.SILTA_CANONICAL}/CodeSystem/", "SILTA_"),
                        ("http://terminology.hl7.org/CodeSystem/", "HL7_")):
        if system.startswith(base):
            return label + system.removeprefix(base).upper().replace("-", "_")
    return system


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
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    (tmp / LOG).mkdir(parents=True)
    try:
        logs = [tmp / LOG / name for name in (previous or {}).get("log_files", [])]
        for path in logs:
            _carry(out / LOG / path.name, path)
        new_log = tmp / LOG / f"log-{len(logs) + 1:06d}.parquet"
        read = 0
        key_versions: set[str] = set((previous or {}).get("key_versions", []))
        writer = pq.ParquetWriter(new_log, SCHEMA)
        try:
            def sink(entries: list[TimelineEntry]) -> None:
                nonlocal read
                writer.write_batch(to_batch(entries))
                key_versions.update(e.key_version for e in entries)
                read += len(entries)
                progress(read)

            position = run(reader.read((previous or {}).get("position"), sink))
        finally:
            writer.close()
        if read:
            logs.append(new_log)
        else:
            new_log.unlink()
        con = connect(tmp)
        try:
            current = current_relation(con, logs)
            rows = (_write_parquet if fmt == "parquet" else _write_meds)(con, current, tmp)
        finally:
            con.close()
        shutil.rmtree(tmp / ".duckdb", ignore_errors=True)
        state = {
            "format": fmt, "source": reader.description, "position": position,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            "schema": TIMELINE_ENTRY_TYPE, "key_versions": sorted(key_versions),
            "entries_read_this_run": read,
            "entries_read": read + (previous or {}).get("entries_read", 0),
            "current_rows": rows, "log_files": [p.name for p in logs],
        }
        (tmp / STATE).write_text(json.dumps(state, indent=2) + "\n")
        _replace(tmp, out)
        return state
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --- Parquet ----------------------------------------------------------------------------

def _write_parquet(con: Any, current: Any, tmp: Path) -> int:
    rows = int(current.aggregate("count(*)").fetchone()[0])
    for sector in ("health", "social"):
        folder = tmp / f"sector={sector}"
        folder.mkdir()
        selected = current.filter(f"sector = '{sector}'").order("client, sequence")
        _copy(selected, folder / "part-0.parquet", CURRENT_SCHEMA)
    return rows


def _copy(relation: Any, path: Path, schema: Any) -> None:
    """Stream a relation into one Parquet file of `schema`, batch by batch."""
    with pq.ParquetWriter(path, schema) as writer:
        for batch in relation.to_arrow_reader(50_000):
            writer.write_batch(pa.RecordBatch.from_arrays(
                [batch.column(name).cast(schema.field(name).type) for name in schema.names],
                schema=schema))


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


# --- MEDS -------------------------------------------------------------------------------

def _write_meds(con: Any, current: Any, tmp: Path) -> int:
    meds = require("meds")
    (tmp / "data").mkdir()
    (tmp / "metadata").mkdir()
    found = [row[0] for row in con.sql(
        "SELECT DISTINCT system FROM (SELECT unnest(codes).system AS system FROM current_view "
        "UNION ALL SELECT value_code.system FROM current_view "
        "UNION ALL SELECT service_task.system FROM current_view) WHERE system IS NOT NULL"
    ).fetchall()]
    con.register("prefixes", pa.table({"system": found,
                                       "prefix": [prefix_of(s) for s in found]}))
    con.execute(f"""
        CREATE TABLE meds_events AS
        WITH c AS (SELECT *, {SUBJECT_ID} AS subject_id,
                          timezone('UTC', occurred_at) AS time FROM current_view),
        coded AS (
            SELECT subject_id, time, 'SILTA//' || coalesce(record_kind, kind) AS code,
                   NULL::FLOAT AS numeric_value
            FROM c
            UNION ALL
            SELECT subject_id, time, p.prefix || '//' || u.code.code,
                   value_number::FLOAT FROM (SELECT *, unnest(codes) AS code FROM c) u
            JOIN prefixes p ON p.system = u.code.system
            UNION ALL
            SELECT subject_id, time, p.prefix || '//' || value_code.code, NULL FROM c
            JOIN prefixes p ON p.system = c.value_code.system
            UNION ALL
            SELECT subject_id, time, p.prefix || '//' || service_task.code, NULL FROM c
            JOIN prefixes p ON p.system = c.service_task.system
        )
        SELECT subject_id, time, code, numeric_value, NULL::VARCHAR AS text_value FROM coded
        """)
    events = con.table("meds_events").order("subject_id, time, code, numeric_value NULLS FIRST")
    _copy(events, tmp / "data" / "0.parquet", meds.DataSchema.schema())
    used = [row[0] for row in con.sql("SELECT DISTINCT code FROM meds_events ORDER BY code")
            .fetchall()]
    meanings = _kind_meanings()
    pq.write_table(pa.table({
        "code": used,
        "description": [meanings.get(code) for code in used],
        "parent_codes": [[] for _ in used],
    }, schema=meds.CodeMetadataSchema.schema()), tmp / meds.code_metadata_filepath)
    subjects = [row[0] for row in con.sql(
        "SELECT DISTINCT subject_id FROM meds_events ORDER BY subject_id").fetchall()]
    splits = [meds.train_split if s % 10 < 8 else meds.tuning_split if s % 10 == 8
              else meds.held_out_split for s in subjects]
    pq.write_table(pa.table({"subject_id": subjects, "split": splits},
                            schema=meds.SubjectSplitSchema.schema()),
                   tmp / meds.subject_splits_filepath)
    (tmp / meds.dataset_metadata_filepath).write_text(json.dumps({
        "dataset_name": "silta-timeline",
        "dataset_version": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "etl_name": "silta", "etl_version": _version(), "meds_version": _meds_version(),
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
        "time_zone": "UTC",
        "description": "The current view of Silta's pseudonymised client timeline. Times are "
                       "UTC (MEDS times carry no zone). subject_id is the client pseudonym's "
                       "first 15 hex digits as an integer. Splits: subject_id mod 10, 0-7 "
                       "train, 8 tuning, 9 held_out.",
    }, indent=2) + "\n")
    return int(con.sql("SELECT count(*) FROM current_view").fetchone()[0])


def _kind_meanings() -> dict[str, str]:
    meanings: dict[str, str] = {}
    for spec in CATALOGUE:
        meanings.setdefault(f"SILTA//{spec.kind}", spec.meaning)
    return meanings


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sote-silta")
    except PackageNotFoundError:
        return "unknown"


def _meds_version() -> str:
    return str(getattr(require("meds"), "__version__", "0.4"))
