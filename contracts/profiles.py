"""Event profiles: each event type narrows a lean FHIR resource to what that event means.

A profile is a subclass that tightens statuses, makes the event's time and codes
required, and pins code systems. Rules JSON Schema cannot say (a coding of a given
system somewhere in a list) are validators attached to the field, so errors point at it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from contracts import systems
from contracts.fhir.datatypes import (
    CodeableConcept,
    Coding,
    Extension,
    Instant,
    Period,
    Reference,
)
from contracts.fhir.resources import (
    CarePlan,
    Condition,
    Encounter,
    EpisodeOfCare,
    Goal,
    Observation,
    Patient,
    Procedure,
    ServiceRequest,
    Task,
)


def _requires(*wanted: str) -> AfterValidator:
    def check(concept: CodeableConcept) -> CodeableConcept:
        if not any(coding.system in wanted for coding in concept.coding):
            raise ValueError(f"a coding with system {' or '.join(wanted)}, found systems "
                             f"{', '.join(sorted({c.system for c in concept.coding}))}")
        return concept

    return AfterValidator(check)


def _requires_in_list(*wanted: str) -> AfterValidator:
    def check(concepts: list[CodeableConcept]) -> list[CodeableConcept]:
        if not any(c.system in wanted for concept in concepts for c in concept.coding):
            raise ValueError(f"a coding with system {' or '.join(wanted)}")
        return concepts

    return AfterValidator(check)


def _requires_extension(url: str) -> AfterValidator:
    def check(extensions: list[Extension]) -> list[Extension]:
        if not any(e.url == url for e in extensions):
            raise ValueError(f"an extension with url {url}")
        return extensions

    return AfterValidator(check)


def _with_start(period: Period) -> Period:
    if period.start is None:
        raise ValueError("a period with a start")
    return period


def _with_end(period: Period) -> Period:
    if period.end is None:
        raise ValueError("a period with an end")
    return period


Started = Annotated[Period, AfterValidator(_with_start)]
Ended = Annotated[Period, AfterValidator(_with_end)]


def _coded(system: str, codes: tuple[str, ...]) -> AfterValidator:
    def check(coding: Coding) -> Coding:
        if coding.system != system or coding.code not in codes:
            raise ValueError(f"system {system} with a code in {', '.join(codes)}, "
                             f"found {coding.system} code {coding.code!r}")
        return coding

    return AfterValidator(check)


ENCOUNTER_CLASSES = ("AMB", "EMER", "IMP", "PRENC", "HH", "VR")
EncounterClass = Annotated[
    Coding, _coded(systems.V3_ACT_CODE, ENCOUNTER_CLASSES),
    Field(alias="class", description=f"{systems.V3_ACT_CODE}: {', '.join(ENCOUNTER_CLASSES)}"),
]

# --- health ---------------------------------------------------------------------------


class EncounterStarted(Encounter):
    status: Literal["planned", "arrived", "triaged", "in-progress"]
    class_: EncounterClass  # type: ignore[assignment]
    period: Started  # type: ignore[assignment]


class EncounterUpdated(Encounter):
    status: Literal["planned", "arrived", "triaged", "in-progress", "onleave"]
    class_: EncounterClass  # type: ignore[assignment]
    period: Started  # type: ignore[assignment]


class EncounterFinished(Encounter):
    status: Literal["finished"]
    class_: EncounterClass  # type: ignore[assignment]
    period: Annotated[Period, AfterValidator(_with_start), AfterValidator(_with_end)]  # type: ignore[assignment]


class EncounterCancelled(Encounter):
    status: Literal["cancelled"]
    class_: EncounterClass  # type: ignore[assignment]


class DiagnosisRecorded(Condition):
    code: Annotated[CodeableConcept, _requires(systems.ICD10_FI, systems.ICPC2)] = Field(
        description=f"ICD-10 Finnish ({systems.ICD10_FI}) or ICPC-2 ({systems.ICPC2})")
    recordedDate: Instant  # type: ignore[assignment]


class ObservationRecorded(Observation):
    status: Literal["registered", "preliminary", "final", "amended", "corrected"]
    effectiveDateTime: Instant  # type: ignore[assignment]


class ProcedurePerformed(Procedure):
    status: Literal["completed", "in-progress"]
    code: Annotated[CodeableConcept, _requires(systems.THL_PROCEDURE)] = Field(
        description=f"THL procedure classification ({systems.THL_PROCEDURE})")
    performedDateTime: Instant  # type: ignore[assignment]


# --- social ---------------------------------------------------------------------------

ServiceTaskTypes = Annotated[
    list[CodeableConcept], _requires_in_list(systems.PALVELUTEHTAVA),
    Field(min_length=1, description=f"includes a palvelutehtävä ({systems.PALVELUTEHTAVA})"),
]


class ClientRelationshipOpened(EpisodeOfCare):
    status: Literal["planned", "waitlist", "active"]
    type: ServiceTaskTypes  # type: ignore[assignment]
    period: Started  # type: ignore[assignment]


class ClientRelationshipClosed(EpisodeOfCare):
    status: Literal["finished", "cancelled"]
    type: ServiceTaskTypes  # type: ignore[assignment]
    period: Ended  # type: ignore[assignment]


NOTIFICATION_KINDS = ("child-welfare-notification", "social-services-need-notice", "referral")


class NotificationReceived(ServiceRequest):
    status: Literal["active", "completed"]
    intent: Literal["proposal", "order"]
    category: Annotated[list[CodeableConcept], _requires_in_list(systems.NOTIFICATION_KIND)] = Field(  # type: ignore[assignment]
        min_length=1,
        description=f"{systems.NOTIFICATION_KIND}: {', '.join(NOTIFICATION_KINDS)}")
    authoredOn: Instant  # type: ignore[assignment]


ASSESSMENT_KINDS = ("service-need-assessment", "child-welfare-assessment")
AssessmentCode = Annotated[CodeableConcept, _requires(systems.ASSESSMENT_KIND), Field(
    description=f"{systems.ASSESSMENT_KIND}: {', '.join(ASSESSMENT_KINDS)}")]


class AssessmentStarted(Task):
    status: Literal["received", "accepted", "in-progress"]
    code: AssessmentCode  # type: ignore[assignment]
    executionPeriod: Started  # type: ignore[assignment]


class AssessmentCompleted(Task):
    status: Literal["completed"]
    code: AssessmentCode  # type: ignore[assignment]
    executionPeriod: Ended  # type: ignore[assignment]


class ClientPlanCreated(CarePlan):
    status: Literal["draft", "active"]
    created: Instant  # type: ignore[assignment]


class ClientPlanUpdated(CarePlan):
    status: Literal["draft", "active", "on-hold", "completed", "revoked"]
    created: Instant  # type: ignore[assignment]


DECISION_OUTCOMES = ("granted", "partially-granted", "denied", "assessment-started",
                     "no-assessment")


class DecisionMade(ServiceRequest):
    """A decision (päätös): the request's status changes; the decision document id travels."""

    status: Literal["active", "revoked", "completed"]
    extension: Annotated[list[Extension], _requires_extension(systems.EXT_DECISION_OUTCOME)] = Field(  # type: ignore[assignment]
        min_length=1,
        description=f"{systems.EXT_DECISION_OUTCOME} with a valueCode in "
                    f"{', '.join(DECISION_OUTCOMES)}")
    supportingInfo: list[Reference] = Field(  # type: ignore[assignment]
        min_length=1, description=f"the decision document, identifier system {systems.DECISION_ID}")
    authoredOn: Instant  # type: ignore[assignment]


