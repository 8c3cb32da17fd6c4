"""FastStream's KafkaBroker as the services use it: built from a `KafkaConnection`, and a
start that fails says which setting or permission is wrong (aiokafka only says that it
could not bootstrap)."""

from __future__ import annotations

from typing import Any

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from services.kafka.clients import broker_security
from services.kafka.connection import KafkaConnection
from services.kafka.diagnosis import raise_for


class SiltaKafkaBroker(KafkaBroker):
    def __init__(self, kafka: KafkaConnection, **options: Any) -> None:
        super().__init__(kafka.bootstrap, security=broker_security(kafka), **options)
        self._kafka = kafka

    async def start(self) -> None:
        try:
            await super().start()
        except (KafkaError, OSError) as exc:
            await raise_for(exc, self._kafka)
