"""The timeline service as a FastStream app: `build_app(settings)`.

Two subscribers:
- events -> timeline: pseudonymise, minimise, apply the policy, sequence, publish; one
  Kafka transaction per events partition (services/kafka/stage.py);
- timeline -> store: materialise entries into SQLite or PostgreSQL (idempotent upserts).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.specification import AsyncAPI

from contracts.envelope import source_uri
from contracts.timeline import TimelineEntry
from services.kafka.stage import batch_records
from services.kafka.subscriber import (
    RawBatch,
    raw_records,
    service_broker,
    transactional_subscriber,
)
from services.kafka.topics import load_topics
from services.logging import configure_logging, get_logger
from services.observability.asgi import service_app
from services.observability.metrics import ServiceMetrics
from services.timeline.checkpoint import load as load_checkpoint
from services.timeline.materialiser import Materialiser
from services.timeline.processor import TimelineProcessor
from services.timeline.settings import TimelineSettings
from services.timeline.store import TimelineStore, open_store

DESCRIPTION = """Turns identified contract events into the pseudonymised client timeline:
the identity becomes a keyed pseudonym, free text and names never cross, a security-label
policy decides what may, and each entry gets a deterministic id and a per-client sequence
number. Entries are also materialised into the timeline store behind the query API."""


def build_app(settings: TimelineSettings | None = None) -> AsgiFastStream:
    settings = settings or TimelineSettings()
    configure_logging(settings.log_level, settings.log_json)
    metrics = ServiceMetrics("timeline")
    store = open_store(settings.store_url)
    broker = service_broker(settings)
    processor = TimelineProcessor(
        settings, owners=store, metrics=metrics,
        load_state=functools.partial(load_checkpoint, settings.kafka, settings.timeline_topic,
                                     settings.timeline_state_dir),
        sectors={source_uri(s.id): s.sector for s in load_topics(settings).sources})
    stage = transactional_subscriber(
        broker, settings, processor, metrics, settings.events_topic, title="contract events",
        description="Identified contract events; see contracts/.")
    _materialise(broker, settings, Materialiser(store, metrics,
                                                trusted=settings.timeline_trust_writers))
    _document_publishers(broker, settings)
    log = get_logger(service="timeline")

    async def start_store() -> None:
        await store.open()

    async def started() -> None:
        log.info("timeline started", settings=settings.redacted())

    async def stop() -> None:
        await stage.producers.close()
        await store.close()

    app = service_app(
        broker, metrics, ready_checks=_ready_checks(processor, store),
        on_startup=[start_store], after_startup=[started], after_shutdown=[stop],
        specification=AsyncAPI(title="Silta timeline", version="1.0.0",
                               description=" ".join(DESCRIPTION.split())),
    )
    app.context.set_global("store", store)
    return app


# Each store commit rewrites every index page its entries touched, and entries keyed by
# random hashes touch a page each: the more entries per commit, the more of them share a
# page (bench.store). So the broker may hold the store's fetches until about a thousand
# entries wait (or `store_max_wait_ms` passes).
_STORE_FETCH_MIN_BYTES = 1 << 20


def _materialise(broker: KafkaBroker, settings: TimelineSettings,
                 materialiser: Materialiser) -> None:
    """Timeline -> store: at-least-once; upserts by entry id make redelivery harmless."""

    parser = RawBatch()

    @parser.attach(broker.subscriber(
        settings.timeline_topic, group_id=settings.store_group_id, batch=True,
        max_records=settings.store_max_batch, fetch_min_bytes=_STORE_FETCH_MIN_BYTES,
        fetch_max_wait_ms=settings.store_max_wait_ms, ack_policy=AckPolicy.ACK, parser=parser,
        decoder=raw_records, isolation_level="read_committed", auto_offset_reset="earliest",
        title="timeline entries (store)",
        description="Materialises TimelineEntry records into the timeline store.",
    ))
    async def to_store(message: KafkaMessage) -> None:
        await materialiser.handle(batch_records(message))


def _document_publishers(broker: KafkaBroker, settings: TimelineSettings) -> None:
    """Publishing goes through the transactional producers; these document the channels."""
    broker.publisher(settings.timeline_topic, title="timeline entries",
                     description="Pseudonymised TimelineEntry JSON keyed by client pseudonym; "
                     "schema contracts/schemas/v1/fi.silta.timeline.entry.v1.json.",
                     schema=TimelineEntry)
    broker.publisher(settings.deadletter_topic, title="dead letters",
                     description="Events that broke their contract, with silta-dl-* headers.",
                     schema=bytes)


def _ready_checks(processor: TimelineProcessor,
                  store: TimelineStore) -> list[Callable[[], Awaitable[str | None]]]:
    async def state_ready() -> str | None:
        return None if processor.ready else "rebuilding partition state"

    async def store_ready() -> str | None:
        return None if await store.ping() else "timeline store unreachable"

    return [state_ready, store_ready]
