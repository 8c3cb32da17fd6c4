"""What the gateway writes for a received message, and what Kafka's answer means for its
sender.

The record is the message's raw record (services/gateways/raw.py), or for a message
answered AE its dead letter; both go through the gateway's raw producer
(services/gateways/producer.py). Kafka not taking or not confirming a record is AR (send
it again); a record too large for the topic is AE.
"""

from __future__ import annotations

import datetime as dt

from adapters.registry import adapter_version
from services.deadletter import DeadLetterReason, to_deadletter
from services.errors import BrokerUnavailable
from services.gateways import raw
from services.gateways.errors import RecordTooLarge
from services.gateways.mllp.errors import MessageRejected, Refusal, StoreUnavailable
from services.gateways.mllp.header import BYTES_CHARSET
from services.gateways.producer import Delivery, failure
from services.gateways.raw import RawRecord
from services.kafka.topics import SourceSpec

CONTENT_TYPE = "application/hl7-v2"
STAGE = "mllp-gateway"  # silta-dl-stage of the dead letters the gateway writes


def raw_record(source: SourceSpec, payload: bytes, control_id: str,
               received_at: dt.datetime) -> RawRecord:
    """The record for one message: the bytes as received, keyed by MSH-10 (else, and when
    MSH-10 looks like an identity code, by the ce_id)."""
    return raw.raw_record(source, payload, CONTENT_TYPE, received_at, control_id,
                          key_encoding=BYTES_CHARSET)


def dead_letter(record: RawRecord, refusal: Refusal, topic: str) -> RawRecord:
    """The dead letter for a message answered AE: its raw record (so a redrive sends it to
    the raw topic) with the reason the sender was given."""
    reason = DeadLetterReason(refusal.code, refusal.location, refusal.reason, STAGE,
                              adapter_version("hl7v2"))
    letter = to_deadletter(record, reason, topic)
    return RawRecord(topic=topic, key=letter.key or record.ce_id.encode(), value=letter.value,
                     headers=list(letter.headers), ce_id=record.ce_id)


def not_stored(error: BrokerUnavailable | RecordTooLarge) -> Refusal:
    """The sender's answer for a record Kafka did not take: AR, or AE when it is too large."""
    if isinstance(error, RecordTooLarge):
        return MessageRejected("kafka.record.too-large", "", str(error))
    return StoreUnavailable("kafka.unavailable", "",
                            f"{error}; the message was not stored, send it again")


def delivery_refusal(delivery: Delivery) -> Refusal | None:
    """None when a finished send was confirmed by every in-sync replica, else why not."""
    error = failure(delivery)
    return None if error is None else not_stored(error)
