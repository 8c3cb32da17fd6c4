"""What every HL7 v2 message shares: the MSH header, the client (PID/PD1) and event building.

PID-3 choice: the client's identity is CX-1 (component 1, subcomponent 1) of the first
PID-3 repetition whose assigning authority (CX-4: HD-2, or HD-1 when only the namespace
is filled) is `1.2.246.21`, or whose identifier type code (CX-5) is `NNFIN` (HL7 table
0203 national person identifier, Finland). Hospital record numbers and other
repetitions are ignored. CX-2/CX-3 (check digit and scheme) are not used: the HETU's own
check character is verified instead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from adapters.base import SourceInfo, build_event
from adapters.errors import TranslationError
from adapters.hl7v2.er7 import Message, Segment
from adapters.hl7v2.values import hd_oid, parse_ts
from adapters.identity import validate_hetu
from contracts import systems
from contracts.events import ContractEvent

_HETU_OID = "1.2.246.21"
_CONTROL_ID = re.compile(r"[!-~]{1,64}\Z")
_VERSIONS = re.compile(r"2\.(3|4|5|6|7|8)(\.[0-9])?\Z")


@dataclass(frozen=True)
class Header:
    message_code: str
    trigger: str
    control_id: str
    facility_oid: str | None
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class Context:
    """Everything a mapping needs besides its own segments."""

    message: Message
    source: SourceInfo
    header: Header
    client: dict[str, Any]
    meta: dict[str, Any] | None
    recorded_at: dt.datetime | None  # ce_time: when the source recorded the change

    def emit(self, event_type: str, resource: dict[str, Any], *, id: str, subject: str,
             corrects: str | None = None, location: str = "") -> ContractEvent:
        """`build_event`, with values scrubbed from contract failures (see `_scrubbed`)."""
        try:
            return build_event(event_type, resource, self.source, id=id, subject=subject,
                               time=self.recorded_at, corrects=corrects, location=location)
        except TranslationError as exc:
            raise _scrubbed(exc) from None

    def control_id(self) -> str:
        """MSH-10, required where an event needs a fresh, re-send-stable id."""
        value = self.header.control_id
        if not value:
            raise TranslationError("hl7.field.missing", "MSH-10",
                                   "a message control id is needed for this message type")
        if not _CONTROL_ID.match(value):
            raise TranslationError("hl7.value.invalid", "MSH-10",
                                   "a message control id of 1-64 printable ASCII characters")
        return value

    def local_system(self, kind: str) -> str:
        return f"{self.source.uri}:{kind}"


def _scrubbed(exc: TranslationError) -> TranslationError:
    # A contract failure's "found" part can quote the offending value, which for a
    # valueString or a display is free text from the message; keep only what was expected.
    message = exc.message.split(", found ", 1)[0]
    return TranslationError(exc.code, exc.location, f"{message} (value not shown)")


def read_header(message: Message) -> Header:
    msh = message.segments[0]
    code, trigger = msh.get(9, 1).strip(), msh.get(9, 2).strip()
    if not code or not trigger:
        raise TranslationError("hl7.field.missing", "MSH-9",
                               "a message type with code and trigger event, e.g. ADT^A01")
    version = msh.get(12).strip()
    if not _VERSIONS.match(version):
        raise TranslationError("hl7.version.unsupported", "MSH-12",
                               "an HL7 version from 2.3 to 2.8")
    return Header(
        message_code=code.upper(), trigger=trigger.upper(), control_id=msh.get(10).strip(),
        facility_oid=hd_oid(msh.get(4, 1), msh.get(4, 2), msh.get(4, 3)),
        sent_at=parse_ts(msh.get(7), "MSH-7"),
    )


def client_reference(message: Message) -> dict[str, Any]:
    pid = message.first("PID")
    if pid is None:
        raise TranslationError("hl7.segment.missing", "PID", "a PID segment with the client")
    for rep in range(1, len(pid.repetitions(3)) + 1):
        if not _is_hetu_repetition(pid, rep):
            continue
        value = pid.get(3, 1, 1, rep).strip()
        if not value:
            break
        validate_hetu(value, f"PID-3[{rep}].1")
        return {"identifier": {"system": systems.HETU, "value": value}, "type": "Patient"}
    raise TranslationError("identity.missing", "PID-3",
                           "a PID-3 identifier assigned by 1.2.246.21 (personal identity "
                           "code) or typed NNFIN")


def _is_hetu_repetition(pid: Segment, rep: int) -> bool:
    authority = hd_oid(pid.get(3, 4, 1, rep), pid.get(3, 4, 2, rep))
    if authority == _HETU_OID:
        return True
    return pid.get(3, 5, 1, rep).strip().upper() == "NNFIN"


def security_meta(message: Message, header: Header) -> dict[str, Any] | None:
    """The register the record belongs to (MSH-4 holder) and PD1-12 turvakielto."""
    security = []
    if header.facility_oid:
        security.append({"system": systems.PATIENT_REGISTER, "code": header.facility_oid})
    pd1 = message.first("PD1")
    if pd1 is not None and pd1.get(12).strip().upper() == "Y":
        security.append({"system": systems.SECURITY_LABEL, "code": systems.TURVAKIELTO})
    return {"security": security} if security else None


def service_provider(header: Header) -> dict[str, Any] | None:
    if not header.facility_oid:
        return None
    return {"identifier": {"system": systems.SOTE_ORGANISATION, "value": header.facility_oid},
            "type": "Organization"}


def make_context(message: Message, source: SourceInfo, header: Header,
                 recorded_at: dt.datetime | None) -> Context:
    return Context(
        message=message, source=source, header=header, client=client_reference(message),
        meta=security_meta(message, header), recorded_at=recorded_at or header.sent_at,
    )
