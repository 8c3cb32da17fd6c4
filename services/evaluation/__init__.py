"""The evaluator's side of Silta: the current view of the timeline, readers for every place
the timeline lives, exports to Parquet and MEDS, and the SDK for notebooks.

    from services.evaluation import Timeline
    timeline = Timeline.from_store("sqlite:///.silta/timeline.sqlite3")
    timeline.current().filter("sector = 'social'").aggregate("kind, count(*)", "kind")

`view.py` is pure (entries in, the current view out); the readers, writers and DuckDB sit at
the edge and need the `evaluation` extra (`pip install 'sote-silta[evaluation]'`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Timeline"]


def __getattr__(name: str) -> Any:
    if name == "Timeline":  # imported on use: DuckDB and pyarrow are an optional extra
        from services.evaluation.sdk import Timeline
        return Timeline
    raise AttributeError(name)
