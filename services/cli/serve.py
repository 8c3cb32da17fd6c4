"""`silta serve SERVICE`: run one service in the foreground (what a container runs)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer


class Service(StrEnum):
    ingest = "ingest"
    timeline = "timeline"
    mllp = "mllp"
    http_ingest = "http-ingest"
    api = "api"


def _app_and_port(service: Service) -> tuple[Any, int]:
    if service is Service.api:
        from services.api.app import build_app as api_app
        from services.api.settings import ApiSettings

        api = ApiSettings()
        return api_app(api), api.api_port
    if service is Service.http_ingest:
        from services.gateways.http.app import build_app as http_app
        from services.gateways.http.settings import HttpIngestSettings

        http = HttpIngestSettings()
        return http_app(http), http.http_ingest_port
    if service is Service.mllp:
        from services.gateways.mllp.app import build_app as mllp_app
        from services.gateways.mllp.settings import MllpSettings

        mllp = MllpSettings()
        return mllp_app(mllp), mllp.mllp_http_port
    if service is Service.ingest:
        from services.ingest.app import build_app as ingest_app
        from services.ingest.settings import IngestSettings

        ingest = IngestSettings()
        return ingest_app(ingest), ingest.ingest_http_port
    from services.timeline.app import build_app as timeline_app
    from services.timeline.settings import TimelineSettings

    timeline = TimelineSettings()
    return timeline_app(timeline), timeline.timeline_http_port


def serve(
    service: Annotated[Service, typer.Argument(help="which service to run")],
    host: Annotated[str, typer.Option(envvar="SILTA_HTTP_HOST")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="HTTP port; default from settings")] = None,
) -> None:
    """Run a service with its /health, /ready and /metrics endpoints until SIGTERM/Ctrl-C."""
    import uvicorn

    app, default_port = _app_and_port(service)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port or default_port, log_config=None,
                                  access_log=False, lifespan="on")).run()
