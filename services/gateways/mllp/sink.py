"""Writing received messages to the source's raw topic (records as services/gateways/raw.py
builds them), and the dead letters of messages answered AE.

One idempotent producer (`acks=all`) serves every connection. It is started lazily and
again after a failure, so the gateway listens (and answers AR) while Kafka is away instead
of refusing connections; a failed attempt is not retried for `mllp_kafka_retry_interval`
seconds, so a burst of messages during an outage is answered at once instead of each
waiting for its own connection attempt. Connection attempts run in a task of their own,
shared by every message waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)

from adapters.registry import adapter_version
from services.deadletter import DeadLetterReason, to_deadletter
from services.errors import ConfigError
from services.gateways import raw
from services.gateways.mllp.errors import MessageRejected, Refusal, StoreUnavailable
from services.gateways.mllp.header import BYTES_CHARSET
from services.gateways.mllp.settings import MllpSettings
from services.gateways.raw import RawRecord
from services.kafka.access import KafkaAccess, client_access_problem
from services.kafka.clients import new_producer
from services.kafka.diagnosis import diagnose
from services.kafka.topics import SourceSpec

CONTENT_TYPE = "application/hl7-v2"
STAGE = "mllp-gateway"  # silta-dl-stage of the dead letters the gateway writes
_HEADROOM = 64 * 1024  # record headers and batch overhead on top of the largest frame
_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError)

Delivery = asyncio.Future[Any]


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


def _unavailable(what: str) -> StoreUnavailable:
    return StoreUnavailable("kafka.unavailable", "",
                            f"{what}; the message was not stored, send it again")


def delivery_refusal(delivery: Delivery) -> Refusal | None:
    """None when a finished send was confirmed by every in-sync replica, else why not."""
    if delivery.cancelled():
        return _unavailable("the send was cancelled")
    error = delivery.exception()
    if error is None:
        return None
    if isinstance(error, _TOO_LARGE):
        return MessageRejected("kafka.record.too-large", "",
                               "the broker refuses a record this large for the raw topic")
    return _unavailable(f"Kafka did not confirm the record ({type(error).__name__})")


class RawSink:
    def __init__(self, settings: MllpSettings, source: SourceSpec, log: Any) -> None:
        self.source = source
        self.topic = source.topic
        self._settings = settings
        self._log = log
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task[AIOKafkaProducer | None] | None = None
        self._failed_at: float | None = None
        self._last_error = "not connected yet"

    async def connect(self) -> bool:
        """Try to reach Kafka now (respecting the retry interval); True when connected."""
        with contextlib.suppress(StoreUnavailable):
            await self._ensure()
        return self._producer is not None

    async def send(self, record: RawRecord) -> Delivery:
        """Hand the record to the producer; the returned future settles on the broker's answer."""
        producer = await self._ensure()
        try:
            return await producer.send(record.topic, record.value, key=record.key,
                                       headers=record.headers)
        except _TOO_LARGE:
            raise MessageRejected("kafka.record.too-large", "",
                                  "the record is larger than the producer may send") from None
        except KafkaError as exc:
            raise _unavailable(f"Kafka did not take the record ({type(exc).__name__})") from exc

    async def check(self, *topics: str) -> str | None:
        """Readiness: None when the broker answers and lets the gateway write the raw topic
        (and `topics`), else why not."""
        kafka = self._settings.kafka
        reason: str | None
        try:
            producer = await self._ensure()
        except StoreUnavailable:
            # The producer's error is only its type; a connection of our own names the
            # setting that is wrong (never a secret).
            reason = await diagnose(kafka, timeout=3.0) or self._last_error
        else:
            reason = await client_access_problem(producer.client, kafka,
                                                 KafkaAccess(write=(self.topic, *topics)))
        return None if reason is None else f"kafka: {reason}"

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await self._flush_or_drop(producer)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 10)

    async def _flush_or_drop(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(producer.flush(), self._settings.mllp_send_timeout)
        except TimeoutError:
            # Every record still pending was answered AR (or not at all): its sender will
            # send it again. aiokafka's stop() would wait for them forever while the broker
            # is away (batches only expire when a partition has no leader), so fail them.
            self._log.warning("records still unconfirmed at shutdown were dropped")
            accumulator = getattr(producer, "_message_accumulator", None)
            if accumulator is not None:
                accumulator.fail_all(KafkaTimeoutError("the gateway is stopping"))

    async def _ensure(self) -> AIOKafkaProducer:
        if self._producer is not None:
            return self._producer
        loop = asyncio.get_running_loop()
        retry = self._settings.mllp_kafka_retry_interval
        if self._connecting is None:
            if self._failed_at is not None and loop.time() - self._failed_at < retry:
                raise _unavailable(f"Kafka is unavailable ({self._last_error})")
            self._connecting = asyncio.create_task(self._connect())
        # Shielded: a message that gives up waiting must not cancel the shared attempt.
        producer = await asyncio.shield(self._connecting)
        if producer is None:
            raise _unavailable(f"Kafka is unavailable ({self._last_error})")
        return producer

    async def _connect(self) -> AIOKafkaProducer | None:
        settings = self._settings
        producer: AIOKafkaProducer | None = None
        try:
            producer = new_producer(  # ConfigError: a Kafka TLS file not there (yet)
                settings.kafka, client_id="silta-mllp-gateway",
                acks="all", enable_idempotence=True, linger_ms=settings.mllp_linger_ms,
                request_timeout_ms=max(1000, int(settings.mllp_send_timeout * 1000)),
                max_request_size=settings.mllp_max_frame_bytes + _HEADROOM,
            )
            await producer.start()
        except asyncio.CancelledError:
            await _stopped(producer)
            raise
        except (ConfigError, KafkaError, OSError) as exc:
            await _stopped(producer)
            self._failed_at = asyncio.get_running_loop().time()
            # A ConfigError names the setting and file, never a secret.
            self._last_error = (str(exc) if isinstance(exc, ConfigError)
                                else f"{type(exc).__name__} at the configured bootstrap")
            self._log.warning("kafka connection failed", error=self._last_error,
                              retry_in_s=settings.mllp_kafka_retry_interval)
            return None
        finally:
            self._connecting = None
        self._producer = producer
        self._failed_at = None
        self._log.info("kafka connected", topic=self.topic)
        return producer


async def _stopped(producer: AIOKafkaProducer | None) -> None:
    """Stop what an attempt that failed had started."""
    if producer is not None:
        with contextlib.suppress(Exception):
            await producer.stop()
