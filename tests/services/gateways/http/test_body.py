"""The gateway's JSON checks give the answer the adapters would: a body it accepts is never
`json.malformed` or `input.too-deep` in ingest, and a body nested too deep is refused at
once with the adapters' code and location."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.base import MAX_JSON_DEPTH, SourceInfo, load_json
from adapters.errors import TranslationError
from adapters.registry import translator
from services.gateways.http.body import parse_object
from services.observability.http import ApiError
from tests.adapters.test_depth import arrays, nested, objects

SOURCES = {"fhir": SourceInfo("fhir-test", "health", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
           "social": SourceInfo("social-test", "social", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))}
JSON_CODES = {"json.malformed", "input.too-deep"}

json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=20).map(json.dumps)
deep_text = st.lists(st.booleans(), min_size=1, max_size=MAX_JSON_DEPTH + 40).map(
    lambda levels: '{"resourceType":"Observation","x":' + nested(levels) + "}")
bodies = (json_text.map(str.encode) | deep_text.map(str.encode) | st.binary(max_size=200)
          | json_text.map(lambda t: t[: len(t) // 2].encode()))


def _adapter_answer(body: bytes) -> str | None:
    try:
        value = load_json(body)
    except TranslationError as error:
        return error.code
    return None if isinstance(value, dict) else "json.not-object"


@given(bodies)
def test_gateway_and_adapters_agree_on_json(body: bytes) -> None:
    try:
        parse_object(body)
        gateway = None
    except ApiError as error:
        gateway = error.code
    adapter = _adapter_answer(body)
    if gateway == "body.empty":
        return
    assert gateway == adapter
    if gateway is None:
        for fmt, source in SOURCES.items():
            try:
                translator(fmt)(body, source)
            except TranslationError as error:
                assert error.code not in JSON_CODES, (fmt, error)


@pytest.mark.parametrize("deep", [arrays(MAX_JSON_DEPTH + 1), objects(MAX_JSON_DEPTH + 1),
                                  arrays(5000), objects(5000)])
def test_too_deep_is_422_with_the_adapters_location(deep: str) -> None:
    body = ('{"resourceType":"Observation","valueX":' + deep + "}").encode()
    with pytest.raises(TranslationError) as adapter:
        load_json(body)
    with pytest.raises(ApiError) as refused:
        parse_object(body)
    assert (refused.value.status, refused.value.code) == (422, "input.too-deep")
    assert refused.value.body.model_dump()["location"] == adapter.value.location
