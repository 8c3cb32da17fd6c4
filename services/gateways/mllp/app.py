"""The gateway as a process: `build_app(settings)` is an ASGI app serving /health, /ready
and /metrics (services/observability/operations.py) whose lifespan starts and stops the
MLLP listener.

Run it with `silta serve mllp` (or `python -m services.gateways.mllp`; SIGTERM stops it
gracefully). /ready answers 200 only when the listener is up and Kafka lets the gateway
write its raw topic and the dead-letter topic, so a platform can keep senders away from an
instance that would only answer AR.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.gateways.mllp.server import build_server
from services.gateways.mllp.settings import MllpSettings
from services.observability.operations import Operations, operations_app


def build_app(settings: MllpSettings | None = None) -> FastAPI:
    gateway = build_server(settings or MllpSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    operations = Operations(gateway.metrics.registry, [gateway.ready])
    app = operations_app(operations, title="Silta HL7 v2 MLLP gateway", lifespan=lifespan)
    app.state.gateway = gateway
    app.state.operations = operations
    return app
