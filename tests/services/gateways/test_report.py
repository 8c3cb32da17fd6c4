"""`silta contracts report`: a vendor's traffic through the real MLLP gateway (served by
uvicorn, /metrics scraped over HTTP) and the real dead-letter topic, summarised per source."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app as cli
from services.gateways.mllp.app import build_app
from tests.services.api.support import served
from tests.services.gateways.mllp.conftest import settings_for
from tests.services.gateways.mllp.support import MllpClient, adt
from tests.support.pipeline import PipelineTopics, make_topics, read_all


@pytest.fixture
async def topics(kafka_bootstrap: str, tmp_path: Path) -> PipelineTopics:
    return await make_topics(kafka_bootstrap, tmp_path, partitions=1)


async def test_report_counts_accepted_rejected_and_dead_lettered_per_source(
        kafka_bootstrap: str, topics: PipelineTopics, monkeypatch: pytest.MonkeyPatch) -> None:
    source = topics.source_id("hl7v2")
    settings = settings_for(kafka_bootstrap, topics.topics_file, source,
                            deadletter_topic=topics.deadletter)
    mllp = build_app(settings)
    async with served(mllp) as base:
        client = await MllpClient.connect(mllp.state.gateway.port)
        codes = [(await client.request(message)).code for message in (
            adt("R1", 1), adt("R2", 2), adt("R3", 3, hetu="010180-9001"),
            adt("R4", 4, hetu="010180-9002"), adt("R5", 5, trigger="Z99"), b"")]
        await client.close()
        assert codes == ["AA", "AA", "AE", "AE", "AE", "AE"]
        await read_all(kafka_bootstrap, topics.deadletter, expected=3, settle=0.3)
        for name, value in (("SILTA_KAFKA_BOOTSTRAP", kafka_bootstrap),
                            ("SILTA_TOPICS_FILE", str(topics.topics_file)),
                            ("SILTA_DEADLETTER_TOPIC", topics.deadletter)):
            monkeypatch.setenv(name, value)
        result = await asyncio.to_thread(CliRunner().invoke, cli, [
            "contracts", "report", "--source", source, "--since", "1h",
            "--metrics", f"{base}/metrics", "--format", "json"])
        text = await asyncio.to_thread(CliRunner().invoke, cli, [
            "contracts", "report", "--metrics", f"{base}/metrics"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [entry] = report["sources"]
    assert (entry["source"], entry["accepted"]) == (source, 2)
    assert entry["rejected"] == [{"code": "hl7.trigger.unsupported", "count": 1},
                                 {"code": "identity.invalid", "count": 2},
                                 {"code": "mllp.frame.empty", "count": 1}]
    assert entry["dead_lettered"] == [
        {"stage": "mllp-gateway", "code": "hl7.trigger.unsupported", "location": "MSH-9",
         "count": 1},
        {"stage": "mllp-gateway", "code": "identity.invalid", "location": "PID-3[1].1",
         "count": 2}]
    assert report["metrics_unreachable"] == []
    assert text.exit_code == 0 and f"{source} (hl7v2): accepted 2, rejected 4" in text.stdout
    assert "identity.invalid at PID-3[1].1 [mllp-gateway]" in text.stdout
