"""The gateway as a process: `build_app(settings)` is an ASGI app serving /health, /ready
and /metrics whose lifespan starts and stops the MLLP listener.

Run it with `python -m services.gateways.mllp` (uvicorn; SIGTERM stops it gracefully).
/ready answers 200 only when the broker answers and the raw topic exists, so a platform can
keep senders away from an instance that would only answer AR.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateways.mllp.server import MllpGateway, build_server
from services.gateways.mllp.settings import MllpSettings


def build_app(settings: MllpSettings | None = None) -> FastAPI:
    gateway = build_server(settings or MllpSettings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.stop()

    app = FastAPI(title="Silta HL7 v2 MLLP gateway", lifespan=lifespan, openapi_url=None,
                  docs_url=None, redoc_url=None)
    app.state.gateway = gateway
    _routes(app, gateway)
    return app


def _routes(app: FastAPI, gateway: MllpGateway) -> None:
    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/ready")
    async def ready() -> JSONResponse:
        reason = await gateway.ready()
        if reason is not None:
            return JSONResponse({"status": "not ready", "reasons": [reason]}, status_code=503)
        return JSONResponse({"status": "ready", "port": gateway.port,
                             "topic": gateway.sink.topic})

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(gateway.metrics.registry), media_type=CONTENT_TYPE_LATEST)
