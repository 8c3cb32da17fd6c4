"""Serving Silta's ASGI apps with uvicorn, as `silta serve` and `silta run` do.

A service listens on its own port (HTTPS when its TLS settings say so) and, when it has
one configured, on a plain-HTTP operations port beside it that serves only /health, /ready
and /metrics (services/observability/operations.py) from the same checks and metrics: what
a kubelet and Prometheus reach even when the service's own port requires client
certificates. Every server runs in one event loop and they stop together: on SIGINT or
SIGTERM, or when any of them ends (a port in use, a failed start).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator, Sequence
from typing import Any

import uvicorn

from services.observability.operations import operations_app


class Server(uvicorn.Server):
    """uvicorn without its own signal handling: `serve_all` stops every server together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                          **options)


def service_servers(app: Any, host: str, port: int, tls: dict[str, Any] | None = None,
                    ops_port: int | None = None) -> list[Server]:
    """The servers of one service: its app on `port` (with uvicorn's `tls` options) and,
    given `ops_port`, its operations endpoints alone on that port over plain HTTP."""
    state = getattr(app, "state", None)
    servers = [Server(_config(app, host, port, lifespan="on", **(tls or {}),
                              http=getattr(state, "http_protocol", "auto")))]
    if ops_port is not None:
        # The app's lifespan runs once, on its own server; this one only reads its state.
        servers.append(Server(_config(operations_app(app.state.operations), host, ops_port,
                                      lifespan="off")))
    return servers


async def serve_all(servers: Sequence[Server],
                    until: asyncio.Future[None] | None = None) -> bool:
    """Run `servers` until SIGINT/SIGTERM, `until` resolves or one of them ends; then stop
    them all. True when every one had started."""
    loop = asyncio.get_running_loop()

    def stop(*_: object) -> None:
        for server in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    if until is not None:
        until.add_done_callback(stop)
    tasks = [asyncio.ensure_future(_serve(server)) for server in servers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return all(server.started for server in servers)


async def _serve(server: Server) -> None:
    try:
        await server.serve()
    except SystemExit:
        # uvicorn's way to give up on a port it cannot bind, after logging why; the servers
        # beside it must still stop in order, not be torn down with the event loop.
        server.should_exit = True


def run(servers: Sequence[Server]) -> bool:
    """`serve_all` in a new event loop of the kind uvicorn would pick."""
    with asyncio.Runner(loop_factory=servers[0].config.get_loop_factory()) as runner:
        return runner.run(serve_all(servers))
