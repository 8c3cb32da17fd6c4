"""`silta timeline verify`: balance the books of a running or finished pipeline;
`silta timeline rebuild-owners`: record owners back into a store that lost them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import typer

from services.kafka.reading import topic_batches
from services.timeline.materialiser import entry_record
from services.timeline.owners import rebuild
from services.timeline.settings import TimelineSettings
from services.timeline.store import open_store
from services.timeline.verify import Books, verify

app = typer.Typer(help="Check the timeline against the topics it was built from.",
                  no_args_is_help=True)


@app.command("verify")
def verify_(
    store: Annotated[bool, typer.Option(help="also compare the store (SILTA_STORE_URL) with "
                                        "the timeline topic")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="counts as one JSON object")] = False,
) -> None:
    """Every raw record became events or a dead letter; every event an entry, a dead
    letter, a duplicate or a policy drop; the store holds exactly the timeline topic.
    Exits 1 when the books do not balance. Run it when the pipeline is idle: records
    still in flight show up as unaccounted."""
    settings = TimelineSettings()
    books = asyncio.run(_verify(settings, store))
    if as_json:
        typer.echo(json.dumps(books.summary()))
    else:
        for line in books.lines():
            typer.echo(line)
    raise typer.Exit(0 if books.balanced else 1)


@app.command("rebuild-owners")
def rebuild_owners() -> None:
    """Claim, in the store (SILTA_STORE_URL), each source record, entry and corrected entry
    of the timeline topic for its client, as the timeline service did when it published
    them: what a store that lost its record owners needs before the service resumes.
    Reads the topic in batches, partition by partition. Exits 1 if the store holds any of
    them for another client."""
    entries, disagreements = asyncio.run(_rebuild_owners(TimelineSettings()))
    typer.echo(f"{entries} entries read; {disagreements} claims held for another client")
    raise typer.Exit(1 if disagreements else 0)


async def _rebuild_owners(settings: TimelineSettings) -> tuple[int, int]:
    store = open_store(settings.store_url)
    await store.open()
    try:
        batches = topic_batches(settings.kafka, settings.timeline_topic)
        return await rebuild(store, _entries(batches))
    finally:
        await store.close()


async def _entries(batches: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
    async for batch in batches:
        yield [entry_record(r.value).entry for r in batch if r.value]


async def _verify(settings: TimelineSettings, with_store: bool) -> Books:
    store = open_store(settings.store_url) if with_store else None
    if store is not None:
        await store.open()
    try:
        return await verify(settings, store)
    finally:
        if store is not None:
            await store.close()
