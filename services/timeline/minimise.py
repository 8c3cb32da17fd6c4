"""From an identified contract event to a TimelineEntry: pseudonymise and minimise.

Only coded facts cross over: code systems and codes (no display text), numeric or coded
values (a free-text value is dropped), statuses, times, the organisation OID, and keyed
opaque references. The client identity becomes the keyed pseudonym.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from contracts import systems
from contracts.codes import CodeProblem, check_code, check_unit
from contracts.envelope import Envelope
from contracts.events import ContractEvent
from contracts.fhir.datatypes import CodeableConcept, Coding
from contracts.hetu import parse_hetu
from contracts.timeline import AgeBand, Code, Status, TimelineEntry, Value, age_band
from services.pseudonyms import Pseudonymiser

_OID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_UNIT = re.compile(r"^[^\s]{1,32}$")
_MAX_CODES = 32
# Elements whose codings describe what the record is, per resource type.
_CODED = {
    "Encounter": ("class_", "type", "serviceType", "reasonCode"),
    "Condition": ("code", "category"),
    "Observation": ("code", "category", "method"),
    "Procedure": ("code", "category"),
    "EpisodeOfCare": ("type",),
    "ServiceRequest": ("category", "code", "reasonCode"),
    "CarePlan": ("category",),
    "Task": ("code",),
}
_ORGANISATION = ("serviceProvider", "managingOrganization", "performer")


def entry_id(pseudonymiser: Pseudonymiser, source: str, event_id: str) -> str:
    return pseudonymiser.opaque("entry", source, event_id)


def record_ref(pseudonymiser: Pseudonymiser, envelope: Envelope) -> str:
    """The source record (source + `<ResourceType>/<record id>`) as an opaque reference."""
    return pseudonymiser.opaque("record", envelope.source, envelope.subject or envelope.id)


def check_codes(entry: TimelineEntry) -> None:
    """Raise CodeProblem (located in the entry, never quoting the value) unless every code
    and unit the entry would publish has its code system's shape."""
    located: list[tuple[str, Code]] = [(f"/codes/{i}", c) for i, c in enumerate(entry.codes)]
    if entry.service_task is not None:
        located.append(("/service_task", entry.service_task))
    if entry.value is not None and entry.value.code is not None:
        located.append(("/value/code", entry.value.code))
    for where, code in located:
        try:
            check_code(code.system, code.code)
        except CodeProblem as problem:
            raise problem.at(f"timeline entry {where}") from None
    if entry.value is not None and entry.value.unit is not None:
        try:
            check_unit(entry.value.unit)
        except CodeProblem as problem:
            raise problem.at("timeline entry /value/unit") from None


_SOCIAL_RESOURCES = {"EpisodeOfCare", "CarePlan", "Task"}


def sector_of(event: ContractEvent, source_sectors: dict[str, str]) -> str:
    """The source system's sector; for a source we do not know, the record's register,
    then the catalogue's sector, then the resource type."""
    if (sector := source_sectors.get(event.envelope.source)) is not None:
        return sector
    meta = getattr(event.resource, "meta", None)
    for coding in (meta.security or ()) if meta is not None else ():
        if coding.system == systems.PATIENT_REGISTER:
            return "health"
        if coding.system == systems.SOCIAL_WELFARE_REGISTER:
            return "social"
    if event.spec.sector != "common":
        return event.spec.sector
    return "social" if event.resource.resourceType in _SOCIAL_RESOURCES else "health"


def status_of(event: ContractEvent) -> Status:
    correction = event.spec.correction
    return "amended" if correction == "amend" else "retracted" if correction == "retract" else "active"


def to_entry(event: ContractEvent, pseudonymiser: Pseudonymiser, *, sector: str, sequence: int,
             coarsen: bool = False, status: Status | None = None, this_id: str | None = None,
             client: str | None = None) -> TimelineEntry:
    """`this_id` and `client` may be passed when the caller already computed them."""
    envelope, resource = event.envelope, event.resource
    labels = _labels(resource)
    corrects = envelope.corrects
    return TimelineEntry(
        entry_id=this_id or entry_id(pseudonymiser, envelope.source, envelope.id),
        client=client or pseudonymiser.pseudonym(*event.client_identifier()),
        key_version=pseudonymiser.version,
        sequence=sequence,
        sector=sector,  # type: ignore[arg-type]
        kind=event.spec.kind,
        event_type=envelope.type,
        resource_type=resource.resourceType,
        status=status or status_of(event),
        corrects=entry_id(pseudonymiser, envelope.source, corrects) if corrects else None,
        occurred_at=event.occurred_at,
        recorded_at=envelope.time,
        codes=_codes(resource),
        value=_value(resource),
        record_status=_record_status(resource),
        service_task=_service_task(resource),
        organisation=None if coarsen else _organisation(resource),
        episode=None if coarsen else _episode(resource, envelope.source, pseudonymiser),
        source_ref=record_ref(pseudonymiser, envelope),
        security_labels=labels,
        age_band=_age_band(event),
    )


_HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


def _age_band(event: ContractEvent) -> AgeBand | None:
    """From the identity code's birth date, at the event's local (Finnish) date."""
    system, value = event.client_identifier()
    if system != systems.HETU:
        return None
    return age_band(parse_hetu(value).birth_date, event.occurred_at.astimezone(_HELSINKI).date())


def _code(coding: Coding) -> Code | None:
    if len(coding.system) > 256 or len(coding.code) > 128:
        return None
    return Code(system=coding.system, code=coding.code)


def _codes(resource: Any) -> list[Code]:
    found: list[Code] = []
    for name in _CODED.get(resource.resourceType, ()):
        element = getattr(resource, name, None)
        concepts = element if isinstance(element, list) else [element]
        for concept in concepts:
            codings = [concept] if isinstance(concept, Coding) else (
                concept.coding if isinstance(concept, CodeableConcept) else [])
            for coding in codings:
                code = _code(coding)
                if code is not None and code not in found:
                    found.append(code)
    return found[:_MAX_CODES]


def _value(resource: Any) -> Value | None:
    if resource.resourceType == "Observation":
        if resource.valueQuantity is not None:
            quantity = resource.valueQuantity
            unit = quantity.code or quantity.unit
            return Value(number=quantity.value,
                         unit=unit if unit and _UNIT.match(unit) else None)
        if resource.valueInteger is not None:
            return Value(number=float(resource.valueInteger))
        if resource.valueBoolean is not None:
            return Value(boolean=resource.valueBoolean)
        if resource.valueCodeableConcept is not None:
            code = _code(resource.valueCodeableConcept.coding[0])
            return Value(code=code) if code else None
        return None  # valueString is free text: it stays on the restricted side
    for extension in getattr(resource, "extension", None) or ():
        if extension.url == systems.EXT_DECISION_OUTCOME and extension.valueCode:
            return Value(code=Code(system=systems.DECISION_OUTCOME, code=extension.valueCode))
    return None


def _record_status(resource: Any) -> str | None:
    status = getattr(resource, "status", None) or getattr(resource, "lifecycleStatus", None)
    return status if isinstance(status, str) else None


def _service_task(resource: Any) -> Code | None:
    meta = getattr(resource, "meta", None)
    codings = list(meta.tag or ()) if meta is not None else []
    for name in ("type", "category"):
        for concept in getattr(resource, name, None) or ():
            if isinstance(concept, CodeableConcept):
                codings += concept.coding
    for coding in codings:
        if coding.system == systems.PALVELUTEHTAVA:
            return _code(coding)
    return None


def _organisation(resource: Any) -> str | None:
    for name in _ORGANISATION:
        element = getattr(resource, name, None)
        for reference in element if isinstance(element, list) else [element]:
            identifier = getattr(reference, "identifier", None)
            if identifier is not None and identifier.system == systems.SOTE_ORGANISATION \
                    and _OID.match(identifier.value):
                return str(identifier.value)
    return None


def _episode(resource: Any, source: str, pseudonymiser: Pseudonymiser) -> str | None:
    reference = None
    if resource.resourceType == "EpisodeOfCare":
        return pseudonymiser.opaque("episode", source, f"EpisodeOfCare/{resource.id}") \
            if resource.id else None
    if resource.resourceType == "Encounter" and resource.episodeOfCare:
        reference = resource.episodeOfCare[0]
    for extension in getattr(resource, "extension", None) or ():
        if extension.url == systems.EXT_EPISODE and extension.valueReference is not None:
            reference = extension.valueReference
    if reference is None:
        return None
    target = reference.reference or (
        f"{reference.identifier.system}|{reference.identifier.value}" if reference.identifier else None)
    return pseudonymiser.opaque("episode", source, target) if target else None


def _labels(resource: Any) -> list[str]:
    meta = getattr(resource, "meta", None)
    if meta is None or meta.security is None:
        return []
    labels = []
    for coding in meta.security:
        if coding.system == systems.SECURITY_LABEL:
            labels.append(coding.code)
        elif coding.system == systems.PATIENT_REGISTER:
            labels.append("register:patient")
        elif coding.system == systems.SOCIAL_WELFARE_REGISTER:
            labels.append("register:social-welfare")
    return sorted(set(labels))[:16]

