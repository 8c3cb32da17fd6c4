"""Kafka in memory, as far as consume-transform-produce in transactions sees it: the
transactional stage (stage.py, transactions.py) runs on it without a broker, and
tests/services/kafka/test_stage.py runs one behaviour suite on it and on the real broker.

What it keeps of Kafka, because the stage's correctness depends on each point:
- a record takes its offset when it is appended, in a transaction or not, and ending a
  transaction writes a control marker that takes an offset too;
- `read_committed` consumers see a transaction's records only once it commits, and
  nothing at or past the first offset of a transaction still open (the last stable offset);
- a transaction commits its records and its consumer-group offsets together, or neither;
- starting a producer fences every earlier producer with the same transactional id: its
  open transaction is aborted and its later calls raise `ProducerFenced`;
- stopping a producer under its open transaction leaves the commit waiting forever, as
  aiokafka's does (DESIGN.md, known pitfalls).
Not kept: replication, retention, transaction timeouts, group membership and rebalances
(tests call the stage's listener methods themselves).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError, ProducerFenced, UnknownTopicOrPartitionError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import RecordMetadata

from services.kafka.transactions import RecordBatch


@dataclass
class _Transaction:
    producer: str  # transactional id
    touched: set[TopicPartition] = field(default_factory=set)
    offsets: dict[str, dict[TopicPartition, int]] = field(default_factory=dict)
    state: Literal["open", "committed", "aborted"] = "open"


@dataclass(frozen=True)
class _Slot:
    """One offset of a partition's log: a record, or a transaction marker (record None)."""

    record: ConsumerRecord[bytes, bytes] | None
    transaction: _Transaction | None = None

    @property
    def committed(self) -> bool:
        return self.record is not None and (
            self.transaction is None or self.transaction.state == "committed")


class MemoryKafka:
    def __init__(self) -> None:
        self._logs: dict[TopicPartition, list[_Slot]] = {}
        self._epochs: dict[str, int] = {}
        self._open: dict[str, _Transaction] = {}
        self._groups: dict[tuple[str, TopicPartition], int] = {}

    def create_topic(self, name: str, partitions: int = 1) -> None:
        for number in range(partitions):
            self._logs.setdefault(TopicPartition(name, number), [])

    def partitions(self, topic: str) -> list[TopicPartition]:
        return sorted(tp for tp in self._logs if tp.topic == topic)

    def produce(self, topic: str, value: bytes, key: bytes | None = None,
                partition: int | None = None,
                headers: Sequence[tuple[str, bytes]] = ()) -> RecordMetadata:
        """A plain (non-transactional) send, e.g. a test's input."""
        return self._append(topic, value, key, partition, headers, None)

    def end_offset(self, tp: TopicPartition) -> int:
        return len(self._log(tp))

    def stable_offset(self, tp: TopicPartition) -> int:
        """Where `read_committed` reading stops: the first record of an open transaction."""
        log = self._log(tp)
        return next((offset for offset, slot in enumerate(log)
                     if slot.transaction is not None and slot.transaction.state == "open"),
                    len(log))

    def read_committed(self, tp: TopicPartition, start: int = 0,
                       limit: int | None = None) -> list[ConsumerRecord[bytes, bytes]]:
        log = self._log(tp)[start:self.stable_offset(tp)]
        records = [slot.record for slot in log if slot.committed and slot.record is not None]
        return records[:limit]

    def committed(self, group_id: str, tp: TopicPartition) -> int | None:
        return self._groups.get((group_id, tp))

    def producer(self, transactional_id: str, batch_size: int = 1024 * 1024) -> MemoryProducer:
        return MemoryProducer(self, transactional_id, batch_size)

    def consumer(self, group_id: str) -> MemoryConsumer:
        return MemoryConsumer(self, group_id)

    def _log(self, tp: TopicPartition) -> list[_Slot]:
        log = self._logs.get(tp)
        if log is None:
            raise UnknownTopicOrPartitionError(f"{tp.topic}/{tp.partition}")
        return log

    def _append(self, topic: str, value: bytes, key: bytes | None, partition: int | None,
                headers: Iterable[tuple[str, bytes]],
                transaction: _Transaction | None) -> RecordMetadata:
        numbers = [tp.partition for tp in self.partitions(topic)]
        if not numbers:
            raise UnknownTopicOrPartitionError(topic)
        if partition is None:
            partition = DefaultPartitioner()(key, numbers, numbers)
        tp = TopicPartition(topic, partition)
        log = self._log(tp)
        now = int(time.time() * 1000)
        record = ConsumerRecord(topic, partition, len(log), now, 0, key, value, None,
                                len(key or b""), len(value), tuple(headers))
        log.append(_Slot(record, transaction))
        if transaction is not None:
            transaction.touched.add(tp)
        return RecordMetadata(topic, partition, tp, record.offset, now, 0, 0)

    # The transaction coordinator.

    def _init_producer(self, transactional_id: str) -> int:
        """A producer starts: fence the earlier ones with this id, abort what they left open."""
        self._epochs[transactional_id] = self._epochs.get(transactional_id, 0) + 1
        if (left := self._open.pop(transactional_id, None)) is not None:
            self._end(left, commit=False)
        return self._epochs[transactional_id]

    def _check(self, transactional_id: str, epoch: int) -> None:
        if self._epochs.get(transactional_id) != epoch:
            raise ProducerFenced()

    def _begin(self, transactional_id: str) -> _Transaction:
        transaction = self._open[transactional_id] = _Transaction(transactional_id)
        return transaction

    def _end(self, transaction: _Transaction, commit: bool) -> None:
        self._open.pop(transaction.producer, None)
        transaction.state = "committed" if commit else "aborted"
        for tp in transaction.touched:
            self._log(tp).append(_Slot(None, transaction))
        if commit:
            for group_id, offsets in transaction.offsets.items():
                for tp, offset in offsets.items():
                    self._groups[(group_id, tp)] = offset


