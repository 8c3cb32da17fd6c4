"""The timeline query API as a FastAPI app: `build_app(settings)`; uvicorn serves it on
`settings.api_port` (`silta serve api`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.api.audit import Auditor
from services.api.auth import Authenticator
from services.api.dashboard import dashboard_router
from services.api.figures import IndicatorFigures
from services.api.pages import install_pages
from services.api.routes import audit_router, timeline_router
from services.api.settings import ApiSettings
from services.logging import configure_logging, get_logger
from services.observability.http import HttpMetrics, new_app
from services.timeline.store import open_store

VERSION = "1.0.0"
DESCRIPTION = """Read access to Silta's pseudonymised client timeline, for evaluators.

* Clients are named only by their **pseudonym** (32 lowercase hex characters, a keyed HMAC
  of the identity code). No endpoint takes or returns an identity code, a name, an address
  or free text.
* Entries follow the contract `fi.silta.timeline.entry.v1` (see `contracts/timeline.py`),
  plus `view`: what later amendments and retractions did to the entry.
* Authentication: `Authorization: Bearer <token>`; tokens carry scopes (`timeline:read`,
  `audit:read`).
* `/indicators`: the outcome indicators over the same store, anonymous aggregates after
  the suppression step (Toisiolaki 552/2019), as `silta evaluate indicators --json`.
* **Every read is audit-logged** (who, which client, what, when) before it is answered;
  if the audit record cannot be written the read is refused with 503.
* Errors: `{"error": {"code", "message", ...}}` for every status.
"""


def build_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()
    configure_logging(settings.log_level, settings.log_json)
    grants = settings.grants()
    authenticator = Authenticator(grants)
    store = open_store(settings.store_url)
    auditor = Auditor(store)
    figures = IndicatorFigures(settings.store_url, settings.evaluation_min_cell,
                               settings.api_indicators_max_age)
    metrics = HttpMetrics("api")
    log = get_logger(service="api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        log.info("api started", settings=settings.redacted())
        if not grants:
            log.warning("no tokens in SILTA_API_TOKENS; every request gets 401")
        try:
            yield
        finally:
            figures.close()
            await store.close()

    async def ready() -> str | None:
        return None if await store.ping() else "timeline store unreachable"

    app = new_app(
        title="Silta timeline API", description=DESCRIPTION, version=VERSION, metrics=metrics,
        ready_checks=[ready], lifespan=lifespan,
        tags=[{"name": "timeline", "description": "Pseudonymised timelines (scope "
               "`timeline:read`)."},
              {"name": "indicators", "description": "Outcome indicators, suppressed (scope "
               "`timeline:read`)."},
              {"name": "audit", "description": "The audit log (scope `audit:read`)."},
              {"name": "page", "description": "The timeline page and the dashboard at "
               "`/ui/` (scope `timeline:read`)."}],
    )
    app.include_router(timeline_router(store, authenticator, auditor))
    app.include_router(dashboard_router(figures, authenticator, auditor))
    app.include_router(audit_router(store, authenticator, auditor))
    install_pages(app, authenticator, auditor)
    return app
