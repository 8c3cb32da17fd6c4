"""Session fixtures: one real Kafka broker for every test marked `kafka`.

With CI=true, failing to obtain a broker fails the run: integration tests never skip
silently in CI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.broker import Broker, acquire_broker
from tests.support.postgres import Postgres, acquire_postgres

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
_broker_notes: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that touches a real server is marked so, whether or not its author said so.
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "kafka_bootstrap" in names:
            item.add_marker(pytest.mark.kafka)
        if "postgres_url" in names:
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for note in _broker_notes:
        terminalreporter.write_line(f"real servers: {note}")


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    try:
        broker = acquire_broker()
    except Exception as exc:
        message = f"no Kafka broker for integration tests: {type(exc).__name__}: {exc}"
        _broker_notes.append(message)
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    _broker_notes.append(broker.description)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nkafka broker: {broker.description}")
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[Postgres]:
    try:
        server = acquire_postgres()
    except Exception as exc:
        message = f"no PostgreSQL for store tests: {type(exc).__name__}: {exc}"
        _broker_notes.append(message)
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    _broker_notes.append(server.description)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: Postgres) -> str:
    return postgres_server.url


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Broker) -> str:
    return kafka_broker.bootstrap


TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_topic(kafka_bootstrap: str) -> AsyncIterator[TopicFactory]:
    """Create a uniquely named topic for one test and delete it afterwards."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
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
