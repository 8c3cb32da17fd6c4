"""HL7 v2 original-mode acknowledgements: MSH + MSA (+ ERR on AE/AR).

The ACK mirrors the received message: sending and receiving application/facility swapped,
the same field separator, encoding characters, processing id, version and MSH-18, a fresh
MSH-10, and MSA-2 = the received MSH-10. Echoed fields are copied as sent (already escaped
in those encoding characters); Silta's own text is HL7-escaped.

Where the reason goes depends on the version, because the segments changed:
- MSA-3 (text message) carries `code at location: reason` up to 2.6; 2.7 withdrew it;
- ERR up to 2.4 has one field, ERR-1 (segment^sequence^field^code&text&HL70357);
- ERR from 2.5 has ERR-2 location (segment^sequence^field^repetition^component), ERR-3
  the HL7 error code (table 0357), ERR-4 severity, ERR-5 Silta's error code, ERR-7 the
  diagnosis (`code at location: reason`) and ERR-8 what the sender should do.

A location that names no segment (an empty frame, a message-wide problem) is given as
`MSH^1`: the message its header identifies.

A frame that is not HL7 has no header to mirror: its ACK uses `|^~\\&`, version 2.5.1 and
an empty MSA-2.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from adapters.hl7v2.er7 import Encoding
from services.gateways.mllp.errors import Refusal
from services.gateways.mllp.header import BYTES_CHARSET, ReceivedHeader

DEFAULT_VERSION = "2.5.1"
_HL7_ERRORS = {  # HL7 table 0357
    "100": "Segment sequence error", "101": "Required field missing",
    "102": "Data type error", "103": "Table value not found",
    "200": "Unsupported message type", "201": "Unsupported event code",
    "203": "Unsupported version id", "207": "Application internal error",
}
# Adapter locations: `PID-3[1].1`, `OBX[2]-5`, `DG1-3.3`, `MSH-9`, `PID` (adapters/errors.py).
_LOCATION = re.compile(
    r"([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?(?:-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?)?(?=$|[ ,.])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NO_HEADER = ReceivedHeader(
    encoding=Encoding(), encoding_characters="^~\\&", sending_application="",
    sending_facility="", receiving_application="", receiving_facility="", message_code="",
    trigger="", control_id="", processing_id="P", version=DEFAULT_VERSION, charset="")


class AckCode(StrEnum):
    AA = "AA"  # translated and stored durably in Kafka
    AE = "AE"  # cannot be accepted as sent: fix the message, do not resend it unchanged
    AR = "AR"  # not stored now (Kafka unavailable): send it again
    # Enhanced mode, commit (accept) acknowledgements: whether the bytes are stored.
    CA = "CA"  # stored (in the raw topic, or with its reason on the dead-letter topic)
    CE = "CE"  # cannot be stored as sent (empty, over the size limit)
    CR = "CR"  # not stored now (Kafka unavailable): send it again


@dataclass(frozen=True, slots=True)
class AckIdentity:
    """Who answers when the message does not say whom it was sent to (MSH-5/MSH-6)."""

    application: str = "SILTA"
    facility: str = ""


def build_ack(header: ReceivedHeader | None, code: AckCode, refusal: Refusal | None = None,
              identity: AckIdentity = AckIdentity(), *, control_id: str | None = None,
              now: dt.datetime | None = None, application: bool = False) -> bytes:
    """The ACK message (without MLLP framing), encoded byte for byte like the MSH it answers.

    `application`: an enhanced-mode application acknowledgement, itself a message, whose
    MSH-15/16 (NE, NE) ask the sender not to acknowledge it in turn."""
    h = header or _NO_HEADER
    enc = h.encoding
    version = h.version_number or (2, 5)
    segments = [
        _msh(h, identity, version, control_id or new_control_id(), now or dt.datetime.now(dt.UTC),
             application),
        _msa(h, code, refusal, version),
    ]
    if refusal is not None:
        segments.append(_err(refusal, enc, version))
    return "".join(segment + "\r" for segment in segments).encode(BYTES_CHARSET, "replace")


@dataclass(frozen=True, slots=True)
class Answer:
    code: AckCode
    refusal: Refusal | None
    application: bool = False  # an enhanced-mode application acknowledgement


_COMMIT = {AckCode.AR: AckCode.CR, AckCode.AE: AckCode.CE}


def answers(header: ReceivedHeader | None, code: AckCode, refusal: Refusal | None,
            committed: bool) -> list[Answer]:
    """What to send for one message, in order.

    Original mode (MSH-15 and MSH-16 empty): the one ACK. Enhanced mode: a commit
    acknowledgement (CA when the bytes are stored, in the raw topic or with their reason on
    the dead-letter topic; CR when Kafka did not take them; CE when they cannot be stored),
    as MSH-15 asks; then, for a stored message, the application acknowledgement (AA or AE)
    as MSH-16 asks. AL always, NE never, ER only on an error, SU only on success; an empty
    one of the two means AL."""
    if header is None or not header.enhanced:
        return [Answer(code, refusal)]
    commit = AckCode.CA if committed else _COMMIT.get(code, AckCode.CE)
    out = []
    if _wanted(header.accept_ack, commit is AckCode.CA):
        out.append(Answer(commit, None if committed else refusal))
    if committed and _wanted(header.application_ack, code is AckCode.AA):
        out.append(Answer(code, refusal, application=True))
    return out


def _wanted(rule: str, success: bool) -> bool:
    return (rule in ("", "AL") or (rule == "SU" and success)
            or (rule == "ER" and not success))


def new_control_id() -> str:
    """20 characters: the MSH-10 length limit up to HL7 2.6."""
    return uuid.uuid4().hex[:20].upper()


def escape(text: str, enc: Encoding) -> str:
    """HL7-escape `text` for a field in `enc`; control characters and non-ASCII become `?`."""
    e = enc.escape
    table = {e: f"{e}E{e}", enc.field: f"{e}F{e}", enc.component: f"{e}S{e}",
             enc.subcomponent: f"{e}T{e}", enc.repetition: f"{e}R{e}"}
    if enc.truncation:
        table[enc.truncation] = f"{e}P{e}"
    plain = _CONTROL.sub(" ", text).encode("ascii", "replace").decode("ascii")
    return "".join(table.get(char, char) for char in plain)


def _msh(h: ReceivedHeader, identity: AckIdentity, version: tuple[int, int], control_id: str,
         now: dt.datetime, application: bool) -> str:
    enc = h.encoding
    c = enc.component
    message_type = "ACK"
    if h.trigger:
        message_type += f"{c}{h.trigger}" + (f"{c}ACK" if version >= (2, 4) else "")
    fields = [
        h.encoding_characters,
        h.receiving_application or escape(identity.application, enc),
        h.receiving_facility or escape(identity.facility, enc),
        h.sending_application, h.sending_facility,
        now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S") + "+0000", "",
        message_type, control_id, h.processing_id or "P", h.version or DEFAULT_VERSION,
    ]
    ack_types = ["NE", "NE"] if application else ["", ""]  # MSH-15, MSH-16
    if h.charset:
        fields += ["", "", *ack_types, "", h.charset]  # MSH-13..18
    elif application:
        fields += ["", "", *ack_types]
    return "MSH" + enc.field + enc.field.join(fields)


def _msa(h: ReceivedHeader, code: AckCode, refusal: Refusal | None,
         version: tuple[int, int]) -> str:
    fields = ["MSA", code.value, h.control_id]
    if refusal is not None and version < (2, 7):
        fields.append(escape(str(refusal), h.encoding))
    return h.encoding.field.join(fields)


def error_location(refusal: Refusal) -> list[str]:
    """ERR-2 components: segment id, sequence, field, repetition, component."""
    if refusal.erl:
        return list(refusal.erl)
    match = _LOCATION.match(refusal.location)
    if match is None:
        return ["MSH", "1"]
    segment, sequence, field, repetition, component = match.groups()
    parts = [segment, sequence or "1", field or "", repetition or ("1" if component else ""),
             component or ""]
    while parts[-1] == "":
        parts.pop()
    return parts


def _user_message(refusal: Refusal) -> str:
    if refusal.ack_code == "AR":
        return f"Not stored: {refusal.reason}."
    what = _HL7_ERRORS.get(refusal.hl7_error, "Error")
    where = f" at {refusal.location}" if refusal.location else ""
    return (f"{what}{where}: {refusal.reason}. Correct it in the sending system; the same "
            "message sent again unchanged is refused again.")


def _err(refusal: Refusal, enc: Encoding, version: tuple[int, int]) -> str:
    c, s = enc.component, enc.subcomponent
    hl7_code = refusal.hl7_error
    hl7_text = _HL7_ERRORS.get(hl7_code, "")
    where = [escape(part, enc) for part in error_location(refusal)]
    if version < (2, 5):
        where = [*where, "", "", ""][:3]
        eld = c.join([*where, s.join([hl7_code, hl7_text, "HL70357"])])
        return enc.field.join(["ERR", eld])
    fields = ["ERR", "", c.join(where), c.join([hl7_code, hl7_text, "HL70357"]), "E",
              escape(refusal.code, enc), "", escape(str(refusal), enc),
              escape(_user_message(refusal), enc)]
    return enc.field.join(fields)
