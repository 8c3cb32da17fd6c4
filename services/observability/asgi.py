"""The HTTP side of a FastStream service: /health, /ready and /metrics
(services/observability/operations.py) and nothing else.

/ready passes only when the service's broker is running and answers (until then it says
which Kafka setting or permission keeps it from starting: services/kafka/broker.py) and the
service's own checks pass (e.g. state rebuilt, store reachable), so a platform can hold
traffic back and restart what is stuck.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
from collections.abc import Sequence
from typing import Any

from faststream.asgi import AsgiFastStream

from services.kafka.broker import SiltaKafkaBroker
from services.logging import get_logger
from services.observability.metrics import ServiceMetrics
from services.observability.operations import PATHS, Operations, ReadyCheck, operations_app


def service_app(
    broker: SiltaKafkaBroker,
    metrics: ServiceMetrics,
    ready_checks: Sequence[ReadyCheck] = (),
    **app_kwargs: Any,
) -> AsgiFastStream:
    operations = operations_app(Operations(metrics.registry, [broker.not_ready, *ready_checks]))
    app = AsgiFastStream(
        broker, logger=logging.getLogger("silta.faststream"),
        asgi_routes=[(path, operations) for path in PATHS],
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
