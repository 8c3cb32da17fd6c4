"""`silta deadletter list | show | redrive`: triage the dead-letter topic."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Annotated

import typer

from services.deadletter import DeadLetter, Filter, read_deadletters, redrive
from services.settings import SiltaSettings

app = typer.Typer(help="Inspect and redrive dead letters (records Silta could not process).",
                  no_args_is_help=True)

Code = Annotated[str | None, typer.Option(help="error code, or a prefix ending in '.'")]
Source = Annotated[str | None, typer.Option("--source-topic", help="only from this topic")]
Stage = Annotated[str | None, typer.Option(help="ingest or timeline")]


def _when(letter: DeadLetter) -> str:
    return dt.datetime.fromtimestamp(letter.timestamp_ms / 1000, dt.UTC).strftime(
        "%Y-%m-%d %H:%M:%S")


def _fetch(wanted: Filter, limit: int | None = None) -> list[DeadLetter]:
    settings = SiltaSettings()
    return asyncio.run(read_deadletters(settings.kafka, settings.deadletter_topic,
                                        wanted, limit))


@app.command("list")
def list_(code: Code = None, source_topic: Source = None, stage: Stage = None,
          limit: int = 200, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One line per dead letter: id, time, source topic, code, location and reason."""
    letters = _fetch(Filter(code=code, source_topic=source_topic, stage=stage), limit)
    for letter in letters:
        c = letter.context
        if as_json:
            typer.echo(json.dumps({"id": letter.id, "at": _when(letter), **c}, ensure_ascii=False))
        else:
            typer.echo(f"{letter.id:<10} {_when(letter)}  {letter.source_topic}  "
                       f"{c.get('code', '?')} at {c.get('location') or '(message)'}: "
                       f"{c.get('message', '')}")
    if not as_json:
        typer.echo(f"{len(letters)} dead letter{'s' if len(letters) != 1 else ''}", err=True)


@app.command()
def show(
    letter_id: Annotated[str, typer.Argument(help="partition:offset, as `list` prints it")],
    payload: Annotated[bool, typer.Option(help="also print the original bytes (may hold "
                                          "personal data: restricted use)")] = False,
) -> None:
    """Everything about one dead letter; the payload only when asked for."""
    found = _fetch(Filter(ids=(letter_id,)))
    if not found:
        typer.echo(f"silta: no dead letter {letter_id}", err=True)
        raise typer.Exit(1)
    letter = found[0]
    typer.echo(f"id:              {letter.id}\nat:              {_when(letter)}")
    for name, value in sorted(letter.context.items()):
        typer.echo(f"{name + ':':<16} {value}")
    typer.echo(f"original headers: {', '.join(n for n, _ in letter.original_headers) or '-'}")
    typer.echo(f"payload:         {len(letter.value)} bytes")
    if payload:
        typer.echo(letter.value.decode("utf-8", "backslashreplace"))


@app.command("redrive")
def redrive_(
    ids: Annotated[list[str] | None, typer.Option("--id", help="repeatable")] = None,
    code: Code = None, source_topic: Source = None, stage: Stage = None,
    dry_run: bool = False,
) -> None:
    """Publish chosen dead letters to their source topic again (e.g. after an adapter fix).

    Re-sent records that now translate reach the timeline once: entry ids are
    deterministic, so a redrive repeated by mistake adds nothing.
    """
    wanted = Filter(ids=tuple(ids or ()), code=code, source_topic=source_topic, stage=stage)
    if wanted == Filter():
        typer.echo("silta: choose what to redrive (--id, --code, --source-topic or --stage)",
                   err=True)
        raise typer.Exit(2)
    letters = _fetch(wanted)
    if dry_run:
        typer.echo(f"would redrive {len(letters)} dead letter(s)")
        return
    count = asyncio.run(redrive(SiltaSettings().kafka, letters))
    typer.echo(f"redriven {count} dead letter(s) to their source topics")
