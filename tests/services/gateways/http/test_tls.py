"""The HTTP ingest gateway over HTTPS under uvicorn, as `silta serve http-ingest` runs it
with SILTA_HTTP_TLS_*: real httpx clients, the real broker, certificates from trustme."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.errors import ConfigError
from services.gateways.http.app import build_app
from services.gateways.http.settings import HttpIngestSettings
from tests.services.gateways.http.support import (
    FHIR_ENCOUNTER,
    Tokens,
    auth,
    gateway_settings,
)
from tests.support.pipeline import make_topics, read_all
from tests.support.tls import make_pki, served_tls


async def test_https_with_client_certificates(kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path, partitions=1)
    tokens = Tokens(topics)
    pki = make_pki(tmp_path / "pki")
    settings = gateway_settings(kafka_bootstrap, topics, tokens,
                                http_tls_certfile=pki.server_cert,
                                http_tls_keyfile=pki.server_key,
                                http_tls_client_cafile=pki.ca_file)
    post = {"content": FHIR_ENCOUNTER,
            "headers": {"content-type": "application/fhir+json", **auth(tokens.fhir)}}
    async with served_tls(build_app(settings), settings.tls) as port:
        url = f"https://localhost:{port}/ingest/{tokens.fhir_source}"
        async with httpx.AsyncClient(verify=pki.client_context(pki.client)) as client:
            assert (await client.get(f"https://localhost:{port}/ready")).status_code == 200
            response = await client.post(url, **post)
            assert response.status_code == 202, response.text
        for identity in (None, pki.stranger):  # no certificate; one from another CA
            with pytest.raises(httpx.TransportError):
                async with httpx.AsyncClient(verify=pki.client_context(identity)) as refused:
                    await refused.post(url, **post)
        with pytest.raises(httpx.TransportError):  # plain HTTP to the TLS port
            async with httpx.AsyncClient() as plain:
                await plain.post(f"http://127.0.0.1:{port}/ingest/{tokens.fhir_source}", **post)
    # Only the one request over a trusted connection reached Kafka.
    [record] = await read_all(kafka_bootstrap, topics.raw("fhir"), expected=1, settle=0.5)
    assert record.value == FHIR_ENCOUNTER


async def test_https_without_client_certificates(kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path, partitions=1)
    pki = make_pki(tmp_path / "pki")
    settings = gateway_settings(kafka_bootstrap, topics, Tokens(topics),
                                http_tls_certfile=pki.server_cert,
                                http_tls_keyfile=pki.server_key)
    async with (served_tls(build_app(settings), settings.tls) as port,
                httpx.AsyncClient(verify=pki.client_context()) as client):
        assert (await client.get(f"https://localhost:{port}/ready")).status_code == 200


def test_a_missing_key_file_names_the_setting(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    with pytest.raises(ConfigError, match=r"^SILTA_HTTP_TLS_KEYFILE \S+: no such file$"):
        HttpIngestSettings(http_tls_certfile=pki.server_cert,
                           http_tls_keyfile=tmp_path / "gone.key").tls.uvicorn_options()
    with pytest.raises(ConfigError, match="SILTA_HTTP_TLS_CLIENT_CAFILE needs TLS"):
        HttpIngestSettings(http_tls_client_cafile=pki.ca_file).tls.context()

