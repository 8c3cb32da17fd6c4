"""The transactional stage's guarantees, written once and run on Kafka in memory and on the
real broker (the `backend` fixture, conftest.py), the way FastStream runs one suite on its in-memory and
real brokers.

The stage runs the timeline processor as the timeline service does (services/timeline/
app.py): contract events in, timeline entries out, each events partition committed in its
own transaction. Faults are injected around the producer (tests/support/transactional.py)
so they act the same on both backends. Expected entries come from the pure pieces
(`preview`), never from the stage.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition

from contracts.events import ContractEvent
from contracts.timeline import TimelineEntry
from services.kafka.stage import TransactionalStage
from services.kafka.transactions import PartitionProducers
from services.observability.metrics import ServiceMetrics
from services.pseudonyms import Pseudonymiser
from services.simulate import SimConfig, generate, translate
from services.timeline.owners import MemoryOwners
from services.timeline.preview import preview
from services.timeline.processor import TimelineProcessor
from services.timeline.settings import TimelineSettings
from tests.support.transactional import Backend, Faults

PARTITIONS = 2
KEY = "s" * 32
PSEUDONYMISER = Pseudonymiser(KEY.encode(), "k1")


@dataclass(frozen=True)
class Traffic:
    events: list[ContractEvent]
    expected: frozenset[str]  # the entry ids the timeline must hold, once each


@functools.cache
def traffic() -> Traffic:
    messages = generate(SimConfig(clients=6, seed=5, malformed_share=0, duplicate_share=0))
    events = [event for message in messages for event in translate(message)]
    expected = preview(((m.fmt, m.source_id, m.payload) for m in messages), PSEUDONYMISER)
    return Traffic(events, expected.entry_ids)


@dataclass
class Batch:
    """What the stage reads of FastStream's batch message."""

    raw_message: tuple[Any, ...]
    consumer: Any


@dataclass
class Stalled:
    stage: TransactionalStage
    records: tuple[Any, ...]
    handling: asyncio.Future[None]
    release: asyncio.Event


@dataclass
class Timeline:
    """Events topic -> stage -> timeline topic, on one backend."""

    backend: Backend
    state_dir: Path
    events: str
    timeline: str
    deadletter: str
    group: str
    sent: Counter[TopicPartition] = field(default_factory=Counter)

    @classmethod
    async def create(cls, backend: Backend, state_dir: Path) -> Timeline:
        events = await backend.topic("events", PARTITIONS)
        return cls(backend, state_dir, events, await backend.topic("timeline", PARTITIONS),
                   await backend.topic("dl", 1), f"group-{events}")

    @property
    def tps(self) -> list[TopicPartition]:
        return [TopicPartition(self.events, n) for n in range(PARTITIONS)]

    async def send(self, events: list[ContractEvent]) -> None:
        """Keyed by pseudonym, so one client's events share a partition, in order."""
        records = []
        for event in events:
            key = PSEUDONYMISER.pseudonym(*event.client_identifier())
            partition = int(key, 16) % PARTITIONS
            records.append((partition, key.encode(), event.value(), event.headers()))
            self.sent[TopicPartition(self.events, partition)] += 1
        await self.backend.produce(self.events, records)

    def stage(self, faults: Faults | None = None) -> TransactionalStage:
        """A stage as one service instance runs it; every instance shares the
        transactional ids, so a new one fences the old."""
        metrics = ServiceMetrics("timeline")
        settings = TimelineSettings(pseudonym_key=KEY, timeline_topic=self.timeline,
                                    deadletter_topic=self.deadletter)
        processor = TimelineProcessor(
            settings, load_state=self.backend.state_loader(self.timeline, self.state_dir),
            owners=MemoryOwners(), sectors={}, metrics=metrics)
        new = (faults or Faults()).wrap(self.backend.producer)
        return TransactionalStage(service="timeline", group_id=self.group,
                                  producers=PartitionProducers(new, f"tx-{self.events}"),
                                  processor=processor, metrics=metrics)

    async def consumer(self, stage: TransactionalStage, tps: list[TopicPartition]) -> Any:
        consumer = await self.backend.consumer(self.group, tps)
        await stage.on_partitions_assigned(set(tps))
        return consumer

    async def pump(self, stage: TransactionalStage, consumer: Any,
                   *tps: TopicPartition, max_records: int = 10) -> tuple[Any, ...]:
        """One batch through the stage, as the FastStream subscriber hands it over."""
        batch = await consumer.getmany(*tps, timeout_ms=200, max_records=max_records)
        records = tuple(r for tp in sorted(batch) for r in batch[tp])
        if records:
            await stage.handle(Batch(records, consumer))
        return records

    async def run(self, stage: TransactionalStage, consumer: Any | None = None,
                  max_records: int = 10) -> None:
        """Until every sent event's offset is committed."""
        consumer = consumer or await self.consumer(stage, self.tps)
        async with asyncio.timeout(90):
            while [tp for tp in self.tps if (await consumer.committed(tp) or 0) < self.sent[tp]]:
                await self.pump(stage, consumer, max_records=max_records)

    async def stall_commit(self) -> Stalled:
        """A stage handling a batch of the first partition, its commit held open."""
        faults = Faults(hold=asyncio.Event())
        stage, first = self.stage(faults), self.tps[0]
        consumer = await self.consumer(stage, [first])
        records = tuple((await consumer.getmany(first, timeout_ms=1000, max_records=10))[first])
        handling = asyncio.ensure_future(stage.handle(Batch(records, consumer)))
        await asyncio.wait_for(faults.holding.wait(), 30)
        assert faults.hold is not None
        return Stalled(stage, records, handling, faults.hold)

    async def entries(self) -> list[TimelineEntry]:
        return [TimelineEntry.model_validate_json(r.value)
                for r in await self.backend.read(self.timeline)]


