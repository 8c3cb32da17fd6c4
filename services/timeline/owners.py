"""Record ownership: a source record belongs to exactly one client.

A record is (source, `<ResourceType>/<record id>`); events and the events they correct are
claimed along with it. The first claim wins and stays, whether or not the transaction that
made it commits: re-processing the same event claims the same client again, so a claim
needs no rollback. A record id reused for another client, or a correction whose client
differs from the original's, is then refused (dead letter `record.client-conflict`).

Claims live in the timeline store (`record_owners`), shared by every timeline instance of
a deployment: a conflict can span partitions, which no partition's state sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Claim:
    key: str     # opaque keyed hash of the record or event
    client: str  # the client pseudonym


class RecordOwners(Protocol):
    async def claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        """Claim each key for its client (first claim wins); return every key's owner."""


class MemoryOwners:
    """Claims held in memory: for one process and for tests without a store."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    async def claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        for claim in claims:
            self.owners.setdefault(claim.key, claim.client)
        return {claim.key: self.owners[claim.key] for claim in claims}
