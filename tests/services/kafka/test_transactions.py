"""What the stage relies on from a transactional producer, checked on Kafka in memory and on
the real broker alike: so the in-memory stand-in behaves as the broker does where it counts
(offsets, visibility, fencing)."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import ProducerFenced
from aiokafka.partitioner import DefaultPartitioner

from services.kafka.transactions import OutRecord, commit
from tests.support.transactional import Backend


class Boom(Exception):
    pass


async def test_records_and_offsets_commit_together(backend: Backend) -> None:
    source, out = await backend.topic("in", 1), await backend.topic("out", 2)
    producer = backend.producer(f"tx-{out}")
    await producer.start()
    records = [OutRecord(out, b"a", b"k", partition=0), OutRecord(out, b"b", b"k", partition=1),
               OutRecord(out, b"c", b"k", partition=1)]
    written = await commit(producer, records, {TopicPartition(source, 0): 7}, "group-a")
    assert written == {TopicPartition(out, 0): 1, TopicPartition(out, 1): 2}
    assert sorted(r.value for r in await backend.read(out)) == [b"a", b"b", b"c"]
    assert await backend.committed("group-a", TopicPartition(source, 0)) == 7


async def test_an_aborted_transaction_leaves_nothing_visible_but_takes_offsets(
        backend: Backend) -> None:
    source, out = await backend.topic("in", 1), await backend.topic("out", 1)
    producer = backend.producer(f"tx-{out}")
    await producer.start()
    with pytest.raises(Boom):
        async with producer.transaction():
            for value in (b"x", b"y"):
                await producer.send(out, value, partition=0)
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 5}, "group-b")
            raise Boom
    assert await backend.read(out) == []
    assert await backend.committed("group-b", TopicPartition(source, 0)) is None
    # Offsets 0 and 1 went to the aborted records, 2 to the abort marker.
    written = await commit(producer, [OutRecord(out, b"z", partition=0)],
                           {TopicPartition(source, 0): 5}, "group-b")
    assert written == {TopicPartition(out, 0): 4}
    assert [(r.offset, r.value) for r in await backend.read(out)] == [(3, b"z")]


async def test_an_open_transaction_hides_what_follows_it_until_it_ends(backend: Backend) -> None:
    out = await backend.topic("out", 1)
    producer = backend.producer(f"tx-{out}")
    await producer.start()
    async with producer.transaction():
        sent = await producer.send(out, b"in-transaction", partition=0)
        await sent
        await backend.produce(out, [(0, b"k", b"after", [])])
        assert await backend.read(out) == []  # the last stable offset stops the reader
    assert [r.value for r in await backend.read(out)] == [b"in-transaction", b"after"]


async def test_a_new_producer_with_the_same_id_fences_the_old_one(backend: Backend) -> None:
    source, out = await backend.topic("in", 1), await backend.topic("out", 1)
    old, new = backend.producer(f"tx-{out}"), backend.producer(f"tx-{out}")
    await old.start()
    with pytest.raises(ProducerFenced):
        async with old.transaction():
            await (await old.send(out, b"zombie", partition=0))
            await new.start()  # the next owner: aborts the open transaction of the old one
    await commit(new, [OutRecord(out, b"owner", partition=0)], {TopicPartition(source, 0): 1},
                 "group-c")
    assert [r.value for r in await backend.read(out)] == [b"owner"]


async def test_a_slice_keeps_each_partitions_order_and_its_keys_partitions_over_many_batches(
        backend: Backend) -> None:
    source, out, letters = (await backend.topic("in", 1), await backend.topic("out", 3),
                            await backend.topic("letters", 2))
    # Small batches: each partition's records fill several, as a big slice fills 1 MB ones.
    producer = backend.producer(f"tx-{out}", batch_size=2048)
    await producer.start()
    records = [OutRecord(out, b"%03d" % n + b"." * 300, b"client-%d" % (n % 7),
                         headers=[("n", b"%d" % n)]) for n in range(90)]
    records[40:40] = [OutRecord(letters, b"pinned", b"client-1", partition=1),
                      OutRecord(letters, b"unkeyed")]
    written = await commit(producer, records, {TopicPartition(source, 0): 3}, "group-d")

    found = await backend.read(out)
    hashed = DefaultPartitioner()  # aiokafka's own, which send() used
    for partition in (0, 1, 2):
        assert [r.value for r in found if r.partition == partition] == [
            r.value for r in records
            if r.topic == out and hashed(r.key, [0, 1, 2], [0, 1, 2]) == partition]
    assert all(int(r.value[:3]) == int(dict(r.headers)["n"]) for r in found)
    lettered = await backend.read(letters)
    assert sorted((r.value, r.partition) for r in lettered if r.value == b"pinned") == [
        (b"pinned", 1)]
    assert sorted(r.value for r in lettered) == [b"pinned", b"unkeyed"]
    last = {(r.topic, r.partition): r.offset for r in found + lettered}
    assert written == {TopicPartition(*tp): offset + 1 for tp, offset in last.items()}
    assert await backend.committed("group-d", TopicPartition(source, 0)) == 3
