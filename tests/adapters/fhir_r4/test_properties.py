"""Property tests: whatever the bytes, `translate` returns valid contract events or raises
TranslationError, nothing else; events re-validate and pass the fhir.resources oracle;
error texts never carry an identity code."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.errors import TranslationError
from adapters.fhir_r4 import translate
from adapters.fhir_r4.rules import SUPPORTED
from adapters.fhir_r4.shapes import RESOURCE_SHAPES
from adapters.fhir_r4.translate import CLIENT_ELEMENT
from contracts import systems
from contracts.events import parse_event
from contracts.hetu import CENTURY, make_hetu
from tests.adapters.fhir_r4.cases import CASES, HETUS
from tests.adapters.fhir_r4.golden import SOURCE

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def hetus(draw: st.DrawFn) -> str:
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)))
    sign = draw(st.sampled_from([s for s, c in CENTURY.items() if c == born.year // 100 * 100]))
    return make_hetu(born, draw(st.integers(900, 999)), sign)


SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
           | hetus() | st.sampled_from(["", "final", "entered-in-error", "2025-01-01",
                                         "2025-03-03T08:00:00", "Patient/p-1", "urn:uuid:x"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)


def check(data: bytes, known_hetus: tuple[str, ...] = HETUS) -> None:
    try:
        events = translate(data, SOURCE)
    except TranslationError as error:
        text = f"{error} {error.code} {error.location} {error.message}"
        for hetu in known_hetus:
            assert hetu not in text, f"identity code leaked into {error.code}"
        return
    for event in events:
        parse_event(event.headers(), event.value())
        value = event.resource.to_fhir()
        get_fhir_model_class(value["resourceType"]).model_validate(value)


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    check(data)


@SETTINGS
@given(JSON)
def test_random_json_values(value: Any) -> None:
    check(orjson.dumps(value))


@st.composite
def resource_like(draw: st.DrawFn) -> dict[str, Any]:
    """An object with a supported resourceType and random values under real element names."""
    resource_type = draw(st.sampled_from(sorted(SUPPORTED)))
    names = sorted(RESOURCE_SHAPES[resource_type].fields)
    body = draw(st.dictionaries(st.sampled_from(names), JSON, max_size=6))
    element = CLIENT_ELEMENT.get(resource_type, "subject")
    client = {"identifier": {"system": systems.HETU, "value": HETUS[0]}}
    base = {"id": "r-1", element: [client["identifier"]] if element == "identifier" else client}
    return {**base, **body, "resourceType": resource_type}


@SETTINGS
@given(resource_like())
def test_random_resources(value: dict[str, Any]) -> None:
    check(orjson.dumps(value))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            out += _paths(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out += _paths(child, (*path, index))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, tuple[str, ...]]:
    """A valid case with 1-3 elements deleted, replaced, emptied or duplicated."""
    value = copy.deepcopy(CASES[draw(st.sampled_from(sorted(CASES)))])
    injected: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(value) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "replace", "hetu", "empty", "duplicate"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "hetu":
            injected.append(draw(hetus()))
            parent[path[-1]] = injected[-1]
        elif action == "empty":
            parent[path[-1]] = draw(st.sampled_from([[], {}, "", None, 0]))
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = draw(JSON)
    data = orjson.dumps(value)
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data, (*HETUS, *injected)


@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_valid_resources(case: tuple[bytes, tuple[str, ...]]) -> None:
    check(*case)


@SETTINGS
@given(st.sampled_from(sorted(CASES)), st.data())
def test_truncated_messages(name: str, data: st.DataObject) -> None:
    raw = orjson.dumps(CASES[name])
    check(raw[: data.draw(st.integers(0, len(raw) - 1))])


REPLACEMENTS: tuple[Any, ...] = (True, 7, 1.5, "x", [], {}, None, [1], {"a": 1}, HETUS[1])


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_element_replaced_by_every_json_type(name: str) -> None:
    """A deterministic sweep: each element of each case swapped for each JSON type, and
    wrapped in an array or unwrapped from one (a common vendor slip)."""
    original = CASES[name]
    for path in _paths(original)[1:]:
        current = _at(original, path)
        unwrapped = current[0] if isinstance(current, list) and current else None
        for replacement in (*REPLACEMENTS, [current], unwrapped):
            value = copy.deepcopy(original)
            _at(value, path[:-1])[path[-1]] = copy.deepcopy(replacement)
            check(orjson.dumps(value))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node
