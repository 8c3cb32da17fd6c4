"""Dead letters: the original bytes, key and headers, plus why they could not be processed.

Error context travels in `silta-dl-*` headers. Header values must be UTF-8 text (FastStream
decodes them so), so an original header whose value is not UTF-8 is stored base64-encoded
under `silta-dl-b64.<name>` and restored on redrive.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.kafka.clients import Kafka
from services.kafka.transactions import OutRecord

PREFIX = "silta-dl-"
B64 = f"{PREFIX}b64."


@dataclass(frozen=True)
class DeadLetterReason:
    code: str
    location: str
    message: str
    stage: str            # which service gave up: ingest, timeline
    adapter_version: str = ""


def to_deadletter(record: Any, reason: DeadLetterReason, topic: str) -> OutRecord:
    headers: list[tuple[str, bytes]] = []
    for name, value in record.headers or ():
        try:
            value.decode("utf-8")
            headers.append((name, value))
        except UnicodeDecodeError:
            headers.append((B64 + name, base64.b64encode(value)))
    headers += [
        (PREFIX + "code", reason.code.encode()),
        (PREFIX + "location", reason.location.encode()),
        (PREFIX + "message", reason.message.encode()),
        (PREFIX + "stage", reason.stage.encode()),
        (PREFIX + "adapter-version", reason.adapter_version.encode()),
        (PREFIX + "source-topic", record.topic.encode()),
        (PREFIX + "source-partition", str(record.partition).encode()),
        (PREFIX + "source-offset", str(record.offset).encode()),
        (PREFIX + "failed-at", dt.datetime.now(dt.UTC).isoformat().encode()),
    ]
    return OutRecord(topic=topic, value=record.value or b"", key=record.key, headers=headers)


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    original_headers: list[tuple[str, bytes]]
    context: dict[str, str]

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def source_topic(self) -> str:
        return self.context.get("source-topic", "")


def from_deadletter(record: Any) -> DeadLetter:
    context: dict[str, str] = {}
    original: list[tuple[str, bytes]] = []
    for name, value in record.headers or ():
        if name.startswith(B64):
            original.append((name[len(B64):], base64.b64decode(value)))
        elif name.startswith(PREFIX):
            context[name[len(PREFIX):]] = value.decode("utf-8", "replace")
        else:
            original.append((name, value))
    return DeadLetter(record.partition, record.offset, record.timestamp, record.key,
                      record.value or b"", original, context)


def redrive_record(letter: DeadLetter, extra: Sequence[tuple[str, bytes]] = ()) -> OutRecord:
    """The original record again, for its source topic."""
    return OutRecord(topic=letter.source_topic, value=letter.value, key=letter.key,
                     headers=[*letter.original_headers, *extra])


@dataclass(frozen=True)
class Filter:
    ids: tuple[str, ...] = ()
    code: str | None = None          # exact, or a prefix ending in "." (e.g. "hl7.")
    source_topic: str | None = None
    stage: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        code = letter.context.get("code", "")
        return ((not self.ids or letter.id in self.ids)
                and (self.code is None or code == self.code
                     or (self.code.endswith(".") and code.startswith(self.code)))
                and (self.source_topic is None or letter.source_topic == self.source_topic)
                and (self.stage is None or letter.context.get("stage") == self.stage))


async def read_deadletters(bootstrap: Kafka, topic: str, wanted: Filter = Filter(),
                           limit: int | None = None) -> list[DeadLetter]:
    """Every committed dead letter on `topic` (oldest first) that matches `wanted`."""
    from services.kafka.reading import read_topic

    found = [letter for letter in map(from_deadletter, await read_topic(bootstrap, topic))
             if wanted.matches(letter)]
    found.sort(key=lambda d: (d.timestamp_ms, d.partition, d.offset))
    return found[:limit] if limit else found


async def redrive(bootstrap: Kafka, letters: Sequence[DeadLetter]) -> int:
    """Publish each letter's original record to its source topic again (durably)."""
    from services.kafka.clients import new_producer

    producer = new_producer(bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = []
        for letter in letters:
            record = redrive_record(letter, [("silta-redriven-from", letter.id.encode())])
            futures.append(await producer.send(record.topic, record.value, key=record.key,
                                               headers=list(record.headers)))
        for future in futures:
            await future
        return len(futures)
    finally:
        await producer.stop()
