"""Shared benchmark plumbing: pinned to one core, best of several rounds, JSON results.

Machines here are shared and noisy, so every benchmark compares implementations inside
one run and reports ratios; absolute numbers are context, not verdicts.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def pin_one_core() -> int | None:
    """Run on a single core so 'per core' means what it says; returns the core or None."""
    try:
        core = sorted(os.sched_getaffinity(0))[-1]
        os.sched_setaffinity(0, {core})
        return core
    except (AttributeError, OSError):
        return None


def per_op_seconds(fn: Callable[[Any], Any], items: Sequence[Any], rounds: int = 5,
                   min_time: float = 0.2) -> float:
    """Best-of-`rounds` seconds per call of `fn` over `items` (each round >= min_time)."""
    best = float("inf")
    loops = 1
    gc.collect()
    while True:  # calibrate: enough loops that one round takes min_time
        start = time.perf_counter()
        for _ in range(loops):
            for item in items:
                fn(item)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        loops *= 2
    best = elapsed / (loops * len(items))
    for _ in range(rounds - 1):
        start = time.perf_counter()
        for _ in range(loops):
            for item in items:
                fn(item)
        best = min(best, (time.perf_counter() - start) / (loops * len(items)))
    return best


def environment() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "machine": platform.machine(),
            "cpus": os.cpu_count(), "pinned_core": None}


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


@contextlib.contextmanager
def kafka_broker() -> Iterator[tuple[str, str]]:
    """SILTA_KAFKA_BOOTSTRAP, or a throwaway local broker: (bootstrap, description)."""
    from deploy.local.broker import LocalKafka, free_port

    if bootstrap := os.environ.get("SILTA_KAFKA_BOOTSTRAP"):
        yield bootstrap, "external (SILTA_KAFKA_BOOTSTRAP)"
        return
    local = LocalKafka(port=free_port(), run_dir=Path(tempfile.mkdtemp(prefix="silta-bench-")))
    seconds = local.up()
    try:
        yield local.bootstrap, f"local Apache Kafka {local.version} (ready in {seconds:.1f}s)"
    finally:
        local.down()


def wait_ready(url: str, process: subprocess.Popen[bytes], what: str, log_path: Path,
               timeout: float = 30.0) -> None:
    """Poll `url` (a /ready endpoint) until it answers 200, or fail naming the log."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready; see {log_path}")
        time.sleep(0.2)


async def topic_size(bootstrap: str, topic: str, partitions: int) -> int:
    """How many records `topic` holds: the sum of its partitions' end offsets."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()
