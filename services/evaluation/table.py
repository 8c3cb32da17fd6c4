"""Timeline entries as Arrow: one typed column per field (codes as list<struct>, times as
UTC timestamps), plus `record_id`, the original entry a correction belongs to, and in
the current view `record_kind`, the kind of that original.

The same schema is the Parquet export, the SDK's tables and the staging log the exports
fold; `to_entries` turns rows back into TimelineEntry for readers of an export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from contracts.timeline import TimelineEntry
from services.evaluation.deps import require
from services.evaluation.view import record_of

pa = require("pyarrow")
pq = require("pyarrow.parquet")

CODE = pa.struct([("system", pa.string()), ("code", pa.string())])
UTC = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("entry_id", pa.string()), ("record_id", pa.string()), ("client", pa.string()),
    ("key_version", pa.string()), ("sequence", pa.int64()), ("sector", pa.string()),
    ("kind", pa.string()), ("event_type", pa.string()), ("resource_type", pa.string()),
    ("status", pa.string()), ("corrects", pa.string()), ("occurred_at", UTC),
    ("recorded_at", UTC), ("codes", pa.list_(CODE)), ("value_number", pa.float64()),
    ("value_unit", pa.string()), ("value_code", CODE), ("value_boolean", pa.bool_()),
    ("record_status", pa.string()), ("service_task", CODE), ("organisation", pa.string()),
    ("episode", pa.string()), ("source_ref", pa.string()),
    ("security_labels", pa.list_(pa.string())), ("age_band", pa.string()),
])
# The current view adds the kind its record was recorded as: an amended row's own kind is
# `record.amended`, and evaluators select records by what they are.
CURRENT_SCHEMA = SCHEMA.append(pa.field("record_kind", pa.string()))


def _code(code: Any) -> dict[str, str] | None:
    return {"system": code.system, "code": code.code} if code is not None else None


def row(entry: TimelineEntry) -> dict[str, Any]:
    value = entry.value
    return {
        "entry_id": entry.entry_id, "record_id": record_of(entry), "client": entry.client,
        "key_version": entry.key_version, "sequence": entry.sequence, "sector": entry.sector,
        "kind": entry.kind, "event_type": entry.event_type,
        "resource_type": entry.resource_type, "status": entry.status,
        "corrects": entry.corrects, "occurred_at": entry.occurred_at,
        "recorded_at": entry.recorded_at, "codes": [_code(c) for c in entry.codes],
        "value_number": value.number if value else None,
        "value_unit": value.unit if value else None,
        "value_code": _code(value.code) if value else None,
        "value_boolean": value.boolean if value else None,
        "record_status": entry.record_status, "service_task": _code(entry.service_task),
        "organisation": entry.organisation, "episode": entry.episode,
        "source_ref": entry.source_ref, "security_labels": list(entry.security_labels),
        "age_band": entry.age_band,
    }


def to_batch(entries: Iterable[TimelineEntry]) -> Any:
    """A pyarrow RecordBatch of SCHEMA."""
    return pa.RecordBatch.from_pylist([row(e) for e in entries], schema=SCHEMA)


def to_entries(table: Any) -> Iterator[TimelineEntry]:
    """TimelineEntry for each row of a table or batch of SCHEMA (extra columns ignored)."""
    for r in table.to_pylist():
        value = {"number": r["value_number"], "unit": r["value_unit"],
                 "code": r["value_code"], "boolean": r["value_boolean"]}
        yield TimelineEntry.model_validate({
            **{k: v for k, v in r.items() if k in TimelineEntry.model_fields},
            "value": value if any(v is not None for v in value.values()) else None,
            "codes": r["codes"] or [], "security_labels": r["security_labels"] or [],
        })


def copy_relation(relation: Any, path: Path, schema: Any) -> None:
    """Stream a relation into one Parquet file of `schema`, batch by batch."""
    with pq.ParquetWriter(path, schema) as writer:
        for batch in relation.to_arrow_reader(50_000):
            writer.write_batch(pa.RecordBatch.from_arrays(
                [batch.column(name).cast(schema.field(name).type) for name in schema.names],
                schema=schema))
