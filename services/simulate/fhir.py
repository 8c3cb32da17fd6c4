"""FHIR R4 JSON as a hospital's FHIR interface sends it: single resources and
collection, transaction and message Bundles (adapters/fhir_r4/README.md).

Resources carry what real servers add and Silta drops (narrative-free displays, hospital
record numbers, names in Patient), so minimisation is exercised too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from contracts import systems
from services.simulate import codes
from services.simulate.codes import Dx, Lab
from services.simulate.people import Person
from services.simulate.social import iso

Json = dict[str, Any]
_CLASSES = {"E": ("EMER", "emergency"), "I": ("IMP", "inpatient encounter"),
            "O": ("AMB", "ambulatory")}
_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"


@dataclass
class FhirVisit:
    id: str
    patient_class: str
    admitted: dt.datetime
    discharged: dt.datetime | None = None
    reason: Dx | None = None


def dumps(resource: Json) -> bytes:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()


def patient_id(person: Person) -> str:
    return f"pat-{person.no:05d}"


def _meta(person: Person, version: int, updated: dt.datetime) -> Json:
    security = [{"system": systems.PATIENT_REGISTER, "code": codes.HOSPITAL}]
    if person.client.turvakielto:
        security.append({"system": codes.FI_BASE_SECURITY, "code": "TURVAKIELTO"})
    return {"versionId": str(version), "lastUpdated": iso(updated), "security": security}


def _subject(person: Person, reference: str | None) -> Json:
    if reference:
        return {"reference": reference}
    return {"identifier": {"system": systems.HETU, "value": person.hetu}, "type": "Patient",
            "display": f"{person.given} {person.family}"}


def _icd10(dx: Dx) -> Json:
    return {"coding": [{"system": systems.ICD10_FI, "code": dx.code, "display": dx.text}]}


def encounter(person: Person, visit: FhirVisit, status: str, version: int,
              updated: dt.datetime, reference: str | None = None) -> Json:
    code, display = _CLASSES[visit.patient_class]
    period = {"start": iso(visit.admitted)}
    if status in ("finished", "entered-in-error") and visit.discharged is not None:
        period["end"] = iso(visit.discharged)
    resource: Json = {
        "resourceType": "Encounter", "id": visit.id, "meta": _meta(person, version, updated),
        "identifier": [{"use": "official", "system": f"urn:oid:{codes.VISIT_AUTHORITY}",
                        "value": visit.id}],
        "status": status,
        "class": {"system": systems.V3_ACT_CODE, "code": code, "display": display},
        "subject": _subject(person, reference), "period": period,
        "serviceProvider": {"identifier": {"system": systems.SOTE_ORGANISATION,
                                           "value": codes.HOSPITAL}, "type": "Organization",
                            "display": "Simulaation keskussairaala"},
    }
    if visit.reason is not None:
        resource["reasonCode"] = [_icd10(visit.reason)]
    return resource


def condition(person: Person, record_id: str, dx: Dx, visit_id: str, recorded: dt.datetime,
              reference: str | None = None) -> Json:
    return {
        "resourceType": "Condition", "id": record_id, "meta": _meta(person, 1, recorded),
        "clinicalStatus": {"coding": [{"system": systems.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": systems.CONDITION_VERIFICATION,
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": _CONDITION_CATEGORY,
                                  "code": "encounter-diagnosis"}]}],
        "code": _icd10(dx), "subject": _subject(person, reference),
        "encounter": {"reference": f"Encounter/{visit_id}"}, "recordedDate": iso(recorded),
        "note": [{"text": "Kirjattu vastaanotolla."}],
    }


def observation(person: Person, record_id: str, lab: Lab, value: float,
                effective: dt.datetime, visit_id: str | None, status: str = "final",
                version: int = 1, updated: dt.datetime | None = None,
                reference: str | None = None) -> Json:
    resource: Json = {
        "resourceType": "Observation", "id": record_id,
        "meta": _meta(person, version, updated or effective), "status": status,
        "category": [{"coding": [{"system": systems.OBSERVATION_CATEGORY,
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": systems.LOINC, "code": lab.loinc, "display": lab.name}]},
        "subject": _subject(person, reference), "effectiveDateTime": iso(effective),
        "valueQuantity": {"value": round(value, lab.decimals) if lab.decimals else int(value),
                          "unit": lab.unit, "system": systems.UCUM, "code": lab.unit},
    }
    if visit_id:
        resource["encounter"] = {"reference": f"Encounter/{visit_id}"}
    return resource


def patient(person: Person, registered: dt.datetime) -> Json:
    return {
        "resourceType": "Patient", "id": patient_id(person),
        "meta": _meta(person, 1, registered),
        "identifier": [{"use": "official", "system": systems.HETU, "value": person.hetu},
                       {"system": codes.HOSPITAL_MRN_SYSTEM, "value": person.mrn}],
        "name": [{"family": person.family, "given": [person.given]}],
        "gender": person.gender, "birthDate": person.client.born.isoformat(),
    }


def bundle(kind: str, resources: list[Json], bundle_id: str, timestamp: dt.datetime,
           rng: random.Random) -> Json:
    """A Bundle of `kind`; in a transaction the records reference the Patient entry by its
    urn:uuid, in a collection by `Patient/<id>`."""
    out: Json = {"resourceType": "Bundle", "id": bundle_id, "type": kind,
                 "timestamp": iso(timestamp), "entry": []}
    if kind == "message":
        focus = [{"reference": f"{r['resourceType']}/{r['id']}"} for r in resources]
        out["entry"].append({"fullUrl": f"urn:uuid:{_uuid(rng)}", "resource": {
            "resourceType": "MessageHeader", "id": f"{bundle_id}-mh",
            "eventCoding": {"system": "http://sairaala.example/events", "code": "visit-update"},
            "source": {"endpoint": f"{codes.FHIR_BASE}/$process-message"}, "focus": focus}})
    for resource in resources:
        entry: Json = {"fullUrl": f"{codes.FHIR_BASE}/{resource['resourceType']}/{resource['id']}",
                       "resource": resource}
        if kind == "transaction":
            entry["fullUrl"] = f"urn:uuid:{_uuid(rng)}"
            entry["request"] = {"method": "PUT",
                                "url": f"{resource['resourceType']}/{resource['id']}"}
        out["entry"].append(entry)
    return out


def refer_to_patient(kind: str, bundle_json: Json) -> None:
    """Point every record's client element at the Bundle's Patient entry (if any)."""
    entries = bundle_json["entry"]
    patients = [e for e in entries if e["resource"]["resourceType"] == "Patient"]
    if not patients:
        return
    first = patients[0]
    target = first["fullUrl"] if kind == "transaction" else f"Patient/{first['resource']['id']}"
    for entry in entries:
        resource = entry["resource"]
        if "subject" in resource:
            resource["subject"] = {"reference": target}


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
