"""Mutual TLS to Kafka on the secured broker's listener that requires client
certificates (ssl.client.auth=required; certificates from trustme, made at test time): a
Silta client with SILTA_KAFKA_SSL_CERTFILE and _KEYFILE connects as the principal its
certificate names, under that principal's ACLs; without one, or with one from another CA,
the broker refuses it and the reason names the settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import trustme

from services.kafka.access import KafkaAccess
from services.kafka.diagnosis import diagnose
from services.kafka.topics import load_topics
from services.settings import DEFAULT_TOPICS_FILE, SiltaSettings
from tests.services.kafka.test_acls import can_write
from tests.support.broker import SecureBroker

RAW = {s.id: s.topic for s in load_topics(SiltaSettings(topics_file=DEFAULT_TOPICS_FILE)).sources}


def settings_from_env(monkeypatch: pytest.MonkeyPatch, **env: object) -> SiltaSettings:
    for name, value in env.items():
        monkeypatch.setenv(f"SILTA_KAFKA_{name.upper()}", str(value))
    return SiltaSettings()


async def test_a_client_certificate_is_its_principal(secure_kafka: SecureBroker,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    mtls = secure_kafka.kafka.mtls_client("ingest")
    kafka = settings_from_env(monkeypatch, bootstrap=mtls.bootstrap, security_protocol="SSL",
                              ssl_cafile=mtls.ssl_cafile, ssl_certfile=mtls.ssl_certfile,
                              ssl_keyfile=mtls.ssl_keyfile).kafka
    assert await diagnose(kafka, KafkaAccess(
        read=(RAW["social-cis"],), write=("silta.events.v1",), groups=("silta-ingest",))) is None
    reason = await diagnose(kafka, KafkaAccess(read=("silta.timeline.v1",)))
    assert reason is not None and "may not read topic silta.timeline.v1" in reason
    vendor = secure_kafka.kafka.mtls_client("vendor-social-cis")
    assert await can_write(vendor, RAW["social-cis"])
    assert not await can_write(vendor, RAW["hospital-fhir"])


async def test_without_a_certificate_from_the_ca_the_broker_refuses(
        secure_kafka: SecureBroker, tmp_path: Path) -> None:
    mtls = secure_kafka.kafka.mtls_client("ingest")
    stranger = trustme.CA().issue_cert("ingest.clients.silta.test", common_name="ingest")
    cert, key = tmp_path / "stranger.pem", tmp_path / "stranger.key"
    stranger.cert_chain_pems[0].write_to_path(str(cert))
    stranger.private_key_pem.write_to_path(str(key))
    for conn in (dataclasses.replace(mtls, ssl_certfile=None, ssl_keyfile=None),
                 dataclasses.replace(mtls, ssl_certfile=cert, ssl_keyfile=key)):
        reason = await diagnose(conn, timeout=5)
        assert reason is not None and reason.startswith(
            f"{mtls.bootstrap} requires a client certificate it trusts"), reason
        assert f"SILTA_KAFKA_SSL_CERTFILE ({conn.ssl_certfile or 'not set'})" in reason
