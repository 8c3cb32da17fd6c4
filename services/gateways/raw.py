"""Raw records as both gateways write them and the ingest service consumes them: the
bytes exactly as received, a key, and CloudEvents-style headers. Pure; no I/O.

- key: the source's own record id (MLLP: MSH-10; HTTP: the id the body names), else the
  ce_id. An id that looks like an identity code is never a key;
- headers: `ce_id` (sha256 hex[:32] of source id + 0x1F + bytes: a re-sent message gets
  the same id, and the pipeline recognises it), `ce_source`, `ce_type`
  (`fi.silta.raw.<format>.received.v1`), `ce_specversion`, `ce_time` (receipt, RFC 3339
  UTC) and `content-type`, all UTF-8 text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from contracts.envelope import source_uri
from contracts.hetu import IDENTITY_CODE_SHAPE
from services.kafka.topics import SourceSpec


@dataclass(frozen=True, slots=True)
class RawRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    ce_id: str
    # What services/deadletter.py reads of a consumed record: this one was never consumed.
    partition: int = -1
    offset: int = -1


def ce_id_for(source_id: str, body: bytes) -> str:
    return hashlib.sha256(source_id.encode() + b"\x1f" + body).hexdigest()[:32]


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def raw_record(source: SourceSpec, body: bytes, content_type: str, received_at: dt.datetime,
               record_id: str = "", key_encoding: str = "utf-8") -> RawRecord:
    """The record for `body` on the source's raw topic, keyed by `record_id` when it is
    safe to be a key (encoded in `key_encoding`), else by the ce_id."""
    ce_id = ce_id_for(source.id, body)
    record_id = "" if IDENTITY_CODE_SHAPE.search(record_id) else record_id.strip()
    headers = [
        ("ce_id", ce_id),
        ("ce_source", source_uri(source.id)),
        ("ce_type", f"fi.silta.raw.{source.format}.received.v1"),
        ("ce_specversion", "1.0"),
        ("ce_time", rfc3339(received_at)),
        ("content-type", content_type),
    ]
    return RawRecord(topic=source.topic, value=body, ce_id=ce_id,
                     key=record_id.encode(key_encoding) if record_id else ce_id.encode(),
                     headers=[(name, value.encode()) for name, value in headers])
