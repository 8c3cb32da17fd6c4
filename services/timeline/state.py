"""Per-partition timeline state: the last sequence number of each client and the entry
ids already published.

The events topic and the timeline topic have the same partition count, and the timeline
service writes each entry to the partition its event came from. So everything about the
clients of events partition p is in timeline partition p: that partition is the state's
changelog. The owner of p loads its state by reading the partition to its last committed
offset (after its new transactional producer has fenced the previous owner, so nothing is
left in flight), starting from a local checkpoint when it has one (checkpoint.py), so a
restart reads only what was published since.

Changes of a transaction are staged and applied only once it commits; absorbing a
published entry twice changes nothing, so a checkpoint that is behind the topic is simply
caught up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from aiokafka import TopicPartition

from services.kafka.clients import Kafka, new_consumer


class StateUnavailable(Exception):
    """The partition's state cannot be read (its checkpoint broke while in use): the slice
    fails, and the retry loads the state afresh from the topic."""


class CheckpointAhead(ValueError):
    """A checkpoint's offset is past the end of the topic: it describes another history."""


class PartitionState(Protocol):
    def known(self, entry_ids: Collection[str]) -> set[str]:
        """Those of `entry_ids` already published."""

    def last_sequences(self, clients: Collection[str]) -> dict[str, int]:
        """The last sequence number of those of `clients` that have one."""

    def apply(self, sequences: dict[str, int], seen: set[str],
              next_offset: int | None = None) -> None:
        """Take in a committed transaction's changes (and, when known, the timeline offset
        after its last entry)."""

    def stage(self, entry_ids: Collection[str], clients: Collection[str]) -> StagedChanges:
        """A transaction's changes, for a slice of events with these entry ids and clients:
        what the state knows of them is read once, not once per event."""
        return StagedChanges(self, self.known(entry_ids), self.last_sequences(clients))

    def close(self) -> None:
        """Release what the state holds open (a checkpoint file)."""
        return None


def absorbed(values: Iterable[bytes]) -> tuple[dict[str, int], set[str]]:
    """The changes published TimelineEntry records (JSON) stand for, in any order."""
    sequences: dict[str, int] = {}
    seen: set[str] = set()
    for value in values:
        entry = orjson.loads(value)
        client, sequence = entry["client"], entry["sequence"]
        if sequence > sequences.get(client, 0):
            sequences[client] = sequence
        seen.add(entry["entry_id"])
    return sequences, seen


@dataclass
class MemoryState(PartitionState):
    """State held in memory: grows with history; for tests and small timelines."""

    sequences: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    next_offset: int | None = None

    def known(self, entry_ids: Collection[str]) -> set[str]:
        return {i for i in entry_ids if i in self.seen}

    def last_sequences(self, clients: Collection[str]) -> dict[str, int]:
        return {c: self.sequences[c] for c in clients if c in self.sequences}

    def apply(self, sequences: dict[str, int], seen: set[str],
              next_offset: int | None = None) -> None:
        for client, sequence in sequences.items():
            if sequence > self.sequences.get(client, 0):
                self.sequences[client] = sequence
        self.seen |= seen
        if next_offset is not None:
            self.next_offset = max(next_offset, self.next_offset or 0)


@dataclass
class StagedChanges:
    """Changes of one transaction, applied to the state only after it commits.

    `published` and `last` are what the state held for the slice's entry ids and clients
    when the transaction began; an id or client outside the slice is not asked about."""

    base: PartitionState
    published: set[str]
    last: dict[str, int]
    sequences: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    def is_known(self, entry_id: str) -> bool:
        return entry_id in self.seen or entry_id in self.published

    def next_sequence(self, client: str) -> int:
        return self.sequences.get(client, self.last.get(client, 0)) + 1

    def take(self, client: str, sequence: int) -> None:
        self.sequences[client] = sequence

    def mark(self, entry_id: str) -> None:
        self.seen.add(entry_id)

    def apply(self, next_offset: int | None = None) -> None:
        self.base.apply(self.sequences, self.seen, next_offset)


async def catch_up(bootstrap: Kafka, topic: str, partition: int, state: PartitionState,
                   start: int | None) -> tuple[int, int]:
    """Absorb `topic`/`partition` from `start` (None: the beginning) to its last stable
    offset into `state`; returns (that offset, records read)."""
    consumer = new_consumer(bootstrap, enable_auto_commit=False,
                            isolation_level="read_committed", auto_offset_reset="earliest",
                            max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    read = 0
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        if start is None:
            await consumer.seek_to_beginning(tp)
        elif start > end:
            raise CheckpointAhead(f"checkpoint at offset {start}, but {topic}/{partition} "
                                  f"ends at {end}")
        else:
            consumer.seek(tp, start)
        while await consumer.position(tp) < end:
            batch = (await consumer.getmany(tp, timeout_ms=1000, max_records=5000)).get(tp, [])
            sequences, seen = absorbed(r.value for r in batch)
            state.apply(sequences, seen, batch[-1].offset + 1 if batch else None)
            read += len(batch)
    finally:
        await consumer.stop()
    state.apply({}, set(), end)
    return end, read


async def rebuild(bootstrap: Kafka, topic: str, partition: int) -> PartitionState:
    """The whole partition read into memory (no checkpoint)."""
    state = MemoryState()
    await catch_up(bootstrap, topic, partition, state, None)
    return state
