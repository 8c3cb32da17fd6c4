"""The timeline processor's guarantees without a broker: the partition state comes from
what "landed" (a list standing in for the committed timeline partition), so sequencing,
dedup, a retry after an aborted transaction and a commit whose acknowledgement was lost
can be driven step by step. The processor inside the transactional stage, in memory and on
the real broker: tests/services/kafka/test_stage.py; the whole pipeline:
tests/services/test_pipeline.py and test_pipeline_integrity.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from adapters.base import SourceInfo
from adapters.registry import translator
from contracts.events import ContractEvent
from contracts.timeline import TimelineEntry
from services.kafka.stage import Outcome
from services.observability.metrics import ServiceMetrics
from services.timeline.owners import MemoryOwners
from services.timeline.processor import TimelineProcessor
from services.timeline.settings import TimelineSettings
from services.timeline.state import MemoryState, StateUnavailable, absorbed
from tests.services.test_pipeline import HETU
from tests.support.messages import person_messages

TP = TopicPartition("silta.events.v1", 0)
TIMELINE, DEADLETTER = "silta.timeline.v1", "silta.deadletter.v1"
METRICS = ServiceMetrics("timeline-test")
SETTINGS = TimelineSettings(pseudonym_key="k" * 32, timeline_topic=TIMELINE,
                            deadletter_topic=DEADLETTER)


class LandedTimeline:
    """The committed timeline partition: state is rebuilt from it, like `rebuild` does."""

    def __init__(self) -> None:
        self.values: list[bytes] = []
        self.loads = 0

    async def load(self, partition: int) -> MemoryState:
        self.loads += 1
        state = MemoryState()
        state.apply(*absorbed(self.values), len(self.values))
        return state

    def commit(self, outcome: Outcome) -> None:
        """The transaction lands and its acknowledgement arrives."""
        self.land(outcome)
        if outcome.on_commit is not None:
            outcome.on_commit({TopicPartition(TIMELINE, 0): len(self.values)})

    def land(self, outcome: Outcome) -> None:
        self.values += [r.value for r in outcome.records if r.topic == TIMELINE]


def events() -> list[ContractEvent]:
    now = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    out: list[ContractEvent] = []
    for message in person_messages(HETU):
        kind = "social" if message.fmt == "social" else "health"
        out += translator(message.fmt)(message.payload, SourceInfo(f"demo-{message.fmt}", kind, now))
    return out


def records(batch: list[ContractEvent], first_offset: int = 0) -> list[ConsumerRecord[bytes, bytes]]:
    return [ConsumerRecord(TP.topic, TP.partition, first_offset + i, 0, 0, None, e.value(), None,
                           0, len(e.value()), e.headers()) for i, e in enumerate(batch)]


def processor(landed: LandedTimeline) -> TimelineProcessor:
    return TimelineProcessor(SETTINGS, load_state=landed.load, owners=MemoryOwners(),
                             sectors={}, metrics=METRICS)


def entries(outcome: Outcome) -> list[TimelineEntry]:
    return [TimelineEntry.model_validate_json(r.value) for r in outcome.records
            if r.topic == TIMELINE]


def sequences(values: list[bytes]) -> dict[str, list[int]]:
    by_client: dict[str, list[int]] = defaultdict(list)
    for value in values:
        entry = TimelineEntry.model_validate_json(value)
        by_client[entry.client].append(entry.sequence)
    return by_client


async def test_sequences_continue_across_transactions_without_gaps() -> None:
    landed, batch = LandedTimeline(), events()
    p = processor(landed)
    half = len(batch) // 2
    landed.commit(await p.process(TP, records(batch[:half])))
    landed.commit(await p.process(TP, records(batch[half:], half)))
    assert landed.values, "the golden person yields entries"
    for numbers in sequences(landed.values).values():
        assert numbers == list(range(1, len(numbers) + 1))
    assert landed.loads == 1  # state stayed in memory between committed transactions


async def test_a_redelivered_event_is_published_once() -> None:
    landed, batch = LandedTimeline(), events()
    p = processor(landed)
    first = await p.process(TP, records(batch + batch[:3]))  # repeats inside one batch
    landed.commit(first)
    assert len({e.entry_id for e in entries(first)}) == len(entries(first))
    again = await p.process(TP, records(batch, len(batch)))  # and in a later transaction
    assert entries(again) == []


async def test_after_an_aborted_transaction_the_retry_publishes_the_same_entries() -> None:
    landed, batch = LandedTimeline(), events()
    p = processor(landed)
    aborted = await p.process(TP, records(batch))  # never lands, on_commit never runs
    await p.reset(TP)
    retried = await p.process(TP, records(batch))
    assert entries(retried) == entries(aborted)
    assert landed.loads == 2  # the retry re-read what landed instead of trusting memory


async def test_a_commit_whose_acknowledgement_was_lost_is_not_published_twice() -> None:
    landed, batch = LandedTimeline(), events()
    p = processor(landed)
    landed.land(await p.process(TP, records(batch)))  # landed, but the commit call failed
    await p.reset(TP)
    assert entries(await p.process(TP, records(batch))) == []


async def test_a_partition_revoked_and_assigned_again_starts_from_what_landed() -> None:
    landed, batch = LandedTimeline(), events()
    p = processor(landed)
    landed.commit(await p.process(TP, records(batch[:2])))
    await p.revoked({TP})
    await p.assigned({TP})
    landed.commit(await p.process(TP, records(batch[2:], 2)))
    for numbers in sequences(landed.values).values():
        assert numbers == list(range(1, len(numbers) + 1))
    assert landed.loads == 2


async def test_unreadable_state_fails_the_slice_instead_of_dead_lettering_it() -> None:
    class Broken(MemoryState):
        def known(self, entry_ids: Collection[str]) -> set[str]:
            raise StateUnavailable("checkpoint failed while in use")

    async def load(partition: int) -> MemoryState:
        return Broken()

    p = processor(LandedTimeline())
    p.load_state = load
    with pytest.raises(StateUnavailable):
        await p.process(TP, records(events()))
