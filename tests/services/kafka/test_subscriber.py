"""RawBatch, the batch parser of every subscriber the services run: the message carries
the records untouched, and acknowledging it commits through the subscriber's consumer."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import ConsumerRecord, TopicPartition

from services.kafka.subscriber import RawBatch


@dataclass
class Consumer:
    """What FastStream's message calls on aiokafka's consumer."""

    commits: int = 0
    seeks: list[tuple[TopicPartition, int]] = field(default_factory=list)

    async def commit(self) -> None:
        self.commits += 1

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


@dataclass
class Subscriber:
    consumer: Consumer | None


RECORDS = tuple(ConsumerRecord("t", 0, offset, 5, 0, b"k", b"v", None, 1, 1,
                               [("ce_id", b"\xff not text")]) for offset in (7, 8))


async def test_the_message_holds_the_records_as_read_and_decodes_no_header() -> None:
    parser = RawBatch()
    parser.attach(Subscriber(Consumer()))
    message = await parser(RECORDS)  # a header that is not UTF-8 is not parsed: no error
    assert message.raw_message is RECORDS
    assert message.headers == {} and message.message_id == "7-8-5"


async def test_acknowledging_commits_through_the_subscribers_consumer() -> None:
    consumer = Consumer()
    parser = RawBatch()
    parser.attach(Subscriber(consumer))
    message = await parser(RECORDS)
    await message.ack()
    assert consumer.commits == 1


async def test_before_the_subscriber_started_acknowledging_does_nothing() -> None:
    parser = RawBatch()
    parser.attach(Subscriber(None))
    await (await parser(RECORDS)).ack()
