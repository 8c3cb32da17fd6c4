"""`silta kafka up | down | status | fetch`: the local single-node broker for development."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from deploy.local.broker import LocalKafka
from deploy.local.jars import ensure_jars, kafka_version
from deploy.local.secure import SecureLocalKafka, local_broker
from services.kafka.acls import DEFAULT_ACLS_FILE, apply_acls, load_acls

app = typer.Typer(help="Run a local Apache Kafka broker (KRaft, no Docker).", no_args_is_help=True)

Port = Annotated[int, typer.Option(envvar="SILTA_KAFKA_PORT", help="listener port on 127.0.0.1")]
RunDir = Annotated[Path | None, typer.Option(help="folder for config, data, log and pid")]
Secure = Annotated[Path | None, typer.Option(
    "--secure", metavar="DIR",
    help="TLS + SASL/SCRAM + ACLs, and a mutual-TLS listener: one SCRAM user and one "
    "client certificate per principal of --acls-file, the ACLs applied; DIR/ca.pem, "
    "DIR/<principal>.env (SCRAM) and DIR/<principal>.mtls.env (mutual TLS, with "
    "DIR/<principal>.pem and .key) written")]
AclsFile = Annotated[Path, typer.Option(help="principals and their ACLs")]


@app.command()
def fetch() -> None:
    """Fetch the broker's jars from Maven Central into the cache (done by `up` when needed)."""
    started = time.monotonic()
    libs = ensure_jars()
    typer.echo(f"Apache Kafka {kafka_version()} jars in {libs} ({time.monotonic() - started:.1f}s)")


@app.command()
def up(port: Port = 9092, run_dir: RunDir = None, timeout: float = 90.0, secure: Secure = None,
       acls_file: AclsFile = DEFAULT_ACLS_FILE) -> None:
    """Start the broker and wait until it answers a metadata request."""
    if secure is None:
        _start(LocalKafka(port=port, run_dir=run_dir), timeout)
        return
    spec = load_acls(acls_file)
    broker = SecureLocalKafka(port=port, run_dir=run_dir, principals=tuple(spec.principals))
    _start(broker, timeout)
    report = asyncio.run(apply_acls(broker.connection, spec))
    typer.echo(f"ACLs: {report.lines()[-1]}")
    for path in broker.write_client_files(secure):
        typer.echo(f"wrote {path}")
    typer.echo(f"e.g. env $(cat {secure}/ingest.env) silta serve ingest", err=True)
    typer.echo(f"mutual TLS instead of SCRAM, on {broker.mtls_bootstrap}: "
               f"env $(cat {secure}/ingest.mtls.env) silta serve ingest", err=True)


def _start(broker: LocalKafka, timeout: float) -> None:
    typer.echo(f"starting Apache Kafka {broker.version} on {broker.bootstrap} ...", err=True)
    seconds = broker.up(timeout=timeout)
    typer.echo(f"ready in {seconds:.1f}s: {broker.status()}")
    typer.echo(f"log: {broker.log_file}", err=True)


@app.command()
def down(port: Port = 9092, run_dir: RunDir = None, keep_data: bool = False) -> None:
    """Stop the broker by its pid and remove its data (unless --keep-data)."""
    broker = local_broker(port, run_dir)
    typer.echo("stopped" if broker.down(keep_data=keep_data) else "no broker was running")


@app.command()
def status(port: Port = 9092, run_dir: RunDir = None) -> None:
    """Say whether the broker runs and answers; exit 1 when it does not."""
    text = local_broker(port, run_dir).status()
    typer.echo(text)
    raise typer.Exit(0 if text.startswith("running") else 1)
