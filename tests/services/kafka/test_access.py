"""The permission question's answers, from broker responses made here (the broker's own
answers are in test_readiness.py and test_diagnosis.py): which verb on which topic, group
or transactional id is missing, and a missing topic told apart from a refused one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiokafka.errors import IncompatibleBrokerVersion
from aiokafka.protocol.coordination import FindCoordinatorRequest
from pydantic import SecretStr

from services.kafka.access import KafkaAccess, access_problem
from services.kafka.connection import KafkaConnection

READ, WRITE, DESCRIBE = 1 << 3, 1 << 4, 1 << 8
CONN = KafkaConnection("kafka:9093", "PLAINTEXT")
SASL = KafkaConnection("kafka:9093", "SASL_SSL", "SCRAM-SHA-512", "ingest", SecretStr("pw"))


def broker(topics: dict[str, tuple[int, int]], refused: frozenset[str] = frozenset()) -> Any:
    """`send` of a broker that knows `topics` (name -> error code, allowed operations) and
    refuses to find the coordinator of `refused` groups and transactional ids."""
    async def send(request: Any) -> Any:
        if isinstance(request, FindCoordinatorRequest):
            denied = request._coordinator_key in refused
            return SimpleNamespace(error_code=(30, 53)[request._coordinator_type] if denied else 0)
        return SimpleNamespace(topics=[(code, name, False, [], allowed)
                                       for name, (code, allowed) in topics.items()])
    return send


async def test_everything_granted_is_no_problem() -> None:
    send = broker({"raw": (0, READ | DESCRIBE), "events": (0, WRITE | DESCRIBE)})
    assert await access_problem(send, CONN, KafkaAccess(read=("raw",), write=("events",),
                                                        groups=("g",))) is None


async def test_each_missing_permission_is_named_with_its_verb() -> None:
    send = broker({"raw": (0, DESCRIBE), "events": (29, 0), "both": (0, READ),
                   "dl": (0, WRITE)}, refused=frozenset({"g", "tx.0"}))
    access = KafkaAccess(read=("raw", "both"), write=("events", "both", "dl"), groups=("g",),
                         transactional_ids=("tx.0",))
    assert await access_problem(send, SASL, access) == (
        "User:ingest may not read topic raw; write topic both, events; use consumer group g; "
        "use transactional id tx.0 on kafka:9093: grant it in deploy/acls.yaml and run "
        "`silta acls apply`")


async def test_a_missing_topic_is_not_a_missing_acl() -> None:
    send = broker({"raw": (3, 0)})
    assert await access_problem(send, CONN, KafkaAccess(read=("raw",))) == (
        "topic raw does not exist on kafka:9093 (run `silta topics apply`)")


async def test_a_broker_too_old_to_say_leaves_the_topics_unchecked() -> None:
    async def old(request: Any) -> Any:
        if isinstance(request, FindCoordinatorRequest):
            return SimpleNamespace(error_code=30)
        raise IncompatibleBrokerVersion("Metadata v8")

    assert await access_problem(old, CONN, KafkaAccess(read=("raw",), groups=("g",))) == (
        "User:ANONYMOUS may not use consumer group g on kafka:9093: grant it in "
        "deploy/acls.yaml and run `silta acls apply`")
