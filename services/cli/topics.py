"""`silta topics apply | list`: provision Silta's topics from the declarative file."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from services.kafka.topics import apply_topics, load_topics
from services.settings import SiltaSettings

app = typer.Typer(help="Provision Kafka topics from deploy/topics.yaml.", no_args_is_help=True)


class TopicsSettings(SiltaSettings):
    topics_replication_factor: int | None = None


@app.command()
def apply(
    dry_run: Annotated[bool, typer.Option(help="report what would change, change nothing")] = False,
    allow_partition_increase: bool = False,
) -> None:
    """Create missing topics and align configs; report each topic's outcome."""
    settings = TopicsSettings()
    spec = load_topics(settings, settings.topics_replication_factor)
    report = asyncio.run(apply_topics(
        settings.kafka, spec, dry_run=dry_run,
        allow_partition_increase=allow_partition_increase,
    ))
    prefix = "would be " if dry_run else ""
    for line in report.lines():
        typer.echo(prefix + line)
    raise typer.Exit(0 if report.ok else 1)


@app.command("list")
def list_() -> None:
    """Print the topics the file declares, with partitions and source formats."""
    spec = load_topics(SiltaSettings())
    for source in spec.sources:
        typer.echo(f"{source.topic:<40} {spec.raw.partitions:>3}  raw, {source.format}")
    for name, topic in spec.topics.items():
        typer.echo(f"{name:<40} {topic.partitions:>3}")
