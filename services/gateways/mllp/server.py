"""The MLLP listener: `build_server(settings)` -> MllpGateway with `start()`, `stop()`, `.port`.

With `SILTA_MLLP_TLS_CERTFILE` and `_KEYFILE` it speaks MLLP over TLS (services/tls.py).

Stopping is graceful: the listener closes first (no new connections), every connection
stops reading, the ACKs owed for messages already read are written (each is settled within
`mllp_send_timeout`), then connections close and the producer flushes. Connections still
busy after `mllp_shutdown_timeout` are cut.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

from services.errors import ConfigError
from services.gateways.mllp.ack import AckIdentity
from services.gateways.mllp.connection import Connection, GatewayContext
from services.gateways.mllp.metrics import MllpMetrics
from services.gateways.mllp.settings import MllpSettings
from services.gateways.producer import RawProducer
from services.kafka.topics import SourceSpec, TopicsFile, load_topics
from services.logging import configure_logging, get_logger

_RECORD_OVERHEAD = 16 * 1024  # key, headers and batch framing beside the message bytes


class MllpGateway:
    def __init__(self, settings: MllpSettings, source: SourceSpec) -> None:
        self.settings = settings
        self.source = source
        self._tls = settings.tls.context()  # None: plain MLLP
        self.log = get_logger(service="mllp-gateway", source=source.id)
        self.metrics = MllpMetrics(source.id)
        self.producer = RawProducer(settings.raw_producer, self.log)
        self._ctx = GatewayContext(
            settings, source, self.producer, self.metrics,
            AckIdentity(settings.mllp_ack_application, settings.mllp_ack_facility), self.log)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], Connection] = {}
        self._per_peer: Counter[str] = Counter()

    @property
    def port(self) -> int:
        """The bound port (useful with `mllp_port=0`)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the MLLP gateway is not listening; call start() first")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        """Start connecting to Kafka (not being connected is logged, not fatal: messages get
        AR meanwhile) and listen."""
        await self.producer.start()
        # A handshake happens before _on_connect counts the connection against the limits,
        # so it gets no longer than a frame would.
        tls: dict[str, Any] = {} if self._tls is None else {
            "ssl": self._tls, "ssl_handshake_timeout": self.settings.mllp_frame_timeout}
        self._server = await asyncio.start_server(
            self._on_connect, self.settings.mllp_host, self.settings.mllp_port,
            limit=64 * 1024, backlog=min(1024, self.settings.mllp_max_connections * 2), **tls)
        self.log.info("mllp gateway listening", host=self.settings.mllp_host, port=self.port,
                      tls=self._tls is not None,
                      client_certificates=self.settings.mllp_tls_client_cafile is not None,
                      topic=self.source.topic, settings=self.settings.redacted())
        if (reason := await self.ready()) is not None:
            self.log.error("not ready: messages will be answered AR until this is fixed",
                           reason=reason)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        connections = dict(self._connections)
        for connection in connections.values():
            connection.begin_close()
        if connections:
            self.log.info("stopping: finishing in-flight messages", connections=len(connections))
            _, late = await asyncio.wait(connections, timeout=self.settings.mllp_shutdown_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
                self.log.warning("connections cut at shutdown", connections=len(late))
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        await self.producer.stop()
        self.log.info("mllp gateway stopped")

    async def ready(self) -> str | None:
        """None when ready to store messages, else the reason."""
        if self._server is None:
            return "mllp listener not started"
        return await self.producer.readiness((self.source.topic,
                                              self.settings.deadletter_topic))

    async def _on_connect(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        name = writer.get_extra_info("peername")
        peer, host = _peer(name), _host(name)
        metrics = self.metrics
        if (refused := self._refusal(host)) is not None:
            metrics.connections.labels(self.source.id, refused).inc()
            self.log.warning("connection refused: limit reached", peer=peer, limit=refused,
                             open=len(self._connections), open_from_peer=self._per_peer[host])
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        connection = Connection(reader, writer, self._ctx, peer)
        self._connections[task] = connection
        self._per_peer[host] += 1
        metrics.connections.labels(self.source.id, "accepted").inc()
        metrics.open_connections.labels(self.source.id).inc()
        try:
            await connection.run()
        finally:
            metrics.open_connections.labels(self.source.id).dec()
            self._connections.pop(task, None)
            self._per_peer[host] -= 1
            if self._per_peer[host] <= 0:
                del self._per_peer[host]

    def _refusal(self, host: str) -> str | None:
        """Why a new connection from `host` is refused (the metric's outcome), or None.

        A peer may hold at most `mllp_max_connections_per_peer`, and one that already has a
        connection may not take the last `mllp_reserved_connections` slots: those are kept
        for peers with none, so a peer that holds connections open (slow-loris) cannot lock
        out the others."""
        s, total, own = self.settings, len(self._connections), self._per_peer[host]
        if total >= s.mllp_max_connections:
            return "refused"
        if own >= s.mllp_max_connections_per_peer:
            return "refused-peer-limit"
        if own and total >= s.mllp_max_connections - s.mllp_reserved_connections:
            return "refused-reserved"
        return None


def build_server(settings: MllpSettings | None = None) -> MllpGateway:
    """The gateway for `settings.mllp_source`, checked against the topics file; not started."""
    settings = settings or MllpSettings()
    configure_logging(settings.log_level, settings.log_json)
    spec = load_topics(settings)
    source = spec.source(settings.mllp_source)
    if source.format != "hl7v2":
        raise ConfigError(f"SILTA_MLLP_SOURCE={source.id} is a {source.format} source; the "
                          "MLLP gateway writes HL7 v2 sources only")
    _check_record_limit(settings, spec)
    return MllpGateway(settings, source)


def _check_record_limit(settings: MllpSettings, spec: TopicsFile) -> None:
    """A frame the gateway accepts must fit the raw topic, or every such message is an AE."""
    topic_limit = spec.raw.config.get("max.message.bytes")
    if topic_limit is None:
        return
    if settings.mllp_max_frame_bytes + _RECORD_OVERHEAD > int(topic_limit):
        raise ConfigError(
            f"SILTA_MLLP_MAX_FRAME_BYTES={settings.mllp_max_frame_bytes} does not fit the raw "
            f"topics' max.message.bytes={topic_limit} in {settings.topics_file} (leave "
            f"{_RECORD_OVERHEAD} bytes for key and headers)")


def _host(name: Any) -> str:
    """The peer's address without its port: what the per-peer limit counts."""
    if isinstance(name, tuple) and name:
        return str(name[0])
    return str(name)


def _peer(name: Any) -> str:
    if isinstance(name, tuple) and len(name) >= 2:
        return f"{name[0]}:{name[1]}"
    return str(name)
