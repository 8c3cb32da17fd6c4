"""Running Silta's pipeline against the real broker in tests: readers, and the broker as
each of Silta's principals sees it. Topics, settings and producing live in
services/local/isolated.py (the benchmarks use them too)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.kafka.acls import AclsFile, apply_acls
from services.kafka.clients import Kafka, new_consumer
from services.kafka.reading import partitions_of
from services.kafka.topics import load_topics
from services.local.isolated import (  # noqa: F401  (re-exported for the tests)
    FORMATS,
    PipelineTopics,
    TopicTail,
    ingest_settings,
    make_topics,
    produce,
    timeline_settings,
)
from services.settings import DEFAULT_TOPICS_FILE, SiltaSettings
from tests.support.broker import SecureBroker


async def read_all(bootstrap: Kafka, topic: str, *, expected: int | None = None,
                   timeout: float = 60.0, settle: float = 1.5,
                   isolation: str = "read_committed") -> list[Any]:
    """Every record of `topic` from the start: until `expected` arrived (then `settle` more
    seconds, to catch extras such as duplicates), or until `timeout`."""
    consumer = new_consumer(bootstrap, enable_auto_commit=False, isolation_level=isolation,
                            auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = await partitions_of(bootstrap, topic)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        settle_until: float | None = None
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for part in batch.values():
                records.extend(part)
            if expected is not None and len(records) >= expected and settle_until is None:
                settle_until = loop.time() + settle
            if settle_until is not None and loop.time() >= settle_until:
                break
        return records
    finally:
        await consumer.stop()


async def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.25) -> Any:
    """Poll an async predicate until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await predicate()
        if result or loop.time() > deadline:
            return result
        await asyncio.sleep(interval)


@dataclass
class PipelineKafka:
    """The broker a pipeline test runs on, as each of Silta's principals sees it: on the
    plain broker every role is the same bootstrap address; on the secured one each role is
    its own SCRAM user, and `grant` gives the roles of deploy/acls.yaml the same rights on
    this test's topics, groups and transactional ids (and nothing more)."""

    plain: str | None = None
    secure: SecureBroker | None = None

    def as_(self, role: str) -> Kafka:
        if self.secure is None:
            assert self.plain is not None
            return self.plain
        return self.secure.kafka.connection if role == "admin" else self.secure.as_(role)

    @property
    def passwords(self) -> list[str]:
        if self.secure is None:
            return []
        return [self.secure.kafka.client_env(p, Path())["SILTA_KAFKA_SASL_PASSWORD"]
                for p in self.secure.acls.principals]

    async def grant(self, topics: PipelineTopics) -> None:
        if self.secure is not None:
            await apply_acls(self.as_("admin"), _with_test_names(self.secure.acls, topics))

    async def revoke(self) -> None:
        if self.secure is not None:
            await apply_acls(self.as_("admin"), self.secure.acls)


def _with_test_names(spec: AclsFile, topics: PipelineTopics) -> AclsFile:
    """`spec` plus each grant again under this test's names: a grant on the demo source's
    raw topic also covers the test's raw topic of the same format."""
    suffix = topics.suffix
    renamed = {"silta.events.v1": topics.events, "silta.timeline.v1": topics.timeline,
               "silta.deadletter.v1": topics.deadletter, "silta-ingest": f"ingest-{suffix}",
               "silta-ingest.*": f"ingest-{suffix}*", "silta-timeline": f"timeline-{suffix}",
               "silta-timeline.*": f"timeline-{suffix}*", "silta-timeline-store": f"store-{suffix}",
               **{source.topic: topics.raw(source.format)
                  for source in load_topics(SiltaSettings(topics_file=DEFAULT_TOPICS_FILE)).sources}}
    principals = {}
    for name, principal in spec.principals.items():
        update = {grant: [*values, *(renamed[v] for v in values if v in renamed)]
                  for grant in ("read", "write", "groups", "transactional_ids")
                  if (values := getattr(principal, grant))}
        principals[name] = principal.model_copy(update=update)
    return spec.model_copy(update={"principals": principals})
