"""Social-care record events (adapters/social/README.md, format_version 1) as a client
information system sends them: one archived document version per message."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from services.simulate import codes
from services.simulate.codes import ServiceKind
from services.simulate.people import Person

Json = dict[str, Any]
FINDING = "https://silta.fi/fhir/CodeSystem/assessment-finding"
OUTCOME = "https://silta.fi/fhir/CodeSystem/decision-outcome"


@dataclass(frozen=True)
class Doc:
    """Archive metadata of one document version."""

    id: str
    created: dt.datetime
    task: str
    group: str          # asiakirjaryhmä: 1 client documents, 2 decisions
    process: str        # palveluprosessi: 1 opening, 2 assessment, 3 planning, 4 delivery
    case_id: str | None = None
    version: int = 1
    status: str = "final"
    modified: dt.datetime | None = None


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def record_event(person: Person, doc: Doc, content: Json, bans: list[Json]) -> bytes:
    document: Json = {
        "id": doc.id, "version": doc.version, "status": doc.status,
        "created": iso(doc.created), "modified": iso(doc.modified or doc.created),
        "service_task": doc.task, "document_group": doc.group,
        "service_process": doc.process, "register_holder": codes.SOCIAL_REGISTER_HOLDER,
        "service_provider": codes.SOCIAL_PROVIDER,
    }
    if doc.case_id:
        document["case_id"] = doc.case_id
    security: Json = {"turvakielto": person.client.turvakielto}
    if bans:
        security["disclosure_bans"] = bans
    message = {"format_version": 1, "document": document, "client": {"hetu": person.hetu},
               "security": security, "content": content}
    return json.dumps(message, ensure_ascii=False, indent=1).encode()


def notification(record_id: str, kind: str, notifier: str, received: dt.datetime,
                 summary: str | None = None) -> Json:
    out: Json = {"kind": "notification", "action": "received", "record_id": record_id,
                 "notification_kind": kind, "notifier": notifier, "received_at": iso(received)}
    return out | ({"summary": summary} if summary else {})


def decision(record_id: str, decision_id: str, day: dt.date, outcome: str,
             service: ServiceKind | None = None, based_on: str | None = None,
             summary: str | None = None) -> Json:
    out: Json = {"kind": "decision", "action": "made", "record_id": record_id,
                 "decision_id": decision_id, "decision_date": day.isoformat(),
                 "outcome": outcome}
    if service is not None:
        out["service"] = {"palvelumuoto": service.palvelumuoto,
                          "service_kind": service.service_kind}
    if based_on:
        out["based_on"] = based_on
    return out | ({"summary": summary} if summary else {})


def period(start: dt.datetime, end: dt.datetime | None = None) -> Json:
    return {"start": iso(start)} | ({"end": iso(end)} if end else {})


def relationship(action: str, start: dt.datetime, end: dt.datetime | None = None) -> Json:
    return {"kind": "client-relationship", "action": action, "period": period(start, end)}


def assessment(action: str, record_id: str, kind: str, start: dt.datetime,
               end: dt.datetime | None = None, based_on: str | None = None,
               need: bool | None = None, task: str | None = None) -> Json:
    out: Json = {"kind": "assessment", "action": action, "record_id": record_id,
                 "assessment_kind": kind, "period": period(start, end)}
    if based_on:
        out["based_on"] = based_on
    if need is not None:
        outcome = "granted" if need else "denied"
        out["findings"] = [
            {"code": {"system": FINDING, "code": "need-for-support"},
             "value": {"system": OUTCOME, "code": outcome}}]
        if task:
            out["findings"].append({"code": {"system": "urn:oid:1.2.246.537.6.1221",
                                             "code": task}})
    return out


def plan(action: str, record_id: str, status: str, created: dt.datetime,
         start: dt.datetime, goals: list[Json], summary: str | None = None) -> Json:
    out: Json = {"kind": "client-plan", "action": action, "record_id": record_id,
                 "status": status, "created_at": iso(created), "period": period(start),
                 "goals": goals}
    return out | ({"summary": summary} if summary else {})


def goal(item: str, target: int | float | None, due: dt.date | None = None,
         status: str = "active") -> Json:
    out: Json = {"instrument": "kykyviisari", "item": item, "status": status}
    if target is not None:
        out["target"] = target
    if due is not None:
        out["due_date"] = due.isoformat()
    return out


def service(action: str, record_id: str, kind: ServiceKind, start: dt.datetime,
            end: dt.datetime | None, decision_id: str | None) -> Json:
    out: Json = {"kind": "service", "action": action, "record_id": record_id,
                 "palvelumuoto": kind.palvelumuoto, "service_kind": kind.service_kind,
                 "period": period(start, end)}
    return out | ({"decision_id": decision_id} if decision_id else {})


def measure(record_id: str, role: str, assessed: dt.datetime,
            scores: list[tuple[str, int | float]]) -> Json:
    return {"kind": "outcome-measure", "action": "recorded", "record_id": record_id,
            "instrument": "kykyviisari", "assessor_role": role, "assessed_at": iso(assessed),
            "items": [{"item": item, "score": score} for item, score in scores]}


def client_data(record_id: str, person: Person) -> Json:
    return {"kind": "client-data", "action": "recorded", "record_id": record_id,
            "name": {"family": person.family, "given": [person.given]},
            "address": {"lines": [f"Simulaatiotie {person.no % 90 + 1}"],
                        "postal_code": "70100", "city": "Kuopio", "country": "FI"},
            "birth_date": person.client.born.isoformat(), "gender": person.gender}
