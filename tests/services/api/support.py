"""A seeded timeline store and the query API on it, for the API tests."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from contracts.timeline import Code, TimelineEntry, Value
from services.api.app import build_app
from services.api.settings import ApiSettings
from services.logging import configure_logging
from services.timeline.store import open_store
from tests.support.serving import serving

CLIENT_A = "a1" * 16  # both sectors, with an amendment and a retraction
CLIENT_B = "b2" * 16  # health only
CLIENT_C = "c3" * 16  # social only
UNKNOWN = "d4" * 16
T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))

READER = secrets.token_hex(16)
AUDITOR = secrets.token_hex(16)
ADMIN = secrets.token_hex(16)
TOKENS = {
    READER: {"actor": "evaluator:team-a", "scopes": ["timeline:read"]},
    AUDITOR: {"actor": "auditor:dpo", "scopes": ["audit:read"]},
    ADMIN: {"actor": "ops:admin", "scopes": ["timeline:read", "audit:read"]},
}


def entry_id(client: str, n: int) -> str:
    return f"{client[:8]}{n:024x}"


def entry(client: str, n: int, sector: str, kind: str, *, status: str = "active",
          corrects: int | None = None, **extra: Any) -> TimelineEntry:
    return TimelineEntry(
        entry_id=entry_id(client, n), client=client, key_version="k1", sequence=n,
        sector=sector, kind=kind, event_type=f"fi.silta.{sector}.{kind}.v1",
        resource_type="Encounter" if sector == "health" else "ServiceRequest", status=status,
        corrects=entry_id(client, corrects) if corrects else None,
        occurred_at=T0 + dt.timedelta(days=n), recorded_at=T0 + dt.timedelta(days=n, hours=1),
        codes=[Code(system="urn:oid:1.2.246.537.6.1", code="F10.2")],
        source_ref=f"{n:032x}", **extra,
    )


def seed_entries() -> list[TimelineEntry]:
    a, b, c = CLIENT_A, CLIENT_B, CLIENT_C
    return [
        entry(a, 1, "health", "encounter.started", organisation="1.2.246.10.1234567.10.0"),
        entry(a, 2, "social", "notification.received", episode="e" * 32,
              service_task=Code(system="urn:oid:1.2.246.537.6.1221", code="22")),
        entry(a, 3, "health", "record.amended", status="amended", corrects=1),
        entry(a, 4, "social", "service.started", security_labels=["TURVAKIELTO"]),
        entry(a, 5, "health", "diagnosis.recorded", record_status="final"),
        entry(a, 6, "social", "record.entered-in-error", status="retracted", corrects=4),
        entry(a, 7, "social", "outcome-measure.recorded",
              value=Value(number=6.5, unit="{score}")),
        *(entry(b, n, "health", "observation.recorded",
                value=Value(code=Code(system="http://loinc.org", code="8867-4")))
          for n in (1, 2, 3)),
        entry(c, 1, "social", "client-relationship.opened"),
    ]


A_CURRENT = [2, 3, 5, 7]  # 1 superseded by 3; 4 retracted by 6


async def seeded_store_url(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/timeline.sqlite3"
    else:
        server = request.getfixturevalue("postgres_url")
        name = f"api_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = server.rsplit("/", 1)[0] + f"/{name}"
    store = open_store(url)
    await store.open()
    try:
        await store.upsert(seed_entries())
    finally:
        await store.close()
    return url


def api_settings(store_url: str, **extra: Any) -> ApiSettings:
    values: dict[str, Any] = {"store_url": store_url, "api_tokens": json.dumps(TOKENS),
                              "log_json": True, **extra}
    return ApiSettings(**values)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            yield client


@asynccontextmanager
async def api(store_url: str, **extra: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with running(build_app(api_settings(store_url, **extra))) as client:
        yield client


class Deferred:
    """An ASGI app whose target is set later: schemathesis needs the schema (and an app)
    when the test module is imported, the real app needs fixtures (a seeded store, the
    broker). The OpenAPI document does not depend on what the fixtures provide."""

    def __init__(self, schema_source: FastAPI) -> None:
        self.schema_source = schema_source
        self.target: FastAPI | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "the fixture that builds the app has not run"
        await self.target(scope, receive, send)


@contextmanager
def logs_captured(capsys: pytest.CaptureFixture[str],
                  caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Around a test that builds an app while `capsys` captures: the app binds its log
    output to the captured stderr, which closes after the test; rebind it afterwards so
    later log lines do not go to a closed file. The test's own HTTP client (httpx) logs
    every URL it requests; that is the test talking, not a service, so it is quiet."""
    caplog.set_level(logging.WARNING, logger="httpx")
    try:
        yield
    finally:
        with capsys.disabled():
            configure_logging("INFO", json=True)


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` under uvicorn on a real loopback port, as `silta serve` runs it; yields the
    base URL."""
    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}"
