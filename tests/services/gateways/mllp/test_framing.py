"""The MLLP decoder, without sockets: every way TCP can split a stream gives the same events."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from services.gateways.mllp.framing import (
    HEAD_BYTES,
    Frame,
    FrameDecoder,
    Oversized,
    Skipped,
    frame,
)

MSG = b"MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5.1\rPID|1\r"


def decode(chunks: list[bytes], max_frame: int = 1024, max_discard: int | None = None) -> list:
    decoder = FrameDecoder(max_frame, max_discard)
    events = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def test_one_frame() -> None:
    assert decode([frame(MSG)]) == [Frame(MSG)]


def test_pipelined_frames_in_one_read() -> None:
    assert decode([frame(b"one") + frame(b"two") + frame(b"three")]) == [
        Frame(b"one"), Frame(b"two"), Frame(b"three")]


def test_byte_by_byte() -> None:
    data = frame(MSG) + frame(b"second")
    assert decode([bytes([b]) for b in data]) == [Frame(MSG), Frame(b"second")]


def test_end_block_without_carriage_return_still_ends_the_frame() -> None:
    assert decode([b"\x0bone\x1c\x0btwo\x1c"]) == [Frame(b"one"), Frame(b"two")]


def test_empty_frame_is_a_frame() -> None:
    assert decode([frame(b"")]) == [Frame(b"")]


def test_bytes_outside_frames_are_skipped_and_counted() -> None:
    events = decode([b"junk" + frame(b"one") + b"\x00\x01" + frame(b"two") + b"tail"])
    assert events == [Skipped(4, "outside-frame"), Frame(b"one"), Skipped(2, "outside-frame"),
                      Frame(b"two"), Skipped(4, "outside-frame")]


def test_whitespace_between_frames_is_not_reported() -> None:
    assert decode([frame(b"one") + b"\r\n \n" + frame(b"two") + b"\n"]) == [
        Frame(b"one"), Frame(b"two")]


def test_a_start_block_inside_a_frame_abandons_the_partial_one() -> None:
    events = decode([b"\x0bpartial", b" more\x0bwhole\x1c\r"])
    assert events == [Skipped(len(b"partial more"), "restarted"), Frame(b"whole")]


def test_oversized_frame_is_discarded_up_to_its_end_and_the_next_one_decodes() -> None:
    big = b"MSH|^~\\&|" + b"x" * 5000
    events = decode([frame(big)[:3000], frame(big)[3000:] + frame(b"next")], max_frame=1024)
    assert events == [Oversized(len(big), big[:HEAD_BYTES], ended=True), Frame(b"next")]


def test_frame_exactly_at_the_limit_is_kept() -> None:
    assert decode([frame(b"y" * 1024)], max_frame=1024) == [Frame(b"y" * 1024)]
    assert isinstance(decode([frame(b"y" * 1025)], max_frame=1024)[0], Oversized)


def test_endless_oversized_frame_breaks_the_decoder() -> None:
    decoder = FrameDecoder(1024, 4096)
    events = decoder.feed(b"\x0b" + b"z" * 3000)
    assert events == [] and decoder.in_frame
    events = decoder.feed(b"z" * 3000 + frame(b"never read"))
    assert len(events) == 1
    assert isinstance(events[0], Oversized) and not events[0].ended and events[0].size > 4096
    assert decoder.broken
    assert decoder.feed(frame(b"ignored")) == []


def test_pending_bytes_of_an_unfinished_frame() -> None:
    decoder = FrameDecoder(1024)
    decoder.feed(b"\x0babc")
    assert decoder.in_frame and decoder.pending_bytes == 3


_payload = st.binary(max_size=300).map(lambda b: b.replace(b"\x0b", b"").replace(b"\x1c", b""))


@settings(max_examples=300, deadline=None)
@given(payloads=st.lists(_payload, min_size=1, max_size=6),
       cuts=st.lists(st.integers(min_value=0), max_size=30))
def test_any_split_of_a_stream_gives_the_same_frames(
        payloads: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frame(p) for p in payloads)
    assert decode(split(stream, cuts), max_frame=512) == [Frame(p) for p in payloads]


@settings(max_examples=200, deadline=None)
@given(payloads=st.lists(_payload, min_size=1, max_size=4),
       junk=st.lists(_payload.map(lambda b: b.replace(b"\x0b", b"")), min_size=1, max_size=5),
       cuts=st.lists(st.integers(min_value=0), max_size=20))
def test_junk_between_frames_never_loses_or_invents_a_frame(
        payloads: list[bytes], junk: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(j + frame(p) for j, p in zip(junk, payloads, strict=False))
    frames = [e for e in decode(split(stream, cuts), max_frame=512) if isinstance(e, Frame)]
    assert frames == [Frame(p) for _, p in zip(junk, payloads, strict=False)]
