"""A contract event: the envelope plus the profiled FHIR resource it carries.

`parse_event` is the hot path of every consumer: headers and value bytes in, a validated
event out, or a `ContractViolation` listing every problem with a JSON pointer.
`make_event` is the adapters' way out: a resource dict in, a validated event out.

Both try the msgspec mirror of the profile first (structs.py): it accepts only what the
pydantic profile accepts, into a Struct with the same attributes, and declines anything
else to the pydantic profile, which then gives the verdict and every failure. So an
event's `envelope` and `resource` are either pydantic models or their mirrors; read them
by attribute (and `to_fhir()`/`to_json()`), never by `isinstance`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from contracts.catalogue import BY_TYPE, EventSpec, occurred_at
from contracts.envelope import (
    FHIR_JSON,
    Envelope,
    Headers,
    attributes_of,
    envelope_failures,
    fast_envelope,
    headers_to_dict,
    schema_uri,
    to_headers,
)
from contracts.errors import ContractError
from contracts.failures import from_validation_error
from contracts.structs import mirror

# Where each resource names its client; the rest use `subject`.
_CLIENT_ELEMENT = {"EpisodeOfCare": "patient", "Task": "for_"}


class ContractViolation(ContractError):
    """A message breaks its contract; `failures` lists every problem found."""

    def __init__(self, failures: list[ContractError]) -> None:
        self.failures = failures
        first = failures[0]
        super().__init__(first.pointer, first.expected, first.found)
        if len(failures) > 1:
            self.args = (f"{self.args[0]} (and {len(failures) - 1} more)",)


@dataclass(frozen=True)
class ContractEvent:
    envelope: Any  # an Envelope, or its mirror
    resource: Any  # the profile's model, or its mirror

    @property
    def spec(self) -> EventSpec:
        return BY_TYPE[self.envelope.type]

    @functools.cached_property
    def occurred_at(self) -> dt.datetime:
        # cached: the timeline reads it for the entry and again for the client's age
        return occurred_at(self.spec, self.resource) or self.envelope.time

    def client_identifier(self) -> tuple[str, str]:
        """(system, value) of the client the event is about."""
        resource = self.resource
        if resource.resourceType == "Patient":
            identifier = resource.identifier[0]
        else:
            reference = getattr(resource, _CLIENT_ELEMENT.get(resource.resourceType, "subject"))
            identifier = reference.identifier
        return identifier.system, identifier.value

    def value(self) -> bytes:
        return self._json

    @functools.cached_property
    def _json(self) -> bytes:
        # Serialised once: the adapters' name check reads it, then ingest publishes it.
        return self.resource.to_json()  # type: ignore[no-any-return]

    def headers(self) -> list[tuple[str, bytes]]:
        return to_headers(self.envelope)

    def to_message(self) -> dict[str, Any]:
        """The JSON message form the conformance CLI reads: headers and value."""
        return {
            "headers": {k: v.decode() for k, v in self.headers()},
            "value": self.resource.to_fhir(),
        }


def make_event(
    event_type: str,
    resource: Any,
    *,
    id: str,
    source: str,
    time: dt.datetime,
    subject: str | None = None,
    corrects: str | None = None,
) -> ContractEvent:
    """Build and validate an event; `resource` is a dict of FHIR JSON or a model."""
    spec = _spec(event_type)
    data = resource.to_fhir() if hasattr(resource, "to_fhir") else resource
    attributes = {"id": id, "source": source, "type": event_type, "time": time,
                  "subject": subject, "dataschema": schema_uri(event_type),
                  "datacontenttype": FHIR_JSON, "corrects": corrects}
    fast = _mirror(spec)
    model = None if fast is None else fast.from_data(data)
    if model is None:
        try:
            model = spec.adapter.validate_python(data)
        except ValidationError as exc:
            raise ContractViolation(from_validation_error(exc, "", _tags(spec))) from None
    envelope = fast_envelope({k: v for k, v in attributes.items() if v is not None})
    if envelope is None:
        envelope = Envelope(**attributes)
    _check_correction(spec, envelope)
    return ContractEvent(envelope, model)


def parse_event(headers: Headers | dict[str, Any], value: bytes | str | dict[str, Any]) -> ContractEvent:
    """Validate a message against its contract; raise ContractViolation with every failure.

    The value is checked whenever the type is known, even if other headers are wrong, so a
    vendor sees all problems of a message at once.
    """
    if (event := _parse_fast(headers, value)) is not None:
        return event
    envelope = envelope_failures(headers)
    failures: list[ContractError] = [] if isinstance(envelope, Envelope) else list(envelope)
    event_type = envelope.type if isinstance(envelope, Envelope) else _raw_type(headers)
    spec = BY_TYPE.get(event_type or "")
    if spec is None:
        if not any(f.pointer == "/headers/ce_type" for f in failures):
            failures.append(ContractError("/headers/ce_type",
                                          "an event type from `silta contracts list`",
                                          repr(event_type)))
        raise ContractViolation(failures)
    if isinstance(envelope, Envelope):
        try:
            _check_correction(spec, envelope)
        except ContractError as exc:
            failures.append(exc)
    try:
        if isinstance(value, dict):
            resource = spec.adapter.validate_python(value)
        else:
            resource = spec.adapter.validate_json(value)
    except ValidationError as exc:
        failures += from_validation_error(exc, "", _tags(spec))
    if failures or not isinstance(envelope, Envelope):
        raise ContractViolation(failures)
    return ContractEvent(envelope, resource)


def read_trusted(headers: Headers, value: bytes) -> ContractEvent:
    """`parse_event` for a message whose writer validated it against this contract: when
    its `ce_dataschema` names the schema this catalogue has for its type (the same
    contract version), the mirrors read its shape only (structs.py `checks=False`);
    anything else, and anything whose shape is wrong, gets `parse_event`'s full check and
    verdict. The caller says why it trusts the writer (services/timeline/README.md)."""
    event = _parse_fast(headers, value, trusted=True)
    return event if event is not None else parse_event(headers, value)


def _parse_fast(headers: Headers | dict[str, Any], value: bytes | str | dict[str, Any], *,
                trusted: bool = False) -> ContractEvent | None:
    """The event by the mirrors, or None when either declines (or the headers cannot be
    decoded): then `parse_event` runs the profiles and collects every failure."""
    if not isinstance(value, bytes):
        return None
    try:
        decoded = headers_to_dict(headers)
    except ContractError:
        return None
    spec = BY_TYPE.get(decoded.get("ce_type", ""))
    fast = None if spec is None else _mirror(spec)
    if spec is None or fast is None:
        return None
    checks = not (trusted and decoded.get("ce_dataschema") == schema_uri(spec.type))
    envelope = fast_envelope(attributes_of(decoded), checks=checks)
    if envelope is None:
        return None
    try:
        _check_correction(spec, envelope)
    except ContractError:
        return None
    resource = fast.decode(value, checks=checks)
    return None if resource is None else ContractEvent(envelope, resource)


def _mirror(spec: EventSpec) -> Any:
    return mirror(spec.resource)


def _raw_type(headers: Headers | dict[str, Any]) -> str | None:
    try:
        return headers_to_dict(headers).get("ce_type")
    except ContractError:
        return None


def _spec(event_type: str) -> EventSpec:
    try:
        return BY_TYPE[event_type]
    except KeyError:
        raise ContractError("/headers/ce_type", "a catalogued event type",
                            repr(event_type)) from None


def _tags(spec: EventSpec) -> frozenset[str]:
    # Discriminated unions put the resourceType first in an error's location.
    return frozenset(spec.resource_types) if len(spec.resource_types) > 1 else frozenset()


def _check_correction(spec: EventSpec, envelope: Envelope) -> None:
    if spec.correction and envelope.corrects is None:
        raise ContractError("/headers/ce_corrects",
                            f"the id of the event this {spec.correction}s", "nothing")
    if not spec.correction and envelope.corrects is not None:
        raise ContractError("/headers/ce_corrects", f"no ce_corrects on {spec.type}",
                            repr(envelope.corrects))
