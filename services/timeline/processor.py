"""Timeline processing of one events-partition slice.

Each event is checked against its contract, recognised as a duplicate (deterministic
entry id already published), dropped by the policy (logged and counted, never silently),
or turned into a TimelineEntry with the client's next sequence number and published to
the same partition number of the timeline topic.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from contracts.codes import CodeProblem
from contracts.events import ContractEvent, ContractViolation, parse_event, read_trusted
from contracts.hetu import redact_identity_codes
from contracts.timeline import TIMELINE_ENTRY_TYPE
from services.deadletter import DeadLetterReason, to_deadletter
from services.kafka.stage import Outcome
from services.kafka.transactions import OutRecord
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics
from services.timeline.minimise import (
    EntryKeys,
    check_codes,
    entry_data,
    entry_json,
    keys_of,
    sector_of,
)
from services.timeline.owners import Claim, RecordOwners
from services.timeline.settings import TimelineSettings
from services.timeline.state import PartitionState, StagedChanges, StateUnavailable

TIMELINE_SOURCE = "urn:silta:timeline"
# The state of a partition as the timeline topic holds it (checkpoint.py `load` on Kafka;
# tests pass their own to run the processor without a broker).
StateLoader = Callable[[int], Awaitable[PartitionState]]


@dataclass(frozen=True)
class Publish:
    """An entry, or the retraction a disclosure ban on a correction asks for."""

    record: OutRecord


@dataclass(frozen=True)
class Duplicate:
    """Its entry id is already on the timeline (or earlier in this transaction)."""


@dataclass(frozen=True)
class Dropped:
    reason: str  # the policy's


@dataclass(frozen=True)
class DeadLetter:
    """The event may not be applied; its bytes go to the dead-letter topic."""

    code: str
    location: str
    message: str


Verdict = Publish | Duplicate | Dropped | DeadLetter


@dataclass(frozen=True)
class _Read:
    """An event as read from its record: the event and its keys, or why it is not one."""

    record: ConsumerRecord[Any, Any]
    event: ContractEvent | None = None
    keys: EntryKeys | None = None
    violation: ContractViolation | None = None
    claims: tuple[Claim, ...] = ()  # the record, the event and what it corrects: its client's


class TimelineProcessor:
    def __init__(self, settings: TimelineSettings, *, load_state: StateLoader,
                 owners: RecordOwners, sectors: dict[str, str], metrics: ServiceMetrics) -> None:
        self.load_state = load_state
        self.owners = owners
        self.pseudonymiser = settings.pseudonymiser()
        self.policy = settings.policy()
        self.sectors = sectors  # ce_source -> sector of the source system
        self.timeline_topic = settings.timeline_topic
        self.deadletter_topic = settings.deadletter_topic
        self.metrics = metrics
        # Ingest validated every event against this contract before writing it, and only
        # ingest writes the events topic (README: "What is checked where").
        self._parse = read_trusted if settings.timeline_trust_writers else parse_event
        self.log = get_logger(service="timeline")
        self._states: dict[int, PartitionState] = {}
        self._loading: dict[int, asyncio.Task[PartitionState]] = {}

    @property
    def ready(self) -> bool:
        return not self._loading

    async def assigned(self, tps: set[TopicPartition]) -> None:
        for tp in tps:
            self._forget(tp.partition)

    async def revoked(self, tps: set[TopicPartition]) -> None:
        for tp in tps:
            self._forget(tp.partition)

    async def reset(self, tp: TopicPartition) -> None:
        # A failed commit may still have landed; the log, not memory, says what did.
        self._forget(tp.partition)

    def _forget(self, partition: int) -> None:
        if (state := self._states.pop(partition, None)) is not None:
            state.close()

    async def _state(self, partition: int) -> PartitionState:
        state = self._states.get(partition)
        if state is None:
            task = self._loading.get(partition)
            if task is None:
                task = asyncio.ensure_future(self.load_state(partition))
                self._loading[partition] = task
            try:
                state = await task
            finally:
                self._loading.pop(partition, None)
            self._states[partition] = state
            self.log.info("partition state ready", partition=partition)
        return state

    async def process(self, tp: TopicPartition, records: Sequence[ConsumerRecord[Any, Any]]) -> Outcome:
        # The transactional producer for tp is started before this runs (it fenced any
        # previous owner), so the rebuilt state includes everything committed.
        state = await self._state(tp.partition)
        reads = [self._read(record) for record in records]
        claims = [claim for read in reads for claim in read.claims]
        # Ownership is decided across partitions (a reused record id can belong to a client
        # on any partition), so it lives in the shared store, not in partition state.
        owners = await self.owners.claim(claims) if claims else {}
        keys = [read.keys for read in reads if read.keys is not None]
        staged = state.stage([k.entry_id for k in keys], [k.client for k in keys])
        out: list[OutRecord] = []
        drops: list[str] = []
        duplicates = 0
        for read in reads:
            match self._verdict(read, owners, staged, tp.partition):
                case Publish(record):
                    out.append(record)
                case Duplicate():
                    duplicates += 1
                case Dropped(reason):
                    drops.append(reason)
                case DeadLetter(code, location, message):
                    out.append(self._dead(read.record, code, location, message))

        def on_commit(written: dict[TopicPartition, int]) -> None:
            staged.apply(written.get(TopicPartition(self.timeline_topic, tp.partition)))
            self.metrics.duplicates.labels("timeline").inc(duplicates)
            for reason, count in Counter(drops).items():
                self.metrics.policy_dropped.labels("timeline", reason).inc(count)
                self.log.info("policy drops", partition=tp.partition, reason=reason,
                              events=count)

        return Outcome(out, on_commit)

    def _read(self, record: ConsumerRecord[Any, Any]) -> _Read:
        try:
            event = self._parse(record.headers or (), record.value or b"")
        except ContractViolation as violation:
            return _Read(record, violation=violation)
        keys = keys_of(event, self.pseudonymiser)
        owned = (keys.source_ref, keys.entry_id, *((keys.corrects,) if keys.corrects else ()))
        return _Read(record, event, keys, claims=tuple(Claim(key, keys.client) for key in owned))

    def _verdict(self, read: _Read, owners: dict[str, str], staged: StagedChanges,
                 partition: int) -> Verdict:
        """What becomes of one event: the timeline's decision, all of it here."""
        if read.violation is not None:
            error = read.violation
            return DeadLetter("contract.violation", error.pointer,
                              f"expected {error.expected}, found {error.found}")
        assert read.event is not None and read.keys is not None
        if (conflict := _conflict(read, owners)) is not None:
            self.metrics.record_conflicts.labels("timeline").inc()
            return DeadLetter("record.client-conflict", "/headers/ce_subject", conflict)
        try:
            return self._entry(read.event, read.keys, staged, partition)
        except CodeProblem as problem:
            return DeadLetter(problem.code, problem.location, problem.rule)
        except StateUnavailable:
            raise  # not the event's fault: the slice is retried on state loaded afresh
        except Exception as error:  # a bug here must not block the partition forever
            record = read.record
            self.log.exception("timeline processing failed", topic=record.topic,
                               partition=record.partition, offset=record.offset,
                               error=type(error).__name__)
            return DeadLetter("internal.error", "",
                              f"{type(error).__name__} while building the entry")

    def _entry(self, event: ContractEvent, keys: EntryKeys, staged: StagedChanges,
               partition: int) -> Publish | Duplicate | Dropped:
        if staged.is_known(keys.entry_id):
            return Duplicate()
        decision = self.policy.decide(event)
        if not decision.publishes:
            staged.mark(keys.entry_id)
            # Per event only at DEBUG (every Patient event is one); `process` logs each
            # slice's drops at INFO once it commits, and the metrics count every one.
            self.log.debug("policy drop", entry_id=keys.entry_id,
                           event_type=event.envelope.type, reason=decision.reason)
            return Dropped(str(decision.reason))
        sequence = staged.next_sequence(keys.client)
        entry = entry_data(event, keys, self.pseudonymiser, sequence=sequence,
                           sector=sector_of(event, self.sectors), coarsen=decision.coarsen,
                           withdraw=decision.withdraw)
        if decision.withdraw:  # a ban arrived with a correction: take the record back
            self.log.info("policy withdraw", entry_id=keys.entry_id, reason=decision.reason)
        check_codes(entry)  # raises CodeProblem before the entry takes a sequence number
        record = timeline_record(entry, self.timeline_topic, partition)
        # Only a fully built entry consumes its sequence number and id.
        staged.take(keys.client, sequence)
        staged.mark(keys.entry_id)
        return Publish(record)

    def _dead(self, record: ConsumerRecord[Any, Any], code: str, location: str,
              message: str) -> OutRecord:
        self.log.warning("dead-lettered", topic=record.topic, partition=record.partition,
                         offset=record.offset, code=code, location=location)
        self.metrics.deadlettered.labels("timeline", record.topic, code).inc()
        reason = DeadLetterReason(code, location, message, "timeline")
        return to_deadletter(record, reason, self.deadletter_topic)


def _conflict(read: _Read, owners: dict[str, str]) -> str | None:
    """Why the event may not be applied, when another client owns one of its claims."""
    if all(owners.get(claim.key, claim.client) == claim.client for claim in read.claims):
        return None
    assert read.event is not None
    envelope = read.event.envelope
    record = redact_identity_codes(envelope.subject or envelope.id)
    return f"record {record} of {envelope.source} already belongs to another client; not applied"


def timeline_record(entry: dict[str, Any], topic: str, partition: int) -> OutRecord:
    """An entry (its `entry_data`) as the timeline topic's record: keyed by the client,
    with CloudEvents headers naming it."""
    headers = [("ce_id", entry["entry_id"].encode()), ("ce_source", _TIMELINE_SOURCE),
               ("ce_type", _ENTRY_TYPE), ("ce_specversion", b"1.0"),
               ("ce_time", entry["recorded_at"].isoformat().encode()),
               ("content-type", b"application/json"), ("ce_subject", entry["client"].encode())]
    return OutRecord(topic, entry_json(entry), entry["client"].encode(), headers, partition)


_TIMELINE_SOURCE = TIMELINE_SOURCE.encode()
_ENTRY_TYPE = TIMELINE_ENTRY_TYPE.encode()
