"""Lean FHIR R4 data types: exactly the elements Silta's profiles use, nothing more.

Unknown elements are rejected (`extra="forbid"`), so a vendor learns about a typo instead
of losing data silently. Lists are `None` when absent because FHIR forbids empty arrays.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts import systems
from contracts.hetu import PATTERN as HETU_PATTERN
from contracts.hetu import parse_hetu


class FhirModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True,
        # A ValidationError's text must never echo an identity code into a log line.
        hide_input_in_errors=True,
    )

    def to_fhir(self) -> dict[str, Any]:
        """FHIR JSON as a dict: aliases applied, absent elements left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


NonEmpty = Annotated[str, Field(min_length=1, max_length=1024)]
Code = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^\s]+( [^\s]+)*$")]
Uri = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^\S+$")]
Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
_EARLIEST = dt.datetime(1800, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
Instant = Annotated[AwareDatetime, Field(ge=_EARLIEST, lt=_LATEST)]
"""Every time in the profiles carries a zone offset, so entries sort across sources."""


class Coding(FhirModel):
    system: Uri
    code: Code
    display: str | None = Field(None, min_length=1, max_length=1024)


class CodeableConcept(FhirModel):
    coding: list[Coding] = Field(min_length=1)
    text: str | None = Field(None, min_length=1, max_length=4096)

    def first(self, system: str) -> Coding | None:
        return next((c for c in self.coding if c.system == system), None)


class Identifier(FhirModel):
    system: Uri
    value: str = Field(min_length=1, max_length=256)


class Reference(FhirModel):
    """A literal (`reference`) or logical (`identifier`) reference; no `display`, it may hold a name."""

    reference: str | None = Field(
        None, max_length=256, pattern=r"^(#[A-Za-z0-9\-.]{1,64}|[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})$")
    type: str | None = Field(None, pattern=r"^[A-Z][A-Za-z]+$")
    identifier: Identifier | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Reference:
        if self.reference is None and self.identifier is None:
            raise ValueError("a reference needs `reference` or `identifier`")
        return self


class ClientIdentifier(Identifier):
    """The client's identity: a HETU (check character verified) or a temporary id."""

    system: str = Field(
        pattern=r"^urn:oid:1\.2\.246\.(21|10\.[0-9.]+)$",
        description=systems.CLIENT_ID_SYSTEMS_DOC,
    )
    value: str = Field(
        min_length=1, max_length=64,
        description=f"for {systems.HETU}: DDMMYYCZZZQ ({HETU_PATTERN}), check character verified",
    )

    @field_validator("value")
    @classmethod
    def _valid_hetu(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("system") == systems.HETU:
            parse_hetu(value)
        return value


class ClientReference(FhirModel):
    """Reference to the client by identity; the timeline replaces it with a pseudonym."""

    identifier: ClientIdentifier
    type: str | None = Field(None, pattern=r"^Patient$")


class OrganisationReference(FhirModel):
    identifier: Identifier
    type: str | None = Field(None, pattern=r"^Organization$")


class Period(FhirModel):
    start: Instant | None = None
    end: Instant | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end < self.start:
            raise ValueError("period end before its start")
        return self


class Quantity(FhirModel):
    value: float = Field(allow_inf_nan=False)
    unit: str | None = Field(None, min_length=1, max_length=64)
    system: Uri | None = None
    code: Code | None = None


class Meta(FhirModel):
    versionId: Id | None = None
    lastUpdated: Instant | None = None
    security: list[Coding] | None = Field(None, min_length=1)
    tag: list[Coding] | None = Field(None, min_length=1)
    profile: list[Uri] | None = Field(None, min_length=1)


class Extension(FhirModel):
    url: Uri
    valueCode: Code | None = None
    valueCoding: Coding | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueIdentifier: Identifier | None = None
    valueReference: Reference | None = None
    valueDateTime: Instant | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Extension:
        values = [name for name in _EXTENSION_VALUES if getattr(self, name) is not None]
        if len(values) != 1:
            raise ValueError(f"an extension carries exactly one value[x], found {len(values)}")
        return self


_EXTENSION_VALUES = tuple(name for name in Extension.model_fields if name.startswith("value"))


class HumanName(FhirModel):
    family: str | None = Field(None, min_length=1, max_length=256)
    given: list[NonEmpty] | None = Field(None, min_length=1)


class Address(FhirModel):
    line: list[NonEmpty] | None = Field(None, min_length=1)
    postalCode: str | None = Field(None, min_length=1, max_length=16)
    city: str | None = Field(None, min_length=1, max_length=128)
    country: str | None = Field(None, min_length=1, max_length=64)
    extension: list[Extension] | None = Field(None, min_length=1)
