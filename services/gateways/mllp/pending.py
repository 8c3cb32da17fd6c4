"""One received message on its way to its ACK: kept (raw topic or dead letter), then settled
into the answer the sender gets.

Answers come after validation (validation.py): AA once the message translated and is in
the raw topic; AE once its bytes are on the dead-letter topic with the reason; AR when
Kafka took neither. With `mllp_ack_after=storage` only the header is checked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from services.errors import BrokerUnavailable
from services.gateways.errors import RecordTooLarge
from services.gateways.mllp.ack import AckCode
from services.gateways.mllp.errors import MessageRejected, Refusal, StoreUnavailable
from services.gateways.mllp.framing import Oversized
from services.gateways.mllp.header import ReceivedHeader, header_of_head
from services.gateways.mllp.records import dead_letter, delivery_refusal, not_stored, raw_record
from services.gateways.mllp.settings import MllpSettings
from services.gateways.mllp.validation import judge
from services.gateways.producer import Delivery, RawProducer
from services.kafka.topics import SourceSpec


@dataclass(slots=True)
class Pending:
    """A received message waiting for its ACK."""

    received_at: float  # loop time of its end block
    size: int
    header: ReceivedHeader | None
    rejection: MessageRejected | None = None  # what the sender must fix: AE once kept
    delivery: Delivery | None = None  # of the raw record, or of the rejection's dead letter
    failure: Refusal | None = None  # why it was not stored: AR (AE for a too-large record)
    ce_id: str = ""
    close_after: bool = False


def oversized(event: Oversized, settings: MllpSettings, now: float) -> Pending:
    """A frame over the size limit: AE, and the connection closes when it never ended."""
    limit = settings.mllp_max_frame_bytes
    if event.ended:
        reason = f"the message has {event.size} bytes; the limit is {limit}"
    else:
        reason = (f"the message is over the {limit}-byte limit and still had no end block "
                  f"after {event.size} bytes; closing the connection")
    rejection = MessageRejected("mllp.frame.too-large", "", reason, "207")
    # Not kept: the bytes past the head were never buffered.
    return Pending(now, event.size, header_of_head(event.head), rejection,
                   close_after=not event.ended)


async def accept(payload: bytes, source: SourceSpec, producer: RawProducer,
                 settings: MllpSettings, now: float) -> Pending:
    """Judge one message and hand it to Kafka: its raw record, or its dead letter when the
    sender must fix it. Kafka's confirmation is awaited later, by `settle`."""
    received = dt.datetime.now(dt.UTC)
    translate = settings.mllp_ack_after == "validation"
    judged = judge(payload, source, translate, received)
    header = judged.header
    item = Pending(now, len(payload), header, judged.rejection)
    record = raw_record(source, payload, header.control_id if header else "", received)
    item.ce_id = record.ce_id
    if item.rejection is not None:
        if not payload.strip():
            return item  # an empty frame: nothing to keep
        record = dead_letter(record, item.rejection, settings.deadletter_topic)
    try:
        async with asyncio.timeout(settings.mllp_send_timeout):
            item.delivery = await producer.send(record)
    except TimeoutError:
        item.failure = timed_out(settings)
    except (BrokerUnavailable, RecordTooLarge) as error:
        item.failure = not_stored(error)
    return item


async def settle(item: Pending, settings: MllpSettings) -> tuple[AckCode, Refusal | None]:
    """The answer for `item` once Kafka confirmed its record, refused it, or ran out of
    `mllp_send_timeout` (counted from the message's end block)."""
    delivery = item.delivery
    if item.failure is None and delivery is not None:
        if not delivery.done():
            remaining = item.received_at + settings.mllp_send_timeout
            remaining -= asyncio.get_running_loop().time()
            await asyncio.wait({delivery}, timeout=max(0.0, remaining))
        if delivery.done():
            item.failure = delivery_refusal(delivery)
        else:
            # Kafka may still store it later; the sender's retry then carries the same
            # ce_id, which the pipeline deduplicates.
            item.failure = timed_out(settings)
    elif item.failure is None and item.rejection is None:  # AA only for a stored record
        item.failure = StoreUnavailable("kafka.unavailable", "", "the message was not stored")
    refusal = item.failure or item.rejection
    if refusal is None:
        return AckCode.AA, None
    return AckCode(refusal.ack_code), refusal


def timed_out(settings: MllpSettings) -> StoreUnavailable:
    return StoreUnavailable(
        "kafka.timeout", "", f"Kafka did not confirm the record within "
        f"{settings.mllp_send_timeout:g} s; send the message again")
