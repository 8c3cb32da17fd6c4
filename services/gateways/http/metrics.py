"""The gateway's own Prometheus metrics, beside the request metrics of services/observability/http.py,
in the same registry. Source labels are bounded: unknown sources count as `unknown`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.accepted = Counter("http_ingest_accepted", "Records written to a raw topic",
                                ["source"], namespace="silta", registry=registry)
        self.accepted_bytes = Counter("http_ingest_accepted_bytes", "Body bytes written",
                                      ["source"], namespace="silta", registry=registry)
        self.rejected = Counter("http_ingest_rejected", "Requests refused, by error code",
                                ["source", "code"], namespace="silta", registry=registry)
        self.kafka_seconds = Histogram("http_ingest_kafka_ack_seconds",
                                       "Time from send to acks=all", namespace="silta",
                                       buckets=_ACK_BUCKETS, registry=registry)
