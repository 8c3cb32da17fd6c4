"""KeyPartitioner picks the partition aiokafka's DefaultPartitioner (Kafka's murmur2) does,
whether it has seen the key before or not."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from services.kafka.partitioner import KeyPartitioner

KEYS = st.binary(max_size=64)
PARTITIONS = st.integers(1, 64).map(lambda n: list(range(n)))


@given(st.lists(st.tuples(KEYS, PARTITIONS), min_size=1, max_size=30), st.integers(1, 5))
def test_same_partition_as_kafkas_default(sends: list[tuple[bytes, list[int]]],
                                          remembered: int) -> None:
    partitioner, default = KeyPartitioner(remembered), DefaultPartitioner()
    for key, partitions in sends + sends:  # every key again: remembered, or forgotten
        assert partitioner(key, partitions, partitions) == default(key, partitions, partitions)


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    assert KeyPartitioner()(None, [0, 1, 2], [2]) == 2
