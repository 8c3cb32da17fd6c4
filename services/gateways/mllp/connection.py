"""One MLLP connection: a reader that frames, checks and hands messages to Kafka, and a
writer that answers them in the order they came.

Pipelining: the reader does not wait for Kafka's answer before reading the next frame; it
queues each message with its pending delivery, and the writer settles them one by one.
So a sender that pipelines gets one ACK per message, in order, while the producer batches
their records; a sender that waits for each ACK (the usual MLLP client) sees no difference.
The queue is bounded (`mllp_max_in_flight`): when it is full the reader stops reading,
and TCP pushes back on the sender.

What each message is answered, and when: pending.py.

Timeouts: `mllp_idle_timeout` seconds since the last frame byte read or ACK written, with
no ACK owed, closes the connection; so does a sender that stops reading its ACKs that
long. Bytes outside frames do not count as activity, and a frame must end within
`mllp_frame_timeout` of its first byte, so trickling bytes (slow-loris) cannot hold a
connection open.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.gateways.mllp.ack import AckCode, AckIdentity, Answer, answers, build_ack
from services.gateways.mllp.errors import Refusal
from services.gateways.mllp.framing import Event, FrameDecoder, Oversized, Skipped, frame
from services.gateways.mllp.metrics import MllpMetrics
from services.gateways.mllp.pending import Pending, accept, oversized, settle
from services.gateways.mllp.settings import MllpSettings
from services.gateways.mllp.validation import safe_control_id
from services.gateways.producer import RawProducer
from services.kafka.topics import SourceSpec

READ_BYTES = 64 * 1024
_LOGGED_ID_CHARS = 64


@dataclass(frozen=True)
class GatewayContext:
    """What every connection of one gateway shares."""

    settings: MllpSettings
    source: SourceSpec
    producer: RawProducer
    metrics: MllpMetrics
    identity: AckIdentity
    log: Any


@dataclass
class _Stats:
    messages: int = 0
    bytes: int = 0
    acks: Counter[str] = field(default_factory=Counter)


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 ctx: GatewayContext, peer: str) -> None:
        self._reader = reader
        self._writer = writer
        self._ctx = ctx
        self._settings = ctx.settings
        self._queue: asyncio.Queue[Pending | None] = asyncio.Queue(
            maxsize=ctx.settings.mllp_max_in_flight)
        self._unanswered = 0
        self._closing = False
        self._broken = False  # the peer went away: ACKs can no longer be written
        self._read_deadline: asyncio.Timeout | None = None
        self._last_activity = 0.0  # loop time of the last byte read or ACK written
        self._stats = _Stats()
        self.log = ctx.log.bind(peer=peer)

    def begin_close(self) -> None:
        """Stop reading; ACKs owed for messages already read are still written."""
        self._closing = True
        if self._read_deadline is not None:
            self._read_deadline.reschedule(asyncio.get_running_loop().time())

    async def run(self) -> None:
        started = asyncio.get_running_loop().time()
        self.log.info("connection opened")
        writer_task = asyncio.create_task(self._write_loop())
        try:
            await self._read_loop()
        except (ConnectionError, OSError) as exc:
            self.log.info("connection lost while reading", error=type(exc).__name__)
        except Exception:
            self.log.exception("connection failed")
        finally:
            self._closing = True
            try:
                await self._queue.put(None)
                await writer_task  # the ACKs owed for what was read
            finally:
                if not writer_task.done():  # cut short (cancelled at shutdown)
                    writer_task.cancel()
                await self._close()
                self.log.info("connection closed", messages=self._stats.messages,
                              bytes=self._stats.bytes, acks=dict(self._stats.acks),
                              seconds=round(asyncio.get_running_loop().time() - started, 3))

    async def _read_loop(self) -> None:
        settings = self._settings
        decoder = FrameDecoder(settings.mllp_max_frame_bytes, settings.mllp_max_discard_bytes)
        frame_started: float | None = None  # loop time of the unfinished frame's first read
        self._last_activity = asyncio.get_running_loop().time()
        while not self._closing:
            data = await self._read(decoder, frame_started)
            if data is None:
                return
            if not data:
                if decoder.in_frame:
                    self.log.warning("connection closed mid-frame; partial message dropped",
                                     bytes=decoder.pending_bytes)
                return
            self._stats.bytes += len(data)
            self._ctx.metrics.received_bytes_one.inc(len(data))
            events = decoder.feed(data)
            for event in events:
                if not await self._handle(event) or self._closing:
                    return
            frame_started = self._after_read(decoder, events, frame_started)

    async def _read(self, decoder: FrameDecoder, frame_started: float | None) -> bytes | None:
        """The next bytes (b"" at the end of the stream); None when the connection is to
        close without them: closing, idle, or a frame not finished in time."""
        loop = asyncio.get_running_loop()
        idle = self._settings.mllp_idle_timeout
        frame_deadline = (math.inf if frame_started is None
                          else frame_started + self._settings.mllp_frame_timeout)
        while not self._closing:
            try:
                async with asyncio.timeout_at(
                        min(self._last_activity + idle, frame_deadline)) as deadline:
                    self._read_deadline = deadline
                    return await self._reader.read(READ_BYTES)
            except TimeoutError:
                if loop.time() >= frame_deadline and not self._closing:
                    self._frame_timed_out(decoder.pending_bytes)
                    return None
                if self._unanswered:  # the sender waits for us, it is not idle
                    self._last_activity = loop.time()
                if not self._closing and loop.time() >= self._last_activity + idle:
                    self.log.info("idle timeout, closing", idle_s=idle,
                                  mid_frame_bytes=decoder.pending_bytes)
                    return None
            finally:
                self._read_deadline = None
        return None

    def _after_read(self, decoder: FrameDecoder, events: list[Event],
                    frame_started: float | None) -> float | None:
        """Note the sender's activity; the start of the frame still unfinished, if any.
        Called after handling: time spent waiting for room in the in-flight queue is ours,
        not the sender's, and must not count against its frame."""
        now = asyncio.get_running_loop().time()
        ended = any(not isinstance(e, Skipped) for e in events)
        if decoder.in_frame or ended:
            self._last_activity = now  # junk between frames is not activity
        if not decoder.in_frame:
            return None
        return now if frame_started is None or ended else frame_started

    def _frame_timed_out(self, pending_bytes: int) -> None:
        metrics = self._ctx.metrics
        metrics.skipped_bytes.labels(metrics.source, "frame-timeout").inc(pending_bytes)
        self.log.warning("frame not finished in time, closing",
                         frame_timeout_s=self._settings.mllp_frame_timeout,
                         mid_frame_bytes=pending_bytes)

    async def _handle(self, event: Event) -> bool:
        """Queue the event's ACK; False when the connection should stop reading."""
        metrics = self._ctx.metrics
        if isinstance(event, Skipped):
            metrics.skipped_bytes.labels(metrics.source, event.reason).inc(event.size)
            what = ("bytes outside frames skipped" if event.reason == "outside-frame"
                    else "partial frame abandoned: a new start block came before its end")
            self.log.warning(what, bytes=event.size)
            return True
        now = asyncio.get_running_loop().time()
        metrics.received_one.inc()
        self._stats.messages += 1
        if isinstance(event, Oversized):
            metrics.skipped_bytes.labels(metrics.source, "oversized").inc(event.size)
            item = oversized(event, self._settings, now)
        else:
            metrics.message_bytes_one.observe(len(event.payload))
            ctx = self._ctx
            item = await accept(event.payload, ctx.source, ctx.producer, self._settings, now)
        self._unanswered += 1
        await self._queue.put(item)
        return not item.close_after

    async def _write_loop(self) -> None:
        while (item := await self._queue.get()) is not None:
            try:
                code, refusal = await settle(item, self._settings)
                committed = item.delivery is not None and item.failure is None
                for answer in answers(item.header, code, refusal, committed):
                    if not self._broken:
                        await self._write_ack(item, answer)
                        self._last_activity = asyncio.get_running_loop().time()
                self._acknowledged(item, code, refusal)
            except Exception:
                # Keep draining the queue so the reader never blocks on a dead writer.
                self.log.exception("writing an ACK failed")
                self._break()
            finally:
                self._unanswered -= 1

    async def _write_ack(self, item: Pending, answer: Answer) -> None:
        ack = build_ack(item.header, answer.code, answer.refusal, self._ctx.identity,
                        application=answer.application)
        try:
            self._writer.write(frame(ack))
            async with asyncio.timeout(self._settings.mllp_idle_timeout):
                await self._writer.drain()
        except (ConnectionError, OSError, TimeoutError) as exc:
            self.log.info("cannot write ACKs, dropping the connection", error=type(exc).__name__)
            self._break()

    def _break(self) -> None:
        self._broken = True
        self._closing = True
        self._writer.transport.abort()

    def _acknowledged(self, item: Pending, code: AckCode, refusal: Refusal | None) -> None:
        seconds = asyncio.get_running_loop().time() - item.received_at
        reason = refusal.code if refusal is not None else "ok"
        if self._broken:
            self._stats.acks[f"{code.value}-unsent"] += 1
        else:
            self._ctx.metrics.acked(code.value, reason, seconds)
            self._stats.acks[code.value] += 1
        control_id = safe_control_id(item.header)[:_LOGGED_ID_CHARS]
        log = self.log.info if refusal is None else self.log.warning
        log("message answered", code=code.value, reason=reason, control_id=control_id,
            ce_id=item.ce_id or None, bytes=item.size, ms=round(seconds * 1000, 2),
            sent=not self._broken, detail=refusal.reason if refusal is not None else None)

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()
            async with asyncio.timeout(5):
                await self._writer.wait_closed()

