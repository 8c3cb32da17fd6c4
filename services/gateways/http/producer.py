"""The gateway's one Kafka producer (acks=all, idempotent), shared by all requests.

It connects in the background and keeps retrying, so the gateway starts, answers
/health and says why it is not /ready while Kafka is away, and answers ingest requests
with 503 instead of hanging. "Durably in Kafka" means the send future resolved with
acks=all; only then does a request get 202. Concurrent requests share the producer's
batches (linger_ms), so there is no per-request round trip of its own.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.structs import RecordMetadata

from services.errors import ConfigError
from services.gateways.http.errors import BrokerUnavailable, RecordTooLarge
from services.gateways.http.settings import HttpIngestSettings
from services.gateways.raw import RawRecord
from services.kafka.access import KafkaAccess, client_access_problem
from services.kafka.clients import new_producer
from services.kafka.diagnosis import diagnose
from services.logging import get_logger

_HEADROOM = 64 * 1024  # key, headers and batch framing on top of the largest body


class RawProducer:
    def __init__(self, settings: HttpIngestSettings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._connector: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        self._log = get_logger(service="http-ingest")

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def _new(self) -> AIOKafkaProducer:
        s = self._settings
        return new_producer(
            s.kafka, client_id="silta-http-ingest", acks="all",
            enable_idempotence=True, linger_ms=s.http_linger_ms,
            request_timeout_ms=int(s.http_kafka_timeout_s * 1000),
            max_request_size=s.http_max_body_bytes + _HEADROOM,
        )

    async def start(self, wait: float = 10.0) -> None:
        """Start connecting; wait (at most `wait` seconds) for the first attempt, so a
        healthy broker is used from the first request on."""
        self._connector = asyncio.create_task(self._connect(), name="silta-http-kafka-connect")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), wait)

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            producer: AIOKafkaProducer | None = None
            try:
                producer = self._new()  # ConfigError: a Kafka TLS file not there (yet)
                await producer.start()
            except (ConfigError, KafkaError, OSError) as exc:
                self._first_attempt.set()
                if producer is not None:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                # A ConfigError names the setting and file, never a secret; aiokafka's own
                # errors say little, /ready has the diagnosed cause.
                error = str(exc) if isinstance(exc, ConfigError) else type(exc).__name__
                self._log.warning("kafka not reachable; retrying", retry_in=delay, error=error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._producer = producer
            self._first_attempt.set()
            self._log.info("kafka producer connected")
            return

    async def stop(self) -> None:
        if self._connector is not None and not self._connector.done():
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()  # flushes what is in flight

    async def send(self, record: RawRecord) -> RecordMetadata:
        """Send and wait for acks=all; BrokerUnavailable when Kafka does not confirm in time."""
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable("the gateway is not connected to Kafka")
        try:
            async with asyncio.timeout(self._settings.http_kafka_timeout_s):
                delivery = await producer.send(record.topic, record.value, key=record.key,
                                               headers=record.headers)
                # Shielded: a timeout here must not cancel aiokafka's own future; the record
                # may still land, and a re-send gets the same ce_id.
                return await asyncio.shield(delivery)
        except MessageSizeTooLargeError as exc:
            raise RecordTooLarge(str(exc)) from exc
        except TimeoutError as exc:
            raise BrokerUnavailable("Kafka did not acknowledge the record in time") from exc
        except KafkaError as exc:
            raise BrokerUnavailable(f"Kafka refused the record: {type(exc).__name__}") from exc

    async def readiness(self, topics: list[str]) -> str | None:
        """None when connected and allowed to write `topics`, else why not."""
        kafka = self._settings.kafka
        producer = self._producer
        if producer is None:
            # aiokafka only says it could not bootstrap; a connection of our own shows why
            # (wrong password, CA, no broker) in terms of the settings, never a secret.
            reason = await diagnose(kafka, timeout=3.0)
            return f"kafka: not connected: {reason or 'connecting'}"
        reason = await client_access_problem(producer.client, kafka,
                                             KafkaAccess(write=tuple(topics)))
        return None if reason is None else f"kafka: {reason}"
