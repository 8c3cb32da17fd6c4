"""Hostile HTTP clients against the gateway under uvicorn on a real socket, with the
protocol `silta serve` gives it: request smuggling framing, partial requests, clients that
hang up mid-body, and source names probed without a token."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.broker import free_port
from services.gateways.http.app import build_app
from tests.services.api.support import logs_captured
from tests.services.gateways.http.support import FHIR_ENCOUNTER, Tokens, auth, gateway_settings
from tests.support.pipeline import PipelineTopics, make_topics, read_all


@pytest.fixture
async def topics(kafka_bootstrap: str, tmp_path: Path) -> PipelineTopics:
    return await make_topics(kafka_bootstrap, tmp_path, partitions=1)


@contextlib.asynccontextmanager
async def serving(kafka_bootstrap: str, topics: PipelineTopics,
                  tokens: Tokens) -> AsyncIterator[int]:
    app = build_app(gateway_settings(kafka_bootstrap, topics, tokens, http_header_timeout_s=1.0,
                                     http_body_timeout_s=1.0))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on",
                                           http=app.state.http_protocol))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        await task


def _head(tokens: Tokens, *extra: str) -> bytes:
    lines = [f"POST /ingest/{tokens.fhir_source} HTTP/1.1", "Host: x",
             f"Authorization: Bearer {tokens.fhir}", "Content-Type: application/fhir+json",
             *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send `data`, then read until the server closes (b'' when it answered nothing)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), wait)
    finally:
        writer.close()


async def _metric(port: int, name: str, **labels: str) -> float:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        text = (await client.get("/metrics")).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == name and labels.items() <= sample.labels.items())


async def test_content_length_with_transfer_encoding_is_refused(
        kafka_bootstrap: str, topics: PipelineTopics) -> None:
    tokens = Tokens(topics)
    chunked = f"{len(FHIR_ENCOUNTER):x}\r\n".encode() + FHIR_ENCOUNTER + b"\r\n0\r\n\r\n"
    async with serving(kafka_bootstrap, topics, tokens) as port:
        answer = await _exchange(port, _head(tokens, f"Content-Length: {len(chunked)}",
                                             "Transfer-Encoding: chunked") + chunked)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"request.framing-ambiguous" in answer
    assert await read_all(kafka_bootstrap, topics.raw("fhir"), expected=0, settle=0.5) == []


async def test_partial_requests_time_out(kafka_bootstrap: str, topics: PipelineTopics) -> None:
    tokens = Tokens(topics)
    async with serving(kafka_bootstrap, topics, tokens) as port:
        started = time.monotonic()
        half_head = _exchange(port, _head(tokens)[:40])
        half_body = _exchange(port, _head(tokens, f"Content-Length: {len(FHIR_ENCOUNTER)}")
                              + FHIR_ENCOUNTER[:20])
        head_answer, body_answer = await asyncio.gather(half_head, half_body)
        elapsed = time.monotonic() - started
    assert head_answer == b""  # closed: there was no request to answer
    assert body_answer.startswith(b"HTTP/1.1 408") and b"body.timeout" in body_answer
    assert elapsed < 4


async def test_a_client_that_hangs_up_mid_body_is_an_abort_not_a_500(
        kafka_bootstrap: str, topics: PipelineTopics, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    tokens = Tokens(topics)
    with logs_captured(capsys, caplog):
        async with serving(kafka_bootstrap, topics, tokens) as port:
            for _ in range(3):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(_head(tokens, "Content-Length: 5000") + b'{"resourceType"')
                await writer.drain()
                await asyncio.sleep(0.2)
                writer.transport.abort()
            await asyncio.sleep(0.5)
            aborted = await _metric(port, "silta_http_ingest_rejected_total",
                                    code="client.aborted")
            errors = await _metric(port, "silta_http_requests_total", status="500")
        logged = capsys.readouterr().err
    assert (aborted, errors) == (3, 0)
    assert "client aborted the request mid-body" in logged
    assert "Exception in ASGI application" not in logged + caplog.text
    assert '"level": "error"' not in logged


async def test_the_token_is_checked_before_the_source(
        kafka_bootstrap: str, topics: PipelineTopics) -> None:
    tokens = Tokens(topics)
    async with serving(kafka_bootstrap, topics, tokens) as port, httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}") as client:
        for source in (tokens.fhir_source, tokens.hl7_source, "no-such-source"):
            for headers in ({}, auth("x" * 32)):
                response = await client.post(f"/ingest/{source}", content=FHIR_ENCOUNTER,
                                             headers=headers)
                assert response.status_code == 401, (source, response.text)
        known = await client.post("/ingest/no-such-source", content=FHIR_ENCOUNTER,
                                  headers=auth(tokens.fhir))
        assert known.status_code == 404  # with a valid token, the answer may say more
