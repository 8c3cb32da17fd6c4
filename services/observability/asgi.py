"""The HTTP side of a FastStream service: /health, /ready and /metrics.

/health answers while the process serves requests; /ready only when the broker answers a
ping and the service's own checks pass (e.g. state rebuilt, store reachable), so a
platform can hold traffic back and restart what is stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.logging import get_logger
from services.observability.metrics import ServiceMetrics

ReadyCheck = Callable[[], Awaitable[str | None]]  # None when ready, else the reason


def readiness_body(reasons: Sequence[str]) -> bytes:
    """JSON even when a reason quotes a path or a setting's value."""
    if not reasons:
        return b'{"status":"ready"}'
    return orjson.dumps({"status": "not ready", "reasons": list(reasons)})


def service_app(
    broker: KafkaBroker,
    metrics: ServiceMetrics,
    ready_checks: Sequence[ReadyCheck] = (),
    **app_kwargs: Any,
) -> AsgiFastStream:
    @get(include_in_schema=False)
    async def health(scope: Any) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def ready(scope: Any) -> AsgiResponse:
        reasons = [] if await broker.ping(timeout=3.0) else ["kafka broker does not answer"]
        for check in ready_checks:
            if (reason := await check()) is not None:
                reasons.append(reason)
        return AsgiResponse(readiness_body(reasons), 503 if reasons else 200,
                            headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def prometheus(scope: Any) -> AsgiResponse:
        return AsgiResponse(generate_latest(metrics.registry), 200,
                            headers={"content-type": CONTENT_TYPE_LATEST})

    app = AsgiFastStream(
        broker, logger=logging.getLogger("silta.faststream"),
        asgi_routes=[("/health", health), ("/ready", ready), ("/metrics", prometheus)],
        **app_kwargs,
    )
    async def install_task_dump() -> None:
        _install_task_dump(metrics.service)

    app.on_startup(install_task_dump)
    return app


def _install_task_dump(service: str) -> None:
    """`kill -USR1 <pid>` logs every asyncio task's stack: what a stuck service waits on."""
    loop = asyncio.get_running_loop()

    def dump() -> None:
        log = get_logger(service=service)
        for task in asyncio.all_tasks(loop):
            buffer = io.StringIO()
            task.print_stack(file=buffer)
            log.warning("task stack", task=task.get_name(), stack=buffer.getvalue())

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGUSR1, dump)
