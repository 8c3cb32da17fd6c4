"""Golden files: each input under tests/data/fhir/ must give exactly its expected events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from adapters.fhir_r4 import translate
from contracts.events import parse_event
from tests.adapters.fhir_r4.cases import CASES
from tests.adapters.fhir_r4.golden import DATA, SOURCE, expected_lines

INPUTS = sorted(p for p in DATA.glob("*.json"))


def test_every_case_has_golden_files() -> None:
    assert {p.stem for p in INPUTS} == set(CASES)
    assert all(p.with_suffix(".ndjson").exists() for p in INPUTS)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    expected = path.with_suffix(".ndjson").read_text().splitlines()
    assert expected_lines(path.read_bytes()) == expected


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_golden_events_revalidate_and_pass_the_oracle(path: Path) -> None:
    for event in translate(path.read_bytes(), SOURCE):
        parse_event(event.headers(), event.value())
        value = event.resource.to_fhir()
        get_fhir_model_class(value["resourceType"]).model_validate(value)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_resending_gives_identical_events(path: Path) -> None:
    first = [e.to_message() for e in translate(path.read_bytes(), SOURCE)]
    again = [e.to_message() for e in translate(path.read_bytes(), SOURCE)]
    assert first == again


def _values(name: str) -> list[dict[str, Any]]:
    lines = (DATA / f"{name}.ndjson").read_text().splitlines()
    return [json.loads(line)["value"] for line in lines]


def test_minimisation_drops_narrative_notes_displays_and_foreign_labels() -> None:
    text = (DATA / "encounter-started.ndjson").read_text() + (DATA / "condition.ndjson").read_text()
    for absent in ('"text"', "Tiina", "Dr. Who", "participant", "vendor-label", '"use"',
                   "Potilas kertoi", '"note"', "Kuopion yliopistollinen"):
        assert absent not in text
    notification = (DATA / "servicerequest-notification.ndjson").read_text()
    assert "vendor.example" not in notification and "Liisa" not in notification
    assert "naapuri" not in notification


def test_patient_keeps_allowed_identity_elements_only() -> None:
    [value] = _values("patient")
    assert set(value) == {"resourceType", "id", "identifier", "name", "gender", "birthDate",
                          "address"}
    assert [i["system"] for i in value["identifier"]] == [
        "urn:oid:1.2.246.21", "urn:oid:1.2.246.10.1234567.10.0.99"]
    assert value["name"] == [{"family": "Testinen", "given": ["Tiina"]}]


TURVAKIELTO = {"system": "https://silta.fi/fhir/CodeSystem/security-label", "code": "TURVAKIELTO"}


def test_turvakielto_is_mapped_and_travels_to_the_clients_records() -> None:
    [patient] = _values("patient-turvakielto-v3-confidentiality")
    assert patient["meta"]["security"] == [TURVAKIELTO]
    values = _values("bundle-transaction-urn-uuid-turvakielto")
    assert all(TURVAKIELTO in v["meta"]["security"] for v in values)


def test_transaction_bundle_resolves_urn_uuid_references() -> None:
    patient, encounter, condition, _ = _values("bundle-transaction-urn-uuid-turvakielto")
    assert encounter["subject"]["identifier"] == patient["identifier"][0]
    assert condition["encounter"] == {"reference": f"Encounter/{encounter['id']}"}
