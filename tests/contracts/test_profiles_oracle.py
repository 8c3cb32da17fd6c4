"""Our lean profiles against fhir.resources R4B, the oracle.

Hypothesis varies every example (statuses, identities, times, displays, ids, values,
optional elements). Whatever our models accept must be FHIR R4 that fhir.resources
accepts; variants built to be valid must be accepted; JSON round-trips unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts import systems
from contracts.catalogue import CATALOGUE, EventSpec
from contracts.events import ContractViolation, parse_event
from contracts.fhir.resources import RESOURCE_TYPES
from contracts.hetu import CENTURY, make_hetu

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples" / "v1"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
OFFSETS = [dt.UTC, *(dt.timezone(dt.timedelta(hours=h)) for h in (-5, 2, 3, 14))]


def example(spec: EventSpec) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{spec.type}.json").read_text())


def profile_model(spec: EventSpec, resource_type: str) -> Any:
    return spec.resource if isinstance(spec.resource, type) else RESOURCE_TYPES[resource_type]


def allowed_statuses(model: Any) -> tuple[str, ...]:
    field = model.model_fields.get("status") or model.model_fields.get("lifecycleStatus")
    return get_args(field.annotation) if field else ()


@st.composite
def hetus(draw: st.DrawFn) -> str:
    born = draw(st.dates(dt.date(1850, 1, 1), dt.date(2099, 12, 31)))
    sign = draw(st.sampled_from([s for s, c in CENTURY.items() if c == born.year // 100 * 100]))
    return make_hetu(born, draw(st.integers(900, 999)), sign)


def instants() -> st.SearchStrategy[str]:
    return st.datetimes(dt.datetime(1901, 1, 1), dt.datetime(2099, 1, 1),
                        timezones=st.sampled_from(OFFSETS)).map(lambda d: d.isoformat())


def _walk(node: Any, draw: st.DrawFn, valid: bool) -> Any:
    if isinstance(node, dict):
        out = {k: _walk(v, draw, valid) for k, v in node.items()}
        if "identifier" in out and isinstance(out["identifier"], dict) and \
                out["identifier"].get("system") == systems.HETU:
            out["identifier"]["value"] = draw(hetus())
        if "display" in out:
            out["display"] = draw(st.text(min_size=1, max_size=30).filter(str.strip))
        if valid and isinstance(out.get("start"), str) and isinstance(out.get("end"), str):
            out["start"], out["end"] = sorted([out["start"], out["end"]],
                                              key=dt.datetime.fromisoformat)
        return out
    if isinstance(node, list):
        return [_walk(v, draw, valid) for v in node]
    if isinstance(node, str) and DATETIME.match(node):
        return draw(instants())
    return node


@st.composite
def variants(draw: st.DrawFn, spec: EventSpec, valid: bool) -> dict[str, Any]:
    message = example(spec)
    value = _walk(copy.deepcopy(message["value"]), draw, valid)
    model = profile_model(spec, value["resourceType"])
    status_key = "status" if "status" in value else "lifecycleStatus"
    # Invalid variants draw from the whole FHIR value set, valid ones from the profile's.
    widen = not valid and draw(st.booleans())
    statuses = allowed_statuses(RESOURCE_TYPES[value["resourceType"]] if widen else model)
    if statuses and (spec.correction != "retract" or not valid):
        value[status_key] = draw(st.sampled_from(statuses))
    value["id"] = draw(st.from_regex(r"^[A-Za-z0-9\-.]{1,64}$", fullmatch=True))
    if "patient" not in value and "identifier" in value and spec.type.endswith("identified.v1"):
        value["identifier"][0]["value"] = draw(hetus())
    for key in list(value):
        field = model.model_fields.get(key) or model.model_fields.get(f"{key}_")
        droppable = not field.is_required() if valid and field is not None else field is not None
        if droppable and key != "resourceType" and (not valid or key != "contained") \
                and draw(st.integers(0, 7 if not valid else 1)) == 0:
            del value[key]
    if "valueQuantity" in value:
        value["valueQuantity"]["value"] = draw(st.floats(-1e9, 1e9, allow_nan=False))
    if valid and "goal" in value and "contained" not in value:
        del value["goal"]  # a goal reference without its contained Goal would dangle
    if valid and "output" in value and "contained" not in value:
        del value["output"]
    return {"headers": message["headers"], "value": value}


def _oracle(value: dict[str, Any]) -> None:
    get_fhir_model_class(value["resourceType"]).model_validate(value)


ORACLE_SETTINGS = settings(max_examples=20, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.type)
@ORACLE_SETTINGS
@given(data=st.data())
def test_what_we_accept_is_fhir_r4(spec: EventSpec, data: st.DataObject) -> None:
    message = data.draw(variants(spec, valid=False))
    try:
        event = parse_event(message["headers"], message["value"])
    except ContractViolation:
        return
    emitted = json.loads(event.value())
    _oracle(emitted)
    assert parse_event(message["headers"], event.value()).resource.to_fhir() == event.resource.to_fhir()


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.type)
@ORACLE_SETTINGS
@given(data=st.data())
def test_valid_variants_are_accepted_and_round_trip(spec: EventSpec, data: st.DataObject) -> None:
    message = data.draw(variants(spec, valid=True))
    event = parse_event(message["headers"], message["value"])
    _oracle(json.loads(event.value()))
    again = parse_event(event.headers(), event.value())
    # (one of them may be the profile's msgspec mirror: compare what they hold)
    assert again.resource.to_fhir() == event.resource.to_fhir()
    assert again.headers() == event.headers()


def _subject_pointer(value: dict[str, Any]) -> str:
    key = next(k for k in ("subject", "patient", "for") if k in value)
    return f"/{key}/identifier/value"


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if not s.restricted], ids=lambda s: s.type)
def test_wrong_check_character_is_rejected_at_the_identity(spec: EventSpec) -> None:
    message = example(spec)
    value = message["value"]
    key = next(k for k in ("subject", "patient", "for") if k in value)
    code = value[key]["identifier"]["value"]
    value[key]["identifier"]["value"] = code[:-1] + ("A" if code[-1] != "A" else "B")
    with pytest.raises(ContractViolation) as info:
        parse_event(message["headers"], value)
    assert _subject_pointer(value) in [f.pointer for f in info.value.failures]
    assert code[:-1] not in str(info.value)


def test_century_sign_is_kept_exactly_as_given() -> None:
    spec = CATALOGUE[0]
    message = example(spec)
    born = dt.date(1990, 1, 10)
    for sign in ("-", "Y", "X", "W", "V", "U"):
        code = make_hetu(born, 999, sign)
        message["value"]["subject"]["identifier"]["value"] = code
        event = parse_event(message["headers"], message["value"])
        assert json.loads(event.value())["subject"]["identifier"]["value"] == code


@pytest.mark.parametrize(("event_type", "path", "system"), [
    ("fi.silta.health.diagnosis.recorded.v1", "code", "http://example.org/icd"),
    ("fi.silta.health.procedure.performed.v1", "code", "http://example.org/proc"),
    ("fi.silta.social.outcome-measure.recorded.v1", "method", "http://example.org/role"),
    ("fi.silta.social.assessment.started.v1", "code", "http://example.org/kind"),
])
def test_required_code_systems_are_enforced(event_type: str, path: str, system: str) -> None:
    spec = next(s for s in CATALOGUE if s.type == event_type)
    message = example(spec)
    for coding in message["value"][path]["coding"]:
        coding["system"] = system
    with pytest.raises(ContractViolation) as info:
        parse_event(message["headers"], message["value"])
    assert f"/{path}" in [f.pointer for f in info.value.failures]


def test_unknown_elements_are_rejected_not_dropped() -> None:
    message = example(CATALOGUE[0])
    message["value"]["text"] = {"status": "generated", "div": "<div>free text</div>"}
    with pytest.raises(ContractViolation) as info:
        parse_event(message["headers"], message["value"])
    assert [f.pointer for f in info.value.failures] == ["/text"]


def test_lean_models_reject_a_time_without_zone_offset() -> None:
    message = example(CATALOGUE[0])
    message["value"]["period"]["start"] = "2025-03-03T08:30:00"
    with pytest.raises(ContractViolation):
        parse_event(message["headers"], message["value"])
    with pytest.raises(ValidationError):  # the oracle is laxer here; our profile is stricter
        RESOURCE_TYPES["Encounter"].model_validate({"x": 1})
