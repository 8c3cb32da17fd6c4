"""Golden files: every kind and action, corrections and security labels, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

from adapters.social import ADAPTER_VERSION, translate
from contracts.catalogue import CATALOGUE
from contracts.events import parse_event
from tests.adapters.social.support import (
    SOURCE,
    expected_path,
    golden_inputs,
    read_ndjson,
    to_ndjson,
)

INPUTS = golden_inputs()


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden(path: Path) -> None:
    events = translate(path.read_bytes(), SOURCE)
    assert [e.to_message() for e in events] == read_ndjson(expected_path(path))


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_resend_gives_identical_events(path: Path) -> None:
    assert to_ndjson(translate(path.read_bytes(), SOURCE)) == to_ndjson(
        translate(path.read_bytes(), SOURCE))


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_outputs_are_valid_contract_events_and_fhir(path: Path) -> None:
    for event in translate(path.read_bytes(), SOURCE):
        parse_event(event.headers(), event.value())
        value = event.resource.to_fhir()
        get_fhir_model_class(value["resourceType"]).model_validate(value)


def _free_texts(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k in ("summary", "description")
                and isinstance(v, str)] + [t for v in node.values() for t in _free_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _free_texts(v)]
    return []


@pytest.mark.parametrize("path", INPUTS, ids=[p.stem for p in INPUTS])
def test_free_text_never_copied(path: Path) -> None:
    texts = _free_texts(json.loads(path.read_text()))
    output = to_ndjson(translate(path.read_bytes(), SOURCE))
    for text in texts:
        assert text not in output
        assert text.split()[0] not in output  # not even a fragment


def test_corpus_covers_every_social_event_type_and_corrections() -> None:
    produced = {json.loads(line)["headers"]["ce_type"]
                for p in INPUTS for line in expected_path(p).read_text().splitlines()}
    wanted = {s.type for s in CATALOGUE if s.sector == "social"} | {
        "fi.silta.common.record.amended.v1", "fi.silta.common.record.entered-in-error.v1",
        "fi.silta.common.patient.identified.v1"}
    assert wanted <= produced


def test_amendment_corrects_the_version_one_event() -> None:
    first = read_ndjson(expected_path(INPUTS[0].with_name("service-started.json")))[0]
    amended = read_ndjson(expected_path(INPUTS[0].with_name("service-started-v2.json")))[0]
    assert amended["headers"]["ce_corrects"] == first["headers"]["ce_id"]
    assert amended["headers"]["ce_id"] != first["headers"]["ce_id"]
    assert amended["headers"]["ce_subject"] == first["headers"]["ce_subject"]


def test_retraction_id_follows_the_convention() -> None:
    opened = read_ndjson(expected_path(INPUTS[0].with_name("client-relationship-opened.json")))
    retracted = read_ndjson(expected_path(
        INPUTS[0].with_name("client-relationship-opened-entered-in-error.json")))
    original = opened[0]["headers"]["ce_id"]
    assert retracted[0]["headers"]["ce_id"] == f"{original}:retracted"
    assert retracted[0]["headers"]["ce_corrects"] == original


def test_adapter_version() -> None:
    assert ADAPTER_VERSION == "social-record-event/1"
