"""Balancing the books from the topics and the store, as an auditor would: nothing Silta
accepted may vanish, and the store must hold exactly what the timeline topic says.

- Ingest: every raw record became contract events (each carries the `silta-raw-ref` of
  the raw record it came from) or one dead letter, never neither, never both.
- Timeline: every contract event became an entry, a dead letter, a duplicate of an
  earlier event (same entry id), or a policy drop (the same policy the service runs says
  so); each entry on the timeline topic comes from an event.
- Store: the same entry ids as the timeline topic, with the same content.

Pure over records already read (`balance`), with the Kafka and store reading at the edge
(`verify`), so tests can balance books they built by hand as well as real topics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from contracts.events import ContractViolation, parse_event
from contracts.timeline import TimelineEntry
from services.deadletter import DeadLetter, from_deadletter
from services.ingest.processor import RAW_REF
from services.kafka.access import KafkaAccess
from services.kafka.diagnosis import KafkaAccessError, diagnose
from services.kafka.reading import read_topic
from services.kafka.topics import load_topics
from services.pseudonyms import Pseudonymiser
from services.timeline.minimise import entry_id
from services.timeline.policy import Policy
from services.timeline.settings import TimelineSettings
from services.timeline.store.base import TimelineStore, differing_fields

EXAMPLES = 5  # references listed per kind of problem; the counts are always complete


@dataclass
class Books:
    raw_records: int = 0
    raw_with_events: int = 0
    ingest_deadletters: int = 0
    events: int = 0
    entries: int = 0
    timeline_deadletters: int = 0
    duplicates: int = 0
    policy_drops: int = 0
    store_entries: int | None = None   # None: the store was not checked
    # Problems: references (topic/partition/offset or entry ids), never content.
    raw_unaccounted: list[str] = field(default_factory=list)
    raw_twice: list[str] = field(default_factory=list)
    events_unaccounted: list[str] = field(default_factory=list)
    entries_without_event: list[str] = field(default_factory=list)
    store_missing: list[str] = field(default_factory=list)
    store_extra: list[str] = field(default_factory=list)
    store_different: list[str] = field(default_factory=list)

    @property
    def problems(self) -> dict[str, list[str]]:
        return {name: refs for name, refs in asdict(self).items()
                if isinstance(refs, list) and refs}

    @property
    def balanced(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """The report a person reads: the two equations, then each problem."""
        out = [
            f"raw records {self.raw_records} = with events {self.raw_with_events} "
            f"+ ingest dead letters {self.ingest_deadletters} "
            f"+ unaccounted {len(self.raw_unaccounted)} - counted twice {len(self.raw_twice)}",
            f"events {self.events} = entries {self.entries} "
            f"+ timeline dead letters {self.timeline_deadletters} "
            f"+ duplicates {self.duplicates} + policy drops {self.policy_drops} "
            f"+ unaccounted {len(self.events_unaccounted)}",
        ]
        if self.store_entries is not None:
            out.append(f"store entries {self.store_entries}: missing {len(self.store_missing)}, "
                       f"extra {len(self.store_extra)}, different {len(self.store_different)}")
        for name, refs in self.problems.items():
            more = f" (and {len(refs) - EXAMPLES} more)" if len(refs) > EXAMPLES else ""
            out.append(f"PROBLEM {name.replace('_', ' ')}: {len(refs)}, e.g. "
                       f"{', '.join(refs[:EXAMPLES])}{more}")
        out.append("balanced" if self.balanced else "NOT balanced")
        return out

    def summary(self) -> dict[str, Any]:
        """Counts only (for --json and logs): problem lists become their lengths."""
        return {name: len(value) if isinstance(value, list) else value
                for name, value in asdict(self).items()} | {"balanced": self.balanced}


def _ref(topic: str, partition: int | str, offset: int | str) -> str:
    return f"{topic}/{partition}/{offset}"


def balance(*, raw: Iterable[Any], events: Sequence[Any], timeline: Iterable[TimelineEntry],
            deadletters: Iterable[Any], events_topic: str, pseudonymiser: Pseudonymiser,
            policy: Policy) -> Books:
    """The books for records read from the raw topics, the events and dead-letter topics
    (aiokafka ConsumerRecords or anything with the same attributes) and the entries of the
    timeline topic."""
    books = Books()
    letters: dict[str, DeadLetter] = {}
    for record in deadletters:
        letter = from_deadletter(record)
        c = letter.context
        letters[_ref(c.get("source-topic", ""), c.get("source-partition", ""),
                     c.get("source-offset", ""))] = letter
    _balance_ingest(books, raw, events, letters)
    _balance_timeline(books, events, {entry.entry_id for entry in timeline}, letters,
                      events_topic, pseudonymiser, policy)
    return books


def _balance_ingest(books: Books, raw: Iterable[Any], events: Sequence[Any],
                    letters: dict[str, DeadLetter]) -> None:
    """Each raw record became events or one dead letter."""
    raw_refs = [_ref(r.topic, r.partition, r.offset) for r in raw]
    produced = {dict(r.headers or ()).get(RAW_REF, b"").decode() for r in events}
    books.raw_records = len(raw_refs)
    for ref in raw_refs:
        has_events, dead = ref in produced, ref in letters
        books.raw_with_events += has_events
        books.ingest_deadletters += dead
        if has_events and dead:
            books.raw_twice.append(ref)
        elif not (has_events or dead):
            books.raw_unaccounted.append(ref)


def _balance_timeline(books: Books, events: Sequence[Any], published: set[str],
                      letters: dict[str, DeadLetter], events_topic: str,
                      pseudonymiser: Pseudonymiser, policy: Policy) -> None:
    """Each event became an entry, a dead letter, a duplicate or a policy drop."""
    books.entries = len(published)
    accounted: set[str] = set()
    books.events = len(events)
    for record in sorted(events, key=lambda r: (r.partition, r.offset)):
        ref = _ref(events_topic, record.partition, record.offset)
        if ref in letters:
            books.timeline_deadletters += 1
            continue
        try:
            event = parse_event(record.headers or (), record.value or b"")
        except ContractViolation:
            books.events_unaccounted.append(ref)  # the service dead-letters these
            continue
        this_id = entry_id(pseudonymiser, event.envelope.source, event.envelope.id)
        if this_id in accounted:
            books.duplicates += 1
        elif this_id in published:
            accounted.add(this_id)
        elif not (decision := policy.decide(event)).keep and not decision.withdraw:
            accounted.add(this_id)
            books.policy_drops += 1
        else:
            books.events_unaccounted.append(ref)
    books.entries_without_event = sorted(published - accounted)


async def check_store(books: Books, timeline: Iterable[TimelineEntry],
                      store: TimelineStore) -> None:
    """Add the store's differences from the timeline topic (the last record of an entry id
    on the topic is its content)."""
    on_topic = {entry.entry_id: entry for entry in timeline}
    seen: set[str] = set()
    position = -1
    while page := await store.entries_since(position, 1000):
        position = page[-1][0]
        for _, stored in page:
            seen.add(stored.entry_id)
            offered = on_topic.get(stored.entry_id)
            if offered is None:
                books.store_extra.append(stored.entry_id)
            elif differing_fields(stored, offered):
                books.store_different.append(stored.entry_id)
    books.store_entries = len(seen)
    books.store_missing = sorted(on_topic.keys() - seen)


async def verify(settings: TimelineSettings, store: TimelineStore | None = None) -> Books:
    """The books of the topics `settings` name (every source's raw topic, events,
    timeline, dead letters), and of `store` when given."""
    raw_topics = [source.topic for source in load_topics(settings).sources]
    # A topic the principal may not read would look empty, and the books would show every
    # record as lost: say which permission is missing instead.
    need = KafkaAccess(read=(*raw_topics, settings.events_topic, settings.timeline_topic,
                             settings.deadletter_topic))
    if (reason := await diagnose(settings.kafka, need)) is not None:
        raise KafkaAccessError(f"{reason} (verify needs a principal that reads them all, "
                               "like `auditor` in deploy/acls.yaml)")
    raw = [r for topic in raw_topics for r in await read_topic(settings.kafka, topic)]
    timeline = [TimelineEntry.model_validate_json(r.value)
                for r in await read_topic(settings.kafka, settings.timeline_topic)]
    books = balance(raw=raw, events=await read_topic(settings.kafka, settings.events_topic),
                    timeline=timeline,
                    deadletters=await read_topic(settings.kafka, settings.deadletter_topic),
                    events_topic=settings.events_topic,
                    pseudonymiser=settings.pseudonymiser(), policy=settings.policy())
    if store is not None:
        await check_store(books, timeline, store)
    return books
