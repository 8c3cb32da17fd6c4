"""The timeline store's guarantees, written once and run on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.timeline import Code, TimelineEntry
from services.timeline.owners import Claim, MemoryOwners
from services.timeline.store import Query, TimelineStore, open_store
from services.timeline.store.base import RowView, recompute, root_of

CLIENT = "a" * 32
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def entry(n: int, *, status: str = "active", corrects: str | None = None, sector: str = "health",
          kind: str = "encounter.started", client: str = CLIENT, days: int = 0) -> TimelineEntry:
    return TimelineEntry(
        entry_id=f"{client[:8]}{n:024x}", client=client, key_version="k1", sequence=n, sector=sector,
        kind=kind, event_type=f"fi.silta.{sector}.{kind}.v1", resource_type="Encounter",
        status=status, corrects=corrects, occurred_at=T0 + dt.timedelta(days=days or n),
        recorded_at=T0, codes=[Code(system="urn:oid:1.2.246.537.6.1", code="F10.2")],
        source_ref=f"{n:032x}",
    )


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TimelineStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/timeline.sqlite3"
    else:
        server = request.getfixturevalue("postgres_url")
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = server.rsplit("/", 1)[0] + f"/{name}"
    s = open_store(url)
    await s.open()
    yield s
    await s.close()


async def views(store: TimelineStore, client: str = CLIENT) -> dict[int, str]:
    page = await store.timeline(Query(client=client, include_history=True, limit=1000))
    return {stored.entry.sequence: stored.view for stored in page.entries}


async def test_upserts_are_idempotent(store: TimelineStore) -> None:
    batch = [entry(1), entry(2), entry(3)]
    assert (await store.upsert(batch)).new == 3
    assert (await store.upsert(batch)).new == 0
    assert (await store.upsert([entry(2), entry(4)])).new == 1
    assert await store.count() == 4
    stored = await store.get(entry(2).entry_id)
    assert stored is not None and stored.entry == entry(2)


async def test_amendment_supersedes_and_retraction_withdraws(store: TimelineStore) -> None:
    root = entry(1)
    await store.upsert([root, entry(2, status="amended", corrects=root.entry_id)])
    assert await views(store) == {1: "superseded", 2: "current"}
    await store.upsert([entry(3, status="amended", corrects=root.entry_id)])
    assert await views(store) == {1: "superseded", 2: "superseded", 3: "current"}
    await store.upsert([entry(4, status="retracted", corrects=root.entry_id)])
    assert await views(store) == {1: "retracted", 2: "retracted", 3: "retracted", 4: "retracted"}
    current = await store.timeline(Query(client=CLIENT))
    assert current.entries == []


async def test_views_do_not_depend_on_arrival_order(store: TimelineStore) -> None:
    root = entry(1)
    amend = entry(2, status="amended", corrects=root.entry_id)
    await store.upsert([amend])
    await store.upsert([root])
    assert await views(store) == {1: "superseded", 2: "current"}


async def test_filters_and_cursor_pagination(store: TimelineStore) -> None:
    await store.upsert([entry(n, sector="health" if n % 2 else "social",
                              kind="encounter.started" if n % 3 else "decision.made")
                        for n in range(1, 11)])
    await store.upsert([entry(1, client="b" * 32)])
    social = await store.timeline(Query(client=CLIENT, sectors=("social",)))
    assert [s.entry.sequence for s in social.entries] == [2, 4, 6, 8, 10]
    decisions = await store.timeline(Query(client=CLIENT, kinds=("decision.made",)))
    assert [s.entry.sequence for s in decisions.entries] == [3, 6, 9]
    window = await store.timeline(Query(client=CLIENT, since=T0 + dt.timedelta(days=4),
                                        until=T0 + dt.timedelta(days=7)))
    assert [s.entry.sequence for s in window.entries] == [4, 5, 6]
    seen, after = [], 0
    while True:
        page = await store.timeline(Query(client=CLIENT, after_sequence=after, limit=3))
        seen += [s.entry.sequence for s in page.entries]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == list(range(1, 11))


async def test_clients_with_both_sectors_come_first(store: TimelineStore) -> None:
    await store.upsert([entry(1, client="b" * 32), entry(1, client="c" * 32, sector="social"),
                        entry(2, client="c" * 32, sector="health")])
    clients = await store.clients()
    assert clients[0] == ("c" * 32, 1, 1)


async def test_audit_log_keeps_who_what_when(store: TimelineStore) -> None:
    await store.audit("evaluator:demo", "timeline.read", CLIENT, "sectors=health")
    [record] = await store.audit_log()
    assert (record.actor, record.action, record.client) == ("evaluator:demo", "timeline.read", CLIENT)
    assert abs((record.at - dt.datetime.now(dt.UTC)).total_seconds()) < 60


async def test_migrations_run_once_and_reopen_cleanly(store: TimelineStore) -> None:
    await store.upsert([entry(1)])
    again = open_store(store.url)
    await again.open()
    try:
        assert await again.count() == 1
    finally:
        await again.close()


async def test_concurrent_opens_of_one_sqlite_file_migrate_once(tmp_path: Path) -> None:
    import asyncio

    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    stores = [open_store(url) for _ in range(16)]
    await asyncio.gather(*(s.open() for s in stores))
    await stores[0].upsert([entry(1)])
    assert [await s.count() for s in stores] == [1] * 16
    await asyncio.gather(*(s.close() for s in stores))


async def test_an_entry_id_held_with_other_content_is_reported_not_ignored(
        store: TimelineStore) -> None:
    original = entry(1)
    await store.upsert([original])
    diverged = original.model_copy(update={"client": "b" * 32, "sequence": 7})
    result = await store.upsert([diverged, original])
    assert result.new == 0
    assert [(c.entry_id, c.fields) for c in result.conflicts] == [
        (original.entry_id, ("client", "sequence"))]
    assert [c.entry_id for c in await store.conflicts()] == [original.entry_id]
    kept = await store.get(original.entry_id)
    assert kept is not None and kept.entry == original


async def test_the_first_claim_of_a_record_wins_and_stays(store: TimelineStore) -> None:
    claims = [Claim("r1", "a" * 32), Claim("r1", "b" * 32), Claim("r2", "b" * 32)]
    memory = MemoryOwners()
    for owners in (store, memory):
        assert await owners.claim(claims) == {"r1": "a" * 32, "r2": "b" * 32}
        assert await owners.claim([Claim("r1", "c" * 32)]) == {"r1": "a" * 32}


async def test_positions_follow_commits_and_page_through_everything_once(
        store: TimelineStore) -> None:
    await store.upsert([entry(1), entry(2)])
    await store.upsert([entry(2), entry(3)])   # a redelivery keeps its first position
    await store.upsert([entry(4)])
    seen: list[tuple[int, str]] = []
    position = -1
    while page := await store.entries_since(position, 2):
        seen += [(p, e.entry_id) for p, e in page]
        position = page[-1][0]
    assert [e for _, e in seen] == [entry(n).entry_id for n in (1, 2, 3, 4)]
    positions = [p for p, _ in seen]
    assert positions == sorted(set(positions))
    later = await store.entries_since(position)
    assert later == []
    await store.upsert([entry(5)])
    assert [e.entry_id for _, e in await store.entries_since(position)] == [entry(5).entry_id]


async def test_entries_stored_before_positions_existed_are_numbered(tmp_path: Path) -> None:
    import sqlite3

    from services.timeline.store import SQLITE
    from services.timeline.store.schema import migrations

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                   "applied_at TEXT NOT NULL)")
        for version, script in enumerate(migrations(SQLITE)[:2], start=1):
            db.executescript(script)
            db.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (version,))
        for n in (1, 2, 3):
            e = entry(n)
            db.execute("INSERT INTO timeline_entries (entry_id, client, sequence, sector, kind, "
                       "status, root_id, occurred_at, recorded_at, entry) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (e.entry_id, e.client, n, e.sector, e.kind, e.status, e.entry_id,
                        e.occurred_at.isoformat(), e.recorded_at.isoformat(),
                        e.model_dump_json()))
    store = open_store(f"sqlite:///{path}")
    await store.open()
    try:
        await store.upsert([entry(4)])
        page = await store.entries_since(-1, 2)
        rest = await store.entries_since(page[-1][0])
        assert [e.sequence for _, e in page + rest] == [1, 2, 3, 4]
    finally:
        await store.close()


async def test_entries_read_by_their_mirror_are_stored_as_the_models_are(
        store: TimelineStore) -> None:
    from services.timeline.materialiser import entry_record

    root = entry(1)
    batch = [root, entry(2, status="amended", corrects=root.entry_id), entry(3)]
    records = [entry_record(e.model_dump_json(exclude_none=True).encode()) for e in batch]
    assert all(not isinstance(r.entry, TimelineEntry) for r in records)  # the fast path
    assert (await store.upsert(records)).new == 3
    assert await views(store) == {1: "superseded", 2: "current", 3: "current"}
    for e in batch:
        stored = await store.get(e.entry_id)
        assert stored is not None and stored.entry == e
    assert (await store.upsert([*records, records[0]])).new == 0  # redelivered, twice over


async def test_one_entry_id_twice_in_a_batch_with_other_content_is_a_conflict(
        store: TimelineStore) -> None:
    first = entry(1)
    other = first.model_copy(update={"sequence": 9})
    result = await store.upsert([first, other])
    assert result.new == 1
    assert [(c.entry_id, c.fields) for c in result.conflicts] == [(first.entry_id, ("sequence",))]


_RECORDS = st.lists(st.lists(st.sampled_from(["amended", "retracted"]), max_size=3),
                    min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(records=_RECORDS, arrival=st.randoms(use_true_random=False), data=st.data())
async def test_views_match_recompute_over_each_whole_record_in_any_arrival_and_batching(
        records: list[list[str]], arrival: Any, data: st.DataObject) -> None:
    # Originals may be missing (a correction can arrive without its original ever coming).
    entries, n = [], 0
    for corrections in records:
        n += 1
        root = entry(n)
        if data.draw(st.booleans()):
            entries.append(root)
        for status in corrections:
            n += 1
            entries.append(entry(n, status=status, corrects=root.entry_id))
    arrival.shuffle(entries)
    store = open_store("sqlite:///:memory:")
    await store.open()
    try:
        while entries:
            size = data.draw(st.integers(1, len(entries)))
            await store.upsert(entries[:size])
            entries = entries[size:]
        page = await store.timeline(Query(client=CLIENT, include_history=True, limit=1000))
        by_root: dict[str, list[RowView]] = {}
        for stored in page.entries:
            by_root.setdefault(root_of(stored.entry), []).append(
                RowView(stored.entry.entry_id, stored.entry.sequence, stored.entry.status))
        expected = {k: v for rows in by_root.values() for k, v in recompute(rows).items()}
        assert {s.entry.entry_id: s.view for s in page.entries} == expected
    finally:
        await store.close()


async def test_a_store_of_schema_v4_gets_the_corrections_only_root_index(tmp_path: Path) -> None:
    import sqlite3

    from services.timeline.store import SQLITE
    from services.timeline.store.schema import migrations

    path = tmp_path / "v4.sqlite3"
    root = entry(1)
    store = open_store(f"sqlite:///{path}")
    await store.open()
    await store.upsert([root, entry(2, status="amended", corrects=root.entry_id)])
    await store.close()
    with sqlite3.connect(path) as db:  # back to v4, as a store of the last release was
        db.execute("DROP INDEX timeline_corrections")
        db.execute("CREATE INDEX timeline_root ON timeline_entries (root_id)")
        db.execute("DELETE FROM schema_migrations WHERE version > 4")
    assert len(migrations(SQLITE)) == 5
    store = open_store(f"sqlite:///{path}")
    await store.open()
    try:
        await store.upsert([entry(3, status="retracted", corrects=root.entry_id)])
        assert await views(store) == {1: "retracted", 2: "retracted", 3: "retracted"}
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        plan = db.execute("EXPLAIN QUERY PLAN SELECT entry_id FROM timeline_entries "
                          "WHERE root_id <> entry_id AND root_id IN ('x')").fetchall()
    assert "timeline_root" not in indexes and "timeline_corrections" in indexes
    assert "timeline_corrections" in str(plan)
