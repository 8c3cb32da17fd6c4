"""The pipeline's guarantees on a real Kafka broker: ingest and timeline services running
in-process against real topics, compared with what the pure pieces say should happen."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adapters.registry import translator
from contracts.hetu import make_hetu
from contracts.timeline import TimelineEntry
from services.deadletter import Filter, from_deadletter, read_deadletters, redrive
from services.ingest.app import build_app as ingest_app
from services.kafka.clients import Kafka
from services.simulate import SimConfig, generate
from services.timeline.app import build_app as timeline_app
from services.timeline.store import Query, open_store
from tests.support.messages import (
    CORRECTION_FILES,
    SourceMessage,
    expected_timeline,
    from_simulation,
    person_messages,
)
from tests.support.pipeline import (
    PipelineKafka,
    PipelineTopics,
    ingest_settings,
    make_topics,
    produce,
    read_all,
    timeline_settings,
    wait_for,
)

pytestmark = pytest.mark.kafka
HETU = make_hetu(dt.date(1985, 6, 3), 944, "-")
NOT_ON_THE_TIMELINE = [HETU, "Testinen", "Tiina", "Esimerkki", "Eetu", "Koulukatu",
                       "Meikäläinen", "Matti", "Mannerheimintie", "hemolysoitunut",
                       "Opettaja huolissaan", "perhetyötä", "+358401234567"]


@asynccontextmanager
async def running(*apps: Any) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app)
        yield


async def send(bootstrap: Kafka, topics: PipelineTopics, messages: list[SourceMessage]) -> None:
    for fmt in {m.fmt for m in messages}:
        await produce(bootstrap, topics.raw(fmt),
                      [(m.name.encode(), m.payload) for m in messages if m.fmt == fmt])


def entries_of(records: list[Any]) -> list[TimelineEntry]:
    return [TimelineEntry.model_validate_json(r.value) for r in records]


async def store_count(url: str, expected: int) -> int:
    store = open_store(url)
    await store.open()
    try:
        async def enough() -> int | None:
            count = await store.count()
            return count if count >= expected else None
        return (await wait_for(enough, timeout=30)) or await store.count()
    finally:
        await store.close()


def store_url_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/timeline.sqlite3"
    server = request.getfixturevalue("postgres_url")
    name = f"p_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"


def stored_bytes(store_url: str, tmp_path: Path) -> bytes:
    """Everything the store holds, as bytes to search."""
    if store_url.startswith("sqlite"):
        return b"".join(p.read_bytes() for p in tmp_path.glob("timeline.sqlite3*"))
    with psycopg.connect(store_url) as conn:
        rows = conn.execute("SELECT row_to_json(t)::text FROM timeline_entries t UNION ALL "
                            "SELECT row_to_json(a)::text FROM audit_log a").fetchall()
    return "\n".join(r[0] for r in rows).encode()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_one_person_from_three_formats_is_one_pseudonymised_timeline(
        pipeline_kafka: PipelineKafka, tmp_path: Path, capfd: pytest.CaptureFixture[str],
        backend: str, request: pytest.FixtureRequest) -> None:
    kafka = pipeline_kafka  # on the secured broker each step runs as its own principal
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await kafka.grant(topics)
    messages = person_messages(HETU)
    expected = expected_timeline(messages, topics)
    store_url = store_url_for(backend, tmp_path, request)
    await send(kafka.as_("operator"), topics, messages)
    async with running(ingest_app(ingest_settings(kafka.as_("ingest"), topics)),
                       timeline_app(timeline_settings(kafka.as_("timeline"), topics, store_url))):
        records = await read_all(kafka.as_("evaluator"), topics.timeline,
                                 expected=len(expected.entry_ids))
        assert await store_count(store_url, len(expected.entry_ids)) == len(expected.entry_ids)

    entries = entries_of(records)
    assert sorted(e.entry_id for e in entries) == sorted(expected.entry_ids)
    assert len({e.client for e in entries}) == 1, "one person, one pseudonym"
    assert {e.sector for e in entries} == {"health", "social"}
    assert expected.dropped >= 2, "the Patient and the disclosure-banned record stay off"

    published = b"".join(r.value + (r.key or b"") + b"".join(v for _, v in r.headers)
                         for r in records)
    stored = stored_bytes(store_url, tmp_path)
    logs = capfd.readouterr()
    for secret in [*NOT_ON_THE_TIMELINE, *kafka.passwords]:
        raw = secret.encode()
        assert raw not in published, f"{secret!r} on the timeline topic"
        assert raw not in stored, f"{secret!r} in the store"
        assert secret not in logs.out + logs.err, f"{secret!r} in the logs"
    assert stored, "the store file was written"


async def test_every_message_sent_twice_gives_each_entry_once(
        pipeline_kafka: PipelineKafka, tmp_path: Path) -> None:
    kafka = pipeline_kafka
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await kafka.grant(topics)
    messages = person_messages(HETU) + person_messages(HETU, CORRECTION_FILES)
    expected = expected_timeline(messages, topics)
    await send(kafka.as_("operator"), topics, messages)
    await send(kafka.as_("operator"), topics, messages)
    async with running(ingest_app(ingest_settings(kafka.as_("ingest"), topics)),
                       timeline_app(timeline_settings(kafka.as_("timeline"), topics,
                                                      f"sqlite:///{tmp_path}/t.sqlite3"))):
        records = await read_all(kafka.as_("evaluator"), topics.timeline,
                                 expected=len(expected.entry_ids), settle=3)
    ids = [e.entry_id for e in entries_of(records)]
    assert len(ids) == len(set(ids)), "a duplicate reached the timeline"
    assert set(ids) == expected.entry_ids


async def test_per_client_sequence_is_gap_free_and_increasing_on_the_topic(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    sources = {fmt: topics.source_id(fmt) for fmt in ("hl7v2", "fhir", "social")}
    messages = from_simulation(generate(SimConfig(clients=12, seed=5, sources=sources)))
    expected = expected_timeline(messages, topics)
    await send(kafka_bootstrap, topics, messages)
    async with running(ingest_app(ingest_settings(kafka_bootstrap, topics)),
                       timeline_app(timeline_settings(kafka_bootstrap, topics,
                                                      f"sqlite:///{tmp_path}/t.sqlite3"))):
        records = await read_all(kafka_bootstrap, topics.timeline,
                                 expected=len(expected.entry_ids))
    assert {TimelineEntry.model_validate_json(r.value).entry_id for r in records} \
        == expected.entry_ids
    assert_sequences(records)
    assert len({r.key for r in records}) > 6 and len({r.partition for r in records}) > 1


def assert_sequences(records: list[Any]) -> None:
    """Each client on one partition, numbered 1..n without gaps in log order."""
    by_client: dict[str, list[tuple[int, int, int]]] = {}
    for record in records:
        entry = TimelineEntry.model_validate_json(record.value)
        assert record.key == entry.client.encode()
        by_client.setdefault(entry.client, []).append((record.partition, record.offset,
                                                       entry.sequence))
    for client, seen in by_client.items():
        assert len({p for p, _, _ in seen}) == 1, "a client's entries span partitions"
        in_log_order = [s for _, _, s in sorted(seen)]
        assert in_log_order == list(range(1, len(seen) + 1)), client


async def test_amendments_and_retractions_reach_topic_and_store(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    messages = person_messages(HETU) + person_messages(HETU, CORRECTION_FILES)
    expected = expected_timeline(messages, topics)
    store_url = f"sqlite:///{tmp_path}/t.sqlite3"
    await send(kafka_bootstrap, topics, messages)
    async with running(ingest_app(ingest_settings(kafka_bootstrap, topics)),
                       timeline_app(timeline_settings(kafka_bootstrap, topics, store_url))):
        records = await read_all(kafka_bootstrap, topics.timeline,
                                 expected=len(expected.entry_ids))
        await store_count(store_url, len(expected.entry_ids))
    entries = entries_of(records)
    by_id = {e.entry_id: e for e in entries}
    amended = [e for e in entries if e.status == "amended"]
    retracted = [e for e in entries if e.status == "retracted"]
    assert amended and retracted
    store = open_store(store_url)
    await store.open()
    try:
        for correction in amended + retracted:
            assert correction.corrects is not None
            original = await store.get(correction.corrects)
            if correction.corrects in by_id:  # the original was published too
                assert original is not None
                assert original.view in {"superseded", "retracted"}
        client = entries[0].client
        current = await store.timeline(Query(client=client, limit=500))
        shown = {s.entry.entry_id for s in current.entries}
        assert not shown & {e.corrects for e in retracted}, "a retracted record is still shown"
    finally:
        await store.close()


async def test_poison_messages_are_dead_lettered_while_the_rest_flows(
        pipeline_kafka: PipelineKafka, tmp_path: Path) -> None:
    kafka = pipeline_kafka
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await kafka.grant(topics)
    good = person_messages(HETU)
    poison = [
        SourceMessage("hl7v2", "truncated", good[0].payload[:40]),
        SourceMessage("hl7v2", "binary", bytes(range(256))),
        SourceMessage("fhir", "broken-json", b'{"resourceType": "Encounter", '),
        SourceMessage("fhir", "unknown-type", b'{"resourceType": "Medication", "id": "m1"}'),
        SourceMessage("social", "empty", b""),
        SourceMessage("social", "wrong-hetu", good[-1].payload.replace(HETU.encode(),
                                                                       HETU[:-1].encode() + b"X")),
    ]
    expected = expected_timeline(good, topics)
    await send(kafka.as_("operator"), topics, poison[:3] + good + poison[3:])
    async with running(ingest_app(ingest_settings(kafka.as_("ingest"), topics)),
                       timeline_app(timeline_settings(kafka.as_("timeline"), topics,
                                                      f"sqlite:///{tmp_path}/t.sqlite3"))):
        records = await read_all(kafka.as_("evaluator"), topics.timeline,
                                 expected=len(expected.entry_ids))
        letters = await read_all(kafka.as_("operator"), topics.deadletter, expected=len(poison))
    assert {e.entry_id for e in entries_of(records)} == expected.entry_ids
    dead = [from_deadletter(r) for r in letters]
    assert sorted(d.key.decode() for d in dead if d.key) == sorted(p.name for p in poison)
    originals = {p.name: p.payload for p in poison}
    for letter in dead:
        assert letter.value == originals[letter.key.decode()], "original bytes kept"
        assert letter.context["code"] and letter.context["stage"] == "ingest"
        assert letter.context["source-topic"].startswith("silta.raw.")
        assert HETU not in letter.context["message"]


async def test_redrive_after_a_fix_reaches_the_timeline_exactly_once(
        pipeline_kafka: PipelineKafka, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the secured broker the operator triages and redrives: it may read dead letters and
    write raw topics, nothing more."""
    kafka = pipeline_kafka
    topics = await make_topics(kafka.as_("admin"), tmp_path)
    await kafka.grant(topics)
    operator = kafka.as_("operator")
    messages = person_messages(HETU)
    expected = expected_timeline(messages, topics)
    social = [m for m in messages if m.fmt == "social"]
    real = translator("social")

    def broken(data: bytes, source: Any) -> Any:  # a release that cannot read social records
        from adapters.errors import TranslationError
        raise TranslationError("social.bug", "/", "simulated adapter defect")

    monkeypatch.setattr("services.ingest.processor.translator",
                        lambda fmt: broken if fmt == "social" else translator(fmt))
    await send(operator, topics, messages)
    store_url = f"sqlite:///{tmp_path}/t.sqlite3"
    ingest, timeline = ingest_settings(kafka.as_("ingest"), topics), timeline_settings(
        kafka.as_("timeline"), topics, store_url)
    async with running(ingest_app(ingest), timeline_app(timeline)):
        await read_all(operator, topics.deadletter, expected=len(social))
    letters = await read_deadletters(operator, topics.deadletter, Filter(code="social.bug"))
    assert len(letters) == len(social)

    monkeypatch.setattr("services.ingest.processor.translator", translator)  # the fix ships
    assert translator("social") is real
    await redrive(operator, letters)
    await redrive(operator, letters)  # an operator's accidental second redrive
    async with running(ingest_app(ingest), timeline_app(timeline)):
        records = await read_all(kafka.as_("evaluator"), topics.timeline,
                                 expected=len(expected.entry_ids), settle=3)
    ids = [e.entry_id for e in entries_of(records)]
    assert len(ids) == len(set(ids)) and set(ids) == expected.entry_ids


def test_sqlite_store_file_is_a_real_database(tmp_path: Path) -> None:
    # Guards the privacy test above: it reads the store's bytes, which must be the database.
    path = tmp_path / "x.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x TEXT)").connection.commit()
    assert path.read_bytes().startswith(b"SQLite format 3")
