"""Finding a real Kafka broker for the tests: env, then a Docker engine, then the local runner."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.local.broker import LocalKafka, free_port, probe_sync
from deploy.local.secure import SecureLocalKafka
from services.kafka.acls import AclsFile, apply_acls, load_acls
from services.kafka.connection import KafkaConnection
from services.kafka.topics import apply_topics, load_topics
from services.settings import DEFAULT_TOPICS_FILE, SiltaSettings


@dataclass
class Broker:
    bootstrap: str
    description: str
    stop: Callable[[], None]


def _docker_engine_answers() -> bool:
    """True only when an engine answers a ping; a `docker` client binary alone is not enough."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def acquire_broker() -> Broker:
    started = time.monotonic()
    if bootstrap := os.environ.get("SILTA_KAFKA_BOOTSTRAP"):
        brokers = probe_sync(bootstrap, timeout=10)
        return Broker(bootstrap, f"external broker from SILTA_KAFKA_BOOTSTRAP ({brokers} node(s))",
                      lambda: None)
    if _docker_engine_answers():
        from testcontainers.community.kafka import KafkaContainer

        image = os.environ.get("SILTA_KAFKA_IMAGE", "apache/kafka:4.1.1")
        container = KafkaContainer(image).with_kraft()
        container.start()
        return Broker(container.get_bootstrap_server(),
                      f"testcontainers {image} in {time.monotonic() - started:.1f}s",
                      container.stop)
    run_dir = Path(tempfile.mkdtemp(prefix="silta-test-kafka-"))
    broker = LocalKafka(port=free_port(), run_dir=run_dir)
    seconds = broker.up()
    return Broker(
        broker.bootstrap,
        f"local Apache Kafka {broker.version} (KRaft, deploy/local) at {broker.bootstrap}, "
        f"ready in {seconds:.1f}s",
        broker.down,
    )


@dataclass
class SecureBroker:
    """The local broker with TLS, SASL/SCRAM and ACLs from deploy/acls.yaml applied, and the
    topics from deploy/topics.yaml provisioned by the operator principal."""

    kafka: SecureLocalKafka
    acls: AclsFile
    description: str

    def as_(self, principal: str, password: str | None = None) -> KafkaConnection:
        return self.kafka.client(principal, password)

    def stop(self) -> None:
        self.kafka.down()


def acquire_secure_broker() -> SecureBroker:
    # Always the local runner: an external or Docker broker would not have our users.
    spec = load_acls()
    broker = SecureLocalKafka(port=free_port(), run_dir=Path(tempfile.mkdtemp(
        prefix="silta-test-secure-kafka-")), heap="512m", principals=tuple(spec.principals))
    seconds = broker.up()
    async def provision() -> None:
        await apply_acls(broker.connection, spec)
        topics = load_topics(SiltaSettings(topics_file=DEFAULT_TOPICS_FILE))
        await apply_topics(broker.client("operator"), topics)

    try:
        # On its own thread: the first test to ask for this broker may be inside a loop.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, provision()).result()
    except BaseException:
        broker.down()
        raise
    return SecureBroker(broker, spec, f"secured local Apache Kafka {broker.version} (SASL_SSL, "
                        f"SCRAM, ACLs) at {broker.bootstrap}, ready in {seconds:.1f}s")
