"""`silta`: one command line for platform teams, vendors and evaluators."""

from __future__ import annotations

import sys

import typer

from contracts.errors import SiltaError
from services.cli import (
    acls,
    contracts,
    deadletter,
    evaluate,
    export,
    kafka,
    run,
    serve,
    simulate,
    timeline,
    topics,
    translate,
)
from services.logging import configure_logging

app = typer.Typer(
    name="silta",
    help="Silta: bridge social-care and health-care record events into one pseudonymised "
    "client timeline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(kafka.app, name="kafka")
app.add_typer(topics.app, name="topics")
app.add_typer(acls.app, name="acls")
app.add_typer(contracts.app, name="contracts")
app.add_typer(deadletter.app, name="deadletter")
app.add_typer(timeline.app, name="timeline")
app.add_typer(export.app, name="export")
app.add_typer(evaluate.app, name="evaluate")
app.command("run")(run.run)
app.command("serve")(serve.serve)
app.command("translate")(translate.translate)
app.command("simulate")(simulate.simulate)


@app.callback()
def _setup(
    log_level: str = typer.Option("WARNING", envvar="SILTA_LOG_LEVEL", help="log level"),
) -> None:
    configure_logging(log_level)


def main() -> None:
    try:
        app()
    except SiltaError as exc:
        # Typed errors already say where, what and why; a traceback would only hide that.
        print(f"silta: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
if __name__ == "__main__":
    main()
