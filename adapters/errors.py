"""TranslationError: the one error an adapter raises on bad input."""

from __future__ import annotations

from contracts.errors import SiltaError


class TranslationError(SiltaError, ValueError):
    """Input that cannot become contract events.

    code      machine-readable reason, dotted: `hl7.segment.missing`, `identity.invalid`,
              `json.malformed`, `fhir.resource.unsupported`, `contract.violation`, ...
    location  where: an HL7 position like `PID-3[1].1` or a JSON pointer like `/entry/2/resource`
    message   why, for a human; never contains an identity code or a copy of the payload
    """

    def __init__(self, code: str, location: str, message: str) -> None:
        self.code = code
        self.location = location
        self.message = message
        super().__init__(f"{code} at {location or '(message)'}: {message}")

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "location": self.location, "message": self.message}
