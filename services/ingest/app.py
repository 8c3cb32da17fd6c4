"""The ingest service as a FastStream app: `build_app(settings)`.

One subscriber reads every raw topic in the consumer group; each partition's slice is
translated and committed in its own transaction (services/kafka/stage.py).
"""

from __future__ import annotations

import logging

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from faststream.kafka.annotations import KafkaMessage
from faststream.specification import AsyncAPI

from services.ingest.processor import IngestProcessor, routes_for
from services.ingest.settings import IngestSettings
from services.kafka.clients import new_broker
from services.kafka.stage import TransactionalStage, raw_records
from services.kafka.topics import load_topics
from services.kafka.transactions import PartitionProducers
from services.logging import configure_logging, get_logger
from services.observability.asgi import service_app
from services.observability.metrics import ServiceMetrics

DESCRIPTION = """Reads raw records of every configured source, translates them with the
source's adapter into contract events keyed by the client pseudonym, and publishes them to
the restricted events topic; records that cannot be translated go to the dead-letter topic
with the original bytes and the reason. Output and input offsets commit in one Kafka
transaction per input partition."""


def build_app(settings: IngestSettings | None = None) -> AsgiFastStream:
    settings = settings or IngestSettings()
    configure_logging(settings.log_level, settings.log_json)
    spec = load_topics(settings.topics_file)
    routes = routes_for(spec, settings.ingest_sources)
    metrics = ServiceMetrics("ingest")
    pseudonymiser = settings.pseudonymiser()
    stage = TransactionalStage(
        service="ingest", group_id=settings.ingest_group_id,
        producers=PartitionProducers(settings.kafka, settings.ingest_transactional_prefix),
        processor=IngestProcessor(routes, pseudonymiser, settings.events_topic,
                                  settings.deadletter_topic, metrics),
        metrics=metrics,
    )
    broker = new_broker(settings.kafka, allow_auto_create_topics=False,
                        logger=logging.getLogger("silta.faststream"), log_level=logging.DEBUG,
                        client_id="silta-ingest", transactional_ids=[
                            stage.producers.transactional_id(TopicPartition(min(routes), 0))])

    @broker.subscriber(
        *routes, group_id=settings.ingest_group_id, batch=True,
        max_records=settings.ingest_max_batch, ack_policy=AckPolicy.MANUAL, decoder=raw_records,
        isolation_level="read_committed", auto_offset_reset="earliest", listener=stage,
        title="raw source records", description="Source bytes: HL7 v2 ER7, FHIR R4 JSON or "
        "social-care record event JSON, as the topic's source format says.",
    )
    async def ingest(message: KafkaMessage) -> None:
        await stage.handle(message)

    # Publishing goes through the transactional producers; these publishers document the
    # channels for AsyncAPI.
    broker.publisher(settings.events_topic, title="contract events",
                     description="Identified contract events (restricted), keyed by pseudonym; "
                     "see contracts/schemas/v1.", schema=bytes)
    broker.publisher(settings.deadletter_topic, title="dead letters",
                     description="Original bytes and headers plus silta-dl-* error headers.",
                     schema=bytes)

    log = get_logger(service="ingest")

    async def started() -> None:
        log.info("ingest started", settings=settings.redacted(), topics=sorted(routes))

    app = service_app(
        broker, metrics, after_startup=[started],
        after_shutdown=[stage.producers.close],
        specification=AsyncAPI(title="Silta ingest", version="1.0.0",
                              description=" ".join(DESCRIPTION.split())),
    )
    return app
