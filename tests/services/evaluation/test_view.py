"""The current view, property-tested: the fold (and its SQL twin the exports and the SDK
run) against a naive reference that applies each client's entries in sequence order, on
shuffled clients, re-delivered entries, amend-of-amend, retract-after-amend and
corrections that arrive before their original."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.timeline import TimelineEntry
from services.evaluation.exports import connect, current_relation
from services.evaluation.table import to_batch, to_entries
from services.evaluation.view import current_view, record_kinds, record_of

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
KINDS = ("encounter.started", "diagnosis.recorded", "observation.recorded")


def make(client: str, record: int, n: int, status: str, sequence: int) -> TimelineEntry:
    root = f"{client[:4]}{record:012x}{0:016x}"
    entry_id = root if status == "active" else f"{client[:4]}{record:012x}{n:016x}"
    return TimelineEntry(
        entry_id=entry_id, client=client, key_version="k1", sequence=sequence,
        sector="health", kind=KINDS[record % 3] if status == "active" else
        "record.amended" if status == "amended" else "record.retracted",
        event_type="fi.silta.health.encounter.started.v1", resource_type="Encounter",
        status=status, corrects=None if status == "active" else root,
        occurred_at=T0 + dt.timedelta(hours=sequence), recorded_at=T0, source_ref=root)


@st.composite
def timelines(draw: st.DrawFn) -> list[TimelineEntry]:
    """Entries of a few clients; each record an original, amendments and maybe a
    retraction, in an arrival order the client's sequence numbers follow."""
    entries = []
    for c in range(draw(st.integers(1, 4))):
        client = f"{c:04x}" + "0" * 28
        events = []
        for record in range(draw(st.integers(1, 5))):
            events.append((record, 0, "active"))
            events += [(record, n, "amended") for n in range(1, draw(st.integers(0, 3)) + 1)]
            if draw(st.booleans()):
                events.append((record, 99, "retracted"))
        order = draw(st.permutations(events))
        entries += [make(client, r, n, status, i + 1) for i, (r, n, status) in enumerate(order)]
    again = draw(st.lists(st.sampled_from(entries), max_size=5)) if entries else []
    mixed = entries + again
    random.Random(draw(st.integers(0, 2**32))).shuffle(mixed)
    return mixed


def reference(entries: list[TimelineEntry]) -> set[str]:
    """Apply each client's entries one by one in sequence order."""
    by_client: dict[str, dict[int, TimelineEntry]] = {}
    for e in entries:
        by_client.setdefault(e.client, {})[e.sequence] = e
    current: set[str] = set()
    for timeline in by_client.values():
        shown: dict[str, TimelineEntry] = {}
        withdrawn: set[str] = set()
        amended: set[str] = set()
        for _, e in sorted(timeline.items()):
            record = record_of(e)
            if e.status == "retracted":
                withdrawn.add(record)
            elif e.status == "amended":
                amended.add(record)
                shown[record] = e
            elif record not in amended:  # an original after its amendment stays behind it
                shown[record] = e
        current |= {e.entry_id for r, e in shown.items() if r not in withdrawn}
    return current


@settings(max_examples=200, deadline=None)
@given(timelines())
def test_fold_matches_the_reference(entries: list[TimelineEntry]) -> None:
    view = current_view(entries)
    assert {e.entry_id for e in view} == reference(entries)
    assert len(view) == len({e.entry_id for e in view})
    assert view == sorted(view, key=lambda e: (e.client, e.sequence))


@settings(max_examples=40, deadline=None)
@given(timelines())
def test_sql_fold_matches_the_python_fold(entries: list[TimelineEntry]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.parquet"
        pq.write_table(pa.Table.from_batches([to_batch(entries)]), log)
        con = connect(Path(tmp))
        table = current_relation(con, [log]).order("client, sequence").arrow().read_all()
        rows = list(to_entries(table))
        con.close()
    assert rows == current_view(entries)
    kinds = record_kinds(entries)
    assert table.column("record_kind").to_pylist() == [kinds.get(record_of(e)) for e in rows]


def test_an_amended_record_keeps_the_kind_it_was_recorded_as() -> None:
    client = "0001" + "0" * 28
    original, amendment = make(client, 1, 0, "active", 1), make(client, 1, 1, "amended", 2)
    (shown,) = current_view([amendment, original])
    assert shown.kind == "record.amended"
    assert record_kinds([amendment, original])[record_of(shown)] == "diagnosis.recorded"
