"""Ingest processing without a broker: events keyed by pseudonym, or one dead letter."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import TopicPartition

from contracts import systems
from contracts.events import parse_event
from services.ingest.processor import IngestProcessor, routes_for
from services.ingest.settings import IngestSettings
from services.kafka.topics import load_topics
from services.observability.metrics import ServiceMetrics
from services.pseudonyms import Pseudonymiser
from services.settings import DEFAULT_TOPICS_FILE, SiltaSettings

DATA = Path(__file__).resolve().parents[2] / "data"
SPEC = load_topics(SiltaSettings(topics_file=DEFAULT_TOPICS_FILE))
PSEUDO = Pseudonymiser(b"p" * 32, "k1")


@dataclass
class Record:
    value: bytes
    topic: str = SPEC.source("hospital-adt").topic
    partition: int = 0
    offset: int = 0
    key: bytes | None = b"k"
    timestamp: int = int(dt.datetime(2025, 3, 3, tzinfo=dt.UTC).timestamp() * 1000)
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def processor() -> IngestProcessor:
    settings = IngestSettings(pseudonym_key="p" * 32, events_topic="events", deadletter_topic="dl")
    return IngestProcessor(settings, routes_for(SPEC), ServiceMetrics("ingest"))


async def test_events_are_keyed_by_the_clients_pseudonym() -> None:
    payload = (DATA / "hl7v2" / "adt_a01_v251.hl7").read_bytes()
    tp = TopicPartition(SPEC.source("hospital-adt").topic, 0)
    outcome = await processor().process(tp, [Record(payload)])
    assert outcome.records and all(r.topic == "events" for r in outcome.records)
    for out in outcome.records:
        event = parse_event(list(out.headers), out.value)
        system, value = event.client_identifier()
        assert system == systems.HETU
        assert out.key == PSEUDO.pseudonym(system, value).encode()
        assert value.encode() not in out.key


async def test_untranslatable_bytes_become_one_dead_letter_with_the_reason() -> None:
    tp = TopicPartition(SPEC.source("hospital-fhir").topic, 1)
    outcome = await processor().process(tp, [Record(b"{not json", topic=tp.topic, offset=9)])
    [letter] = outcome.records
    headers = dict(letter.headers)
    assert letter.topic == "dl" and letter.value == b"{not json"
    assert headers["silta-dl-code"] == b"json.malformed"
    assert headers["silta-dl-source-offset"] == b"9"
    assert headers["silta-dl-adapter-version"].startswith(b"fhir")


async def test_an_adapter_bug_is_dead_lettered_not_raised() -> None:
    proc = processor()
    topic = SPEC.source("social-cis").topic

    def explode(data: bytes, source: object) -> list[object]:
        raise ZeroDivisionError("boom")

    proc.routes[topic] = dataclasses.replace(proc.routes[topic], translate=explode)
    tp = TopicPartition(SPEC.source("social-cis").topic, 0)
    outcome = await proc.process(tp, [Record(b"{}", topic=tp.topic)])
    assert dict(outcome.records[0].headers)["silta-dl-code"] == b"adapter.crash"
