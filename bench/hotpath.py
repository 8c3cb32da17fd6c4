"""The services' own work per timeline entry, in one process and without Kafka: where the
CPU of bench/pipeline.py goes that is ours, stage by stage, measured without the noise
of a broker and two other processes sharing the cores.

    .venv/bin/python -m bench.hotpath [--clients 1500]     (writes bench/results/hotpath.json)

Simulated traffic goes through the real processors in slices, as the services run them:
- ingest: `IngestProcessor.process` on each raw partition's records (the adapters, the
  contract events, their keys and headers);
- timeline: `TimelineProcessor.process` on each events partition's records, with its
  checkpoint (`DiskState`) and the record owners in the SQLite store, then the commit
  hook that writes the checkpoint;
- store: `Materialiser.handle` on the timeline records in batches of 1000, about what
  the store consumer's 1 MiB fetches bring (services/timeline/app.py);
each stage's best of `--rounds` runs (each from an empty store and state).
CPU is process time (the store's worker threads included); slices are the
size the pipeline benchmark's timeline sees (about `SLICE` events). Kafka's share is the
rest of bench/pipeline.py's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from bench.timing import environment, pin_one_core, write
from contracts.envelope import source_uri
from services.cli.serve import settle_heap
from services.ingest.processor import IngestProcessor, routes_for
from services.ingest.settings import IngestSettings
from services.kafka.topics import load_topics
from services.kafka.transactions import OutRecord
from services.logging import configure_logging
from services.observability.metrics import ServiceMetrics
from services.simulate import SimConfig, generate
from services.timeline.checkpoint import DiskState
from services.timeline.materialiser import Materialiser
from services.timeline.processor import TimelineProcessor
from services.timeline.settings import TimelineSettings
from services.timeline.store import open_store

PARTITIONS = 6
SLICE = 330         # events per timeline slice in bench.pipeline (2000 per poll, 6 partitions)
RAW_SLICE = 500
STORE_BATCH = 1000
KEY = "k" * 32


def _record(topic: str, partition: int, offset: int, out: OutRecord) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(topic, partition, offset, 1_700_000_000_000, 0, out.key, out.value,
                          None, 0, len(out.value), tuple(out.headers))


def _slices(records: dict[TopicPartition, list[Any]],
            size: int) -> Iterator[tuple[TopicPartition, list[Any]]]:
    for tp, listed in records.items():
        for start in range(0, len(listed), size):
            yield tp, listed[start:start + size]


def _kept(record: OutRecord) -> OutRecord:
    """A record as the next stage reads it, in a form the garbage collector soon stops
    tracking (tuples of bytes): a stage's output is held until the next stage runs,
    which no service does."""
    return OutRecord(record.topic, record.value, record.key, tuple(map(tuple, record.headers)))


def _by_partition(records: list[OutRecord]) -> dict[TopicPartition, list[Any]]:
    """Records as a consumer would read them from their topics, partitioned by key."""
    out: dict[TopicPartition, list[Any]] = {}
    for record in records:
        partition = zlib.crc32(record.key or b"") % PARTITIONS
        listed = out.setdefault(TopicPartition(record.topic, partition), [])
        listed.append(_record(record.topic, partition, len(listed), record))
    return out


async def run(clients: int, folder: Path) -> dict[str, Any]:
    ingest_settings = IngestSettings(pseudonym_key=KEY)
    spec = load_topics(ingest_settings)
    topic_of = {source.format: source.topic for source in spec.sources}
    raw = _by_partition([OutRecord(topic_of[m.fmt], m.payload, m.key)
                         for m in generate(SimConfig(clients=clients, seed=3))])
    ingest = IngestProcessor(ingest_settings, routes_for(spec), ServiceMetrics("bench-ingest"))
    settings = TimelineSettings(pseudonym_key=KEY, timeline_state_dir=folder)
    store = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
    await store.open()

    async def load(partition: int) -> DiskState:
        return DiskState(folder / f"state-{partition}.sqlite3", settings.timeline_topic)

    timeline = TimelineProcessor(settings, load_state=load, owners=store, metrics=ServiceMetrics(
        "bench-timeline"), sectors={source_uri(s.id): s.sector for s in spec.sources})
    materialiser = Materialiser(store, ServiceMetrics("bench-store"),
                                trusted=settings.timeline_trust_writers)
    cpu: dict[str, float] = {}

    with _timed(cpu, "ingest"):
        events = [_kept(r) for tp, records in _slices(raw, RAW_SLICE)
                  for r in (await ingest.process(tp, records)).records
                  if r.topic == settings.events_topic]
    with _timed(cpu, "timeline"):
        entries = await _timeline(timeline, _by_partition(events), settings.timeline_topic)
    stored = [_record(settings.timeline_topic, 0, n, r) for n, r in enumerate(entries)]
    with _timed(cpu, "store"):
        for start in range(0, len(stored), STORE_BATCH):
            await materialiser.handle(tuple(stored[start:start + STORE_BATCH]))
    await store.close()
    count = len(entries)
    return {
        "source_messages": sum(len(v) for v in raw.values()), "events": len(events),
        "entries": count,
        "us_per_entry": {stage: round(seconds * 1e6 / count, 1) for stage, seconds in cpu.items()},
        "entries_per_cpu_second": round(count / sum(cpu.values())),
    }


async def _timeline(timeline: TimelineProcessor, events: dict[TopicPartition, list[Any]],
                    topic: str) -> list[OutRecord]:
    """The timeline's slices, each committed as the stage would (its hook told the offset)."""
    entries: list[OutRecord] = []
    for tp, records in _slices(events, SLICE):
        outcome = await timeline.process(tp, records)
        entries += [_kept(r) for r in outcome.records if r.topic == topic]
        if outcome.on_commit is not None:
            outcome.on_commit({TopicPartition(topic, tp.partition): records[-1].offset + 1})
    return entries


@contextlib.contextmanager
def _timed(cpu: dict[str, float], stage: str) -> Iterator[None]:
    """The process time of one stage, with the garbage collector set as `silta serve`
    sets it (settle_heap), and the stage's input left out of its scans: a service holds
    one poll of records at a time, not a whole stage's, and collections that scan tens
    of thousands of retained records would be this benchmark's cost, not the services'."""
    settle_heap()
    started = time.process_time()
    yield
    cpu[stage] = time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging("WARNING", True)
    core = pin_one_core()
    rounds = []
    for _ in range(args.rounds):  # each from nothing: new store, checkpoints and state
        with tempfile.TemporaryDirectory(prefix="silta-hotpath-") as folder:
            rounds.append(asyncio.run(run(args.clients, Path(folder))))
    # The machine is shared: each stage's best round is the least disturbed one.
    best = {stage: min(r["us_per_entry"][stage] for r in rounds)
            for stage in rounds[0]["us_per_entry"]}
    measured = {**rounds[0], "rounds": args.rounds, "us_per_entry": best,
                "entries_per_cpu_second": round(1e6 / sum(best.values()))}
    result = {"benchmark": "hotpath", "measured_at": dt.datetime.now(dt.UTC).isoformat(
        timespec="seconds"), "environment": {**environment(), "pinned_core": core},
        "clients": args.clients, "slice_events": SLICE, **measured}
    path = write("hotpath", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
