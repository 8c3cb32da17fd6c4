"""`silta run`: Silta on embedded defaults, in one command."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Annotated

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from deploy.local.broker import LocalKafka
from services.kafka.topics import apply_topics, load_topics
from services.settings import SiltaSettings

app = typer.Typer()


@app.command()
def run(
    demo: Annotated[bool, typer.Option(help="feed demo traffic and print a result")] = False,
    kafka_port: Annotated[int, typer.Option(envvar="SILTA_KAFKA_PORT")] = 9092,
) -> None:
    """Start Silta: a local broker when none is configured, then topics and services."""
    settings = SiltaSettings()
    local: LocalKafka | None = None
    if "SILTA_KAFKA_BOOTSTRAP" not in os.environ:
        local = LocalKafka(port=kafka_port)
        already = local.pid() is not None
        typer.echo(f"[1/3] local Apache Kafka {local.version} on {local.bootstrap} ...")
        seconds = local.up()
        typer.echo(f"      ready in {seconds:.1f}s")
        bootstrap = local.bootstrap
        if already:
            local = None  # someone else started it; leave it running
    else:
        bootstrap = settings.kafka_bootstrap
        typer.echo(f"[1/3] Kafka at {bootstrap}")
    try:
        spec = load_topics(settings.topics_file)
        report = asyncio.run(apply_topics(bootstrap, spec))
        typer.echo(f"[2/3] topics: {len(report.changes)} checked, "
                   f"{sum(c.action == 'created' for c in report.changes)} created")
        if demo:
            topic = spec.sources[0].topic
            echoed = asyncio.run(_round_trip(bootstrap, topic))
            typer.echo(f"[3/3] produced to {topic} and read back: {echoed}")
    finally:
        if local is not None:
            local.down()


async def _round_trip(bootstrap: str, topic: str) -> str:
    marker = f"silta-demo-{uuid.uuid4().hex[:8]}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        metadata = await producer.send_and_wait(topic, marker, key=b"demo")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        from aiokafka import TopicPartition

        tp = TopicPartition(topic, metadata.partition)
        consumer.assign([tp])
        consumer.seek(tp, metadata.offset)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.value == marker:
                        return f"{marker.decode()} (partition {tp.partition}, offset {record.offset})"
        raise RuntimeError(f"{marker.decode()} did not come back from {topic}")
    finally:
        await consumer.stop()
