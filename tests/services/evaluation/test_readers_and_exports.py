"""The evaluator's data on a real broker: every reader (store, topic, API, Parquet export)
yields the same timeline; the Parquet and MEDS exports validate (pyarrow, the `meds`
package's own schemas), DuckDB selects from both, an incremental export equals a full one,
and no identity code, name, address or free text is in any exported byte."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import httpx
import meds
import pyarrow.parquet as pq
import pytest

from contracts.hetu import make_hetu
from contracts.timeline import TimelineEntry
from services.api.app import build_app as api_app
from services.evaluation import Timeline
from services.evaluation.exports import STATE, export
from services.evaluation.readers import (
    ApiReader,
    ParquetReader,
    StoreReader,
    TopicReader,
    follow,
    run,
)
from services.evaluation.view import current_view
from services.ingest.app import build_app as ingest_app
from services.simulate import SimConfig, generate
from services.simulate.people import FAMILY, GIVEN
from services.timeline.app import build_app as timeline_app
from tests.services.api.support import READER, api_settings, seed_entries
from tests.services.test_pipeline import running, send, store_count
from tests.support.messages import (
    CORRECTION_FILES,
    HETU_SHAPE,
    SourceMessage,
    expected_timeline,
    from_simulation,
    person_messages,
)
from tests.support.pipeline import (
    PipelineTopics,
    ingest_settings,
    make_topics,
    produce,
    read_all,
    timeline_settings,
    wait_for,
)

pytestmark = pytest.mark.kafka
PERSON = make_hetu(dt.date(1948, 5, 6), 931, "-")
NAMES = ["Meikäläinen", "Mannerheimintie", "Kuopio", "kertoi", *FAMILY,
         *(name for names in GIVEN.values() for name in names)]


def traffic(topics: PipelineTopics) -> list[SourceMessage]:
    """The golden person (names, addresses, free text in the sources) and simulated
    clients of every profile; records are distinct, so no ownership conflicts."""
    sources = {fmt: topics.source_id(fmt) for fmt in ("hl7v2", "fhir", "social")}
    simulated = from_simulation(generate(SimConfig(clients=6, seed=4, sources=sources,
                                                   malformed_share=0, duplicate_share=0)))
    return person_messages(PERSON) + simulated


def identity_codes(messages: list[SourceMessage]) -> set[str]:
    return {m.decode() for message in messages for m in HETU_SHAPE.findall(message.payload)}


async def pipeline(bootstrap: str, topics: PipelineTopics, store_url: str,
                   messages: list[SourceMessage], total: list[SourceMessage]) -> None:
    expected = len(expected_timeline(total, topics).entry_ids)
    await send(bootstrap, topics, messages)
    async with running(ingest_app(ingest_settings(bootstrap, topics)),
                       timeline_app(timeline_settings(bootstrap, topics, store_url))):
        await read_all(bootstrap, topics.timeline, expected=expected, settle=1)
        await store_count(store_url, expected)


def collect(reader: Any) -> list[TimelineEntry]:
    got: list[TimelineEntry] = []
    run(reader.read(None, got.extend))
    return got


def by_id(entries: list[TimelineEntry]) -> dict[str, TimelineEntry]:
    return {e.entry_id: e for e in entries}


def exported_text(folder: Path) -> str:
    """Every byte of an export as text: JSON files as they are, Parquet files decoded."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".parquet":
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str,
                                    ensure_ascii=False))
            parts.append(path.read_bytes().decode("latin-1"))
        elif path.is_file():
            parts.append(path.read_text())
    return "\n".join(parts)


