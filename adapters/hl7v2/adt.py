"""ADT A01/A02/A03/A04/A08/A11/A13 to encounter events, DG1 to diagnosis events.

Record id: the visit number PV1-19 (CX-1), so every message about one visit names the same
Encounter. Event ids (adapters/base.py conventions):

| trigger | event | ce_id | ce_corrects |
|---|---|---|---|
| A01, A04 | encounter.started | `V:encounter.started` | |
| A02 | encounter.updated | `V:encounter.updated:<MSH-10>` | |
| A03 | encounter.finished | `V:encounter.finished` | |
| A08 | record.amended | `V:record.amended:<MSH-10>` | `V:encounter.started` |
| A11 | encounter.cancelled | `V:encounter.started:retracted` | `V:encounter.started` |
| A13 | record.entered-in-error | `V:encounter.finished:retracted` | `V:encounter.finished` |
| DG1 | diagnosis.recorded | `V-dg-<DG1-20 or code>:diagnosis.recorded` | |

(V is the visit number.) Statuses: A01 in-progress, A04 arrived, A02 in-progress, A03
finished, A08 in-progress (finished when PV1-45 is filled), A11 cancelled, A13
entered-in-error (the catalogue's retraction profile requires it).

A transfer (A02) or an update (A08) happens many times per visit, so those ids carry the
message control id, which a re-send repeats. A diagnosis is keyed by its identifier
(DG1-20) or code rather than the per-message set id DG1-1, so the same diagnosis sent
again with A03 is the same record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.hl7v2.context import Context, Header, make_context, service_provider
from adapters.hl7v2.er7 import Message, Segment
from adapters.hl7v2.values import (
    code_system,
    coding,
    fhir_time,
    hd_oid,
    is_fhir_id,
    parse_ts,
    safe_id,
)
from contracts import systems
from contracts.events import ContractEvent

TRIGGERS = ("A01", "A02", "A03", "A04", "A08", "A11", "A13")
_CLASSES = {  # PV1-2 (HL7 table 0004) to v3 ActCode
    "E": ("EMER", "emergency"), "I": ("IMP", "inpatient encounter"),
    "O": ("AMB", "ambulatory"), "P": ("PRENC", "pre-admission"),
    "R": ("AMB", "ambulatory"),            # recurring patient: a series of outpatient visits
    "B": ("IMP", "inpatient encounter"),   # obstetrics: admitted
}
_HEALTH = "fi.silta.health"
_V2 = "http://terminology.hl7.org/CodeSystem/v2-"
_CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
_VERIFICATION = {"F": "confirmed", "W": "provisional", "A": "provisional"}


def translate_adt(message: Message, source: SourceInfo, header: Header) -> list[ContractEvent]:
    evn = message.first("EVN")
    recorded = parse_ts(evn.get(2), "EVN-2") if evn is not None else None
    ctx = make_context(message, source, header, recorded)
    pv1 = message.first("PV1")
    if pv1 is None:
        raise TranslationError("hl7.segment.missing", "PV1", "a PV1 segment with the visit")
    visit = _visit_number(pv1)
    occurred = parse_ts(evn.get(6), "EVN-6") if evn is not None else None
    events = [_encounter_event(ctx, pv1, visit, occurred)]
    if header.trigger not in ("A11", "A13"):
        events += [_diagnosis(ctx, dg1, visit) for dg1 in message.all("DG1")]
    return events


def _encounter_event(ctx: Context, pv1: Segment, visit: str,
                     occurred: dt.datetime | None) -> ContractEvent:
    trigger = ctx.header.trigger
    subject = f"Encounter/{visit}"
    started, finished = f"{visit}:encounter.started", f"{visit}:encounter.finished"
    if trigger in ("A01", "A04"):
        status = "in-progress" if trigger == "A01" else "arrived"
        resource = _encounter(ctx, pv1, visit, status, occurred)
        return ctx.emit(f"{_HEALTH}.encounter.started.v1", resource, id=started,
                        subject=subject, location="PV1")
    if trigger == "A02":
        resource = _encounter(ctx, pv1, visit, "in-progress", occurred)
        return ctx.emit(f"{_HEALTH}.encounter.updated.v1", resource, subject=subject,
                        id=f"{visit}:encounter.updated:{ctx.control_id()}", location="PV1")
    if trigger == "A03":
        resource = _encounter(ctx, pv1, visit, "finished", occurred)
        return ctx.emit(f"{_HEALTH}.encounter.finished.v1", resource, id=finished,
                        subject=subject, location="PV1")
    if trigger == "A08":
        status = "finished" if pv1.get(45).strip() else "in-progress"
        resource = _encounter(ctx, pv1, visit, status, occurred)
        return ctx.emit("fi.silta.common.record.amended.v1", resource, subject=subject,
                        id=f"{visit}:record.amended:{ctx.control_id()}", corrects=started,
                        location="PV1")
    if trigger == "A11":
        resource = _encounter(ctx, pv1, visit, "cancelled", occurred)
        return ctx.emit(f"{_HEALTH}.encounter.cancelled.v1", resource, subject=subject,
                        id=f"{started}:retracted", corrects=started, location="PV1")
    resource = _encounter(ctx, pv1, visit, "entered-in-error", occurred)  # A13: cancel discharge
    return ctx.emit("fi.silta.common.record.entered-in-error.v1", resource, subject=subject,
                    id=f"{finished}:retracted", corrects=finished, location="PV1")


def _visit_number(pv1: Segment) -> str:
    visit = pv1.get(19).strip()
    if not visit:
        raise TranslationError("hl7.field.missing", "PV1-19",
                               "a visit number: the record id of the encounter")
    if not is_fhir_id(visit):
        raise TranslationError("hl7.value.invalid", "PV1-19",
                               "a visit number of 1-64 letters, digits, '-' or '.'")
    return visit


def _encounter(ctx: Context, pv1: Segment, visit: str, status: str,
               occurred: dt.datetime | None) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Encounter", "id": visit}
    if ctx.meta:
        resource["meta"] = ctx.meta
    authority = hd_oid(pv1.get(19, 4, 1), pv1.get(19, 4, 2))
    if authority:
        resource["identifier"] = [{"system": f"urn:oid:{authority}", "value": visit}]
    resource["status"] = status
    resource["class"] = _class(pv1)
    service = pv1.get(10).strip()
    if service:
        resource["serviceType"] = {"coding": [{"system": f"{_V2}0069", "code": service}]}
    resource["subject"] = ctx.client
    period = _period(pv1, ctx.header.trigger, occurred)
    if period:
        resource["period"] = period
    hospitalization = _hospitalization(pv1)
    if hospitalization:
        resource["hospitalization"] = hospitalization
    locations = _locations(ctx, pv1, status)
    if locations:
        resource["location"] = locations
    provider = service_provider(ctx.header)
    if provider:
        resource["serviceProvider"] = provider
    return resource


def _class(pv1: Segment) -> dict[str, str]:
    patient_class = pv1.get(2).strip().upper()
    if not patient_class:
        raise TranslationError("hl7.field.missing", "PV1-2", "a patient class (E, I, O, P, R, B)")
    if patient_class not in _CLASSES:
        raise TranslationError("hl7.value.unsupported", "PV1-2",
                               "a patient class Silta maps to an encounter class: E, I, O, P, "
                               "R or B")
    code, display = _CLASSES[patient_class]
    return {"system": systems.V3_ACT_CODE, "code": code, "display": display}


def _period(pv1: Segment, trigger: str, occurred: dt.datetime | None) -> dict[str, str] | None:
    """PV1-44/45; EVN-6 stands in for the admit time of A01/A04 and the discharge of A03."""
    start = parse_ts(pv1.get(44), "PV1-44")
    end = parse_ts(pv1.get(45), "PV1-45")
    if trigger in ("A01", "A04"):
        start = start or occurred
    if trigger == "A03":
        end = end or occurred
        if end is None:
            raise TranslationError("hl7.field.missing", "PV1-45",
                                   "a discharge date/time (PV1-45 or EVN-6)")
    if start is None and trigger in ("A01", "A02", "A03", "A04"):
        raise TranslationError("hl7.field.missing", "PV1-44",
                               "an admit date/time (PV1-44, or EVN-6 for A01/A04)")
    period = {k: v for k, v in (("start", fhir_time(start)), ("end", fhir_time(end))) if v}
    return period or None


def _hospitalization(pv1: Segment) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    admit_source, disposition = pv1.get(14).strip(), pv1.get(36).strip()
    if admit_source:
        out["admitSource"] = {"coding": [{"system": f"{_V2}0023", "code": admit_source}]}
    if disposition:
        out["dischargeDisposition"] = {"coding": [{"system": f"{_V2}0112", "code": disposition}]}
    return out or None


def _locations(ctx: Context, pv1: Segment, status: str) -> list[dict[str, Any]]:
    current = "completed" if status == "finished" else "active"
    out = [loc for loc in (_location(ctx, pv1, 3, current),) if loc]
    if ctx.header.trigger == "A02":  # the ward the patient was transferred from
        prior = _location(ctx, pv1, 6, "completed")
        if prior:
            out.append(prior)
    return out


def _location(ctx: Context, pv1: Segment, field: int, status: str) -> dict[str, Any] | None:
    """PL: point of care/room/bed as one identifier, scoped by the PL-4 facility OID."""
    parts = [pv1.get(field, n).strip() for n in (1, 2, 3)]
    value = "/".join(p for p in parts if p)
    if not value:
        return None
    facility = hd_oid(pv1.get(field, 4, 1), pv1.get(field, 4, 2)) or ctx.header.facility_oid
    system = f"urn:oid:{facility}" if facility else ctx.local_system("location")
    return {"location": {"identifier": {"system": system, "value": value}, "type": "Location"},
            "status": status}


def _diagnosis(ctx: Context, dg1: Segment, visit: str) -> ContractEvent:
    code = dg1.get(3).strip()
    if not code:
        raise TranslationError("hl7.field.missing", dg1.location(3), "a diagnosis code")
    system = _diagnosis_system(dg1)
    record = safe_id(f"{visit}-dg-{safe_id(dg1.get(20).strip() or code)}")
    onset = parse_ts(dg1.get(5), dg1.location(5))
    recorded = parse_ts(dg1.get(19), dg1.location(19)) or ctx.recorded_at or onset
    if recorded is None:
        raise TranslationError("hl7.field.missing", dg1.location(19),
                               "an attestation (DG1-19), event (EVN-2, MSH-7) or diagnosis "
                               "(DG1-5) time")
    resource: dict[str, Any] = {"resourceType": "Condition", "id": record}
    if ctx.meta:
        resource["meta"] = ctx.meta
    resource["clinicalStatus"] = {"coding": [{"system": systems.CONDITION_CLINICAL,
                                              "code": "active"}]}
    verification = _VERIFICATION.get(dg1.get(6).strip().upper())
    if verification:
        resource["verificationStatus"] = {"coding": [{"system": systems.CONDITION_VERIFICATION,
                                                      "code": verification}]}
    resource["category"] = [{"coding": [{"system": _CONDITION_CATEGORY,
                                         "code": "encounter-diagnosis"}]}]
    resource["code"] = {"coding": [coding(code, dg1.get(3, 2), system)]}
    resource["subject"] = ctx.client
    resource["encounter"] = {"reference": f"Encounter/{visit}"}
    if onset:
        resource["onsetDateTime"] = fhir_time(onset)
    resource["recordedDate"] = fhir_time(recorded)
    return ctx.emit(f"{_HEALTH}.diagnosis.recorded.v1", resource,
                    id=f"{record}:diagnosis.recorded", subject=f"Condition/{record}",
                    location=dg1.location())


def _diagnosis_system(dg1: Segment) -> str:
    """ICD-10 (Finnish) unless DG1-3.3 names ICPC-2; anything else cannot be profiled."""
    system = code_system(dg1.get(3, 3), systems.ICD10_FI, "")
    if system not in (systems.ICD10_FI, systems.ICPC2):
        raise TranslationError("hl7.code-system.unsupported", f"{dg1.location(3)}.3",
                               "a diagnosis coded in ICD-10 (I10, 1.2.246.537.6.1) or ICPC-2 "
                               "(ICPC2, 1.2.246.537.6.31)")
    return system
