"""The msgspec mirrors (contracts/structs.py) against the pydantic models, the oracle.

A mirror may decline anything, but whatever it accepts pydantic must accept with the same
values, and re-encoding it must give pydantic's bytes. Hypothesis mutates real events
(every leaf, keys dropped and added, dates in every spelling, strings of every kind of
character); the corpus (the contract examples and the simulator's traffic through the
adapters) must all be accepted, or the fast path would be dead code.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.catalogue import CATALOGUE, EventSpec
from contracts.envelope import Envelope, attributes_of, headers_to_dict, to_headers
from contracts.events import ContractViolation, parse_event, read_trusted
from contracts.mirror_checks import Pattern
from contracts.structs import _LONG_FRACTION, Mirror, Unsupported, encode, mirror
from contracts.timeline import TimelineEntry
from services.simulate import SimConfig, generate

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples" / "v1"
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def example(spec: EventSpec) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{spec.type}.json").read_text())  # type: ignore[no-any-return]


def _corpus() -> list[Any]:
    events = []
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for message in generate(SimConfig(clients=40, seed=11)):
        source = SourceInfo(message.source_id, "social" if message.fmt == "social" else "health", now)
        try:
            events += translator(message.fmt)(message.payload, source)
        except TranslationError:
            continue
    return events


CORPUS = _corpus()


def agrees(annotation: Any, data: bytes) -> Any:
    """Assert the mirror's verdict on `data` is pydantic's; return the mirror's value."""
    fast = mirror(annotation)
    assert fast is not None
    value = fast.decode(data)
    if value is None:
        return None
    try:
        model = TypeAdapter(annotation).validate_json(data)
    except ValidationError as error:
        raise AssertionError(f"the mirror accepted what pydantic refuses: {error}") from None
    # What a trusting reader gets (the shape alone) is what the checks accepted, equal.
    assert fast.decode(data, checks=False) == value
    if fast.exact_encoding:
        assert encode(value) == model.model_dump_json(by_alias=True, exclude_none=True).encode()
    else:  # (it leaves out empty lists pydantic writes; the values must still be equal)
        assert TypeAdapter(annotation).validate_python(value.to_fhir()) == model
    return value


@pytest.mark.parametrize("annotation", [s.resource for s in CATALOGUE] + [Envelope, TimelineEntry],
                         ids=[s.type for s in CATALOGUE] + ["envelope", "timeline-entry"])
def test_every_contract_model_has_a_mirror(annotation: Any) -> None:
    assert mirror(annotation) is not None


def test_the_whole_corpus_takes_the_fast_path_with_pydantics_bytes() -> None:
    assert len(CORPUS) > 500
    for event in CORPUS:
        assert agrees(event.spec.resource, event.value()) is not None, event.envelope.type
        headers = attributes_of(headers_to_dict(event.headers()))
        assert (mirror(Envelope).from_attributes(headers)) is not None  # type: ignore[union-attr]


def test_a_trusted_event_is_read_as_the_checks_read_it() -> None:
    """read_trusted (the timeline's reading of what ingest wrote) gives every event of the
    corpus as parse_event does; a schema of another version, or a shape that is wrong,
    gets parse_event's full verdict."""
    for event in CORPUS:
        headers, value = event.headers(), event.value()
        trusted, checked = read_trusted(headers, value), parse_event(headers, value)
        assert (trusted.envelope, trusted.resource) == (checked.envelope, checked.resource)
    event = CORPUS[0]
    # An id with a control character has the envelope's shape but breaks its pattern:
    # trusted under this contract version, checked (and refused) under any other.
    bad_id = [(k, b"a\x01b" if k == "ce_id" else v) for k, v in event.headers()]
    assert read_trusted(bad_id, event.value()).envelope.id == "a\x01b"
    other_version = [(k, v.replace(b"/v1/", b"/v2/") if k == "ce_dataschema" else v)
                     for k, v in bad_id]
    with pytest.raises(ContractViolation):
        read_trusted(other_version, event.value())
    with pytest.raises(ContractViolation):  # a wrong shape is never trusted
        read_trusted(event.headers(), b'{"resourceType": ' + event.value()[:-1])


