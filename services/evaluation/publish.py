"""`silta.indicators.v1`: suppressed aggregates as CloudEvents (Kafka binary binding), so
another county's Silta can subscribe to them ("reciprocal exchange of knowledge" between
regions). Only IndicatorRecords go there: counts after the suppression step, never a
pseudonym, an entry id or a client's date.

The event id is a hash of the publisher, the record's indicator, period and group, and the
day counted up to, so publishing the same position twice gives the same ids (consumers
deduplicate on `ce_source` + `ce_id`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Sequence

from pydantic import ValidationError

from contracts.indicators import INDICATOR_RECORD_TYPE, IndicatorRecord
from contracts.systems import SILTA_CANONICAL
from services.errors import SourceError
from services.kafka.clients import Kafka, connection, new_consumer, new_producer
from services.kafka.reading import start_or_explain

TOPIC = "silta.indicators.v1"
SCHEMA = f"{SILTA_CANONICAL}/schemas/v1/{INDICATOR_RECORD_TYPE}.json"
Message = tuple[bytes, bytes, list[tuple[str, bytes]]]


def message(record: IndicatorRecord, publisher: str, counted_to: dt.date,
            now: dt.datetime) -> Message:
    """Key, value and CloudEvents headers of one record."""
    subject = f"{record.indicator}/{record.period or 'all'}/{record.group or 'all'}"
    event_id = hashlib.sha256(f"{publisher}\x1f{subject}\x1f{counted_to}".encode()).hexdigest()
    headers = [("ce_specversion", "1.0"), ("ce_id", event_id[:32]), ("ce_source", publisher),
               ("ce_type", INDICATOR_RECORD_TYPE), ("ce_time", now.isoformat()),
               ("ce_subject", subject), ("ce_dataschema", SCHEMA),
               ("content-type", "application/json")]
    return (subject.encode(), record.model_dump_json().encode(),
            [(k, v.encode()) for k, v in headers])


async def publish(bootstrap: Kafka, topic: str, messages: Sequence[Message]) -> int:
    producer = new_producer(bootstrap, enable_idempotence=True, linger_ms=5,
                            request_timeout_ms=15_000)
    await start_or_explain(producer, bootstrap)
    try:
        partitions = await producer.partitions_for(topic)
        if not partitions:
            raise SourceError(f"no topic {topic} at {connection(bootstrap).bootstrap}; run "
                              "`silta topics apply`")
        sent = [await producer.send(topic, value, key=key, headers=headers)
                for key, value, headers in messages]
        await asyncio.gather(*sent)
        return len(sent)
    finally:
        await producer.stop()


async def read_published(bootstrap: Kafka, topic: str) -> list[tuple[str, IndicatorRecord]]:
    """Every record on `topic` so far, with the publisher (`ce_source`) of each; a record
    that is not an IndicatorRecord is a SourceError naming its partition and offset."""
    from aiokafka import TopicPartition

    consumer = new_consumer(bootstrap, enable_auto_commit=False, request_timeout_ms=10_000)
    await start_or_explain(consumer, bootstrap)
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            raise SourceError(f"no topic {topic} at {connection(bootstrap).bootstrap}")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out = []
        for tp in tps:
            while await consumer.position(tp) < ends[tp]:
                for r in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                    source = dict(r.headers).get("ce_source", b"").decode(errors="replace")
                    try:
                        out.append((source, IndicatorRecord.model_validate_json(r.value)))
                    except ValidationError:
                        raise SourceError(f"{topic} partition {tp.partition} offset "
                                          f"{r.offset} is not an indicator record") from None
        return out
    finally:
        await consumer.stop()
