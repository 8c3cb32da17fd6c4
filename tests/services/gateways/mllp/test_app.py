"""The gateway process: settings from the environment, checks at build time, and the HTTP
side (/health, /ready, /metrics) with the lifespan that starts and stops the listener."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from services.errors import ConfigError
from services.gateways.mllp import MllpSettings, build_server
from services.gateways.mllp.app import build_app
from tests.services.gateways.mllp.support import MllpClient, adt


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = MllpSettings()
    assert (defaults.mllp_port, defaults.mllp_source) == (2575, "hospital-adt")
    assert defaults.mllp_max_frame_bytes == 1024 * 1024 and defaults.mllp_idle_timeout == 60
    monkeypatch.setenv("SILTA_MLLP_HOST", "0.0.0.0")
    monkeypatch.setenv("SILTA_MLLP_PORT", "6661")
    monkeypatch.setenv("SILTA_MLLP_SOURCE", "other-adt")
    monkeypatch.setenv("SILTA_MLLP_MAX_FRAME_BYTES", "65536")
    monkeypatch.setenv("SILTA_MLLP_IDLE_TIMEOUT", "5")
    monkeypatch.setenv("SILTA_MLLP_MAX_CONNECTIONS", "10")
    settings = MllpSettings()
    assert (settings.mllp_host, settings.mllp_port, settings.mllp_source) == (
        "0.0.0.0", 6661, "other-adt")
    assert (settings.mllp_max_frame_bytes, settings.mllp_idle_timeout,
            settings.mllp_max_connections) == (65536, 5.0, 10)


def test_the_default_source_is_the_hospital_adt_hl7_source() -> None:
    gateway = build_server(MllpSettings())
    assert gateway.source.id == "hospital-adt" and gateway.source.format == "hl7v2"
    assert gateway.source.topic == "silta.raw.health.hospital-adt.v1"


def test_a_source_of_another_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="hospital-fhir is a fhir source"):
        build_server(MllpSettings(mllp_source="hospital-fhir"))
    with pytest.raises(ConfigError, match="unknown source"):
        build_server(MllpSettings(mllp_source="nope"))


def test_a_frame_limit_the_raw_topic_cannot_hold_is_a_config_error() -> None:
    # deploy/topics.yaml allows 2 MiB records on raw topics.
    with pytest.raises(ConfigError, match=r"max\.message\.bytes"):
        build_server(MllpSettings(mllp_max_frame_bytes=4 * 1024 * 1024))


async def test_health_ready_metrics(kafka_bootstrap: str, tmp_path: Path) -> None:
    from tests.support.pipeline import make_topics

    topics = await make_topics(kafka_bootstrap, tmp_path, partitions=1)
    app = build_app(MllpSettings(kafka_bootstrap=kafka_bootstrap, topics_file=topics.topics_file,
                                 mllp_source=topics.source_id("hl7v2"), mllp_port=0,
                                 deadletter_topic=topics.deadletter, log_json=True))
    gateway = app.state.gateway
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://gateway") as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
        ready = await http.get("/ready")
        assert ready.status_code == 200 and ready.json() == {"status": "ready", "reasons": []}
        client = await MllpClient.connect(gateway.port)
        assert (await client.request(adt("M1"))).code == "AA"
        assert (await client.request(b"not hl7")).code == "AE"
        await client.close()
        text = (await http.get("/metrics")).text
    source = topics.source_id("hl7v2")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples[("silta_mllp_acks_total",
                    (("code", "AA"), ("reason", "ok"), ("source", source)))] == 1
    assert samples[("silta_mllp_acks_total",
                    (("code", "AE"), ("reason", "hl7.segment.missing"), ("source", source)))] == 1
    assert samples[("silta_mllp_received_messages_total", (("source", source),))] == 2
    assert samples[("silta_mllp_ack_latency_seconds_count",
                    (("code", "AA"), ("source", source)))] == 1
    assert samples[("silta_mllp_received_bytes_total", (("source", source),))] > 0


async def test_not_ready_without_kafka(tmp_path: Path) -> None:
    from deploy.local.broker import free_port

    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump({
        "version": 1, "sources": [{"id": "adt-x", "sector": "health", "format": "hl7v2"}],
        "raw": {"partitions": 1}, "topics": {}}))
    app = build_app(MllpSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}", topics_file=path,
                                 mllp_source="adt-x", mllp_port=0, log_json=True))
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://gateway") as http:
        assert (await http.get("/health")).status_code == 200
        ready = await http.get("/ready")
    assert ready.status_code == 503 and ready.json()["reasons"][0].startswith("kafka:")
