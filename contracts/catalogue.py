"""The event catalogue: every event type Silta speaks, its resource profile and meaning.

Type names follow `fi.silta.<sector>.<subject>.<action>.v<major>`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, TypeAdapter

from contracts import profiles as p
from contracts.fhir.resources import Patient, Resource

# The two worlds Silta joins: where a source system, a record and a timeline entry belong.
Sector = Literal["health", "social"]
# Event types name a sector; "common" ones (the Patient, corrections) serve both.
EventSector = Literal[Sector, "common"]
Correction = Literal["amend", "retract"]
TYPE_PATTERN = r"^fi\.silta\.(health|social|common)\.[a-z][a-z-]*\.[a-z][a-z-]*\.v[1-9][0-9]*$"


def _entered_in_error(resource: Resource) -> Resource:
    status = getattr(resource, "status", None)
    verification = getattr(resource, "verificationStatus", None)
    if verification is not None and any(c.code == "entered-in-error" for c in verification.coding):
        return resource  # a Condition is retracted through its verification status
    if status != "entered-in-error":
        raise ValueError(f"a resource whose status is entered-in-error, found {status!r}")
    return resource


@dataclass(frozen=True)
class EventSpec:
    type: str
    sector: EventSector
    resource: Any  # a profile class, or an annotated union for corrections
    meaning: str
    correction: Correction | None = None
    restricted: bool = False  # True: may never reach the timeline (identified data)

    @cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.resource)

    @cached_property
    def kind(self) -> str:
        """`<subject>.<action>`, the short name evaluators see on the timeline (read three
        times for every entry the timeline builds, so split once)."""
        return ".".join(self.type.split(".")[3:5])

    @property
    def resource_types(self) -> tuple[str, ...]:
        return _resource_names(self.resource)

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])


def _resource_names(annotation: Any) -> tuple[str, ...]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return (get_args(annotation.model_fields["resourceType"].annotation)[0],)
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        return _resource_names(args[0])
    return tuple(name for arg in args for name in _resource_names(arg))


H: EventSector = "health"
S: EventSector = "social"
C: EventSector = "common"
CATALOGUE: tuple[EventSpec, ...] = (
    EventSpec("fi.silta.health.encounter.started.v1", H, p.EncounterStarted,
              "A visit or stay began (or was registered as planned/arrived): HL7 A01/A04."),
    EventSpec("fi.silta.health.encounter.updated.v1", H, p.EncounterUpdated,
              "An ongoing visit or stay changed, e.g. a transfer (HL7 A02)."),
    EventSpec("fi.silta.health.encounter.finished.v1", H, p.EncounterFinished,
              "A visit or stay ended: HL7 A03."),
    EventSpec("fi.silta.health.encounter.cancelled.v1", H, p.EncounterCancelled,
              "A visit or stay was cancelled; retracts the started event (HL7 A11).",
              correction="retract"),
    EventSpec("fi.silta.health.diagnosis.recorded.v1", H, p.DiagnosisRecorded,
              "A diagnosis was recorded with ICD-10 (Finnish) or ICPC-2: HL7 DG1."),
    EventSpec("fi.silta.health.observation.recorded.v1", H, p.ObservationRecorded,
              "A measurement or finding was recorded: HL7 ORU^R01 OBX."),
    EventSpec("fi.silta.health.procedure.performed.v1", H, p.ProcedurePerformed,
              "A procedure in THL's procedure classification was performed."),
    EventSpec("fi.silta.social.client-relationship.opened.v1", S, p.ClientRelationshipOpened,
              "A social-care client relationship (asiakkuus) began in a palvelutehtävä."),
    EventSpec("fi.silta.social.client-relationship.closed.v1", S, p.ClientRelationshipClosed,
              "A social-care client relationship ended."),
    EventSpec("fi.silta.social.notification.received.v1", S, p.NotificationReceived,
              "A child-welfare notification, a notice of a need for social services or a "
              "referral was received; carries the notifier kind."),
    EventSpec("fi.silta.social.assessment.started.v1", S, p.AssessmentStarted,
              "A service-need or child-welfare assessment started."),
    EventSpec("fi.silta.social.assessment.completed.v1", S, p.AssessmentCompleted,
              "An assessment was completed; its findings are contained Observations."),
    EventSpec("fi.silta.social.client-plan.created.v1", S, p.ClientPlanCreated,
              "A client plan (asiakassuunnitelma) was made, with its goals contained."),
    EventSpec("fi.silta.social.client-plan.updated.v1", S, p.ClientPlanUpdated,
              "A client plan was revised."),
    EventSpec("fi.silta.social.decision.made.v1", S, p.DecisionMade,
              "A decision (päätös) was made: granted, denied, or to start an assessment; "
              "carries the decision document id."),
    EventSpec("fi.silta.social.service.started.v1", S, p.ServiceStarted,
              "A granted social service began for the client."),
    EventSpec("fi.silta.social.service.ended.v1", S, p.ServiceEnded,
              "A social service ended."),
    EventSpec("fi.silta.social.outcome-measure.recorded.v1", S, p.OutcomeMeasureRecorded,
              "An outcome instrument score (e.g. Kykyviisari 0-10) with the assessor's role."),
    EventSpec("fi.silta.common.record.amended.v1", C, p.CorrectableResource,
              "An earlier record was corrected; carries the whole corrected resource and "
              "names the original in the `corrects` attribute.", correction="amend"),
    EventSpec("fi.silta.common.record.entered-in-error.v1", C,
              Annotated[p.CorrectableResource, AfterValidator(_entered_in_error)],
              "An earlier record was entered in error and is retracted; names the original "
              "in the `corrects` attribute.", correction="retract"),
    EventSpec("fi.silta.common.patient.identified.v1", C, Patient,
              "Who the client is (identity, name, address). Restricted topics only.",
              restricted=True),
)
BY_TYPE: dict[str, EventSpec] = {spec.type: spec for spec in CATALOGUE}


def spec_for(event_type: str) -> EventSpec:
    try:
        return BY_TYPE[event_type]
    except KeyError:
        raise KeyError(event_type) from None


# --- when did it happen ----------------------------------------------------------------

def _period_start(period: Any) -> dt.datetime | None:
    return period.start if period is not None else None


def _period_end_or_start(period: Any) -> dt.datetime | None:
    return None if period is None else (period.end or period.start)


_OCCURRED: dict[str, Callable[[Any], dt.datetime | None]] = {
    "encounter.started": lambda r: _period_start(r.period),
    "encounter.updated": lambda r: _period_start(r.period),
    "encounter.finished": lambda r: _period_end_or_start(r.period),
    "client-relationship.opened": lambda r: _period_start(r.period),
    "client-relationship.closed": lambda r: _period_end_or_start(r.period),
    "assessment.started": lambda r: _period_start(r.executionPeriod) or r.authoredOn,
    "assessment.completed": lambda r: _period_end_or_start(r.executionPeriod),
    # A revision happened when it was made, not when the plan was first created.
    "client-plan.updated": lambda r: r.meta.lastUpdated if r.meta is not None else None,
    "service.started": lambda r: _period_start(r.occurrencePeriod),
    "service.ended": lambda r: _period_end_or_start(r.occurrencePeriod),
}
_BY_RESOURCE: dict[str, Callable[[Any], dt.datetime | None]] = {
    "Encounter": lambda r: _period_end_or_start(r.period),
    "Condition": lambda r: r.onsetDateTime or r.recordedDate,
    "Observation": lambda r: r.effectiveDateTime or r.issued,
    "Procedure": lambda r: r.performedDateTime or _period_start(r.performedPeriod),
    "EpisodeOfCare": lambda r: _period_end_or_start(r.period),
    "ServiceRequest": lambda r: (_period_end_or_start(r.occurrencePeriod) or r.authoredOn),
    "CarePlan": lambda r: r.created or _period_start(r.period),
    "Task": lambda r: _period_end_or_start(r.executionPeriod) or r.authoredOn,
}


def occurred_at(spec: EventSpec, resource: Any) -> dt.datetime | None:
    """The event time the profile defines for this type (None: use the envelope's time)."""
    by_kind = _OCCURRED.get(spec.kind)
    if by_kind is not None:
        return by_kind(resource)
    by_resource = _BY_RESOURCE.get(getattr(resource, "resourceType", ""))
    return by_resource(resource) if by_resource else None
