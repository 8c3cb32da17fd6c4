"""Where the timeline can be read from, behind one interface: `await reader.read(position,
sink)` hands every entry after `position` to `sink` in batches and returns the position to
continue from next time, so exports can be incremental and memory stays flat.

- StoreReader: the timeline store (SQLite or PostgreSQL); position = store position.
- TopicReader: the timeline topic, read_committed; position = next offset per partition.
- ApiReader: the query API's `GET /entries` (bearer token); position = store position.
- ParquetReader: a folder written by `silta export parquet` (its current view); no position.

`follow(reader, ...)` keeps reading what arrives after the position reached, for a view
that stays current (a notebook's background task, `silta export ... --follow`).

All of them yield the same entries for the same timeline (tests/services/evaluation).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import orjson

from contracts.timeline import TimelineEntry
from services.errors import SourceError
from services.kafka.clients import Kafka, connection, new_consumer
from services.kafka.reading import partitions_of, start_or_explain
from services.settings import redact_url
from services.timeline.store import open_store

Sink = Callable[[list[TimelineEntry]], None]
Position = Any  # int (store, API), dict[str, int] (topic), None (from the start)
BATCH = 5000
T = TypeVar("T")


class Reader(Protocol):
    @property
    def description(self) -> str:
        """Which source, for messages and the export state (never a password)."""


    async def read(self, position: Position, sink: Sink) -> Position: ...


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run async reading from sync code, also inside a notebook's running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def follow(reader: Reader, position: Position, sink: Sink, *, stop: asyncio.Event,
                 every: float = 1.0) -> Position:
    """Read what is there, then what arrives, every `every` seconds until `stop` is set;
    returns the position to continue from. Polling keeps every reader's one way of reading
    (a position in, a position out), so a follower resumes exactly where a read stopped."""
    while True:
        position = await reader.read(position, sink)
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            continue
        return position


@dataclass
class StoreReader:
    url: str

    @property
    def description(self) -> str:
        return f"store {redact_url(self.url)}"

    async def read(self, position: Position, sink: Sink) -> Position:
        if self.url.startswith("sqlite:///") and not Path(self.url[10:]).is_file():
            raise SourceError(f"no timeline store at {self.url[10:]} (SILTA_STORE_URL); run "
                              "`make demo` or point it at an existing store")
        store = open_store(self.url)
        try:
            await store.open()
        except Exception as exc:
            raise SourceError(f"cannot open the {self.description}: {type(exc).__name__}") \
                from None
        at = -1 if position is None else int(position)
        try:
            while page := await store.entries_since(at, BATCH):
                at = page[-1][0]
                sink([entry for _, entry in page])
        finally:
            await store.close()
        return at


@dataclass
class TopicReader:
    bootstrap: Kafka
    topic: str = "silta.timeline.v1"

    @property
    def description(self) -> str:
        return f"topic {self.topic} at {connection(self.bootstrap).bootstrap}"

    async def read(self, position: Position, sink: Sink) -> Position:
        consumer = new_consumer(self.bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed",
                                request_timeout_ms=10_000, connections_max_idle_ms=60_000)
        await start_or_explain(consumer, self.bootstrap)
        try:
            tps = await partitions_of(self.bootstrap, self.topic)
            if not tps:
                raise SourceError(f"no topic {self.topic} at {connection(self.bootstrap).bootstrap}")
            consumer.assign(tps)
            start = {int(k): int(v) for k, v in (position or {}).items()}
            for tp in tps:
                if tp.partition in start:
                    consumer.seek(tp, start[tp.partition])
                else:
                    await consumer.seek_to_beginning(tp)
            ends = await consumer.end_offsets(tps)
            done: dict[str, int] = {}
            for tp in tps:
                while (offset := await consumer.position(tp)) < ends[tp]:
                    records = (await consumer.getmany(tp, timeout_ms=1000,
                                                      max_records=BATCH)).get(tp, [])
                    entries = [TimelineEntry.model_validate_json(r.value) for r in records
                               if r.offset < ends[tp]]
                    if entries:
                        sink(entries)
                done[str(tp.partition)] = max(offset, ends[tp])
            return done
        finally:
            await consumer.stop()


@dataclass
class ApiReader:
    url: str
    token: str
    transport: httpx.AsyncBaseTransport | None = None  # e.g. an in-process app in tests

    @property
    def description(self) -> str:
        return f"query API at {self.url}"

    async def read(self, position: Position, sink: Sink) -> Position:
        at = -1 if position is None else int(position)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.url, headers=headers, timeout=60,
                                     transport=self.transport) as client:
            while True:
                try:
                    response = await client.get("/entries", params={"since": at, "limit": BATCH})
                except httpx.HTTPError as exc:
                    raise SourceError(f"the {self.description} does not answer: "
                                      f"{type(exc).__name__}") from None
                if response.status_code in (401, 403):
                    raise SourceError(f"the {self.description} refused the token "
                                      f"({response.status_code}); it needs timeline:read")
                if response.status_code != 200:
                    raise SourceError(f"the {self.description} answered "
                                      f"{response.status_code} to GET /entries")
                batch = orjson.loads(response.content)
                if batch["entries"]:
                    sink([TimelineEntry.model_validate(e) for e in batch["entries"]])
                at = batch["position"]
                if not batch["more"]:
                    return at


@dataclass
class ParquetReader:
    path: Path

    @property
    def description(self) -> str:
        return f"Parquet export {self.path}"

    async def read(self, position: Position, sink: Sink) -> Position:
        from services.evaluation.exports import read_current

        for batch in read_current(self.path):
            sink(batch)
        return None