async def test_every_reader_and_export_agrees_and_keeps_privacy(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    store_url = f"sqlite:///{tmp_path}/t.sqlite3"
    first = traffic(topics)
    await pipeline(kafka_bootstrap, topics, store_url, first, first)

    store = collect(StoreReader(store_url))
    topic = collect(TopicReader(kafka_bootstrap, topics.timeline))
    app = api_app(api_settings(store_url))
    async with app.router.lifespan_context(app):
        api = collect(ApiReader("http://api", READER, httpx.ASGITransport(app=app)))
    assert by_id(store) == by_id(topic) == by_id(api)
    assert len(store) == len(by_id(store))
    assert {e.status for e in store} >= {"active", "retracted"}

    parquet, medsdir = tmp_path / "p", tmp_path / "m"
    export(StoreReader(store_url), parquet, "parquet")
    export(StoreReader(store_url), medsdir, "meds")
    assert by_id(collect(ParquetReader(parquet))) == by_id(current_view(store))
    sdk = Timeline.from_topic(kafka_bootstrap, topics.timeline).current()
    assert sdk.aggregate("count(*)").fetchone()[0] == len(current_view(store))

    # MEDS, validated by the meds package's schemas; DuckDB reads both folders.
    data = pq.read_table(medsdir / "data" / "0.parquet")
    meds.DataSchema.validate(data)
    meds.CodeMetadataSchema.validate(pq.read_table(medsdir / meds.code_metadata_filepath))
    meds.SubjectSplitSchema.validate(pq.read_table(medsdir / meds.subject_splits_filepath))
    meds.DatasetMetadataSchema.validate(
        json.loads((medsdir / meds.dataset_metadata_filepath).read_text()))
    assert data.column("subject_id").to_pylist() == sorted(data.column("subject_id").to_pylist())
    assert set(data.column("subject_id").to_pylist()) == {
        int(c[:15], 16) for c in {e.client for e in store}}
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}/sector=*/*.parquet', "
                      "hive_partitioning = true)").fetchone()[0] == len(current_view(store))
    codes = {row[0] for row in duckdb.sql(
        f"SELECT DISTINCT code FROM '{medsdir}/data/*.parquet'").fetchall()}
    assert any(c.startswith("ICD10FI//") for c in codes) and any(
        c.startswith("PALVELUTEHTAVA//") for c in codes) and "SILTA//encounter.started" in codes

    # Incremental: corrections of earlier records arrive; the update reads only them, and
    # equals a full export.
    more = person_messages(PERSON, CORRECTION_FILES)
    await pipeline(kafka_bootstrap, topics, store_url, more, first + more)
    for fmt, folder in (("parquet", parquet), ("meds", medsdir)):
        state = export(StoreReader(store_url), folder, fmt)
        assert 0 < state["entries_read_this_run"] < state["entries_read"]
        full = export(StoreReader(store_url), tmp_path / f"full-{fmt}", fmt)
        assert full["entries_read"] == state["entries_read"]
        for part in sorted(p.relative_to(full_dir) for full_dir in [tmp_path / f"full-{fmt}"]
                           for p in full_dir.rglob("*.parquet") if "_silta" not in p.parts):
            incremental = pq.read_table(folder / part).to_pylist()
            assert incremental == pq.read_table(tmp_path / f"full-{fmt}" / part).to_pylist(), part

    text = exported_text(parquet) + exported_text(medsdir)
    for personal in [*identity_codes(first + more), *NAMES]:
        assert personal.casefold() not in text.casefold(), personal
    state = json.loads((parquet / STATE).read_text())
    assert state["key_versions"] == ["k1"] and state["schema"] == "fi.silta.timeline.entry.v1"


async def test_a_follower_sees_entries_as_they_arrive(kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    entries = seed_entries()
    messages = [(e.client.encode(), e.model_dump_json().encode()) for e in entries]
    await produce(kafka_bootstrap, topics.timeline, messages[:3])
    seen: list[TimelineEntry] = []
    stop = asyncio.Event()
    follower = asyncio.create_task(follow(TopicReader(kafka_bootstrap, topics.timeline), None,
                                          seen.extend, stop=stop, every=0.2))

    async def seen_all(n: int) -> bool:
        return len(seen) >= n

    assert await wait_for(lambda: seen_all(3), timeout=30)
    await produce(kafka_bootstrap, topics.timeline, messages[3:])
    assert await wait_for(lambda: seen_all(len(entries)), timeout=30)
    stop.set()
    position = await follower
    assert by_id(seen) == by_id(entries) and len(seen) == len(entries)
    assert sum(position.values()) == len(entries)  # next offsets: resumes after the last
