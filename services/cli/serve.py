"""`silta serve SERVICE`: run one service in the foreground (what a container runs)."""

from __future__ import annotations

import gc
from enum import StrEnum
from importlib import import_module
from typing import Annotated, Any

import typer


class Service(StrEnum):
    ingest = "ingest"
    timeline = "timeline"
    mllp = "mllp"
    http_ingest = "http-ingest"
    api = "api"


# service -> (module with build_app, settings class, settings field with the HTTP port)
_SERVICES = {
    Service.ingest: ("services.ingest", "IngestSettings", "ingest_http_port"),
    Service.timeline: ("services.timeline", "TimelineSettings", "timeline_http_port"),
    Service.mllp: ("services.gateways.mllp", "MllpSettings", "mllp_http_port"),
    Service.http_ingest: ("services.gateways.http", "HttpIngestSettings", "http_ingest_port"),
    Service.api: ("services.api", "ApiSettings", "api_port"),
}
# Services whose HTTP port is their edge: it serves their TLS settings (`settings.tls`), and
# a separate plain-HTTP operations port (this settings field) may serve the probes. The
# others' HTTP port serves only /health, /ready and /metrics already, and in plain HTTP
# (the MLLP gateway's TLS is on its MLLP listener).
_EDGES = {Service.http_ingest: "http_ingest_ops_port", Service.api: "api_ops_port"}


def servers(service: Service, host: str, port: int | None = None) -> list[Any]:
    """The service's uvicorn servers; its TLS files are checked before the app is built."""
    from services.serving import service_servers

    # Imported on demand: starting one service should not import the others.
    package, settings_class, port_field = _SERVICES[service]
    settings = getattr(import_module(f"{package}.settings"), settings_class)()
    tls = settings.tls.uvicorn_options() if service in _EDGES else {}
    ops_port = getattr(settings, _EDGES[service]) if service in _EDGES else None
    app = import_module(f"{package}.app").build_app(settings)
    return service_servers(app, host, port or int(getattr(settings, port_field)), tls, ops_port)


def settle_heap() -> None:
    """Leave what start-up built (modules, models, schemas) out of the garbage collector's
    scans: it lives as long as the process, and a full collection would otherwise walk all
    of it again under load; young objects are collected in larger rounds. In
    bench/pipeline.py the collector took about 8% of the services' CPU (measured with it
    switched off), and this gives back a few per cent of it."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)


def serve(
    service: Annotated[Service, typer.Argument(help="which service to run")],
    host: Annotated[str, typer.Option(envvar="SILTA_HTTP_HOST")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="HTTP port; default from settings")] = None,
) -> None:
    """Run a service with its /health, /ready and /metrics endpoints until SIGTERM/Ctrl-C
    (also on its plain-HTTP operations port, when the HTTP gateway or the API has one)."""
    from services.serving import run

    built = servers(service, host, port)
    settle_heap()
    if not run(built):
        raise typer.Exit(1)
