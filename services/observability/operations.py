"""/health, /ready and /metrics: one router, one readiness type, for every service.

- `/health` answers while the process serves HTTP: restart the process when it fails.
- `/ready` is 200 when every readiness check passes, else 503 with each check's reason (a
  reason names the setting or permission at fault, never a secret): hold traffic back.
- `/metrics` is the service's Prometheus registry.

No authentication and no data: these are what a kubelet, a load balancer and Prometheus
call. The same `Operations` serves them on a service's own port (the API's and the HTTP
gateway's, documented in their OpenAPI), as the whole HTTP side of ingest, timeline and the
MLLP gateway, and on a plain-HTTP operations port beside a TLS data port
(`operations_app`, started by services/serving.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field

ReadyCheck = Callable[[], Awaitable[str | None]]  # None when ready, else why not
PATHS = ("/health", "/ready", "/metrics")


@dataclass(frozen=True)
class Operations:
    """What a service's operations endpoints report: its metrics and its readiness checks."""

    registry: CollectorRegistry
    checks: Sequence[ReadyCheck] = ()

    async def reasons(self) -> list[str]:
        """Why the service is not ready (in the checks' order); empty when it is. The checks
        run concurrently, so one slow backing service does not delay the others' answers."""
        answers = await asyncio.gather(*(check() for check in self.checks))
        return [reason for reason in answers if reason is not None]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    reasons: list[str] = Field(default_factory=list, description="why not ready")


def operations_router(ops: Operations) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", summary="Liveness", response_model=Health,
                description="Answers while the process serves requests. No authentication.",
                responses={200: {"description": "Alive."}})
    async def health() -> Health:
        return Health()

    @router.get("/ready", summary="Readiness", response_model=Readiness,
                description="200 when the backing services answer, else 503 with the reasons. "
                            "No authentication.",
                responses={200: {"description": "Ready."},
                           503: {"model": Readiness, "description": "Not ready."}})
    async def readiness() -> Response:
        reasons = await ops.reasons()
        body = Readiness(status="not ready" if reasons else "ready", reasons=reasons)
        return JSONResponse(body.model_dump(), 503 if reasons else 200)

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse,
                description="Prometheus text exposition. No authentication.",
                responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                 "description": "Metrics."}})
    async def prometheus() -> Response:
        return Response(generate_latest(ops.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def operations_app(ops: Operations, **fastapi: Any) -> FastAPI:
    """An app serving the operations endpoints and nothing else (no OpenAPI pages either)."""
    fastapi.setdefault("title", "Silta operations")
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, **fastapi)
    app.include_router(operations_router(ops))
    return app
