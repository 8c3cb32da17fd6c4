"""From an identified contract event to a TimelineEntry: pseudonymise and minimise.

Only coded facts cross over: code systems and codes (no display text), numeric or coded
values (a free-text value is dropped), statuses, times, the organisation OID, and keyed
opaque references. The client identity becomes the keyed pseudonym.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from contracts import systems
from contracts.codes import CodeProblem, check_code, check_unit
from contracts.events import ContractEvent
from contracts.hetu import parse_hetu
from contracts.structs import mirror
from contracts.timeline import AgeBand, Status, TimelineEntry, age_band
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


def record_ref(pseudonymiser: Pseudonymiser, envelope: Any) -> str:
    """The source record (source + `<ResourceType>/<record id>`) as an opaque reference."""
    return pseudonymiser.opaque("record", envelope.source, envelope.subject or envelope.id)


@dataclass(frozen=True)
class EntryKeys:
    """The keyed hashes an event's entry is made of, computed once per event."""

    client: str              # the client's pseudonym
    entry_id: str
    source_ref: str          # the source record
    corrects: str | None     # the entry id of the event this one corrects


def keys_of(event: ContractEvent, pseudonymiser: Pseudonymiser) -> EntryKeys:
    envelope = event.envelope
    corrects = envelope.corrects
    return EntryKeys(
        client=pseudonymiser.pseudonym(*event.client_identifier()),
        entry_id=entry_id(pseudonymiser, envelope.source, envelope.id),
        source_ref=record_ref(pseudonymiser, envelope),
        corrects=None if corrects is None else entry_id(pseudonymiser, envelope.source, corrects),
    )


def check_codes(entry: Mapping[str, Any]) -> None:
    """Raise CodeProblem (located in the entry, never quoting the value) unless every code
    and unit the entry (its `entry_data`) would publish has its code system's shape."""
    located: list[tuple[str, Mapping[str, str]]] = [
        (f"/codes/{i}", c) for i, c in enumerate(entry.get("codes") or ())]
    if entry.get("service_task") is not None:
        located.append(("/service_task", entry["service_task"]))
    value = entry.get("value") or {}
    if value.get("code") is not None:
        located.append(("/value/code", value["code"]))
    for where, code in located:
        try:
            check_code(code["system"], code["code"])
        except CodeProblem as problem:
            raise problem.at(f"timeline entry {where}") from None
    if value.get("unit") is not None:
        try:
            check_unit(value["unit"])
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


def entry_data(event: ContractEvent, keys: EntryKeys, pseudonymiser: Pseudonymiser, *,
               sector: str, sequence: int, coarsen: bool = False,
               withdraw: bool = False) -> dict[str, Any]:
    """The TimelineEntry of an event as JSON-ready data: its fields in the model's order,
    absent ones left out (what `model_dump(exclude_none=True)` gives, datetimes as
    datetimes). `coarsen` leaves out where it happened; `withdraw` makes it a retraction
    of what the event corrects, carrying nothing of the event's content."""
    envelope, resource = event.envelope, event.resource
    content = not withdraw
    fields: dict[str, Any] = {
        "entry_id": keys.entry_id, "client": keys.client,
        "key_version": pseudonymiser.version, "sequence": sequence, "sector": sector,
        "kind": event.spec.kind, "event_type": envelope.type,
        "resource_type": resource.resourceType,
        "status": "retracted" if withdraw else status_of(event), "corrects": keys.corrects,
        "occurred_at": event.occurred_at, "recorded_at": envelope.time,
        "codes": _codes(resource) if content else [],
        "value": _value(resource) if content else None,
        "record_status": _record_status(resource),
        "service_task": _service_task(resource) if content else None,
        "organisation": _organisation(resource) if content and not coarsen else None,
        "episode": _episode(resource, envelope.source, pseudonymiser)
        if content and not coarsen else None,
        "source_ref": keys.source_ref,
        "security_labels": _labels(resource),
        "age_band": _age_band(event),
    }
    return {name: value for name, value in fields.items() if value is not None}


