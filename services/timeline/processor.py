"""Timeline processing of one events-partition slice.

Each event is checked against its contract, recognised as a duplicate (deterministic
entry id already published), dropped by the policy (logged and counted, never silently),
or turned into a TimelineEntry with the client's next sequence number and published to
the same partition number of the timeline topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from contracts.codes import CodeProblem
from contracts.envelope import Envelope
from contracts.events import ContractEvent, ContractViolation, parse_event
from contracts.hetu import redact_identity_codes
from contracts.timeline import TIMELINE_ENTRY_TYPE, TimelineEntry
from services.deadletter import DeadLetterReason, to_deadletter
from services.kafka.stage import Outcome
from services.kafka.transactions import OutRecord
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics
from services.timeline.minimise import check_codes, entry_id, record_ref, sector_of, to_entry
from services.timeline.owners import Claim, RecordOwners
from services.timeline.settings import TimelineSettings
from services.timeline.state import PartitionState, StagedChanges, StateUnavailable

TIMELINE_SOURCE = "urn:silta:timeline"
# The state of a partition as the timeline topic holds it (checkpoint.py `load` on Kafka;
# tests pass their own to run the processor without a broker).
StateLoader = Callable[[int], Awaitable[PartitionState]]


@dataclass(frozen=True)
class Publish:
    record: OutRecord


@dataclass(frozen=True)
class Duplicate:
    """Its entry id is already on the timeline (or earlier in this transaction)."""


@dataclass(frozen=True)
class Dropped:
    reason: str  # the policy's


Verdict = Publish | Duplicate | Dropped


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
        staged = state.stage()
        out: list[OutRecord] = []
        drops: list[str] = []
        duplicates = 0
        parsed: list[tuple[ConsumerRecord[Any, Any], ContractEvent | ContractViolation,
                           list[Claim]]] = []
        for record in records:
            try:
                contract_event = parse_event(record.headers or (), record.value or b"")
                parsed.append((record, contract_event, self._claims(contract_event)))
            except ContractViolation as error:
                parsed.append((record, error, []))
        claims = [claim for _, _, event_claims in parsed for claim in event_claims]
        # Ownership is decided across partitions (a reused record id can belong to a client
        # on any partition), so it lives in the shared store, not in partition state.
        owners = await self.owners.claim(claims) if claims else {}
        for record, event, event_claims in parsed:
            if isinstance(event, ContractViolation):
                out.append(self._dead(record, "contract.violation", event.pointer,
                                      f"expected {event.expected}, found {event.found}"))
                continue
            if (conflict := _conflict(event, event_claims, owners)) is not None:
                self.metrics.record_conflicts.labels("timeline").inc()
                out.append(self._dead(record, "record.client-conflict", "/headers/ce_subject",
                                      conflict))
                continue
            try:
                result = self._entry(event, staged, tp.partition)
            except CodeProblem as problem:
                out.append(self._dead(record, problem.code, problem.location, problem.rule))
                continue
            except StateUnavailable:
                raise  # not the event's fault: the slice is retried on state loaded afresh
            except Exception as error:  # a bug here must not block the partition forever
                self.log.exception("timeline processing failed", topic=record.topic,
                                   partition=record.partition, offset=record.offset,
                                   error=type(error).__name__)
                out.append(self._dead(record, "internal.error", "",
                                      f"{type(error).__name__} while building the entry"))
                continue
            match result:
                case Publish(record):
                    out.append(record)
                case Duplicate():
                    duplicates += 1
                case Dropped(reason):
                    drops.append(reason)

        def on_commit(written: dict[TopicPartition, int]) -> None:
            staged.apply(written.get(TopicPartition(self.timeline_topic, tp.partition)))
            self.metrics.duplicates.labels("timeline").inc(duplicates)
            for reason in drops:
                self.metrics.policy_dropped.labels("timeline", reason).inc()

        return Outcome(out, on_commit)

    def _claims(self, event: ContractEvent) -> list[Claim]:
        """The record, the event and the event it corrects all belong to this client."""
        envelope = event.envelope
        client = self.pseudonymiser.pseudonym(*event.client_identifier())
        keys = [record_ref(self.pseudonymiser, envelope),
                entry_id(self.pseudonymiser, envelope.source, envelope.id)]
        if envelope.corrects:
            keys.append(entry_id(self.pseudonymiser, envelope.source, envelope.corrects))
        return [Claim(key, client) for key in keys]

    def _entry(self, event: ContractEvent, staged: StagedChanges, partition: int) -> Verdict:
        envelope = event.envelope
        this_id = entry_id(self.pseudonymiser, envelope.source, envelope.id)
        if staged.is_known(this_id):
            return Duplicate()
        decision = self.policy.decide(event)
        if not decision.publishes:
            staged.mark(this_id)
            self.log.info("policy drop", entry_id=this_id, event_type=envelope.type,
                          reason=decision.reason)
            return Dropped(str(decision.reason))
        system, value = event.client_identifier()
        client = self.pseudonymiser.pseudonym(system, value)
        sequence = staged.next_sequence(client)
        entry = to_entry(
            event, self.pseudonymiser, sector=sector_of(event, self.sectors),
            sequence=sequence, coarsen=decision.coarsen,
            status="retracted" if decision.withdraw else None, this_id=this_id, client=client,
        )
        if decision.withdraw:  # a ban arrived with a correction: take the record back
            entry = _withdrawn(entry)
            self.log.info("policy withdraw", entry_id=this_id, reason=decision.reason)
        check_codes(entry)  # raises CodeProblem before the entry takes a sequence number
        # Only a fully built entry consumes its sequence number and id.
        staged.take(client, sequence)
        staged.mark(this_id)
        return Publish(timeline_record(entry, self.timeline_topic, partition))

    def _dead(self, record: ConsumerRecord[Any, Any], code: str, location: str,
              message: str) -> OutRecord:
        self.log.warning("dead-lettered", topic=record.topic, partition=record.partition,
                         offset=record.offset, code=code, location=location)
        self.metrics.deadlettered.labels("timeline", record.topic, code).inc()
        reason = DeadLetterReason(code, location, message, "timeline")
        return to_deadletter(record, reason, self.deadletter_topic)


def _conflict(event: ContractEvent, claims: list[Claim], owners: dict[str, str]) -> str | None:
    """Why the event may not be applied, when another client owns one of its claims."""
    if all(owners.get(claim.key, claim.client) == claim.client for claim in claims):
        return None
    envelope = event.envelope
    record = redact_identity_codes(envelope.subject or envelope.id)
    return f"record {record} of {envelope.source} already belongs to another client; not applied"


def _withdrawn(entry: TimelineEntry) -> TimelineEntry:
    """A retraction carries nothing of the banned content, only what it retracts."""
    return entry.model_copy(update={"codes": [], "value": None, "organisation": None,
                                    "episode": None, "service_task": None})


def timeline_record(entry: TimelineEntry, topic: str, partition: int) -> OutRecord:
    envelope = Envelope(id=entry.entry_id, source=TIMELINE_SOURCE, type=TIMELINE_ENTRY_TYPE,
                        time=entry.recorded_at, subject=entry.client,
                        datacontenttype="application/json")
    return OutRecord(topic, entry.model_dump_json(exclude_none=True).encode(),
                     entry.client.encode(), envelope.to_headers(), partition)
