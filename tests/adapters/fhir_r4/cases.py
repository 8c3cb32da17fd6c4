"""Synthetic FHIR R4 inputs for the golden files and the property tests.

Identities are synthetic (individual numbers 900-999). Each builder returns fresh JSON so
tests can mutate it. Inputs carry elements the adapter must drop (narrative, notes,
reference displays, foreign identifiers and labels) so the goldens prove minimisation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from contracts import systems
from contracts.hetu import make_hetu

HETU_A = make_hetu(dt.date(1990, 1, 10), 999, "Y")
HETU_B = make_hetu(dt.date(2012, 5, 3), 931, "A")
HETU_C = make_hetu(dt.date(1948, 11, 24), 905)
HETUS = (HETU_A, HETU_B, HETU_C)
ORG = "1.2.246.10.1234567.10.0"
SOCIAL_ORG = "1.2.246.10.7654321.10.0"
PATIENT_UUID = "urn:uuid:7d0c5f1e-3a57-4d0b-9a43-2f7c1c3d8a11"
ENCOUNTER_UUID = "urn:uuid:0b5f2d4c-8e1a-4c7f-b2d9-6a3e5f1c9d22"
NARRATIVE = {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Tiina</div>"}


def client(hetu: str = HETU_A) -> dict[str, Any]:
    return {"identifier": {"system": systems.HETU, "value": hetu}, "type": "Patient",
            "display": "Tiina Testinen"}


def health_meta(**extra: Any) -> dict[str, Any]:
    return {"security": [{"system": systems.PATIENT_REGISTER, "code": ORG},
                         {"system": "http://example.org/vendor-label", "code": "X1"}], **extra}


def social_meta(**extra: Any) -> dict[str, Any]:
    return {"security": [{"system": systems.SOCIAL_WELFARE_REGISTER, "code": SOCIAL_ORG}], **extra}


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def organisation(oid: str = ORG) -> dict[str, Any]:
    return {"identifier": {"system": systems.SOTE_ORGANISATION, "value": oid},
            "type": "Organization", "display": "Kuopion yliopistollinen sairaala"}


def encounter(status: str = "in-progress", **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Encounter", "id": "visit-8812", "meta": health_meta(),
        "text": NARRATIVE,
        "identifier": [{"use": "official", "system": "urn:oid:1.2.246.10.1234567.10.0.1",
                        "value": "8812"}],
        "status": status,
        "class": {"system": systems.V3_ACT_CODE, "code": "IMP", "display": "inpatient encounter"},
        "serviceType": concept(systems.SPAT, "SPAT1060"),
        "subject": client(),
        "participant": [{"individual": {"reference": "Practitioner/dr-1", "display": "Dr. Who"}}],
        "period": {"start": "2025-03-03T08:30:00"},
        "serviceProvider": organisation(),
    }
    return {**resource, **changes}


def condition(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition", "id": "dg-8812-1", "meta": health_meta(),
        "clinicalStatus": concept(systems.CONDITION_CLINICAL, "active"),
        "verificationStatus": concept(systems.CONDITION_VERIFICATION, "confirmed"),
        "code": concept(systems.ICD10_FI, "F10.2", "Alkoholiriippuvuus"),
        "subject": client(),
        "encounter": {"reference": "Encounter/visit-8812", "display": "käynti"},
        "onsetDateTime": "2025-03-03", "recordedDate": "2025-03-03T09:10:00+02:00",
        "note": [{"text": "Potilas kertoi juovansa päivittäin."}], **changes,
    }


def observation(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": "obs-5521-1", "meta": health_meta(),
        "status": "final",
        "category": [concept(systems.OBSERVATION_CATEGORY, "laboratory")],
        "code": concept(systems.LOINC, "1751-7", "Albumin"),
        "subject": client(), "effectiveDateTime": "2025-03-04T07:15:00+02:00",
        "valueQuantity": {"value": 38, "unit": "g/L", "system": systems.UCUM, "code": "g/L"},
        "note": [{"text": "hemolyyttinen näyte"}], **changes,
    }


def outcome_observation(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": "kv-77-3", "meta": social_meta(),
        "status": "final",
        "code": concept(systems.OUTCOME_INSTRUMENT, "kykyviisari-3", "Kykyviisari: mieliala"),
        "subject": client(HETU_C), "effectiveDateTime": "2025-04-02T10:00:00+03:00",
        "valueInteger": 6, "method": concept(systems.ASSESSOR_ROLE, "self"), **changes,
    }


def procedure(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "Procedure", "id": "op-99", "meta": health_meta(),
        "status": "completed", "code": concept(systems.THL_PROCEDURE, "NFB40"),
        "subject": client(), "encounter": {"reference": "Encounter/visit-8812"},
        "performedDateTime": "2025-03-04T12:00:00+02:00",
        "performer": [{"actor": {"reference": "Practitioner/dr-1"}}], **changes,
    }


def episode(status: str = "active", **changes: Any) -> dict[str, Any]:
    period = {"start": "2025-02-01T09:00:00+02:00"}
    if status in ("finished", "cancelled"):
        period["end"] = "2025-06-30T16:00:00+03:00"
    return {
        "resourceType": "EpisodeOfCare", "id": "asiakkuus-41", "meta": social_meta(),
        "status": status, "type": [concept(systems.PALVELUTEHTAVA, "11", "Lastensuojelu")],
        "patient": client(HETU_B), "managingOrganization": organisation(SOCIAL_ORG),
        "period": period,
        "careManager": {"reference": "Practitioner/sw-3", "display": "Sosiaalityöntekijä"},
        **changes,
    }


def notification(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest", "id": "ls-ilmoitus-501", "meta": social_meta(),
        "extension": [{"url": systems.EXT_NOTIFIER,
                       "valueCodeableConcept": concept(systems.ILMOITTAJA, "3", "Poliisi")},
                      {"url": "http://vendor.example/fhir/ext/handler", "valueString": "Liisa"}],
        "status": "active", "intent": "proposal",
        "category": [concept(systems.NOTIFICATION_KIND, "child-welfare-notification")],
        "subject": client(HETU_B), "authoredOn": "2025-02-01T08:05:00+02:00",
        "requester": {"reference": "RelatedPerson/rp-1", "display": "naapuri"},
        "note": [{"text": "Ilmoittajan kuvaus tilanteesta."}], **changes,
    }


def decision(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest", "id": "hakemus-77", "meta": social_meta(),
        "extension": [{"url": systems.EXT_DECISION_OUTCOME, "valueCode": "granted"}],
        "status": "active", "intent": "order",
        "code": concept(systems.SERVICE_KIND, "home-care"),
        "subject": client(HETU_C), "authoredOn": "2025-03-10T13:00:00+02:00",
        "supportingInfo": [{"identifier": {"system": systems.DECISION_ID, "value": "P-2025-0042"},
                            "type": "DocumentReference"}],
        **changes,
    }


def service(status: str = "active", **changes: Any) -> dict[str, Any]:
    period = {"start": "2025-03-15T08:00:00+02:00"}
    if status != "active":
        period["end"] = "2025-09-15T08:00:00+03:00"
    return {
        "resourceType": "ServiceRequest", "id": "palvelu-12", "meta": social_meta(),
        "status": status, "intent": "order", "code": concept(systems.SERVICE_KIND, "home-care"),
        "subject": client(HETU_C), "basedOn": [{"reference": "ServiceRequest/hakemus-77"}],
        "occurrencePeriod": period, "performer": [organisation(SOCIAL_ORG)], **changes,
    }


def care_plan(**changes: Any) -> dict[str, Any]:
    return {
        "resourceType": "CarePlan", "id": "as-suunnitelma-5", "meta": social_meta(),
        "contained": [{"resourceType": "Goal", "id": "goal-1", "lifecycleStatus": "active",
                       "description": concept(systems.OUTCOME_INSTRUMENT, "kykyviisari-3"),
                       "target": [{"measure": concept(systems.OUTCOME_INSTRUMENT, "kykyviisari-3"),
                                   "detailInteger": 8, "dueDate": "2025-12-31"}]}],
        "status": "active", "intent": "plan",
        "category": [concept(systems.ASIAKIRJARYHMA, "4", "Asiakassuunnitelma")],
        "subject": client(HETU_C), "period": {"start": "2025-04-01T00:00:00+03:00"},
        "created": "2025-04-01T10:30:00+03:00", "goal": [{"reference": "#goal-1"}],
        "description": "Kotona asumisen tukeminen", **changes,
    }


def task(status: str = "in-progress", **changes: Any) -> dict[str, Any]:
    period: dict[str, str] = {"start": "2025-02-05T09:00:00+02:00"}
    resource: dict[str, Any] = {
        "resourceType": "Task", "id": "arviointi-9", "meta": social_meta(),
        "basedOn": [{"reference": "ServiceRequest/ls-ilmoitus-501"}],
        "status": status, "intent": "order",
        "code": concept(systems.ASSESSMENT_KIND, "child-welfare-assessment"),
        "for": client(HETU_B), "authoredOn": "2025-02-04T15:00:00+02:00",
        "executionPeriod": period, "owner": {"reference": "Practitioner/sw-3"},
    }
    if status == "completed":
        period["end"] = "2025-04-28T15:00:00+03:00"
        resource["contained"] = [{"resourceType": "Observation", "id": "finding-1",
                                  "status": "final", "valueBoolean": True,
                                  "code": concept(systems.ASSESSMENT_KIND, "finding")}]
        resource["output"] = [{"type": concept(systems.ASSESSMENT_KIND, "finding"),
                               "valueReference": {"reference": "#finding-1"}}]
    return {**resource, **changes}


def patient(hetu: str = HETU_A, **changes: Any) -> dict[str, Any]:
    born = {HETU_A: "1990-01-10", HETU_B: "2012-05-03", HETU_C: "1948-11-24"}.get(hetu)
    return {
        "resourceType": "Patient", "id": "p-1", "text": NARRATIVE,
        "identifier": [{"use": "official", "system": systems.HETU, "value": hetu},
                       {"system": "urn:oid:1.2.246.10.1234567.10.0.99", "value": "TEMP-1"},
                       {"system": "http://hospital.example/mrn", "value": "445566"}],
        "name": [{"use": "official", "family": "Testinen", "given": ["Tiina"],
                  "text": "Tiina Testinen"}],
        "telecom": [{"system": "phone", "value": "+358401234567"}],
        "gender": "female", "birthDate": born,
        "address": [{"line": ["Esimerkkikatu 1"], "postalCode": "70100", "city": "Kuopio",
                     "country": "FI"}],
        **changes,
    }


def bundle(kind: str, entries: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "id": f"b-{kind}", "type": kind, "entry": entries, **changes}


def without(resource: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k not in keys}


def transaction_bundle() -> dict[str, Any]:
    """Patient and Encounter known only by urn:uuid; the Patient has turvakielto."""
    turva = {"security": [{"system": "https://hl7.fi/fhir/finnish-base-profiles/CodeSystem/"
                                     "fi-base-security-label-cs", "code": "TURVAKIELTO"}]}
    return bundle("transaction", [
        {"fullUrl": PATIENT_UUID, "resource": without(patient(HETU_B, meta=turva), "id"),
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": ENCOUNTER_UUID,
         "resource": without(encounter(subject={"reference": PATIENT_UUID, "display": "T. T."},
                                       meta=health_meta(lastUpdated="2025-03-03T08:31:00+02:00")),
                             "id"),
         "request": {"method": "POST", "url": "Encounter"}},
        {"fullUrl": "urn:uuid:5a1e9c3b-0d7f-4e62-a8b1-93c4d2e6f733",
         "resource": without(condition(subject={"reference": PATIENT_UUID},
                                       encounter={"reference": ENCOUNTER_UUID}), "id"),
         "request": {"method": "POST", "url": "Condition"}},
        {"resource": procedure(subject={"reference": PATIENT_UUID}, id="op-100"),
         "request": {"method": "PUT", "url": "Procedure/op-100"}},
    ], timestamp="2025-03-03T08:31:05+02:00")


def collection_bundle() -> dict[str, Any]:
    """Resources refer to the Patient by relative and absolute literal references."""
    return bundle("collection", [
        {"fullUrl": "https://fhir.hospital.example/r4/Patient/p-1", "resource": patient()},
        {"fullUrl": "https://fhir.hospital.example/r4/Encounter/visit-8812",
         "resource": encounter("finished", subject={"reference": "Patient/p-1"},
                               period={"start": "2025-03-03T08:30:00+02:00",
                                       "end": "2025-03-07T14:00:00+02:00"})},
        {"resource": observation(subject={"reference": "https://fhir.hospital.example/r4/Patient/p-1/_history/4"},
                                 encounter={"reference": "https://fhir.hospital.example/r4/Encounter/visit-8812"})},
    ], meta={"lastUpdated": "2025-03-07T14:05:00+02:00"})


def message_bundle() -> dict[str, Any]:
    header = {"resourceType": "MessageHeader", "id": "mh-1",
              "eventCoding": {"system": "http://vendor.example/events", "code": "notification"},
              "source": {"endpoint": "https://social.example/fhir"},
              "focus": [{"reference": "ServiceRequest/ls-ilmoitus-501"}]}
    return bundle("message", [
        {"fullUrl": "urn:uuid:d3f0c2a1-6b5e-4f87-9a10-2b3c4d5e6f70", "resource": header},
        {"fullUrl": "https://social.example/fhir/ServiceRequest/ls-ilmoitus-501",
         "resource": notification()},
        {"fullUrl": "https://social.example/fhir/Task/arviointi-9", "resource": task("received")},
        {"fullUrl": "https://social.example/fhir/EpisodeOfCare/asiakkuus-41",
         "resource": episode()},
    ], timestamp="2025-02-05T09:00:10+02:00")


CASES: dict[str, dict[str, Any]] = {
    "encounter-started": encounter(),
    "encounter-finished": encounter("finished", period={"start": "2025-03-03T08:30:00+02:00",
                                                        "end": "2025-03-07T14:00:00+02:00"}),
    "encounter-cancelled": encounter("cancelled", meta=health_meta(versionId="2")),
    "encounter-onleave": encounter("onleave", meta=health_meta(versionId="3")),
    "encounter-amended-version2": encounter(meta=health_meta(
        versionId="2", lastUpdated="2025-03-03T10:00:00+02:00")),
    "encounter-entered-in-error": encounter("entered-in-error", meta=health_meta(versionId="4")),
    "condition": condition(),
    "observation": observation(),
    "observation-corrected": observation(status="corrected", meta=health_meta(versionId="2")),
    "observation-entered-in-error": observation(status="entered-in-error"),
    "observation-outcome-measure": outcome_observation(),
    "procedure": procedure(),
    "episodeofcare-opened": episode(),
    "episodeofcare-closed": episode("finished"),
    "servicerequest-notification": notification(),
    "servicerequest-decision": decision(),
    "servicerequest-service-started": service(),
    "servicerequest-service-ended": service("completed"),
    "careplan-created": care_plan(),
    "careplan-revised": care_plan(meta=social_meta(versionId="2")),
    "task-assessment-started": task(),
    "task-assessment-completed": task("completed"),
    "patient": patient(),
    "patient-turvakielto-v3-confidentiality": patient(HETU_B, meta={"security": [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "V"}]}),
    "bundle-collection": collection_bundle(),
    "bundle-transaction-urn-uuid-turvakielto": transaction_bundle(),
    "bundle-message": message_bundle(),
}
