"""FastStream's KafkaBroker as the services use it: built from a `KafkaConnection`, and
started only once Kafka lets the service do its work.

Before it starts consuming, the broker asks Kafka whether its principal may do what the
service does (services/kafka/access.py): read its subscribers' topics in their consumer
groups, write its publishers' topics, use its transactional ids. A refusal, like a failed
connection (no broker, TLS, SASL) or a TLS file that is missing or cannot be loaded, does
not stop the process: `not_ready()` says which setting or permission is at fault (never a
secret) for /ready, and the start is tried again after a pause that doubles up to
`MAX_RETRY_DELAY` seconds, so a fix (an ACL applied, a password rotated, a key file
mounted) is picked up without a restart and a broker is not hammered meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from services.errors import ConfigError
from services.kafka.access import KafkaAccess
from services.kafka.clients import broker_security
from services.kafka.connection import KafkaConnection, tls_client_context
from services.kafka.diagnosis import diagnose, explain
from services.logging import get_logger

FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 10.0


class SiltaKafkaBroker(KafkaBroker):
    def __init__(self, kafka: KafkaConnection, transactional_ids: Iterable[str] = (),
                 **options: Any) -> None:
        # Loaded by each attempt to start, so a CA, certificate or key mounted late (a
        # Secret, a cert-manager certificate) is a reason not to be ready, not a crash.
        tls = tls_client_context() if kafka.uses_tls else None
        super().__init__(kafka.bootstrap, security=broker_security(kafka, tls), **options)
        self._kafka = kafka
        self._tls = tls
        self._transactional_ids = tuple(transactional_ids)
        self._refused: str | None = "not started yet"  # None once running
        self._retrying: asyncio.Task[None] | None = None
        self._log = get_logger(client=options.get("client_id", "silta"))

    def uses_transactional_ids(self, *ids: str) -> None:
        """Transactional ids this service's producers use: checked at start like topics."""
        self._transactional_ids += ids

    def access(self) -> KafkaAccess:
        """What this service needs of Kafka, from its subscribers and publishers."""
        subscribers: list[Any] = self.subscribers  # Kafka's: they have topics and groups
        publishers: list[Any] = self.publishers
        read = {name for sub in subscribers for name in sub.topic_names_for_subscribe}
        groups = {sub.group_id for sub in subscribers if sub.group_id}
        write = {pub.topic for pub in publishers}
        return KafkaAccess(tuple(sorted(read)), tuple(sorted(write)), tuple(sorted(groups)),
                           self._transactional_ids)

    async def start(self) -> None:
        if (reason := await self._attempt()) is not None:
            self._retrying = asyncio.create_task(self._keep_trying(reason),
                                                 name="silta-kafka-start")

    async def not_ready(self) -> str | None:
        """Readiness: None when started and the broker answers, else why not."""
        if self._refused is not None:
            return f"kafka: {self._refused}"
        return None if await self.ping(timeout=3.0) else "kafka: the broker does not answer"

    async def stop(self, *exc: Any) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retrying
        await super().stop(*exc)

    async def _attempt(self) -> str | None:
        reason = await diagnose(self._kafka, self.access())
        if reason is None:
            try:
                if self._tls is not None:
                    self._kafka.load_tls(self._tls)
                await super().start()
            except ConfigError as exc:  # a file gone since diagnose read it
                reason = str(exc)
            except (KafkaError, OSError) as exc:
                with contextlib.suppress(Exception):
                    await super().stop()  # what did start is stopped before the next attempt
                reason = await diagnose(self._kafka) or explain(exc, self._kafka)
        self._refused = reason
        return reason

    async def _keep_trying(self, reason: str) -> None:
        delay = FIRST_RETRY_DELAY
        while True:
            self._log.error("kafka refuses this service; not ready, retrying", reason=reason,
                            retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)
            if (next_reason := await self._attempt()) is None:
                self._log.info("kafka accepts this service now; started")
                return
            reason = next_reason
