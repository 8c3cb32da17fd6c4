"""Shared test data for the social-care adapter: the source, the golden corpus, NDJSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from adapters.base import SourceInfo
from contracts.events import ContractEvent

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "data" / "social"
SCHEMA_FILE = ROOT / "adapters" / "social" / "schema" / "record-event.v1.json"
README = ROOT / "adapters" / "social" / "README.md"
SOURCE = SourceInfo("social-cis", "social", dt.datetime(2025, 11, 3, 12, tzinfo=dt.UTC))


def golden_inputs() -> list[Path]:
    return sorted(GOLDEN.glob("*.json"))


def expected_path(input_path: Path) -> Path:
    return input_path.with_suffix(".ndjson")


def to_ndjson(events: list[ContractEvent]) -> str:
    return "".join(json.dumps(e.to_message(), ensure_ascii=False) + "\n" for e in events)


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def schema_text() -> str:
    from adapters.social.event import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
