"""Who the client is, and where references point, within one message.

A resource names its client either logically (`subject.identifier` with the HETU or a
temporary-id system) or literally (`Patient/123`, an absolute URL, `urn:uuid:...`). A
literal reference must resolve to a Patient in the same Bundle that carries a usable
identifier; otherwise the message has no client identity (`identity.missing`).
Other literal references are rewritten to the relative `<Type>/<id>` form the contract
allows; a `urn:` reference that points at nothing in the Bundle is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import TranslationError
from adapters.identity import validate_hetu
from contracts import systems

_RELATIVE = re.compile(r"([A-Z][A-Za-z]+)/([^/]+)$")


@dataclass(frozen=True)
class Target:
    resource_type: str
    record_id: str
    client: dict[str, str] | None = None  # for a Patient: its identifier, when usable


@dataclass
class References:
    """Every way an entry of the message can be referred to, and the clients known."""

    targets: dict[str, Target] = field(default_factory=dict)
    restricted_clients: set[tuple[str, str]] = field(default_factory=set)

    def add(self, target: Target, full_url: Any) -> None:
        self.targets[f"{target.resource_type}/{target.record_id}"] = target
        if isinstance(full_url, str) and full_url:
            self.targets[full_url] = target

    def find(self, reference: str) -> Target | None:
        found = self.targets.get(reference)
        if found is not None or reference.startswith("urn:"):
            return found
        relative = relative_reference(reference)
        return self.targets.get(relative) if relative else None

    def rewrite(self, reference: str, pointer: str) -> str:
        """The contract's form of a non-client literal reference."""
        if reference.startswith("#"):
            return reference
        target = self.find(reference)
        if target is not None:
            return f"{target.resource_type}/{target.record_id}"
        if reference.startswith("urn:"):
            raise TranslationError("fhir.reference.unresolved", pointer,
                                   "a urn: reference that names no entry of this Bundle")
        return relative_reference(reference) or reference

    def client(self, value: Any, pointer: str) -> dict[str, Any]:
        """The contract's ClientReference for a subject/patient/for element."""
        if isinstance(value, dict):
            if value.get("type") not in (None, "Patient"):
                raise TranslationError("identity.missing", pointer,
                                       "the subject is not a Patient, so there is no client")
            identifier = value.get("identifier")
            if isinstance(identifier, dict) and is_client_system(identifier.get("system")):
                checked = checked_identifier(identifier, pointer + "/identifier/value")
                return {"identifier": checked, "type": "Patient"}
            reference = value.get("reference")
            target = self.find(reference) if isinstance(reference, str) else None
            if target is not None and target.resource_type == "Patient" and target.client:
                checked = checked_identifier(target.client, pointer)
                return {"identifier": checked, "type": "Patient"}
        raise TranslationError(
            "identity.missing", pointer,
            f"no client identity: expected an identifier with system {systems.HETU} or a "
            f"temporary id, or a reference to a Patient in this Bundle that has one")

    def is_restricted(self, client: dict[str, Any]) -> bool:
        identifier = client["identifier"]
        return (identifier["system"], identifier["value"]) in self.restricted_clients


def relative_reference(reference: str) -> str | None:
    """`Type/id` from `Type/id`, `Type/id/_history/n` or an absolute URL ending so."""
    path = reference.split("/_history/", 1)[0]
    match = _RELATIVE.search(path)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def is_client_system(system: Any) -> bool:
    return isinstance(system, str) and (
        system == systems.HETU or system.startswith(systems.TEMPORARY_ID_PREFIX))


def checked_identifier(identifier: dict[str, Any], pointer: str) -> dict[str, str]:
    """system + value of a client identifier; a HETU's check character is verified.
    `pointer` is where an error points: the value, or the reference that led to it."""
    system, value = identifier.get("system"), identifier.get("value")
    if not isinstance(value, str) or not value or len(value) > 64:
        raise TranslationError("identity.invalid", pointer,
                               "the client identifier needs a value of 1 to 64 characters")
    if system == systems.HETU:
        validate_hetu(value, pointer)
    return {"system": str(system), "value": value}


def client_of_patient(resource: dict[str, Any]) -> dict[str, str] | None:
    """A Patient's identity: its first HETU, else its first temporary id (unchecked)."""
    identifiers = resource.get("identifier")
    if not isinstance(identifiers, list):
        return None
    usable = [i for i in identifiers if isinstance(i, dict) and is_client_system(i.get("system"))]
    usable.sort(key=lambda i: i.get("system") != systems.HETU)
    return usable[0] if usable else None
