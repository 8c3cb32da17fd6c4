"""What the gateway checks before it answers: the MSH fields an ACK needs, and (unless the
source is store-and-forward) whether the adapter translates the message.

The adapters are pure and take tens of microseconds, so translating before answering
costs little and tells the sender at once what ingest would otherwise only dead-letter.
Each adapter error becomes an HL7 table 0357 code for ERR-3; the adapter's own code,
location and message travel unchanged (ERR-5/7/8 and the dead letter), and adapter
messages never repeat an identity code (adapters/errors.py).
"""

from __future__ import annotations

import datetime as dt
import re

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.hetu import IDENTITY_CODE_SHAPE
from services.gateways.mllp.errors import MessageRejected
from services.gateways.mllp.header import Inspection, ReceivedHeader, inspect
from services.kafka.topics import SourceSpec

_BY_CODE = {  # adapter error code -> HL7 table 0357
    "hl7.segment.missing": "100", "hl7.segment.invalid": "100",
    "hl7.field.missing": "101", "identity.missing": "101",
    "hl7.value.invalid": "102", "hl7.datetime.invalid": "102", "hl7.encoding.invalid": "102",
    "identity.invalid": "102", "input.encoding.invalid": "102", "contract.violation": "102",
    "privacy.identifier-in-code": "102", "hl7.value-type.unsupported": "102",
    "hl7.value.unsupported": "103", "hl7.code-system.unsupported": "103",
    "hl7.charset.unsupported": "103",
    "hl7.version.unsupported": "203",
}
_TRANSLATED_TYPES = frozenset({"ADT", "ORU"})
_LINE = re.compile(r"segment (\d+)")  # the tokenizer's location for a line it cannot read
_SEGMENT_END = re.compile(rb"\r\n|\r|\n")


def hl7_error(code: str, header: ReceivedHeader | None = None) -> str:
    """The HL7 table 0357 code for an adapter error code."""
    if code == "hl7.trigger.unsupported":
        # 201 when Silta knows the message type but not this event, else 200.
        known = header is not None and header.message_code.upper() in _TRANSLATED_TYPES
        return "201" if known else "200"
    return _BY_CODE.get(code, "207")


def safe_control_id(header: ReceivedHeader | None) -> str:
    """MSH-10 when it may be logged and used as a key: '' when it looks like an identity code."""
    if header is None or IDENTITY_CODE_SHAPE.search(header.control_id):
        return ""
    return header.control_id.strip()


def judge(payload: bytes, source: SourceSpec, translate: bool,
          received_at: dt.datetime) -> Inspection:
    """Everything the gateway checks of one complete frame, in order: that it is HL7 it can
    store and answer (header.py), the MSH fields an answer needs, and with `translate` that
    the adapter translates it. Never raises for bad input."""
    inspection = inspect(payload)
    header, rejection = inspection.header, inspection.rejection
    if header is None or rejection is not None:
        return inspection
    rejection = check_header(header)
    if rejection is None and translate:
        rejection = translate_check(payload, header, source, received_at)
    return Inspection(header, rejection)


def check_header(header: ReceivedHeader) -> MessageRejected | None:
    """The MSH fields every answer needs: a type, a control id to echo, a version."""
    if not header.message_code or not header.trigger:
        return MessageRejected("hl7.field.missing", "MSH-9", "a message type with code and "
                               "trigger event, e.g. ADT^A01", "101")
    if not header.control_id.strip():
        return MessageRejected("hl7.field.missing", "MSH-10", "a message control id, which "
                               "the ACK echoes in MSA-2", "101")
    if IDENTITY_CODE_SHAPE.search(header.control_id):
        return MessageRejected("hl7.control-id.identity-code", "MSH-10", "a message control "
                               "id that is not a personal identity code (value not shown); "
                               "use the sending system's own message number", "102")
    if not header.version.strip():
        return MessageRejected("hl7.field.missing", "MSH-12", "an HL7 version id, e.g. 2.5.1",
                               "101")
    return None


def translate_check(payload: bytes, header: ReceivedHeader, source: SourceSpec,
                    received_at: dt.datetime) -> MessageRejected | None:
    """None when the source's adapter translates the message, else why it does not."""
    info = SourceInfo(source.id, source.sector, received_at)
    try:
        translator(source.format)(payload, info)
    except TranslationError as error:
        rejection = MessageRejected(error.code, error.location, error.message,
                                    hl7_error(error.code, header))
        if (line := _LINE.fullmatch(error.location)) is not None:
            rejection.erl = (_segment_id(payload, int(line.group(1))),)
        return rejection
    except Exception as error:  # an adapter bug is ours: the sender hears 207
        return MessageRejected("adapter.crash", "", f"the adapter raised "
                               f"{type(error).__name__}; this is a Silta bug, not the "
                               "message's: the message is kept for redrive", "207")
    return None


def _segment_id(payload: bytes, number: int) -> str:
    """ERR-2.1 for the `number`th line: the three characters it starts with, as sent (an
    unreadable segment has no id of its own; a segment id is too short to be a HETU)."""
    lines = _SEGMENT_END.split(payload.strip())  # numbered as adapters/hl7v2/er7.py does
    line = lines[number - 1] if 0 < number <= len(lines) else b""
    return line[:3].decode("ascii", "replace")
