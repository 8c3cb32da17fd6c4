"""The HTTP ingest gateway under uvicorn on a real socket, as `silta serve` runs it."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from services.gateways.http.app import build_app
from tests.services.api.support import served
from tests.services.gateways.http.support import (
    FHIR_ENCOUNTER,
    Tokens,
    auth,
    gateway_settings,
)
from tests.support.pipeline import make_topics, read_all


async def test_served_by_uvicorn(kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path, partitions=1)
    tokens = Tokens(topics)
    settings = gateway_settings(kafka_bootstrap, topics, tokens, http_max_body_bytes=100_000)
    assert settings.http_ingest_port == 8090
    async with served(build_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/ready")).status_code == 200
        response = await client.post(f"/ingest/{tokens.fhir_source}", content=FHIR_ENCOUNTER,
                                     headers={"content-type": "application/fhir+json",
                                              **auth(tokens.fhir)})
        assert response.status_code == 202, response.text
        status_line = await asyncio.to_thread(_declare_too_much, base, tokens)
    assert status_line.startswith(b"HTTP/1.1 413")
    [record] = await read_all(kafka_bootstrap, topics.raw("fhir"), expected=1, settle=0.5)
    assert record.value == FHIR_ENCOUNTER


def _declare_too_much(base: str, tokens: Tokens) -> bytes:
    """Announce a 50 MB body and send none of it: the answer must come at once, from the
    Content-Length alone."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(
            f"POST /ingest/{tokens.fhir_source} HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {tokens.fhir}\r\nContent-Type: application/fhir+json\r\n"
            "Content-Length: 50000000\r\n\r\n".encode())
        return conn.recv(4096).split(b"\r\n", 1)[0]