# --- mutations ------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
AWKWARD = st.sampled_from([
    "", " ", "a ", " a", "a\n", "\n", "a\tb", "a\u00a0b", "a\u2028b", "a\x1cb", "a\x85b",
    "A1", "urn:oid:1.2.246.21", "Encounter/1", "#c1", "1.2.3\n", "010101-123N", "mg\n",
    "x" * 65, "x" * 257, "2025-03-01T08:30:00", "2025-03-01T08:30:00Z"])


@st.composite
def datetimes(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(dt.datetime(1790, 1, 1), dt.datetime(2210, 1, 1)))
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from(["T", "t", " ", "_"]))
    text += moment.strftime("%H:%M:%S")
    digits = draw(st.integers(0, 9))
    if digits:
        text += draw(st.sampled_from([".", ","])) + "".join(
            draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits)))
    hours, minutes = draw(st.integers(0, 25)), draw(st.sampled_from([0, 30, 59, 60]))
    text += draw(st.sampled_from(["Z", "z", "", f"+{hours:02d}:{minutes:02d}",
                                  f"-{hours:02d}{minutes:02d}", f"+{hours:02d}"]))
    return text


LEAVES = st.one_of(TEXT, AWKWARD, datetimes(), st.none(), st.booleans(),
                   st.integers(-2**40, 2**40), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([1e16, -1e17, 1e-7, 5.0, 2**31, -2**31 - 1]),
                   st.just([]), st.just({}))


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        found += [p for k, v in node.items() for p in _paths(v, (*path, k))]
    elif isinstance(node, list):
        found += [p for i, v in enumerate(node) for p in _paths(v, (*path, i))]
    return found


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> bytes:
    value = copy.deepcopy(value)
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_paths(value)[1:]))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "class_", "for_", "display", "text"]))] = \
                draw(LEAVES)
        else:
            near = _like(parent[path[-1]])
            parent[path[-1]] = draw(st.one_of(near, near, near, LEAVES))
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode()


def _like(leaf: Any) -> st.SearchStrategy[Any]:
    """Values of the same JSON type as `leaf`, near it: most mutations should stay close
    to valid, where the two validators could disagree."""
    if isinstance(leaf, str):
        return st.one_of(st.just(leaf), AWKWARD, datetimes(),
                         st.tuples(TEXT, TEXT).map(lambda ends: ends[0] + leaf + ends[1]),
                         st.integers(0, max(len(leaf) - 1, 0)).map(lambda n: leaf[:n]))
    if isinstance(leaf, bool) or leaf is None:
        return st.booleans()
    if isinstance(leaf, int | float):
        return st.one_of(st.integers(-10**6, 10**6), st.floats(-1e20, 1e20))
    return st.just(leaf)


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.type)
@SETTINGS
@given(data=st.data())
def test_a_mutated_event_is_refused_by_the_mirror_or_read_as_pydantic_reads_it(
        spec: EventSpec, data: st.DataObject) -> None:
    seeds = [example(spec)["value"],
             *[json.loads(e.value()) for e in CORPUS if e.envelope.type == spec.type][:5]]
    agrees(spec.resource, data.draw(mutated(data.draw(st.sampled_from(seeds)))))


@SETTINGS
@given(data=st.data())
def test_a_mutated_entry_is_refused_by_the_mirror_or_read_as_pydantic_reads_it(
        data: st.DataObject) -> None:
    from tests.services.api.support import seed_entries

    seeds = [json.loads(e.model_dump_json(exclude_none=True)) for e in seed_entries()[:8]]
    agrees(TimelineEntry, data.draw(mutated(data.draw(st.sampled_from(seeds)))))


