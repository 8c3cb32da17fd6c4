"""Least privilege, proven on the secured broker: each principal of deploy/acls.yaml can do
its job and nothing else; `silta acls apply` is idempotent and `check` sees drift."""

from __future__ import annotations

import asyncio
import re
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml
from aiokafka.admin import NewTopic
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError
from aiokafka.protocol.admin import CreateAclsRequest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from services.cli.main import app
from services.errors import ConfigError
from services.kafka.acls import (
    AclsFile,
    Binding,
    Operation,
    Pattern,
    Resource,
    apply_acls,
    load_acls,
)
from services.kafka.clients import Kafka, new_admin, new_consumer, new_producer
from services.kafka.reading import partitions_of
from services.kafka.topics import load_topics
from services.settings import DEFAULT_TOPICS_FILE, SiltaSettings
from tests.support.broker import SecureBroker

SPEC = load_topics(SiltaSettings(topics_file=DEFAULT_TOPICS_FILE))
TOPICS = SPEC.all_topics()
TIMELINE, EVENTS = "silta.timeline.v1", "silta.events.v1"
RAW = sorted(t for t in TOPICS if t.startswith("silta.raw."))
# Who puts the one record into each topic that the read checks look for.
SEEDER = {**dict.fromkeys(RAW, "operator"), EVENTS: "ingest", TIMELINE: "timeline",
          "silta.deadletter.v1": "ingest"}


async def can_write(kafka: Kafka, topic: str) -> bool:
    producer = new_producer(kafka, request_timeout_ms=10000)
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"probe"), 30)
        return True
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()


