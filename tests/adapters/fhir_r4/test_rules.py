"""Event choice, ids and minimisation rules beyond the golden files."""

from __future__ import annotations

from typing import Any

import orjson

from adapters.fhir_r4 import ADAPTER_VERSION, translate
from adapters.registry import adapter_version, translator
from contracts import systems
from contracts.events import ContractEvent
from tests.adapters.fhir_r4.cases import (
    HETU_A,
    client,
    decision,
    encounter,
    health_meta,
    notification,
    observation,
    patient,
    procedure,
    social_meta,
)
from tests.adapters.fhir_r4.golden import SOURCE


def _one(resource: dict[str, Any]) -> ContractEvent:
    [event] = translate(orjson.dumps(resource), SOURCE)
    return event


def _headers(resource: dict[str, Any]) -> dict[str, str]:
    return _one(resource).to_message()["headers"]


def test_registered_as_the_fhir_format() -> None:
    assert translator("fhir").__wrapped__ is translate  # type: ignore[attr-defined]
    assert adapter_version("fhir") == ADAPTER_VERSION


def test_decision_on_a_notification_is_a_new_lifecycle_event() -> None:
    resource = notification(extension=decision()["extension"],
                            supportingInfo=decision()["supportingInfo"])
    headers = _headers(resource)
    assert headers["ce_type"] == "fi.silta.social.decision.made.v1"
    assert headers["ce_id"] == "ls-ilmoitus-501:decision.made"
    assert "ce_corrects" not in headers


def test_decision_revised_is_an_amendment_of_the_decision() -> None:
    headers = _headers(decision(meta=social_meta(versionId="3")))
    assert headers["ce_type"] == "fi.silta.common.record.amended.v1"
    assert headers["ce_corrects"] == "hakemus-77:decision.made"
    assert headers["ce_id"] == "hakemus-77:decision.made:amended:v3"


def test_amendment_without_version_gets_a_content_hash_id() -> None:
    first = _headers(observation(status="amended"))
    again = _headers(observation(status="amended"))
    other = _headers(observation(status="amended", valueQuantity={"value": 39, "unit": "g/L"}))
    assert first["ce_id"] == again["ce_id"] != other["ce_id"]
    assert first["ce_id"].startswith("obs-5521-1:observation.recorded:amended:h")
    assert first["ce_corrects"] == "obs-5521-1:observation.recorded"


def test_non_integer_version_is_not_an_amendment() -> None:
    headers = _headers(procedure(meta=health_meta(versionId="W-abc")))
    assert headers["ce_type"] == "fi.silta.health.procedure.performed.v1"


def test_patient_new_version_is_identified_again_with_a_versioned_id() -> None:
    headers = _headers(patient(meta={"versionId": "2"}))
    assert headers["ce_type"] == "fi.silta.common.patient.identified.v1"
    assert headers["ce_id"] == "p-1:patient.identified:v2"


def test_local_times_get_the_helsinki_offset_of_their_day() -> None:
    winter = _one(encounter(period={"start": "2025-01-15T08:00:00"})).resource.to_fhir()
    summer = _one(encounter(period={"start": "2025-07-15T08:00:00"})).resource.to_fhir()
    assert winter["period"]["start"] == "2025-01-15T08:00:00+02:00"
    assert summer["period"]["start"] == "2025-07-15T08:00:00+03:00"


def test_event_time_is_last_updated_then_received_at() -> None:
    stamped = _one(observation(meta=health_meta(lastUpdated="2025-03-04T08:00:00+02:00")))
    assert stamped.envelope.time.isoformat() == "2025-03-04T08:00:00+02:00"
    assert _one(observation()).envelope.time == SOURCE.received_at


def test_identity_never_travels_in_a_non_client_reference() -> None:
    resource = observation(performer=[{"identifier": {"system": systems.HETU, "value": HETU_A}},
                                      {"reference": "Patient/p-1",
                                       "identifier": {"system": systems.HETU, "value": HETU_A}}])
    value = _one(resource).resource.to_fhir()
    assert value["performer"] == [{"reference": "Patient/p-1"}]
    assert orjson.dumps(value).count(HETU_A.encode()) == 1  # the subject only


def test_organisation_without_identifier_and_empty_strings_are_dropped() -> None:
    resource = encounter(serviceProvider={"reference": "Organization/o1", "display": "KYS"})
    resource["class"] = {**resource["class"], "display": ""}
    value = _one(resource).resource.to_fhir()
    assert "serviceProvider" not in value and "display" not in value["class"]


def test_logical_subject_keeps_only_identifier_and_type() -> None:
    value = _one(observation(subject={**client(), "reference": "Patient/p-1"})).resource.to_fhir()
    assert value["subject"] == {"identifier": {"system": systems.HETU, "value": HETU_A},
                                "type": "Patient"}


def test_patient_event_names_the_hetu_first_like_resolved_references() -> None:
    temporary = {"system": "urn:oid:1.2.246.10.1234567.10.0.99", "value": "TEMP-1"}
    hetu = {"system": systems.HETU, "value": HETU_A}
    event = _one(patient(identifier=[temporary, hetu]))
    assert event.resource.to_fhir()["identifier"] == [hetu, temporary]
