"""Raw records as ingest consumes them: the body exactly as received, a key, and
CloudEvents-style headers. Pure functions; no I/O.

- value: the request body bytes, unchanged;
- key: the source's record id where the body names one (FHIR `<resourceType>/<id>`,
  including `Bundle/<id>`; social `document.id`), else the ce_id. A candidate that looks
  like an identity code, or is not short printable text, is never used;
- headers: `ce_id` (sha256 hex[:32] of source id + 0x1F + body: a re-sent body gets the same
  id), `ce_source`, `ce_type`, `ce_specversion`, `ce_time` (receipt, RFC 3339 UTC) and
  `content-type`, all UTF-8 text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from services.kafka.topics import SourceSpec

_HETU_ANYWHERE = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]")
_SAFE_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


@dataclass(frozen=True)
class RawRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    ce_id: str


def ce_id_for(source_id: str, body: bytes) -> str:
    return hashlib.sha256(source_id.encode() + b"\x1f" + body).hexdigest()[:32]


def record_id(fmt: str, document: dict[str, Any]) -> str | None:
    """The source's own id of the record, when the body names one safely."""
    candidate: Any = None
    if fmt == "fhir":
        kind, ident = document.get("resourceType"), document.get("id")
        if isinstance(kind, str) and isinstance(ident, str):
            candidate = f"{kind}/{ident}"
    elif fmt == "social":
        meta = document.get("document")
        candidate = meta.get("id") if isinstance(meta, dict) else None
    if not isinstance(candidate, str) or not _SAFE_KEY.match(candidate):
        return None
    return None if _HETU_ANYWHERE.search(candidate) else candidate


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def build_record(source: SourceSpec, body: bytes, document: dict[str, Any], media_type: str,
                 received_at: dt.datetime) -> RawRecord:
    ce_id = ce_id_for(source.id, body)
    key = record_id(source.format, document) or ce_id
    headers = [
        ("ce_id", ce_id),
        ("ce_source", f"urn:silta:source:{source.id}"),
        ("ce_type", f"fi.silta.raw.{source.format}.received.v1"),
        ("ce_specversion", "1.0"),
        ("ce_time", rfc3339(received_at)),
        ("content-type", media_type),
    ]
    return RawRecord(source.topic, key.encode(), body,
                     [(name, value.encode()) for name, value in headers], ce_id)
