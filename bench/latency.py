"""Source-to-timeline latency at a paced rate: p50 and p99.

    .venv/bin/python -m bench.latency [--rates 500 1000] [--seconds 30]
                                                  (writes bench/results/latency.json)

For each rate, `silta serve ingest` and `silta serve timeline` run on fresh topics; after a
warm-up, the simulator's messages are produced at that many per second (a steady pace,
not bursts) for the given time. A message's latency is from the moment it is handed to
the producer to the moment a read_committed consumer (in this process, polling every
10 ms) sees the first timeline entry it becomes: what an evaluator subscribing to the
timeline would see. Messages whose entries were all published before (re-sends) or that
become none (policy drops, dead letters) have no latency. The first seconds of each run
are left out, so connection and group set-up are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.running import Broker, broker, produce_raw, stamp, warm_up_split
from bench.timing import environment, write
from services.kafka.clients import new_consumer, new_producer
from services.local.isolated import PipelineTopics, ingest_settings, make_topics, timeline_settings
from services.local.processes import ServiceProcess
from services.pseudonyms import Pseudonymiser
from services.simulate import SimConfig, generate
from services.simulate.model import SimMessage
from services.timeline.preview import preview

SETTLE_SECONDS = 3.0


def first_entries(messages: list[SimMessage], topics: PipelineTopics) -> dict[str, int]:
    """entry id -> the index of the first message that yields it (from the source ids
    of these topics, which the entry ids are keyed with)."""
    pseudonymiser, first = Pseudonymiser(topics.key.encode(), "k1"), dict[str, int]()
    for index, m in enumerate(messages):
        source = topics.source_id(m.fmt)
        for entry_id in preview([(m.fmt, source, m.payload)], pseudonymiser).entry_ids:
            first.setdefault(entry_id, index)
    return first


async def paced(kafka: Broker, topics: PipelineTopics, messages: list[SimMessage],
                rate: int) -> list[float]:
    """Send `messages` at `rate` per second; the time each was handed to the producer."""
    producer = new_producer(kafka.bootstrap, acks="all", linger_ms=0, enable_idempotence=True)
    await producer.start()
    sent: list[float] = []
    pending = []
    try:
        start = time.monotonic()
        for index, m in enumerate(messages):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent.append(time.time())
            pending.append(await producer.send(topics.raw(m.fmt), m.payload, key=m.key))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sent


async def seen(kafka: Broker, topic: str, want: set[str], timeout: float) -> dict[str, float]:
    """When each entry id in `want` was first seen committed on `topic`."""
    consumer = new_consumer(kafka.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=10,
                            isolation_level="read_committed", auto_offset_reset="latest")
    consumer.subscribe([topic])
    await consumer.start()
    arrived: dict[str, float] = {}
    try:
        deadline = time.monotonic() + timeout
        while want - arrived.keys() and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=10)).values():
                now = time.time()
                for record in records:
                    entry_id = dict(record.headers).get("ce_id", b"").decode()
                    arrived.setdefault(entry_id, now)
    finally:
        await consumer.stop()
    return arrived


async def measure(kafka: Broker, messages: list[SimMessage], rate: int, seconds: float,
                  workdir: Path) -> dict[str, Any]:
    topics = await make_topics(kafka.bootstrap, workdir, partitions=6)
    warm, rest = warm_up_split(messages, share=0.0, at_least=500)
    rest = rest[:int(rate * seconds)]
    store = f"sqlite:///{workdir}/timeline-{topics.suffix}.sqlite3"
    services = [ServiceProcess("ingest", ingest_settings(kafka.bootstrap, topics,
                                                         log_level="WARNING"), workdir, "ingest"),
                ServiceProcess("timeline", timeline_settings(kafka.bootstrap, topics, store,
                                                             log_level="WARNING"),
                               workdir, "timeline")]
    for service in services:
        service.start()
    try:
        await produce_raw(kafka.bootstrap, topics, warm)
        first = first_entries([*warm, *rest], topics)
        measured = {e: i - len(warm) for e, i in first.items() if i >= len(warm)}
        watcher = asyncio.ensure_future(seen(kafka, topics.timeline, set(measured),
                                             timeout=seconds + 300))
        await asyncio.sleep(SETTLE_SECONDS)  # the watcher joins; the warm-up drains
        sent = await paced(kafka, topics, rest, rate)
        arrived = await watcher
    finally:
        for service in services:
            service.stop()
    start = sent[0] + SETTLE_SECONDS
    latencies = sorted(arrived[e] - sent[i] for e, i in measured.items()
                       if e in arrived and sent[i] >= start)
    missing = sum(1 for e in measured if e not in arrived)
    if len(latencies) < 100:
        raise RuntimeError(f"only {len(latencies)} entries timed ({missing} never seen); "
                           f"see the logs in {workdir}")
    return {
        "rate_per_second": rate, "messages_sent": len(rest),
        "achieved_rate": round(len(rest) / (sent[-1] - sent[0]), 1),
        "entries_timed": len(latencies), "entries_missing": missing,
        "p50_ms": round(1000 * statistics.quantiles(latencies, n=100)[49], 1),
        "p99_ms": round(1000 * statistics.quantiles(latencies, n=100)[98], 1),
        "max_ms": round(1000 * latencies[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[500, 1000])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=1500)
    args = parser.parse_args()
    messages = generate(SimConfig(clients=args.clients, seed=3))
    runs = []
    with broker() as kafka, tempfile.TemporaryDirectory(prefix="silta-bench-") as tmp:
        for rate in args.rates:
            runs.append(asyncio.run(measure(kafka, messages, rate, args.seconds, Path(tmp))))
    result = {"benchmark": "pipeline.latency", "measured_at": stamp(),
              "environment": {**environment(), "broker": kafka.note},
              "seconds_per_rate": args.seconds, "runs": runs}
    path = write("latency", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()

