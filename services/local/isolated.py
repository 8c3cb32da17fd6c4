"""A pipeline of its own on a broker: isolated topic names, consumer groups, transactional
ids and state folders, the services' settings for them, producing into it and following a
topic. Tests run Silta against the real broker this way, and so do the benchmarks in
bench/ (which must not depend on tests)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.ingest.settings import IngestSettings
from services.kafka.clients import Kafka, connection, new_consumer, new_producer
from services.kafka.reading import partitions_of
from services.kafka.topics import TopicsFile, apply_topics, load_topics
from services.settings import SiltaSettings
from services.timeline.settings import TimelineSettings

FORMATS = {"hl7v2": "health", "fhir": "health", "social": "social"}


@dataclass(frozen=True)
class PipelineTopics:
    suffix: str
    spec: TopicsFile
    topics_file: Path
    events: str
    timeline: str
    deadletter: str
    key: str

    def raw(self, fmt: str) -> str:
        return next(s.topic for s in self.spec.sources if s.format == fmt)

    def source_id(self, fmt: str) -> str:
        return next(s.id for s in self.spec.sources if s.format == fmt)


async def make_topics(bootstrap: Kafka, tmp_path: Path, partitions: int = 3) -> PipelineTopics:
    suffix = uuid.uuid4().hex[:8]
    events, timeline, deadletter = (f"test.{name}.{suffix}" for name in ("events", "timeline", "dl"))
    data = {
        "version": 1,
        "sources": [{"id": f"{fmt}-{suffix}", "sector": sector, "format": fmt}
                    for fmt, sector in FORMATS.items()],
        "raw": {"partitions": partitions},
        "topics": {events: {"partitions": partitions}, timeline: {"partitions": partitions},
                   deadletter: {"partitions": 1}},
    }
    path = tmp_path / f"topics-{suffix}.yaml"
    path.write_text(yaml.safe_dump(data))
    spec = load_topics(SiltaSettings(topics_file=path, events_topic=events, timeline_topic=timeline))
    report = await apply_topics(bootstrap, spec)
    assert report.ok, report.lines()
    return PipelineTopics(suffix, spec, path, events, timeline, deadletter, secrets.token_hex(32))


def _common(bootstrap: Kafka, topics: PipelineTopics) -> dict[str, Any]:
    return {
        **connection(bootstrap).as_settings(), "topics_file": topics.topics_file,
        "events_topic": topics.events, "timeline_topic": topics.timeline,
        "deadletter_topic": topics.deadletter, "pseudonym_key": topics.key,
        "log_json": True,
    }


def ingest_settings(bootstrap: Kafka, topics: PipelineTopics, **extra: Any) -> IngestSettings:
    return IngestSettings(**_common(bootstrap, topics),
                          ingest_group_id=f"ingest-{topics.suffix}",
                          ingest_transactional_prefix=f"ingest-{topics.suffix}", **extra)


def timeline_settings(bootstrap: Kafka, topics: PipelineTopics, store_url: str,
                      **extra: Any) -> TimelineSettings:
    # One state folder per test run of these topics, shared by its timeline instances:
    # the harder case (a fenced owner's late checkpoint write) than a disk per instance.
    extra.setdefault("timeline_state_dir",
                     Path(tempfile.gettempdir()) / f"silta-timeline-state-{topics.suffix}")
    return TimelineSettings(**_common(bootstrap, topics), store_url=store_url,
                            timeline_group_id=f"timeline-{topics.suffix}",
                            timeline_transactional_prefix=f"timeline-{topics.suffix}",
                            store_group_id=f"store-{topics.suffix}", **extra)


async def produce(bootstrap: Kafka, topic: str, messages: list[tuple[bytes | None, bytes]],
                  headers: list[tuple[str, bytes]] | None = None) -> None:
    producer = new_producer(bootstrap, acks="all", linger_ms=5, enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key, headers=headers or [])
                   for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


class TopicTail:
    """Follows a topic from its start in the background (read_committed), keeping records."""

    def __init__(self, bootstrap: Kafka, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.records: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicTail:
        consumer = new_consumer(self.bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed", auto_offset_reset="earliest")
        await consumer.start()
        tps = await partitions_of(self.bootstrap, self.topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)

        async def follow() -> None:
            try:
                while True:
                    for part in (await consumer.getmany(timeout_ms=200)).values():
                        self.records.extend(part)
            finally:
                await consumer.stop()

        self._task = asyncio.ensure_future(follow())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def until(self, count: int, timeout: float = 120.0) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.records) < count and loop.time() < deadline:
            await asyncio.sleep(0.1)
        return len(self.records)
