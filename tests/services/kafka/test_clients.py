"""Kafka security settings become client arguments in one place (services/kafka/clients.py);
bad combinations and unreadable files are ConfigErrors naming the setting, never the secret."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme
from faststream.kafka.security import parse_security
from faststream.security import SASLScram512
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.errors import ConfigError
from services.ingest.settings import IngestSettings
from services.kafka.clients import (
    broker_security,
    client_options,
    new_admin,
    new_consumer,
    new_producer,
)
from services.kafka.connection import tls_client_context
from services.settings import SiltaSettings

PASSWORD = "pa55-w0rd-only-in-tests"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def sasl_ssl(cafile: Path, **more: object) -> SiltaSettings:
    return SiltaSettings(**{
        "kafka_bootstrap": "b1:9093,b2:9093", "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512", "kafka_sasl_username": "ingest",
        "kafka_sasl_password": PASSWORD, "kafka_ssl_cafile": cafile, **more})


def test_plaintext_is_the_default_and_a_bare_string_means_it() -> None:
    assert client_options(SiltaSettings(kafka_bootstrap="k:9092").kafka) == {
        "bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT"}
    assert client_options("k:9092") == {"bootstrap_servers": "k:9092",
                                        "security_protocol": "PLAINTEXT"}
    assert broker_security("k:9092", None) is None


def test_sasl_ssl_options_carry_credentials_and_a_verifying_context(cafile: Path) -> None:
    options = client_options(sasl_ssl(cafile).kafka)
    context = options.pop("ssl_context")
    assert options == {"bootstrap_servers": "b1:9093,b2:9093", "security_protocol": "SASL_SSL",
                       "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "ingest",
                       "sasl_plain_password": PASSWORD}
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # our CA only, not the system's


def test_hostname_check_can_be_turned_off(cafile: Path) -> None:
    context = client_options(sasl_ssl(cafile, kafka_ssl_check_hostname=False).kafka)["ssl_context"]
    assert not context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_faststream_security_gives_the_same_arguments(cafile: Path) -> None:
    """The broker's context is handed over bare and loaded later (broker.py): once loaded
    it trusts what every other client's does, and only that."""
    kafka = sasl_ssl(cafile).kafka
    context = tls_client_context()
    security = broker_security(kafka, context)
    assert isinstance(security, SASLScram512)
    parsed = parse_security(security)
    expected = client_options(kafka)
    assert {k: v for k, v in parsed.items() if k != "ssl_context"} == {
        k: v for k, v in expected.items() if k not in ("ssl_context", "bootstrap_servers")}
    assert parsed["ssl_context"] is context and context.get_ca_certs() == []
    kafka.load_tls(context)
    assert context.get_ca_certs() == expected["ssl_context"].get_ca_certs()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize("protocol", ["SSL", "SASL_SSL", "SASL_PLAINTEXT"])
async def test_every_client_kind_accepts_the_options(protocol: str, cafile: Path) -> None:
    settings = sasl_ssl(cafile, kafka_security_protocol=protocol)
    producer, consumer, admin = (new_producer(settings.kafka), new_consumer(settings.kafka, "t"),
                                 new_admin(settings.kafka))
    # Nothing to assert beyond construction: aiokafka's constructors refuse a protocol
    # without its ssl_context or SASL credentials.
    await producer.stop()
    await consumer.stop()
    await admin.close()


def test_mutual_tls_loads_the_client_certificate(ca: trustme.CA, cafile: Path,
                                                tmp_path: Path) -> None:
    cert = ca.issue_cert("silta-ingest")
    certfile, keyfile = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    settings = SiltaSettings(kafka_security_protocol="SSL", kafka_ssl_cafile=cafile,
                             kafka_ssl_certfile=certfile, kafka_ssl_keyfile=keyfile)
    assert client_options(settings.kafka)["ssl_context"] is not None


def test_sasl_without_credentials_names_the_missing_settings() -> None:
    with pytest.raises(ValidationError) as caught:
        SiltaSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_password=PASSWORD)
    message = str(caught.value)
    assert "SILTA_KAFKA_SASL_MECHANISM" in message and "SILTA_KAFKA_SASL_USERNAME" in message
    assert PASSWORD not in message


