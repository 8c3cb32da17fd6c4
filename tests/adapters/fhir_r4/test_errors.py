"""Typed errors: each bad input gives its code AND the JSON pointer of the problem, and no
error text ever carries an identity code or free text from the input."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from adapters.base import MAX_INPUT_BYTES
from adapters.errors import TranslationError
from adapters.fhir_r4 import translate
from contracts import systems
from tests.adapters.fhir_r4.cases import (
    HETU_A,
    HETUS,
    PATIENT_UUID,
    bundle,
    care_plan,
    concept,
    condition,
    encounter,
    episode,
    message_bundle,
    observation,
    patient,
    procedure,
    task,
    without,
)
from tests.adapters.fhir_r4.golden import SOURCE

BAD_HETU = HETU_A[:-1] + ("0" if HETU_A[-1] != "0" else "1")


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else orjson.dumps(value)


def _error(value: Any) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        translate(_bytes(value), SOURCE)
    return caught.value


def _message_bundle_without_header() -> dict[str, Any]:
    message = message_bundle()
    message["entry"] = message["entry"][1:]
    return message


CASES: dict[str, tuple[Any, str, str]] = {
    # name: (input, code, location)
    "empty": (b"  \n", "input.empty", ""),
    "too-large": (b"{" + b" " * MAX_INPUT_BYTES + b"}", "input.too-large", ""),
    "not-an-object": (b"[1, 2]", "fhir.resource.invalid", ""),
    "no-resource-type": ({"id": "x"}, "fhir.resource.invalid", ""),
    "unsupported-resource": ({"resourceType": "Medication", "id": "m1"},
                             "fhir.resource.unsupported", ""),
    "unsupported-entry": (bundle("collection", [
        {"resource": observation()},
        {"resource": {"resourceType": "Appointment", "id": "a1", "status": "booked"}}]),
        "fhir.resource.unsupported", "/entry/1"),
    "nested-bundle": (bundle("collection", [{"resource": bundle("collection", [])}]),
                      "fhir.resource.unsupported", "/entry/0"),
    "unsupported-contained": (care_plan(contained=[{"resourceType": "Medication", "id": "m"}]),
                              "fhir.resource.unsupported", "/contained/0"),
    "batch-bundle": (bundle("batch", [{"resource": observation()}]),
                     "fhir.bundle.unsupported", "/type"),
    "bundle-without-entries": (bundle("collection", []), "fhir.bundle.invalid", "/entry"),
    "entry-without-resource": (bundle("collection", [{"fullUrl": "urn:uuid:x"}]),
                               "fhir.bundle.invalid", "/entry/0/resource"),
    "message-without-header": (_message_bundle_without_header(), "fhir.bundle.invalid",
                               "/entry/0/resource"),
    "transaction-delete": (bundle("transaction", [
        {"resource": observation(), "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "DELETE", "url": "Observation/obs-1"}}]),
        "fhir.request.unsupported", "/entry/1/request/method"),
    "missing-id": (without(observation(), "id"), "fhir.id.missing", "/id"),
    "invalid-id": (observation(id="no spaces allowed"), "fhir.id.invalid", "/id"),
    "duplicate-entry": (bundle("collection", [{"resource": observation()},
                                              {"resource": observation()}]),
                        "fhir.entry.duplicate", "/entry/1/resource"),
    "status-unknown": (encounter("unknown"), "fhir.status.unsupported", "/status"),
    "status-in-bundle": (bundle("collection", [{"resource": observation()},
                                               {"resource": condition()},
                                               {"resource": procedure(status="not-done")}]),
                         "fhir.status.unsupported", "/entry/2/resource/status"),
    "condition-entered-in-error": (condition(verificationStatus=concept(
        systems.CONDITION_VERIFICATION, "entered-in-error")),
        "fhir.status.unsupported", "/verificationStatus"),
    "literal-subject-single": (observation(subject={"reference": "Patient/p-1"}),
                               "identity.missing", "/subject"),
    "literal-subject-unresolved": (bundle("collection", [
        {"resource": patient()},
        {"resource": observation(subject={"reference": "Patient/p-404"})}]),
        "identity.missing", "/entry/1/resource/subject"),
    "urn-subject-patient-without-identity": (bundle("transaction", [
        {"resource": observation(subject={"reference": PATIENT_UUID}),
         "request": {"method": "PUT", "url": "Observation/obs-5521-1"}},
        {"fullUrl": PATIENT_UUID, "request": {"method": "POST", "url": "Patient"},
         "resource": without(patient(identifier=[{"system": "http://mrn", "value": "1"}]),
                             "id")}]),
        "identity.missing", "/entry/0/resource/subject"),
    "patient-without-identity": (patient(identifier=[{"system": "http://mrn", "value": "1"}]),
                                 "identity.missing", "/identifier"),
    "subject-missing": (without(observation(), "subject"), "identity.missing", "/subject"),
    "episode-patient-missing": (without(episode(), "patient"), "identity.missing", "/patient"),
    "task-for-missing": (without(task(), "for"), "identity.missing", "/for"),
    "subject-is-a-group": (observation(subject={"reference": "Group/g1", "type": "Group"}),
                           "identity.missing", "/subject"),
    "subject-foreign-identifier": (observation(subject={"identifier": {
        "system": "http://mrn", "value": "1"}}), "identity.missing", "/subject"),
    "hetu-check-character": (observation(subject={"identifier": {
        "system": systems.HETU, "value": BAD_HETU}}),
        "identity.invalid", "/subject/identifier/value"),
    "patient-bad-hetu": (patient(BAD_HETU), "identity.invalid", "/identifier/0/value"),
    "urn-reference-unresolved": (bundle("collection", [{"resource": condition(
        encounter={"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"})}]),
        "fhir.reference.unresolved", "/entry/0/resource/encounter/reference"),
    "modifier-extension": (
        observation(modifierExtension=[{"url": "http://x", "valueBoolean": True}]),
        "fhir.modifier-extension.unsupported", "/modifierExtension"),
    "finished-without-end": (encounter("finished"), "contract.violation", "/period"),
    "bad-class-in-bundle": (bundle("collection", [
        {"resource": observation()},
        {"resource": {**encounter(), "class": {"system": systems.V3_ACT_CODE, "code": "XYZ"}}}]),
        "contract.violation", "/entry/1/resource/class"),
    "task-not-an-assessment": (task(code=concept("http://example.org/tasks", "call")),
                               "contract.violation", "/code"),
    "time-not-a-time": (observation(effectiveDateTime="yesterday"), "contract.violation",
                        "/effectiveDateTime"),
}


@pytest.mark.parametrize("name", CASES)
def test_error_code_and_location(name: str) -> None:
    value, code, location = CASES[name]
    error = _error(value)
    assert (error.code, error.location) == (code, location), error.message
    for hetu in (*HETUS, BAD_HETU):
        assert hetu not in str(error)


def test_malformed_json_says_line_and_column() -> None:
    error = _error(b'{"resourceType": "Encounter",\n  "status": }')
    assert (error.code, error.location) == ("json.malformed", "")
    assert "line 2, column 13" in error.message


def test_identity_codes_and_free_text_are_not_echoed() -> None:
    long_text = "Tiina Testinen asuu Esimerkkikadulla " * 200
    error = _error(without(observation(valueString=long_text), "valueQuantity"))
    assert error.location == "/valueString" and "Tiina" not in str(error)
    error = _error(observation(status=HETU_A))
    assert error.code == "fhir.status.unsupported" and HETU_A not in str(error)
    error = _error(observation(code={"coding": [{"system": "x", "code": HETU_A + " x" * 200}]}))
    assert error.code == "contract.violation" and HETU_A not in str(error)
