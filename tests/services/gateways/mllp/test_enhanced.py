"""Enhanced acknowledgement mode (MSH-15/16): a commit acknowledgement once the bytes are
stored, then the application acknowledgement, each as the message asks."""

from __future__ import annotations

import hl7
import pytest

from services.gateways.mllp import MllpGateway, MllpSettings
from services.gateways.mllp.ack import AckCode, answers
from services.gateways.mllp.errors import MessageRejected
from services.gateways.mllp.header import read_header
from tests.services.gateways.mllp.conftest import StartGateway
from tests.services.gateways.mllp.support import MllpClient, adt
from tests.support.pipeline import PipelineTopics, read_all

REJECTED = MessageRejected("identity.invalid", "PID-3", "a valid check character", "102")


@pytest.mark.parametrize(("accept", "application", "code", "committed", "expected"), [
    ("", "", AckCode.AA, True, ["AA"]),  # original mode
    ("AL", "AL", AckCode.AA, True, ["CA", "AA"]),
    ("AL", "AL", AckCode.AE, True, ["CA", "AE"]),
    ("AL", "AL", AckCode.AR, False, ["CR"]),
    ("AL", "AL", AckCode.AE, False, ["CE"]),
    ("NE", "AL", AckCode.AA, True, ["AA"]),
    ("ER", "ER", AckCode.AA, True, []),
    ("ER", "ER", AckCode.AE, True, ["AE"]),
    ("ER", "ER", AckCode.AR, False, ["CR"]),
    ("SU", "SU", AckCode.AE, True, ["CA"]),
    ("AL", "", AckCode.AA, True, ["CA", "AA"]),
    ("", "NE", AckCode.AA, True, ["CA"]),
])
def test_which_acknowledgements_are_sent(accept: str, application: str, code: AckCode,
                                         committed: bool, expected: list[str]) -> None:
    header = read_header(adt("E1", accept_ack=accept, application_ack=application))
    refusal = None if code is AckCode.AA else REJECTED
    sent = answers(header, code, refusal, committed)
    assert [a.code.value for a in sent] == expected
    assert [a.application for a in sent] == [c in ("AA", "AE") and header.enhanced
                                             for c in expected]


async def test_commit_then_application_acknowledgement_on_the_same_connection(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    client = await MllpClient.connect(gateway.port)
    good = await _answers(client, adt("ENH1", 1, accept_ack="AL", application_ack="AL"), 2)
    bad = await _answers(client, adt("ENH2", 2, hetu="010180-9001", accept_ack="AL",
                                     application_ack="AL"), 2)
    only_errors = await _answers(client, adt("ENH3", 3, hetu="010180-9001", accept_ack="NE",
                                             application_ack="ER"), 1)
    original = await _answers(client, adt("ORIG1", 4), 1)
    await client.close()
    assert [(a.code, a.control_id) for a in good] == [("CA", "ENH1"), ("AA", "ENH1")]
    assert [(a.code, a.error_code) for a in bad] == [("CA", ""), ("AE", "identity.invalid")]
    assert [(a.code, a.error_code) for a in only_errors] == [("AE", "identity.invalid")]
    assert [a.code for a in original] == ["AA"]
    # The application acknowledgement asks for no acknowledgement in return.
    app_msh = good[1].message.segment("MSH")
    assert (str(app_msh(15)), str(app_msh(16))) == ("NE", "NE")
    assert str(good[0].message.segment("MSH")(15)) == ""
    raw = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=2, settle=0.5)
    assert sorted(r.key for r in raw) == [b"ENH1", b"ORIG1"]


async def test_kafka_away_is_a_commit_reject(
        start_gateway: StartGateway, offline_settings: MllpSettings) -> None:
    gateway = await start_gateway(offline_settings)
    client = await MllpClient.connect(gateway.port)
    [ack] = await _answers(client, adt("ENH9", accept_ack="AL", application_ack="AL"), 1)
    assert (await client.read_to_eof(0.5)) is None  # nothing more: no application ACK
    await client.close()
    assert (ack.code, ack.error_code) == ("CR", "kafka.unavailable")


async def _answers(client: MllpClient, message: bytes, count: int) -> list:
    await client.send(message)
    acks = [await client.read_ack() for _ in range(count)]
    for ack in acks:
        assert isinstance(ack.message, hl7.Message)
    return acks
