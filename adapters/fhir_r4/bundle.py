"""From bytes to the resources of one message: a single resource or a Bundle's entries.

Supported Bundle types: collection, transaction (POST and PUT entries) and message (the
first entry is the MessageHeader, which only frames the message and becomes no event).
A Bundle is all-or-nothing: the first bad entry fails the whole message with the JSON
pointer of that entry, so the dead-letter topic keeps the message as the source sent it
and a redrive after a fix cannot duplicate the entries that did translate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adapters.base import load_json
from adapters.errors import TranslationError
from adapters.fhir_r4.rules import SUPPORTED

BUNDLE_TYPES = ("collection", "transaction", "message")
_UUID = re.compile(r"^urn:uuid:([0-9a-fA-F-]{36})$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True)
class Entry:
    pointer: str  # JSON pointer of the resource in the message ("" for a single resource)
    resource_type: str
    record_id: str
    resource: dict[str, Any]
    full_url: Any = None


def load(data: bytes) -> dict[str, Any]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark is legal in the wild, not in JSON
    value = load_json(data)
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise TranslationError("fhir.resource.invalid", "",
                               "expected a JSON object with a resourceType string")
    return value


def entries(message: dict[str, Any]) -> list[Entry]:
    """The resources to translate, in message order, with their record ids."""
    if message["resourceType"] != "Bundle":
        return [_entry(message, "", None, None)]
    kind = message.get("type")
    if kind not in BUNDLE_TYPES:
        raise TranslationError("fhir.bundle.unsupported", "/type",
                               f"a Bundle of type {' or '.join(BUNDLE_TYPES)}")
    items = message.get("entry")
    if not isinstance(items, list) or not items:
        raise TranslationError("fhir.bundle.invalid", "/entry",
                               "a Bundle with at least one entry")
    out: list[Entry] = []
    for index, item in enumerate(items):
        pointer = f"/entry/{index}"
        resource = _resource_of(item, pointer, kind)
        if kind == "message" and index == 0:
            if resource.get("resourceType") != "MessageHeader":
                raise TranslationError("fhir.bundle.invalid", f"{pointer}/resource",
                                       "a message Bundle starts with its MessageHeader")
            continue
        out.append(_entry(resource, f"{pointer}/resource", item, kind))
    if not out:
        raise TranslationError("fhir.bundle.invalid", "/entry",
                               "a Bundle with at least one entry besides the MessageHeader")
    return out


def _resource_of(item: Any, pointer: str, kind: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise TranslationError("fhir.bundle.invalid", pointer, "an entry is a JSON object")
    if kind == "transaction":
        request = item.get("request")
        method = request.get("method") if isinstance(request, dict) else None
        if method not in ("POST", "PUT"):
            raise TranslationError("fhir.request.unsupported", f"{pointer}/request/method",
                                   "a transaction entry with method POST or PUT")
    resource = item.get("resource")
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        raise TranslationError("fhir.bundle.invalid", f"{pointer}/resource",
                               "an entry with a resource that has a resourceType")
    return resource


def _entry(resource: dict[str, Any], pointer: str, item: Any, kind: str | None) -> Entry:
    resource_type = resource["resourceType"]
    if resource_type not in SUPPORTED:
        where = pointer.removesuffix("/resource")
        raise TranslationError(
            "fhir.resource.unsupported", where,
            f"this resource type has no event in the catalogue; supported: "
            f"{', '.join(sorted(SUPPORTED))}")
    full_url = item.get("fullUrl") if isinstance(item, dict) else None
    return Entry(pointer, resource_type, _record_id(resource, pointer, item, resource_type),
                 resource, full_url)


def _record_id(resource: dict[str, Any], pointer: str, item: Any, resource_type: str) -> str:
    """Resource.id; in a Bundle, else the id a PUT names or the uuid of a urn:uuid fullUrl."""
    candidates = [resource.get("id")]
    if isinstance(item, dict):
        request = item.get("request")
        url = request.get("url") if isinstance(request, dict) else None
        if isinstance(url, str) and url.startswith(f"{resource_type}/"):
            candidates.append(url.split("/", 1)[1])
        full_url = item.get("fullUrl")
        match = _UUID.match(full_url) if isinstance(full_url, str) else None
        candidates.append(match.group(1).lower() if match else None)
    for candidate in candidates:
        if candidate is not None:
            if isinstance(candidate, str) and _ID.match(candidate):
                return candidate
            raise TranslationError("fhir.id.invalid", f"{pointer}/id",
                                   "a resource id of 1 to 64 letters, digits, '-' or '.'")
    raise TranslationError("fhir.id.missing", f"{pointer}/id",
                           "a resource id (or, in a Bundle, a urn:uuid fullUrl) to name "
                           "the record")
