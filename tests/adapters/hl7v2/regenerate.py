"""Rewrite the expected events next to each golden input; review the diff before committing.

    .venv/bin/python -m tests.adapters.hl7v2.regenerate

The golden test compares against these files and never writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

from adapters.hl7v2 import translate
from tests.adapters.hl7v2.corpus import golden_inputs, source_for


def expected_path(path: Path) -> Path:
    return path.with_suffix(".ndjson")


def render(path: Path) -> str:
    events = translate(path.read_bytes(), source_for(path))
    return "".join(json.dumps(e.to_message(), ensure_ascii=False) + "\n" for e in events)


def main() -> None:
    for path in golden_inputs():
        expected_path(path).write_text(render(path), encoding="utf-8")
        print(f"wrote {expected_path(path).name}")


if __name__ == "__main__":
    main()