@SETTINGS
@given(data=st.data())
def test_envelope_attributes_are_refused_or_read_as_pydantic_reads_them(
        data: st.DataObject) -> None:
    attributes: dict[str, Any] = {
        "id": "8812:encounter.started", "source": "urn:silta:source:hospital-adt",
        "type": "fi.silta.health.encounter.started.v1", "time": "2025-03-01T08:30:00+02:00"}
    for name in data.draw(st.lists(st.sampled_from([*attributes, "subject", "corrects",
                                                     "specversion", "datacontenttype"]))):
        attributes[name] = data.draw(st.one_of(LEAVES, st.just(dt.datetime(2025, 1, 1))))
    fast = mirror(Envelope).from_attributes(attributes)  # type: ignore[union-attr]
    if fast is None:
        return
    assert mirror(Envelope).from_attributes(attributes, checks=False) == fast  # type: ignore[union-attr]
    assert to_headers(fast) == to_headers(Envelope.model_validate(attributes))


# --- what the mirror leaves to Python's re and to msgspec's date-time reader ------------

class When(BaseModel):
    at: Annotated[AwareDatetime, Field(ge=dt.datetime(1800, 1, 1, tzinfo=dt.UTC),
                                       lt=dt.datetime(2200, 1, 1, tzinfo=dt.UTC))]


@settings(max_examples=2000, deadline=None)
@given(text=datetimes())
def test_a_date_time_the_mirror_reads_is_the_one_pydantic_reads(text: str) -> None:
    value = agrees(When, json.dumps({"at": text}).encode())
    if value is not None:
        model = When.model_validate_json(json.dumps({"at": text}))
        assert (value.at, value.at.utcoffset()) == (model.at, model.at.utcoffset())


@settings(max_examples=3000, deadline=None)
@given(text=st.sampled_from(["T10:00:00.1234567Z", "urn:oid:1.2.246.10.7654321.10"])
       | st.lists(st.sampled_from([":", ".", "1", "9", "a", "12", "123456"]),
                  max_size=12).map("".join))
def test_the_long_fraction_guard_finds_what_the_plain_pattern_finds(text: str) -> None:
    # structs.py searches from the `.` and looks behind; the text it must find is this.
    data = text.encode()
    plain = re.search(rb":[0-9]{2}\.[0-9]{7}", data)
    assert (_LONG_FRACTION.search(data) is None) == (plain is None)


def _patterns() -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "str" and node.get("pattern"):
                found.add(node["pattern"])
            for key, child in node.items():
                if key not in ("cls", "metadata", "config"):
                    walk(child)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
    for annotation in [s.resource for s in CATALOGUE] + [Envelope, TimelineEntry]:
        walk(TypeAdapter(annotation).core_schema)
    return found


# Every character Python and Rust might class differently: spaces and separators, controls,
# format characters, non-ASCII digits and letters.
ODD = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and (
    chr(c).isspace() or chr(c).isdigit()
    or unicodedata.category(chr(c)) in {"Zs", "Zl", "Zp", "Cc", "Cf"})]


@pytest.mark.parametrize("pattern", sorted(_patterns()))
def test_a_string_the_mirrors_pattern_matches_pydantics_pattern_matches(pattern: str) -> None:
    python = Pattern(pattern).search
    rust = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    samples = ["a", "A", "1", "Aa", "1.2", "urn:oid:1.2.246.21"]
    for c in [*ODD, "é", "ä", "Ω", "a"]:
        for text in [c, *(s + c for s in samples), *(c + s for s in samples), "a" + c + "b"]:
            if python(text) is not None:
                rust.validate_python(text)  # raises if Rust's regex disagrees


class Stripped(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True)]


class Before(BaseModel):
    name: str

    @field_validator("name", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class Either(BaseModel):
    value: int | str


class Plain(BaseModel):
    value: int


class Classy(BaseModel):
    """A validator asking for the class would tell a Struct from the model."""

    value: Annotated[Plain, AfterValidator(lambda v: v if isinstance(v, Plain) else 1 / 0)]


@pytest.mark.parametrize(("model", "why"), [(Stripped, "strip_whitespace"),
                                             (Before, "function-before"), (Either, "union"),
                                             (Classy, "looks at classes")])
def test_a_mirror_refuses_to_exist_for_what_it_cannot_copy(model: Any, why: str) -> None:
    assert mirror(model) is None
    with pytest.raises(Unsupported, match=why):
        Mirror(model)
