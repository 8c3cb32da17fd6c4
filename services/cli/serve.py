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
# Services whose HTTP port is their edge and so serves their TLS settings (`settings.tls`);
# the MLLP gateway's TLS is on its MLLP listener, its HTTP port only answers probes.
_TLS_EDGES = {Service.http_ingest, Service.api}


def _app_and_port(service: Service) -> tuple[Any, int, dict[str, Any]]:
    """The app, its port and uvicorn's TLS options (checked before the app is built)."""
    # Imported on demand: starting one service should not import the others.
    package, settings_class, port_field = _SERVICES[service]
    settings = getattr(import_module(f"{package}.settings"), settings_class)()
    tls = settings.tls.uvicorn_options() if service in _TLS_EDGES else {}
    app = import_module(f"{package}.app").build_app(settings)
    return app, int(getattr(settings, port_field)), tls


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
    """Run a service with its /health, /ready and /metrics endpoints until SIGTERM/Ctrl-C."""
    import uvicorn

    app, default_port, tls = _app_and_port(service)
    settle_heap()
    uvicorn.Server(uvicorn.Config(app, host=host, port=port or default_port, log_config=None,
                                  access_log=False, lifespan="on",
                                  http=getattr(getattr(app, "state", None), "http_protocol", "auto"),
                                  **tls)).run()
