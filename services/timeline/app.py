"""The timeline service as a FastStream app: `build_app(settings)`.

Two subscribers:
- events -> timeline: pseudonymise, minimise, apply the policy, sequence, publish; one
  Kafka transaction per events partition (services/kafka/stage.py);
- timeline -> store: materialise entries into SQLite or PostgreSQL (idempotent upserts).
"""

from __future__ import annotations

import functools
import logging

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage
from faststream.specification import AsyncAPI

from contracts.envelope import source_uri
from contracts.timeline import TimelineEntry
from services.kafka.clients import new_broker
from services.kafka.stage import TransactionalStage, raw_records
from services.kafka.topics import load_topics
from services.kafka.transactions import PartitionProducers
from services.logging import configure_logging, get_logger
from services.observability.asgi import service_app
from services.observability.metrics import ServiceMetrics
from services.timeline.checkpoint import load as load_checkpoint
from services.timeline.materialiser import Materialiser
from services.timeline.policy import Policy
from services.timeline.processor import TimelineProcessor
from services.timeline.settings import TimelineSettings
from services.timeline.store import open_store

DESCRIPTION = """Turns identified contract events into the pseudonymised client timeline:
the identity becomes a keyed pseudonym, free text and names never cross, a security-label
policy decides what may, and each entry gets a deterministic id and a per-client sequence
number. Entries are also materialised into the timeline store behind the query API."""


def build_app(settings: TimelineSettings | None = None) -> AsgiFastStream:
    settings = settings or TimelineSettings()
    configure_logging(settings.log_level, settings.log_json)
    spec = load_topics(settings.topics_file)
    metrics = ServiceMetrics("timeline")
    store = open_store(settings.store_url)
    processor = TimelineProcessor(
        load_state=functools.partial(load_checkpoint, settings.kafka, settings.timeline_topic,
                                     settings.timeline_state_dir),
        pseudonymiser=settings.pseudonymiser(),
        policy=Policy(settings.policy_drop_disclosure_banned, settings.policy_coarsen_turvakielto),
        sectors={source_uri(s.id): s.sector for s in spec.sources},
        timeline_topic=settings.timeline_topic,
        deadletter_topic=settings.deadletter_topic,
        metrics=metrics, owners=store,
    )
    stage = TransactionalStage(
        service="timeline", group_id=settings.timeline_group_id,
        producers=PartitionProducers(settings.kafka,
                                     settings.timeline_transactional_prefix),
        processor=processor, metrics=metrics,
    )
    materialiser = Materialiser(store, metrics)
    broker = new_broker(settings.kafka, allow_auto_create_topics=False,
                        logger=logging.getLogger("silta.faststream"), log_level=logging.DEBUG,
                        client_id="silta-timeline", transactional_ids=[
                            stage.producers.transactional_id(
                                TopicPartition(settings.events_topic, 0))])

    @broker.subscriber(
        settings.events_topic, group_id=settings.timeline_group_id, batch=True,
        max_records=settings.timeline_max_batch, ack_policy=AckPolicy.MANUAL, decoder=raw_records,
        isolation_level="read_committed", auto_offset_reset="earliest", listener=stage,
        title="contract events", description="Identified contract events; see contracts/.",
    )
    async def to_timeline(message: KafkaMessage) -> None:
        await stage.handle(message)

    @broker.subscriber(
        settings.timeline_topic, group_id=settings.store_group_id, batch=True,
        max_records=1000, ack_policy=AckPolicy.ACK, decoder=raw_records, isolation_level="read_committed",
        auto_offset_reset="earliest", title="timeline entries (store)",
        description="Materialises TimelineEntry records into the timeline store.",
    )
    async def to_store(message: KafkaMessage) -> None:
        raw = message.raw_message
        await materialiser.handle(raw if isinstance(raw, tuple) else (raw,))

    broker.publisher(settings.timeline_topic, title="timeline entries",
                     description="Pseudonymised TimelineEntry JSON keyed by client pseudonym; "
                     "schema contracts/schemas/v1/fi.silta.timeline.entry.v1.json.",
                     schema=TimelineEntry)
    broker.publisher(settings.deadletter_topic, title="dead letters",
                     description="Events that broke their contract, with silta-dl-* headers.",
                     schema=bytes)

    log = get_logger(service="timeline")

    async def start_store() -> None:
        await store.open()

    async def started() -> None:
        log.info("timeline started", settings=settings.redacted())

    async def stop() -> None:
        await stage.producers.close()
        await store.close()

    async def state_ready() -> str | None:
        return None if processor.ready else "rebuilding partition state"

    async def store_ready() -> str | None:
        return None if await store.ping() else "timeline store unreachable"

    app = service_app(
        broker, metrics, ready_checks=[state_ready, store_ready],
        on_startup=[start_store], after_startup=[started], after_shutdown=[stop],
        specification=AsyncAPI(title="Silta timeline", version="1.0.0",
                              description=" ".join(DESCRIPTION.split())),
    )
    app.context.set_global("store", store)
    return app
