"""Record ownership: a source record belongs to exactly one client.

A record is (source, `<ResourceType>/<record id>`); events and the events they correct are
claimed along with it. The first claim wins and stays, whether or not the transaction that
made it commits: re-processing the same event claims the same client again, so a claim
needs no rollback. A record id reused for another client, or a correction whose client
differs from the original's, is then refused (dead letter `record.client-conflict`).

Claims live in the timeline store (`record_owners`), shared by every timeline instance of
a deployment: a conflict can span partitions, which no partition's state sees. A store
that lost them gets back those of every published entry with `rebuild` (`silta timeline
rebuild-owners`): each entry names its record, itself and what it corrects, and the
timeline never holds two clients for one of them. Claims of events that became no entry
(policy drops, such as the identified Patient events, and dead letters) are not on the
timeline and are not restored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Claim:
    key: str     # opaque keyed hash of the record or event
    client: str  # the client pseudonym


class RecordOwners(Protocol):
    async def claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        """Claim each key for its client (first claim wins); return every key's owner."""


def claims_of(entry: Any) -> list[Claim]:
    """The claims a published entry stands for (the ones the processor made for its event):
    the source record, the entry and the entry it corrects, all its client's."""
    keys = [entry.source_ref, entry.entry_id, *([entry.corrects] if entry.corrects else [])]
    return [Claim(key, entry.client) for key in keys]


async def rebuild(owners: RecordOwners, batches: AsyncIterator[list[Any]]) -> tuple[int, int]:
    """Claim what batches of timeline entries (the topic's, in order) stand for; returns
    (entries read, claims found held for another client: 0 unless the store disagrees
    with the topic)."""
    entries = disagreements = 0
    async for batch in batches:
        claims = [claim for entry in batch for claim in claims_of(entry)]
        entries += len(batch)
        held = await owners.claim(claims) if claims else {}
        disagreements += sum(1 for claim in claims if held[claim.key] != claim.client)
    return entries, disagreements


class MemoryOwners:
    """Claims held in memory: for one process and for tests without a store."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}

    async def claim(self, claims: Sequence[Claim]) -> dict[str, str]:
        for claim in claims:
            self.owners.setdefault(claim.key, claim.client)
        return {claim.key: self.owners[claim.key] for claim in claims}
