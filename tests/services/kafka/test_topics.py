"""Topic provisioning: file errors are precise; applying twice changes nothing the second time."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient

from services.errors import ConfigError
from services.kafka.topics import TopicsFile, apply_topics, load_topics
from services.settings import DEFAULT_TOPICS_FILE, SiltaSettings


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _load(path: Path, **names: Any) -> TopicsFile:
    return load_topics(SiltaSettings(topics_file=path, **names))


def test_shipped_file_declares_a_raw_topic_per_source_and_the_core_topics() -> None:
    spec = _load(DEFAULT_TOPICS_FILE)
    names = set(spec.all_topics())
    assert {"silta.events.v1", "silta.timeline.v1", "silta.deadletter.v1"} <= names
    for source in spec.sources:
        assert source.topic == f"silta.raw.{source.sector}.{source.id}.v1"
        assert source.topic in names


def test_error_names_the_file_and_the_field(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_TOPICS_FILE.read_text())
    data["topics"]["silta.deadletter.v1"]["partitions"] = 0
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError, match=r"topics\.yaml: topics\.silta\.deadletter\.v1\.partitions"):
        _load(path)


def test_events_and_timeline_must_share_a_partition_count(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_TOPICS_FILE.read_text())
    data["topics"]["silta.timeline.v1"]["partitions"] = 3
    with pytest.raises(ConfigError, match="same partition count"):
        _load(_write(tmp_path, data))


def _renamed(partitions: int = 6) -> dict:
    """The shipped file with the events and timeline topics renamed (a key rotation does
    that: deploy/RUNBOOK.md)."""
    data = yaml.safe_load(DEFAULT_TOPICS_FILE.read_text())
    topics = data["topics"]
    topics["silta.events.k2.v1"] = topics.pop("silta.events.v1")
    topics["silta.timeline.k2.v1"] = topics.pop("silta.timeline.v1")
    topics["silta.timeline.k2.v1"]["partitions"] = partitions
    return data


K2 = {"events_topic": "silta.events.k2.v1", "timeline_topic": "silta.timeline.k2.v1"}


def test_renamed_events_and_timeline_topics_are_checked_under_their_configured_names(
        tmp_path: Path) -> None:
    assert set(_load(_write(tmp_path, _renamed()), **K2).topics) >= set(K2.values())
    with pytest.raises(ConfigError, match=r"silta\.events\.k2\.v1 and silta\.timeline\.k2\.v1 "
                       "need the same partition count"):
        _load(_write(tmp_path, _renamed(partitions=3)), **K2)


def test_a_file_declaring_only_one_of_the_configured_pair_is_refused(tmp_path: Path) -> None:
    data = _renamed()
    del data["topics"]["silta.timeline.k2.v1"]
    with pytest.raises(ConfigError, match=r"declares silta\.events\.k2\.v1 but not "
                       r"silta\.timeline\.k2\.v1"):
        _load(_write(tmp_path, data), **K2)


def test_unreadable_and_non_yaml_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        _load(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        _load(bad)


@pytest.mark.kafka
async def test_apply_is_idempotent_and_reports_drift(kafka_bootstrap: str, tmp_path: Path) -> None:
    suffix = uuid.uuid4().hex[:8]
    data = {
        "version": 1,
        "sources": [{"id": f"src-{suffix}", "sector": "health", "format": "hl7v2"}],
        "raw": {"partitions": 3, "config": {"retention.ms": "3600000"}},
        "topics": {f"test.core.{suffix}": {"partitions": 2, "config": {"cleanup.policy": "delete"}}},
    }
    spec = _load(_write(tmp_path, data))
    names = set(spec.all_topics())

    first = await apply_topics(kafka_bootstrap, spec, only=names)
    assert {c.topic: c.action for c in first.changes} == dict.fromkeys(names, "created")
    second = await apply_topics(kafka_bootstrap, spec, only=names)
    assert {c.action for c in second.changes} == {"unchanged"}

    data["raw"]["config"]["retention.ms"] = "7200000"
    data["topics"][f"test.core.{suffix}"]["partitions"] = 1
    third = await apply_topics(kafka_bootstrap, _load(_write(tmp_path, data)), only=names)
    actions = {c.topic: c.action for c in third.changes}
    assert actions[f"silta.raw.health.src-{suffix}.v1"] == "config-changed"
    assert actions[f"test.core.{suffix}"] == "conflict"
    assert not third.ok

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(list(names))}
        assert described == {f"silta.raw.health.src-{suffix}.v1": 3, f"test.core.{suffix}": 2}
        await admin.delete_topics(list(names))
    finally:
        await admin.close()
