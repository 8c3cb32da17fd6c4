"""`silta simulate`: realistic source traffic for synthetic clients, to files or to Kafka.

    silta simulate --clients 200 --out sim/           # files + manifest.ndjson
    silta simulate --clients 200 --kafka              # each source's raw topic
    silta simulate                                    # only the summary (what to expect)

The traffic is deterministic (same options, same bytes) and every message is checked
against the adapters before it leaves, so the summary says exactly how many contract
events and dead letters Silta should produce.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from contracts.errors import SiltaError
from services.kafka.topics import TopicsFile, load_topics
from services.settings import SiltaSettings
from services.simulate import SimConfig, SimMessage, build, summarise
from services.simulate.sinks import check_broker, produce, write_files


class ProgressLine:
    """A progress line on stderr for runs long enough to need one (quiet for the first
    second): redrawn in place on a terminal, one line per 10% otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.last = 0.0
        self.step = -1
        self.shown = False
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        finished = done >= total
        if not self.shown and now - self.started < 1.0:
            return
        step = done * 10 // max(total, 1)
        if self.tty:
            if not finished and now - self.last < 0.25:
                return
            sys.stderr.write(f"\r{self.label}: {done}/{total}" + ("\n" if finished else ""))
        else:
            if step == self.step and not finished:
                return
            sys.stderr.write(f"{self.label}: {done}/{total}\n")
        sys.stderr.flush()
        self.last, self.step, self.shown = now, step, True


@contextmanager
def _quiet_kafka_logs() -> Iterator[None]:
    """aiokafka logs each failed connection attempt; the one-line error below says it."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):  # the default is passed through the parser too
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("expected a date YYYY-MM-DD") from None


def _sources(spec: TopicsFile) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(format -> source id, source id -> topic, source id -> sector) from the topics file."""
    by_format: dict[str, str] = {}
    for source in spec.sources:
        by_format.setdefault(source.format, source.id)
    missing = [f for f in ("hl7v2", "fhir", "social") if f not in by_format]
    if missing:
        raise SiltaError(f"the topics file has no source of format {', '.join(missing)}")
    return (by_format, {s.id: s.topic for s in spec.sources},
            {s.id: s.sector for s in spec.sources})


def _deliver(messages: Sequence[SimMessage], out: Path | None, overwrite: bool, kafka: bool,
             topics: dict[str, str], settings: SiltaSettings, linger_ms: int) -> None:
    if out is not None:
        manifest = write_files(messages, out, topics, overwrite, ProgressLine("writing"))
        typer.echo(f"wrote {len(messages)} messages and {manifest}", err=True)
    if kafka:
        with _quiet_kafka_logs():
            sent = asyncio.run(produce(messages, settings.kafka, topics, linger_ms,
                                       ProgressLine("producing")))
        used = sorted({topics[m.source_id] for m in messages})
        typer.echo(f"produced {sent} messages to {', '.join(used)} at "
                   f"{settings.kafka_bootstrap}", err=True)


Clients = Annotated[int, typer.Option(help="synthetic clients")]
Seed = Annotated[int, typer.Option(help="random seed: same seed, same bytes")]
Start = Annotated[dt.date, typer.Option(parser=_date, metavar="YYYY-MM-DD",
                                        help="first simulated day")]
Days = Annotated[int, typer.Option(help="length of the simulated span in days")]
MalformedShare = Annotated[float, typer.Option(help="share of all messages that are malformed")]
DuplicateShare = Annotated[float, typer.Option(
    help="share of all messages that are exact re-sends")]
Out = Annotated[Path | None, typer.Option(
    help="write out/<source>/NNNNNN.<hl7|json> and out/manifest.ndjson")]
ToKafka = Annotated[bool, typer.Option(
    "--kafka", help="produce to each source's raw topic (SILTA_KAFKA_BOOTSTRAP)")]
Overwrite = Annotated[bool, typer.Option(
    help="reuse a non-empty --out folder (removes the files of its old manifest)")]
AsJson = Annotated[bool, typer.Option("--json", help="print the summary as JSON")]
LingerMs = Annotated[int, typer.Option(help="producer batching delay")]


def simulate(
    clients: Clients = 50, seed: Seed = 7, start: Start = dt.date(2025, 1, 1), days: Days = 365,
    malformed_share: MalformedShare = 0.02, duplicate_share: DuplicateShare = 0.05,
    out: Out = None, kafka: ToKafka = False, overwrite: Overwrite = False,
    as_json: AsJson = False, linger_ms: LingerMs = 20,
) -> None:
    """Generate social and health source traffic for synthetic clients (test identity codes
    only) and write it to files, produce it to Kafka, or just print what to expect.

    Exit 0 when done; 1 when a message did not behave as planned (a bug: valid refused or
    malformed accepted); 2 on bad options, an unwritable folder or an unreachable broker.
    """
    try:
        settings = SiltaSettings()
        formats, topics, sectors = _sources(load_topics(settings))
        config = SimConfig(clients=clients, seed=seed, start=start, days=days,
                           malformed_share=malformed_share, duplicate_share=duplicate_share,
                           sources=formats)
        if kafka:
            with _quiet_kafka_logs():
                asyncio.run(check_broker(settings.kafka,
                                         [topics[source] for source in formats.values()]))
        typer.echo(f"simulating {clients} clients, {days} days from {start}, seed {seed}",
                   err=True)
        simulation = build(config)
        summary = summarise(simulation.messages, simulation.deadlines, sectors,
                            ProgressLine("checking with the adapters"))
        _deliver(simulation.messages, out, overwrite, kafka, topics, settings, linger_ms)
    except SiltaError as exc:
        typer.echo(f"silta simulate: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(summary.lines()))
    if summary.problems:
        raise typer.Exit(1)
