"""Test helpers: synthetic HL7 messages and a small asyncio MLLP client that can misbehave
(split frames, pipeline, send garbage) on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hl7

from contracts.hetu import make_hetu

START, END = b"\x0b", b"\x1c\r"
GOLDEN = Path(__file__).resolve().parents[3] / "data" / "hl7v2"


def synthetic_hetu(n: int) -> str:
    """A valid HETU with a temporary individual number (900-999)."""
    return make_hetu(dt.date(1980, 1, 1) + dt.timedelta(days=n * 37), 900 + n % 100)


def adt(control_id: str, n: int = 0, *, version: str = "2.5.1", trigger: str = "A01",
        charset: str = "UNICODE UTF-8", hetu: str | None = None, accept_ack: str = "",
        application_ack: str = "") -> bytes:
    """A small ADT message with a synthetic client, which the adapter translates; with
    `accept_ack`/`application_ack` (MSH-15/16) in enhanced acknowledgement mode."""
    hetu = hetu or synthetic_hetu(n)
    return "\r".join([
        f"MSH|^~\\&|POTILAS|POTILAS^1.2.246.10.1234567.10.0^ISO|SILTA|SILTA|20250303083000||"
        f"ADT^{trigger}^ADT_A01|{control_id}|P|{version}|||{accept_ack}|{application_ack}|FIN|"
        f"{charset}",
        f"EVN|{trigger}|20250303083100",
        f"PID|1||{hetu}^^^&1.2.246.21&ISO^NNFIN||Testi^Henkilö{n}",
        f"PV1|1|I|OSASTO1|||||||MED|||||||||V{n}^^^&1.2.246.10.1234567.10.0.1&ISO^VN"
        + "|" * 25 + "20250303083000",
    ]).encode() + b"\r"


def golden(name: str) -> bytes:
    return (GOLDEN / f"{name}.hl7").read_bytes()


def frame(payload: bytes) -> bytes:
    return START + payload + END


@dataclass
class Ack:
    raw: bytes

    @property
    def message(self) -> Any:
        return hl7.parse(self.raw.decode("iso8859-1"))

    @property
    def code(self) -> str:
        return str(self.message.segment("MSA")(1))

    @property
    def control_id(self) -> str:
        return str(self.message.segment("MSA")(2))

    @property
    def error_code(self) -> str:
        """ERR-5 (Silta's dotted code, HL7 2.5+), or '' without ERR."""
        message = self.message
        try:
            return str(message.segment("ERR")(5))
        except KeyError:
            return ""


class MllpClient:
    """An asyncio MLLP client for tests: send frames whole, in pieces or pipelined."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, host: str = "127.0.0.1") -> MllpClient:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send(self, payload: bytes) -> None:
        await self.send_raw(frame(payload))

    async def read_ack(self, timeout: float = 15.0) -> Ack:
        data = await asyncio.wait_for(self.reader.readuntil(END), timeout)
        start = data.find(START)
        assert start >= 0, f"no start block before the end block: {data[:80]!r}"
        assert not data[:start].strip(), f"bytes before the ACK frame: {data[:start]!r}"
        return Ack(data[start + 1:-2])

    async def request(self, payload: bytes, timeout: float = 15.0) -> Ack:
        await self.send(payload)
        return await self.read_ack(timeout)

    async def read_to_eof(self, timeout: float) -> bytes | None:
        """Everything until the server closes the connection, or None if it stays open."""
        try:
            return await asyncio.wait_for(self.reader.read(), timeout)
        except TimeoutError:
            return None
        except ConnectionError:
            return b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