class ServiceStarted(ServiceRequest):
    status: Literal["active"]
    occurrencePeriod: Started  # type: ignore[assignment]


class ServiceEnded(ServiceRequest):
    status: Literal["completed", "revoked"]
    occurrencePeriod: Ended  # type: ignore[assignment]


ASSESSOR_ROLES = ("self", "family", "worker", "professional")


class OutcomeMeasureRecorded(Observation):
    status: Literal["final", "amended", "corrected", "preliminary"]
    code: Annotated[CodeableConcept, _requires(systems.OUTCOME_INSTRUMENT, systems.LOINC)] = Field(
        description=f"the instrument and item, {systems.OUTCOME_INSTRUMENT} (e.g. kykyviisari)")
    method: Annotated[CodeableConcept, _requires(systems.ASSESSOR_ROLE)] = Field(  # type: ignore[assignment]
        description=f"who assessed: {systems.ASSESSOR_ROLE} {', '.join(ASSESSOR_ROLES)}")
    effectiveDateTime: Instant  # type: ignore[assignment]


# --- both -----------------------------------------------------------------------------

CorrectableResource = Annotated[
    Encounter | Condition | Observation | Procedure | EpisodeOfCare | ServiceRequest
    | CarePlan | Task,
    Field(discriminator="resourceType"),
]

__all__ = [
    "AssessmentCompleted", "AssessmentStarted", "ClientPlanCreated", "ClientPlanUpdated",
    "ClientRelationshipClosed", "ClientRelationshipOpened", "CorrectableResource",
    "DecisionMade", "DiagnosisRecorded", "EncounterCancelled", "EncounterFinished",
    "EncounterStarted", "EncounterUpdated", "Goal", "NotificationReceived",
    "ObservationRecorded", "OutcomeMeasureRecorded", "Patient", "ProcedurePerformed",
    "ServiceEnded", "ServiceStarted",
]
