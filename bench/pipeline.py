"""End-to-end pipeline throughput in steady state, against the Kafka ceiling in the same run.

    .venv/bin/python -m bench.pipeline [--clients 1500]     (writes bench/results/pipeline.json)

On one broker, with simulated traffic for N clients (bench/running.py says how steady state
is measured and what the CPU window leaves out):
- pipeline: `silta serve ingest` and `silta serve timeline` (with its SQLite store) as
  processes; entries per CPU-second of the two service processes (the "per core" figure),
  the broker's CPU per entry beside it, and wall-clock entries per second;
- passthrough: the same raw messages through bench/passthrough.py, one transactional hop
  with nothing translated: messages per CPU-second of its process, the Kafka ceiling of
  one hop. `vs_passthrough` is pipeline entries per CPU-second over passthrough messages
  per CPU-second; `vs_two_hop_ceiling` the same over half the passthrough's rate, since
  every entry crosses two transactional hops (raw -> events -> timeline);
- the projected time of a 10^9-entry backfill, with its arithmetic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import tempfile
import uuid
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.running import (
    Broker,
    Child,
    CpuWindow,
    broker,
    entries_of,
    produce_raw,
    stamp,
    until_stored,
    warm_up_split,
)
from bench.timing import environment, write
from services.local.isolated import (
    TopicTail,
    ingest_settings,
    make_topics,
    produce,
    timeline_settings,
)
from services.local.processes import ServiceProcess
from services.simulate import SimConfig, generate
from services.simulate.model import SimMessage

PARTITIONS = 6
BACKFILL = 10**9
MACHINE_CORES = 8
PASSES = 3


async def measure_pipeline(kafka: Broker, messages: list[SimMessage], workdir: Path, *,
                           ingest_instances: int = 1) -> dict[str, Any]:
    """Steady-state figures of the two services (`ingest_instances` ingest processes in one
    consumer group) for `messages`, after a warm-up with the first of them."""
    topics = await make_topics(kafka.bootstrap, workdir, partitions=PARTITIONS)
    warm, rest = warm_up_split(messages)
    key = topics.key.encode()  # the services' SILTA_PSEUDONYM_KEY
    warm_entries, all_entries = entries_of(warm, key), entries_of(messages, key)
    store = workdir / f"timeline-{topics.suffix}.sqlite3"
    services = [ServiceProcess("ingest", ingest_settings(kafka.bootstrap, topics,
                                                         log_level="WARNING"),
                               workdir, f"ingest-{n}") for n in range(ingest_instances)]
    services.append(ServiceProcess("timeline", timeline_settings(
        kafka.bootstrap, topics, f"sqlite:///{store}", log_level="WARNING"), workdir,
        "timeline"))
    async with TopicTail(kafka.bootstrap, topics.timeline) as tail:
        for service in services:
            service.start()
        try:
            await produce_raw(kafka.bootstrap, topics, warm)
            await _reached(tail, store, warm_entries, services)
            pids = {f"{s.service}-{n}": s.process.pid for n, s in enumerate(services)
                    if s.process is not None}
            window = CpuWindow({**pids, **({"broker": kafka.pid} if kafka.pid else {})})
            window.start()
            await produce_raw(kafka.bootstrap, topics, rest)
            await _reached(tail, store, all_entries, services)
            cpu, wall = window.stop()
        finally:
            for service in services:
                service.stop()
    entries = all_entries - warm_entries
    service_cpu = sum(v for name, v in cpu.items() if name != "broker")
    return {
        "ingest_instances": ingest_instances,
        "entries_measured": entries, "source_messages_measured": len(rest),
        "warm_up_messages": len(warm), "wall_seconds": round(wall, 2),
        "cpu_seconds": {name: round(v, 2) for name, v in cpu.items()},
        "service_cpu_seconds": round(service_cpu, 2),
        "entries_per_cpu_second": round(entries / service_cpu),
        "entries_per_second_wall": round(entries / wall),
        "broker_cpu_ms_per_entry": round(1000 * cpu["broker"] / entries, 3)
        if "broker" in cpu else None,
    }


async def _reached(tail: TopicTail, store: Path, count: int,
                   services: list[ServiceProcess]) -> None:
    if await tail.until(count, timeout=900) < count or await until_stored(store, count) < count:
        logs = ", ".join(str(s.log_path) for s in services)
        raise RuntimeError(f"the pipeline stopped short of {count} entries; see {logs}")


async def measure_passthrough(kafka: Broker, messages: list[SimMessage],
                              workdir: Path) -> dict[str, Any]:
    """Messages per CPU-second of one raw transactional hop for the same bytes (sent
    `PASSES` times over, so the window is long enough to measure)."""
    suffix = uuid.uuid4().hex[:8]
    source, output = f"bench.in.{suffix}", f"bench.out.{suffix}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in (source, output)])
    finally:
        await admin.close()
    warm, rest = warm_up_split(messages)
    rest = rest * PASSES
    worker = Child("bench.passthrough", [kafka.bootstrap, source, output, f"bench-{suffix}"],
                   workdir / "passthrough.log")
    async with TopicTail(kafka.bootstrap, output) as tail:
        try:
            await produce(kafka.bootstrap, source, [(m.key, m.payload) for m in warm])
            if await tail.until(len(warm), timeout=300) < len(warm):
                raise RuntimeError(f"the passthrough stalled; see {worker.log}")
            window = CpuWindow({"passthrough": worker.pid,
                                **({"broker": kafka.pid} if kafka.pid else {})})
            window.start()
            await produce(kafka.bootstrap, source, [(m.key, m.payload) for m in rest])
            if await tail.until(len(warm) + len(rest), timeout=600) < len(warm) + len(rest):
                raise RuntimeError(f"the passthrough stalled; see {worker.log}")
            cpu, wall = window.stop()
        finally:
            worker.stop()
    return {
        "messages_measured": len(rest), "wall_seconds": round(wall, 2),
        "cpu_seconds": {name: round(v, 2) for name, v in cpu.items()},
        "messages_per_cpu_second": round(len(rest) / cpu["passthrough"]),
        "mean_message_bytes": round(sum(len(m.payload) for m in messages) / len(messages)),
    }


def projection(pipeline: dict[str, Any], entries_per_message: float) -> dict[str, Any]:
    """A 10^9-entry backfill at the measured rate, on 8-core machines; the arithmetic."""
    rate = pipeline["entries_per_cpu_second"]
    service_cpu = BACKFILL / rate
    broker_ms = pipeline["broker_cpu_ms_per_entry"]
    with_broker = service_cpu + (BACKFILL * broker_ms / 1000 if broker_ms else 0)
    one = service_cpu / MACHINE_CORES
    return {
        "entries": BACKFILL,
        "source_messages": round(BACKFILL / entries_per_message),
        "service_cpu_seconds": round(service_cpu),
        "one_8_core_machine_hours": round(one / 3600, 1),
        "one_8_core_machine_with_broker_hours": round(with_broker / MACHINE_CORES / 3600, 1),
        "n_machines_hours": {n: round(one / n / 3600, 1) for n in (2, 4, 8, 16)},
        "arithmetic": (
            f"{BACKFILL:.0e} entries / {rate} entries per CPU-second = {service_cpu:,.0f} "
            f"service CPU-seconds; / {MACHINE_CORES} cores = {one:,.0f} s = "
            f"{one / 3600:.1f} h on one machine whose cores all run services (broker "
            f"elsewhere), / N on N machines. With the broker on the same cores "
            f"({broker_ms} ms CPU per entry measured): {with_broker / MACHINE_CORES / 3600:.1f} "
            "h. Assumes the work spreads evenly: every topic needs at least as many "
            "partitions as instances of a stage, and the timeline store scales with them "
            "(one SQLite store per timeline instance; a shared PostgreSQL store must take "
            "the total write rate)."),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    messages = generate(SimConfig(clients=args.clients, seed=args.seed))
    with broker() as kafka, tempfile.TemporaryDirectory(prefix="silta-bench-") as tmp:
        pipeline = asyncio.run(measure_pipeline(kafka, messages, Path(tmp)))
        passthrough = asyncio.run(measure_passthrough(kafka, messages, Path(tmp)))
    all_entries = entries_of(messages, secrets.token_bytes(32))
    ceiling = passthrough["messages_per_cpu_second"]
    result = {
        "benchmark": "pipeline.steady_state", "measured_at": stamp(),
        "environment": {**environment(), "broker": kafka.note},
        "clients": args.clients, "source_messages": len(messages), "entries": all_entries,
        "pipeline": pipeline,
        "passthrough": passthrough,
        "vs_passthrough": round(pipeline["entries_per_cpu_second"] / ceiling, 3),
        "vs_two_hop_ceiling": round(pipeline["entries_per_cpu_second"] / (ceiling / 2), 3),
        "backfill": projection(pipeline, all_entries / len(messages)),
    }
    path = write("pipeline", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()

