"""The timeline page and the indicator dashboard, served by the query API under `/ui/`.

The HTML and its files are public and hold no data: the page asks for a bearer token and
reads everything through the API with it, so the page has exactly the API's tokens,
scopes and audit. `GET /ui/session` is the page's own read: it checks the token, answers
the code names, and audits the page view (`page.view`, with the client when one is shown).
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from contracts.timeline import HEX32
from services.api.audit import Auditor
from services.api.auth import Authenticator, Principal, requires
from services.api.figures import missing
from services.api.labels import labels
from services.api.models import PageSession
from services.observability.http import error_responses, reject_unknown_query

STATIC = Path(__file__).parent / "static"
PAGE = "GET /ui/session"

# All script and style from files of our own origin; no inline script, no eval, no other
# host (a secure processing environment has no network anyway). vis-timeline positions
# its elements through style attributes, so those (and only those: no <style> element)
# are allowed; a style attribute cannot run code.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
       "style-src-attr 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def install_pages(app: FastAPI, authenticator: Authenticator, auditor: Auditor) -> None:
    app.include_router(page_router(authenticator, auditor))
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")

    @app.middleware("http")
    async def page_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path.startswith("/ui"):
            response.headers.update(HEADERS)
        return response


def page_router(authenticator: Authenticator, auditor: Auditor) -> APIRouter:
    read = requires("timeline:read", authenticator, auditor.denied)
    router = APIRouter(tags=["page"])
    names = labels()

    @router.get("/ui", include_in_schema=False)
    async def ui_root() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=308)

    @router.get("/ui/", include_in_schema=False)
    async def ui_page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @router.get(
        "/ui/session", response_model=PageSession, summary="A view of the timeline page",
        description="The page calls this for every view it shows: it checks the token, "
        "returns the actor, the code and indicator names the page uses and whether the "
        "dashboard is available, and audits the view. Audited.",
        dependencies=[Depends(reject_unknown_query)],
        responses={200: {"description": "The actor and the page's labels."},
                   **error_responses(401, 403, 422, 503)},
    )
    async def session(
        who: Annotated[Principal, Depends(read)],
        view: Annotated[Literal["login", "clients", "client", "dashboard"], Query(
            description="which view the page shows")] = "login",
        client: Annotated[str | None, Query(
            pattern=HEX32, description="the pseudonym shown, on a client view")] = None,
    ) -> PageSession:
        await auditor.record(who, "page.view", client, PAGE, "ok", view=view)
        return PageSession(actor=who.actor, labels=names, dashboard_unavailable=missing())

    return router
