"""Per-partition timeline state: the last sequence number of each client and the entry
ids already published, rebuilt from the timeline topic itself.

The events topic and the timeline topic have the same partition count, and the timeline
service writes each entry to the partition its event came from. So everything about the
clients of events partition p is in timeline partition p, and the owner of p rebuilds its
state by reading that partition to its last committed offset (after its new transactional
producer has fenced the previous owner, so nothing is left in flight).

Memory grows with the number of entries (a set of ids); a compacted changelog or a
snapshot is the next step when a partition's history outgrows a process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from aiokafka import TopicPartition

from services.kafka.clients import Kafka, new_consumer


@dataclass
class PartitionState:
    last_sequence: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def stage(self) -> StagedChanges:
        return StagedChanges(self)


@dataclass
class StagedChanges:
    """Changes of one transaction, applied to the state only after it commits."""

    base: PartitionState
    sequences: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def is_known(self, entry_id: str) -> bool:
        return entry_id in self.seen or entry_id in self.base.seen

    def next_sequence(self, client: str) -> int:
        return self.sequences.get(client, self.base.last_sequence.get(client, 0)) + 1

    def take(self, client: str, sequence: int) -> None:
        self.sequences[client] = sequence

    def mark(self, entry_id: str) -> None:
        self.seen.add(entry_id)

    def apply(self) -> None:
        self.base.last_sequence.update(self.sequences)
        self.base.seen |= self.seen


async def rebuild(bootstrap: Kafka, topic: str, partition: int) -> PartitionState:
    """Read `topic`/`partition` from the start to its last stable offset."""
    consumer = new_consumer(bootstrap, enable_auto_commit=False,
                            isolation_level="read_committed", auto_offset_reset="earliest",
                            max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    state = PartitionState()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
            for record in batch.get(tp, ()):
                entry = orjson.loads(record.value)
                client, sequence = entry["client"], entry["sequence"]
                if sequence > state.last_sequence.get(client, 0):
                    state.last_sequence[client] = sequence
                state.seen.add(entry["entry_id"])
    finally:
        await consumer.stop()
    return state
