"""Each content kind as the FHIR resource(s) its catalogue event carries.

Free text (summaries, goal descriptions) is never read here: nothing a worker typed
about a client can reach an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from adapters.social import content as c
from adapters.social.document import Document
from contracts import systems

HELSINKI = ZoneInfo("Europe/Helsinki")
Json = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """One event to emit, before corrections are applied."""

    event_type: str
    record_id: str
    resource: Json


@dataclass(frozen=True)
class Context:
    document: Document
    client: Json  # the ClientReference
    meta: Json

    def base(self, resource_type: str, record_id: str) -> Json:
        resource: Json = {"resourceType": resource_type, "id": record_id, "meta": self.meta}
        if resource_type != "Patient":
            resource["identifier"] = [{"system": systems.DOCUMENT_ID, "value": self.document.id}]
        if self.document.case_id and resource_type not in ("EpisodeOfCare", "Patient"):
            resource["extension"] = [{"url": systems.EXT_EPISODE, "valueReference": {
                "reference": f"EpisodeOfCare/{self.document.case_id}"}}]
        return resource

    @property
    def provider(self) -> Json:
        return {"identifier": {"system": systems.SOTE_ORGANISATION,
                               "value": self.document.service_provider}, "type": "Organization"}

    @property
    def service_task(self) -> Json:
        return _concept(systems.PALVELUTEHTAVA, self.document.service_task)


def _concept(system: str, code: str) -> Json:
    return {"coding": [{"system": system, "code": code}]}


def _period(period: c.Period) -> Json:
    return {"start": period.start} if period.end is None else {"start": period.start,
                                                                "end": period.end}


def _social(subject_action: str) -> str:
    return f"fi.silta.social.{subject_action}.v1"


def _extend(resource: Json, extension: Json) -> None:
    resource["extension"] = [extension, *resource.get("extension", ())]


def client_relationship(item: c.ClientRelationship, ctx: Context) -> list[Draft]:
    case_id = ctx.document.case_id or ""  # RecordEvent guarantees it for this kind
    resource = ctx.base("EpisodeOfCare", case_id) | {
        "status": "active" if item.action == "opened" else "finished",
        "type": [ctx.service_task], "patient": ctx.client,
        "managingOrganization": ctx.provider, "period": _period(item.period),
    }
    return [Draft(_social(f"client-relationship.{item.action}"), case_id, resource)]


def notification(item: c.Notification, ctx: Context) -> list[Draft]:
    resource = ctx.base("ServiceRequest", item.record_id) | {
        "status": "active", "intent": "proposal",
        "category": [_concept(systems.NOTIFICATION_KIND, item.notification_kind)],
        "code": ctx.service_task, "subject": ctx.client, "authoredOn": item.received_at,
        "performer": [ctx.provider],
    }
    _extend(resource, {"url": systems.EXT_NOTIFIER,
                       "valueCodeableConcept": _concept(systems.ILMOITTAJA, item.notifier)})
    return [Draft(_social("notification.received"), item.record_id, resource)]


def assessment(item: c.Assessment, ctx: Context) -> list[Draft]:
    resource = ctx.base("Task", item.record_id) | {
        "status": "in-progress" if item.action == "started" else "completed",
        "intent": "order",
        "code": _concept(systems.ASSESSMENT_KIND, f"{item.assessment_kind}-assessment"),
        "for": ctx.client, "authoredOn": item.period.start,
        "executionPeriod": _period(item.period),
    }
    if item.based_on:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{item.based_on}"}]
    if item.findings:
        resource["contained"] = [_finding(f, f"f{i}", ctx, item.period.end)
                                 for i, f in enumerate(item.findings, 1)]
        resource["output"] = [{"type": {"coding": [f.code.model_dump()]},
                               "valueReference": {"reference": f"#f{i}"}}
                              for i, f in enumerate(item.findings, 1)]
    return [Draft(_social(f"assessment.{item.action}"), item.record_id, resource)]


def _finding(finding: c.Finding, local_id: str, ctx: Context, when: dt.datetime | None) -> Json:
    observation: Json = {
        "resourceType": "Observation", "id": local_id, "status": "final",
        "code": {"coding": [finding.code.model_dump()]}, "subject": ctx.client,
        "effectiveDateTime": when,
    }
    if finding.value is not None:
        observation["valueCodeableConcept"] = {"coding": [finding.value.model_dump()]}
    return observation


def client_plan(item: c.ClientPlan, ctx: Context) -> list[Draft]:
    resource = ctx.base("CarePlan", item.record_id) | {
        "status": item.status, "intent": "plan", "category": [ctx.service_task],
        "subject": ctx.client, "created": item.created_at,
    }
    if item.period is not None:
        resource["period"] = _period(item.period)
    if item.goals:
        resource["contained"] = [_goal(g, f"g{i}", ctx) for i, g in enumerate(item.goals, 1)]
        resource["goal"] = [{"reference": f"#g{i}"} for i in range(1, len(item.goals) + 1)]
    return [Draft(_social(f"client-plan.{item.action}"), item.record_id, resource)]


def _goal(goal: c.Goal, local_id: str, ctx: Context) -> Json:
    measure = _concept(systems.OUTCOME_INSTRUMENT, f"{goal.instrument}-{goal.item}")
    resource: Json = {"resourceType": "Goal", "id": local_id, "lifecycleStatus": goal.status,
                      "description": measure, "subject": ctx.client}
    target: Json = {"measure": measure}
    if goal.target is not None:
        target.update(_detail(goal.target))
    if goal.due_date is not None:
        target["dueDate"] = goal.due_date
    if len(target) > 1:
        resource["target"] = [target]
    return resource


def _detail(score: int | float) -> Json:
    return {"detailInteger": score} if isinstance(score, int) else {
        "detailQuantity": {"value": score}}


_DECISION_STATUS = {"granted": "active", "partially-granted": "active", "denied": "revoked",
                    "assessment-started": "active", "no-assessment": "completed"}


def decision(item: c.Decision, ctx: Context) -> list[Draft]:
    resource = ctx.base("ServiceRequest", item.record_id) | {
        "status": _DECISION_STATUS[item.outcome], "intent": "order",
        "category": _categories(ctx, item.service.service_kind if item.service else None),
        "subject": ctx.client,
        # A decision is dated, not timed: the start of that day in Finland.
        "authoredOn": dt.datetime.combine(item.decision_date, dt.time(), HELSINKI),
        "performer": [ctx.provider],
        "supportingInfo": [{"type": "DocumentReference", "identifier": {
            "system": systems.DECISION_ID, "value": item.decision_id}}],
    }
    if item.service is not None:
        resource["code"] = _concept(systems.PALVELUMUOTO, item.service.palvelumuoto)
    if item.based_on:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{item.based_on}"}]
    _extend(resource, {"url": systems.EXT_DECISION_OUTCOME, "valueCode": item.outcome})
    return [Draft(_social("decision.made"), item.record_id, resource)]


def _categories(ctx: Context, service_kind: str | None) -> list[Json]:
    if service_kind is None:
        return [ctx.service_task]
    return [ctx.service_task, _concept(systems.SERVICE_KIND, service_kind)]


def service(item: c.Service, ctx: Context) -> list[Draft]:
    resource = ctx.base("ServiceRequest", item.record_id) | {
        "status": "active" if item.action == "started" else "completed", "intent": "order",
        "category": _categories(ctx, item.service_kind),
        "code": _concept(systems.PALVELUMUOTO, item.palvelumuoto), "subject": ctx.client,
        "occurrencePeriod": _period(item.period), "performer": [ctx.provider],
    }
    if item.decision_id:
        resource["supportingInfo"] = [{"type": "DocumentReference", "identifier": {
            "system": systems.DECISION_ID, "value": item.decision_id}}]
    return [Draft(_social(f"service.{item.action}"), item.record_id, resource)]


def outcome_measure(item: c.OutcomeMeasure, ctx: Context) -> list[Draft]:
    # FHIR: a final observation changed afterwards is `corrected`.
    status = "final" if ctx.document.version == 1 else "corrected"
    method = _concept(systems.ASSESSOR_ROLE, item.assessor_role)
    category = [_concept(systems.OBSERVATION_CATEGORY, "survey")]
    drafts = []
    for entry in item.items:
        record_id = f"{item.record_id}.{entry.item}"
        value = ({"valueInteger": entry.score} if isinstance(entry.score, int)
                 else {"valueQuantity": {"value": entry.score}})
        resource = ctx.base("Observation", record_id) | {
            "status": status, "category": category,
            "code": _concept(systems.OUTCOME_INSTRUMENT, f"{item.instrument}-{entry.item}"),
            "subject": ctx.client, "effectiveDateTime": item.assessed_at, "method": method,
        } | value
        drafts.append(Draft(_social("outcome-measure.recorded"), record_id, resource))
    return drafts


def client_data(item: c.ClientData, ctx: Context) -> list[Draft]:
    resource = ctx.base("Patient", item.record_id) | {
        "identifier": [ctx.client["identifier"]], "managingOrganization": ctx.provider}
    if item.name is not None:
        name: Json = {"family": item.name.family}
        if item.name.given:
            name["given"] = list(item.name.given)
        resource["name"] = [name]
    if item.address is not None:
        resource["address"] = [_address(item.address)]
    if item.gender is not None:
        resource["gender"] = item.gender
    if item.birth_date is not None:
        resource["birthDate"] = item.birth_date
    return [Draft("fi.silta.common.patient.identified.v1", item.record_id, resource)]


def _address(address: c.PostalAddress) -> Json:
    out: Json = {"line": list(address.lines)} if address.lines else {}
    for ours, fhir in (("postal_code", "postalCode"), ("city", "city"), ("country", "country")):
        value = getattr(address, ours)
        if value is not None:
            out[fhir] = value
    return out


MAPPERS: dict[type, Callable[[Any, Context], list[Draft]]] = {
    c.ClientRelationship: client_relationship, c.Notification: notification,
    c.Assessment: assessment, c.ClientPlan: client_plan, c.Decision: decision,
    c.Service: service, c.OutcomeMeasure: outcome_measure, c.ClientData: client_data,
}
