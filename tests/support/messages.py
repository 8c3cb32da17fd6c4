"""Source messages for pipeline tests, and what the pipeline should make of them.

Messages come from the adapters' golden inputs with the identity code swapped for the
test's person, so one person appears in HL7 v2, FHIR and social-care records. The expected
timeline is computed with the same pure pieces the services use (adapters, policy,
entry ids), then compared with what the real services published.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.pseudonyms import Pseudonymiser
from services.timeline.policy import Policy
from services.timeline.preview import Preview, preview
from tests.support.pipeline import PipelineTopics

DATA = Path(__file__).resolve().parents[1] / "data"
HETU_SHAPE = re.compile(rb"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")

PERSON_FILES = {
    "hl7v2": ["adt_a01_v251.hl7", "adt_a03_v28.hl7", "oru_r01_v251.hl7", "adt_a01_latin1.hl7"],
    "fhir": ["encounter-started.json", "condition.json", "observation.json",
             "procedure.json", "patient.json"],
    "social": ["notification-child-welfare.json", "decision-granted.json",
               "outcome-measure-recorded.json", "client-relationship-opened.json",
               "client-data-recorded.json", "ban-this-document.json"],
}
CORRECTION_FILES = {
    "hl7v2": ["adt_a08_v251.hl7", "adt_a11_v251.hl7"],
    "fhir": ["observation-entered-in-error.json", "encounter-amended-version2.json"],
    "social": ["client-plan-created.json", "client-plan-created-v2.json",
               "client-relationship-opened-entered-in-error.json"],
}


@dataclass(frozen=True)
class SourceMessage:
    fmt: str
    name: str      # also the raw record's key
    payload: bytes


def from_simulation(messages: list[Any]) -> list[SourceMessage]:
    """`silta simulate` messages as SourceMessages, in the simulator's time order."""
    return [SourceMessage(m.fmt, m.key.decode(), m.payload) for m in messages]


def with_identity(payload: bytes, hetu: str) -> bytes:
    return HETU_SHAPE.sub(hetu.encode(), payload)


def _folder(fmt: str) -> Path:
    return DATA / ("fhir" if fmt == "fhir" else fmt)


def person_messages(hetu: str, files: dict[str, list[str]] = PERSON_FILES) -> list[SourceMessage]:
    messages = []
    for fmt, names in files.items():
        for name in names:
            path = _folder(fmt) / name
            if path.exists():
                messages.append(SourceMessage(fmt, name, with_identity(path.read_bytes(), hetu)))
    return messages


def expected_timeline(messages: list[SourceMessage], topics: PipelineTopics,
                      policy: Policy = Policy()) -> Preview:
    """The entry ids the timeline should hold for these messages, once each."""
    return preview(((m.fmt, topics.source_id(m.fmt), m.payload) for m in messages),
                   Pseudonymiser(topics.key.encode(), "k1"), policy)
