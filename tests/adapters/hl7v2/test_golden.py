"""Golden files: each input under tests/data/hl7v2 translates to exactly its .ndjson.

Regenerate with `python -m tests.adapters.hl7v2.regenerate` after a deliberate change and
review the diff; this test only compares.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B import get_fhir_model_class

from adapters.hl7v2 import translate
from contracts.events import parse_event
from tests.adapters.hl7v2.corpus import golden_inputs, source_for
from tests.adapters.hl7v2.regenerate import expected_path, render

GOLDEN = golden_inputs()
TRIGGERS_COVERED = {"A01", "A02", "A03", "A04", "A08", "A11", "A13", "R01"}


def test_every_trigger_has_a_golden_file() -> None:
    names = {p.stem.split("_")[1].upper() for p in GOLDEN}
    assert names >= TRIGGERS_COVERED


def test_versions_23_251_28_are_covered() -> None:
    versions = {p.stem.rsplit("_v", 1)[-1] for p in GOLDEN if "_v" in p.stem}
    assert {"23", "251", "28"} <= versions


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_translation_matches_golden(path: Path) -> None:
    expected = expected_path(path).read_text(encoding="utf-8")
    assert render(path) == expected


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_events_revalidate_and_are_fhir_r4(path: Path) -> None:
    for event in translate(path.read_bytes(), source_for(path)):
        again = parse_event(event.headers(), event.value())
        assert again.headers() == event.headers()  # (either may be the mirror)
        value = json.loads(event.value())
        get_fhir_model_class(value["resourceType"]).model_validate(value)


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_resending_gives_identical_events(path: Path) -> None:
    first = translate(path.read_bytes(), source_for(path))
    second = translate(path.read_bytes(), source_for(path))
    assert [e.to_message() for e in first] == [e.to_message() for e in second]
    ids = [e.envelope.id for e in first]
    assert len(ids) == len(set(ids))