def assert_exactly_once(entries: list[TimelineEntry], expected: frozenset[str]) -> None:
    ids = Counter(entry.entry_id for entry in entries)
    assert not [i for i, n in ids.items() if n > 1], "an entry was published twice"
    assert set(ids) == expected, f"{len(expected - set(ids))} missing, {len(set(ids) - expected)} extra"
    numbers: dict[str, list[int]] = {}
    for entry in entries:  # in log order: a client's entries are on one partition
        numbers.setdefault(entry.client, []).append(entry.sequence)
    for client_numbers in numbers.values():
        assert client_numbers == list(range(1, len(client_numbers) + 1))


async def test_sequences_stay_gap_free_across_many_transactions(
        backend: Backend, tmp_path: Path) -> None:
    timeline = await Timeline.create(backend, tmp_path)
    await timeline.send(traffic().events)
    await timeline.run(timeline.stage(), max_records=9)
    assert_exactly_once(await timeline.entries(), traffic().expected)


async def test_a_redelivered_event_is_published_once(backend: Backend, tmp_path: Path) -> None:
    timeline, events = await Timeline.create(backend, tmp_path), traffic().events
    stage = timeline.stage()
    await timeline.send(events + events[:25])  # re-sent within the stream and its batches
    consumer = await timeline.consumer(stage, timeline.tps)
    await timeline.run(stage, consumer, max_records=40)
    await timeline.send(events[::3])  # and again after their transactions committed
    await timeline.run(stage, consumer)
    assert_exactly_once(await timeline.entries(), traffic().expected)


@pytest.mark.parametrize("fault, lands", [({"abort": 1}, False), ({"lose_ack": 1}, True)],
                         ids=["aborted", "acknowledgement-lost"])
async def test_a_failed_commit_rewinds_its_slice_and_the_retry_publishes_it_once(
        backend: Backend, tmp_path: Path, fault: dict[str, int], lands: bool) -> None:
    """Aborted, nothing of the slice landed. Acknowledgement lost, it landed: then the
    processor must forget what it staged and re-read what landed (its reset), or the retry
    publishes the slice a second time under new sequence numbers."""
    timeline = await Timeline.create(backend, tmp_path)
    await timeline.send(traffic().events)
    stage = timeline.stage(Faults(**fault))
    consumer = await timeline.consumer(stage, timeline.tps)
    first = timeline.tps[0]
    slice_ = await timeline.pump(stage, consumer, first)
    assert slice_ and await consumer.position(first) == slice_[0].offset  # rewound
    assert bool(await timeline.entries()) is lands
    assert (await backend.committed(timeline.group, first) is not None) is lands
    await timeline.run(stage, consumer)
    assert_exactly_once(await timeline.entries(), traffic().expected)


async def test_a_revoke_waits_for_the_commit_in_flight(backend: Backend, tmp_path: Path) -> None:
    timeline = await Timeline.create(backend, tmp_path)
    await timeline.send(traffic().events)
    stalled = await timeline.stall_commit()
    first = timeline.tps[0]
    revoking = asyncio.ensure_future(stalled.stage.on_partitions_revoked({first}))
    await asyncio.sleep(0.5)
    assert not revoking.done(), "the revoke did not wait for the commit in flight"
    stalled.release.set()
    # A producer stopped under its open transaction never finishes the commit.
    await asyncio.wait_for(asyncio.gather(stalled.handling, revoking), 30)
    assert await backend.committed(timeline.group, first) == stalled.records[-1].offset + 1
    assert len(await timeline.entries()) > 0
    # Assigned again, the partition continues from what committed.
    await timeline.run(stalled.stage, await timeline.consumer(stalled.stage, timeline.tps))
    assert_exactly_once(await timeline.entries(), traffic().expected)


async def test_a_fenced_owner_publishes_nothing_and_the_next_owner_everything(
        backend: Backend, tmp_path: Path) -> None:
    timeline = await Timeline.create(backend, tmp_path)
    await timeline.send(traffic().events)
    zombie = await timeline.stall_commit()
    # A rebalance gave the partitions to another instance; the first one has not noticed.
    await timeline.run(timeline.stage(), max_records=15)
    zombie.release.set()
    await asyncio.wait_for(zombie.handling, 30)  # its commit fails: fenced
    assert_exactly_once(await timeline.entries(), traffic().expected)
