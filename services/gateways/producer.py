"""The raw producer both gateways write through: one idempotent aiokafka producer
(`acks=all`) per gateway, shared by every request and connection.

- Connecting happens in the background. `start()` waits (at most `wait` seconds) for the
  first attempt, so a broker that is there is used from the first message on. A failed
  attempt (no broker, a refused login, a Kafka TLS file not there yet: a ConfigError that
  names the setting) is tried again after a pause that doubles from 0.5 s up to the
  gateway's `longest_pause`, so the broker is not hammered and a fix is picked up without
  a restart. Once connected, aiokafka reconnects to the brokers by itself.
- While it is not connected, `send` fails at once with BrokerUnavailable: nobody waits
  for a connection, so a burst of messages during an outage is answered at once.
- `send` returns the delivery future, which settles on the broker's answer: the MLLP
  gateway pipelines on it, the HTTP gateway awaits it (`confirmed`). A record Kafka did
  not take is BrokerUnavailable (send it again) or RecordTooLarge (sending it again will
  not help); each gateway turns those into its protocol's answer.
- `stop()` flushes for `timeout` seconds, then fails what is still pending: aiokafka's
  own stop() would wait for those forever while the broker is away (batches only expire
  when a partition has no leader). A record failed there was answered "not stored" (or
  not at all), so its sender sends it again, with the same ce_id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)
from aiokafka.structs import RecordMetadata

from services.errors import BrokerUnavailable, ConfigError
from services.gateways.errors import RecordTooLarge
from services.gateways.raw import RawRecord
from services.kafka.access import KafkaAccess, client_access_problem
from services.kafka.clients import new_producer
from services.kafka.connection import KafkaConnection
from services.kafka.diagnosis import diagnose

FIRST_PAUSE = 0.5  # seconds before the second attempt; the pause doubles from there
_HEADROOM = 64 * 1024  # key, headers and batch framing on top of the largest value
_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError)

Delivery = asyncio.Future[RecordMetadata]


@dataclass(frozen=True, kw_only=True)
class ProducerOptions:
    """What a gateway's settings decide about its producer (`settings.raw_producer`)."""

    kafka: KafkaConnection
    client_id: str
    max_record_bytes: int  # the largest value a record carries
    timeout: float  # seconds for a produce request; also the flush at stop
    linger_ms: int = 0
    longest_pause: float = 10.0  # seconds between connection attempts, at most


class RawProducer:
    def __init__(self, options: ProducerOptions, log: Any) -> None:
        self._options = options
        self._log = log
        self._producer: AIOKafkaProducer | None = None
        self._connector: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        self._last_error = "not connected yet"

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def start(self, wait: float = 10.0) -> None:
        """Start connecting; wait at most `wait` seconds for the first attempt's outcome."""
        self._first_attempt.clear()
        self._connector = asyncio.create_task(
            self._keep_connecting(), name=f"{self._options.client_id}-connect")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), wait)

    async def send(self, record: RawRecord) -> Delivery:
        """Hand the record to the producer; the returned future settles on Kafka's answer
        (`failure` or `confirmed` read it)."""
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable(f"Kafka is unavailable ({self._last_error})")
        try:
            delivery = await producer.send(record.topic, record.value, key=record.key,
                                           headers=record.headers)
        except _TOO_LARGE:
            raise RecordTooLarge("the record is larger than the producer may send") from None
        except KafkaError as exc:
            raise BrokerUnavailable(
                f"Kafka did not take the record ({type(exc).__name__})") from exc
        # A sender that gave up waiting leaves its delivery unread: read it here, so asyncio
        # never logs "exception was never retrieved".
        delivery.add_done_callback(_retrieve)
        return delivery

    async def readiness(self, topics: Iterable[str]) -> str | None:
        """None when connected and allowed to write `topics`, else why not, naming the
        setting or the missing ACL (never a secret)."""
        kafka = self._options.kafka
        producer = self._producer
        if producer is None:
            # aiokafka only says it could not bootstrap; a connection of our own shows why.
            why = await diagnose(kafka, timeout=3.0) or self._last_error
            return f"kafka: not connected: {why}"
        reason = await client_access_problem(producer.client, kafka,
                                             KafkaAccess(write=tuple(topics)))
        return None if reason is None else f"kafka: {reason}"

    async def stop(self) -> None:
        if self._connector is not None:
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
            self._connector = None
        producer, self._producer = self._producer, None
        if producer is not None:
            await self._flush_or_fail(producer)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 10)

    async def _keep_connecting(self) -> None:
        longest = self._options.longest_pause
        pause = min(FIRST_PAUSE, longest)
        while (producer := await self._attempt()) is None:
            self._first_attempt.set()
            self._log.warning("kafka connection failed; retrying", error=self._last_error,
                              retry_in_s=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)
        self._producer = producer
        self._first_attempt.set()
        self._log.info("kafka connected", client_id=self._options.client_id)

    async def _attempt(self) -> AIOKafkaProducer | None:
        """A started producer, or None (and `_last_error` says why)."""
        options = self._options
        producer: AIOKafkaProducer | None = None
        try:
            producer = new_producer(  # ConfigError: a Kafka TLS file not there (yet)
                options.kafka, client_id=options.client_id, acks="all",
                enable_idempotence=True, linger_ms=options.linger_ms,
                request_timeout_ms=max(1000, int(options.timeout * 1000)),
                max_request_size=options.max_record_bytes + _HEADROOM)
            await producer.start()
        except asyncio.CancelledError:
            await _stopped(producer)
            raise
        except (ConfigError, KafkaError, OSError) as exc:
            await _stopped(producer)
            # A ConfigError names the setting and file, never a secret; aiokafka's own
            # errors say little (readiness has the diagnosed cause).
            self._last_error = (str(exc) if isinstance(exc, ConfigError)
                                else f"{type(exc).__name__} at the configured bootstrap")
            return None
        return producer

    async def _flush_or_fail(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(producer.flush(), self._options.timeout)
        except TimeoutError:
            self._log.warning("records still unconfirmed at shutdown were failed")
            accumulator = getattr(producer, "_message_accumulator", None)
            if accumulator is not None:
                accumulator.fail_all(KafkaTimeoutError("the gateway is stopping"))


def failure(delivery: Delivery) -> BrokerUnavailable | RecordTooLarge | None:
    """None when a finished send was confirmed by every in-sync replica, else why not."""
    if delivery.cancelled():
        return BrokerUnavailable("the send was cancelled")
    error = delivery.exception()
    if error is None:
        return None
    if isinstance(error, _TOO_LARGE):
        return RecordTooLarge("the broker refuses a record this large for the raw topic")
    return BrokerUnavailable(f"Kafka did not confirm the record ({type(error).__name__})")


async def confirmed(delivery: Delivery) -> RecordMetadata:
    """Where Kafka stored the record; BrokerUnavailable or RecordTooLarge when it did not.
    Cancelling the wait (a timeout) leaves the delivery alone: the record may still land,
    and a re-send gets the same ce_id."""
    await asyncio.wait({delivery})
    if (error := failure(delivery)) is not None:
        raise error
    return delivery.result()


def _retrieve(delivery: Delivery) -> None:
    if not delivery.cancelled():
        delivery.exception()


async def _stopped(producer: AIOKafkaProducer | None) -> None:
    """Stop what an attempt that failed had started."""
    if producer is not None:
        with contextlib.suppress(Exception):
            await producer.stop()
