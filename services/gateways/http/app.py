"""The HTTP ingest gateway as a FastAPI app: `build_app(settings)`; uvicorn serves it on
`settings.http_ingest_port` (`silta serve http-ingest`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.gateways.http.auth import SourceTokens
from services.gateways.http.guard import FramingGuard, header_timeout_protocol
from services.gateways.http.metrics import IngestMetrics
from services.gateways.http.routes import Gateway, http_sources, ingest_router
from services.gateways.http.settings import HttpIngestSettings
from services.gateways.producer import RawProducer
from services.kafka.topics import load_topics
from services.logging import configure_logging, get_logger
from services.observability.http import HttpMetrics, new_app

VERSION = "1.0.0"
DESCRIPTION = """The HTTP edge for source systems that speak FHIR R4 or Silta's
social-care record event: `POST /ingest/{source}` writes the body, unchanged, to the
source's raw topic and answers 202 once Kafka has it durably.

* One bearer token per source system (`Authorization: Bearer <token>`).
* Errors: `{"error": {"code", "message", ...}}`; the body is never echoed back.
* Formats: adapters/fhir_r4/README.md, adapters/social/README.md.
"""


def build_app(settings: HttpIngestSettings | None = None) -> FastAPI:
    settings = settings or HttpIngestSettings()
    configure_logging(settings.log_level, settings.log_json)
    spec = load_topics(settings)
    sources = http_sources(spec, settings.http_sources)
    tokens = SourceTokens(settings.http_tokens, [s.id for s in spec.sources])
    log = get_logger(service="http-ingest")
    producer = RawProducer(settings.raw_producer, log)
    metrics = HttpMetrics("http-ingest")
    gateway = Gateway(settings, sources, spec, tokens, producer, IngestMetrics(metrics.registry))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("http ingest started", settings=settings.redacted(), sources=sorted(sources))
        for source in sorted(set(sources) - tokens.sources()):
            log.warning("source has no token; every request to it gets 401", source=source)
        await producer.start()
        try:
            yield
        finally:
            await producer.stop()

    async def ready() -> str | None:
        return await producer.readiness(sorted(s.topic for s in sources.values()))

    app = new_app(title="Silta HTTP ingest gateway", description=DESCRIPTION, version=VERSION,
                  metrics=metrics, ready_checks=[ready], lifespan=lifespan,
                  tags=[{"name": "ingest", "description": "Source records in."}])
    app.include_router(ingest_router(gateway))
    app.add_middleware(FramingGuard)
    # What `silta serve` and `silta run` hand uvicorn as its HTTP protocol.
    app.state.http_protocol = header_timeout_protocol(settings.http_header_timeout_s)
    return app
