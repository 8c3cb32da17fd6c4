"""`silta kafka up | down | status | fetch`: the local single-node broker for development."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from deploy.local.broker import LocalKafka, ensure_jars, kafka_version

app = typer.Typer(help="Run a local Apache Kafka broker (KRaft, no Docker).", no_args_is_help=True)

Port = Annotated[int, typer.Option(envvar="SILTA_KAFKA_PORT", help="listener port on 127.0.0.1")]
RunDir = Annotated[Path | None, typer.Option(help="folder for config, data, log and pid")]


@app.command()
def fetch() -> None:
    """Fetch the broker's jars from Maven Central into the cache (done by `up` when needed)."""
    started = time.monotonic()
    libs = ensure_jars()
    typer.echo(f"Apache Kafka {kafka_version()} jars in {libs} ({time.monotonic() - started:.1f}s)")


@app.command()
def up(port: Port = 9092, run_dir: RunDir = None, timeout: float = 90.0) -> None:
    """Start the broker and wait until it answers a metadata request."""
    broker = LocalKafka(port=port, run_dir=run_dir)
    typer.echo(f"starting Apache Kafka {broker.version} on {broker.bootstrap} ...", err=True)
    seconds = broker.up(timeout=timeout)
    typer.echo(f"ready in {seconds:.1f}s: {broker.status()}")
    typer.echo(f"log: {broker.log_file}", err=True)


@app.command()
def down(port: Port = 9092, run_dir: RunDir = None, keep_data: bool = False) -> None:
    """Stop the broker by its pid and remove its data (unless --keep-data)."""
    broker = LocalKafka(port=port, run_dir=run_dir)
    typer.echo("stopped" if broker.down(keep_data=keep_data) else "no broker was running")


@app.command()
def status(port: Port = 9092, run_dir: RunDir = None) -> None:
    """Say whether the broker runs and answers; exit 1 when it does not."""
    text = LocalKafka(port=port, run_dir=run_dir).status()
    typer.echo(text)
    raise typer.Exit(0 if text.startswith("running") else 1)
