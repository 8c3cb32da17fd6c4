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

from aiokafka import ConsumerRebalanceListener, TopicPartition

from services.kafka.clients import new_consumer
from services.kafka.stage import DEFAULT_MAX_BATCH
from services.kafka.transactions import OutRecord, PartitionProducers, commit

BATCH = DEFAULT_MAX_BATCH  # the services' records per poll


class Passthrough(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, bootstrap: str, output: str, group: str) -> None:
        self.output, self.group = output, group
        # The services' own producers: one transactional producer per input partition.
        self.producers = PartitionProducers.on_kafka(bootstrap, group)

    async def on_partitions_revoked(self, revoked: Any) -> None:
        for tp in revoked:
            await self.producers.drop(tp)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        print("assigned", flush=True)

    async def slice(self, tp: TopicPartition, records: list[Any]) -> None:
        """A slice through the services' own `commit` (services/kafka/transactions.py)."""
        producer = await self.producers.get(tp)
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
        await passthrough.producers.close()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:5]))