async def can_read(kafka: Kafka, topic: str) -> bool:
    """True when the record seeded into `topic` arrives; False when the broker refuses."""
    # A principal that may not even describe the topic is refused before any fetch: the
    # broker leaves the topic out of the metadata it shows that principal.
    tps = await partitions_of(kafka, topic)
    if not tps:
        return False
    assert len(tps) == TOPICS[topic].partitions, topic
    consumer = new_consumer(kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        for _ in range(40):
            try:
                batch = await consumer.getmany(timeout_ms=500)
            except TopicAuthorizationFailedError:  # may describe, may not read
                return False
            if any(batch.values()):
                return True
        raise AssertionError(f"{topic}: neither a record nor a refusal in 20 s")
    finally:
        await consumer.stop()


def test_every_source_has_a_vendor_principal_writing_only_its_raw_topic() -> None:
    spec = load_acls()
    for source in SPEC.sources:
        vendor = spec.principals[f"vendor-{source.id}"]
        assert vendor.write == [source.topic] and not vendor.read and not vendor.cluster


def test_grants_become_kafka_bindings() -> None:
    spec = AclsFile.model_validate({"version": 1, "principals": {"ingest": {
        "read": ["silta.raw.*"], "groups": ["silta-ingest"], "cluster": ["Describe"]}}})
    assert sorted(map(str, spec.bindings())) == [
        "User:ingest DESCRIBE CLUSTER kafka-cluster", "User:ingest DESCRIBE TOPIC silta.raw.*",
        "User:ingest READ GROUP silta-ingest", "User:ingest READ TOPIC silta.raw.*"]
    assert {b.name: b.pattern for b in spec.bindings()} == {
        "silta.raw.": Pattern.PREFIXED, "silta-ingest": Pattern.LITERAL,
        "kafka-cluster": Pattern.LITERAL}


@pytest.mark.parametrize(("text", "where"), [
    ("version: 1\nprincipals: {ingest: {read: ['silta events']}}", "principals.ingest.read.0"),
    ("version: 1\nprincipals: {'User:x': {}}", "principals.User:x"),
    ("version: 1\nprincipals: {ingest: {reed: [a]}}", "principals.ingest.reed"),
    ("version: 2\nprincipals: {}", "version"),
])
def test_a_bad_acls_file_names_the_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "acls.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(f"{path}: {where}")):
        load_acls(path)


@pytest.fixture(scope="module")
def seeded(secure_kafka: SecureBroker) -> SecureBroker:
    async def seed() -> None:
        for topic, principal in SEEDER.items():
            assert await can_write(secure_kafka.as_(principal), topic), (principal, topic)

    asyncio.run(seed())
    return secure_kafka


async def test_the_evaluator_reads_the_timeline_and_nothing_else(seeded: SecureBroker) -> None:
    evaluator = seeded.as_("evaluator")
    assert await can_read(evaluator, TIMELINE)
    refused = [t for t in SEEDER if t != TIMELINE and not await can_read(evaluator, t)]
    assert refused == [t for t in SEEDER if t != TIMELINE]
    assert not await can_write(evaluator, TIMELINE)


async def test_the_auditor_reads_what_verify_balances_and_writes_nothing(
        seeded: SecureBroker) -> None:
    auditor = seeded.as_("auditor")
    assert [t for t in SEEDER if not await can_read(auditor, t)] == []
    assert [t for t in (RAW[0], EVENTS, TIMELINE) if await can_write(auditor, t)] == []


@pytest.mark.parametrize("source", [s.id for s in SPEC.sources])
async def test_a_vendor_writes_only_its_own_raw_topic(seeded: SecureBroker, source: str) -> None:
    vendor = seeded.as_(f"vendor-{source}")
    allowed = [t for t in [*RAW, EVENTS, TIMELINE] if await can_write(vendor, t)]
    assert allowed == [t for t in RAW if f".{source}." in t]
    assert not await can_read(vendor, allowed[0])


async def test_ingest_reads_raw_records_but_not_the_timeline(seeded: SecureBroker) -> None:
    ingest = seeded.as_("ingest")
    assert await can_read(ingest, RAW[0])
    assert not await can_read(ingest, TIMELINE)


async def test_only_the_operator_creates_topics_or_acls(seeded: SecureBroker) -> None:
    extra = AclsFile.model_validate({"version": 1, "principals": {
        "evaluator": {"read": [TIMELINE, EVENTS]}}})
    for principal in seeded.acls.principals:
        if principal == "operator":
            continue
        admin = new_admin(seeded.as_(principal))
        await admin.start()
        try:
            response = await admin.create_topics([NewTopic(f"silta.x-{uuid.uuid4().hex[:8]}", 1, 1)])
            assert [error for _, error, *_ in response.topic_errors] == [
                TopicAuthorizationFailedError.errno], principal
        finally:
            await admin.close()
        with pytest.raises(ClusterAuthorizationFailedError):
            await apply_acls(seeded.as_(principal), extra)

    admin = new_admin(seeded.as_("operator"))
    await admin.start()
    try:
        name = f"silta.x-{uuid.uuid4().hex[:8]}"
        response = await admin.create_topics([NewTopic(name, 1, 1)])
        assert [error for _, error, *_ in response.topic_errors] == [0]
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def test_apply_is_idempotent_and_reports_what_it_changed(seeded: SecureBroker) -> None:
    operator, spec = seeded.as_("operator"), seeded.acls
    again = await apply_acls(operator, spec)
    assert (again.created, again.removed, again.unchanged) == ([], [], len(spec.bindings()))

    grown = await apply_acls(operator, _evaluator_also_reads_events(spec))
    assert [str(b) for b in grown.created] == [
        f"User:evaluator READ TOPIC {EVENTS}", f"User:evaluator DESCRIBE TOPIC {EVENTS}"]
    try:
        assert await can_read(seeded.as_("evaluator"), EVENTS)
        drift = await apply_acls(operator, spec, dry_run=True)
        assert drift.removed == grown.created and drift.created == []
    finally:
        shrunk = await apply_acls(operator, spec)
    assert shrunk.removed == grown.created and not shrunk.created
    assert not await can_read(seeded.as_("evaluator"), EVENTS)


async def test_an_acl_the_file_does_not_make_is_drift_and_removed(seeded: SecureBroker) -> None:
    # What a hand-made grant looks like: one host only, beside the file's.
    stray = Binding(Resource.TOPIC, EVENTS, Pattern.LITERAL, "User:evaluator", Operation.READ,
                    host="10.0.0.1")
    admin = new_admin(seeded.kafka.connection)
    await admin.start()
    try:
        response = await admin._send_request(CreateAclsRequest(
            stray.resource, stray.name, stray.pattern, stray.principal, stray.host,
            stray.operation, stray.permission))
        assert [code for code, _ in response.creation_responses] == [0]
    finally:
        await admin.close()
    report = await apply_acls(seeded.as_("operator"), seeded.acls)
    assert report.removed == [stray] and not report.created
    assert str(stray).endswith("(ALLOW from 10.0.0.1)")


def test_acls_check_reports_drift_and_changes_nothing(
        seeded: SecureBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in seeded.kafka.client_env("operator", seeded.kafka.cafile).items():
        monkeypatch.setenv(name, value)
    clean = CliRunner().invoke(app, ["acls", "check"])
    assert clean.exit_code == 0 and "0 missing, 0 extra" in clean.output, clean.output

    wider = tmp_path / "acls.yaml"
    wider.write_text(yaml.safe_dump(
        _evaluator_also_reads_events(seeded.acls).model_dump(mode="json")))
    monkeypatch.setenv("SILTA_ACLS_FILE", str(wider))
    for _ in range(2):  # check never applies: the drift is still there the second time
        drift = CliRunner().invoke(app, ["acls", "check"])
        assert drift.exit_code == 1, drift.output
        assert f"missing  User:evaluator READ TOPIC {EVENTS}" in drift.output


def _evaluator_also_reads_events(spec: AclsFile) -> AclsFile:
    evaluator = spec.principals["evaluator"]
    return spec.model_copy(update={"principals": {
        **spec.principals,
        "evaluator": evaluator.model_copy(update={"read": [*evaluator.read, EVENTS]})}})


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(
    lambda b: b.decode("latin-1")), st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
            st.sampled_from(["version", "principals", "ingest", "read", "cluster", "x"]),
            inner, max_size=4), max_leaves=20).map(yaml.safe_dump)))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_acls_file_loads_or_names_its_problem(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "acls.yaml"
        path.write_text(text, errors="surrogateescape")
        try:
            spec = load_acls(path)
        except ConfigError as exc:
            assert str(path) in str(exc)
        else:
            assert all(b.principal.startswith("User:") for b in spec.bindings())
