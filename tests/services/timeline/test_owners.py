"""Record owners rebuilt from the timeline topic: a store that lost them gets back the
claims of every published entry, the same the timeline service made."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts.timeline import TimelineEntry
from services.cli.main import app as cli
from services.ingest.app import build_app as ingest_app
from services.timeline.app import build_app as timeline_app
from services.timeline.owners import Claim, MemoryOwners, claims_of, rebuild
from services.timeline.store import open_store
from tests.services.api.support import T0
from tests.services.test_pipeline import HETU, running, send, store_count
from tests.support.messages import expected_timeline, person_messages
from tests.support.pipeline import ingest_settings, make_topics, read_all, timeline_settings


def timeline() -> list[TimelineEntry]:
    """Two clients, each with a record, an amendment of it and a record of its own."""
    entries = []
    for client in ("a" * 32, "b" * 32):
        for n, corrects in ((1, None), (2, 1), (3, None)):
            entries.append(TimelineEntry(
                entry_id=f"{client[0] * 8}{n:024x}", client=client, key_version="k1",
                sequence=n, sector="health", kind="encounter.started",
                event_type="fi.silta.health.encounter.started.v1", resource_type="Encounter",
                status="amended" if corrects else "active",
                corrects=f"{client[0] * 8}{corrects:024x}" if corrects else None,
                occurred_at=T0, recorded_at=T0,
                source_ref=f"{client[0] * 8}{100 + (corrects or n):024x}"))
    return entries


async def batches_of(entries: list[Any], size: int = 3) -> AsyncIterator[list[Any]]:
    for start in range(0, len(entries), size):
        yield entries[start:start + size]


async def test_every_entry_claims_its_record_itself_and_what_it_corrects() -> None:
    entries = timeline()
    owners = MemoryOwners()
    assert await rebuild(owners, batches_of(entries)) == (len(entries), 0)
    for entry in entries:
        keys = [entry.source_ref, entry.entry_id, *([entry.corrects] if entry.corrects else [])]
        assert [owners.owners[key] for key in keys] == [entry.client] * len(keys)
    corrected = next(e for e in entries if e.corrects)
    assert owners.owners[corrected.corrects] == corrected.client  # type: ignore[index]


async def test_a_claim_held_for_another_client_is_counted_not_overwritten() -> None:
    entry = timeline()[0]
    owners = MemoryOwners()
    await owners.claim([Claim(entry.source_ref, "f" * 32)])
    assert await rebuild(owners, batches_of([entry])) == (1, 1)
    assert owners.owners[entry.source_ref] == "f" * 32


@pytest.mark.kafka
async def test_silta_timeline_rebuild_owners_restores_what_the_service_claimed(
        kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    kept = f"sqlite:///{tmp_path}/kept.sqlite3"
    settings = timeline_settings(kafka_bootstrap, topics, kept)
    messages = person_messages(HETU)
    expected = expected_timeline(messages, topics)
    await send(kafka_bootstrap, topics, messages)
    async with running(ingest_app(ingest_settings(kafka_bootstrap, topics)),
                       timeline_app(settings)):
        records = await read_all(kafka_bootstrap, topics.timeline,
                                 expected=len(expected.entry_ids))
        await store_count(kept, len(expected.entry_ids))
    entries = [TimelineEntry.model_validate_json(r.value) for r in records]
    for name in ("kafka_bootstrap", "timeline_topic"):
        monkeypatch.setenv(f"SILTA_{name.upper()}", str(getattr(settings, name)))
    lost = f"sqlite:///{tmp_path}/lost.sqlite3"  # a store that starts over without owners
    monkeypatch.setenv("SILTA_STORE_URL", lost)
    done = await asyncio.to_thread(CliRunner().invoke, cli, ["timeline", "rebuild-owners"])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"{len(entries)} entries read; 0 claims")
    claims = [claim for entry in entries for claim in claims_of(entry)]
    stores = [open_store(url) for url in (kept, lost)]
    for store in stores:
        await store.open()
    try:
        strangers = [Claim(claim.key, "0" * 32) for claim in claims]
        service, rebuilt = [await store.claim(strangers) for store in stores]
        assert rebuilt == {claim.key: claim.client for claim in claims}
        assert rebuilt.items() <= service.items()
    finally:
        for store in stores:
            await store.close()
