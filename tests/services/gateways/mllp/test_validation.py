"""Answers after validation, as a vendor sees them with python-hl7's `mllp_send` and
`MLLPClient` (clients nobody here wrote): AE with ERR segments for what the sender must fix,
the bytes on the dead-letter topic with the same reason; AA for what translates."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import hl7
import pytest
from hl7.client import MLLPClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.hetu import IDENTITY_CODE_SHAPE
from services.gateways.mllp import MllpGateway, MllpSettings, build_server
from tests.services.gateways.mllp.conftest import StartGateway
from tests.services.gateways.mllp.support import adt, golden
from tests.support.pipeline import PipelineTopics, read_all

MLLP_SEND = Path(sys.executable).parent / "mllp_send"
GOLDEN = ["adt_a01_v251", "adt_a02_v251", "adt_a03_v28", "adt_a04_v23", "adt_a08_v251",
          "adt_a11_v251", "adt_a13_v251", "adt_a01_latin1", "adt_a01_custom_encoding",
          "oru_r01_v23", "oru_r01_v251"]
TABLE_0357 = {"100", "101", "102", "103", "200", "201", "203", "207"}
BASE = golden("adt_a01_v251")
HETU = "100190-999P"  # in BASE's PID-3


def _segments(message: bytes) -> list[bytes]:
    return [s for s in message.split(b"\r") if s]


def _without(message: bytes, name: bytes) -> bytes:
    return b"".join(s + b"\r" for s in _segments(message) if not s.startswith(name))


def _replace(message: bytes, old: bytes, new: bytes) -> bytes:
    assert old in message
    return message.replace(old, new, 1)


# The five messages of issue 10: message, Silta's code and location, ERR-2, ERR-3.
FIVE = {
    "no PID": (_without(BASE, b"PID|"), "hl7.segment.missing", "PID", "PID^1", "100"),
    "wrong check character": (_replace(BASE, HETU.encode(), b"100190-999A"),
                              "identity.invalid", "PID-3[2].1", "PID^1^3^2^1", "102"),
    "SIU^S12": (_replace(BASE, b"ADT^A01^ADT_A01", b"SIU^S12^SIU_S12"),
                "hl7.trigger.unsupported", "MSH-9", "MSH^1^9", "200"),
    "no identity code": (_replace(BASE, b"~100190-999P^^^&1.2.246.21&ISO^NNFIN", b""),
                         "identity.missing", "PID-3", "PID^1^3", "101"),
    "truncated MSH": (b"MSH|^~\\&|UNA|OY", "hl7.field.missing", "MSH-9", "MSH^1^9", "101"),
}


def _acks(output: bytes) -> list[hl7.Message]:
    return [hl7.parse(part.strip(b"\x0b\x1c\r\n").decode("utf-8"))
            for part in output.split(b"\x1c\r\n") if part.strip()]


def _check_ae(ack: hl7.Message, code: str, location: str, hl7_code: str) -> None:
    assert str(ack.segment("MSA")(1)) == "AE"
    err = ack.segment("ERR")
    assert (str(err(5)), str(err(2)), str(err(3)(1)(1))) == (code, location, hl7_code)
    assert str(err(3)(1)(3)) == "HL70357" and str(err(4)) == "E"
    user_message = ack.unescape(str(err(8)))
    assert "Correct it in the sending system" in user_message
    assert IDENTITY_CODE_SHAPE.search(str(ack.segment("MSA")) + str(err)) is None


async def test_the_five_bad_messages_of_issue_10_get_ae_with_the_reason(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str,
        tmp_path: Path) -> None:
    batch = tmp_path / "five.hl7"
    batch.write_bytes(b"".join(b"\x0b" + m + b"\x1c\r" for m, *_ in FIVE.values()))
    process = await asyncio.create_subprocess_exec(
        str(MLLP_SEND), "--port", str(gateway.port), "--file", str(batch), "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    acks = _acks(out)
    assert len(acks) == 5
    for ack, (_, code, _, erl, hl7_code) in zip(acks, FIVE.values(), strict=True):
        _check_ae(ack, code, erl, hl7_code)
    assert [str(a.segment("MSA")(2)) for a in acks] == ["MSG0001"] * 4 + [""]
    # Kept: each on the dead-letter topic with the reason the sender was given.
    letters = await read_all(kafka_bootstrap, topics.deadletter, expected=5, settle=0.5)
    reasons = sorted((dict(r.headers)["silta-dl-code"], dict(r.headers)["silta-dl-location"])
                     for r in letters)
    assert reasons == sorted((code.encode(), where.encode()) for _, code, where, *_ in
                             FIVE.values())
    assert {r.value for r in letters} == {m.strip(b"\r") for m, *_ in FIVE.values()}
    assert await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=0, settle=0.3) == []


def _send_all(port: int, messages: list[bytes]) -> list[hl7.Message]:
    with MLLPClient("127.0.0.1", port) as client:
        answers = [client.send_message(message) for message in messages]
    return [hl7.parse(a[1:-2].decode("iso8859-1")) for a in answers]


async def test_every_golden_message_gets_aa_and_is_in_the_raw_topic(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    messages = [golden(name) for name in GOLDEN]
    acks = await asyncio.to_thread(_send_all, gateway.port, messages)
    assert [str(a.segment("MSA")(1)) for a in acks] == ["AA"] * len(GOLDEN)
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=len(GOLDEN))
    assert sorted(r.value for r in records) == sorted(messages)


@pytest.mark.parametrize(("msh", "location"), [
    (b"MSH|^~\\&|A|B|C|D|20250303||ADT^A01|||2.5.1\r", "MSH-10"),
    (b"MSH|^~\\&|A|B|C|D|20250303|||CTRL1|P|2.5.1\r", "MSH-9"),
    (b"MSH|^~\\&|A|B|C|D|20250303||ADT^A01|CTRL2|P|\r", "MSH-12"),
])
async def test_a_required_msh_field_missing_is_ae_never_aa(
        gateway: MllpGateway, msh: bytes, location: str) -> None:
    [ack] = await asyncio.to_thread(_send_all, gateway.port, [msh + BASE.split(b"\r", 1)[1]])
    assert str(ack.segment("MSA")(1)) == "AE"
    assert str(ack.segment("ERR")(3)(1)(1)) == "101"
    assert str(ack.segment("ERR")(2)) == location.replace("-", "^1^")


async def test_store_and_forward_answers_aa_once_stored(
        start_gateway: StartGateway, settings: MllpSettings, topics: PipelineTopics,
        kafka_bootstrap: str) -> None:
    gateway = await start_gateway(settings.model_copy(update={"mllp_ack_after": "storage"}))
    messages = [m for m, *_ in FIVE.values()][:4]  # content errors; the fifth has no MSH-9
    acks = await asyncio.to_thread(_send_all, gateway.port, messages)
    assert [str(a.segment("MSA")(1)) for a in acks] == ["AA"] * 4
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=4)
    assert sorted(r.value for r in records) == sorted(messages)


async def test_a_bad_message_while_kafka_is_away_gets_ar(
        start_gateway: StartGateway, offline_settings: MllpSettings) -> None:
    # AE promises the bytes are kept; while the dead-letter topic is unreachable they are not.
    gateway = await start_gateway(offline_settings)
    acks = await asyncio.to_thread(_send_all, gateway.port, [FIVE["no PID"][0], adt("OK1")])
    assert [str(a.segment("MSA")(1)) for a in acks] == ["AR", "AR"]


@pytest.fixture
def threaded_gateway(settings: MllpSettings) -> Iterator[int]:
    """The gateway on an event loop of its own thread, so a synchronous hypothesis test can
    send to it with python-hl7's blocking client. Yields the port."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    gateway = build_server(settings)
    asyncio.run_coroutine_threadsafe(gateway.start(), loop).result(30)
    try:
        yield gateway.port
    finally:
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=12)


