"""Every service's /ready on the secured broker: a wrong password, a missing ACL or a Kafka
TLS file not mounted yet makes it not ready with a reason naming the setting or the
permission (never the secret), it keeps trying without a hot loop, and it starts once the
permission is granted or the file is there, without a restart."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic_settings import BaseSettings

from services.gateways.http.app import build_app as http_app
from services.gateways.mllp.app import build_app as mllp_app
from services.ingest.app import build_app as ingest_app
from services.kafka.connection import KafkaConnection
from services.local.processes import ServiceProcess
from services.timeline.app import build_app as timeline_app
from tests.services.gateways.http.support import Tokens, gateway_settings, running
from tests.services.gateways.mllp.conftest import settings_for as mllp_settings
from tests.services.test_pipeline import HETU, send
from tests.support.broker import SecureBroker
from tests.support.messages import person_messages
from tests.support.pipeline import (
    PipelineKafka,
    PipelineTopics,
    ingest_settings,
    make_topics,
    read_all,
    timeline_settings,
    wait_for,
)

WRONG = "not-the-password-4711"


@asynccontextmanager
async def faststream_app(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A FastStream service started as `silta serve` starts it, with a client on its HTTP side."""
    async with app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                      base_url="http://service") as client:
        yield client


async def reasons(client: httpx.AsyncClient) -> list[str]:
    ready = await client.get("/ready")
    body = ready.json()
    assert (ready.status_code == 200) == (body == {"status": "ready", "reasons": []}), body
    return list(body["reasons"])


async def test_ingest_names_the_acls_it_lacks_and_starts_once_they_are_granted(
        secure_kafka: SecureBroker, tmp_path: Path) -> None:
    kafka = PipelineKafka(secure=secure_kafka)
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await send(kafka.as_("operator"), topics, person_messages(HETU)[:1])
    try:
        async with faststream_app(ingest_app(ingest_settings(kafka.as_("ingest"), topics))) as http:
            assert (await http.get("/health")).status_code == 200
            [reason] = await reasons(http)
            assert reason.startswith(f"kafka: User:ingest may not write topic {topics.deadletter}, "
                                     f"{topics.events}; use consumer group ingest-{topics.suffix}; "
                                     f"use transactional id ingest-{topics.suffix}.")
            assert reason.endswith("grant it in deploy/acls.yaml and run `silta acls apply`")
            assert "read topic" not in reason, "silta.raw.* is granted already"

            await kafka.grant(topics)
            assert await wait_for(lambda: _ready(http), timeout=30), await reasons(http)
            assert await read_all(kafka.as_("timeline"), topics.events, expected=1, settle=0)
    finally:
        await kafka.revoke()


async def _ready(http: httpx.AsyncClient) -> bool:
    return not await reasons(http)


async def test_timeline_with_a_wrong_password_says_which_setting_and_retries_slowly(
        secure_kafka: SecureBroker, tmp_path: Path) -> None:
    kafka = PipelineKafka(secure=secure_kafka)
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    settings = timeline_settings(secure_kafka.as_("timeline", password=WRONG), topics,
                                 f"sqlite:///{tmp_path}/t.sqlite3")
    before = failed_logins(secure_kafka)
    async with faststream_app(timeline_app(settings)) as http:
        await asyncio.sleep(8)
        [reason] = await reasons(http)
        body = (await http.get("/ready")).text
    attempts = failed_logins(secure_kafka) - before
    assert "SILTA_KAFKA_SASL_PASSWORD" in reason and "timeline" in reason
    assert WRONG not in body and kafka.passwords[0] not in body
    assert 2 <= attempts <= 8, f"{attempts} failed logins in 8 s"  # pauses 0.5, 1, 2, 4 s


def failed_logins(broker: SecureBroker) -> int:
    return broker.kafka.log_file.read_text(errors="replace").count("Failed authentication")


async def test_the_gateways_name_the_topic_their_principal_may_not_write(
        secure_kafka: SecureBroker, tmp_path: Path) -> None:
    """The per-test raw topics are not in deploy/acls.yaml: a missing ACL, not a missing topic."""
    topics = await make_topics(secure_kafka.kafka.connection, tmp_path, partitions=1)
    http_principal = secure_kafka.as_("http-gateway")
    http_settings = gateway_settings(http_principal.bootstrap, topics, Tokens(topics),
                                     **http_principal.as_settings())
    async with running(http_app(http_settings)) as http:
        [http_reason] = await reasons(http)
    mllp_principal = secure_kafka.as_("mllp-gateway")
    app = mllp_app(mllp_settings(mllp_principal.bootstrap, topics.topics_file,
                                 topics.source_id("hl7v2"), deadletter_topic="silta.deadletter.v1",
                                 **mllp_principal.as_settings()))
    async with running(app) as mllp:
        [mllp_reason] = await reasons(mllp)
    assert http_reason == (
        f"kafka: User:http-gateway may not write topic {topics.raw('fhir')}, "
        f"{topics.raw('social')} on {http_principal.bootstrap}: grant it in deploy/acls.yaml "
        "and run `silta acls apply`")
    assert mllp_reason.startswith(f"kafka: User:mllp-gateway may not write topic "
                                  f"{topics.raw('hl7v2')} on")
    assert "deadletter" not in mllp_reason, "deploy/acls.yaml grants the dead-letter topic"


