"""The Kafka ceiling for one hop: consume, produce the same bytes, commit the input offsets in
the transaction. Nothing is translated or checked; everything else is the pipeline's
(aiokafka, read_committed, one transactional producer per input partition with the
services' producer settings, batches of the services' size, partitions in parallel).

    python -m bench.passthrough BOOTSTRAP INPUT OUTPUT GROUP   (a child of bench.pipeline)

It runs until stopped (SIGTERM); bench/pipeline.py measures its CPU like a service's.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition

from services.kafka.clients import new_consumer, new_producer
from services.kafka.stage import DEFAULT_MAX_BATCH
from services.kafka.transactions import OutRecord, commit

BATCH = DEFAULT_MAX_BATCH  # the services' records per poll


class Passthrough(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, bootstrap: str, output: str, group: str) -> None:
        self.bootstrap, self.output, self.group = bootstrap, output, group
        self.producers: dict[TopicPartition, AIOKafkaProducer] = {}

    async def on_partitions_revoked(self, revoked: Any) -> None:
        for tp in revoked:
            if (producer := self.producers.pop(tp, None)) is not None:
                await producer.stop()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        print("assigned", flush=True)

    async def producer(self, tp: TopicPartition) -> AIOKafkaProducer:
        if (producer := self.producers.get(tp)) is None:
            producer = new_producer(
                self.bootstrap, transactional_id=f"{self.group}.{tp.topic}.{tp.partition}",
                transaction_timeout_ms=15000, linger_ms=5, max_batch_size=1024 * 1024,
                max_request_size=4 * 1024 * 1024)
            await producer.start()
            self.producers[tp] = producer
        return producer

    async def slice(self, tp: TopicPartition, records: list[Any]) -> None:
        """A slice through the services' own `commit` (services/kafka/transactions.py)."""
        producer = await self.producer(tp)
        out = [OutRecord(self.output, r.value, r.key, r.headers, tp.partition) for r in records]
        await commit(producer, out, {tp: records[-1].offset + 1}, self.group)


async def run(bootstrap: str, source: str, output: str, group: str) -> None:
    passthrough = Passthrough(bootstrap, output, group)
    consumer = new_consumer(bootstrap, group_id=group, enable_auto_commit=False,
                            isolation_level="read_committed", auto_offset_reset="earliest")
    consumer.subscribe([source], listener=passthrough)
    await consumer.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            await asyncio.gather(*(passthrough.slice(tp, records)
                                   for tp, records in batch.items() if records))
    finally:
        for producer in passthrough.producers.values():
            await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:5]))
