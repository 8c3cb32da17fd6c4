"""The ingest service as a FastStream app: `build_app(settings)`.

One subscriber reads every raw topic in the consumer group; each partition's slice is
translated and committed in its own transaction (services/kafka/stage.py).
"""

from __future__ import annotations

from faststream.asgi import AsgiFastStream
from faststream.specification import AsyncAPI

from services.ingest.processor import IngestProcessor, routes_for
from services.ingest.settings import IngestSettings
from services.kafka.subscriber import service_broker, transactional_subscriber
from services.kafka.topics import load_topics
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
    routes = routes_for(load_topics(settings), settings.ingest_sources)
    metrics = ServiceMetrics("ingest")
    broker = service_broker(settings)
    stage = transactional_subscriber(
        broker, settings, IngestProcessor(settings, routes, metrics), metrics, *routes,
        title="raw source records", description="Source bytes: HL7 v2 ER7, FHIR R4 JSON or "
        "social-care record event JSON, as the topic's source format says.")

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

    return service_app(
        broker, metrics, after_startup=[started], after_shutdown=[stage.producers.close],
        specification=AsyncAPI(title="Silta ingest", version="1.0.0",
                               description=" ".join(DESCRIPTION.split())),
    )
