"""Constrained scalar types and the base model shared by the social-care record event.

The inbound format is strict on purpose: a vendor learns about a wrong type or a typo at
once (with a JSON pointer) instead of Silta guessing, and nothing unknown is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class RuleError(ValueError):
    """A cross-field rule failed; `pointer` is relative to the model that checks the rule,
    so the adapter can report exactly which member is wrong."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


class InboundModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True,
        # Errors must never echo an identity code, a name or free text.
        hide_input_in_errors=True,
    )


def _year_in_range(value: dt.datetime) -> dt.datetime:
    # The contracts accept 1800-2200; checking here points the vendor at their own member.
    if not 1800 <= value.year <= 2200:
        raise ValueError("a year between 1800 and 2200")
    return value


OID_PATTERN = r"^[0-2](\.(0|[1-9][0-9]*)){1,40}$"
Oid = Annotated[str, Field(pattern=OID_PATTERN, max_length=128,
                           description="an ISO OID in dotted form without `urn:oid:`, "
                                       "e.g. 1.2.246.10.1234567.10.0")]
RecordId = Annotated[str, Field(
    pattern=r"^[A-Za-z0-9\-.]{1,64}$",
    description="the record's id at the source: 1-64 characters A-Z a-z 0-9 - . "
                "(it becomes a FHIR resource id, so no other characters)")]
DocumentId = Annotated[str, Field(
    pattern=r"^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$",
    description="a document id as archived in Kanta (often an OID); 1-128 characters "
                "A-Z a-z 0-9 . : _ -")]
Code = Annotated[str, Field(
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    description="a code (not its display text) of the named national code system")]
Slug = Annotated[str, Field(
    pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
    description="a lower-case code: a-z 0-9 and -, at most 32 characters")]
CodeSystem = Annotated[str, Field(
    pattern=r"^(urn:oid:[0-2](\.(0|[1-9][0-9]*)){1,40}|https?://[^\s]{1,200})$",
    max_length=256,
    description="a code system URI: `urn:oid:<OID>` or an http(s) canonical URL")]
Timestamp = Annotated[AwareDatetime, AfterValidator(_year_in_range), Field(
    description="RFC 3339 date-time WITH a zone offset, e.g. 2025-02-06T13:20:00+02:00")]
FreeText = Annotated[str, Field(
    max_length=20_000,
    description="free text for the source's own use; Silta never copies it into events")]


class Coded(InboundModel):
    """A code from a code system the sender names."""

    system: CodeSystem
    code: Code


class Period(InboundModel):
    """A time span; `end` absent while it is still going on."""

    start: Timestamp = Field(description="when it began")
    end: Timestamp | None = Field(None, description="when it ended; absent while ongoing")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end is not None and self.end < self.start:
            raise RuleError("/end", "a period whose end is not before its start")
        return self
