"""The transactional stage on two backends, for behaviour written once
(tests/services/kafka/test_stage.py, test_transactions.py): Kafka in memory
(services/kafka/memory.py) and the real broker. Each backend offers the same few
operations; faults are injected around the producer, so they act on either backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaError

from services.kafka.clients import new_admin, new_consumer, new_producer
from services.kafka.memory import MemoryKafka
from services.kafka.reading import read_topic
from services.kafka.transactions import (
    PartitionProducers,
    ProducerFactory,
    RecordBatch,
    TransactionalProducer,
)
from services.timeline import checkpoint
from services.timeline.processor import StateLoader
from services.timeline.state import MemoryState, absorbed

Records = list[ConsumerRecord[Any, Any]]


class Backend(Protocol):
    name: str

    async def topic(self, prefix: str, partitions: int) -> str: ...

    async def produce(self, topic: str, records: Sequence[tuple[int, bytes, bytes, Any]]) -> None:
        """(partition, key, value, headers) each, plainly (no transaction)."""

    def producer(self, transactional_id: str,
                 batch_size: int = 1024 * 1024) -> TransactionalProducer: ...

    async def consumer(self, group_id: str, tps: list[TopicPartition]) -> Any:
        """A started read_committed consumer, assigned `tps` at the group's offsets."""

    async def committed(self, group_id: str, tp: TopicPartition) -> int | None: ...

    async def read(self, topic: str) -> Records:
        """What a read_committed reader finds on `topic`."""

    def state_loader(self, timeline_topic: str, state_dir: Path) -> StateLoader: ...

    async def close(self) -> None: ...


class MemoryBackend:
    name = "memory"

    def __init__(self) -> None:
        self.kafka = MemoryKafka()

    async def topic(self, prefix: str, partitions: int) -> str:
        name = f"test.{prefix}.{uuid.uuid4().hex[:10]}"
        self.kafka.create_topic(name, partitions)
        return name

    async def produce(self, topic: str, records: Sequence[tuple[int, bytes, bytes, Any]]) -> None:
        for partition, key, value, headers in records:
            self.kafka.produce(topic, value, key, partition, headers)

    def producer(self, transactional_id: str,
                 batch_size: int = 1024 * 1024) -> TransactionalProducer:
        return self.kafka.producer(transactional_id, batch_size)

    async def consumer(self, group_id: str, tps: list[TopicPartition]) -> Any:
        consumer = self.kafka.consumer(group_id)
        consumer.assign(tps)
        return consumer

    async def committed(self, group_id: str, tp: TopicPartition) -> int | None:
        return self.kafka.committed(group_id, tp)

    async def read(self, topic: str) -> Records:
        return [r for tp in self.kafka.partitions(topic) for r in self.kafka.read_committed(tp)]

    def state_loader(self, timeline_topic: str, state_dir: Path) -> StateLoader:
        async def load(partition: int) -> MemoryState:
            tp = TopicPartition(timeline_topic, partition)
            state = MemoryState()
            state.apply(*absorbed(r.value for r in self.kafka.read_committed(tp)),
                        self.kafka.stable_offset(tp))
            return state

        return load

    async def close(self) -> None:
        pass


class KafkaBackend:
    name = "kafka"

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._closing: list[Any] = []
        self._topics: list[str] = []

    async def topic(self, prefix: str, partitions: int) -> str:
        name = f"test.{prefix}.{uuid.uuid4().hex[:10]}"
        admin = new_admin(self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, partitions, 1)])
        finally:
            await admin.close()
        self._topics.append(name)
        return name

    async def produce(self, topic: str, records: Sequence[tuple[int, bytes, bytes, Any]]) -> None:
        producer = new_producer(self.bootstrap, enable_idempotence=True, linger_ms=5)
        await producer.start()
        try:
            sent = [await producer.send(topic, value, key=key, partition=partition,
                                        headers=list(headers))
                    for partition, key, value, headers in records]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    def producer(self, transactional_id: str,
                 batch_size: int = 1024 * 1024) -> TransactionalProducer:
        """As the services make them."""
        producers = PartitionProducers.on_kafka(self.bootstrap, "", max_batch_size=batch_size)
        producer = producers.new_producer(transactional_id)
        self._closing.append(producer)
        return producer

    async def consumer(self, group_id: str, tps: list[TopicPartition]) -> Any:
        consumer = new_consumer(self.bootstrap, group_id=group_id, enable_auto_commit=False,
                                isolation_level="read_committed", auto_offset_reset="earliest")
        await consumer.start()
        self._closing.append(consumer)
        consumer.assign(tps)
        return consumer

    async def committed(self, group_id: str, tp: TopicPartition) -> int | None:
        admin = new_admin(self.bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(group_id)
        finally:
            await admin.close()
        found = offsets.get(tp)
        return None if found is None or found.offset < 0 else int(found.offset)

    async def read(self, topic: str) -> Records:
        return await read_topic(self.bootstrap, topic)

    def state_loader(self, timeline_topic: str, state_dir: Path) -> StateLoader:
        return functools.partial(checkpoint.load, self.bootstrap, timeline_topic, state_dir)

    async def close(self) -> None:
        for client in reversed(self._closing):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.stop(), 10)
        admin = new_admin(self.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(self._topics)
        finally:
            await admin.close()


class InjectedFault(KafkaError):
    """A failure the test asked for."""


@dataclass
class Faults:
    """Failures injected around a backend's producers: commits that fail before they land
    (the transaction aborts), commits that land but whose acknowledgement is lost, and
    commits held open until the test releases them."""

    abort: int = 0
    lose_ack: int = 0
    hold: asyncio.Event | None = None
    holding: asyncio.Event = field(default_factory=asyncio.Event)

    def wrap(self, new: ProducerFactory) -> ProducerFactory:
        return lambda transactional_id: FaultyProducer(new(transactional_id), self)

    async def before_commit(self) -> None:
        if self.hold is not None:
            self.holding.set()
            await self.hold.wait()
        if self.abort:
            self.abort -= 1
            raise InjectedFault("the commit failed before it landed")

    def after_commit(self) -> None:
        if self.lose_ack:
            self.lose_ack -= 1
            raise InjectedFault("the commit landed, its acknowledgement was lost")


@dataclass
class FaultyProducer:
    inner: TransactionalProducer
    faults: Faults

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self.inner.transaction():
            yield
            await self.faults.before_commit()
        self.faults.after_commit()

    async def send(self, topic: str, value: bytes, key: bytes | None = None,
                   partition: int | None = None, timestamp_ms: int | None = None,
                   headers: Sequence[tuple[str, bytes]] | None = None) -> Any:
        return await self.inner.send(topic, value, key=key, partition=partition,
                                     timestamp_ms=timestamp_ms, headers=headers)

    async def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int],
                                          group_id: str) -> None:
        await self.inner.send_offsets_to_transaction(offsets, group_id)

    async def partitions_for(self, topic: str) -> set[int]:
        return await self.inner.partitions_for(topic)

    def create_batch(self) -> RecordBatch:
        return self.inner.create_batch()

    async def send_batch(self, batch: RecordBatch, topic: str, *, partition: int) -> Any:
        return await self.inner.send_batch(batch, topic, partition=partition)
