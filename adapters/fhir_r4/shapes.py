"""What the lean contract models define, as a tree the minimiser walks.

The shapes are derived from `contracts.fhir` at import time, so the adapter copies exactly
the elements the contract knows and a new contract element needs no adapter change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AwareDatetime

from contracts.fhir.datatypes import FhirModel
from contracts.fhir.resources import RESOURCE_TYPES


class Leaf:
    """A primitive element, copied as it is (the contract validates its value)."""


class Instant(Leaf):
    """A date-time element: local times get the Europe/Helsinki offset before validation."""


LEAF, INSTANT = Leaf(), Instant()
Child = Union["Shape", Leaf]


@dataclass(eq=False)
class Shape:
    model: type[FhirModel]
    resource_type: str | None = None  # set for resources: contained ones are type-checked
    fields: dict[str, Child] = field(default_factory=dict)


_SHAPES: dict[type[FhirModel], Shape] = {}


def shape_of(model: type[FhirModel]) -> Shape:
    cached = _SHAPES.get(model)
    if cached is not None:
        return cached
    shape = Shape(model, _literal_resource_type(model))
    _SHAPES[model] = shape  # before the fields: a model may (indirectly) contain itself
    for name, info in model.model_fields.items():
        shape.fields[info.alias or name] = _child(info.annotation)
    return shape


def _literal_resource_type(model: type[FhirModel]) -> str | None:
    info = model.model_fields.get("resourceType")
    if info is None or get_origin(info.annotation) is not Literal:
        return None
    return str(get_args(info.annotation)[0])


def _child(annotation: Any) -> Child:
    leaves = list(_flatten(annotation))
    for leaf in leaves:
        if isinstance(leaf, type) and issubclass(leaf, FhirModel):
            return shape_of(leaf)
    if any(leaf is AwareDatetime or leaf is dt.datetime for leaf in leaves):
        return INSTANT
    return LEAF


def _flatten(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is None:
        yield annotation
        return
    args = get_args(annotation)
    if origin is Annotated:
        args = args[:1]
    if origin is Literal:
        return
    for arg in args:
        if arg is not type(None):
            yield from _flatten(arg)


RESOURCE_SHAPES: dict[str, Shape] = {name: shape_of(cls) for name, cls in RESOURCE_TYPES.items()}