# Each service's settings on the per-test topics, with its principal's connection.
SERVICES: dict[str, tuple[str, Callable[[KafkaConnection, PipelineTopics, Path], BaseSettings]]] = {
    "ingest": ("ingest", lambda conn, topics, _: ingest_settings(conn, topics)),
    "timeline": ("timeline", lambda conn, topics, tmp: timeline_settings(
        conn, topics, f"sqlite:///{tmp}/timeline.sqlite3")),
    "http-ingest": ("http-gateway", lambda conn, topics, _: gateway_settings(
        conn, topics, Tokens(topics))),
    "mllp": ("mllp-gateway", lambda conn, topics, _: mllp_settings(
        conn.bootstrap, topics.topics_file, topics.source_id("hl7v2"),
        deadletter_topic=topics.deadletter, **conn.as_settings())),
}


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_kafka_key_file_mounted_late_is_a_readiness_reason_until_it_appears(
        service: str, secure_kafka: SecureBroker, tmp_path: Path) -> None:
    """`silta serve` with mutual TLS whose key is not mounted yet (a Secret, a cert-manager
    certificate): the process runs, /ready names the setting and the path, and once the key
    is there the service is ready, without a restart."""
    principal, settings_of = SERVICES[service]
    kafka = PipelineKafka(secure=secure_kafka)
    topics = await make_topics(kafka.as_("admin"), tmp_path, partitions=1)
    mtls = secure_kafka.kafka.mtls_client(principal)
    assert mtls.ssl_keyfile is not None
    late = tmp_path / "secret" / "tls.key"
    settings = settings_of(dataclasses.replace(mtls, ssl_keyfile=late), topics, tmp_path)
    await kafka.grant(topics)
    try:
        with ServiceProcess(service, settings, tmp_path, service) as process:
            async with _probe(process) as http:
                await _not_ready_until_mounted(http, process, "SILTA_KAFKA_SSL_KEYFILE", late,
                                               mtls.ssl_keyfile)
                assert _secret_line(mtls.ssl_keyfile) not in process.log() + (
                    await http.get("/ready")).text
    finally:
        await kafka.revoke()


async def test_ingest_with_its_ca_file_mounted_late_starts_and_processes(
        secure_kafka: SecureBroker, tmp_path: Path) -> None:
    kafka = PipelineKafka(secure=secure_kafka)
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    late = tmp_path / "secret" / "ca.pem"
    settings = ingest_settings(dataclasses.replace(secure_kafka.as_("ingest"), ssl_cafile=late),
                               topics)
    await kafka.grant(topics)
    try:
        with ServiceProcess("ingest", settings, tmp_path, "ingest") as process:
            async with _probe(process) as http:
                await _not_ready_until_mounted(http, process, "SILTA_KAFKA_SSL_CAFILE", late,
                                               secure_kafka.kafka.cafile)
                await send(kafka.as_("operator"), topics, person_messages(HETU)[:1])
                assert await read_all(kafka.as_("timeline"), topics.events, expected=1, settle=0)
    finally:
        await kafka.revoke()


@asynccontextmanager
async def _probe(process: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the service's /health and /ready, once it answers at all."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.port}", timeout=10) as http:
        assert await wait_for(lambda: _healthy(http, process), timeout=60), process.log()
        yield http


async def _healthy(http: httpx.AsyncClient, process: ServiceProcess) -> bool:
    assert process.alive, process.log()
    try:
        return (await http.get("/health")).status_code == 200
    except httpx.TransportError:
        return False


async def _not_ready_until_mounted(http: httpx.AsyncClient, process: ServiceProcess,
                                   setting: str, path: Path, original: Path) -> None:
    """Probed as a kubelet would for 5 s, the service stays up and not ready for the reason
    that names `setting` and `path`, trying again at a slowing pace; then `original` is
    copied to `path` and the service becomes ready."""
    reason = f"{setting} {path}: no such file"
    loop = asyncio.get_running_loop()
    until = loop.time() + 5
    while loop.time() < until:
        ready = await http.get("/ready")
        assert ready.status_code == 503 and any(reason in r for r in ready.json()["reasons"]), (
            ready.text)
        assert (await http.get("/health")).status_code == 200
        await asyncio.sleep(0.25)
    assert process.alive
    attempts = process.log().count(reason)  # one log line per attempt
    assert 2 <= attempts <= 12, f"{attempts} attempts in 5 s"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(original.read_bytes())
    assert await wait_for(lambda: _ready(http), timeout=60), (await reasons(http), process.log())


def _secret_line(pem: Path) -> str:
    """A line from the middle of a PEM file: what a leak of its contents would show."""
    lines = pem.read_text().splitlines()
    return lines[len(lines) // 2]
