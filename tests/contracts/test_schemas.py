"""Committed JSON Schemas: in step with the models, valid for the examples, compatible in v1."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from contracts.catalogue import CATALOGUE
from contracts.compat import breaking_changes
from contracts.schemas import SCHEMA_DIR, generate, render

GENERATED = generate()
BASELINE = SCHEMA_DIR / "baseline"
EXAMPLES = SCHEMA_DIR.parent / "examples" / "v1"


def test_committed_schemas_match_the_models() -> None:
    committed = {str(p.relative_to(SCHEMA_DIR)): p.read_text()
                 for p in (SCHEMA_DIR / "v1").glob("*.json")}
    expected = {name: render(schema) for name, schema in GENERATED.items()}
    stale = sorted(n for n in expected.keys() | committed.keys()
                   if expected.get(n) != committed.get(n))
    assert not stale, f"schemas drifted from the models, run `python -m contracts.schemas`: {stale}"


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.type)
def test_examples_validate_against_their_committed_schema(spec) -> None:
    message = json.loads((EXAMPLES / f"{spec.type}.json").read_text())
    schema = json.loads((SCHEMA_DIR / "v1" / f"{spec.type}.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(message["value"])
    envelope = json.loads((SCHEMA_DIR / "v1" / "envelope.json").read_text())
    attributes = {("datacontenttype" if k == "content-type" else k.removeprefix("ce_")): v
                  for k, v in message["headers"].items()}
    jsonschema.Draft202012Validator(envelope).validate(attributes)


def test_schema_rejects_what_the_profile_rejects_structurally() -> None:
    spec = CATALOGUE[0]
    message = json.loads((EXAMPLES / f"{spec.type}.json").read_text())
    schema = json.loads((SCHEMA_DIR / "v1" / f"{spec.type}.json").read_text())
    message["value"]["status"] = "finished"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(message["value"])


@pytest.mark.parametrize("name", sorted(str(p.relative_to(BASELINE)) for p in BASELINE.rglob("*.json")))
def test_no_breaking_change_against_the_released_baseline(name: str) -> None:
    assert name in GENERATED, f"{name} was released in v1 and must not disappear"
    old = json.loads((BASELINE / name).read_text())
    assert breaking_changes(old, GENERATED[name]) == []


# The checker itself must be able to fail: mutate a real schema in each breaking way.

def _encounter() -> dict:
    return copy.deepcopy(GENERATED["v1/fi.silta.health.encounter.started.v1.json"])


def test_checker_flags_a_removed_field() -> None:
    new = _encounter()
    del new["properties"]["serviceProvider"]
    assert breaking_changes(_encounter(), new) == ["/serviceProvider: field removed"]


def test_checker_flags_a_new_required_field() -> None:
    new = _encounter()
    new["required"].append("serviceProvider")
    assert breaking_changes(_encounter(), new) == ["/serviceProvider: became required"]


def test_checker_flags_a_narrowed_enum() -> None:
    new = _encounter()
    new["properties"]["status"]["enum"] = ["in-progress"]
    problems = breaking_changes(_encounter(), new)
    assert len(problems) == 1 and problems[0].startswith("/status: no longer accepts")


def test_checker_flags_a_narrowed_nested_type() -> None:
    old = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}},
           "$defs": {"A": {"type": "object", "properties": {"n": {"type": ["number", "string"]}}}}}
    new = copy.deepcopy(old)
    new["$defs"]["A"]["properties"]["n"]["type"] = "number"
    assert breaking_changes(old, new) == [
        "/a/n: type narrowed from ['integer', 'number', 'string'] to ['integer', 'number']"]


def test_checker_accepts_an_added_optional_field_and_a_widened_enum() -> None:
    new = _encounter()
    new["properties"]["priority"] = {"type": "string"}
    new["properties"]["status"]["enum"] = [*new["properties"]["status"]["enum"], "unknown"]
    assert breaking_changes(_encounter(), new) == []


def test_checker_accepts_a_pattern_whose_classes_only_widen() -> None:
    old = {"type": "string", "pattern": r"^fi\.silta\.[a-z][a-z-]*\.v[1-9][0-9]*$"}
    wider = {"type": "string", "pattern": r"^fi\.silta\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$"}
    assert breaking_changes(old, wider) == []
    assert breaking_changes(wider, old) == [f"/: pattern changed to {old['pattern']}"]


@pytest.mark.parametrize("old, new", [
    (r"^[a-z][a-z-]*$", r"^[a-z][a-y-]*$"),       # a class narrowed
    (r"^[a-z][a-z-]*$", r"^[a-z][a-z-]+$"),       # a quantifier changed
    (r"^[a-z][a-z-]*$", r"^[a-z][^a-z-]*$"),      # a class negated
    (r"^[a-z][a-z-]*$", r"[a-z][a-z-]*$"),        # an anchor dropped
    (r"^(?![0-9])[a-z]+$", r"^(?![0-9a-z])[a-z]+$"),  # wider inside a negative lookahead
])
def test_checker_reports_any_other_pattern_change(old: str, new: str) -> None:
    assert breaking_changes({"type": "string", "pattern": old},
                            {"type": "string", "pattern": new}) == [
        f"/: pattern changed to {new}"]
