"""FastAPI plumbing shared by Silta's HTTP services (the timeline query API and the HTTP
ingest gateway).

- One error shape for every status, `{"error": {"code", "message", ...}}`. Handlers never
  put a traceback or request input into a response: a path or query value that failed
  validation may be an identity code someone tried, so only its location is named.
- Prometheus request metrics labelled by the route template, never the raw path (paths
  hold pseudonyms and would make the label set unbounded), in a registry per app.
- `/health`, `/ready` and `/metrics`, unauthenticated, for the platform
  (services/observability/operations.py); `app.state.operations` holds what they report,
  for a separate plain-HTTP operations port.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.logging import get_logger
from services.observability.operations import Operations, ReadyCheck, operations_router

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

# --- errors ------------------------------------------------------------------------------


class Problem(BaseModel):
    location: str = Field(description="where: `path.pseudonym`, `query.limit`, ...")
    message: str = Field(description="what is wrong; never repeats the value sent")


class ErrorBody(BaseModel):
    code: str = Field(description="machine-readable reason, dotted, e.g. `auth.missing`, "
                                  "`json.malformed`, `client.not-found`")
    message: str = Field(description="for a human: what went wrong and what to do")
    location: str | None = Field(None, description="JSON pointer into the body, when known")
    line: int | None = Field(None, description="1-based line of a JSON syntax error")
    column: int | None = Field(None, description="1-based column of a JSON syntax error")
    problems: list[Problem] | None = Field(None, description="each invalid request parameter")
    limit: int | None = Field(None, description="the size limit in bytes, on 413")
    accepted: list[str] | None = Field(None, description="accepted media types, on 415")


class ErrorResponse(BaseModel):
    """Every error response of Silta's HTTP services has this shape."""

    error: ErrorBody


class ApiError(Exception):
    """An error answer: raise it anywhere in a request; `install_errors` renders it."""

    def __init__(self, status: int, code: str, message: str, *,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.body = ErrorBody(code=code, message=message, **extra)
        self.headers = dict(headers or {})

    @property
    def code(self) -> str:
        return self.body.code

    def response(self) -> JSONResponse:
        content = ErrorResponse(error=self.body).model_dump(exclude_none=True)
        return JSONResponse(content, self.status, headers=self.headers)


_HTTP_CODES = {404: "route.not-found", 405: "method.not-allowed"}


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http.{exc.status_code}")
    return ApiError(exc.status_code, code, str(exc.detail), headers=exc.headers).response()


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # pydantic's messages describe the constraint, not the input; `input` and `ctx` are
    # dropped because they would echo what was sent.
    problems = [Problem(location=".".join(str(part) for part in error["loc"]),
                        message=str(error["msg"])) for error in exc.errors()]
    return ApiError(422, "request.invalid", "the request has invalid parameters; see problems",
                    problems=problems).response()


async def _internal(request: Request, exc: Exception) -> Response:
    get_logger(route=_route_template(request.scope)).error(
        "unhandled error", error=type(exc).__name__)
    return ApiError(500, "internal", "internal error; it has been logged").response()


_DECLARED = "_silta_declared_query"


def _declared_query(route: Any) -> frozenset[str]:
    """Query parameter names of a route and its dependencies (computed once per route and
    kept on it: routes are not hashable)."""
    if route is None:
        return frozenset()
    if (known := getattr(route, _DECLARED, None)) is not None:
        return known  # type: ignore[no-any-return]
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is not None:
            names.update(param.alias for param in dependant.query_params)
            pending.extend(dependant.dependencies)
    declared = frozenset(names)
    setattr(route, _DECLARED, declared)
    return declared


async def reject_unknown_query(request: Request) -> None:
    """422 for query parameters an endpoint does not take: a misspelt filter (`sectors=`)
    must not silently widen a read. The offending name is not repeated (it could be
    anything, an identity code included)."""
    declared = _declared_query(request.scope.get("route"))
    if any(name not in declared for name in request.query_params):
        takes = ", ".join(sorted(declared)) or "no query parameters"
        raise ApiError(422, "request.invalid", "the request has invalid parameters; see problems",
                       problems=[Problem(location="query", message=f"unknown parameter; this "
                                         f"endpoint takes: {takes}")])


def install_errors(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _internal)


_STATUS_TEXT = {
    400: "The body or a parameter is malformed.",
    401: "No bearer token, or one that is not valid. `WWW-Authenticate: Bearer`.",
    403: "The token is valid but does not grant this.",
    404: "Not found.",
    413: "The body is larger than the configured limit.",
    415: "The Content-Type is not accepted here.",
    422: "A parameter or the content is not valid.",
    503: "A backing service is unavailable; retry later.",
}


def error_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries with the error model; `descriptions` keyed `s404=...`."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ErrorResponse,
            "description": descriptions.get(f"s{status}", _STATUS_TEXT.get(status, "Error.")),
        }
        if status == 401:
            entry["headers"] = {"WWW-Authenticate": {
                "description": "`Bearer` with the realm", "schema": {"type": "string"}}}
        if status == 503:
            entry["headers"] = {"Retry-After": {
                "description": "seconds to wait before retrying", "schema": {"type": "string"}}}
        responses[status] = entry
    return responses


def unauthorized(realm: str, code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": f'Bearer realm="{realm}"'})


# --- metrics -----------------------------------------------------------------------------


class HttpMetrics:
    """Request counters and latency of one HTTP service, in a registry of its own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests", "HTTP requests by route template and status",
                                ["service", "method", "route", "status"], namespace="silta",
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds",
                                 "Time from receiving a request to the end of its response",
                                 ["service", "method", "route"], namespace="silta",
                                 buckets=_LATENCY_BUCKETS, registry=self.registry)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


class RequestMetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware), so streamed request bodies pass through untouched."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The router records the matched route in the scope it shares with us.
            route, method = _route_template(scope), scope["method"]
            self.metrics.requests.labels(self.metrics.service, method, route, str(status)).inc()
            self.metrics.latency.labels(self.metrics.service, method, route).observe(
                time.perf_counter() - started)


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def new_app(*, title: str, description: str, version: str, metrics: HttpMetrics,
            ready_checks: Sequence[ReadyCheck], lifespan: Lifespan,
            tags: list[dict[str, str]]) -> FastAPI:
    """A FastAPI app with Silta's errors, request metrics and operations endpoints."""
    operations = Operations(metrics.registry, ready_checks)
    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan,
                  openapi_tags=[*tags, {"name": "operations",
                                        "description": "Health, readiness and metrics."}])
    install_errors(app)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.include_router(operations_router(operations))
    app.state.operations = operations
    return app
