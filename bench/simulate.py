"""The simulator's own speed, and the adapters on realistic mixed traffic.

    .venv/bin/python -m bench.simulate        (writes bench/results/simulate.json)

Golden files show each mapping once; simulated traffic has the real mix (many small
social documents, ADT with DG1, ORU with several OBX, Bundles) and the real share of
malformed input, whose cost (raising a TranslationError) is measured too.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from adapters.errors import TranslationError
from bench.timing import environment, per_op_seconds, pin_one_core, write
from services.simulate import SimConfig, SimMessage, build, translate

CONFIG = SimConfig(clients=300, seed=7)


def _translate(message: SimMessage) -> None:
    with contextlib.suppress(TranslationError):
        translate(message)


def main() -> None:
    core = pin_one_core()
    started = time.perf_counter()
    simulation = build(CONFIG)
    generation = time.perf_counter() - started
    messages = list(simulation.messages)
    by_format: dict[str, Any] = {}
    for fmt in ("hl7v2", "fhir", "social"):
        valid = [m for m in messages if m.fmt == fmt and m.kind == "valid"]
        broken = [m for m in messages if m.fmt == fmt and m.kind == "malformed"]
        events = sum(len(translate(m)) for m in valid)
        per_valid = per_op_seconds(_translate, valid, rounds=3)
        per_broken = per_op_seconds(_translate, broken, rounds=3) if broken else 0.0
        by_format[fmt] = {
            "valid_messages": len(valid), "events": events,
            "us_per_valid_message": round(per_valid * 1e6, 1),
            "us_per_malformed_message": round(per_broken * 1e6, 1),
            "events_per_second_per_core": round(events / len(valid) / per_valid),
        }
    mixed = per_op_seconds(_translate, messages, rounds=3)
    result: dict[str, Any] = {
        "benchmark": "services.simulate",
        "environment": {**environment(), "pinned_core": core},
        "config": {"clients": CONFIG.clients, "seed": CONFIG.seed, "days": CONFIG.days},
        "messages": len(messages),
        "generation_seconds": round(generation, 3),
        "generated_messages_per_second": round(len(messages) / generation),
        "mixed_traffic_messages_per_second_per_core": round(1 / mixed),
        "by_format": by_format,
    }
    path = write("simulate", result)
    print(f"simulate: {len(messages)} messages generated in {generation:.2f}s "
          f"({result['generated_messages_per_second']}/s); mixed traffic translates at "
          f"{result['mixed_traffic_messages_per_second_per_core']} messages/s per core")
    for fmt, row in by_format.items():
        print(f"  {fmt:<7} {row['events_per_second_per_core']:>7} events/s per core "
              f"({row['us_per_valid_message']} µs per valid, "
              f"{row['us_per_malformed_message']} µs per malformed message)")
    print(f"-> {path}")


if __name__ == "__main__":
    main()
