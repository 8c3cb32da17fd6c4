"""Fixtures for the MLLP gateway tests: settings on per-test topics, and gateways that are
stopped after the test whatever happens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.local.broker import free_port
from services.gateways.mllp import MllpGateway, MllpSettings, build_server
from tests.support.pipeline import PipelineTopics, make_topics

StartGateway = Callable[[MllpSettings], Awaitable[MllpGateway]]


def settings_for(bootstrap: str, topics_file: Path, source: str, **extra: Any) -> MllpSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap": bootstrap, "topics_file": topics_file, "mllp_source": source,
        "mllp_host": "127.0.0.1", "mllp_port": 0, "log_json": True, **extra,
    }
    return MllpSettings(**values)


@pytest.fixture
async def topics(kafka_bootstrap: str, tmp_path: Path) -> PipelineTopics:
    return await make_topics(kafka_bootstrap, tmp_path, partitions=3)


@pytest.fixture
def settings(kafka_bootstrap: str, topics: PipelineTopics) -> MllpSettings:
    return settings_for(kafka_bootstrap, topics.topics_file, topics.source_id("hl7v2"),
                        deadletter_topic=topics.deadletter)


@pytest.fixture
def offline_settings(tmp_path: Path) -> MllpSettings:
    """Settings whose Kafka bootstrap is a port where nothing listens."""
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "sources": [{"id": "adt-offline", "sector": "health", "format": "hl7v2"}],
        "raw": {"partitions": 1}, "topics": {},
    }))
    return settings_for(f"127.0.0.1:{free_port()}", path, "adt-offline",
                        mllp_send_timeout=1.0, mllp_kafka_retry_interval=0.2)


@pytest.fixture
async def start_gateway() -> AsyncIterator[StartGateway]:
    started: list[MllpGateway] = []

    async def start(settings: MllpSettings) -> MllpGateway:
        gateway = build_server(settings)
        await gateway.start()
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        await gateway.stop()


@pytest.fixture
async def gateway(start_gateway: StartGateway, settings: MllpSettings) -> MllpGateway:
    return await start_gateway(settings)
