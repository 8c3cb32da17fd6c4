"""The raw producer both gateways share, on real sockets and a real broker: it fails at
once while Kafka is away and says why, retries with a slowing pace, connects by itself
once Kafka comes up, and stops without hanging while records wait for a broker that is
gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import structlog

from deploy.local.broker import LocalKafka, free_port
from services.errors import BrokerUnavailable
from services.gateways.producer import ProducerOptions, RawProducer, confirmed, failure
from services.gateways.raw import RawRecord, raw_record
from services.kafka.clients import Kafka, connection
from services.kafka.connection import KafkaConnection
from services.kafka.topics import SourceSpec, apply_topics, load_topics
from services.settings import SiltaSettings
from tests.conftest import IN_CI
from tests.support.pipeline import wait_for

LOG = structlog.get_logger()


def options(kafka: Kafka, **extra: Any) -> ProducerOptions:
    values: dict[str, Any] = {"kafka": connection(kafka), "client_id": "silta-test",
                              "max_record_bytes": 64 * 1024, "timeout": 2.0,
                              "longest_pause": 1.0, **extra}
    return ProducerOptions(**values)


@asynccontextmanager
async def started(settings: ProducerOptions) -> AsyncIterator[RawProducer]:
    producer = RawProducer(settings, LOG)
    await producer.start(wait=10)
    try:
        yield producer
    finally:
        await asyncio.wait_for(producer.stop(), 30)


SOURCE = SourceSpec(id="producer-test", sector="health", format="fhir")


def record(n: int) -> RawRecord:
    return raw_record(SOURCE, f'{{"n": {n}}}'.encode(), "application/json",
                      dt.datetime.now(dt.UTC), f"record-{n}")


async def test_while_kafka_is_away_a_send_fails_at_once_and_readiness_says_why() -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there
    async with started(options(bootstrap)) as producer:
        assert not producer.connected
        began = time.monotonic()
        for n in range(20):
            with pytest.raises(BrokerUnavailable, match=r"^Kafka is unavailable \(Kafka"):
                await producer.send(record(n))
        assert time.monotonic() - began < 0.5, "a send waited for a connection"
        reason = await producer.readiness([SOURCE.topic])
        assert reason is not None
        assert reason.startswith(f"kafka: not connected: no Kafka broker answers at {bootstrap} "
                                 "(SILTA_KAFKA_BOOTSTRAP")


async def test_a_kafka_tls_file_not_there_is_a_failed_attempt_naming_the_setting(
        tmp_path: Path) -> None:
    missing = tmp_path / "ca.pem"
    secured = options(KafkaConnection(f"127.0.0.1:{free_port()}", "SSL", ssl_cafile=missing))
    async with started(secured) as producer:
        expected = f"SILTA_KAFKA_SSL_CAFILE {missing}: no such file"
        with pytest.raises(BrokerUnavailable) as refused:
            await producer.send(record(0))
        assert expected in str(refused.value)
        assert expected in (await producer.readiness([SOURCE.topic]) or "")


@pytest.mark.parametrize(("longest_pause", "least", "most"), [(1.0, 4, 6), (10.0, 3, 4)])
async def test_attempts_go_on_at_a_slowing_pace(longest_pause: float, least: int,
                                                most: int) -> None:
    """A listener that hangs up on every connection: each attempt fails at once, so only the
    pause keeps the producer from hammering it. In 3.4 s: attempts at 0, 0.5, 1.5 and 2.5 s
    (pauses 0.5, 1, 1 s), or at 0, 0.5 and 1.5 s (pauses 0.5, 1, 2 s)."""
    attempts = 0

    def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with started(options(f"127.0.0.1:{port}", longest_pause=longest_pause)):
            await asyncio.sleep(3.4)
            seen = attempts
    finally:
        server.close()
    assert least <= seen <= most, f"{seen} connection attempts in 3.4 s"


@pytest.fixture
def own_kafka(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker of this test's own, not started: the test starts and stops it (the session
    broker is shared)."""
    if shutil.which("java") is None:
        message = "needs Java to run a broker of its own (deploy/local)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    broker = LocalKafka(port=free_port(), run_dir=tmp_path / "kafka")
    yield broker
    broker.down()


@pytest.mark.kafka
@pytest.mark.slow
async def test_connects_once_kafka_comes_up_and_stops_with_records_pending_on_a_gone_broker(
        own_kafka: LocalKafka, tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(f"version: 1\nsources: [{{id: {SOURCE.id}, sector: health, format: fhir}}]\n"
                    "raw: {partitions: 1}\ntopics: {}\n")
    async with started(options(own_kafka.bootstrap)) as producer:
        assert not producer.connected
        with pytest.raises(BrokerUnavailable):
            await producer.send(record(0))

        await asyncio.to_thread(own_kafka.up)
        await apply_topics(own_kafka.bootstrap, load_topics(SiltaSettings(topics_file=path)))
        assert await wait_for(lambda: _connected(producer), timeout=30)
        stored = await confirmed(await producer.send(record(1)))
        assert (stored.topic, stored.offset) == (SOURCE.topic, 0)
        assert await producer.readiness([SOURCE.topic]) is None

        await asyncio.to_thread(own_kafka.down, True)
        pending = [await producer.send(record(n)) for n in range(2, 5)]
        assert not any(delivery.done() for delivery in pending)
        began = time.monotonic()
        await asyncio.wait_for(producer.stop(), 30)
        assert time.monotonic() - began < 2.0 + 5  # the flush timeout, then fail and stop
    assert all(isinstance(failure(delivery), BrokerUnavailable) for delivery in pending)


async def _connected(producer: RawProducer) -> bool:
    return producer.connected
