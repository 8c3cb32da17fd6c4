"""Silta's two HTTP services under load: the HTTP ingest gateway into a real broker, and
the timeline query API on a seeded SQLite store.

    .venv/bin/python -m bench.api [--seconds 3] [--rounds 3]   (writes bench/results/api.json)

Each service runs as its own uvicorn process (as `silta serve` would run it), pinned to
one core; the load generator (httpx clients in this process) and the broker share the
rest of the machine. The broker is SILTA_KAFKA_BOOTSTRAP when set, else a local Kafka
(deploy/local) on a free port, stopped afterwards.

- ingest: POST of a FHIR Encounter (~1.4 kB) with 1 and 20 concurrent clients, producer
  linger 0, 1 and 5 ms; every 202 is a record acknowledged with acks=all, and the topic's
  end offsets are checked against the number of 202s.
- api: GET of a timeline page (limit 100; a random client of 200 with 50 entries each, so
  50 entries) and of one entry, 1 and 20 concurrent clients; each read also writes its
  audit record.

The load generator (httpx) costs about as much CPU per request as the services, and this
machine kind has 2 cores, so requests/s says little about capacity; the service's own
CPU time per request (`server_cpu_us_per_request`, from /proc) is the number to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.timing import environment, kafka_broker, topic_size, wait_ready, write
from contracts.timeline import Code, TimelineEntry
from deploy.local.broker import free_port
from services.kafka.topics import apply_topics, load_topics
from services.settings import SiltaSettings
from services.timeline.store import open_store

ROOT = Path(__file__).resolve().parents[1]
FHIR = (ROOT / "tests" / "data" / "fhir" / "encounter-started.json").read_bytes()
PARTITIONS = 6
LINGERS = (0, 1, 5)
CLIENTS, PER_CLIENT = 200, 50
Request = Callable[[httpx.AsyncClient, int], Awaitable[int]]


@contextlib.contextmanager
def served(factory: str, env: dict[str, str], core: int | None,
           log_path: Path) -> Iterator[tuple[str, int]]:
    """`uvicorn <factory> --factory` in its own process; yields the base URL and the pid
    once ready."""
    port = free_port()

    def pin() -> None:
        if core is not None:
            os.sched_setaffinity(0, {core})

    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port),
               "--no-access-log", "--log-level", "warning"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=os.environ | env, stdout=log, stderr=log,
                                   preexec_fn=pin, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/ready", process, factory, log_path)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(base: str, send: Request, concurrency: int, seconds: float,
               pid: int) -> dict[str, Any]:
    """Closed-loop load: each client sends its next request when the last one answered.
    `server_cpu_us_per_request` is the service's own CPU cost, whatever limits the rate."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        stop = time.monotonic() + seconds

        async def worker(n: int) -> None:
            i = n
            while time.monotonic() < stop:
                started = time.perf_counter()
                status = await send(client, i)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                i += concurrency

        began, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed, cpu = time.perf_counter() - began, cpu_seconds(pid) - cpu
    latencies.sort()
    return {
        "requests_per_second": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "server_cpu_us_per_request": round(cpu / len(latencies) * 1e6),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def best_of(rounds: int, run: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    results = [await run() for _ in range(rounds)]
    return max(results, key=lambda r: r["requests_per_second"])


async def bench_ingest(bootstrap: str, folder: Path, core: int | None, seconds: float,
                       rounds: int) -> dict[str, Any]:
    source = f"bench-fhir-{uuid.uuid4().hex[:8]}"
    topics_file = folder / "topics.yaml"
    topics_file.write_text(yaml.safe_dump({
        "version": 1, "sources": [{"id": source, "sector": "health", "format": "fhir"}],
        "raw": {"partitions": PARTITIONS}, "topics": {}}))
    spec = load_topics(SiltaSettings(topics_file=topics_file))
    await apply_topics(bootstrap, spec)
    token = secrets.token_hex(16)
    headers = {"content-type": "application/fhir+json", "authorization": f"Bearer {token}"}

    accepted = 0

    async def post(client: httpx.AsyncClient, i: int) -> int:
        nonlocal accepted
        # a distinct body per request, as real traffic has (and distinct ce_ids)
        body = FHIR.replace(b'"visit-8812"', f'"visit-{i}"'.encode())
        status = (await client.post(f"/ingest/{source}", content=body,
                                    headers=headers)).status_code
        accepted += status == 202
        return status

    results: dict[str, Any] = {"body_bytes": len(FHIR)}
    for linger in LINGERS:
        env = {"SILTA_KAFKA_BOOTSTRAP": bootstrap, "SILTA_TOPICS_FILE": str(topics_file),
               "SILTA_HTTP_TOKENS": json.dumps({source: token}),
               "SILTA_HTTP_LINGER_MS": str(linger), "SILTA_LOG_LEVEL": "WARNING"}
        with served("services.gateways.http.app:build_app", env, core,
                    folder / "gateway.log") as (base, pid):
            for concurrency in (1, 20):
                await load(base, post, concurrency, 0.5, pid)  # warm-up
                results[f"linger_{linger}ms_clients_{concurrency}"] = await best_of(
                    rounds, lambda c=concurrency: load(base, post, c, seconds, pid))
    stored = await topic_size(bootstrap, spec.sources[0].topic, PARTITIONS)
    if stored != accepted:
        raise RuntimeError(f"{accepted} requests got 202 but the topic holds {stored} records")
    results["accepted_202_total"] = results["records_on_topic"] = stored
    return results


def seed_entries() -> list[TimelineEntry]:
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    entries = []
    for c in range(CLIENTS):
        client = f"{c:032x}"
        for n in range(1, PER_CLIENT + 1):
            sector = "health" if n % 2 else "social"
            entries.append(TimelineEntry(
                entry_id=f"{c:016x}{n:016x}", client=client, key_version="k1", sequence=n,
                sector=sector, kind="encounter.started", event_type="fi.silta.health.x.v1",
                resource_type="Encounter", status="active", occurred_at=t0 + dt.timedelta(n),
                recorded_at=t0 + dt.timedelta(n), source_ref=f"{n:032x}",
                codes=[Code(system="urn:oid:1.2.246.537.6.1", code="F10.2")]))
    return entries


async def bench_api(folder: Path, core: int | None, seconds: float,
                    rounds: int) -> dict[str, Any]:
    url = f"sqlite:///{folder}/timeline.sqlite3"
    store = open_store(url)
    await store.open()
    await store.upsert(seed_entries())
    await store.close()
    token = secrets.token_hex(16)
    headers = {"authorization": f"Bearer {token}"}
    pick = random.Random(7)

    async def page(client: httpx.AsyncClient, i: int) -> int:
        c = pick.randrange(CLIENTS)
        return (await client.get(f"/clients/{c:032x}/timeline", params={"limit": 100},
                                 headers=headers)).status_code

    async def entry(client: httpx.AsyncClient, i: int) -> int:
        c, n = pick.randrange(CLIENTS), pick.randrange(1, PER_CLIENT + 1)
        return (await client.get(f"/entries/{c:016x}{n:016x}", headers=headers)).status_code

    env = {"SILTA_STORE_URL": url, "SILTA_LOG_LEVEL": "WARNING", "SILTA_API_TOKENS":
           json.dumps({token: {"actor": "bench:load", "scopes": ["timeline:read"]}})}
    results: dict[str, Any] = {"store": "sqlite", "entries": CLIENTS * PER_CLIENT,
                               "page_entries": PER_CLIENT}
    with served("services.api.app:build_app", env, core, folder / "api.log") as (base, pid):
        for name, send in (("timeline_page", page), ("entry", entry)):
            for concurrency in (1, 20):
                await load(base, send, concurrency, 0.5, pid)
                results[f"{name}_clients_{concurrency}"] = await best_of(
                    rounds, lambda s=send, c=concurrency: load(base, s, c, seconds, pid))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per scenario")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    core = cores[-1] if len(cores) > 1 else None
    folder = Path(tempfile.mkdtemp(prefix="silta-bench-api-"))
    with kafka_broker() as (bootstrap, broker_note):
        ingest = asyncio.run(bench_ingest(bootstrap, folder, core, args.seconds, args.rounds))
    api = asyncio.run(bench_api(folder, core, args.seconds, args.rounds))
    result = {"benchmark": "services.gateways.http + services.api",
              "environment": {**environment(), "pinned_core": core, "broker": broker_note},
              "seconds_per_round": args.seconds, "rounds": args.rounds,
              "http_ingest": ingest, "timeline_api": api}
    path = write("api", result)
    print(json.dumps(result, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
