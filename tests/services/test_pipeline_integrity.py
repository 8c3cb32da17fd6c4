"""Integrity under mistaken and hostile input, on a real broker: a record id reused for
another client is refused (never dropped, never applied to the other client), and a code
field holding an identity code never reaches the timeline."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from contracts.hetu import make_hetu
from contracts.timeline import TimelineEntry
from services.deadletter import from_deadletter
from services.ingest.app import build_app as ingest_app
from services.timeline.app import build_app as timeline_app
from services.timeline.store import Query, open_store
from tests.services.test_pipeline import running, send, store_count
from tests.support.messages import DATA, SourceMessage
from tests.support.pipeline import (
    ingest_settings,
    make_topics,
    read_all,
    timeline_settings,
)

pytestmark = pytest.mark.kafka
CLIENTS = [make_hetu(dt.date(1950, 3, 4), 120, "-"), make_hetu(dt.date(2005, 7, 1), 121, "A"),
           make_hetu(dt.date(1951, 3, 5), 122, "Y")]


def social(name: str, hetu: str, **document: Any) -> bytes:
    data = json.loads((DATA / "social" / name).read_text())
    data["client"]["hetu"] = hetu
    data["document"].update(document)
    return json.dumps(data).encode()


def fhir_observation(code: str) -> bytes:
    data = json.loads((DATA / "fhir" / "observation.json").read_text())
    data["id"] = f"obs-{abs(hash(code)) % 10_000}"
    data["code"]["coding"][0]["code"] = code
    return json.dumps(data).encode()


async def run(kafka_bootstrap: str, tmp_path: Path, messages: list[SourceMessage],
              entries: int, dead: int, *, first: Sequence[SourceMessage] = ()
              ) -> tuple[list[TimelineEntry], list[Any], str]:
    """`first` is processed to the store before `messages` are sent: the first claim on a
    record wins, and records of different clients sit on different partitions, so only
    arrival order says which claim is first."""
    topics = await make_topics(kafka_bootstrap, tmp_path)
    store_url = f"sqlite:///{tmp_path}/t.sqlite3"
    async with running(ingest_app(ingest_settings(kafka_bootstrap, topics)),
                       timeline_app(timeline_settings(kafka_bootstrap, topics, store_url))):
        if first:
            await send(kafka_bootstrap, topics, list(first))
            await store_count(store_url, len(first))
        await send(kafka_bootstrap, topics, messages)
        records = await read_all(kafka_bootstrap, topics.timeline, expected=entries, settle=3)
        letters = await read_all(kafka_bootstrap, topics.deadletter, expected=dead, settle=1)
        await store_count(store_url, entries)
    return ([TimelineEntry.model_validate_json(r.value) for r in records],
            [from_deadletter(r) for r in letters], store_url)


async def test_one_record_id_for_three_clients_gives_one_entry_and_two_conflicts(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    messages = [SourceMessage("social", f"doc-{i}", social("decision-granted.json", hetu,
                                                          id=f"PAATOS-{i}"))
                for i, hetu in enumerate(CLIENTS)]
    entries, letters, store_url = await run(kafka_bootstrap, tmp_path, messages, 1, 2)
    assert len(entries) == 1
    assert sorted(d.context["code"] for d in letters) == ["record.client-conflict"] * 2
    for letter in letters:
        assert letter.context["stage"] == "timeline"
        assert "palvelu-41" in letter.context["message"]
        assert not any(h in letter.context["message"] for h in CLIENTS)
    store = open_store(store_url)
    await store.open()
    try:
        assert await store.count() == 1
        assert await store.conflicts() == []
        page = await store.timeline(Query(client=entries[0].client))
        assert [s.entry.entry_id for s in page.entries] == [entries[0].entry_id]
    finally:
        await store.close()


async def test_another_clients_entered_in_error_does_not_retract_the_record(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    owner, other = CLIENTS[0], CLIENTS[1]
    opened = SourceMessage("social", "opened", social("client-relationship-opened.json", owner))
    error = SourceMessage("social", "error", social(
        "client-relationship-opened-entered-in-error.json", other))
    entries, letters, store_url = await run(kafka_bootstrap, tmp_path, [error], 1, 1,
                                            first=[opened])
    assert [e.status for e in entries] == ["active"]
    assert [d.context["code"] for d in letters] == ["record.client-conflict"]
    store = open_store(store_url)
    await store.open()
    try:
        stored = await store.get(entries[0].entry_id)
        assert stored is not None and stored.view == "current"
    finally:
        await store.close()


@pytest.mark.parametrize("planted", [CLIENTS[0], CLIENTS[1], CLIENTS[2].lower()])
async def test_identity_code_in_a_code_field_is_dead_lettered_not_published(
        kafka_bootstrap: str, tmp_path: Path, planted: str) -> None:
    messages = [SourceMessage("fhir", "good", fhir_observation("1751-7")),
                SourceMessage("fhir", "planted", fhir_observation(planted))]
    entries, letters, _ = await run(kafka_bootstrap, tmp_path, messages, 1, 1)
    assert len(entries) == 1
    assert [d.context["code"] for d in letters] == ["privacy.identifier-in-code"]
    assert planted not in letters[0].context["message"] + letters[0].context["location"]
    assert planted.encode() not in b"".join(e.model_dump_json().encode() for e in entries)
    assert planted.encode() not in (tmp_path / "t.sqlite3").read_bytes()
