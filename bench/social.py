"""Throughput of the social-care adapter: `translate()` events per second on one core.

    .venv/bin/python -m bench.social        (writes bench/results/social.json)

The corpus is the golden inputs in tests/data/social (every kind and action, corrections
and security labels). Parsing the inbound format alone is measured beside the full
translation, so the cost of building and validating the contract events is visible.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from adapters.base import SourceInfo
from adapters.social import translate
from adapters.social.event import RecordEvent
from bench.timing import environment, per_op_seconds, pin_one_core, write

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "social"
SOURCE = SourceInfo("social-cis", "social", dt.datetime(2025, 11, 3, 12, tzinfo=dt.UTC))


def corpus() -> list[bytes]:
    return [path.read_bytes() for path in sorted(GOLDEN.glob("*.json"))]


def by_kind(messages: list[bytes]) -> dict[str, list[bytes]]:
    groups: dict[str, list[bytes]] = {}
    for data in messages:
        groups.setdefault(RecordEvent.model_validate_json(data).content.kind, []).append(data)
    return groups


def main() -> None:
    core = pin_one_core()
    messages = corpus()
    events = sum(len(translate(m, SOURCE)) for m in messages)
    parse = per_op_seconds(RecordEvent.model_validate_json, messages)
    full = per_op_seconds(lambda m: translate(m, SOURCE), messages)
    events_per_message = events / len(messages)
    kinds = {
        kind: round(1 / per_op_seconds(lambda m: translate(m, SOURCE), group, rounds=3))
        for kind, group in sorted(by_kind(messages).items())
    }
    result: dict[str, Any] = {
        "benchmark": "adapters.social.translate",
        "environment": {**environment(), "pinned_core": core},
        "messages": len(messages),
        "events": events,
        "us_per_message": {"parse_only": round(parse * 1e6, 2), "translate": round(full * 1e6, 2)},
        "messages_per_second_per_core": round(1 / full),
        "events_per_second_per_core": round(events_per_message / full),
        "messages_per_second_per_core_by_kind": kinds,
    }
    path = write("social", result)
    print(f"social adapter: {result['events_per_second_per_core']} events/s per core "
          f"({result['messages_per_second_per_core']} messages/s; parse only "
          f"{result['us_per_message']['parse_only']} µs, translate "
          f"{result['us_per_message']['translate']} µs per message)")
    for kind, rate in kinds.items():
        print(f"  {kind:22} {rate:>8} messages/s")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
