"""Regenerate the social adapter's expected outputs and committed JSON Schema.

    .venv/bin/python -m tests.adapters.social.regen

Review the diff before committing: the tests compare against these files, they never
regenerate them.
"""

from __future__ import annotations

from adapters.social import translate
from tests.adapters.social.support import (
    SCHEMA_FILE,
    SOURCE,
    expected_path,
    golden_inputs,
    schema_text,
    to_ndjson,
)


def main() -> None:
    for path in golden_inputs():
        expected_path(path).write_text(to_ndjson(translate(path.read_bytes(), SOURCE)))
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_FILE.write_text(schema_text())
    print(f"wrote {len(golden_inputs())} golden outputs and {SCHEMA_FILE.name}")


if __name__ == "__main__":
    main()
