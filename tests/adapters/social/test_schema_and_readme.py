"""The committed JSON Schema matches the models, and the README's examples are real."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from adapters.social import translate
from adapters.social.content import KINDS
from tests.adapters.social.support import README, SCHEMA_FILE, SOURCE, golden_inputs, schema_text

_EXAMPLE = re.compile(r"```json\n(.*?)```", re.DOTALL)


def readme_examples() -> list[dict[str, object]]:
    examples = [json.loads(block) for block in _EXAMPLE.findall(README.read_text())]
    return [e for e in examples if isinstance(e, dict) and "format_version" in e]


def test_committed_schema_matches_models() -> None:
    assert SCHEMA_FILE.read_text() == schema_text(), (
        "adapters/social/schema/record-event.v1.json drifted from the models; run "
        ".venv/bin/python -m tests.adapters.social.regen and review the diff")


def test_schema_is_a_valid_json_schema_and_accepts_the_corpus() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in golden_inputs():
        validator.validate(json.loads(path.read_text()))


def test_readme_has_an_example_per_kind() -> None:
    kinds = {e["content"]["kind"] for e in readme_examples()}  # type: ignore[index]
    assert kinds == set(KINDS)


@pytest.mark.parametrize("index", range(len(KINDS)))
def test_readme_examples_translate_and_match_the_schema(index: int) -> None:
    example = readme_examples()[index]
    jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).validate(example)
    assert translate(json.dumps(example).encode(), SOURCE)
