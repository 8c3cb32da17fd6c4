"""The timeline's random-key tables as they grow: CPU per entry written, by how many they
hold.

    .venv/bin/python -m bench.store [--entries 1000000]     (writes bench/results/store.json)

A 10^9-entry backfill stores 10^9 entries, and a B-tree index keyed by random hashes
costs about one page rewritten per entry once it outgrows a commit, so the cost per
entry rises with the tables' size; bench.pipeline's 60,000 entries do not show it.
Synthetic TimelineEntry records (2,000 clients, one in twenty a correction of an earlier
entry) are written the way the timeline writes them:
- `current`: through `Materialiser.handle` in batches of 1,000 (the store consumer's
  transactions) into a SQLite store with the schema as migrated today;
- `v4-root-index`: the same store with schema v4's index on every entry's root instead of
  v5's index on corrections only (the baseline of `current`, in the same run);
- `owners`: the record-owner claims of each entry (its record, itself, what it corrects;
  `claims_of`) through `claim`, one transaction per slice of 330 entries, as the
  timeline claims before it publishes a slice;
- `checkpoint`: each slice staged, sequenced and applied to one partition's checkpoint
  (`DiskState`), as the timeline does after each commit (here one partition holds every
  entry: a deployment spreads them over its partitions).
For each stretch of the fill (up to 10^5, 3x10^5, 10^6 ... entries held) it reports µs of
CPU (process time, the store's worker thread included) per entry, current/baseline, and
each series against its own first stretch (how much dearer an entry got as it grew).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import msgspec
from aiokafka import ConsumerRecord

from bench.running import stamp
from bench.timing import environment, pin_one_core, write
from services.observability.metrics import ServiceMetrics
from services.timeline.checkpoint import DiskState
from services.timeline.materialiser import Materialiser
from services.timeline.owners import claims_of
from services.timeline.store import open_store

BATCH = 1000
SLICE = 330  # events per timeline slice in bench.pipeline (bench.hotpath's SLICE)
CLIENTS = 2000
MARKS = (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
VARIANTS = ("current", "v4-root-index")
SERIES = (*VARIANTS, "owners", "checkpoint")
_ENCODE = msgspec.json.Encoder().encode


def entries(start: int, count: int) -> list[dict[str, Any]]:
    """Entries `start`..`start + count` as TimelineEntry data, the same on every call."""
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
        out.append(entry)
    return out


def records(start: int, count: int) -> tuple[ConsumerRecord[Any, Any], ...]:
    """The same entries as timeline records."""
    return tuple(ConsumerRecord("silta.timeline.v1", 0, n, 0, 0, None, _ENCODE(entry), None,
                                0, 0, []) for n, entry in enumerate(entries(start, count), start))


def hash_of(n: int) -> int:
    # Spread like the real ids (HMAC output): consecutive entries far apart in the index.
    return (n * 0x9E3779B97F4A7C15_F39CC0605CEDC834) % (1 << 128)


def to_baseline(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX timeline_corrections")
        db.execute("CREATE INDEX timeline_root ON timeline_entries (root_id)")


async def timed_fill(series: str, marks: list[int], size: int,
                     prepare: Callable[[int, int], Any],
                     write: Callable[[Any], Awaitable[Any]]) -> dict[str, float]:
    """µs of CPU per entry of `write(prepare(start, count))` in batches of `size`, for each
    stretch between `marks` (preparing the batch is left out), printed as it goes."""
    us: dict[str, float] = {}
    held = 0
    for mark in marks:
        cpu = 0.0
        for start in range(held, mark, size):
            batch = prepare(start, min(size, mark - start))
            before = time.process_time()
            await write(batch)
            cpu += time.process_time() - before
        us[f"{held}-{mark}"] = round(1e6 * cpu / (mark - held), 1)
        held = mark
        print(f"{series}: {us}", flush=True)
    return us


async def fill(variant: str, folder: Path, marks: list[int]) -> dict[str, float]:
    path = folder / f"{variant}.sqlite3"
    store = open_store(f"sqlite:///{path}")
    await store.open()
    await store.close()
    if variant == "v4-root-index":
        to_baseline(path)
    await store.open()
    try:
        if variant == "owners":
            return await timed_fill(variant, marks, SLICE, _claims, store.claim)
        materialiser = Materialiser(store, ServiceMetrics(f"bench-store-{variant}"),
                                    trusted=True)
        us = await timed_fill(variant, marks, BATCH, records, materialiser.handle)
        assert await store.count() == marks[-1]
        return us
    finally:
        await store.close()


def _claims(start: int, count: int) -> list[Any]:
    return [claim for entry in entries(start, count)
            for claim in claims_of(SimpleNamespace(**{"corrects": None, **entry}))]


async def fill_checkpoint(folder: Path, marks: list[int]) -> dict[str, float]:
    state = DiskState(folder / "checkpoint.sqlite3", "silta.timeline.v1")

    async def write(batch: tuple[int, list[dict[str, Any]]]) -> None:
        start, slice_ = batch
        staged = state.stage([e["entry_id"] for e in slice_], [e["client"] for e in slice_])
        for entry in slice_:
            if not staged.is_known(entry["entry_id"]):
                staged.take(entry["client"], staged.next_sequence(entry["client"]))
                staged.mark(entry["entry_id"])
        staged.apply(start + len(slice_))

    try:
        return await timed_fill("checkpoint", marks, SLICE,
                                lambda start, count: (start, entries(start, count)), write)
    finally:
        state.close()


async def run(count: int, folder: Path) -> dict[str, Any]:
    marks = [m for m in MARKS if m < count] + [count]
    measured = {series: await (fill_checkpoint(folder, marks) if series == "checkpoint"
                               else fill(series, folder, marks)) for series in SERIES}
    ratios = {stretch: round(measured["current"][stretch] / measured["v4-root-index"][stretch],
                             2) for stretch in measured["current"]}
    growth = {series: {stretch: round(us / next(iter(by_stretch.values())), 2)
                       for stretch, us in by_stretch.items()}
              for series, by_stretch in measured.items()}
    return {"benchmark": "store", "measured_at": stamp(), "batch": BATCH, "slice": SLICE,
            "us_per_entry": measured, "current_vs_v4": ratios,
            "vs_first_stretch": growth}


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
