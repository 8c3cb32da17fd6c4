"""MLLP framing: `<VT> message <FS><CR>`, decoded incrementally from whatever TCP delivers.

The decoder is pure (bytes in, events out) so every split of a stream can be tested without
a socket. Choices, and why:

- Bytes outside a frame are skipped up to the next start block and reported as a count,
  never as content. Whitespace between frames (some senders add `\\n` after `<FS><CR>`) is
  skipped silently.
- A frame ends at `<FS>`; the `<CR>` that should follow is consumed when it comes. Waiting
  for it before answering would stall senders that omit it, and `<FS>` never occurs inside
  an ER7 message.
- A start block inside a frame means the sender gave up on the partial message and started
  again (a retry after its own timeout): the partial one is reported skipped, unanswered.
- A frame larger than the limit is not buffered: its first bytes are kept (to read MSH-10
  for the AE) and the rest is counted and dropped until the end block. One that goes on
  past `max_discard` bytes is reported unfinished; the connection then closes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c"
CARRIAGE_RETURN = b"\x0d"
HEAD_BYTES = 4096  # of an oversized frame, kept to read its MSH segment
_BLOCK = re.compile(b"[\x0b\x1c]")
_WHITESPACE = b" \t\r\n"


def frame(payload: bytes) -> bytes:
    """Wrap one message for the wire."""
    return START_BLOCK + payload + END_BLOCK + CARRIAGE_RETURN


@dataclass(frozen=True, slots=True)
class Frame:
    """A complete message between a start block and an end block."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Oversized:
    """A frame over the limit: `size` bytes (so far, when not `ended`), `head` its start."""

    size: int
    head: bytes
    ended: bool


@dataclass(frozen=True, slots=True)
class Skipped:
    """Bytes that belong to no message: outside frames, or a frame restarted before its end."""

    size: int
    reason: str  # "outside-frame" | "restarted"


Event = Frame | Oversized | Skipped


class _State(Enum):
    OUTSIDE = 1
    INSIDE = 2
    DISCARDING = 3
    BROKEN = 4  # an endless oversized frame: nothing more is read


class FrameDecoder:
    """Feed it bytes as they arrive; it returns the events they complete, in order."""

    def __init__(self, max_frame_bytes: int, max_discard_bytes: int | None = None) -> None:
        self.max_frame_bytes = max_frame_bytes
        if max_discard_bytes is None:
            max_discard_bytes = 16 * max_frame_bytes
        self.max_discard_bytes = max(max_discard_bytes, max_frame_bytes)
        self._state = _State.OUTSIDE
        self._buffer = bytearray()
        self._head = b""
        self._size = 0  # payload bytes of the current frame, kept or not
        self._skipped = 0
        self._skipped_text = False  # the skipped run holds more than whitespace
        self._swallow_cr = False

    @property
    def in_frame(self) -> bool:
        """A frame has started and not ended (bytes would be lost if the stream stopped)."""
        return self._state in (_State.INSIDE, _State.DISCARDING)

    @property
    def pending_bytes(self) -> int:
        return self._size if self.in_frame else 0

    @property
    def broken(self) -> bool:
        return self._state is _State.BROKEN

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        i, n = 0, len(data)
        while i < n and self._state is not _State.BROKEN:
            if self._state is _State.OUTSIDE:
                i = self._outside(data, i, events)
            else:
                i = self._inside(data, i, events)
        self._flush_skipped(events)
        return events

    def _outside(self, data: bytes, i: int, events: list[Event]) -> int:
        if self._swallow_cr:
            self._swallow_cr = False
            if data[i:i + 1] == CARRIAGE_RETURN:
                return i + 1
        start = data.find(START_BLOCK, i)
        end = len(data) if start < 0 else start
        if end > i:
            self._skipped += end - i
            self._skipped_text = self._skipped_text or bool(data[i:end].strip(_WHITESPACE))
        if start < 0:
            return end
        self._flush_skipped(events)
        self._begin()
        return start + 1

    def _inside(self, data: bytes, i: int, events: list[Event]) -> int:
        match = _BLOCK.search(data, i)
        stop = len(data) if match is None else match.start()
        self._take(data[i:stop], events)
        if match is None or self._state is _State.BROKEN:
            return len(data)
        if data[stop:stop + 1] == END_BLOCK:
            events.append(self._finish())
            self._state = _State.OUTSIDE
            self._swallow_cr = True
        else:  # a new start block: the partial frame is abandoned
            events.append(Skipped(self._size, "restarted"))
            self._begin()
        return stop + 1

    def _take(self, chunk: bytes, events: list[Event]) -> None:
        if not chunk:
            return
        self._size += len(chunk)
        if self._state is _State.INSIDE:
            if self._size <= self.max_frame_bytes:
                self._buffer += chunk
                return
            self._head = bytes((self._buffer + chunk)[:HEAD_BYTES])
            self._buffer = bytearray()
            self._state = _State.DISCARDING
        elif len(self._head) < HEAD_BYTES:
            self._head += chunk[:HEAD_BYTES - len(self._head)]
        if self._size > self.max_discard_bytes:
            events.append(Oversized(self._size, self._head, ended=False))
            self._state = _State.BROKEN

    def _finish(self) -> Frame | Oversized:
        if self._state is _State.DISCARDING:
            return Oversized(self._size, self._head, ended=True)
        payload = bytes(self._buffer)
        self._buffer = bytearray()
        return Frame(payload)

    def _begin(self) -> None:
        self._state = _State.INSIDE
        self._buffer = bytearray()
        self._head = b""
        self._size = 0

    def _flush_skipped(self, events: list[Event]) -> None:
        if self._skipped and self._skipped_text:
            events.append(Skipped(self._skipped, "outside-frame"))
        self._skipped = 0
        self._skipped_text = False