def to_entry(event: ContractEvent, keys: EntryKeys, pseudonymiser: Pseudonymiser, *,
             sector: str, sequence: int, coarsen: bool = False,
             withdraw: bool = False) -> TimelineEntry:
    """The TimelineEntry of `entry_data` (a ValidationError when it breaks the model)."""
    return TimelineEntry.model_validate(entry_data(
        event, keys, pseudonymiser, sector=sector, sequence=sequence, coarsen=coarsen,
        withdraw=withdraw))


_HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")


def _age_band(event: ContractEvent) -> AgeBand | None:
    """From the identity code's birth date, at the event's local (Finnish) date."""
    system, value = event.client_identifier()
    if system != systems.HETU:
        return None
    return age_band(parse_hetu(value).birth_date, event.occurred_at.astimezone(_HELSINKI).date())


def _code(coding: Any) -> dict[str, str] | None:
    if len(coding.system) > 256 or len(coding.code) > 128:
        return None
    return {"system": coding.system, "code": coding.code}


def _codings(element: Any) -> list[Any]:
    """A Coding is itself; a CodeableConcept its codings (models and mirrors alike)."""
    if element is None:
        return []
    codings = getattr(element, "coding", None)
    if codings is not None:
        return codings  # type: ignore[no-any-return]
    return [element] if hasattr(element, "system") and hasattr(element, "code") else []


def _codes(resource: Any) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for name in _CODED.get(resource.resourceType, ()):
        element = getattr(resource, name, None)
        for concept in element if isinstance(element, list) else [element]:
            for coding in _codings(concept):
                code = _code(coding)
                if code is not None and code not in found:
                    found.append(code)
    return found[:_MAX_CODES]


def _value(resource: Any) -> dict[str, Any] | None:
    if resource.resourceType == "Observation":
        if resource.valueQuantity is not None:
            quantity = resource.valueQuantity
            unit = quantity.code or quantity.unit
            return {"number": quantity.value, **(
                {"unit": unit} if unit and _UNIT.match(unit) else {})}
        if resource.valueInteger is not None:
            return {"number": float(resource.valueInteger)}
        if resource.valueBoolean is not None:
            return {"boolean": resource.valueBoolean}
        if resource.valueCodeableConcept is not None:
            code = _code(resource.valueCodeableConcept.coding[0])
            return {"code": code} if code else None
        return None  # valueString is free text: it stays on the restricted side
    for extension in getattr(resource, "extension", None) or ():
        if extension.url == systems.EXT_DECISION_OUTCOME and extension.valueCode:
            return {"code": {"system": systems.DECISION_OUTCOME, "code": extension.valueCode}}
    return None


def _record_status(resource: Any) -> str | None:
    status = getattr(resource, "status", None) or getattr(resource, "lifecycleStatus", None)
    return status if isinstance(status, str) else None


def _service_task(resource: Any) -> dict[str, str] | None:
    meta = getattr(resource, "meta", None)
    codings = list(meta.tag or ()) if meta is not None else []
    for name in ("type", "category"):
        element = getattr(resource, name, None)
        for concept in element if isinstance(element, list) else ():
            codings += getattr(concept, "coding", None) or ()
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



def entry_json(data: dict[str, Any]) -> bytes:
    """`entry_data` as TimelineEntry JSON, the bytes pydantic's `model_dump_json(
    exclude_none=True)` writes; checked against the model by its msgspec mirror, or by
    the model itself when the mirror declines (ValidationError when it breaks it)."""
    value = data.get("value")
    number = None if value is None else value.get("number")
    # JSON writes NaN as null, which the mirror could not tell from an absent number.
    if number is None or math.isfinite(number):
        encoded = _ENCODER.encode(data)
        entry_mirror = mirror(TimelineEntry)
        if entry_mirror is not None and entry_mirror.decode(encoded) is not None:
            return encoded
    return TimelineEntry.model_validate(data).model_dump_json(exclude_none=True).encode()


_ENCODER = msgspec.json.Encoder()
