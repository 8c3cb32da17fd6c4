"""Producing simulated traffic to a real broker: every message arrives once, on its
source's topic, keyed as the source keys it, in send order per key."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer

from services.simulate import SimConfig, build
from services.simulate.sinks import SimOutputError, produce

pytestmark = pytest.mark.kafka
SOURCES = {"hl7v2": "adt-sim", "fhir": "fhir-sim", "social": "cis-sim"}


async def _read(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, bytes]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    records: list[tuple[int, int, bytes, bytes]] = []
    try:
        async with asyncio.timeout(60):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records += [(r.partition, r.offset, r.key, r.value) for r in batch]
    finally:
        await consumer.stop()
    records.sort()
    return [(key, value) for _, _, key, value in records]


async def test_every_message_reaches_its_raw_topic(kafka_bootstrap: str, make_topic) -> None:
    topics = {SOURCES[fmt]: await make_topic(f"sim-{fmt}", partitions=3) for fmt in SOURCES}
    sim = build(SimConfig(clients=8, seed=2, sources=SOURCES))
    sent = await produce(sim.messages, kafka_bootstrap, topics, linger_ms=5)
    assert sent == len(sim.messages)
    for source, topic in topics.items():
        expected = [(m.key, m.payload) for m in sim.messages if m.source_id == source]
        received = await _read(kafka_bootstrap, topic, len(expected))
        assert sorted(received) == sorted(expected)
        by_key: dict[bytes, list[bytes]] = defaultdict(list)
        for key, value in received:  # partition order, so per-key send order
            by_key[key].append(value)
        for key, values in by_key.items():
            assert values == [v for k, v in expected if k == key]


async def test_missing_topic_is_reported(kafka_bootstrap: str) -> None:
    sim = build(SimConfig(clients=2, seed=2, sources=SOURCES))
    topics = {source: "test.sim.does-not-exist" for source in SOURCES.values()}
    with pytest.raises(SimOutputError, match="do not exist"):
        await produce(sim.messages, kafka_bootstrap, topics)
