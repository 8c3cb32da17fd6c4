"""Golden files: `tests/data/fhir/<case>.json` and the expected `<case>.ndjson`.

    .venv/bin/python -m tests.adapters.fhir_r4.golden     (rewrites inputs and expectations)

Run it only after a deliberate change, and review the diff: the tests compare, never rewrite.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from adapters.base import SourceInfo
from adapters.fhir_r4 import translate
from tests.adapters.fhir_r4.cases import CASES

DATA = Path(__file__).resolve().parents[2] / "data" / "fhir"
SOURCE = SourceInfo("hospital-fhir", "health", dt.datetime(2025, 11, 3, 12, 0, tzinfo=dt.UTC))


def expected_lines(data: bytes) -> list[str]:
    return [json.dumps(event.to_message(), ensure_ascii=False, sort_keys=True)
            for event in translate(data, SOURCE)]


def regenerate() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, resource in CASES.items():
        source = DATA / f"{name}.json"
        source.write_text(json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
        lines = expected_lines(source.read_bytes())
        (DATA / f"{name}.ndjson").write_text("".join(line + "\n" for line in lines))
        print(f"{name}: {len(lines)} event(s)")


if __name__ == "__main__":
    regenerate()
