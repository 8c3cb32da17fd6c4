"""Copy a resource down to what the lean contract models define; drop the rest.

Dropped on the way: every element the contract does not model (narrative `text`, `note`,
`Reference.display`, names in references, unknown extensions' content, ...), security
codings of unknown systems, empty strings (FHIR has none; vendors mean "absent"),
extensions Silta does not define, organisation references without an identifier, and
identity codes inside non-client references. A value of the
wrong JSON type is copied as it is, so the contract reports it at its own pointer.
A `modifierExtension` changes the meaning of what it sits on, so it is refused, not dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.errors import TranslationError
from adapters.fhir_r4.labels import security_labels
from adapters.fhir_r4.references import References, checked_identifier, is_client_system
from adapters.fhir_r4.shapes import INSTANT, LEAF, Child, Shape
from adapters.fhir_r4.times import localise
from contracts import systems
from contracts.fhir.datatypes import (
    ClientIdentifier,
    ClientReference,
    Extension,
    Meta,
    OrganisationReference,
    Reference,
)

DROP = object()
KNOWN_EXTENSIONS = frozenset({systems.EXT_NOTIFIER, systems.EXT_DECISION_OUTCOME,
                              systems.EXT_EPISODE})
Hook = Callable[[Any, Shape, str, References], Any]


def minimise(resource: dict[str, Any], shape: Shape, pointer: str,
             refs: References) -> dict[str, Any]:
    out = _node(resource, shape, pointer, refs)
    assert isinstance(out, dict)  # resource is a dict, and no hook drops a resource
    return out


def _node(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    hook = _HOOKS.get(shape.model)
    if hook is not None:
        return hook(value, shape, pointer, refs)
    return _object(value, shape, pointer, refs)


def _object(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    if not isinstance(value, dict):
        return value
    if "modifierExtension" in value:
        raise TranslationError("fhir.modifier-extension.unsupported",
                               f"{pointer}/modifierExtension",
                               "a modifierExtension changes the meaning of the element; "
                               "Silta cannot know what it means")
    if shape.resource_type is not None and value.get("resourceType") != shape.resource_type:
        raise TranslationError("fhir.resource.unsupported", pointer,
                               f"only a {shape.resource_type} is allowed here")
    out: dict[str, Any] = {}
    fields = shape.fields
    for key, item in value.items():
        child = fields.get(key)
        if child is None:
            continue
        if child is LEAF and item.__class__ is not list:  # the common case, kept cheap
            if item != "":
                out[key] = item
            continue
        copied = _value(item, child, f"{pointer}/{key}", refs)
        if copied is not DROP:
            out[key] = copied
    return out


def _value(item: Any, child: Child, pointer: str, refs: References) -> Any:
    if isinstance(item, list):
        kept = [c for i, v in enumerate(item)
                if (c := _one(v, child, f"{pointer}/{i}", refs)) is not DROP]
        return kept or DROP  # FHIR forbids empty arrays
    return _one(item, child, pointer, refs)


def _one(item: Any, child: Child, pointer: str, refs: References) -> Any:
    if item == "":
        return DROP  # FHIR has no empty strings; vendors send "" for "absent"
    if child is LEAF:
        return item
    if child is INSTANT:
        return localise(item)
    assert isinstance(child, Shape)
    return _node(item, child, pointer, refs)


# --- elements that need more than a copy -------------------------------------------------

def _meta(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    out = _object(value, shape, pointer, refs)
    if isinstance(out, dict) and "security" in out:
        labels = security_labels(out.pop("security"))
        if labels is not None:
            out["security"] = labels
    return out or DROP


def _extension(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    if isinstance(value, dict):
        url = value.get("url")
        if not isinstance(url, str) or url not in KNOWN_EXTENSIONS:
            return DROP
    return _object(value, shape, pointer, refs)


def _reference(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    out = _object(value, shape, pointer, refs)
    if not isinstance(out, dict):
        return out
    identifier = out.get("identifier")
    if isinstance(identifier, dict) and is_client_system(identifier.get("system")):
        del out["identifier"]  # an identity code travels only in the client reference
    literal = out.get("reference")
    if isinstance(literal, str):
        out["reference"] = refs.rewrite(literal, f"{pointer}/reference")
    return out if ("reference" in out or "identifier" in out) else DROP


def _organisation(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    out = _object(value, shape, pointer, refs)
    if isinstance(out, dict) and ("identifier" not in out
                                  or out.get("type", "Organization") != "Organization"):
        return DROP
    return out


def _client(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    return refs.client(value, pointer)


def _client_identifier(value: Any, shape: Shape, pointer: str, refs: References) -> Any:
    if not isinstance(value, dict) or not is_client_system(value.get("system")):
        return DROP  # a Patient's other identifiers (local record numbers) stay at home
    return checked_identifier(value, f"{pointer}/value")


_HOOKS: dict[type, Hook] = {
    Meta: _meta, Extension: _extension, Reference: _reference,
    OrganisationReference: _organisation, ClientReference: _client,
    ClientIdentifier: _client_identifier,
}
