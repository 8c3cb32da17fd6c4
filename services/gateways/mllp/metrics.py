"""Prometheus metrics of the MLLP gateway, in a registry of its own (see
services/observability/metrics.py for why a registry per service)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_SIZE_BUCKETS = (256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)


class MllpMetrics:
    def __init__(self, source: str) -> None:
        self.source = source
        self.registry = CollectorRegistry()
        labels: dict[str, Any] = {"registry": self.registry, "namespace": "silta"}
        self.connections = Counter("mllp_connections", "Connections by outcome: accepted, or "
                                   "refused over the connection limit",
                                   ["source", "outcome"], **labels)
        self.open_connections = Gauge("mllp_open_connections", "Connections open now",
                                      ["source"], **labels)
        self.received = Counter("mllp_received_messages", "Complete frames received, oversized "
                                "ones included", ["source"], **labels)
        self.received_bytes = Counter("mllp_received_bytes", "Bytes read from connections, "
                                      "framing and skipped bytes included", ["source"], **labels)
        self.message_bytes = Histogram("mllp_message_bytes", "Size of received messages",
                                       ["source"], buckets=_SIZE_BUCKETS, **labels)
        self.skipped_bytes = Counter("mllp_skipped_bytes", "Bytes belonging to no stored "
                                     "message: outside frames, abandoned or oversized frames",
                                     ["source", "reason"], **labels)
        self.acks = Counter("mllp_acks", "ACKs sent, by code and reason (ok for AA)",
                            ["source", "code", "reason"], **labels)
        self.ack_latency = Histogram("mllp_ack_latency_seconds", "From a frame's end block "
                                     "to its ACK written", ["source", "code"],
                                     buckets=_LATENCY_BUCKETS, **labels)

        # Children bound once: `labels()` is a dict lookup under a lock, per message.
        self.received_one = self.received.labels(source)
        self.received_bytes_one = self.received_bytes.labels(source)
        self.message_bytes_one = self.message_bytes.labels(source)
        self._acked: dict[tuple[str, str], tuple[Any, Any]] = {}

    def acked(self, code: str, reason: str, seconds: float) -> None:
        children = self._acked.get((code, reason))
        if children is None:
            children = (self.acks.labels(self.source, code, reason),
                        self.ack_latency.labels(self.source, code))
            self._acked[(code, reason)] = children
        children[0].inc()
        children[1].observe(seconds)
