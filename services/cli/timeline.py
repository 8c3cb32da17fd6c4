"""`silta timeline verify`: balance the books of a running or finished pipeline."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

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


async def _verify(settings: TimelineSettings, with_store: bool) -> Books:
    store = open_store(settings.store_url) if with_store else None
    if store is not None:
        await store.open()
    try:
        return await verify(settings, store)
    finally:
        if store is not None:
            await store.close()
