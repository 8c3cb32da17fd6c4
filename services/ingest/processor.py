"""Ingest processing of one partition slice: each raw record becomes contract events
keyed by the client's pseudonym, or one dead letter holding the original bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from adapters.base import SourceInfo, Translator
from adapters.errors import TranslationError
from adapters.registry import adapter_version, translator
from contracts.catalogue import Sector
from services.deadletter import DeadLetterReason, to_deadletter
from services.ingest.settings import IngestSettings
from services.kafka.stage import Outcome
from services.kafka.topics import TopicsFile
from services.kafka.transactions import OutRecord
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics

RAW_REF = "silta-raw-ref"  # header on each contract event: "<raw topic>/<partition>/<offset>"


@dataclass(frozen=True)
class Route:
    source_id: str
    sector: Sector
    translate: Translator
    adapter_version: str


def routes_for(spec: TopicsFile, only: Sequence[str] | None = None) -> dict[str, Route]:
    """Raw topic -> how to translate it, for the chosen sources (default: all)."""
    chosen = [spec.source(s) for s in only] if only else spec.sources
    return {
        source.topic: Route(source.id, source.sector, translator(source.format),
                            adapter_version(source.format))
        for source in chosen
    }


class IngestProcessor:
    def __init__(self, settings: IngestSettings, routes: dict[str, Route],
                 metrics: ServiceMetrics) -> None:
        self.routes = routes
        self.pseudonymiser = settings.pseudonymiser()
        self.events_topic = settings.events_topic
        self.deadletter_topic = settings.deadletter_topic
        self.metrics = metrics
        self.log = get_logger(service="ingest")

    async def assigned(self, tps: set[TopicPartition]) -> None:
        pass

    async def revoked(self, tps: set[TopicPartition]) -> None:
        pass

    async def reset(self, tp: TopicPartition) -> None:
        pass  # stateless: a retried slice translates to the same events

    async def process(self, tp: TopicPartition, records: Sequence[ConsumerRecord[Any, Any]]) -> Outcome:
        route = self.routes[tp.topic]
        out: list[OutRecord] = []
        for record in records:
            out += self.translate(route, record)
        dead = [r for r in out if r.topic == self.deadletter_topic]

        def count(written: dict[TopicPartition, int]) -> None:
            for letter in dead:
                code = dict(letter.headers).get("silta-dl-code", b"").decode()
                self.metrics.deadlettered.labels("ingest", tp.topic, code).inc()

        return Outcome(out, count if dead else None)

    def translate(self, route: Route, record: ConsumerRecord[Any, Any]) -> list[OutRecord]:
        source = SourceInfo(route.source_id, route.sector,
                            dt.datetime.fromtimestamp(record.timestamp / 1000, dt.UTC))
        try:
            events = route.translate(record.value or b"", source)
        except TranslationError as error:
            return [self._dead(route, record, error.code, error.location, error.message)]
        except Exception as error:  # an adapter bug must not stop the stream; keep the bytes
            self.log.exception("adapter failed unexpectedly", topic=record.topic,
                               partition=record.partition, offset=record.offset,
                               error=type(error).__name__)
            return [self._dead(route, record, "adapter.crash", "",
                               f"the adapter raised {type(error).__name__}; this is a Silta bug")]
        # Which raw record each event came from, so the books can be balanced from the
        # topics alone (tests/services/test_accounting.py, `silta timeline verify`).
        raw_ref = (RAW_REF, f"{record.topic}/{record.partition}/{record.offset}".encode())
        out = []
        for event in events:
            system, value = event.client_identifier()
            key = self.pseudonymiser.pseudonym(system, value).encode()
            out.append(OutRecord(self.events_topic, event.value(), key,
                                 [*event.headers(), raw_ref]))
        return out

    def _dead(self, route: Route, record: ConsumerRecord[Any, Any], code: str, location: str,
              message: str) -> OutRecord:
        self.log.info("dead-lettered", topic=record.topic, partition=record.partition,
                      offset=record.offset, source=route.source_id, code=code, location=location)
        reason = DeadLetterReason(code, location, message, "ingest", route.adapter_version)
        return to_deadletter(record, reason, self.deadletter_topic)
