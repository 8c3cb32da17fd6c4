"""The books balance on a real broker, for a hostile batch of more than 10,000 records:
accepted raw records = records with events + ingest dead letters, and events = entries +
timeline dead letters + duplicates + policy drops, counted from the topics themselves and
checked against the services' own metrics; the store holds exactly the timeline topic."""

from __future__ import annotations

import asyncio
import collections
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from services.deadletter import from_deadletter
from services.ingest.app import build_app as ingest_app
from services.kafka.clients import Kafka, connection
from services.kafka.diagnosis import KafkaAccessError
from services.local.processes import settings_env
from services.pseudonyms import Pseudonymiser
from services.settings import SiltaSettings
from services.timeline.app import build_app as timeline_app
from services.timeline.policy import Policy
from services.timeline.store import open_store
from services.timeline.verify import Books, balance, verify
from tests.services.test_pipeline import HETU, running, send, store_count
from tests.support.hostile import hostile_batch
from tests.support.messages import DATA, expected_timeline, person_messages
from tests.support.pipeline import (
    PipelineKafka,
    TopicTail,
    ingest_settings,
    make_topics,
    read_all,
    timeline_settings,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def metric(app: Any, name: str) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        text = (await client.get("/metrics")).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


async def test_books_balance_for_a_hostile_batch(kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    messages = hostile_batch(topics, clients=360, seed=23)
    assert len(messages) >= 10_000
    store_url = f"sqlite:///{tmp_path}/t.sqlite3"
    ingest = ingest_app(ingest_settings(kafka_bootstrap, topics))
    settings = timeline_settings(kafka_bootstrap, topics, store_url)
    timeline = timeline_app(settings)
    await send(kafka_bootstrap, topics, messages)

    async with running(ingest, timeline), TopicTail(kafka_bootstrap, topics.deadletter) as letters:
        async def ingest_done() -> bool:
            return await metric(ingest, "silta_consumed_records_total") >= len(messages)

        assert await wait_for(ingest_done, timeout=300, interval=1)
        store = open_store(store_url)
        await store.open()
        try:
            async def balanced() -> Books | None:
                books = await verify(settings, store)
                last.append(books)
                return books if books.balanced else None

            last: list[Books] = []
            books = await wait_for(balanced, timeout=300, interval=2) or last[-1]
        finally:
            await store.close()
        duplicates = await metric(timeline, "silta_duplicate_records_total")
        drops = await metric(timeline, "silta_policy_dropped_records_total")
        ingest_letters = await metric(ingest, "silta_deadlettered_records_total")
        timeline_letters = await metric(timeline, "silta_deadlettered_records_total")

    print("\naccounting:", json.dumps(books.summary()))
    codes = collections.Counter(from_deadletter(r).context["code"] for r in letters.records)
    print("dead letters by code:", dict(sorted(codes.items())))
    assert books.balanced, "\n".join(books.lines())
    assert books.raw_records == len(messages)
    assert books.raw_with_events + books.ingest_deadletters == books.raw_records
    assert books.entries + books.timeline_deadletters + books.duplicates + books.policy_drops \
        == books.events
    # The services' own counts say the same as the topics.
    assert (ingest_letters, timeline_letters) == (books.ingest_deadletters,
                                                  books.timeline_deadletters)
    assert duplicates + drops == books.duplicates + books.policy_drops
    assert books.store_entries == books.entries
    # Every kind of hostile input was met and refused with its own reason.
    for code in ("record.client-conflict", "privacy.identifier-in-code", "input.too-deep",
                 "input.empty", "json.malformed", "hl7.field.missing"):
        assert codes[code] > 0, code
    entries = await read_all(kafka_bootstrap, topics.timeline, expected=books.entries, settle=0)
    assert len(entries) == books.entries  # one record per entry id: no duplicates published


def test_balance_finds_what_vanished() -> None:
    """The books must be able to fail: a raw record with neither events nor a dead letter,
    and an event with neither an entry nor a reason, are both reported."""
    class Record:
        def __init__(self, topic: str, partition: int, offset: int, value: bytes = b"",
                     headers: list[tuple[str, bytes]] | None = None) -> None:
            self.topic, self.partition, self.offset = topic, partition, offset
            self.value, self.headers, self.timestamp, self.key = value, headers or [], 0, None

    example = json.loads((Path(DATA).parents[1] / "contracts" / "examples" / "v1" /
                          "fi.silta.health.encounter.started.v1.json").read_text())
    headers = [(k, v.encode()) for k, v in example["headers"].items()]
    event = Record("events", 0, 0, json.dumps(example["value"]).encode(),
                   [*headers, ("silta-raw-ref", b"raw/0/0")])
    books = balance(raw=[Record("raw", 0, 0), Record("raw", 0, 1)], events=[event], timeline=[],
                    deadletters=[], events_topic="events",
                    pseudonymiser=Pseudonymiser(b"k" * 32, "k1"), policy=Policy())
    assert books.raw_unaccounted == ["raw/0/1"]
    assert books.events_unaccounted == ["events/0/0"]
    assert not books.balanced


async def test_silta_timeline_verify_reports_balanced_books_and_a_gap(
        pipeline_kafka: PipelineKafka, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the secured broker verify runs as the auditor principal, the only one (besides the
    broker's own) that may read every topic the books balance over."""
    kafka = pipeline_kafka
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await kafka.grant(topics)
    store_url = f"sqlite:///{tmp_path}/t.sqlite3"
    settings = timeline_settings(kafka.as_("timeline"), topics, store_url)
    messages = person_messages(HETU)
    expected = expected_timeline(messages, topics)
    await send(kafka.as_("operator"), topics, messages)
    async with running(ingest_app(ingest_settings(kafka.as_("ingest"), topics)),
                       timeline_app(settings)):
        await read_all(kafka.as_("evaluator"), topics.timeline, expected=len(expected.entry_ids))
        await store_count(store_url, len(expected.entry_ids))
    for name in ("topics_file", "events_topic", "timeline_topic", "deadletter_topic", "store_url"):
        monkeypatch.setenv(f"SILTA_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("SILTA_PSEUDONYM_KEY", topics.key)
    _kafka_env(monkeypatch, kafka.as_("auditor"))
    runner = CliRunner()
    ok = await asyncio.to_thread(runner.invoke, cli, ["timeline", "verify"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip().endswith("balanced") and HETU not in ok.stdout
    # A record nobody processed (ingest is stopped) is a gap the books must show.
    await send(kafka.as_("operator"), topics, messages[:1])
    gap = await asyncio.to_thread(runner.invoke, cli, ["timeline", "verify", "--json"])
    assert gap.exit_code == 1
    summary = json.loads(gap.stdout)
    assert (summary["raw_unaccounted"], summary["balanced"]) == (1, False)
    if kafka.secure is not None:  # the operator may not read the events or the timeline
        _kafka_env(monkeypatch, kafka.as_("operator"))
        refused = await asyncio.to_thread(runner.invoke, cli, ["timeline", "verify"])
        assert isinstance(refused.exception, KafkaAccessError), refused.output
        assert str(refused.exception).startswith(
            f"User:operator may not read topic {topics.events}, {topics.timeline} on ")
        assert "`auditor` in deploy/acls.yaml" in str(refused.exception)


def _kafka_env(monkeypatch: pytest.MonkeyPatch, kafka: Kafka) -> None:
    for name in [n for n in os.environ if n.startswith("SILTA_KAFKA_")]:
        monkeypatch.delenv(name)
    for name, value in settings_env(SiltaSettings(**connection(kafka).as_settings())).items():
        if name.startswith("SILTA_KAFKA_"):
            monkeypatch.setenv(name, value)
