"""Reading whole topics through aiokafka's public API (admin metadata, consumer offsets)."""

from __future__ import annotations

import uuid

from aiokafka import TopicPartition

from services.kafka.reading import partitions_of, read_topic
from tests.conftest import TopicFactory
from tests.support.pipeline import produce


async def test_partitions_are_listed_in_order(kafka_bootstrap: str,
                                              make_topic: TopicFactory) -> None:
    topic = await make_topic("parts", partitions=3)
    assert await partitions_of(kafka_bootstrap, topic) == [
        TopicPartition(topic, n) for n in range(3)]


async def test_a_topic_the_broker_does_not_know_reads_as_empty(kafka_bootstrap: str) -> None:
    absent = f"test.absent.{uuid.uuid4().hex[:10]}"
    assert await partitions_of(kafka_bootstrap, absent) == []
    assert await read_topic(kafka_bootstrap, absent) == []


async def test_every_committed_record_is_read(kafka_bootstrap: str,
                                              make_topic: TopicFactory) -> None:
    topic = await make_topic("whole", partitions=2)
    await produce(kafka_bootstrap, topic, [(f"k{i}".encode(), f"v{i}".encode()) for i in range(9)])
    values = sorted(r.value for r in await read_topic(kafka_bootstrap, topic))
    assert values == sorted(f"v{i}".encode() for i in range(9))
