"""What the gateway reads of a message: its MSH segment, and whether it is HL7 v2 at all.

The gateway checks only what it needs to store and acknowledge a message: an MSH segment
with usable encoding characters, and bytes that decode as MSH-18 declares (the adapter's
own rules, adapters/hl7v2/charset.py). Everything past MSH (bad segments, a wrong HETU,
an unsupported trigger) is the ingest service's business: such messages are stored and
acknowledged AA, and ingest dead-letters them with the reason.

MSH fields are kept exactly as sent (still escaped): the ACK echoes them in the same
encoding characters, and the MSH segment is read as ISO-8859-1 so that echoing them
re-encodes to the very bytes the sender used, whatever ASCII-compatible character set it
declared (every set table 0211 names that Silta accepts is one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.errors import TranslationError
from adapters.hl7v2 import charset, er7
from adapters.hl7v2.er7 import Encoding
from services.gateways.mllp.errors import MessageRejected

BYTES_CHARSET = "iso8859-1"  # one byte, one character: the echo round-trips exactly
_BOM = b"\xef\xbb\xbf"
_LEADING = b" \t\r\n"
_SEGMENT_END = re.compile(rb"[\r\n]")
_VERSION = re.compile(r"(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class ReceivedHeader:
    """MSH fields of a received message, as sent (escaped, in its encoding characters)."""

    encoding: Encoding
    encoding_characters: str  # MSH-2
    sending_application: str  # MSH-3
    sending_facility: str  # MSH-4
    receiving_application: str  # MSH-5
    receiving_facility: str  # MSH-6
    message_code: str  # MSH-9.1
    trigger: str  # MSH-9.2
    control_id: str  # MSH-10
    processing_id: str  # MSH-11
    version: str  # MSH-12
    charset: str  # MSH-18
    accept_ack: str = ""  # MSH-15: AL, NE, ER, SU
    application_ack: str = ""  # MSH-16: AL, NE, ER, SU

    @property
    def enhanced(self) -> bool:
        """Enhanced acknowledgement mode: MSH-15 or MSH-16 given (else original mode)."""
        return bool(self.accept_ack or self.application_ack)

    @property
    def version_number(self) -> tuple[int, int] | None:
        match = _VERSION.match(self.version.split(self.encoding.component, 1)[0].strip())
        return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True, slots=True)
class Inspection:
    """The header when there is one, and the reason to refuse the message when there is one."""

    header: ReceivedHeader | None
    rejection: MessageRejected | None


def inspect(payload: bytes) -> Inspection:
    """Check a complete frame's message; never raises for bad input."""
    try:
        header = read_header(payload)
    except MessageRejected as rejection:
        return Inspection(None, rejection)
    try:
        charset.decode(payload)
    except TranslationError as exc:
        return Inspection(header, MessageRejected(exc.code, exc.location, exc.message, "102"))
    return Inspection(header, None)


def header_of_head(head: bytes) -> ReceivedHeader | None:
    """The header of an oversized frame's first bytes, if its MSH segment ends in them."""
    if _SEGMENT_END.search(head) is None:
        return None
    try:
        return read_header(head)
    except MessageRejected:
        return None


def read_header(data: bytes) -> ReceivedHeader:
    """MSH of an ER7 message, or MessageRejected saying why this is not one."""
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    body = body.lstrip(_LEADING)
    if not body:
        raise MessageRejected("mllp.frame.empty", "", "the frame holds no message", "100")
    end = _SEGMENT_END.search(body)
    line = (body if end is None else body[:end.start()]).decode(BYTES_CHARSET)
    try:
        message = er7.parse(line, BYTES_CHARSET)
    except TranslationError as exc:
        error = "100" if exc.code == "hl7.segment.missing" else "102"
        raise MessageRejected(exc.code, exc.location, exc.message, error) from None
    msh = message.segments[0]
    if len(msh.raw(2)) < 4:
        raise MessageRejected("hl7.encoding.invalid", "MSH-2",
                              "MSH-2 needs the four encoding characters (component, "
                              "repetition, escape, subcomponent), e.g. ^~\\&", "102")
    message_type = msh.raw(9).split(message.encoding.component)
    return ReceivedHeader(
        encoding=message.encoding, encoding_characters=msh.raw(2),
        sending_application=msh.raw(3), sending_facility=msh.raw(4),
        receiving_application=msh.raw(5), receiving_facility=msh.raw(6),
        message_code=message_type[0],
        trigger=message_type[1] if len(message_type) > 1 else "",
        control_id=msh.raw(10), processing_id=msh.raw(11), version=msh.raw(12),
        charset=msh.raw(18), accept_ack=msh.raw(15).strip().upper(),
        application_ack=msh.raw(16).strip().upper(),
    )
