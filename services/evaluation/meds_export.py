"""The MEDS 0.4 export of the current view (what `silta export meds` writes; exports.py
keeps the folder, the log and the fold).

`data/0.parquet` (subject_id int64, time timestamp[us] in UTC, code, numeric_value,
text_value, sorted by subject and time), `metadata/codes.parquet`, `metadata/dataset.json`,
`metadata/subject_splits.parquet`. Codes are `PREFIX//code` (see `MEDS_PREFIXES`); each
entry gives one `SILTA//<kind>` row (an amended record keeps the kind it was recorded as),
one row per code (with the entry's numeric value), one for a coded value and one for the
palvelutehtävä. text_value is always null: the timeline carries no free text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from contracts import systems
from contracts.catalogue import CATALOGUE
from services.evaluation.deps import require
from services.evaluation.table import copy_relation

pa = require("pyarrow")
pq = require("pyarrow.parquet")

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


def prefix_of(system: str) -> str:
    if (known := MEDS_PREFIXES.get(system)) is not None:
        return known
    for base, label in ((f"{systems.SILTA_CANONICAL}/CodeSystem/", "SILTA_"),
                        ("http://terminology.hl7.org/CodeSystem/", "HL7_")):
        if system.startswith(base):
            return label + system.removeprefix(base).upper().replace("-", "_")
    return system


def write_meds(con: Any, current: Any, tmp: Path) -> int:
    """The MEDS folder of `current` (the `current_view` table in `con`) in `tmp`; returns
    the number of current entries."""
    meds = require("meds")
    (tmp / "data").mkdir()
    (tmp / "metadata").mkdir()
    _events_table(con)
    events = con.table("meds_events").order("subject_id, time, code, numeric_value NULLS FIRST")
    copy_relation(events, tmp / "data" / "0.parquet", meds.DataSchema.schema())
    _write_codes(con, tmp / meds.code_metadata_filepath)
    _write_splits(con, tmp / meds.subject_splits_filepath)
    (tmp / meds.dataset_metadata_filepath).write_text(json.dumps(_dataset(), indent=2) + "\n")
    return int(con.sql("SELECT count(*) FROM current_view").fetchone()[0])


def _events_table(con: Any) -> None:
    """`meds_events`: a row per entry's kind, per code, per coded value and per service
    task, with the code systems' prefixes."""
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


def _write_codes(con: Any, path: Path) -> None:
    meds = require("meds")
    used = [row[0] for row in con.sql("SELECT DISTINCT code FROM meds_events ORDER BY code")
            .fetchall()]
    meanings = _kind_meanings()
    pq.write_table(pa.table({
        "code": used,
        "description": [meanings.get(code) for code in used],
        "parent_codes": [[] for _ in used],
    }, schema=meds.CodeMetadataSchema.schema()), path)


def _write_splits(con: Any, path: Path) -> None:
    meds = require("meds")
    subjects = [row[0] for row in con.sql(
        "SELECT DISTINCT subject_id FROM meds_events ORDER BY subject_id").fetchall()]
    splits = [meds.train_split if s % 10 < 8 else meds.tuning_split if s % 10 == 8
              else meds.held_out_split for s in subjects]
    pq.write_table(pa.table({"subject_id": subjects, "split": splits},
                            schema=meds.SubjectSplitSchema.schema()), path)


def _dataset() -> dict[str, str]:
    return {
        "dataset_name": "silta-timeline",
        "dataset_version": dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        "etl_name": "silta", "etl_version": _version(), "meds_version": _meds_version(),
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
        "time_zone": "UTC",
        "description": "The current view of Silta's pseudonymised client timeline. Times are "
                       "UTC (MEDS times carry no zone). subject_id is the client pseudonym's "
                       "first 15 hex digits as an integer. Splits: subject_id mod 10, 0-7 "
                       "train, 8 tuning, 9 held_out.",
    }


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
