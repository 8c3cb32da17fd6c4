"""Behind a FastStream batch subscriber (subscriber.py): each input partition's slice of a
batch is processed and committed in its own transaction.

The subscriber runs with `AckPolicy.MANUAL` and `read_committed`: FastStream never
commits offsets itself; the offsets go into the same transaction as the output records
(see transactions.py). When a partition's transaction fails, only that partition is
rewound to the first record of the slice, so it is processed again and nothing that
committed is repeated.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalStateError

from services.kafka.connection import KafkaConnection
from services.kafka.transactions import OutRecord, PartitionProducers, commit
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics


@dataclass
class Outcome:
    """What processing one partition's slice yields: records to publish, and state changes
    to apply only once the transaction has committed."""

    records: list[OutRecord] = field(default_factory=list)
    # Called with the offset after the last record written to each output partition.
    on_commit: Callable[[dict[TopicPartition, int]], None] | None = None


class Processor(Protocol):
    async def process(self, tp: TopicPartition, records: Sequence[ConsumerRecord[Any, Any]]) -> Outcome: ...

    async def assigned(self, tps: set[TopicPartition]) -> None: ...

    async def revoked(self, tps: set[TopicPartition]) -> None: ...

    async def reset(self, tp: TopicPartition) -> None:
        """A transaction on tp failed: forget what cannot be trusted (it may have committed)."""


# Records per poll, split into one slice (and transaction) per input partition. Each
# slice has fixed costs: the Kafka transaction's round trips, a commit of the record
# owners and of the partition's checkpoint. At 500 a poll over six busy partitions gave
# slices of ~80 events; at 2000, ~330, and the pipeline did 8 % more entries per
# CPU-second (bench.pipeline, median of 3 each). A poll returns what has arrived, so
# under light load slices stay small and latency is unchanged; a backlog is worked off in
# bigger transactions (a failed one re-runs at most this many records).
DEFAULT_MAX_BATCH = 2000


@dataclass(frozen=True)
class StageSettings:
    """What a transactional stage is configured with; each service's settings object
    gives its own as `.stage` (e.g. SILTA_INGEST_GROUP_ID becomes `group_id`)."""

    service: str
    group_id: str
    transactional_prefix: str
    max_batch: int


class TransactionalSettings(Protocol):
    @property
    def kafka(self) -> KafkaConnection: ...

    @property
    def stage(self) -> StageSettings: ...


def batch_records(message: Any) -> tuple[ConsumerRecord[Any, Any], ...]:
    """The aiokafka records of a FastStream Kafka message: a batch subscriber's are a
    tuple, a single subscriber's one record."""
    raw = message.raw_message
    return raw if isinstance(raw, tuple) else (raw,)


class TransactionalStage(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self,
        *,
        service: str,
        group_id: str,
        producers: PartitionProducers,
        processor: Processor,
        metrics: ServiceMetrics,
    ) -> None:
        self.service = service
        self.group_id = group_id
        self.producers = producers
        self.processor = processor
        self.metrics = metrics
        self.log = get_logger(service=service)
        self._failures = 0
        self._in_flight: dict[TopicPartition, asyncio.Future[None]] = {}

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # A slice may be mid-commit on a revoked partition: let its transaction finish (or
        # fail) first. Stopping its producer under it would leave the commit waiting forever.
        pending = [f for tp, f in self._in_flight.items() if tp in revoked]
        if pending:
            await asyncio.wait(pending, timeout=self.producers.transaction_timeout_ms / 1000)
        await self.processor.revoked(set(revoked))
        for tp in revoked:
            await self.producers.drop(tp)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.log.info("partitions assigned", partitions=sorted(f"{t.topic}/{t.partition}" for t in assigned))
        await self.processor.assigned(set(assigned))

    async def handle(self, message: Any) -> None:
        """The FastStream handler body: `message` is the batch's KafkaMessage."""
        records = batch_records(message)
        started = time.monotonic()
        slices: dict[TopicPartition, list[ConsumerRecord[Any, Any]]] = {}
        for record in records:
            slices.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        results = await asyncio.gather(
            *(self._commit_slice(tp, part, message.consumer) for tp, part in slices.items()),
            return_exceptions=True,
        )
        failed = [(tp, r) for tp, r in zip(slices, results, strict=True) if isinstance(r, BaseException)]
        self.metrics.batch_seconds.labels(self.service).observe(time.monotonic() - started)
        if not failed:
            self._failures = 0
            return
        self._failures += 1
        for tp, error in failed:
            self.metrics.aborted.labels(self.service).inc()
            self.log.warning("transaction aborted; partition rewound for retry",
                             topic=tp.topic, partition=tp.partition,
                             error=type(error).__name__, retry=self._failures)
            # If the partition was revoked meanwhile, its next owner starts from the commit.
            with contextlib.suppress(IllegalStateError, AssertionError):
                message.consumer.seek(tp, slices[tp][0].offset)
            await self.producers.drop(tp)
            await self.processor.reset(tp)
        # Back off so a broker outage does not become a hot loop.
        await asyncio.sleep(min(10.0, 0.25 * 2 ** min(self._failures, 6)))

    async def _commit_slice(self, tp: TopicPartition, records: list[ConsumerRecord[Any, Any]],
                            consumer: Any) -> None:
        done = self._in_flight[tp] = asyncio.get_running_loop().create_future()
        try:
            await self._process_and_commit(tp, records, consumer)
        finally:
            done.set_result(None)
            if self._in_flight.get(tp) is done:
                del self._in_flight[tp]

    async def _process_and_commit(self, tp: TopicPartition,
                                  records: list[ConsumerRecord[Any, Any]], consumer: Any) -> None:
        self.metrics.consumed.labels(self.service, tp.topic).inc(len(records))
        # The producer first: starting it fences a previous owner of the partition, so any
        # state the processor rebuilds from the output log is complete.
        self.log.debug("slice received", topic=tp.topic, partition=tp.partition,
                       first=records[0].offset, last=records[-1].offset)
        producer = await self.producers.get(tp)
        outcome = await self.processor.process(tp, records)
        written = await commit(producer, outcome.records, {tp: records[-1].offset + 1},
                               self.group_id, self.producers.partitioner)
        if outcome.on_commit is not None:
            outcome.on_commit(written)
        self.log.debug("slice committed", topic=tp.topic, partition=tp.partition,
                       first=records[0].offset, last=records[-1].offset,
                       produced=len(outcome.records))
        now_ms = time.time() * 1000
        latency = self.metrics.record_latency.labels(self.service)
        for record in records:
            latency.observe(max(0.0, (now_ms - record.timestamp) / 1000))
        for topic, produced in Counter(out.topic for out in outcome.records).items():
            self.metrics.produced.labels(self.service, topic).inc(produced)
        highwater = consumer.highwater(tp) if consumer is not None else None
        if highwater is not None:
            self.metrics.lag.labels(self.service, tp.topic, str(tp.partition)).set(
                max(0, highwater - records[-1].offset - 1))
