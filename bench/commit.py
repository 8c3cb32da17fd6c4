"""CPU of publishing one slice in a Kafka transaction, per record: services/kafka/
transactions.py `commit` (one batch per partition) against one `send()` per record (what
it did before, kept here as the baseline), in the same run on the same producer.

    .venv/bin/python -m bench.commit [--records 2000] [--rounds 30]   (bench/results/commit.json)

Slices like ingest's: keyed records of the simulator's mean event size to a 3-partition
topic, the input offset in the transaction. CPU is this process's (`time.process_time`),
the broker's left out; rounds alternate between the two ways so drift hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import NewTopic

from bench.running import broker, stamp
from bench.timing import environment, write
from services.kafka.clients import new_admin
from services.kafka.transactions import (
    OutRecord,
    PartitionProducers,
    TransactionalProducer,
    commit,
)


async def per_record(producer: TransactionalProducer, records: Sequence[OutRecord],
                     offsets: dict[TopicPartition, int], group_id: str) -> None:
    """The baseline: commit() as it was, one send() and one future per record."""
    async with producer.transaction():
        sent = [await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers),
                                    partition=r.partition) for r in records]
        await producer.send_offsets_to_transaction(offsets, group_id)
    await asyncio.gather(*sent)


async def measure(bootstrap: str, count: int, rounds: int) -> dict[str, Any]:
    source, out = f"bench.commit.in.{uuid.uuid4().hex[:8]}", f"bench.commit.out.{uuid.uuid4().hex[:8]}"
    admin = new_admin(bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(source, 1, 1), NewTopic(out, 3, 1)])
    finally:
        await admin.close()
    producers = PartitionProducers.on_kafka(bootstrap, "bench")
    tp = TopicPartition(source, 0)
    producer = await producers.get(tp)
    records = [OutRecord(out, b"x" * 900, b"client-%04d" % (n % 400), [("contract", b"v1")])
               for n in range(count)]
    cpu: dict[str, list[float]] = {"batched": [], "per_record": []}
    try:
        for round_ in range(rounds + 1):  # the first round warms up and is not counted
            for name in cpu:
                started = time.process_time()
                if name == "batched":
                    await commit(producer, records, {tp: round_ + 1}, "bench",
                                 producers.partitioner)
                else:
                    await per_record(producer, records, {tp: round_ + 1}, "bench")
                if round_:
                    cpu[name].append(time.process_time() - started)
    finally:
        await producers.close()
    us = {name: statistics.median(v) / count * 1e6 for name, v in cpu.items()}
    return {"records_per_commit": count, "rounds": rounds,
            "cpu_us_per_record_median": {name: round(v, 2) for name, v in us.items()},
            "batched_vs_per_record": round(us["batched"] / us["per_record"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with broker() as kafka:
        figures = asyncio.run(measure(kafka.bootstrap, args.records, args.rounds))
    result = {"benchmark": "kafka.commit", "measured_at": stamp(),
              "environment": {**environment(), "broker": kafka.note}, **figures}
    write("commit", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
