"""`silta contracts list | schema | example | validate | report`: the contracts, for vendors."""

from __future__ import annotations

import asyncio
import datetime as dt
import difflib
import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from contracts.catalogue import BY_TYPE, CATALOGUE
from contracts.conformance import Report, UnusableInput, check_path, check_stream
from contracts.schemas import generate
from contracts.timeline import TIMELINE_ENTRY_TYPE

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples" / "v1"

app = typer.Typer(help="Silta's contracts: list, schemas, examples, conformance.",
                  no_args_is_help=True)


def _known(event_type: str, extra: tuple[str, ...] = ()) -> str:
    if event_type in BY_TYPE or event_type in extra:
        return event_type
    names = [*BY_TYPE, *extra]
    close = difflib.get_close_matches(event_type, names, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `silta contracts list`"
    typer.echo(f"silta: unknown event type {event_type!r}{hint}", err=True)
    raise typer.Exit(2)


@app.command("list")
def list_types() -> None:
    """Every event type with the FHIR resource it carries and what it means."""
    width = max(len(spec.type) for spec in CATALOGUE)
    for spec in CATALOGUE:
        resource = spec.resource_types[0] if len(spec.resource_types) == 1 else "(any record)"
        typer.echo(f"{spec.type:<{width}}  {resource:<15} {spec.meaning}")


@app.command()
def schema(event_type: str) -> None:
    """Print the JSON Schema of an event type's value (or of the envelope / timeline entry)."""
    _known(event_type, ("envelope", TIMELINE_ENTRY_TYPE))
    name = "envelope" if event_type == "envelope" else event_type
    typer.echo(json.dumps(generate()[f"v1/{name}.json"], indent=2, ensure_ascii=False))


@app.command()
def example(event_type: str) -> None:
    """Print a valid example message (headers and value) of an event type."""
    _known(event_type)
    typer.echo((EXAMPLES / f"{event_type}.json").read_text().rstrip())


@app.command()
def validate(
    path: Annotated[str, typer.Argument(help="a message file, a folder, or - for stdin")],
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Check messages against the contracts. Exit 0: all conform; 1: failures; 2: unusable input."""
    try:
        report = check_stream(sys.stdin.buffer.read()) if path == "-" else check_path(Path(path))
    except UnusableInput as exc:
        typer.echo(f"silta: unusable input: {exc}", err=True)
        raise typer.Exit(2) from None
    _print(report, output)
    raise typer.Exit(0 if report.ok else 1)


def _print(report: Report, output: str) -> None:
    if output == "json":
        typer.echo(json.dumps({
            "messages": report.messages, "failed_messages": report.failed_messages,
            "failures": [f.as_dict() for f in report.failures], "ok": report.ok,
        }, ensure_ascii=False))
        return
    for failure in report.failures:
        typer.echo(str(failure))
    typer.echo(report.summary())


_DEFAULT_METRICS = ("http://127.0.0.1:8083/metrics", "http://127.0.0.1:8090/metrics",
                    "http://127.0.0.1:8082/metrics")  # MLLP, HTTP ingest, timeline
_AGO = re.compile(r"(\d+)([mhd])")


def _since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    if match := _AGO.fullmatch(value):
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return dt.datetime.now(dt.UTC) - dt.timedelta(**{unit: int(match.group(1))})
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        typer.echo(f"silta: --since {value!r}: give an ISO date/time or 30m, 24h, 7d", err=True)
        raise typer.Exit(2) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _scrape(urls: list[str]) -> tuple[list[str], list[str]]:
    import httpx

    texts, unreachable = [], []
    for url in urls:
        try:
            response = httpx.get(url, timeout=3.0)
            response.raise_for_status()
            texts.append(response.text)
        except httpx.HTTPError:
            unreachable.append(url)
    return texts, unreachable


@app.command()
def report(
    source: Annotated[str | None, typer.Option(help="only this source id")] = None,
    since: Annotated[str | None, typer.Option(help="dead letters since: ISO time, or 24h, "
                                              "7d, 30m ago")] = None,
    metrics: Annotated[list[str] | None, typer.Option(
        "--metrics", help="a /metrics URL to read (repeat); default: the local MLLP, HTTP "
        "ingest and timeline services")] = None,
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """What each source sent and what became of it: accepted and rejected by code (the
    gateways' /metrics), dead-lettered by stage, code and location (the dead-letter topic),
    policy-held (the timeline's /metrics)."""
    from services.deadletter import read_deadletters
    from services.gateways.report import build_report, render
    from services.kafka.topics import load_topics
    from services.settings import SiltaSettings

    settings = SiltaSettings()
    spec = load_topics(settings)
    if source is not None and source not in {s.id for s in spec.sources}:
        typer.echo(f"silta: unknown source {source!r}; see {settings.topics_file}", err=True)
        raise typer.Exit(2)
    letters = asyncio.run(read_deadletters(settings.kafka_bootstrap, settings.deadletter_topic))
    texts, unreachable = _scrape(list(metrics or _DEFAULT_METRICS))
    result = build_report(spec, letters, texts, _since(since), source)
    result["metrics_unreachable"] = unreachable
    if output == "json":
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    typer.echo(render(result))
    for url in unreachable:
        typer.echo(f"(no metrics from {url}: gateway counts are missing)", err=True)
