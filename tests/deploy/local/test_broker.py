"""The local broker: per-key order and transactions hold on it (real broker, no mocks)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.local.broker import LocalKafka, free_port, kafka_version

pytestmark = pytest.mark.kafka


async def _drain(consumer: AIOKafkaConsumer, expected: int, timeout: float = 20) -> list:
    records: list = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(records) < expected and loop.time() < deadline:
        batch = await consumer.getmany(timeout_ms=500)
        for messages in batch.values():
            records.extend(messages)
    return records


async def test_keyed_messages_keep_per_key_order_on_three_partitions(
    kafka_bootstrap: str, make_topic
) -> None:
    topic = await make_topic("order", partitions=3)
    keys = [f"client-{i}".encode() for i in range(12)]
    per_key = 50
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        # Fire everything without awaiting each send: batching must not reorder a key.
        futures = [
            await producer.send(topic, key=key, value=str(seq).encode())
            for seq in range(per_key) for key in keys
        ]
        await producer.flush()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        records = await _drain(consumer, len(keys) * per_key)
    finally:
        await consumer.stop()

    assert len(records) == len(keys) * per_key
    by_key: dict[bytes, list[tuple[int, int, int]]] = defaultdict(list)
    for r in records:
        by_key[r.key].append((r.partition, r.offset, int(r.value)))
    partitions_used = set()
    for key, seen in by_key.items():
        assert len({p for p, _, _ in seen}) == 1, f"{key!r} spread over partitions"
        partitions_used.add(seen[0][0])
        in_offset_order = [v for _, _, v in sorted(seen)]
        assert in_offset_order == list(range(per_key)), f"{key!r} reordered"
    assert len(partitions_used) > 1, "keys all hashed to one partition: order test is vacuous"


async def test_committed_transaction_is_visible_and_aborted_one_is_not(
    kafka_bootstrap: str, make_topic
) -> None:
    topic = await make_topic("tx", partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap,
                                transactional_id=f"{topic}-tx")
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send(topic, b"committed-1")
            await producer.send(topic, b"committed-2")
        await producer.begin_transaction()
        await producer.send(topic, b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, b"committed-3")
    finally:
        await producer.stop()

    async def read(isolation: str) -> list[bytes]:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    isolation_level=isolation)
        await consumer.start()
        try:
            expected = 3 if isolation == "read_committed" else 4
            return [r.value for r in await _drain(consumer, expected, timeout=10)]
        finally:
            await consumer.stop()

    assert await read("read_committed") == [b"committed-1", b"committed-2", b"committed-3"]
    # The uncommitted view shows the aborted record, so the assertion above is not vacuous.
    assert b"aborted" in await read("read_uncommitted")


def test_status_of_a_broker_that_is_not_running(tmp_path) -> None:
    broker = LocalKafka(port=free_port(), run_dir=tmp_path / "none")
    assert broker.pid() is None
    assert broker.status().startswith("stopped")
    assert broker.down() is False


def test_pinned_version_is_a_kafka_4() -> None:
    assert kafka_version().startswith("4.")
