"""Running the HTTP ingest gateway in tests: settings on per-test topics, the app with its
lifespan, and an httpx client on it (in process, no socket)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.gateways.http.app import build_app
from services.gateways.http.settings import HttpIngestSettings
from services.kafka.clients import Kafka, connection
from tests.support.pipeline import PipelineTopics

DATA = Path(__file__).resolve().parents[3] / "data"
FHIR_ENCOUNTER = (DATA / "fhir" / "encounter-started.json").read_bytes()
FHIR_BUNDLE = (DATA / "fhir" / "bundle-collection.json").read_bytes()
SOCIAL_SERVICE = (DATA / "social" / "service-started.json").read_bytes()


class Tokens:
    def __init__(self, topics: PipelineTopics) -> None:
        self.fhir_source = topics.source_id("fhir")
        self.social_source = topics.source_id("social")
        self.hl7_source = topics.source_id("hl7v2")
        self.fhir = secrets.token_hex(16)
        self.social = secrets.token_hex(16)

    def settings(self) -> dict[str, Any]:
        return {"http_tokens": {self.fhir_source: self.fhir, self.social_source: self.social}}


def gateway_settings(kafka: Kafka, topics: PipelineTopics, tokens: Tokens,
                     **extra: Any) -> HttpIngestSettings:
    values: dict[str, Any] = {
        **connection(kafka).as_settings(), "topics_file": topics.topics_file, "log_json": True,
        "http_kafka_timeout_s": 10.0, **tokens.settings(), **extra,
    }
    return HttpIngestSettings(**values)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@asynccontextmanager
async def gateway(settings: HttpIngestSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(build_app(settings)) as client:
        yield client
