"""`silta contracts list | schema | example | validate`: the contracts, for vendors."""

from __future__ import annotations

import difflib
import json
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
