"""Checkpointed partition state on a real broker: a restart reads only what was published
after the checkpoint; a checkpoint behind the topic (killed between commit and checkpoint)
catches up; one ahead of the topic, of another topic, or damaged is set aside and rebuilt,
with a log line saying so. The state loaded always equals a full rebuild from the topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import structlog
from aiokafka import AIOKafkaProducer

from contracts.timeline import TimelineEntry
from services.logging import configure_logging
from services.timeline.checkpoint import DiskState, load, path_of
from services.timeline.state import PartitionState, StateUnavailable, absorbed, rebuild
from tests.services.api.support import seed_entries
from tests.support.pipeline import make_topics

pytestmark = pytest.mark.kafka
ENTRIES = seed_entries()


async def publish(bootstrap: str, topic: str, entries: list[TimelineEntry]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for entry in entries:
            await producer.send_and_wait(topic, entry.model_dump_json().encode(), partition=0)
    finally:
        await producer.stop()


def same_state(state: PartitionState, reference: PartitionState) -> None:
    ids, clients = [e.entry_id for e in ENTRIES], [e.client for e in ENTRIES]
    assert state.known(ids) == reference.known(ids) and state.known(ids)
    assert state.last_sequences(clients) == reference.last_sequences(clients)


async def loaded(bootstrap: str, topic: str, folder: Path) -> tuple[DiskState, list[dict[str, Any]]]:
    """The state loaded, and what the service logged while loading."""
    configure_logging()  # first, so configuring on first use does not undo the capture
    with structlog.testing.capture_logs() as logs:
        state = await load(bootstrap, topic, folder, 0)
    return state, logs


async def test_a_restart_reads_only_what_came_after_the_checkpoint(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = (await make_topics(kafka_bootstrap, tmp_path)).timeline
    await publish(kafka_bootstrap, topic, ENTRIES[:4])
    first, logs = await loaded(kafka_bootstrap, topic, tmp_path)
    assert [e["entries_read"] for e in logs if e["event"] == "partition state loaded"] == [4]
    first.close()
    # Published while nobody checkpointed: a crash between commit and checkpoint update.
    await publish(kafka_bootstrap, topic, ENTRIES[4:])
    second, logs = await loaded(kafka_bootstrap, topic, tmp_path)
    loaded_line = next(e for e in logs if e["event"] == "partition state loaded")
    assert (loaded_line["from_offset"], loaded_line["entries_read"]) == (4, len(ENTRIES) - 4)
    same_state(second, await rebuild(kafka_bootstrap, topic, 0))
    assert not any(e["log_level"] == "warning" for e in logs)
    second.close()


async def test_applied_commits_move_the_checkpoint(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = (await make_topics(kafka_bootstrap, tmp_path)).timeline
    state, _ = await loaded(kafka_bootstrap, topic, tmp_path)
    await publish(kafka_bootstrap, topic, ENTRIES)
    # What the processor applies once the transaction that published them committed.
    state.apply(*absorbed(e.model_dump_json().encode() for e in ENTRIES), len(ENTRIES))
    state.close()
    again, logs = await loaded(kafka_bootstrap, topic, tmp_path)
    assert next(e for e in logs if e["event"] == "partition state loaded")["entries_read"] == 0
    same_state(again, await rebuild(kafka_bootstrap, topic, 0))
    again.close()


@pytest.mark.parametrize("damage", ["ahead of the topic", "another topic", "garbage bytes"])
async def test_an_untrustworthy_checkpoint_is_set_aside_and_rebuilt(
        kafka_bootstrap: str, tmp_path: Path, damage: str) -> None:
    topic = (await make_topics(kafka_bootstrap, tmp_path)).timeline
    await publish(kafka_bootstrap, topic, ENTRIES)
    path = path_of(tmp_path, topic, 0)
    if damage == "garbage bytes":
        path.write_bytes(b"\x00not sqlite\xff" * 300)
    else:
        wrong = DiskState(path, topic if damage == "ahead of the topic" else "another.topic")
        wrong.apply({ENTRIES[0].client: 999}, {"f" * 32}, 10_000)
        wrong.close()
    state, logs = await loaded(kafka_bootstrap, topic, tmp_path)
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [e["event"] for e in warnings] == ["partition checkpoint set aside; rebuilding from "
                                             "the topic"]
    assert path.with_name(path.name + ".damaged").exists()
    same_state(state, await rebuild(kafka_bootstrap, topic, 0))
    assert not state.known(["f" * 32])
    state.close()


async def test_a_checkpoint_that_breaks_in_use_fails_the_slice_and_is_rebuilt(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = (await make_topics(kafka_bootstrap, tmp_path)).timeline
    await publish(kafka_bootstrap, topic, ENTRIES)
    state, _ = await loaded(kafka_bootstrap, topic, tmp_path)
    filler = {f"{n:032x}" for n in range(30_000)}  # pages enough to damage some mid-file
    state.apply({}, filler)
    state.close()
    path = path_of(tmp_path, topic, 0)
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 2)
        file.write(b"\xde\xad" * 32_768)
    broken = DiskState(path, topic)  # opening reads only the header and meta: no full scan
    with pytest.raises(StateUnavailable):
        broken.known(filler)
    assert path.with_name(path.name + ".damaged").exists() and not path.exists()
    rebuilt, logs = await loaded(kafka_bootstrap, topic, tmp_path)
    assert next(e for e in logs if e["event"] == "partition state loaded")["from_offset"] == \
        "beginning"
    same_state(rebuilt, await rebuild(kafka_bootstrap, topic, 0))
    rebuilt.close()
