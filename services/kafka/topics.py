"""Declarative topic provisioning: read `deploy/topics.yaml`, compare with the cluster, apply.

Applying is idempotent: a second run reports every topic as unchanged. Partition counts
only ever grow, and only when asked, because adding partitions to a keyed topic moves
keys between partitions and breaks per-client order for in-flight data.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.catalogue import Sector
from services.errors import ConfigError
from services.kafka.clients import Kafka, new_admin

if TYPE_CHECKING:
    from services.settings import SiltaSettings

SourceFormat = Literal["hl7v2", "fhir", "social"]


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    sector: Sector
    format: SourceFormat
    description: str = ""

    @property
    def topic(self) -> str:
        return raw_topic(self.sector, self.id)


class TopicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    partitions: int = Field(ge=1, le=10_000)
    config: dict[str, str] = Field(default_factory=dict)


class TopicsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    replication_factor: int = Field(1, ge=1)
    sources: list[SourceSpec]
    raw: TopicSpec
    topics: dict[str, TopicSpec]

    def all_topics(self) -> dict[str, TopicSpec]:
        return {**{source.topic: self.raw for source in self.sources}, **self.topics}

    def source_for_topic(self, topic: str) -> SourceSpec:
        for source in self.sources:
            if source.topic == topic:
                return source
        raise ConfigError(f"topic {topic!r} belongs to no source in the topics file")

    def source(self, source_id: str) -> SourceSpec:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources)
        raise ConfigError(f"unknown source {source_id!r}; known sources: {known}")


def raw_topic(sector: str, source_id: str) -> str:
    return f"silta.raw.{sector}.{source_id}.v1"


M = TypeVar("M", bound=BaseModel)


def load_yaml(path: Path, model: type[M], what: str) -> M:
    """A YAML file checked against `model`; errors name the file and the offending field."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc


def load_topics(settings: SiltaSettings, replication_factor: int | None = None) -> TopicsFile:
    """The topics file `settings` names, parsed and checked against the topic names the
    settings configure; errors name the file and the offending field."""
    path = settings.topics_file
    spec = load_yaml(path, TopicsFile, "topics file")
    if replication_factor is not None:
        spec = spec.model_copy(update={"replication_factor": replication_factor})
    _check_co_partitioned(spec, path, settings.events_topic, settings.timeline_topic)
    return spec


def _check_co_partitioned(spec: TopicsFile, path: Path, events: str, timeline: str) -> None:
    """The timeline service writes each entry to the partition number its event came from,
    so the events and timeline topics (as configured, whatever their names) need the same
    partition count, and a file that declares one of them must declare the other."""
    declared = {name: spec.topics.get(name) for name in (events, timeline)}
    missing = [name for name, topic in declared.items() if topic is None]
    if len(missing) == 1:
        raise ConfigError(
            f"{path}: declares {events if missing[0] == timeline else timeline} but not "
            f"{missing[0]}; the events and timeline topics (SILTA_EVENTS_TOPIC, "
            "SILTA_TIMELINE_TOPIC) are declared together, with the same partition count")
    counts = [topic.partitions for topic in declared.values() if topic is not None]
    if len(counts) == 2 and counts[0] != counts[1]:
        raise ConfigError(f"{path}: {events} and {timeline} need the same partition count "
                          f"(found {counts[0]} and {counts[1]})")


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, topics: list[str], timeout: float = 30.0
) -> None:
    """Return once every partition of `topics` has a leader, so the first send succeeds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        described = await admin.describe_topics(topics)
        if all(
            t["error_code"] == 0 and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        ):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topics without partition leaders after {timeout:.0f}s: {topics}")
        await asyncio.sleep(0.1)


Action = Literal["created", "config-changed", "partitions-increased", "unchanged", "conflict"]


@dataclass
class TopicChange:
    topic: str
    action: Action
    detail: str = ""


@dataclass
class ApplyReport:
    changes: list[TopicChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(change.action != "conflict" for change in self.changes)

    def lines(self) -> list[str]:
        return [
            f"{c.action:<21} {c.topic}" + (f"  ({c.detail})" if c.detail else "")
            for c in self.changes
        ]


async def apply_topics(
    bootstrap: Kafka,
    spec: TopicsFile,
    *,
    dry_run: bool = False,
    allow_partition_increase: bool = False,
    only: set[str] | None = None,
) -> ApplyReport:
    """Create missing topics and bring configs in line with `spec`."""
    admin = new_admin(bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        return await _apply(admin, spec, dry_run, allow_partition_increase, only)
    finally:
        await admin.close()


async def _apply(
    admin: AIOKafkaAdminClient,
    spec: TopicsFile,
    dry_run: bool,
    allow_partition_increase: bool,
    only: set[str] | None,
) -> ApplyReport:
    report = ApplyReport()
    wanted = {n: t for n, t in spec.all_topics().items() if only is None or n in only}
    existing = set(await admin.list_topics())
    missing = [name for name in wanted if name not in existing]
    present = [name for name in wanted if name in existing]

    if missing and not dry_run:
        await admin.create_topics([
            NewTopic(name, wanted[name].partitions, spec.replication_factor,
                     topic_configs=dict(wanted[name].config))
            for name in missing
        ])
        await _wait_for_leaders(admin, missing)
    report.changes += [
        TopicChange(n, "created", f"{wanted[n].partitions} partitions") for n in missing
    ]
    if not present:
        return report
    described = {t["topic"]: t for t in await admin.describe_topics(present)}
    current = await _configs(admin, present)
    for name in present:
        report.changes += await _align(admin, name, wanted[name],
                                       len(described[name]["partitions"]),
                                       current.get(name, {}), dry_run, allow_partition_increase)
    return report


async def _configs(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, dict[str, str]]:
    """Each topic's current config."""
    configs = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
    )
    current: dict[str, dict[str, str]] = {}
    for response in configs:
        for resource in response.resources:
            # resource: (error_code, error_message, type, name, [config entries])
            current[resource[3]] = {entry[0]: entry[1] for entry in resource[4]}
    return current


async def _align(admin: AIOKafkaAdminClient, name: str, want: TopicSpec, have_partitions: int,
                 have_config: dict[str, str], dry_run: bool,
                 allow_partition_increase: bool) -> list[TopicChange]:
    """Bring one existing topic in line with the file: grow it when allowed, never shrink
    it, and set the config entries that differ."""
    changes: list[TopicChange] = []
    if have_partitions > want.partitions:
        return [TopicChange(
            name, "conflict",
            f"has {have_partitions} partitions, file says {want.partitions}; "
            "Kafka cannot shrink a topic",
        )]
    if have_partitions < want.partitions:
        if not allow_partition_increase:
            return [TopicChange(
                name, "conflict",
                f"has {have_partitions} partitions, file says {want.partitions}; growing "
                "moves keys between partitions, rerun with --allow-partition-increase",
            )]
        if not dry_run:
            await admin.create_partitions({name: NewPartitions(want.partitions)})
        changes.append(TopicChange(
            name, "partitions-increased", f"{have_partitions} -> {want.partitions}"))
    drift = {k: v for k, v in want.config.items() if have_config.get(k) != v}
    if drift:
        if not dry_run:
            await admin.alter_configs([
                ConfigResource(ConfigResourceType.TOPIC, name, configs=dict(want.config))
            ])
        changed = [f"{k}={v}" for k, v in sorted(drift.items())]
        changes.append(TopicChange(name, "config-changed", ", ".join(changed)))
    elif have_partitions == want.partitions:
        changes.append(TopicChange(name, "unchanged"))
    return changes
