"""Where simulated traffic goes: files (one per message plus a manifest) or each source's
raw Kafka topic. The only I/O of the simulator; failures become `SimOutputError` or
`BrokerUnavailable` with a one-line reason."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError

from contracts.errors import SiltaError
from services.errors import BrokerUnavailable
from services.kafka.clients import Kafka, new_producer
from services.simulate.model import SimMessage

Progress = Callable[[int, int], None]
MANIFEST = "manifest.ndjson"
EXTENSIONS = {"hl7v2": "hl7", "fhir": "json", "social": "json"}
_SETTLE_EVERY = 5000  # sends in flight before waiting for their acknowledgements


class SimOutputError(SiltaError, OSError):
    """The simulation could not be written; the message names the path or topic."""


def write_files(messages: Sequence[SimMessage], out: Path,
                topics: Mapping[str, str] | None = None, overwrite: bool = False,
                progress: Progress | None = None) -> Path:
    """`out/<source_id>/NNNNNN.<hl7|json>` per message (NNNNNN = position in the stream)
    and `out/manifest.ndjson` describing each; returns the manifest's path."""
    _prepare(out, overwrite)
    lines = []
    for seq, message in enumerate(messages, 1):
        relative = Path(message.source_id) / f"{seq:06d}.{EXTENSIONS[message.fmt]}"
        _write(out / relative, message.payload)
        lines.append(json.dumps(_entry(seq, relative, message, topics), ensure_ascii=False))
        if progress is not None:
            progress(seq, len(messages))
    manifest = out / MANIFEST
    _write(manifest, ("\n".join(lines) + "\n").encode())
    return manifest


def _entry(seq: int, relative: Path, message: SimMessage,
           topics: Mapping[str, str] | None) -> dict[str, object]:
    entry: dict[str, object] = {
        "seq": seq, "file": relative.as_posix(), "source_id": message.source_id,
        "format": message.fmt, "key": message.key.decode(), "kind": message.kind,
        "at": message.at.isoformat(), "client": message.client, "note": message.note,
        "bytes": len(message.payload), "sha256": hashlib.sha256(message.payload).hexdigest(),
    }
    if topics is not None:
        entry["topic"] = topics[message.source_id]
    return entry


def _prepare(out: Path, overwrite: bool) -> None:
    """Refuse to mix two runs in one folder; with `overwrite`, remove the files the old
    manifest lists (and nothing else)."""
    try:
        if out.exists() and not out.is_dir():
            raise SimOutputError(f"{out} exists and is not a folder")
        if out.is_dir() and any(out.iterdir()):
            if not overwrite:
                raise SimOutputError(f"{out} is not empty; choose an empty folder or pass "
                                     "--overwrite")
            _remove_previous(out)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if isinstance(exc, SimOutputError):
            raise
        raise SimOutputError(f"cannot use {out}: {exc.strerror or exc}") from exc


def _remove_previous(out: Path) -> None:
    manifest = out / MANIFEST
    if not manifest.is_file():
        return
    for line in manifest.read_text().splitlines():
        name = json.loads(line).get("file", "") if line.strip() else ""
        target = (out / name).resolve()
        if name and target.is_relative_to(out.resolve()) and target.is_file():
            target.unlink()
    manifest.unlink()


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise SimOutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


async def check_broker(bootstrap: Kafka, topics: Sequence[str]) -> None:
    """Fail fast, before a long generation, when the broker or a topic is missing."""
    producer = await _started(bootstrap, new_producer(bootstrap, request_timeout_ms=15000))
    try:
        await _check_topics(producer, sorted(set(topics)))
    finally:
        await producer.stop()


async def produce(messages: Sequence[SimMessage], bootstrap: Kafka, topics: Mapping[str, str],
                  linger_ms: int = 20, progress: Progress | None = None) -> int:
    """Send every message to its source's raw topic, keyed as the source keys it; returns
    how many the broker acknowledged. Sends are batched (linger) and awaited in groups,
    never one by one; the producer is idempotent with acks=all. No record timestamp is
    set: with simulated (past) times the raw topics' time retention would drop them."""
    producer = await _started(bootstrap, new_producer(
        bootstrap, acks="all", enable_idempotence=True, linger_ms=linger_ms,
        max_batch_size=256 * 1024, request_timeout_ms=15000))
    try:
        await _check_topics(producer, sorted({topics[m.source_id] for m in messages}))
        return await _send_all(producer, messages, topics, progress)
    except KafkaError as exc:
        raise SimOutputError(f"producing to {bootstrap} failed: {type(exc).__name__}: "
                             f"{exc}") from exc
    finally:
        await producer.stop()


async def _started(bootstrap: Kafka, producer: AIOKafkaProducer) -> AIOKafkaProducer:
    try:
        await producer.start()
    except KafkaError as exc:
        await producer.stop()
        raise BrokerUnavailable(f"no Kafka broker answered at {bootstrap} "
                                f"({type(exc).__name__})") from exc
    return producer


async def _check_topics(producer: AIOKafkaProducer, wanted: list[str]) -> None:
    try:
        metadata = await producer.client.fetch_all_metadata()
    except KafkaConnectionError as exc:
        raise BrokerUnavailable(f"lost the Kafka broker while reading metadata: {exc}") from exc
    missing = [topic for topic in wanted if topic not in metadata.topics()]
    if missing:
        raise SimOutputError(f"topic(s) {', '.join(missing)} do not exist; create them with "
                             "`silta topics apply`")


async def _send_all(producer: AIOKafkaProducer, messages: Sequence[SimMessage],
                    topics: Mapping[str, str], progress: Progress | None) -> int:
    done = 0
    pending: list[asyncio.Future[object]] = []
    for message in messages:
        # `send` only queues the record into a batch; its future resolves on the ack.
        pending.append(await producer.send(topics[message.source_id], message.payload,
                                           key=message.key))
        if len(pending) >= _SETTLE_EVERY:
            done += await _settle(pending)
            pending = []
            if progress is not None:
                progress(done, len(messages))
    done += await _settle(pending)
    if progress is not None:
        progress(done, len(messages))
    return done


async def _settle(pending: list[asyncio.Future[object]]) -> int:
    await asyncio.gather(*pending)
    return len(pending)
