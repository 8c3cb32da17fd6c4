"""Defences against hostile HTTP clients, below the routes.

- `FramingGuard`: a request with both `Content-Length` and `Transfer-Encoding` is refused
  with 400 before anything reads its body. Two framings for one body is the classic
  request-smuggling shape (RFC 9112 §6.3 lets a server reject it, and a proxy in front may
  frame it the other way).
- `header_timeout_protocol(seconds)`: uvicorn's h11 protocol with a deadline for a request's
  head (request line and headers), from the connection's start or the end of the previous
  response. uvicorn itself has none: a client that trickles a header a byte at a time holds
  its connection for ever. The body has its own deadline (body.py).
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

_AMBIGUOUS = orjson.dumps({"error": {
    "code": "request.framing-ambiguous",
    "message": "send Content-Length or Transfer-Encoding, not both"}})


class FramingGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {name.lower() for name, _ in scope["headers"]}
            if b"content-length" in names and b"transfer-encoding" in names:
                await send({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"application/json"), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": _AMBIGUOUS})
                return
        await self.app(scope, receive, send)


def header_timeout_protocol(seconds: float) -> type[H11Protocol]:
    """An h11 protocol class for `uvicorn.Config(http=...)` that closes a connection whose
    request head is not complete within `seconds`."""

    class HeaderTimeoutH11(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            self._arm()  # before super(): a pipelined request's head may already be here
            super().on_response_complete()

        def handle_events(self) -> None:
            super().handle_events()
            if self.cycle is not None and not self.cycle.response_complete:
                self._disarm()  # a head arrived; the body's deadline is the app's

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(seconds, self._head_timed_out)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeoutH11
