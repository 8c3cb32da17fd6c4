"""The gateway against the real broker, driven by an asyncio client that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import time

from services.gateways.mllp import MllpGateway, MllpSettings
from tests.services.gateways.mllp.conftest import StartGateway
from tests.services.gateways.mllp.support import (
    END,
    START,
    MllpClient,
    adt,
    frame,
    golden,
)
from tests.support.pipeline import PipelineTopics, read_all


def stored(records: list) -> dict[bytes, bytes]:
    return {r.key: r.value for r in records}


async def test_aa_means_the_exact_bytes_are_in_the_raw_topic(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    messages = [golden("adt_a01_v251"), golden("adt_a01_latin1"), golden("oru_r01_v23")]
    client = await MllpClient.connect(gateway.port)
    acks = [await client.request(m) for m in messages]
    await client.close()
    assert [a.code for a in acks] == ["AA", "AA", "AA"]
    assert [a.control_id for a in acks] == ["MSG0001", "MSG0007", "LAB0002"]
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=3)
    assert len(records) == 3
    by_key = stored(records)
    assert by_key[b"MSG0001"] == messages[0] and by_key[b"MSG0007"] == messages[1]
    headers = dict(records[0].headers)
    assert headers["ce_source"] == f"urn:silta:source:{topics.source_id('hl7v2')}".encode()
    assert headers["ce_type"] == b"fi.silta.raw.hl7v2.received.v1"
    assert headers["ce_specversion"] == b"1.0" and headers["content-type"] == b"application/hl7-v2"
    assert len(headers["ce_id"]) == 32 and headers["ce_time"].endswith(b"Z")


async def test_a_resent_message_gets_the_same_ce_id(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    client = await MllpClient.connect(gateway.port)
    message = adt("RESEND1")
    assert (await client.request(message)).code == "AA"
    assert (await client.request(message)).code == "AA"
    await client.close()
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=2, settle=0.5)
    ids = {dict(r.headers)["ce_id"] for r in records}
    assert len(records) == 2 and len(ids) == 1


async def test_pipelined_messages_are_answered_in_order(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    messages = [adt(f"PIPE{n:03}", n) for n in range(40)]
    client = await MllpClient.connect(gateway.port)
    await client.send_raw(b"".join(frame(m) for m in messages))
    acks = [await client.read_ack() for _ in messages]
    await client.close()
    assert [a.control_id for a in acks] == [f"PIPE{n:03}" for n in range(40)]
    assert {a.code for a in acks} == {"AA"}
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=40, settle=0.5)
    assert stored(records) == {f"PIPE{n:03}".encode(): m for n, m in enumerate(messages)}


async def test_a_frame_sent_byte_by_byte(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    message = adt("BYTES1", 1)
    client = await MllpClient.connect(gateway.port)
    for byte in frame(message):
        await client.send_raw(bytes([byte]))
        await asyncio.sleep(0.001)
    ack = await client.read_ack()
    await client.close()
    assert (ack.code, ack.control_id) == ("AA", "BYTES1")
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=1, settle=0.3)
    assert [r.value for r in records] == [message]


async def test_frames_split_across_reads_at_awkward_places(gateway: MllpGateway) -> None:
    data = frame(adt("SPLIT1")) + frame(adt("SPLIT2"))
    end = data.index(END)
    client = await MllpClient.connect(gateway.port)
    for piece in (data[:1], data[1:end], data[end:end + 1], data[end + 1:end + 3], data[end + 3:]):
        await client.send_raw(piece)
        await asyncio.sleep(0.05)
    acks = [await client.read_ack(), await client.read_ack()]
    await client.close()
    assert [(a.code, a.control_id) for a in acks] == [("AA", "SPLIT1"), ("AA", "SPLIT2")]


async def test_fifty_concurrent_connections(
        start_gateway: StartGateway, settings: MllpSettings, topics: PipelineTopics,
        kafka_bootstrap: str) -> None:
    # Every test client is one peer (127.0.0.1): lift the per-peer limit for this one.
    gateway = await start_gateway(settings.model_copy(update={
        "mllp_max_connections_per_peer": 64}))

    async def sender(n: int) -> list[tuple[str, str]]:
        client = await MllpClient.connect(gateway.port)
        acks = [await client.request(adt(f"C{n:02}M{m}", n)) for m in range(4)]
        await client.close()
        return [(a.code, a.control_id) for a in acks]

    results = await asyncio.gather(*(sender(n) for n in range(50)))
    for n, acks in enumerate(results):
        assert acks == [("AA", f"C{n:02}M{m}") for m in range(4)]
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=200, settle=1.0)
    assert len(records) == 200 and len(stored(records)) == 200


async def test_oversized_frame_gets_ae_and_the_connection_goes_on(
        start_gateway: StartGateway, settings: MllpSettings, topics: PipelineTopics,
        kafka_bootstrap: str) -> None:
    gateway = await start_gateway(settings.model_copy(update={"mllp_max_frame_bytes": 2048}))
    big = adt("BIG1") + b"NTE|1||" + b"x" * 10_000 + b"\r"
    client = await MllpClient.connect(gateway.port)
    await client.send_raw(frame(big)[:3000])
    await asyncio.sleep(0.05)
    await client.send_raw(frame(big)[3000:])
    ack = await client.read_ack()
    assert (ack.code, ack.control_id, ack.error_code) == ("AE", "BIG1", "mllp.frame.too-large")
    assert str(len(big)) in str(ack.message.segment("ERR")(7))
    after = await client.request(adt("SMALL1"))
    await client.close()
    assert (after.code, after.control_id) == ("AA", "SMALL1")
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=1, settle=0.5)
    assert [r.key for r in records] == [b"SMALL1"]


async def test_an_oversized_frame_that_never_ends_closes_the_connection(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={
        "mllp_max_frame_bytes": 1024, "mllp_max_discard_bytes": 8192}))
    client = await MllpClient.connect(gateway.port)
    await client.send_raw(START + adt("ENDLESS") + b"y" * 4000)
    await asyncio.sleep(0.05)
    await client.send_raw(b"y" * 8000)
    ack = await client.read_ack()
    assert (ack.code, ack.control_id, ack.error_code) == ("AE", "ENDLESS", "mllp.frame.too-large")
    assert await client.read_to_eof(5) == b""
    await client.close()


async def test_garbage_outside_frames_is_skipped(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    client = await MllpClient.connect(gateway.port)
    await client.send_raw(b"GET / HTTP/1.1\r\n\r\n" + frame(adt("G1")) + b"\x00\xff\x1c\r"
                          + frame(adt("G2")) + b"\r\n")
    acks = [await client.read_ack(), await client.read_ack()]
    # A frame restarted before its end is dropped unanswered; the whole one that follows counts.
    await client.send_raw(START + b"MSH|^~\\&|half a mess" + frame(adt("G3")))
    acks.append(await client.read_ack())
    await client.close()
    assert [(a.code, a.control_id) for a in acks] == [("AA", "G1"), ("AA", "G2"), ("AA", "G3")]
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=3, settle=0.5)
    assert sorted(stored(records)) == [b"G1", b"G2", b"G3"]
    assert gateway.metrics.skipped_bytes.labels(gateway.source.id, "outside-frame")._value.get() > 0


async def test_what_the_gateway_refuses_gets_ae_with_the_reason(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    cases = [
        (b"", "", "mllp.frame.empty"),
        (b"hello, this is not HL7", "", "hl7.segment.missing"),
        (b"MSH|^~^&|A|B|C|D|||ADT^A01|BADENC|P|2.5.1\r", "", "hl7.encoding.invalid"),
        (adt("BADUTF8") + "PID|2||Ä\r".encode("iso8859-1"), "BADUTF8", "input.encoding.invalid"),
        (adt("UTF16", charset="UNICODE UTF-16"), "UTF16", "hl7.charset.unsupported"),
        (adt("BADHETU", hetu="010180-9001"), "BADHETU", "identity.invalid"),
    ]
    client = await MllpClient.connect(gateway.port)
    for payload, control_id, code in cases:
        ack = await client.request(payload)
        assert (ack.code, ack.control_id, ack.error_code) == ("AE", control_id, code)
    await client.close()
    # Nothing reached the raw topic; everything but the empty frame is kept as a dead letter.
    letters = await read_all(kafka_bootstrap, topics.deadletter, expected=5, settle=0.5)
    assert sorted(r.value for r in letters) == sorted(p for p, _, _ in cases if p)
    assert {dict(r.headers)["silta-dl-stage"] for r in letters} == {b"mllp-gateway"}
    assert await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=0, settle=0.3) == []


async def test_idle_connections_are_closed(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={"mllp_idle_timeout": 0.5}))
    client = await MllpClient.connect(gateway.port)
    assert (await client.request(adt("IDLE1"))).code == "AA"
    started = time.monotonic()
    assert await client.read_to_eof(5) == b""
    assert 0.4 < time.monotonic() - started < 3
    await client.close()
    await asyncio.sleep(0.05)
    assert gateway.open_connections == 0


async def test_connections_over_the_limit_are_refused(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={
        "mllp_max_connections": 2, "mllp_reserved_connections": 0}))
    first, second = await MllpClient.connect(gateway.port), await MllpClient.connect(gateway.port)
    assert (await first.request(adt("L1"))).code == "AA"
    assert (await second.request(adt("L2"))).code == "AA"
    third = await MllpClient.connect(gateway.port)
    assert await third.read_to_eof(5) == b""
    await first.close()
    await asyncio.sleep(0.1)
    fourth = await MllpClient.connect(gateway.port)
    assert (await fourth.request(adt("L4"))).code == "AA"
    for client in (second, third, fourth):
        await client.close()


async def test_stop_answers_what_was_received_then_closes(
        start_gateway: StartGateway, settings: MllpSettings, topics: PipelineTopics,
        kafka_bootstrap: str) -> None:
    gateway = await start_gateway(settings)
    client = await MllpClient.connect(gateway.port)
    await client.send_raw(b"".join(frame(adt(f"STOP{n}", n)) for n in range(20)))
    received = gateway.metrics.received.labels(gateway.source.id)
    while received._value.get() < 20:
        await asyncio.sleep(0.005)
    await gateway.stop()
    acks = [await client.read_ack(1) for _ in range(20)]
    assert [(a.code, a.control_id) for a in acks] == [("AA", f"STOP{n}") for n in range(20)]
    assert await client.read_to_eof(2) == b""
    await client.close()
    try:
        await MllpClient.connect(gateway.port)
        raise AssertionError("a stopped gateway accepted a connection")
    except (ConnectionRefusedError, RuntimeError):
        pass
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=20, settle=0.5)
    assert len(stored(records)) == 20


async def test_kafka_unavailable_gives_ar_quickly(
        start_gateway: StartGateway, offline_settings: MllpSettings) -> None:
    gateway = await start_gateway(offline_settings)
    client = await MllpClient.connect(gateway.port)
    started = time.monotonic()
    acks = [await client.request(adt(f"OFF{n}")) for n in range(3)]
    elapsed = time.monotonic() - started
    await client.close()
    assert [(a.code, a.control_id) for a in acks] == [("AR", f"OFF{n}") for n in range(3)]
    assert {a.error_code for a in acks} == {"kafka.unavailable"}
    assert elapsed < 3
    assert (await gateway.ready() or "").startswith("kafka:")


async def test_a_send_that_times_out_gives_ar(
        start_gateway: StartGateway, kafka_bootstrap: str, offline_settings: MllpSettings) -> None:
    # A reachable broker, but the source's raw topic was never created (and auto-create is
    # off), so Kafka never confirms the record.
    gateway = await start_gateway(offline_settings.model_copy(update={
        "kafka_bootstrap": kafka_bootstrap, "mllp_send_timeout": 1.0}))
    client = await MllpClient.connect(gateway.port)
    started = time.monotonic()
    ack = await client.request(adt("SLOW1"))
    await client.close()
    assert (ack.code, ack.control_id) == ("AR", "SLOW1")
    assert ack.error_code in {"kafka.timeout", "kafka.unavailable"}
    assert 0.9 < time.monotonic() - started < 5
    assert "does not exist" in (await gateway.ready() or "")


async def test_a_small_in_flight_window_still_answers_everything_in_order(
        start_gateway: StartGateway, settings: MllpSettings) -> None:
    gateway = await start_gateway(settings.model_copy(update={"mllp_max_in_flight": 2}))
    client = await MllpClient.connect(gateway.port)
    await client.send_raw(b"".join(frame(adt(f"W{n:02}", n)) for n in range(30)))
    acks = [await client.read_ack() for _ in range(30)]
    await client.close()
    assert [(a.code, a.control_id) for a in acks] == [("AA", f"W{n:02}") for n in range(30)]


async def test_a_sender_that_hangs_up_early_does_not_hurt_others(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    rude = await MllpClient.connect(gateway.port)
    await rude.send_raw(b"".join(frame(adt(f"RUDE{n}", n)) for n in range(10))
                        + START + b"MSH|^~\\&|half")
    rude.writer.transport.abort()  # reset, without reading a single ACK
    polite = await MllpClient.connect(gateway.port)
    assert (await polite.request(adt("POLITE1"))).code == "AA"
    await polite.close()
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=1, settle=1.0)
    # Whatever was read before the reset is stored (the sender, without its ACKs, will
    # resend it); the partial frame is not.
    assert b"POLITE1" in stored(records)
    assert all(r.value.endswith(b"\r") for r in records)