@st.composite
def mistaken(draw: st.DrawFn) -> bytes:
    """A golden message with one mistake: a segment dropped or added, a field replaced
    (separators and escapes included), or the message cut short."""
    segments = _segments(golden(draw(st.sampled_from(GOLDEN))).replace(b"\n", b"\r"))
    kind = draw(st.sampled_from(["drop", "field", "cut", "insert"]))
    if kind == "cut":
        data = b"\r".join(segments)
        return data[:draw(st.integers(1, len(data) - 1))]
    at = draw(st.integers(1, len(segments) - 1))
    if kind == "drop":
        del segments[at]
    elif kind == "insert":
        segments.insert(at, draw(_text).encode("utf-8"))
    else:
        fields = segments[at].split(b"|")
        n = draw(st.integers(1, max(1, len(fields) - 1)))
        fields[n:n + 1] = [draw(_text).encode("utf-8")]
        segments[at] = b"|".join(fields)
    return b"\r".join(segments) + b"\r"


@hypothesis_settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=mistaken())
def test_every_mistaken_message_gets_ae_with_err_3_and_err_2_and_every_good_one_aa(
        threaded_gateway: int, payload: bytes) -> None:
    with MLLPClient("127.0.0.1", threaded_gateway) as client:
        answer = client.send_message(payload)
    ack = hl7.parse(answer[1:-2].decode("iso8859-1"))
    code = str(ack.segment("MSA")(1))
    # The oracle is the adapter itself, called here on its own: AA exactly when it
    # translates (and MSH carries what an answer needs), else AE naming its error.
    error = _translation_error(payload)
    if code == "AA":
        assert error is None
        return
    assert code == "AE", answer
    err = ack.segment("ERR")
    c = ack.separators[3]  # the sender's component separator, mirrored
    if len(err) > 2:  # HL7 2.5 and later
        location, hl7_code = str(err(2)), str(err(3)(1)(1))
        # The adapter's error; or, for the header, the gateway's own stricter MSH checks
        # (the four encoding characters, MSH-9, 10 and 12 present).
        if error is not None and not error.location.startswith("MSH"):
            assert str(err(5)) == error.code
        else:
            assert location.startswith(f"MSH{c}1")
    else:  # before 2.5: ERR-1 is segment^sequence^field^code&text&HL70357
        location, hl7_code = str(err(1)).rsplit(c, 1)[0], str(err(1)(1)(4)(1))
    assert hl7_code in TABLE_0357
    assert re.fullmatch(f"[^{re.escape(c)}]+({re.escape(c)}\\d*){{0,4}}", location), location
    assert IDENTITY_CODE_SHAPE.search(str(ack.segment("MSA")) + str(err)) is None


def _translation_error(payload: bytes) -> TranslationError | None:
    info = SourceInfo("s", "health", dt.datetime(2025, 3, 3, tzinfo=dt.UTC))
    try:
        translator("hl7v2")(payload, info)
    except TranslationError as error:
        return error
    return None
