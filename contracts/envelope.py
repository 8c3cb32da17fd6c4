"""The CloudEvents 1.0 envelope in the Kafka binary binding: attributes travel as headers.

`ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_time`, `ce_subject`,
`ce_dataschema` and `content-type` carry the standard attributes; `ce_corrects` is Silta's
extension attribute naming the `id` of the event an amendment or retraction corrects.
`source` + `id` is the idempotency key from the first hop to the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import ContractError
from contracts.failures import describe_expected, describe_found
from contracts.structs import mirror
from contracts.systems import SILTA_CANONICAL

FHIR_JSON: Final = "application/fhir+json"
SILTA_JSON: Final = "application/json"
_TEXT = r"^[^\x00-\x1f\x7f]+$"


def source_uri(source_id: str) -> str:
    """`ce_source` of everything a source system sends (its id as in deploy/topics.yaml)."""
    return f"urn:silta:source:{source_id}"


# Catalogue events and Silta's own records (fi.silta.timeline.entry.v1,
# fi.silta.raw.hl7v2.received.v1): segments are lowercase words that may hold digits.
ENVELOPE_TYPE_PATTERN = r"^fi\.silta\.[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+\.v[1-9][0-9]*$"
Headers = Iterable[tuple[str, bytes]]


def schema_uri(event_type: str) -> str:
    major = event_type.rsplit(".", 1)[1]
    return f"{SILTA_CANONICAL}/schemas/{major}/{event_type}.json"


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    id: str = Field(min_length=1, max_length=256, pattern=_TEXT)
    source: str = Field(min_length=1, max_length=512, pattern=r"^\S+$",
                        description="URI-reference of the system where the record lives")
    type: str = Field(pattern=ENVELOPE_TYPE_PATTERN)
    specversion: Literal["1.0"] = "1.0"
    time: AwareDatetime = Field(description="when the source recorded the change (RFC 3339)")
    subject: str | None = Field(None, max_length=256, pattern=_TEXT)
    dataschema: str | None = Field(None, max_length=512, pattern=r"^\S+$")
    datacontenttype: Literal["application/fhir+json", "application/json"] = FHIR_JSON
    corrects: str | None = Field(None, min_length=1, max_length=256, pattern=_TEXT,
                                 description="id of the event this one amends or retracts")

    def to_headers(self) -> list[tuple[str, bytes]]:
        return to_headers(self)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.id)


def to_headers(envelope: Any) -> list[tuple[str, bytes]]:
    """The Kafka headers of an envelope (an `Envelope`, or its mirror from structs.py)."""
    headers = [
        ("ce_id", envelope.id.encode()), ("ce_source", envelope.source.encode()),
        ("ce_type", envelope.type.encode()), ("ce_specversion", envelope.specversion.encode()),
        ("ce_time", envelope.time.isoformat().encode()),
        ("content-type", envelope.datacontenttype.encode()),
    ]
    for header, value in (("ce_subject", envelope.subject),
                          ("ce_dataschema", envelope.dataschema),
                          ("ce_corrects", envelope.corrects)):
        if value is not None:
            headers.append((header, value.encode()))
    return headers


def fast_envelope(attributes: dict[str, Any], *, checks: bool = True) -> Any | None:
    """The envelope's mirror (structs.py) for attribute values, or None: then
    `Envelope.model_validate` has the verdict (`checks=False`: its shape only)."""
    envelope_mirror = mirror(Envelope)
    return None if envelope_mirror is None else envelope_mirror.from_attributes(
        attributes, checks=checks)


_ATTRIBUTE_FOR_HEADER = {
    "ce_id": "id", "ce_source": "source", "ce_type": "type", "ce_specversion": "specversion",
    "ce_time": "time", "ce_subject": "subject", "ce_dataschema": "dataschema",
    "ce_corrects": "corrects", "content-type": "datacontenttype",
}
_HEADER_FOR_ATTRIBUTE = {v: k for k, v in _ATTRIBUTE_FOR_HEADER.items()}


def headers_to_dict(headers: Headers | Mapping[str, bytes | str]) -> dict[str, str]:
    """Decode header values as UTF-8; undecodable values become a ContractError."""
    items = headers.items() if isinstance(headers, dict | Mapping) else headers
    try:  # the hot path: Kafka gives a tuple of (str, bytes) pairs
        return {name: raw.decode() if isinstance(raw, bytes) else str(raw) for name, raw in items}
    except UnicodeDecodeError:
        pass
    out: dict[str, str] = {}
    for name, raw in (headers.items() if isinstance(headers, Mapping) else headers):
        try:
            out[name] = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        except UnicodeDecodeError:
            raise ContractError(f"/headers/{name}", "UTF-8 text", "undecodable bytes") from None
    return out


def attributes_of(decoded: dict[str, str]) -> dict[str, str]:
    """The envelope's attributes among decoded headers (other headers are not its)."""
    return {_ATTRIBUTE_FOR_HEADER[name]: value for name, value in decoded.items()
            if name in _ATTRIBUTE_FOR_HEADER}


def envelope_from_headers(headers: Headers | Mapping[str, bytes | str]) -> Envelope:
    """Read the envelope from Kafka headers; raise ContractError at the first problem."""
    failures = envelope_failures(headers)
    if isinstance(failures, Envelope):
        return failures
    raise failures[0]


def envelope_failures(headers: Headers | Mapping[str, bytes | str]) -> Envelope | list[ContractError]:
    """The envelope, or every problem with it (for the conformance report)."""
    try:
        decoded = headers_to_dict(headers)
    except ContractError as exc:
        return [exc]
    try:
        return Envelope.model_validate(attributes_of(decoded))
    except ValidationError as exc:
        return [
            ContractError(f"/headers/{_HEADER_FOR_ATTRIBUTE.get(str(e['loc'][0]), e['loc'][0])}",
                          describe_expected(e), describe_found(e))
            for e in exc.errors()
        ]
