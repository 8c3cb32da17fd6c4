"""What platform teams touch: /health, /ready and /metrics of running services, and the
dead-letter triage commands, against a real broker."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.local.processes import ServiceProcess
from tests.services.test_pipeline import HETU, send
from tests.support.messages import SourceMessage, expected_timeline, person_messages
from tests.support.pipeline import (
    ingest_settings,
    make_topics,
    read_all,
    timeline_settings,
    wait_for,
)

pytestmark = pytest.mark.kafka


async def test_services_report_health_readiness_and_metrics(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    messages = [*person_messages(HETU), SourceMessage("fhir", "junk", b"{oops")]
    expected = expected_timeline(messages, topics)
    ingest = ServiceProcess("ingest", ingest_settings(kafka_bootstrap, topics), tmp_path, "ingest")
    timeline = ServiceProcess("timeline", timeline_settings(
        kafka_bootstrap, topics, f"sqlite:///{tmp_path}/t.sqlite3"), tmp_path, "timeline")
    with ingest, timeline:
        await send(kafka_bootstrap, topics, messages)
        await read_all(kafka_bootstrap, topics.timeline, expected=len(expected.entry_ids))
        async with httpx.AsyncClient(timeout=5) as client:
            async def ready(process: ServiceProcess) -> bool:
                try:
                    return (await client.get(f"http://127.0.0.1:{process.port}/ready")
                            ).status_code == 200
                except httpx.HTTPError:
                    return False

            for process in (ingest, timeline):
                assert await wait_for(lambda p=process: ready(p), timeout=30), process.log()[-2000:]
                health = await client.get(f"http://127.0.0.1:{process.port}/health")
                assert health.status_code == 200
            ingest_metrics = (await client.get(f"http://127.0.0.1:{ingest.port}/metrics")).text
            timeline_metrics = (await client.get(f"http://127.0.0.1:{timeline.port}/metrics")).text

    def value(text: str, name: str, *labels: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name) and all(label in line for label in labels))

    assert value(ingest_metrics, "silta_consumed_records_total", 'service="ingest"') == len(messages)
    assert value(ingest_metrics, "silta_deadlettered_records_total", 'code="json.malformed"') == 1
    assert value(timeline_metrics, "silta_produced_records_total", topics.timeline) \
        == len(expected.entry_ids)
    assert value(timeline_metrics, "silta_policy_dropped_records_total") == expected.dropped
    assert "silta_consumer_lag_records" in timeline_metrics
    assert "silta_batch_processing_seconds_bucket" in timeline_metrics
    assert HETU not in ingest_metrics + timeline_metrics


def expected_code(message: SourceMessage) -> str:
    from adapters.base import SourceInfo
    from adapters.errors import TranslationError
    from adapters.registry import translator

    try:
        translator(message.fmt)(message.payload, SourceInfo("x", "health", dt.datetime.now(dt.UTC)))
    except TranslationError as error:
        return error.code
    raise AssertionError(f"{message.name} translated")


async def test_dead_letter_commands_list_show_and_redrive(
        kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    poison = [SourceMessage("hl7v2", "no-pid", b"MSH|^~\\&|A|B|C|D|20250101||ADT^A01|X1|P|2.5\r"),
              SourceMessage("fhir", "junk", b"{oops")]
    await send(kafka_bootstrap, topics, poison)
    from services.ingest.app import build_app

    async with build_app(ingest_settings(kafka_bootstrap, topics)):
        await read_all(kafka_bootstrap, topics.deadletter, expected=2)
    monkeypatch.setenv("SILTA_KAFKA_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("SILTA_DEADLETTER_TOPIC", topics.deadletter)
    runner = CliRunner()
    listed = await asyncio.to_thread(runner.invoke, app, ["deadletter", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    letters = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(letter["code"] for letter in letters) == sorted(
        expected_code(m) for m in poison)
    shown = await asyncio.to_thread(runner.invoke, app, ["deadletter", "show", letters[0]["id"]])
    assert shown.exit_code == 0 and "source-topic:" in shown.stdout
    assert "MSH|" not in shown.stdout and "oops" not in shown.stdout, "payload only on request"
    refused = await asyncio.to_thread(runner.invoke, app, ["deadletter", "redrive"])
    assert refused.exit_code == 2
    redriven = await asyncio.to_thread(runner.invoke, app, ["deadletter", "redrive", "--code",
                                                            "json.malformed"])
    assert redriven.exit_code == 0 and "redriven 1" in redriven.stdout
    again = await read_all(kafka_bootstrap, topics.raw("fhir"), expected=2, timeout=10)
    assert [r.value for r in again] == [b"{oops", b"{oops"]
    assert dict(again[1].headers)["silta-redriven-from"] == letters[[
        letter["code"] for letter in letters].index("json.malformed")]["id"].encode()
