"""Source messages for pipeline tests, and what the pipeline should make of them.

Messages come from the adapters' golden inputs with the identity code swapped for the
test's person, so one person appears in HL7 v2, FHIR and social-care records. The expected
timeline is computed with the same pure pieces the services use (adapters, policy,
entry ids), then compared with what the real services published.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.identity import Pseudonymiser
from adapters.registry import translator
from services.timeline.minimise import entry_id
from services.timeline.policy import Policy
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


@dataclass(frozen=True)
class Expected:
    entry_ids: frozenset[str]
    dropped: int
    failed: int


def expected_timeline(messages: list[SourceMessage], topics: PipelineTopics,
                      policy: Policy = Policy()) -> Expected:
    """The entry ids the timeline should hold for these messages, once each."""
    pseudonymiser = Pseudonymiser(topics.key.encode(), "k1")
    ids: set[str] = set()
    seen: set[tuple[str, str]] = set()
    dropped = failed = 0
    now = dt.datetime.now(dt.timezone.utc)
    for message in messages:
        source = SourceInfo(topics.source_id(message.fmt),
                            "social" if message.fmt == "social" else "health", now)
        try:
            events = translator(message.fmt)(message.payload, source)
        except TranslationError:
            failed += 1
            continue
        for event in events:
            key = (event.envelope.source, event.envelope.id)
            if key in seen:
                continue
            seen.add(key)
            decision = policy.decide(event)
            if decision.keep or decision.withdraw:
                ids.add(entry_id(pseudonymiser, *key))
            else:
                dropped += 1
    return Expected(frozenset(ids), dropped, failed)
