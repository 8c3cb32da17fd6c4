"""Every client on the timeline with its current entry counts, searchable and paged, for
`GET /clients`.

The store lists clients in one grouped scan of the current entries (both sectors first,
then by entry count); the list is kept until the store's entry count changes (every
write adds entries), looked at again at most every `RECHECK` seconds, so searching as
one types costs a filter over memory, not a scan per keystroke. About 100 bytes a client:
10^5 clients are some 10 MB.
"""

from __future__ import annotations

import asyncio
import time

from services.timeline.store import TimelineStore

Row = tuple[str, int, int]  # pseudonym, current health entries, current social entries
ALL = 2**31 - 1
RECHECK = 2.0


class ClientIndex:
    def __init__(self, store: TimelineStore) -> None:
        self.store = store
        self._rows: list[Row] = []
        self._count = -1
        self._checked = -float("inf")
        self._lock = asyncio.Lock()

    async def search(self, fragment: str, after: int, limit: int) -> tuple[list[Row], int]:
        """The clients whose pseudonym holds `fragment`, from index `after` on, at most
        `limit` of them, and how many match in all."""
        rows = await self._current()
        matching = [row for row in rows if fragment in row[0]] if fragment else rows
        return matching[after:after + limit], len(matching)

    async def _current(self) -> list[Row]:
        async with self._lock:
            if time.monotonic() - self._checked >= RECHECK:
                count = await self.store.count()
                if count != self._count:
                    self._rows = await self.store.clients(ALL)
                    self._count = count
                self._checked = time.monotonic()
            return self._rows
