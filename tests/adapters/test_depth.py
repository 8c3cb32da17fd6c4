"""Deeply nested JSON: every JSON adapter refuses it as `input.too-deep` before any
recursive code (orjson.dumps, pydantic, the minimiser) can hit Python's recursion limit."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import MAX_JSON_DEPTH, SourceInfo, check_depth, load_json, refuse_deep
from adapters.errors import TranslationError
from adapters.registry import translator
from tests.adapters.fhir_r4.cases import bundle, care_plan, observation
from tests.adapters.fhir_r4.golden import SOURCE as FHIR_SOURCE
from tests.adapters.social.support import GOLDEN
from tests.adapters.social.support import SOURCE as SOCIAL_SOURCE

Json = dict[str, Any]
_HOLE = "__deep__"
_MESSAGE = f"the JSON nests deeper than {MAX_JSON_DEPTH} levels"


def nested(levels: list[bool], leaf: str = "1") -> str:
    """JSON text nesting len(levels) deep, an array where True, an object where False;
    built as text, since serialising it would itself recurse."""
    opens = "".join("[" if is_array else '{"a":' for is_array in levels)
    closes = "".join("]" if is_array else "}" for is_array in reversed(levels))
    return opens + leaf + closes


def arrays(depth: int) -> str:
    return nested([True] * depth)


def objects(depth: int) -> str:
    return nested([False] * depth)


def _with_hole(document: Json, put: Callable[[Json], None]) -> Callable[[str], bytes]:
    document = copy.deepcopy(document)
    put(document)
    text = orjson.dumps(document).decode()
    assert text.count(f'"{_HOLE}"') == 1
    return lambda deep: text.replace(f'"{_HOLE}"', deep).encode()


def _social_document() -> Json:
    return json.loads((GOLDEN / "service-started.json").read_text())


def _set(*path: str | int) -> Callable[[Json], None]:
    def put(document: Json) -> None:
        node: Any = document
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = _HOLE
    return put


# (format, place): a function that puts deep JSON text into a message of that format.
PLACES: dict[tuple[str, str], Callable[[str], bytes]] = {
    ("fhir", "top-level"): lambda deep: deep.encode(),
    ("fhir", "extension"): _with_hole(observation(), _set("extension")),
    ("fhir", "valueQuantity"): _with_hole(observation(), _set("valueQuantity", "value")),
    ("fhir", "contained"): _with_hole(care_plan(), _set("contained", 0, "extension")),
    ("fhir", "bundle entry"): _with_hole(bundle("collection", [{"resource": observation()}]),
                                         _set("entry", 0, "resource", "note")),
    ("social", "top-level"): lambda deep: deep.encode(),
    ("social", "content"): _with_hole(_social_document(), _set("content", "period")),
    ("social", "document"): _with_hole(_social_document(), _set("document", "case_id")),
    ("social", "unknown member"): _with_hole(_social_document(), _set("extra")),
}
SOURCES: dict[str, SourceInfo] = {"fhir": FHIR_SOURCE, "social": SOCIAL_SOURCE}


def _error(fmt: str, data: bytes) -> TranslationError:
    with pytest.raises(TranslationError) as caught:
        translator(fmt)(data, SOURCES[fmt])
    return caught.value


@pytest.mark.parametrize("depth", [300, 5000])
@pytest.mark.parametrize("shape", [arrays, objects], ids=["arrays", "objects"])
@pytest.mark.parametrize("place", list(PLACES), ids=[f"{f}-{p}" for f, p in PLACES])
def test_deep_nesting_is_input_too_deep(place: tuple[str, str],
                                        shape: Callable[[int], str], depth: int) -> None:
    fmt, _ = place
    error = _error(fmt, PLACES[place](shape(depth)))
    assert (error.code, error.message) == ("input.too-deep", _MESSAGE)


def test_the_location_points_into_the_message() -> None:
    error = _error("fhir", PLACES[("fhir", "contained")](arrays(300)))
    # The pointer names the first too-deep container: level MAX_JSON_DEPTH + 1, counting
    # the resource as level 1, so /contained/0/extension (level 4) plus 61 more.
    assert error.location == "/contained/0/extension" + "/0" * (MAX_JSON_DEPTH - 3)
    error = _error("social", PLACES[("social", "content")](objects(300)))
    assert error.location == "/content/period" + "/a" * (MAX_JSON_DEPTH - 2)  # level 3 + 62


def test_orjson_refusing_the_depth_is_input_too_deep_too() -> None:
    error = _error("fhir", arrays(5000).encode())
    assert (error.code, error.location) == ("input.too-deep", "")


def test_the_limit_is_exact() -> None:
    assert load_json(arrays(MAX_JSON_DEPTH).encode()) is not None
    assert load_json(objects(MAX_JSON_DEPTH).encode()) is not None
    for text in (arrays(MAX_JSON_DEPTH + 1), objects(MAX_JSON_DEPTH + 1)):
        with pytest.raises(TranslationError) as caught:
            load_json(text.encode())
        assert caught.value.code == "input.too-deep"
    with pytest.raises(TranslationError) as caught:
        load_json(b'{"a": [[1]]}', limit=2)
    assert (caught.value.code, caught.value.location) == ("input.too-deep", "/a/0")


def test_the_location_never_echoes_member_names_that_are_not_element_names() -> None:
    deep = nested([False] * 10, leaf="1").replace('"a"', '"140315A942P"', 1)
    with pytest.raises(TranslationError) as caught:
        load_json(f'{{"extension": {deep}}}'.encode(), limit=5)
    assert caught.value.location == "/extension"
    assert "140315A942P" not in str(caught.value)


def test_malformed_json_is_still_json_malformed() -> None:
    with pytest.raises(TranslationError) as caught:
        load_json(b'{"a": [1, }')
    assert caught.value.code == "json.malformed"
    assert _error("fhir", b'{"a": [1, }').code == "json.malformed"
    assert _error("social", b'{"a": [1, }').code == "json.malformed"


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(list(PLACES)), st.integers(0, 3000), st.randoms(use_true_random=False))
def test_any_nesting_depth_gives_events_or_a_translation_error(
        place: tuple[str, str], depth: int, random: Any) -> None:
    fmt, _ = place
    data = PLACES[place](nested([random.random() < 0.5 for _ in range(depth)]))
    try:
        translator(fmt)(data, SOURCES[fmt])
    except TranslationError as error:
        if depth > MAX_JSON_DEPTH:
            assert error.code == "input.too-deep"
        elif depth < MAX_JSON_DEPTH - 5:  # every place is at most 5 levels deep
            assert error.code != "input.too-deep"


_JSON = st.recursive(st.none() | st.integers(-9, 9) | st.text(alphabet="{[a]}", max_size=4),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(alphabet="{[a", max_size=2), inner, max_size=3),
                     max_leaves=30)


@given(_JSON, st.integers(1, 8))
def test_skipping_the_walk_for_few_containers_gives_the_walks_verdict(value: Any,
                                                                      limit: int) -> None:
    """load_json walks the parsed value only when the text has more brackets than the
    limit; the verdict is the walk's (check_depth on the parsed value) either way."""
    data = orjson.dumps(value)
    expected = _refusal(lambda: check_depth(orjson.loads(data), limit))
    found = _refusal(lambda: load_json(data, limit))
    assert _location(found) == _location(expected)


@given(_JSON, st.integers(1, 8), st.booleans())
def test_refuse_deep_refuses_what_load_json_finds_too_deep(value: Any, limit: int,
                                                           cut: bool) -> None:
    """The social adapter's check: the same too-deep verdict as load_json, without
    parsing text too short in brackets to nest that deep; malformed JSON passes on."""
    data = orjson.dumps(value)[:-1] if cut else orjson.dumps(value)
    expected = _refusal(lambda: load_json(data, limit))
    found = _refusal(lambda: refuse_deep(data, limit))
    too_deep = expected if expected is not None and expected.code == "input.too-deep" else None
    assert _location(found) == _location(too_deep)


def _refusal(call: Callable[[], object]) -> TranslationError | None:
    try:
        call()
    except TranslationError as error:
        return error
    return None


def _location(error: TranslationError | None) -> str | None:
    return None if error is None else error.location
