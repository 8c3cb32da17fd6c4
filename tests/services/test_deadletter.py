"""Dead-letter records keep the original bytes, key and headers, binary ones included."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.deadletter import (
    DeadLetterReason,
    Filter,
    from_deadletter,
    redrive_record,
    to_deadletter,
)


@dataclass
class Record:
    topic: str = "silta.raw.health.hospital-adt.v1"
    partition: int = 2
    offset: int = 41
    timestamp: int = 1_700_000_000_000
    key: bytes | None = b"MSG0001"
    value: bytes | None = b"MSH|^~\\&|\r\xff\xfe binary tail"
    headers: list[tuple[str, bytes]] = field(default_factory=lambda: [
        ("ce_id", b"abc"), ("vendor-signature", b"\x00\x9f\xff")])


def test_round_trip_keeps_everything_and_binary_headers_survive_as_base64() -> None:
    record = Record()
    reason = DeadLetterReason("hl7.segment.missing", "PID", "no PID segment", "ingest", "hl7v2/1")
    out = to_deadletter(record, reason, "silta.deadletter.v1")
    for _, value in out.headers:
        value.decode("utf-8")  # FastStream decodes header values as UTF-8
    stored = Record(topic=out.topic, partition=0, offset=7, key=out.key, value=out.value,
                    headers=list(out.headers))
    letter = from_deadletter(stored)
    assert letter.value == record.value and letter.key == record.key
    assert letter.original_headers == record.headers
    assert letter.context["code"] == "hl7.segment.missing"
    assert letter.context["source-offset"] == "41"
    assert letter.id == "0:7"
    again = redrive_record(letter)
    assert (again.topic, again.value, again.key) == (record.topic, record.value, record.key)
    assert list(again.headers) == record.headers


def test_filters_match_codes_by_prefix_and_ids() -> None:
    out = to_deadletter(Record(), DeadLetterReason("hl7.segment.missing", "PID", "x", "ingest"),
                        "dl")
    letter = from_deadletter(Record(topic="dl", partition=1, offset=3, key=out.key,
                                    value=out.value, headers=list(out.headers)))
    assert Filter(code="hl7.").matches(letter)
    assert Filter(code="hl7.segment.missing").matches(letter)
    assert not Filter(code="fhir.").matches(letter)
    assert Filter(ids=("1:3",)).matches(letter) and not Filter(ids=("1:4",)).matches(letter)
    assert Filter(stage="ingest", source_topic=Record.topic).matches(letter)
