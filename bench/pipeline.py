"""End-to-end pipeline throughput on a real broker, against in-process baselines.

    python -m bench.pipeline [--clients 300]     (writes bench/results/pipeline.json)

Simulated traffic for N clients goes to the raw topics first; then `silta serve ingest`
and `silta serve timeline` run as separate processes until every expected entry is on the
timeline topic. Reported:
- wall-clock entries/s through Kafka (two transactional hops, store materialisation);
- entries per CPU-second of the two service processes (the "per core" figure);
- the same work without Kafka (translate + minimise in one process) as the baseline, and
  the ratio between them: what the broker round trips and transactions cost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.identity import Pseudonymiser
from adapters.registry import translator
from bench.timing import environment, kafka_broker, write
from services.simulate import SimConfig, generate
from services.timeline.minimise import keys_of, to_entry
from services.timeline.preview import preview


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline(messages: list, key: bytes) -> tuple[int, float]:
    """Translate + policy + minimise in one process, no Kafka: entries and CPU seconds."""
    pseudonymiser = Pseudonymiser(key, "k1")
    started = time.process_time()
    expected = preview(((m.fmt, m.source_id, m.payload) for m in messages), pseudonymiser)
    translated = time.process_time() - started
    # preview stops at entry ids; building the entries is the rest of the timeline's work.
    started = time.process_time()
    for message in messages[: len(messages) // 4]:
        source = SourceInfo(message.source_id, "health", dt.datetime.now(dt.UTC))
        try:
            events = translator(message.fmt)(message.payload, source)
        except TranslationError:
            continue
        for event in events:
            if not event.spec.restricted:
                to_entry(event, keys_of(event, pseudonymiser), pseudonymiser, sector="health",
                         sequence=1)
    minimised = (time.process_time() - started) * 4
    return len(expected.entry_ids), translated + minimised


async def run_pipeline(bootstrap: str, messages: list, expected: int,
                       workdir: Path) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.support.pipeline import (
        TopicTail,
        ingest_settings,
        make_topics,
        produce,
        timeline_settings,
    )
    from tests.support.processes import ServiceProcess

    topics = await make_topics(bootstrap, workdir, partitions=6)
    for fmt in ("hl7v2", "fhir", "social"):
        await produce(bootstrap, topics.raw(fmt),
                      [(m.key, m.payload) for m in messages if m.fmt == fmt])
    ingest = ServiceProcess("ingest", ingest_settings(bootstrap, topics, log_level="WARNING"),
                            workdir, "ingest")
    timeline = ServiceProcess("timeline", timeline_settings(
        bootstrap, topics, f"sqlite:///{workdir}/timeline.sqlite3", log_level="WARNING"),
        workdir, "timeline")
    async with TopicTail(bootstrap, topics.timeline) as tail:
        started = time.monotonic()
        ingest.start()
        timeline.start()
        try:
            reached = await tail.until(expected, timeout=600)
            wall = time.monotonic() - started
            assert ingest.process and timeline.process
            cpu = _cpu_seconds(ingest.process.pid) + _cpu_seconds(timeline.process.pid)
        finally:
            ingest.stop()
            timeline.stop()
    stamps = sorted(r.timestamp for r in tail.records)
    return {"entries": reached, "wall_seconds": wall, "service_cpu_seconds": cpu,
            "first_to_last_entry_seconds": (stamps[-1] - stamps[0]) / 1000 if stamps else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    messages = generate(SimConfig(clients=args.clients, seed=args.seed))
    expected, base_cpu = baseline(messages, secrets.token_bytes(32))
    with tempfile.TemporaryDirectory(prefix="silta-bench-") as tmp, \
            kafka_broker() as (bootstrap, broker_note):
        measured = asyncio.run(run_pipeline(bootstrap, messages, expected, Path(tmp)))
    pipeline_per_cpu = measured["entries"] / measured["service_cpu_seconds"]
    baseline_per_cpu = expected / base_cpu
    result = {
        "benchmark": "pipeline.end_to_end",
        "environment": {**environment(), "broker": broker_note},
        "clients": args.clients,
        "source_messages": len(messages),
        "expected_entries": expected,
        "pipeline": {
            **{k: round(v, 2) for k, v in measured.items()},
            "entries_per_second_wall": round(measured["entries"] / measured["wall_seconds"]),
            "entries_per_cpu_second": round(pipeline_per_cpu),
        },
        "baseline_in_process": {
            "cpu_seconds": round(base_cpu, 2),
            "entries_per_cpu_second": round(baseline_per_cpu),
        },
        "kafka_overhead_ratio": round(baseline_per_cpu / pipeline_per_cpu, 2),
    }
    path = write("pipeline", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
