"""Which partition a keyed record goes to: Kafka's default (murmur2 of the key), with
each key's hash remembered.

aiokafka computes murmur2 in pure Python for every record sent, about 3 % of ingest's
CPU; the events topic is keyed by client pseudonym, and a client's events come in runs
(an HL7 message or social document carries several), so most keys were hashed a moment
ago. Same partitions as aiokafka's `DefaultPartitioner` (tests/services/kafka/
test_partitioner.py checks it with hypothesis), which is what Kafka's Java clients pick,
so every producer of a topic agrees where a client's records go.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.partitioner import DefaultPartitioner, murmur2

_REMEMBERED = 100_000  # keys remembered before the memory starts again (~15 MB at most)


class KeyPartitioner:
    """An aiokafka `partitioner=`: called with the key, all partitions and the available
    ones; a record without a key goes where `DefaultPartitioner` sends it."""

    def __init__(self, remembered: int = _REMEMBERED) -> None:
        self._hashes: dict[bytes, int] = {}
        self._remembered = remembered

    def __call__(self, key: bytes | None, all_partitions: Sequence[int],
                 available: Sequence[int]) -> int:
        if key is None:
            return DefaultPartitioner()(key, all_partitions, available)  # type: ignore[no-any-return]
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= self._remembered:
                self._hashes.clear()
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return all_partitions[hashed % len(all_partitions)]
