"""Prometheus metrics of one service, in a registry of its own.

A registry per service keeps several services in one process (`silta run`) apart and
makes tests independent of each other.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        labels: dict[str, Any] = {"registry": self.registry, "namespace": "silta"}
        self.consumed = Counter("consumed_records", "Records consumed",
                                ["service", "topic"], **labels)
        self.produced = Counter("produced_records", "Records produced (committed transactions)",
                                ["service", "topic"], **labels)
        self.deadlettered = Counter("deadlettered_records", "Records sent to the dead-letter topic",
                                    ["service", "source_topic", "code"], **labels)
        self.policy_dropped = Counter("policy_dropped_records",
                                      "Records the security-label policy kept off the timeline",
                                      ["service", "reason"], **labels)
        self.duplicates = Counter("duplicate_records",
                                  "Records recognised as already processed and skipped",
                                  ["service"], **labels)
        self.record_conflicts = Counter(
            "record_conflicts", "Records refused because their id belongs to another client",
            ["service"], **labels)
        self.store_conflicts = Counter(
            "store_conflicts", "Entries the store already held with different content",
            ["service"], **labels)
        self.batch_seconds = Histogram("batch_processing_seconds",
                                       "Time from receiving a batch to committing its transaction",
                                       ["service"], buckets=_LATENCY_BUCKETS, **labels)
        self.record_latency = Histogram("record_latency_seconds",
                                        "Time from a record's broker timestamp to its commit",
                                        ["service"], buckets=_LATENCY_BUCKETS, **labels)
        self.lag = Gauge("consumer_lag_records", "High watermark minus committed position",
                         ["service", "topic", "partition"], **labels)
        self.aborted = Counter("aborted_transactions", "Transactions aborted and retried",
                               ["service"], **labels)
