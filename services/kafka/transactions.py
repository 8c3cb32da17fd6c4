"""Consume-transform-produce in Kafka transactions, one input partition at a time.

Why transactions and not at-least-once with dedupe: the timeline topic is what evaluators
subscribe to, and its per-client sequence numbers must be gap-free and duplicate-free on
the log itself, not only in one deduplicating store. A transaction commits a batch's
output records and its input offsets together, so a crash either publishes both or
neither, and `read_committed` consumers never see the aborted half.

FastStream 0.7 has no transactions (and a `transactional_id` on its broker breaks its own
publishes), so FastStream consumes and aiokafka's `AIOKafkaProducer` produces. aiokafka
has no KIP-447 (generation-aware) fencing, so each input partition gets its own
transactional id, `<prefix>.<topic>.<partition>`: whoever owns a partition next starts a
producer with the same id, which fences the previous owner and aborts its open
transaction before any new work is done.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import TopicPartition

from services.kafka.clients import Kafka, new_producer
from services.kafka.partitioner import KeyPartitioner


@dataclass(frozen=True)
class OutRecord:
    topic: str
    value: bytes
    key: bytes | None = None
    headers: Sequence[tuple[str, bytes]] = ()
    partition: int | None = None


class RecordBatch(Protocol):
    """aiokafka's `BatchBuilder`: records for one partition, sent in the order appended."""

    def append(self, *, timestamp: int | None, key: bytes | None, value: bytes,
               headers: Sequence[tuple[str, bytes]]) -> object | None:
        """None when the batch is full (an empty batch takes any one record)."""

    def record_count(self) -> int: ...

    def close(self) -> None: ...


class TransactionalProducer(Protocol):
    """What the stage needs of a producer: aiokafka's `AIOKafkaProducer` with a
    transactional id, or memory.py's `MemoryProducer` in tests. `start()` fences every
    earlier producer with the same transactional id (its open transaction is aborted, its
    later calls raise `ProducerFenced`); `stop()` must not be called under an open
    transaction (aiokafka's commit would then never return)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """Commits on a clean exit, aborts when the block raises."""

    async def send(self, topic: str, value: bytes, key: bytes | None = None,
                   partition: int | None = None, timestamp_ms: int | None = None,
                   headers: Sequence[tuple[str, bytes]] | None = None) -> Awaitable[Any]:
        """Enqueues; the awaitable gives the record's metadata (topic, partition, offset)."""

    async def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int],
                                          group_id: str) -> None: ...

    async def partitions_for(self, topic: str) -> set[int]: ...

    def create_batch(self) -> RecordBatch: ...

    async def send_batch(self, batch: RecordBatch, topic: str, *,
                         partition: int) -> Awaitable[Any]:
        """Enqueues the (closed) batch; the awaitable gives the metadata of its first record."""


# A transactional id -> a producer with that id, not yet started.
ProducerFactory = Callable[[str], TransactionalProducer]


