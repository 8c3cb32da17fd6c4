"""`silta acls apply | check`: Kafka ACLs from the declarative file (deploy/acls.yaml)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from aiokafka.errors import KafkaError
from pydantic import Field

from services.kafka.acls import DEFAULT_ACLS_FILE, AclReport, apply_acls, load_acls
from services.kafka.diagnosis import raise_for
from services.settings import SiltaSettings

app = typer.Typer(help="Apply and check Kafka ACLs from deploy/acls.yaml.", no_args_is_help=True)


class AclsSettings(SiltaSettings):
    acls_file: Path = Field(DEFAULT_ACLS_FILE, description="declarative ACL definitions")


@app.command()
def apply(
    dry_run: Annotated[bool, typer.Option(help="report what would change, change nothing")] = False,
) -> None:
    """Make each principal's ACLs equal the file: report what was created and removed."""
    report = asyncio.run(_apply(AclsSettings(), dry_run))
    prefix = "would be " if dry_run else ""
    for line in report.lines():
        typer.echo(prefix + line)


@app.command()
def check() -> None:
    """Report drift between the cluster and the file; exit 1 when there is any."""
    report = asyncio.run(_apply(AclsSettings(), dry_run=True))
    for line in report.lines(missing="missing", extra="extra"):
        typer.echo(line)
    raise typer.Exit(1 if report.drift else 0)


async def _apply(settings: AclsSettings, dry_run: bool) -> AclReport:
    spec = load_acls(settings.acls_file)
    try:
        return await apply_acls(settings.kafka, spec, dry_run=dry_run)
    except (KafkaError, OSError) as exc:
        await raise_for(exc, settings.kafka)
