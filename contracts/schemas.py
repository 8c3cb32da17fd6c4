"""JSON Schemas generated from the models, committed under `contracts/schemas/v1/`.

Regenerate after changing a model:  python -m contracts.schemas
A test fails when the committed files drift from the models, and another when a change
inside v1 breaks the released baseline (see contracts/compat.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from contracts.catalogue import CATALOGUE, EventSpec
from contracts.envelope import Envelope, schema_uri
from contracts.indicators import INDICATOR_RECORD_TYPE, IndicatorRecord
from contracts.systems import SILTA_CANONICAL
from contracts.timeline import TIMELINE_ENTRY_TYPE, TimelineEntry

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def event_schema(spec: EventSpec) -> dict[str, Any]:
    schema = spec.adapter.json_schema(by_alias=True, mode="validation")
    return {
        "$schema": DRAFT,
        "$id": schema_uri(spec.type),
        "title": spec.type,
        "description": f"{spec.meaning} Value of a Kafka message whose ce_type is {spec.type}; "
                       f"resource: {', '.join(spec.resource_types)}.",
        **{k: v for k, v in schema.items() if k not in {"title", "description"}},
    }


def envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="validation")
    return {
        "$schema": DRAFT,
        "$id": f"{SILTA_CANONICAL}/schemas/v1/envelope.json",
        "title": "CloudEvents 1.0 envelope (Kafka binary binding)",
        "description": "Attributes travel as Kafka headers: ce_<attribute>, and content-type "
                       "for datacontenttype. `corrects` is Silta's extension attribute.",
        **{k: v for k, v in schema.items() if k not in {"title", "description"}},
    }


def model_schema(model: Any, type_: str) -> dict[str, Any]:
    schema = TypeAdapter(model).json_schema(mode="validation")
    return {
        "$schema": DRAFT,
        "$id": f"{SILTA_CANONICAL}/schemas/v1/{type_}.json",
        "title": type_,
        "description": (model.__doc__ or "").strip().split("\n")[0],
        **{k: v for k, v in schema.items() if k not in {"title", "description"}},
    }


def timeline_schema() -> dict[str, Any]:
    return model_schema(TimelineEntry, TIMELINE_ENTRY_TYPE)


def generate() -> dict[str, dict[str, Any]]:
    """Every schema file of the current major version, by relative path."""
    files = {f"v1/{spec.type}.json": event_schema(spec) for spec in CATALOGUE}
    files["v1/envelope.json"] = envelope_schema()
    files[f"v1/{TIMELINE_ENTRY_TYPE}.json"] = timeline_schema()
    files[f"v1/{INDICATOR_RECORD_TYPE}.json"] = model_schema(IndicatorRecord,
                                                             INDICATOR_RECORD_TYPE)
    return files


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write(root: Path = SCHEMA_DIR) -> list[Path]:
    written = []
    for name, schema in generate().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_DIR):
        print(path)
