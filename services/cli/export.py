"""`silta export parquet | meds --out DIR`: the current view for evaluators' tools."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import Field, SecretStr

from services.cli.config import load
from services.errors import ConfigError
from services.settings import SiltaSettings

app = typer.Typer(help="Export the current view of the timeline (Parquet, MEDS 0.4).",
                  no_args_is_help=True)


class Source(StrEnum):
    store = "store"
    topic = "topic"
    api = "api"


def local_store() -> str:
    from deploy.local.broker import cache_root

    return f"sqlite:///{cache_root() / 'run' / 'silta' / 'timeline.sqlite3'}"


class ExportSettings(SiltaSettings):
    store_url: str = Field(default_factory=local_store,
                           description="the timeline store to read (source store); default: "
                           "the store `silta run` (make demo) keeps")
    export_api_url: str = Field("http://127.0.0.1:8080", description="query API (source api)")
    export_api_token: SecretStr | None = Field(None, description="bearer token with "
                                               "timeline:read (source api)")


Out = Annotated[Path, typer.Option("--out", help="export folder: new, empty, or a previous "
                                   "export of the same format (then only new entries are read)")]
From = Annotated[Source, typer.Option("--from", help="store (SILTA_STORE_URL), topic "
                                      "(SILTA_KAFKA_BOOTSTRAP, SILTA_TIMELINE_TOPIC) or api "
                                      "(SILTA_EXPORT_API_URL, SILTA_EXPORT_API_TOKEN)")]

Follow = Annotated[float | None, typer.Option(
    "--follow", metavar="SECONDS", min=1,
    help="keep the export current: export again every SECONDS (only new entries are "
         "read) until interrupted")]


@app.command()
def parquet(out: Out, source: From = Source.store, follow: Follow = None) -> None:
    """One row per current entry, typed columns, partitioned by sector, plus _silta.json."""
    _export(out, "parquet", source, follow)


@app.command()
def meds(out: Out, source: From = Source.store, follow: Follow = None) -> None:
    """MEDS 0.4: data/, metadata/codes.parquet, dataset.json, subject_splits.parquet."""
    _export(out, "meds", source, follow)


def _export(out: Path, fmt: str, source: Source, follow: float | None) -> None:
    from services.evaluation.exports import export
    from services.evaluation.readers import ApiReader, Reader, StoreReader, TopicReader

    settings = load(ExportSettings)
    reader: Reader
    if source is Source.store:
        reader = StoreReader(settings.store_url)
    elif source is Source.topic:
        reader = TopicReader(settings.kafka, settings.timeline_topic)
    else:
        if settings.export_api_token is None:
            raise ConfigError("--from api needs SILTA_EXPORT_API_TOKEN (a token with "
                              "timeline:read)")
        reader = ApiReader(settings.export_api_url,
                           settings.export_api_token.get_secret_value())
    started = time.monotonic()
    shown = [started]  # progress only for exports that take a while

    def progress(read: int) -> None:
        if time.monotonic() - shown[0] > 2:
            shown[0] = time.monotonic()
            print(f"  read {read} entries from the {reader.description}", file=sys.stderr)

    while True:
        state = export(reader, out, fmt, progress)
        if follow is None or state["entries_read_this_run"]:
            typer.echo(f"{fmt} export in {out}: {state['current_rows']} current entries; "
                       f"read {state['entries_read_this_run']} new entries from the "
                       f"{reader.description} in {time.monotonic() - started:.1f}s "
                       f"(position {state['position']})")
        if follow is None:
            return
        time.sleep(follow)
        started = time.monotonic()