def test_an_unknown_protocol_or_mechanism_is_refused() -> None:
    with pytest.raises(ValidationError, match="kafka_security_protocol"):
        SiltaSettings(kafka_security_protocol="TLS")
    with pytest.raises(ValidationError, match="kafka_sasl_mechanism"):
        SiltaSettings(kafka_sasl_mechanism="GSSAPI")


def test_a_certificate_without_its_key_is_refused(cafile: Path) -> None:
    with pytest.raises(ValidationError, match="SILTA_KAFKA_SSL_KEYFILE"):
        SiltaSettings(kafka_security_protocol="SSL", kafka_ssl_certfile=cafile)


def test_missing_files_name_their_setting(ca: trustme.CA, cafile: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SILTA_KAFKA_SSL_CAFILE .*nope\.pem"):
        client_options(sasl_ssl(tmp_path / "nope.pem").kafka)
    cert = ca.issue_cert("x")
    certfile = tmp_path / "c.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    settings = SiltaSettings(kafka_security_protocol="SSL", kafka_ssl_cafile=cafile,
                             kafka_ssl_certfile=certfile, kafka_ssl_keyfile=tmp_path / "gone.pem")
    with pytest.raises(ConfigError, match=r"SILTA_KAFKA_SSL_KEYFILE .*gone\.pem: no such file"):
        client_options(settings.kafka)
    other = trustme.CA().issue_cert("x")
    wrong_key = tmp_path / "wrong.pem"
    other.private_key_pem.write_to_path(str(wrong_key))
    settings = settings.model_copy(update={"kafka_ssl_keyfile": wrong_key})
    with pytest.raises(ConfigError, match=r"SILTA_KAFKA_SSL_CERTFILE .* with SILTA_KAFKA_SSL_KEYFILE"):
        client_options(settings.kafka)


def test_a_secret_can_come_from_a_mounted_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "kafka-password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("SILTA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("SILTA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("SILTA_KAFKA_SASL_USERNAME", "ingest")
    monkeypatch.setenv("SILTA_KAFKA_SASL_PASSWORD_FILE", str(secret))
    settings = IngestSettings()
    assert client_options(settings.kafka)["sasl_plain_password"] == PASSWORD
    assert PASSWORD not in str(settings.redacted()) and PASSWORD not in repr(settings)


def test_a_secret_file_that_cannot_be_read_or_is_doubled_is_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILTA_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"SILTA_KAFKA_SASL_PASSWORD_FILE .*missing"):
        SiltaSettings()
    (tmp_path / "present").write_text(PASSWORD)
    monkeypatch.setenv("SILTA_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "present"))
    monkeypatch.setenv("SILTA_KAFKA_SASL_PASSWORD", PASSWORD)
    with pytest.raises(ConfigError, match="not both"):
        SiltaSettings()


def test_the_pseudonym_key_file_keeps_its_own_setting(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "key"
    key.write_text("k" * 40)
    monkeypatch.setenv("SILTA_PSEUDONYM_KEY_FILE", str(key))
    settings = IngestSettings()
    assert settings.pseudonym_key is None and settings.pseudonym_key_file == key
    settings.pseudonymiser()


@given(protocol=st.sampled_from(["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", "sasl_ssl",
                                 "TLS", ""]),
       mechanism=st.one_of(st.none(), st.sampled_from(["PLAIN", "SCRAM-SHA-512", "GSSAPI", ""])),
       username=st.one_of(st.none(), st.text(max_size=10)),
       # A marker no message contains by itself: a generated password like "mechanis" is
       # part of a setting's name, which an error may name without echoing anything.
       password=st.one_of(st.none(), st.text(min_size=8, max_size=30).map("pw#".__add__)))
@settings(max_examples=300, deadline=None)
def test_any_security_combination_is_accepted_or_refused_without_echoing_the_password(
        protocol: str, mechanism: str | None, username: str | None, password: str | None) -> None:
    try:
        settings_ = SiltaSettings(kafka_security_protocol=protocol, kafka_sasl_mechanism=mechanism,
                                  kafka_sasl_username=username, kafka_sasl_password=password)
    except (ValidationError, ConfigError) as exc:
        assert password is None or password not in str(exc)
        return
    options = client_options(settings_.kafka)
    assert options["security_protocol"] == protocol
    assert ("sasl_plain_password" in options) == protocol.startswith("SASL_")
