"""The timeline store's write cost as it grows: CPU per entry stored, by how many it holds.

    .venv/bin/python -m bench.store [--entries 1000000]     (writes bench/results/store.json)

A 10^9-entry backfill stores 10^9 entries, and a B-tree index keyed by random hashes
costs about one page rewritten per entry once it outgrows a commit, so the cost per
entry rises with the store's size; bench.pipeline's 60,000 entries do not show it.
Synthetic TimelineEntry records (2,000 clients, one in twenty a correction of an earlier
entry) go through `Materialiser.handle` in batches of 1,000, the way the store consumer
writes them, into a SQLite store:
- `current`: the schema as migrated today;
- `v4-root-index`: the same store with schema v4's index on every entry's root instead of
  v5's index on corrections only (the baseline, in the same run).
For each stretch of the fill (up to 10^5, 3x10^5, 10^6 ... entries held) it reports µs of
CPU (process time, the store's worker thread included) per entry, and current/baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
from aiokafka import ConsumerRecord

from bench.running import stamp
from bench.timing import environment, pin_one_core, write
from services.observability.metrics import ServiceMetrics
from services.timeline.materialiser import Materialiser
from services.timeline.store import open_store

BATCH = 1000
CLIENTS = 2000
MARKS = (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
VARIANTS = ("current", "v4-root-index")
_ENCODE = msgspec.json.Encoder().encode


def records(count: int, start: int = 0) -> list[ConsumerRecord[Any, Any]]:
    """Entries `start`..`start + count` as timeline records, the same on every call."""
    out = []
    for n in range(start, start + count):
        client = n % CLIENTS
        entry: dict[str, Any] = {
            "entry_id": f"{hash_of(n):032x}", "client": f"{hash_of(CLIENTS + client):032x}",
            "key_version": "k1", "sequence": n // CLIENTS + 1, "sector": "health",
            "kind": "encounter.started", "event_type": "fi.silta.health.encounter.started.v1",
            "resource_type": "Encounter", "status": "active",
            "occurred_at": "2025-01-01T08:00:00Z", "recorded_at": "2025-01-01T08:00:00Z",
            "codes": [{"system": "urn:oid:1.2.246.537.6.1", "code": "F10.2"}],
            "source_ref": f"{hash_of(-n):032x}"}
        if n % 20 == 19:  # an amendment of an entry of the last thousand
            entry["status"] = "amended"
            entry["corrects"] = f"{hash_of(n - 1 - n % 997):032x}"
        out.append(ConsumerRecord("silta.timeline.v1", 0, n, 0, 0, None, _ENCODE(entry),
                                  None, 0, 0, []))
    return out


def hash_of(n: int) -> int:
    # Spread like the real ids (HMAC output): consecutive entries far apart in the index.
    return (n * 0x9E3779B97F4A7C15_F39CC0605CEDC834) % (1 << 128)


def to_baseline(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX timeline_corrections")
        db.execute("CREATE INDEX timeline_root ON timeline_entries (root_id)")


async def fill(variant: str, folder: Path, marks: list[int]) -> dict[str, float]:
    path = folder / f"{variant}.sqlite3"
    store = open_store(f"sqlite:///{path}")
    await store.open()
    await store.close()
    if variant == "v4-root-index":
        to_baseline(path)
    await store.open()
    materialiser = Materialiser(store, ServiceMetrics(f"bench-store-{variant}"), trusted=True)
    us: dict[str, float] = {}
    held = 0
    try:
        for mark in marks:
            cpu = 0.0
            for start in range(held, mark, BATCH):
                batch = tuple(records(min(BATCH, mark - start), start))
                before = time.process_time()
                await materialiser.handle(batch)
                cpu += time.process_time() - before
            us[f"{held}-{mark}"] = round(1e6 * cpu / (mark - held), 1)
            held = mark
            print(f"{variant}: {us}", flush=True)
        assert await store.count() == held
    finally:
        await store.close()
    return us


async def run(entries: int, folder: Path) -> dict[str, Any]:
    marks = [m for m in MARKS if m < entries] + [entries]
    measured = {variant: await fill(variant, folder, marks) for variant in VARIANTS}
    ratios = {stretch: round(measured["current"][stretch] / measured["v4-root-index"][stretch],
                             2) for stretch in measured["current"]}
    return {"benchmark": "store", "measured_at": stamp(), "batch": BATCH,
            "us_per_entry": measured, "current_vs_v4": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    core = pin_one_core()
    with tempfile.TemporaryDirectory(prefix="silta-bench-store-") as folder:
        result = asyncio.run(run(args.entries, Path(folder)))
    result["environment"] = {**environment(), "pinned_core": core}
    print(json.dumps(result, indent=2))
    print(f"written to {write('store', result)}")


if __name__ == "__main__":
    main()
