"""`backend`: Kafka in memory, and again the real broker, for suites written once
(test_stage.py, test_transactions.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.transactional import Backend, KafkaBackend, MemoryBackend


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    chosen: Backend = (MemoryBackend() if request.param == "memory"
                       else KafkaBackend(request.getfixturevalue("kafka_bootstrap")))
    yield chosen
    await chosen.close()
