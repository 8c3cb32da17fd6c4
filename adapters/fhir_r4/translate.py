"""The FHIR R4 adapter's entry point: one message in, its contract events out."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import orjson

from adapters.base import SourceInfo, build_event, check_size, refuse_names
from adapters.errors import TranslationError
from adapters.fhir_r4.bundle import Entry, entries, load
from adapters.fhir_r4.labels import add_turvakielto, has_turvakielto
from adapters.fhir_r4.minimise import minimise
from adapters.fhir_r4.references import References, Target, client_of_patient
from adapters.fhir_r4.rules import plan
from adapters.fhir_r4.shapes import RESOURCE_SHAPES
from adapters.fhir_r4.times import parse_instant
from contracts import systems
from contracts.events import ContractEvent
from contracts.hetu import redact_identity_codes

ADAPTER_VERSION = "fhir-r4/1"
CLIENT_ELEMENT = {"EpisodeOfCare": "patient", "Task": "for", "Patient": "identifier"}
_FREE_TEXT = frozenset({"text", "display", "valueString", "family", "given", "line", "city",
                        "postalCode", "country"})


def translate(data: bytes, source: SourceInfo) -> list[ContractEvent]:
    """FHIR R4 JSON (a resource or a collection/transaction/message Bundle) to events."""
    check_size(data)
    try:
        message = load(data)
        items = entries(message)
        refs = _index(items)
        fallback = _message_time(message) or source.received_at
        events = [_event(entry, refs, source, fallback) for entry in items]
        return refuse_names(events, _names(items), "Patient.name")
    except TranslationError as exc:
        raise _scrubbed(exc) from None


def _names(items: list[Entry]) -> list[str]:
    """The family and given names of every Patient in the message."""
    names: list[str] = []
    for entry in items:
        found = entry.resource.get("name") if entry.resource_type == "Patient" else None
        for name in found if isinstance(found, list) else ():
            if isinstance(name, dict):
                parts = [name.get("family"), *(name.get("given") or ())]
                names += [part for part in parts if isinstance(part, str)]
    return names


def _index(items: list[Entry]) -> References:
    refs = References()
    for entry in items:
        key = f"{entry.resource_type}/{entry.record_id}"
        if key in refs.targets:
            raise TranslationError("fhir.entry.duplicate", entry.pointer,
                                   "the same resource appears twice in this Bundle")
        client = client_of_patient(entry.resource) if entry.resource_type == "Patient" else None
        refs.add(Target(entry.resource_type, entry.record_id, client), entry.full_url)
        meta = entry.resource.get("meta")
        if client and isinstance(client.get("value"), str) and isinstance(meta, dict) \
                and has_turvakielto(meta.get("security")):
            refs.restricted_clients.add((client["system"], client["value"]))
    return refs


def _message_time(message: dict[str, Any]) -> dt.datetime | None:
    meta = message.get("meta")
    last_updated = meta.get("lastUpdated") if isinstance(meta, dict) else None
    return parse_instant(message.get("timestamp")) or parse_instant(last_updated)


def _event(entry: Entry, refs: References, source: SourceInfo,
           fallback: dt.datetime) -> ContractEvent:
    try:
        resource = _minimised(entry, refs)
        digest = lambda: hashlib.sha256(  # noqa: E731 - only computed when an id needs it
            orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
        decided = plan(entry.resource_type, resource, entry.record_id, digest)
    except TranslationError as exc:
        raise TranslationError(exc.code, entry.pointer + exc.location, exc.message) from None
    meta = resource.get("meta")
    time = parse_instant(meta.get("lastUpdated")) if isinstance(meta, dict) else None
    return build_event(
        decided.event_type, resource, source, id=decided.id,
        subject=f"{entry.resource_type}/{entry.record_id}", time=time or fallback,
        corrects=decided.corrects, location=entry.pointer,
    )


def _minimised(entry: Entry, refs: References) -> dict[str, Any]:
    element = CLIENT_ELEMENT.get(entry.resource_type, "subject")
    if element not in entry.resource:
        raise TranslationError("identity.missing", f"/{element}",
                               "no client identity: the element naming the client is missing")
    resource = minimise(entry.resource, RESOURCE_SHAPES[entry.resource_type], "", refs)
    resource["id"] = entry.record_id
    if entry.resource_type == "Patient":
        if "identifier" not in resource:
            raise TranslationError("identity.missing", "/identifier",
                                   "no identifier with the HETU or a temporary-id system")
        # The HETU first: consumers key the client by the first identifier, and references
        # resolved to this Patient use its HETU too, so both give the same pseudonym.
        if isinstance(resource["identifier"], list):  # else the contract reports it
            resource["identifier"].sort(key=lambda i: i["system"] != systems.HETU)
        return resource
    client = resource.get(element)
    if not isinstance(client, dict):  # e.g. an array where one reference belongs
        raise TranslationError("identity.missing", f"/{element}",
                               "no client identity: expected one reference to the client")
    contained_list = resource.get("contained")
    for contained in contained_list if isinstance(contained_list, list) else ():
        # A contained Goal or Observation is about the container's client by definition.
        if isinstance(contained, dict) and "subject" not in contained:
            contained["subject"] = client
    if refs.is_restricted(client):
        add_turvakielto(resource)
    return resource


def _scrubbed(exc: TranslationError) -> TranslationError:
    """The error with anything shaped like an identity code, or free text the contract
    echoed back, taken out (errors go to logs and the dead-letter headers)."""
    message = redact_identity_codes(exc.message)
    location = redact_identity_codes(exc.location)
    last = location.rsplit("/", 2)
    if exc.code == "contract.violation" and ", found " in message and \
            _FREE_TEXT.intersection(last):
        message = message.split(", found ", 1)[0] + ", found a value not shown (free text)"
    if (message, location) == (exc.message, exc.location):
        return exc
    return TranslationError(exc.code, location, message)
