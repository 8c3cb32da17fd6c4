"""Hand-built timelines for indicator tests: one client at a time, social and health
entries as the pipeline writes them, times in Finnish local time."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from contracts.timeline import Code, TimelineEntry, Value
from services.evaluation.exports import connect, current_relation
from services.evaluation.table import SCHEMA, to_batch

HELSINKI = ZoneInfo("Europe/Helsinki")
SILTA = "https://silta.fi/fhir/CodeSystem/"
TASK = "urn:oid:1.2.246.537.6.1221"
ICD10 = "urn:oid:1.2.246.537.6.1"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_ids = itertools.count(1)


def hexid(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def at(day: str, hour: int = 10) -> dt.datetime:
    d = dt.date.fromisoformat(day)
    return dt.datetime(d.year, d.month, d.day, hour, tzinfo=HELSINKI)


class Client:
    def __init__(self, name: str, age_band: str = "7-12", organisation: str = "1.2.3") -> None:
        self.id = hexid("client", name)
        self.age_band = age_band
        self.organisation = organisation
        self.entries: list[TimelineEntry] = []

    def add(self, kind: str, when: dt.datetime, record: str, *, sector: str = "social",
            codes: tuple[tuple[str, str], ...] = (), task: str | None = None,
            value: Value | None = None, status: str = "active", corrects: str | None = None,
            episode: str | None = None, age_band: str | None = None) -> str:
        entry = TimelineEntry(
            entry_id=hexid("entry", next(_ids)), client=self.id, key_version="k1",
            sequence=len(self.entries) + 1, sector=sector, kind=kind,  # type: ignore[arg-type]
            event_type=f"fi.silta.{sector}.{kind}.v1", resource_type="ServiceRequest",
            status=status, corrects=corrects, occurred_at=when, recorded_at=when,  # type: ignore[arg-type]
            codes=[Code(system=s, code=c) for s, c in codes], value=value,
            service_task=Code(system=TASK, code=task) if task else None,
            organisation=self.organisation, episode=hexid("episode", episode) if episode else None,
            source_ref=hexid("record", self.id, record),
            age_band=age_band or self.age_band)  # type: ignore[arg-type]
        self.entries.append(entry)
        return entry.entry_id

    # social care ----------------------------------------------------------------------
    def child_notification(self, day: str, record: str = "n1", hour: int = 10) -> str:
        return self.add("notification.received", at(day, hour), record, task="22",
                        codes=((SILTA + "notification-kind", "child-welfare-notification"),))

    def need_notice(self, day: str, record: str = "n1", age_band: str | None = None) -> str:
        return self.add("notification.received", at(day), record, task="10", age_band=age_band,
                        codes=((SILTA + "notification-kind", "social-services-need-notice"),))

    def decision(self, day: str, record: str = "n1", outcome: str = "assessment-started") -> str:
        # The adapter sets the decision date at 00:00 Finnish time (authoredOn).
        return self.add("decision.made", at(day, 0), record, task="22",
                        value=Value(code=Code(system=SILTA + "decision-outcome", code=outcome)))

    def assessment(self, action: str, day: str, kind: str = "child-welfare",
                   record: str = "a1", age_band: str | None = None) -> str:
        return self.add(f"assessment.{action}", at(day, 12), record, age_band=age_band,
                        codes=((SILTA + "assessment-kind", f"{kind}-assessment"),))

    def relationship(self, action: str, day: str, record: str = "case1") -> str:
        return self.add(f"client-relationship.{action}", at(day, 9), record, task="22",
                        episode=record)

    def measure(self, day: str, role: str, score: float, episode: str | None = "case1",
                instrument: str = "kykyviisari", item: str = "total") -> str:
        return self.add("outcome-measure.recorded", at(day, 13), f"m{len(self.entries)}",
                        episode=episode, value=Value(number=score),
                        codes=((SILTA + "outcome-instrument", f"{instrument}-{item}"),
                               (SILTA + "assessor-role", role)))

    # health care ----------------------------------------------------------------------
    def diagnosis(self, day: str, icd10: str) -> str:
        return self.add("diagnosis.recorded", at(day, 14), f"d{len(self.entries)}",
                        sector="health", codes=((ICD10, icd10),))

    def emergency_visit(self, day: str) -> str:
        return self.add("encounter.finished", at(day, 22), f"e{len(self.entries)}",
                        sector="health", codes=((ACT, "EMER"),))

    def amend(self, original: str, when: dt.datetime, record: str, **fields: Any) -> str:
        return self.add("record.amended", when, record, status="amended", corrects=original,
                        **fields)

    def retract(self, original: str, when: dt.datetime, record: str) -> str:
        return self.add("record.retracted", when, record, status="retracted",
                        corrects=original)


def view(tmp: Path, *clients: Client) -> tuple[Any, Any]:
    """A DuckDB connection and the current view of the clients' entries, folded by the
    exports' SQL (so amendments and retractions apply as in production)."""
    log = tmp / f"log-{next(_ids)}.parquet"
    with pq.ParquetWriter(log, SCHEMA) as writer:
        writer.write_batch(to_batch([e for c in clients for e in c.entries]))
    con = connect(tmp)
    return con, current_relation(con, [log])
