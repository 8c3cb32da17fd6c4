"""The gateway with an HL7 client nobody here wrote: python-hl7's MLLPClient and its
`mllp_send` command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import hl7
from hl7.client import MLLPClient

from services.gateways.mllp import MllpGateway
from tests.services.gateways.mllp.support import adt, golden
from tests.support.pipeline import PipelineTopics, read_all

MLLP_SEND = Path(sys.executable).parent / "mllp_send"


def _send_all(port: int, messages: list[bytes]) -> list[bytes]:
    with MLLPClient("127.0.0.1", port) as client:
        return [client.send_message(message) for message in messages]


async def test_mllp_client_gets_aa_and_the_topic_holds_the_bytes_sent(
        gateway: MllpGateway, topics: PipelineTopics, kafka_bootstrap: str) -> None:
    messages = [golden("adt_a01_v251"), golden("adt_a03_v28"), golden("adt_a01_custom_encoding"),
                adt("PYHL7-1", 5), adt("PYHL7-2", 6, version="2.3")]
    answers = await asyncio.to_thread(_send_all, gateway.port, messages)
    for message, answer in zip(messages, answers, strict=True):
        assert answer.startswith(b"\x0b") and answer.endswith(b"\x1c\r")
        ack = hl7.parse(answer[1:-2].decode("utf-8"))
        sent = hl7.parse(message.decode("utf-8"))
        assert str(ack.segment("MSA")(1)) == "AA"
        assert str(ack.segment("MSA")(2)) == str(sent.segment("MSH")(10))
        assert str(ack.segment("MSH")(12)) == str(sent.segment("MSH")(12))
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=len(messages))
    assert sorted(r.value for r in records) == sorted(messages)


async def test_mllp_send_command_line(gateway: MllpGateway, topics: PipelineTopics,
                                      kafka_bootstrap: str, tmp_path: Path) -> None:
    messages = [adt("CLI-1", 1), adt("CLI-2", 2), golden("oru_r01_v251")]
    batch = tmp_path / "batch.hl7"
    batch.write_bytes(b"".join(b"\x0b" + m + b"\x1c\r" for m in messages))
    process = await asyncio.create_subprocess_exec(
        str(MLLP_SEND), "--port", str(gateway.port), "--file", str(batch), "127.0.0.1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    acks = [hl7.parse(line.strip(b"\x0b\x1c\r").decode()) for line in out.split(b"\x1c\r\n")
            if line.strip()]
    assert [str(a.segment("MSA")(1)) for a in acks] == ["AA", "AA", "AA"]
    assert [str(a.segment("MSA")(2)) for a in acks] == ["CLI-1", "CLI-2", "LAB0001"]
    # mllp_send strips leading/trailing <VT> and <CR> from each message before framing it.
    sent = sorted(m.strip(b"\x0b\r") for m in messages)
    records = await read_all(kafka_bootstrap, topics.raw("hl7v2"), expected=3)
    assert sorted(r.value for r in records) == sent
