"""Timeline restart cost: loading one partition's state with N entries of history on the
timeline topic (synthesised straight onto it), each load in its own process so its peak
RSS is its own.

    .venv/bin/python -m bench.restart [--counts 1000000 10000000]   (writes bench/results/restart.json)

Per count:
- `rebuild`: the whole partition read into memory (no checkpoint), the baseline;
- `checkpoint-cold`: no local file yet (a new machine): the partition read once into the
  on-disk checkpoint;
- `checkpoint-warm`: a restart with the checkpoint at the end of the topic.
Flat means warm seconds and every checkpoint RSS stay level as N grows tenfold, while
the rebuild's grow with N; the ratios say so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.timing import environment, kafka_broker, write

MODES = ("rebuild", "checkpoint-cold", "checkpoint-warm")


async def synthesise(bootstrap: str, topic: str, count: int) -> None:
    """`count` TimelineEntry-shaped records on partition 0, 2,000 clients."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from services.kafka.clients import new_producer

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 1, 1)])
    await admin.close()
    producer = new_producer(bootstrap, linger_ms=50, max_batch_size=1 << 20, acks=1)
    await producer.start()
    try:
        sequences: dict[int, int] = {}
        pending = []
        for n in range(count):
            client = n % 2000
            sequences[client] = sequences.get(client, 0) + 1
            value = json.dumps({
                "entry_id": f"{n:032x}", "client": f"{client:064x}", "sequence": sequences[client],
                "key_version": "k1", "sector": "health", "kind": "encounter.started",
                "status": "active", "occurred_at": "2025-01-01T00:00:00Z"}).encode()
            pending.append(await producer.send(topic, value, partition=0))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def child(mode: str, bootstrap: str, topic: str, state_dir: str) -> None:
    from services.timeline.checkpoint import load
    from services.timeline.state import rebuild

    started = time.perf_counter()
    if mode == "rebuild":
        asyncio.run(rebuild(bootstrap, topic, 0))
    else:
        asyncio.run(load(bootstrap, topic, Path(state_dir), 0)).close()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1)}))


def measure(mode: str, bootstrap: str, topic: str, state_dir: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.restart", "--child", mode, bootstrap,
                           topic, str(state_dir)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results: dict[str, Any] = {}
    with kafka_broker() as (bootstrap, note):
        for count in args.counts:
            topic = f"bench.timeline.{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            asyncio.run(synthesise(bootstrap, topic, count))
            print(f"{count} entries on {topic} in {time.perf_counter() - started:.0f}s",
                  flush=True)
            state_dir = Path(tempfile.mkdtemp(prefix="silta-bench-state-"))
            try:
                for mode in MODES:  # cold leaves the checkpoint that warm starts from
                    measured = results[f"{mode}:{count}"] = measure(mode, bootstrap, topic,
                                                                    state_dir)
                    print(f"{mode:>16} {count:>9} entries: {measured['seconds']:>7.2f}s, "
                          f"peak RSS {measured['peak_rss_mb']:.0f} MB", flush=True)
            finally:
                shutil.rmtree(state_dir, ignore_errors=True)
    low, high = min(args.counts), max(args.counts)
    ratios = {f"{mode}_{what}": round(results[f"{mode}:{high}"][key]
                                      / results[f"{mode}:{low}"][key], 2)
              for mode in MODES for what, key in (("seconds", "seconds"), ("rss", "peak_rss_mb"))}
    warm_vs_rebuild = round(results[f"checkpoint-warm:{high}"]["seconds"]
                            / results[f"rebuild:{high}"]["seconds"], 3)
    print(f"x{high // low} history: {ratios}; warm restart / rebuild at {high}: {warm_vs_rebuild}")
    path = write("restart", {"environment": {**environment(), "broker": note},
                             "results": results, f"ratio_{high}_vs_{low}": ratios,
                             "warm_vs_rebuild_seconds": warm_vs_rebuild})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
