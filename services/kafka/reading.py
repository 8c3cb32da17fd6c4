"""Reading a whole topic as it stands: every committed record up to each partition's last
stable offset, for tools that audit topics (verify, dead-letter triage)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import TopicPartition

from services.errors import SourceError
from services.kafka.clients import Kafka, connection, new_admin, new_consumer


async def partitions_of(kafka: Kafka, topic: str) -> list[TopicPartition]:
    """The topic's partitions, sorted; [] when the broker does not know the topic (or does
    not let us describe it). It asks for every topic's metadata: asking for one by name
    would create it on a cluster that auto-creates topics."""
    admin = new_admin(kafka)
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    numbers = [p["partition"] for t in described if t["topic"] == topic and t["error_code"] == 0
               for p in t["partitions"]]
    return [TopicPartition(topic, n) for n in sorted(numbers)]


async def read_topic(bootstrap: Kafka, topic: str, **client: Any) -> list[Any]:
    """Every committed record of `topic`, partition by partition, in offset order; [] for a
    topic without partitions."""
    return [record async for batch in topic_batches(bootstrap, topic, **client)
            for record in batch]


async def topic_batches(bootstrap: Kafka, topic: str, **client: Any) -> AsyncIterator[list[Any]]:
    """The committed records of `topic` as it stands, in batches, partition by partition in
    offset order: for readers whose memory must not grow with the topic."""
    consumer = new_consumer(bootstrap, enable_auto_commit=False, isolation_level="read_committed",
                            max_partition_fetch_bytes=8 * 1024 * 1024, **client)
    await consumer.start()
    try:
        tps = await partitions_of(bootstrap, topic)
        if not tps:
            return
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
                if records := batch.get(tp):
                    yield records
    finally:
        await consumer.stop()


async def start_or_explain(client: Any, kafka: Kafka) -> None:
    """Start an aiokafka client for a command line tool: no broker is one SourceError
    naming the bootstrap, not aiokafka's retries logged at ERROR."""
    from aiokafka.errors import KafkaError

    client_log = logging.getLogger("aiokafka")
    level = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        await asyncio.wait_for(client.start(), 15)
    except (KafkaError, OSError, TimeoutError):
        await client.stop()
        raise SourceError(f"no Kafka broker answers at {connection(kafka).bootstrap} "
                          "(SILTA_KAFKA_BOOTSTRAP)") from None
    finally:
        client_log.setLevel(level)
