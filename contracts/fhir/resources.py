"""Lean FHIR R4 resources: the elements Silta's event profiles use.

Element names and cardinalities follow FHIR R4 so the JSON validates with a full FHIR
library (tests use fhir.resources R4B as the oracle). `class` and `for` are Python
keywords, hence the `class_` and `for_` attribute names with JSON aliases.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import Field, model_validator

from contracts.fhir.datatypes import (
    Address,
    ClientIdentifier,
    ClientReference,
    CodeableConcept,
    Coding,
    Extension,
    FhirModel,
    HumanName,
    Id,
    Identifier,
    Instant,
    Meta,
    OrganisationReference,
    Period,
    Quantity,
    Reference,
)


class Resource(FhirModel):
    resourceType: str  # narrowed to a literal by each resource; declared first for JSON order
    id: Id | None = None
    meta: Meta | None = None
    extension: list[Extension] | None = Field(None, min_length=1)
    identifier: list[Identifier] | None = Field(None, min_length=1)


EncounterStatus = Literal[
    "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
    "entered-in-error", "unknown",
]


class EncounterLocation(FhirModel):
    location: Reference
    status: Literal["planned", "active", "reserved", "completed"] | None = None


class EncounterHospitalization(FhirModel):
    admitSource: CodeableConcept | None = None
    dischargeDisposition: CodeableConcept | None = None


class Encounter(Resource):
    resourceType: Literal["Encounter"]
    status: EncounterStatus
    class_: Coding = Field(alias="class")
    type: list[CodeableConcept] | None = Field(None, min_length=1)
    serviceType: CodeableConcept | None = None
    subject: ClientReference
    period: Period | None = None
    reasonCode: list[CodeableConcept] | None = Field(None, min_length=1)
    hospitalization: EncounterHospitalization | None = None
    location: list[EncounterLocation] | None = Field(None, min_length=1)
    serviceProvider: OrganisationReference | None = None
    episodeOfCare: list[Reference] | None = Field(None, min_length=1)


class Condition(Resource):
    resourceType: Literal["Condition"]
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    category: list[CodeableConcept] | None = Field(None, min_length=1)
    code: CodeableConcept
    subject: ClientReference
    encounter: Reference | None = None
    onsetDateTime: Instant | None = None
    recordedDate: Instant | None = None


ObservationStatus = Literal[
    "registered", "preliminary", "final", "amended", "corrected", "cancelled",
    "entered-in-error", "unknown",
]


class Observation(Resource):
    resourceType: Literal["Observation"]
    status: ObservationStatus
    category: list[CodeableConcept] | None = Field(None, min_length=1)
    code: CodeableConcept
    subject: ClientReference
    encounter: Reference | None = None
    effectiveDateTime: Instant | None = None
    issued: Instant | None = None
    performer: list[Reference] | None = Field(None, min_length=1)
    valueQuantity: Quantity | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueInteger: int | None = Field(None, ge=-(2**31), lt=2**31)
    valueString: str | None = Field(None, min_length=1, max_length=4096)
    valueBoolean: bool | None = None
    interpretation: list[CodeableConcept] | None = Field(None, min_length=1)
    method: CodeableConcept | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Observation:
        values = [n for n in ("valueQuantity", "valueCodeableConcept", "valueInteger",
                              "valueString", "valueBoolean") if getattr(self, n) is not None]
        if len(values) > 1:
            raise ValueError(f"at most one value[x], found {', '.join(values)}")
        return self


class Procedure(Resource):
    resourceType: Literal["Procedure"]
    status: Literal["preparation", "in-progress", "not-done", "on-hold", "stopped",
                    "completed", "entered-in-error", "unknown"]
    category: CodeableConcept | None = None
    code: CodeableConcept
    subject: ClientReference
    encounter: Reference | None = None
    performedDateTime: Instant | None = None
    performedPeriod: Period | None = None


class EpisodeOfCare(Resource):
    resourceType: Literal["EpisodeOfCare"]
    status: Literal["planned", "waitlist", "active", "onhold", "finished", "cancelled",
                    "entered-in-error"]
    type: list[CodeableConcept] | None = Field(None, min_length=1)
    patient: ClientReference
    managingOrganization: OrganisationReference | None = None
    period: Period | None = None


RequestStatus = Literal["draft", "active", "on-hold", "revoked", "completed",
                        "entered-in-error", "unknown"]


class ServiceRequest(Resource):
    resourceType: Literal["ServiceRequest"]
    status: RequestStatus
    intent: Literal["proposal", "plan", "directive", "order", "original-order",
                    "reflex-order", "filler-order", "instance-order", "option"]
    category: list[CodeableConcept] | None = Field(None, min_length=1)
    code: CodeableConcept | None = None
    subject: ClientReference
    basedOn: list[Reference] | None = Field(None, min_length=1)
    occurrencePeriod: Period | None = None
    authoredOn: Instant | None = None
    requester: Reference | None = None
    performer: list[OrganisationReference] | None = Field(None, min_length=1)
    reasonCode: list[CodeableConcept] | None = Field(None, min_length=1)
    supportingInfo: list[Reference] | None = Field(None, min_length=1)


class GoalTarget(FhirModel):
    measure: CodeableConcept | None = None
    detailInteger: int | None = None
    detailQuantity: Quantity | None = None
    dueDate: dt.date | None = None


class Goal(Resource):
    resourceType: Literal["Goal"]
    lifecycleStatus: Literal["proposed", "planned", "accepted", "active", "on-hold",
                             "completed", "cancelled", "entered-in-error", "rejected"]
    achievementStatus: CodeableConcept | None = None
    description: CodeableConcept
    subject: ClientReference
    target: list[GoalTarget] | None = Field(None, min_length=1)


class CarePlan(Resource):
    resourceType: Literal["CarePlan"]
    contained: list[Goal] | None = Field(None, min_length=1)
    status: RequestStatus
    intent: Literal["proposal", "plan", "order", "option"]
    category: list[CodeableConcept] | None = Field(None, min_length=1)
    subject: ClientReference
    period: Period | None = None
    created: Instant | None = None
    goal: list[Reference] | None = Field(None, min_length=1)


class TaskOutput(FhirModel):
    type: CodeableConcept
    valueReference: Reference


class Task(Resource):
    resourceType: Literal["Task"]
    contained: list[Observation] | None = Field(None, min_length=1)
    basedOn: list[Reference] | None = Field(None, min_length=1)
    status: Literal["draft", "requested", "received", "accepted", "rejected", "ready",
                    "cancelled", "in-progress", "on-hold", "failed", "completed",
                    "entered-in-error"]
    intent: Literal["unknown", "proposal", "plan", "order", "original-order",
                    "reflex-order", "filler-order", "instance-order", "option"]
    code: CodeableConcept
    for_: ClientReference = Field(alias="for")
    authoredOn: Instant | None = None
    executionPeriod: Period | None = None
    output: list[TaskOutput] | None = Field(None, min_length=1)


class Patient(Resource):
    """The identified client. Travels on restricted topics only; never on the timeline."""

    resourceType: Literal["Patient"]
    identifier: list[ClientIdentifier] = Field(min_length=1)  # type: ignore[assignment]
    name: list[HumanName] | None = Field(None, min_length=1)
    gender: Literal["male", "female", "other", "unknown"] | None = None
    birthDate: dt.date | None = None
    address: list[Address] | None = Field(None, min_length=1)
    deceasedBoolean: bool | None = None
    managingOrganization: OrganisationReference | None = None


AnyResource = (
    Encounter | Condition | Observation | Procedure | EpisodeOfCare | ServiceRequest
    | CarePlan | Task | Patient
)
RESOURCE_TYPES: dict[str, type[Resource]] = {
    get_args(cls.model_fields["resourceType"].annotation)[0]: cls
    for cls in (Encounter, Condition, Observation, Procedure, EpisodeOfCare, ServiceRequest,
                CarePlan, Goal, Task, Patient)
}
