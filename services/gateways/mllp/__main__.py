"""`python -m services.gateways.mllp`: the gateway in the foreground until SIGTERM/Ctrl-C."""

from __future__ import annotations

import uvicorn

from services.gateways.mllp.app import build_app
from services.gateways.mllp.settings import MllpSettings


def main() -> None:
    settings = MllpSettings()
    uvicorn.Server(uvicorn.Config(
        build_app(settings), host=settings.mllp_http_host, port=settings.mllp_http_port,
        log_config=None, access_log=False, lifespan="on",
    )).run()


if __name__ == "__main__":
    main()