@dataclass
class PartitionProducers:
    """Lazily started transactional producers, one per input partition."""

    new_producer: ProducerFactory
    prefix: str
    transaction_timeout_ms: int = 15000
    # Where commit() sends keyed records: one for every producer, so a key is hashed once.
    partitioner: KeyPartitioner = field(default_factory=KeyPartitioner)
    _producers: dict[TopicPartition, TransactionalProducer] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def on_kafka(cls, kafka: Kafka, prefix: str, transaction_timeout_ms: int = 15000,
                 max_batch_size: int = 1024 * 1024) -> PartitionProducers:
        """aiokafka producers: what the services run. `commit` partitions and closes its
        batches itself, so the producers' own partitioner and linger never come into it."""
        def new(transactional_id: str) -> TransactionalProducer:
            producer: TransactionalProducer = new_producer(
                kafka, transactional_id=transactional_id,
                transaction_timeout_ms=transaction_timeout_ms,
                max_batch_size=max_batch_size, max_request_size=4 * 1024 * 1024)
            return producer

        return cls(new, prefix, transaction_timeout_ms)

    def transactional_id(self, tp: TopicPartition) -> str:
        return f"{self.prefix}.{tp.topic}.{tp.partition}"

    async def get(self, tp: TopicPartition) -> TransactionalProducer:
        async with self._lock:
            producer = self._producers.get(tp)
            if producer is None:
                producer = self.new_producer(self.transactional_id(tp))
                # start() runs InitProducerId: it fences an older owner of this id.
                await producer.start()
                self._producers[tp] = producer
            return producer

    async def drop(self, tp: TopicPartition) -> None:
        async with self._lock:
            producer = self._producers.pop(tp, None)
        if producer is not None:
            # A producer that failed is being discarded: its own errors on the way out
            # must not escape into the batch handler.
            with contextlib.suppress(Exception):
                await producer.stop()

    async def close(self) -> None:
        async with self._lock:
            producers, self._producers = list(self._producers.values()), {}
        await asyncio.gather(*(p.stop() for p in producers), return_exceptions=True)


async def commit(
    producer: TransactionalProducer,
    records: Sequence[OutRecord],
    offsets: dict[TopicPartition, int],
    group_id: str,
    partitioner: KeyPartitioner | None = None,
) -> dict[TopicPartition, int]:
    """Publish `records` and commit `offsets` for `group_id` atomically; returns, for each
    partition written, the offset after the last record written there.

    Records go out as one batch per partition (more when one fills up), in their order:
    `send()` per record cost a partitioner call, a batch lookup and a future each. Keyed
    records land where `send()` would put them (`partitioner`, KeyPartitioner by default)."""
    by_partition = await _by_partition(producer, records, partitioner or KeyPartitioner())
    sent: list[tuple[TopicPartition, int, Awaitable[Any]]] = []
    async with producer.transaction():
        for (topic, partition), part in by_partition.items():
            sent.extend(await _send_partition(producer, TopicPartition(topic, partition), part))
        await producer.send_offsets_to_transaction(offsets, group_id)
    written: dict[TopicPartition, int] = {}
    firsts = await asyncio.gather(*(future for _, _, future in sent))
    for (tp, count, _), first in zip(sent, firsts, strict=True):
        written[tp] = max(written.get(tp, 0), first.offset + count)
    return written


async def _by_partition(producer: TransactionalProducer, records: Sequence[OutRecord],
                        partitioner: KeyPartitioner) -> dict[tuple[str, int], list[OutRecord]]:
    numbers: dict[str, list[int]] = {}
    parts: dict[tuple[str, int], list[OutRecord]] = {}
    for record in records:
        partition = record.partition
        if partition is None:
            known = numbers.get(record.topic)
            if known is None:
                known = numbers[record.topic] = sorted(await producer.partitions_for(record.topic))
            partition = partitioner(record.key, known, known)
        parts.setdefault((record.topic, partition), []).append(record)
    return parts


async def _send_partition(producer: TransactionalProducer, tp: TopicPartition,
                          records: list[OutRecord]) -> list[tuple[TopicPartition, int, Awaitable[Any]]]:
    """Enqueues `records` (all for `tp`) in as many batches as they fill, in order."""
    sent = []
    batch = producer.create_batch()
    for record in records:
        while batch.append(key=record.key, value=record.value, timestamp=None,
                           headers=list(record.headers)) is None:
            sent.append(await _send_batch(producer, tp, batch))
            batch = producer.create_batch()
    sent.append(await _send_batch(producer, tp, batch))
    return sent


async def _send_batch(producer: TransactionalProducer, tp: TopicPartition,
                      batch: RecordBatch) -> tuple[TopicPartition, int, Awaitable[Any]]:
    # Closed, the batch is drained at once instead of lingering for more records.
    batch.close()
    return tp, batch.record_count(), await producer.send_batch(batch, tp.topic,
                                                               partition=tp.partition)
