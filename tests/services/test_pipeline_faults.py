"""Crashes and scale-out with the services as real processes (`silta serve`), under load.

Expected results come from the pure pieces (adapters, policy, entry ids); the timeline
topic must hold exactly those entries, once each, numbered 1..n per client.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from contracts.timeline import TimelineEntry
from services.kafka.clients import Kafka
from services.local.processes import ServiceProcess
from services.simulate import SimConfig, generate
from tests.services.test_pipeline import assert_sequences, send
from tests.support.messages import SourceMessage, expected_timeline, from_simulation
from tests.support.pipeline import (
    PipelineKafka,
    PipelineTopics,
    TopicTail,
    ingest_settings,
    make_topics,
    read_all,
    timeline_settings,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def traffic(topics: PipelineTopics, clients: int, seed: int) -> list[SourceMessage]:
    sources = {fmt: topics.source_id(fmt) for fmt in ("hl7v2", "fhir", "social")}
    return from_simulation(generate(SimConfig(clients=clients, seed=seed, sources=sources)))


async def send_under_load(bootstrap: Kafka, topics: PipelineTopics,
                          messages: list[SourceMessage], slices: int = 12) -> None:
    """Keep producing while the services run, so crashes land mid-stream."""
    size = -(-len(messages) // slices)
    for start in range(0, len(messages), size):
        await send(bootstrap, topics, messages[start:start + size])
        await asyncio.sleep(0.4)


def check(records: list, expected_ids: frozenset[str]) -> None:
    ids = [TimelineEntry.model_validate_json(r.value).entry_id for r in records]
    duplicates = len(ids) - len(set(ids))
    assert duplicates == 0, f"{duplicates} duplicate entries on the timeline"
    missing = expected_ids - set(ids)
    assert not missing, f"{len(missing)} entries lost"
    assert set(ids) == expected_ids
    assert_sequences(records)


async def diagnose(bootstrap: str, topics: PipelineTopics,
                   processes: list[ServiceProcess]) -> None:
    """Print what a stuck run looks like: topic sizes and every task's stack."""
    for process in processes:
        process.dump_tasks()
    await asyncio.sleep(1)
    for topic in [*(s.topic for s in topics.spec.sources), topics.events, topics.timeline]:
        print(f"diagnosis: {topic}: {len(await read_all(bootstrap, topic, timeout=5))} records")


def rate(records: list) -> float:
    stamps = sorted(r.timestamp for r in records)
    return len(records) / max(0.001, (stamps[-1] - stamps[0]) / 1000)


async def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(
        pipeline_kafka: PipelineKafka, tmp_path: Path) -> None:
    """On the secured broker too: each process as its own principal, its transactional ids
    and groups under ACLs, fenced and taken over after the kill like on the plain one."""
    kafka = pipeline_kafka
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await kafka.grant(topics)
    messages = traffic(topics, clients=120, seed=11)
    expected = expected_timeline(messages, topics).entry_ids
    store = f"sqlite:///{tmp_path}/timeline.sqlite3"
    ingest = ServiceProcess("ingest", ingest_settings(kafka.as_("ingest"), topics), tmp_path,
                            "ingest")
    timeline = ServiceProcess("timeline", timeline_settings(kafka.as_("timeline"), topics, store),
                              tmp_path, "timeline")
    async with TopicTail(kafka.as_("evaluator"), topics.timeline) as tail:
        ingest.start()
        timeline.start()
        producing = asyncio.ensure_future(send_under_load(kafka.as_("operator"), topics,
                                                          messages))
        try:
            await tail.until(len(expected) // 4)
            before_kill = rate(tail.records)
            timeline.kill()
            timeline.start()
            await tail.until(len(expected) * 3 // 5)
            ingest.kill()
            ingest.start()
            await producing
            await tail.until(len(expected), timeout=180)
            await asyncio.sleep(3)  # anything extra (a duplicate) would arrive now
        finally:
            producing.cancel()
            ingest.stop()
            timeline.stop()
        records = list(tail.records)
    assert ingest.log() and timeline.log()
    check(records, expected)
    print(f"\ncrash test: {len(records)} entries from {len(messages)} source messages; "
          f"{before_kill:.0f} entries/s before the first kill, {rate(records):.0f} entries/s "
          "over the whole run including both kills and restarts")


async def test_a_second_instance_takes_over_when_the_first_stops(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    messages = traffic(topics, clients=80, seed=23)
    expected = expected_timeline(messages, topics).entry_ids
    store = f"sqlite:///{tmp_path}/timeline.sqlite3"
    settings = timeline_settings(kafka_bootstrap, topics, store, log_level="DEBUG")
    ingest = ServiceProcess("ingest", ingest_settings(kafka_bootstrap, topics, log_level="DEBUG"),
                            tmp_path, "ingest")
    first = ServiceProcess("timeline", settings, tmp_path, "timeline-a")
    second = ServiceProcess("timeline", settings, tmp_path, "timeline-b")
    half = len(messages) // 2
    async with TopicTail(kafka_bootstrap, topics.timeline) as tail:
        ingest.start()
        first.start()
        try:
            await send(kafka_bootstrap, topics, messages[:half])
            await tail.until(len(expected) // 5)
            second.start()
            await asyncio.sleep(8)  # the group rebalances: both instances own partitions
            first.stop()            # graceful: B must take over every partition
            await send_under_load(kafka_bootstrap, topics, messages[half:], slices=6)
            if await tail.until(len(expected), timeout=120) < len(expected):
                await diagnose(kafka_bootstrap, topics, [ingest, second])
            await asyncio.sleep(3)
        finally:
            ingest.stop()
            first.stop()
            second.stop()
        records = list(tail.records)
    check(records, expected)
    rebuilt = {json.loads(line)["partition"] for line in second.log().splitlines()
               if '"partition state loaded"' in line}
    assert rebuilt == {0, 1, 2}, "the second instance did not take over every partition"
