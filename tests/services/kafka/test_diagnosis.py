"""Wrong credentials, a CA that does not match, a missing key file or a missing ACL each
give a reason that names the setting or permission, and never the secret."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
import trustme
from typer.testing import CliRunner

from deploy.local.broker import free_port
from services.cli.main import app
from services.gateways.mllp import build_server
from services.kafka.access import KafkaAccess
from services.kafka.diagnosis import diagnose
from tests.services.gateways.http.support import Tokens, gateway, gateway_settings
from tests.services.gateways.mllp.conftest import settings_for as mllp_settings
from tests.support.broker import SecureBroker
from tests.support.pipeline import make_topics

WRONG = "not-the-password-4711"


async def test_a_working_principal_has_nothing_to_report(secure_kafka: SecureBroker) -> None:
    assert await diagnose(secure_kafka.as_("ingest"), KafkaAccess(
        read=("silta.raw.social.social-cis.v1",), write=("silta.events.v1",),
        groups=("silta-ingest",), transactional_ids=("silta-ingest.x.0",))) is None


async def test_a_wrong_password_names_the_settings_not_the_secret(
        secure_kafka: SecureBroker) -> None:
    reason = await diagnose(secure_kafka.as_("ingest", password=WRONG))
    assert reason is not None and "SILTA_KAFKA_SASL_PASSWORD" in reason and "ingest" in reason
    assert WRONG not in reason and secure_kafka.kafka.client_env(
        "ingest", Path())["SILTA_KAFKA_SASL_PASSWORD"] not in reason


async def test_a_ca_that_does_not_match_names_the_cafile(secure_kafka: SecureBroker,
                                                         tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    reason = await diagnose(dataclasses.replace(secure_kafka.as_("ingest"), ssl_cafile=other))
    assert reason is not None and "SILTA_KAFKA_SSL_CAFILE" in reason and str(other) in reason


async def test_a_missing_key_file_names_the_keyfile(secure_kafka: SecureBroker,
                                                    tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    trustme.CA().issue_cert("ingest").cert_chain_pems[0].write_to_path(str(cert))
    conn = dataclasses.replace(secure_kafka.as_("ingest"), ssl_certfile=cert,
                               ssl_keyfile=tmp_path / "missing-key.pem")
    reason = await diagnose(conn)
    assert reason is not None and "SILTA_KAFKA_SSL_KEYFILE" in reason and "missing-key.pem" in reason


async def test_a_missing_acl_names_the_principal_and_the_topic(secure_kafka: SecureBroker) -> None:
    reason = await diagnose(secure_kafka.as_("evaluator"),
                            KafkaAccess(read=("silta.timeline.v1", "silta.events.v1")))
    assert reason is not None
    assert "User:evaluator" in reason and "silta.events.v1" in reason
    assert "silta.timeline.v1" not in reason and "deploy/acls.yaml" in reason


async def test_no_broker_names_the_bootstrap_setting() -> None:
    reason = await diagnose(f"127.0.0.1:{free_port()}", timeout=3)
    assert reason is not None and "SILTA_KAFKA_BOOTSTRAP" in reason


@pytest.mark.parametrize(("principal", "password", "expected"), [
    ("operator", WRONG, "SILTA_KAFKA_SASL_PASSWORD"),
    ("evaluator", None, "User:evaluator may not do this on the cluster"),
])
def test_acls_apply_explains_its_failure(secure_kafka: SecureBroker, monkeypatch: pytest.MonkeyPatch,
                                         principal: str, password: str | None,
                                         expected: str) -> None:
    for name, value in secure_kafka.kafka.client_env(principal, secure_kafka.kafka.cafile).items():
        monkeypatch.setenv(name, value)
    if password is not None:
        monkeypatch.setenv("SILTA_KAFKA_SASL_PASSWORD", password)
    result = CliRunner().invoke(app, ["acls", "apply"])
    assert result.exit_code != 0
    assert expected in str(result.exception)
    assert WRONG not in str(result.exception)


async def test_a_gateway_with_a_wrong_password_retries_without_a_hot_loop(
        secure_kafka: SecureBroker, tmp_path: Path) -> None:
    """The broker's own log counts the failed logins while the gateway keeps trying."""
    topics = await make_topics(secure_kafka.kafka.connection, tmp_path, partitions=1)
    wrong = secure_kafka.as_("http-gateway", password=WRONG)
    settings = gateway_settings(wrong.bootstrap, topics, Tokens(topics), **wrong.as_settings())
    before = _failed_logins(secure_kafka)
    async with gateway(settings) as client:
        await asyncio.sleep(8)
        ready = await client.get("/ready")
    attempts = _failed_logins(secure_kafka) - before
    assert ready.status_code == 503
    [reason] = ready.json()["reasons"]
    assert "SILTA_KAFKA_SASL_PASSWORD" in reason and "http-gateway" in reason
    assert WRONG not in ready.text
    assert 1 <= attempts <= 8, f"{attempts} failed logins in 8 s"  # backoff 0.5, 1, 2, 4 s


def _failed_logins(broker: SecureBroker) -> int:
    return broker.kafka.log_file.read_text(errors="replace").count("Failed authentication")


async def test_an_mllp_gateway_not_ready_names_the_setting(secure_kafka: SecureBroker,
                                                           tmp_path: Path) -> None:
    """A CA that does not match, then a wrong password: /ready (gateway.ready()) says which."""
    topics = await make_topics(secure_kafka.kafka.connection, tmp_path, partitions=1)
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    principal = secure_kafka.as_("mllp-gateway")
    for conn, expected in ((dataclasses.replace(principal, ssl_cafile=other),
                            f"SILTA_KAFKA_SSL_CAFILE ({other})"),
                           (secure_kafka.as_("mllp-gateway", password=WRONG),
                            "SILTA_KAFKA_SASL_PASSWORD")):
        gateway = build_server(mllp_settings(conn.bootstrap, topics.topics_file,
                                             topics.source_id("hl7v2"), **conn.as_settings()))
        await gateway.start()
        try:
            reason = await gateway.ready()
        finally:
            await gateway.stop()
        assert reason is not None and reason.startswith("kafka: ") and expected in reason
        assert WRONG not in reason
