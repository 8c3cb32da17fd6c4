"""Every service's /ready on the secured broker: a wrong password or a missing ACL makes it
not ready with a reason naming the setting or the permission (never the secret), it keeps
trying without a hot loop, and it starts once the permission is granted, without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from services.cli import serve
from services.errors import ConfigError
from services.gateways.http.app import build_app as http_app
from services.gateways.mllp.app import build_app as mllp_app
from services.ingest.app import build_app as ingest_app
from services.timeline.app import build_app as timeline_app
from tests.services.gateways.http.support import Tokens, gateway_settings, running
from tests.services.gateways.mllp.conftest import settings_for as mllp_settings
from tests.services.test_pipeline import HETU, send
from tests.support.broker import SecureBroker
from tests.support.messages import person_messages
from tests.support.pipeline import (
    PipelineKafka,
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



@pytest.mark.parametrize("service", ["ingest", "timeline", "mllp", "http-ingest"])
def test_a_kafka_file_that_cannot_be_loaded_stops_the_service_naming_the_setting(
        service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlike a refusal by the broker, nothing outside fixes a missing file: one line at
    start (`silta serve` prints it and exits 2), like the edge TLS files."""
    cert = tmp_path / "client.pem"
    trustme.CA().issue_cert("ingest").cert_chain_pems[0].write_to_path(str(cert))
    for name, value in {"SECURITY_PROTOCOL": "SSL", "SSL_CERTFILE": str(cert),
                        "SSL_KEYFILE": str(tmp_path / "missing-key.pem")}.items():
        monkeypatch.setenv(f"SILTA_KAFKA_{name}", value)
    monkeypatch.setenv("SILTA_PSEUDONYM_KEY", "k" * 32)
    monkeypatch.setenv("SILTA_STORE_URL", f"sqlite:///{tmp_path}/t.sqlite3")
    package, settings_class, _ = serve._SERVICES[serve.Service(service)]
    settings = getattr(import_module(f"{package}.settings"), settings_class)()
    with pytest.raises(ConfigError, match=r"^SILTA_KAFKA_SSL_KEYFILE \S+missing-key.pem: no "):
        import_module(f"{package}.app").build_app(settings)
