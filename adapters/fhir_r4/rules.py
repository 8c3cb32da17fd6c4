"""Which contract event a resource becomes, and that event's id.

Every resource type has an *initial* kind, the event that opens the record on the
timeline, and a kind per status. The initial kind also names the *original* event that
corrections point at, because the adapter is stateless: `<record id>:<initial kind>`.
See the package README for the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.errors import TranslationError
from contracts import systems
from contracts.catalogue import CATALOGUE

TYPE_BY_KIND = {spec.kind: spec.type for spec in CATALOGUE}
AMEND, RETRACT = "record.amended", "record.entered-in-error"
INITIAL = "="  # in a status table: the resource type's initial kind
CANCELLED = "encounter.cancelled"  # a lifecycle event that is also a retraction
REVISION = {"CarePlan": "client-plan.updated", "Patient": "patient.identified"}
REPEATABLE = frozenset({"encounter.updated", "client-plan.updated"})
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

_ENCOUNTER = {"planned": INITIAL, "arrived": INITIAL, "triaged": INITIAL,
              "in-progress": INITIAL, "onleave": "encounter.updated",
              "finished": "encounter.finished", "cancelled": CANCELLED}
_OBSERVATION = {"registered": INITIAL, "preliminary": INITIAL, "final": INITIAL,
                "amended": AMEND, "corrected": AMEND}
_PROCEDURE = {"completed": INITIAL, "in-progress": INITIAL}
_EPISODE = {"planned": INITIAL, "waitlist": INITIAL, "active": INITIAL,
            "finished": "client-relationship.closed", "cancelled": "client-relationship.closed"}
_SERVICE = {"active": INITIAL, "completed": "service.ended", "revoked": "service.ended"}
_CARE_PLAN = {"draft": INITIAL, "active": INITIAL, "on-hold": "client-plan.updated",
              "completed": "client-plan.updated", "revoked": "client-plan.updated"}
_TASK = {"received": INITIAL, "accepted": INITIAL, "in-progress": INITIAL,
         "completed": "assessment.completed"}


@dataclass(frozen=True)
class Plan:
    event_type: str
    id: str
    corrects: str | None = None


def _codings(concepts: Any) -> list[dict[str, Any]]:
    """The codings of a CodeableConcept or of a list of them, skipping malformed parts."""
    out: list[dict[str, Any]] = []
    for concept in concepts if isinstance(concepts, list) else [concepts]:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        if isinstance(codings, list):
            out.extend(c for c in codings if isinstance(c, dict))
    return out


def has_system(concepts: Any, system: str) -> bool:
    return any(c.get("system") == system for c in _codings(concepts))


def _has_extension(resource: dict[str, Any], url: str) -> bool:
    extensions = resource.get("extension")
    return isinstance(extensions, list) and any(
        isinstance(e, dict) and e.get("url") == url for e in extensions)


def _observation(r: dict[str, Any]) -> tuple[str, dict[str, str] | None]:
    outcome = has_system(r.get("code"), systems.OUTCOME_INSTRUMENT) and \
        has_system(r.get("method"), systems.ASSESSOR_ROLE)
    return ("outcome-measure.recorded" if outcome else "observation.recorded"), _OBSERVATION


def _service_request(r: dict[str, Any]) -> tuple[str, dict[str, str] | None]:
    notification = has_system(r.get("category"), systems.NOTIFICATION_KIND)
    decision = _has_extension(r, systems.EXT_DECISION_OUTCOME)
    initial = ("notification.received" if notification
               else "decision.made" if decision else "service.started")
    if decision:
        return initial, dict.fromkeys(_SERVICE, "decision.made")
    if notification:
        return initial, dict.fromkeys(("active", "completed"), INITIAL)
    return initial, _SERVICE


_CLASSIFY: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, str] | None]]] = {
    "Encounter": lambda r: ("encounter.started", _ENCOUNTER),
    "Condition": lambda r: ("diagnosis.recorded", None),
    "Observation": _observation,
    "Procedure": lambda r: ("procedure.performed", _PROCEDURE),
    "EpisodeOfCare": lambda r: ("client-relationship.opened", _EPISODE),
    "ServiceRequest": _service_request,
    "CarePlan": lambda r: ("client-plan.created", _CARE_PLAN),
    "Task": lambda r: ("assessment.started", _TASK),
    "Patient": lambda r: ("patient.identified", None),
}
SUPPORTED = frozenset(_CLASSIFY)


def version_id(resource: dict[str, Any]) -> str | None:
    meta = resource.get("meta")
    version = meta.get("versionId") if isinstance(meta, dict) else None
    return version if isinstance(version, str) and _ID.match(version) else None


def _kind(resource_type: str, resource: dict[str, Any]) -> tuple[str, str]:
    initial, statuses = _CLASSIFY[resource_type](resource)
    if statuses is None:  # no status element: one kind
        return initial, INITIAL
    status = resource.get("status")
    kind = statuses.get(status) if isinstance(status, str) else None
    if kind is None:
        raise TranslationError(
            "fhir.status.unsupported", "/status",
            f"no event in the catalogue for this status of a {resource_type}; "
            f"expected one of {', '.join([*statuses, 'entered-in-error'])}")
    return initial, kind


def _entered_in_error_condition(resource: dict[str, Any]) -> bool:
    return any(c.get("system") == systems.CONDITION_VERIFICATION
               and c.get("code") == "entered-in-error"
               for c in _codings(resource.get("verificationStatus")))


def _later_version(version: str | None) -> bool:
    return version is not None and version.isdigit() and int(version) > 1


def plan(resource_type: str, resource: dict[str, Any], record_id: str,
         digest: Callable[[], str]) -> Plan:
    """The event type, id and `corrects` for a minimised resource."""
    if resource_type == "Condition" and _entered_in_error_condition(resource):
        raise TranslationError(
            "fhir.status.unsupported", "/verificationStatus",
            "a Condition entered in error cannot be retracted yet: the contract's "
            "record.entered-in-error needs a status element, which Condition lacks")
    initial = _CLASSIFY[resource_type](resource)[0]
    original = f"{record_id}:{initial}"
    if resource.get("status") == "entered-in-error":
        return Plan(TYPE_BY_KIND[RETRACT], f"{original}:retracted", original)
    initial, kind = _kind(resource_type, resource)
    version = version_id(resource)
    revised = False
    if kind in (INITIAL, initial):
        revised = _later_version(version)
        kind = REVISION.get(resource_type, AMEND) if revised else initial
    suffix = f"v{version}" if version else f"h{digest()}"
    if kind == CANCELLED:
        return Plan(TYPE_BY_KIND[kind], f"{original}:retracted", original)
    if kind == AMEND:
        return Plan(TYPE_BY_KIND[kind], f"{original}:amended:{suffix}", original)
    if revised or kind in REPEATABLE:
        return Plan(TYPE_BY_KIND[kind], f"{record_id}:{kind}:{suffix}")
    return Plan(TYPE_BY_KIND[kind], f"{record_id}:{kind}")
