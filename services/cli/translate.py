"""`silta translate`: what a vendor's message becomes, without any running service."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from services.kafka.topics import load_topics
from services.settings import SiltaSettings


class Format(StrEnum):
    hl7v2 = "hl7v2"
    fhir = "fhir"
    social = "social"


def translate(
    path: Annotated[str, typer.Argument(help="a message file, or - for stdin")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="the source format")],
    source: Annotated[str | None, typer.Option(help="source id; default: the first source of "
                                               "this format in the topics file")] = None,
) -> None:
    """Print the contract events a source message becomes, as NDJSON.

    Exit 0 with the events; 1 with the TranslationError (code, location, message) on
    stderr; 2 when the input cannot be read.
    """
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        typer.echo(f"silta: cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    spec = load_topics(SiltaSettings())
    sources = [s for s in spec.sources if s.format == fmt.value and (source in (None, s.id))]
    if not sources:
        typer.echo(f"silta: no {fmt.value} source {source or ''} in {SiltaSettings().topics_file}",
                   err=True)
        raise typer.Exit(2)
    info = SourceInfo(sources[0].id, sources[0].sector, dt.datetime.now(dt.UTC))
    try:
        events = translator(fmt.value)(data, info)
    except TranslationError as error:
        typer.echo(json.dumps({"error": error.as_dict()}, ensure_ascii=False), err=True)
        typer.echo(f"translation failed: {error.code} at {error.location or '(message)'}: "
                   f"{error.message}", err=True)
        raise typer.Exit(1) from None
    for event in events:
        typer.echo(json.dumps(event.to_message(), ensure_ascii=False))
