"""Session fixtures: one real Kafka broker for every test marked `kafka`.

With CI=true, failing to obtain a broker fails the run: integration tests never skip
silently in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

import pytest
from aiokafka.admin import NewTopic

from services.kafka.clients import new_admin
from tests.support.broker import Broker, SecureBroker, acquire_broker, acquire_secure_broker
from tests.support.pipeline import PipelineKafka
from tests.support.postgres import Postgres, acquire_postgres

T = TypeVar("T")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
_server_notes: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that touches a real server is marked so, whether or not its author said so.
    for item in items:
        names = getattr(item, "fixturenames", ())
        if {"kafka_bootstrap", "secure_kafka", "pipeline_kafka"} & set(names):
            item.add_marker(pytest.mark.kafka)
        if "postgres_url" in names:
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for note in _server_notes:
        terminalreporter.write_line(f"real servers: {note}")


def _real_server(what: str, acquire: Callable[[], T]) -> T:
    """A real server, or a skip that says why; with CI=true, a failure instead."""
    try:
        server = acquire()
    except Exception as exc:
        message = f"no {what}: {type(exc).__name__}: {exc}"
        _server_notes.append(message)
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    _server_notes.append(server.description)  # type: ignore[attr-defined]
    return server


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Broker]:
    broker = _real_server("Kafka broker for integration tests", acquire_broker)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Postgres]:
    server = _real_server("PostgreSQL for store tests", acquire_postgres)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: Postgres) -> str:
    return postgres_server.url


@pytest.fixture(scope="session")
def secure_kafka() -> Iterator[SecureBroker]:
    """A second broker, secured: TLS + SASL/SCRAM + ACLs (tests/support/broker.py)."""
    broker = _real_server("secured Kafka broker", acquire_secure_broker)
    yield broker
    broker.stop()


@pytest.fixture(params=["plaintext", "sasl_ssl"])
async def pipeline_kafka(request: pytest.FixtureRequest) -> AsyncIterator[PipelineKafka]:
    """The pipeline on the plain broker, and again on the secured one with ACLs enforced."""
    if request.param == "plaintext":
        yield PipelineKafka(plain=request.getfixturevalue("kafka_bootstrap"))
        return
    kafka = PipelineKafka(secure=request.getfixturevalue("secure_kafka"))
    yield kafka
    await kafka.revoke()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Broker) -> str:
    return kafka_broker.bootstrap


TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_topic(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """Create a uniquely named topic for one test and delete it afterwards."""
    admin = new_admin(kafka_bootstrap)
    await admin.start()
    created: list[str] = []

    async def create(prefix: str = "t", partitions: int = 1, **config: str) -> str:
        name = f"test.{prefix}.{uuid.uuid4().hex[:10]}"
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs=config)])
        created.append(name)
        return name

    yield create
    if created:
        await admin.delete_topics(created)
    await admin.close()
