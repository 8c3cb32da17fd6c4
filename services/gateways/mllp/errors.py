"""Errors of the MLLP gateway; each one decides the ACK code a sender gets."""

from __future__ import annotations

from contracts.errors import SiltaError


class Refusal(SiltaError):
    """Why a message was not accepted: a code, where in the message, and a human reason.

    The reason travels to the sender in the ACK (MSA-3/ERR) and to the log, so it never
    quotes the message: it says what was expected and what kind of thing was found.
    `hl7_error` is the HL7 table 0357 code for ERR-3; `erl` the ERR-2 components when the
    location alone cannot name them (see validation.py).
    """

    ack_code = "AE"
    hl7_error = "207"  # HL7 table 0357: application internal error
    erl: tuple[str, ...] = ()

    def __init__(self, code: str, location: str, reason: str) -> None:
        self.code = code
        self.location = location
        self.reason = reason
        super().__init__(f"{code} at {location}: {reason}" if location else f"{code}: {reason}")


class MessageRejected(Refusal, ValueError):
    """The message is not one the gateway accepts as sent (AE): sending it again won't help."""

    def __init__(self, code: str, location: str, reason: str, hl7_error: str = "207") -> None:
        super().__init__(code, location, reason)
        self.hl7_error = hl7_error


class StoreUnavailable(Refusal):
    """Kafka did not take or confirm the record in time (AR): the sender should send it
    again. The gateway's answer to a BrokerUnavailable (records.py) or a timeout."""

    ack_code = "AR"
