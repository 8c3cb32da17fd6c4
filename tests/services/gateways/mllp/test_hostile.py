"""Hostile clients: slow-loris connections that trickle bytes, a peer that opens every slot
it can, and an identity code in MSH-10. Legitimate senders keep getting AA throughout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from services.gateways.mllp import MllpSettings, build_server
from tests.services.api.support import logs_captured
from tests.services.gateways.mllp.conftest import StartGateway
from tests.services.gateways.mllp.support import START, Ack, MllpClient, adt
from tests.support.pipeline import PipelineTopics, read_all

LORIS, SENDER, OTHER = "127.0.0.2", "127.0.0.3", "127.0.0.4"  # loopback peers, one each


async def _connect(port: int, peer: str) -> MllpClient:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(peer, 0))
    return MllpClient(reader, writer)


async def _is_open(client: MllpClient) -> bool:
    """False when the gateway closed (refused) the connection."""
    return await client.read_to_eof(0.3) is None


async def _trickle(client: MllpClient, data: bytes, every: float) -> None:
    """Send one byte every `every` seconds until the gateway hangs up."""
    with contextlib.suppress(ConnectionError, OSError):
        for byte in data:
            await client.send_raw(bytes([byte]))
            await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def loris(port: int, connections: int, data: bytes,
                every: float = 0.2) -> AsyncIterator[list[MllpClient]]:
    clients = [await _connect(port, LORIS) for _ in range(connections)]
    tasks = [asyncio.create_task(_trickle(c, data, every)) for c in clients]
    try:
        yield clients
    finally:
        for task in tasks:
            task.cancel()
        for client in clients:
            client.writer.transport.abort()


async def _legitimate(port: int, rounds: int) -> list[Ack]:
    acks = []
    for n in range(rounds):
        client = await _connect(port, SENDER)
        acks.append(await client.request(adt(f"LEGIT{n}", n), timeout=5))
        await client.close()
        await asyncio.sleep(0.1)
    return acks


async def test_slow_loris_is_cut_off_and_a_legitimate_sender_keeps_getting_aa(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={
        "mllp_max_connections": 8, "mllp_max_connections_per_peer": 3,
        "mllp_reserved_connections": 2, "mllp_frame_timeout": 1.5, "mllp_idle_timeout": 30}))
    trickled = START + adt("LORIS")  # one byte every 0.2 s: never idle, never finished
    async with loris(gateway.port, 8, trickled) as clients:
        legit = asyncio.create_task(_legitimate(gateway.port, 12))
        await asyncio.sleep(0.5)
        open_ = [await _is_open(c) for c in clients]
        assert sum(open_) == 3  # the per-peer limit; the others were closed at once
        started = time.monotonic()
        closed = await asyncio.gather(*(c.read_to_eof(5) for c in clients))
        assert all(data == b"" for data in closed)  # the frame deadline, bytes or not
        assert time.monotonic() - started < 3
        acks = await legit
    assert [(a.code, a.control_id) for a in acks] == [("AA", f"LEGIT{n}") for n in range(12)]
    outcomes = gateway.metrics.connections
    assert outcomes.labels(gateway.source.id, "refused-peer-limit")._value.get() == 5
    skipped = gateway.metrics.skipped_bytes.labels(gateway.source.id, "frame-timeout")
    assert skipped._value.get() > 0


async def test_junk_between_frames_does_not_keep_a_connection_alive(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={"mllp_idle_timeout": 1.0}))
    async with loris(gateway.port, 1, b"\r\n " * 100) as [client]:
        started = time.monotonic()
        assert await client.read_to_eof(5) == b""
        assert time.monotonic() - started < 2.5


async def test_the_reserve_keeps_slots_for_peers_without_a_connection(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={
        "mllp_max_connections": 6, "mllp_max_connections_per_peer": 6,
        "mllp_reserved_connections": 2}))
    async with loris(gateway.port, 6, START + b"MSH|", every=1.0) as clients:
        await asyncio.sleep(0.3)
        assert sum([await _is_open(c) for c in clients]) == 4
        first = await _connect(gateway.port, SENDER)
        assert (await first.request(adt("RESERVE1"))).code == "AA"
        other = await _connect(gateway.port, OTHER)
        assert (await other.request(adt("RESERVE2"))).code == "AA"
        full = await _connect(gateway.port, "127.0.0.5")
        assert not await _is_open(full)  # every slot is taken now
        for client in (first, other, full):
            await client.close()
    assert gateway.metrics.connections.labels(
        gateway.source.id, "refused-reserved")._value.get() == 2


async def test_an_identity_code_in_msh10_is_refused_never_logged_nor_a_key(
        settings: MllpSettings, topics: PipelineTopics,
        kafka_bootstrap: str, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    hetu = "131052-308T"
    with logs_captured(capsys, caplog):
        # Not the start_gateway fixture: the gateway must stop while its log output is
        # still the captured one.
        gateway = build_server(settings.model_copy(update={"log_level": "DEBUG"}))
        await gateway.start()
        try:
            client = await MllpClient.connect(gateway.port)
            acks = [await client.request(adt(hetu, 1)),
                    await client.request(adt(f"X{hetu}Y", 2))]
            await client.close()
        finally:
            await gateway.stop()
        logged = capsys.readouterr()
    assert [(a.code, a.error_code) for a in acks] == [("AE", "hl7.control-id.identity-code")] * 2
    assert "hl7.control-id.identity-code" in logged.err  # the answer was logged, without it
    assert hetu not in logged.out + logged.err + caplog.text
    letters = await read_all(kafka_bootstrap, topics.deadletter, expected=2, settle=0.5)
    assert len(letters) == 2
    assert all(hetu.encode() not in r.key for r in letters)
    assert all(hetu.encode() not in value for r in letters for _, value in r.headers)
