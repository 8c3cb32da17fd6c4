"""How the FastStream services consume, wired once: the service's broker and its
transactional batch subscriber, with FastStream's pitfalls handled here (DESIGN.md): an
explicit ack policy, no topic auto-creation, `read_committed`, and a no-op decoder for
batch handlers that read raw records.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import FAKE_CONSUMER, KafkaAckableMessage

from services.kafka.broker import SiltaKafkaBroker
from services.kafka.clients import new_broker
from services.kafka.stage import Processor, TransactionalSettings, TransactionalStage
from services.kafka.transactions import PartitionProducers

if TYPE_CHECKING:
    from services.observability.metrics import ServiceMetrics


def service_broker(settings: TransactionalSettings) -> SiltaKafkaBroker:
    """The service's FastStream broker. Topics are never auto-created: FastStream would
    make a missing one with one partition, and per-client order would silently degrade."""
    return new_broker(settings.kafka, allow_auto_create_topics=False,
                      logger=logging.getLogger("silta.faststream"), log_level=logging.DEBUG,
                      client_id=f"silta-{settings.stage.service}")


async def raw_records(message: Any) -> None:
    """A FastStream decoder that decodes nothing: handlers read `message.raw_message`, so
    FastStream's JSON decoding of every body would be wasted work."""
    return None


class RawBatch:
    """A FastStream batch parser that leaves the records as aiokafka gives them.

    FastStream's own decodes every record's headers into a dict, and keeps a list of
    them per batch, for a message our handlers read only by `raw_message` (stage.py
    `batch_records`): 125,000 dicts for 57,000 timeline entries, and the garbage
    collections they trigger, 4-5 % of the timeline's CPU in py-spy's profile of
    bench.pipeline. Pass `parser=RawBatch()` with `decoder=raw_records` and `attach` the
    subscriber: its consumer is what acknowledging the message commits and a failed
    slice seeks on."""

    def __init__(self) -> None:
        self.subscriber: Any = None

    def attach(self, subscriber: Any) -> Any:
        self.subscriber = subscriber
        return subscriber

    async def __call__(self, records: tuple[Any, ...]) -> KafkaAckableMessage:
        first, last = records[0], records[-1]
        consumer = getattr(self.subscriber, "consumer", None) or FAKE_CONSUMER
        return KafkaAckableMessage(
            records, [], consumer=consumer,
            message_id=f"{first.offset}-{last.offset}-{first.timestamp}")


def transactional_subscriber(broker: SiltaKafkaBroker, settings: TransactionalSettings,
                             processor: Processor, metrics: ServiceMetrics, *topics: str,
                             title: str, description: str) -> TransactionalStage:
    """Subscribe `processor` to `topics`: each input partition's slice of a batch is
    processed and committed, output and input offsets together, in one transaction
    (stage.py). Returns the stage; close its producers when the service stops."""
    config = settings.stage
    stage = TransactionalStage(
        service=config.service, group_id=config.group_id,
        producers=PartitionProducers.on_kafka(settings.kafka, config.transactional_prefix),
        processor=processor, metrics=metrics)
    # One input partition's id stands for all: the ACLs grant the prefix.
    broker.uses_transactional_ids(stage.producers.transactional_id(TopicPartition(min(topics), 0)))

    # MANUAL: FastStream never commits offsets; they commit inside our transactions.
    parser = RawBatch()

    @parser.attach(broker.subscriber(
        *topics, group_id=config.group_id, batch=True, max_records=config.max_batch,
        ack_policy=AckPolicy.MANUAL, parser=parser, decoder=raw_records,
        isolation_level="read_committed", auto_offset_reset="earliest", listener=stage,
        title=title, description=description))
    async def handle(message: KafkaMessage) -> None:  # the annotation asks for the message
        await stage.handle(message)

    return stage
