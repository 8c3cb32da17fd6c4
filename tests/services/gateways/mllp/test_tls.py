"""MLLP over TLS (SILTA_MLLP_TLS_*): a real asyncio client over `ssl` sends golden ADT
messages through the gateway to the real broker; certificates from trustme at test time."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from services.errors import ConfigError
from services.gateways.mllp import MllpSettings, build_server
from tests.services.gateways.mllp.conftest import StartGateway
from tests.services.gateways.mllp.support import MllpClient, golden
from tests.support.tls import Pki, make_pki


async def connect(port: int, context: ssl.SSLContext) -> MllpClient:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="localhost")
    return MllpClient(reader, writer)


async def answer(port: int, context: ssl.SSLContext | None) -> bytes:
    """What the gateway sends back to one golden ADT from this client: b'' when it only
    closes the connection (or the handshake fails)."""
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None)
        client = MllpClient(reader, writer)
        await client.send(golden("adt_a01_v251"))
        data = await asyncio.wait_for(reader.read(), 10)
        await client.close()
        return data
    except (OSError, asyncio.IncompleteReadError):  # ssl.SSLError is an OSError
        return b""


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


def with_tls(settings: MllpSettings, pki: Pki, *, client_certificates: bool) -> MllpSettings:
    return settings.model_copy(update={
        "mllp_tls_certfile": pki.server_cert, "mllp_tls_keyfile": pki.server_key,
        "mllp_tls_client_cafile": pki.ca_file if client_certificates else None})


async def test_mllp_over_tls(start_gateway: StartGateway, settings: MllpSettings,
                             pki: Pki) -> None:
    gateway = await start_gateway(with_tls(settings, pki, client_certificates=False))
    client = await connect(gateway.port, pki.client_context())
    try:
        for name in ("adt_a01_v251", "adt_a02_v251", "adt_a03_v28"):
            assert (await client.request(golden(name))).code == "AA", name
    finally:
        await client.close()
    assert await answer(gateway.port, None) == b""  # plain MLLP on the TLS port


async def test_sender_certificate_required(start_gateway: StartGateway, settings: MllpSettings,
                                           pki: Pki) -> None:
    gateway = await start_gateway(with_tls(settings, pki, client_certificates=True))
    client = await connect(gateway.port, pki.client_context(pki.client))
    try:
        assert (await client.request(golden("adt_a01_v251"))).code == "AA"
    finally:
        await client.close()
    assert await answer(gateway.port, pki.client_context()) == b""  # no certificate
    assert await answer(gateway.port, pki.client_context(pki.stranger)) == b""  # another CA
    # The refused handshakes never reached the MLLP reader.
    accepted = gateway.metrics.registry.get_sample_value(
        "silta_mllp_connections_total", {"source": gateway.source.id, "outcome": "accepted"})
    assert accepted == 1


def test_a_missing_certificate_names_the_setting(settings: MllpSettings, pki: Pki,
                                                 tmp_path: Path) -> None:
    missing = settings.model_copy(update={"mllp_tls_certfile": tmp_path / "gone.pem",
                                          "mllp_tls_keyfile": pki.server_key})
    with pytest.raises(ConfigError, match=r"^SILTA_MLLP_TLS_CERTFILE \S+gone.pem: no such file$"):
        build_server(missing)
    with pytest.raises(ConfigError, match="TLS needs both SILTA_MLLP_TLS_CERTFILE and"):
        build_server(settings.model_copy(update={"mllp_tls_keyfile": pki.server_key}))
