"""A broker that goes away and comes back: AR while it is gone, AA again once it is back,
with nothing stored twice that was answered AA once. Runs its own broker (deploy/local)
because the session broker is shared."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.broker import LocalKafka, free_port
from services.kafka.topics import apply_topics, load_topics
from services.settings import SiltaSettings
from tests.services.gateways.mllp.conftest import StartGateway, settings_for
from tests.services.gateways.mllp.support import MllpClient, adt
from tests.support.pipeline import read_all

pytestmark = [pytest.mark.slow, pytest.mark.kafka]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    if shutil.which("java") is None:
        pytest.skip("needs Java to run a broker of its own (deploy/local)")
    broker = LocalKafka(port=free_port(), run_dir=tmp_path / "kafka")
    broker.up()
    yield broker
    broker.down()


async def test_ar_while_kafka_is_down_and_aa_when_it_is_back(
        own_broker: LocalKafka, start_gateway: StartGateway, tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text("version: 1\nsources: [{id: adt-outage, sector: health, format: hl7v2}]\n"
                    "raw: {partitions: 1}\ntopics: {}\n")
    spec = load_topics(SiltaSettings(topics_file=path))
    await apply_topics(own_broker.bootstrap, spec)
    gateway = await start_gateway(settings_for(
        own_broker.bootstrap, path, "adt-outage", mllp_send_timeout=2.0,
        mllp_kafka_retry_interval=0.2))
    client = await MllpClient.connect(gateway.port)
    assert (await client.request(adt("UP1"))).code == "AA"

    await asyncio.to_thread(own_broker.down, True)
    started = time.monotonic()
    down = await client.request(adt("DOWN1"))
    assert (down.code, down.control_id) == ("AR", "DOWN1")
    assert down.error_code in {"kafka.timeout", "kafka.unavailable"}
    assert time.monotonic() - started < 4

    await asyncio.to_thread(own_broker.up)
    deadline = time.monotonic() + 60
    while (retry := await client.request(adt("DOWN1"))).code != "AA":  # the sender retries
        assert retry.code == "AR" and time.monotonic() < deadline
        await asyncio.sleep(0.5)
    assert (await client.request(adt("UP2"))).code == "AA"

    # Stopping while the broker is away returns: records it never confirmed were
    # answered AR, so they are dropped rather than waited for.
    await asyncio.to_thread(own_broker.down, True)
    assert (await client.request(adt("DOWN2"))).code == "AR"
    started = time.monotonic()
    await asyncio.wait_for(gateway.stop(), 30)
    assert time.monotonic() - started < 15
    await client.close()
    await asyncio.to_thread(own_broker.up)
    records = await read_all(own_broker.bootstrap, spec.sources[0].topic, expected=3, settle=1)
    keys = [r.key for r in records]
    assert keys[0] == b"UP1" and b"UP2" in keys and b"DOWN1" in keys
    assert keys.count(b"UP1") == keys.count(b"UP2") == 1
