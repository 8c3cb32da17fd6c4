"""One operations router for every service: the same /health, /ready and /metrics whether
mounted in a FastAPI service, as the HTTP side of a FastStream service, or alone on an
operations port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter

from services.kafka.clients import new_broker
from services.observability.asgi import service_app
from services.observability.http import HttpMetrics, new_app
from services.observability.metrics import ServiceMetrics
from services.observability.operations import Operations, ReadyCheck, operations_app


async def get(app: Any, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://ops") as client:
        return await client.get(path)


def answering(*reasons: str | None) -> list[ReadyCheck]:
    def check(reason: str | None) -> ReadyCheck:
        async def run() -> str | None:
            return reason
        return run
    return [check(reason) for reason in reasons]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text()), max_size=4))
def test_ready_is_json_with_every_reason_in_order(reasons: list[str | None]) -> None:
    app = operations_app(Operations(CollectorRegistry(), answering(*reasons)))
    ready = asyncio.run(get(app, "/ready"))
    failing = [r for r in reasons if r is not None]
    assert ready.status_code == (503 if failing else 200)
    assert orjson.loads(ready.content) == {"status": "not ready" if failing else "ready",
                                           "reasons": failing}


async def test_the_checks_run_side_by_side() -> None:
    async def slow() -> str | None:
        await asyncio.sleep(0.4)
        return None

    app = operations_app(Operations(CollectorRegistry(), [slow, slow, slow]))
    started = time.monotonic()
    assert (await get(app, "/ready")).status_code == 200
    assert time.monotonic() - started < 1.0


def _http_service(checks: Sequence[ReadyCheck]) -> Any:
    metrics = HttpMetrics("test")
    metrics.requests.labels("test", "GET", "/x", "200").inc()
    return new_app(title="t", description="d", version="1", metrics=metrics,
                   ready_checks=checks, lifespan=_no_lifespan, tags=[])


@asynccontextmanager
async def _no_lifespan(app: Any) -> AsyncIterator[None]:
    yield


async def test_every_mounting_answers_alike() -> None:
    """A FastAPI service, a FastStream service (whose broker has not started: its reason
    comes first) and the operations app alone."""
    registry = CollectorRegistry()
    Counter("silta_probe", "a probe", registry=registry).inc()
    service = _http_service(answering("store unreachable"))
    metrics = ServiceMetrics("test")
    faststream = service_app(new_broker("127.0.0.1:1"), metrics, answering("state rebuilding"))
    alone = operations_app(Operations(registry, answering(None, "store unreachable")))
    answers = {}
    for name, app in (("service", service), ("faststream", faststream), ("alone", alone)):
        health, ready, prometheus = [await get(app, p) for p in ("/health", "/ready", "/metrics")]
        assert health.json() == {"status": "ok"}, name
        assert prometheus.headers["content-type"].startswith("text/plain"), name
        answers[name] = (ready.status_code, ready.json(), prometheus.text)
    assert answers["service"][:2] == answers["alone"][:2] == (
        503, {"status": "not ready", "reasons": ["store unreachable"]})
    assert answers["faststream"][:2] == (503, {"status": "not ready", "reasons": [
        "kafka: not started yet", "state rebuilding"]})
    assert "silta_http_requests_total" in answers["service"][2]
    assert "silta_probe_total 1.0" in answers["alone"][2]


async def test_the_operations_app_serves_nothing_else() -> None:
    app = operations_app(Operations(CollectorRegistry()))
    for path in ("/docs", "/openapi.json", "/clients", "/ingest/x"):
        assert (await get(app, path)).status_code == 404, path