class MemoryBatch:
    """A `RecordBatch` (aiokafka's `BatchBuilder`): full at `size` bytes of keys and values,
    except that an empty batch takes any one record, as aiokafka's does."""

    def __init__(self, size: int) -> None:
        self.records: list[tuple[bytes | None, bytes, tuple[tuple[str, bytes], ...]]] = []
        self._size = size
        self._used = 0
        self._closed = False

    def append(self, *, timestamp: int | None, key: bytes | None, value: bytes,
               headers: Sequence[tuple[str, bytes]]) -> int | None:
        length = len(key or b"") + len(value)
        if self._closed or (self.records and self._used + length > self._size):
            self._closed = True
            return None
        self.records.append((key, value, tuple(headers)))
        self._used += length
        return length

    def record_count(self) -> int:
        return len(self.records)

    def close(self) -> None:
        self._closed = True


class MemoryProducer:
    """A transactional producer (services/kafka/transactions.py `TransactionalProducer`)."""

    def __init__(self, kafka: MemoryKafka, transactional_id: str,
                 batch_size: int = 1024 * 1024) -> None:
        self.kafka = kafka
        self.transactional_id = transactional_id
        self.batch_size = batch_size
        self._epoch: int | None = None
        self._transaction: _Transaction | None = None
        self._stopped = False

    async def start(self) -> None:
        self._epoch = self.kafka._init_producer(self.transactional_id)

    async def stop(self) -> None:
        self._stopped = True

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        self._live()
        if self._transaction is not None:
            raise IllegalStateError("a transaction is already open")
        transaction = self._transaction = self.kafka._begin(self.transactional_id)
        try:
            yield
        except BaseException:
            self._transaction = None
            if transaction.state == "open" and not self._fenced():
                self.kafka._end(transaction, commit=False)
            raise
        self._transaction = None
        if self._stopped:
            await asyncio.get_running_loop().create_future()  # never completes, as in aiokafka
        self._live()
        self.kafka._end(transaction, commit=True)

    async def send(self, topic: str, value: bytes, key: bytes | None = None,
                   partition: int | None = None, timestamp_ms: int | None = None,
                   headers: Sequence[tuple[str, bytes]] | None = None,
                   ) -> asyncio.Future[RecordMetadata]:
        transaction = self._in_transaction()
        done: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        done.set_result(self.kafka._append(topic, value, key, partition, headers or (),
                                           transaction))
        return done

    async def partitions_for(self, topic: str) -> set[int]:
        numbers = {tp.partition for tp in self.kafka.partitions(topic)}
        if not numbers:
            raise UnknownTopicOrPartitionError(topic)
        return numbers

    def create_batch(self) -> MemoryBatch:
        return MemoryBatch(self.batch_size)

    async def send_batch(self, batch: RecordBatch, topic: str, *,
                         partition: int) -> asyncio.Future[RecordMetadata]:
        assert isinstance(batch, MemoryBatch), batch
        transaction = self._in_transaction()
        appended = [self.kafka._append(topic, value, key, partition, headers, transaction)
                    for key, value, headers in batch.records]
        done: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        done.set_result(appended[0])
        return done

    async def send_offsets_to_transaction(self, offsets: dict[TopicPartition, int],
                                          group_id: str) -> None:
        if not offsets:
            raise ValueError(offsets)  # as aiokafka refuses it
        self._in_transaction().offsets[group_id] = dict(offsets)

    def _in_transaction(self) -> _Transaction:
        self._live()
        if self._transaction is None:
            raise IllegalStateError("not in a transaction")
        return self._transaction

    def _live(self) -> None:
        if self._epoch is None or self._stopped:
            raise IllegalStateError("the producer is not started")
        self.kafka._check(self.transactional_id, self._epoch)

    def _fenced(self) -> bool:
        return self.kafka._epochs.get(self.transactional_id) != self._epoch


class MemoryConsumer:
    """A `read_committed` consumer with manual assignment, starting at its group's
    committed offsets (else the beginning)."""

    def __init__(self, kafka: MemoryKafka, group_id: str) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self._positions: dict[TopicPartition, int] = {}

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._positions = {tp: self.kafka.committed(self.group_id, tp) or 0
                           for tp in partitions}

    def assignment(self) -> set[TopicPartition]:
        return set(self._positions)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        if tp not in self._positions:
            raise IllegalStateError(f"{tp} is not assigned")
        self._positions[tp] = offset

    async def position(self, tp: TopicPartition) -> int:
        return self._positions[tp]

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.kafka.committed(self.group_id, tp)

    def highwater(self, tp: TopicPartition) -> int:
        assert tp in self._positions, "Partition is not assigned"
        return self.kafka.end_offset(tp)

    async def getmany(self, *partitions: TopicPartition, timeout_ms: int = 0,
                      max_records: int | None = None,
                      ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
        left = max_records
        for tp in partitions or sorted(self._positions):
            records = self.kafka.read_committed(tp, self._positions[tp], left)
            # Markers and aborted records are passed over, as a real fetch does.
            if left is not None and len(records) == left:
                self._positions[tp] = records[-1].offset + 1
            else:
                self._positions[tp] = max(self._positions[tp], self.kafka.stable_offset(tp))
            if records:
                batches[tp] = records
                left = None if left is None else left - len(records)
            if left == 0:
                break
        if not batches and timeout_ms:
            await asyncio.sleep(min(timeout_ms, 10) / 1000)
        return batches

    async def stop(self) -> None:
        self._positions = {}

