"""Is this client allowed to do what its service does? Asked of the broker itself, before a
service starts consuming and whenever a gateway's readiness is asked.

One metadata request (v8, which reports the operations the principal may perform on each
topic) answers for the topics: missing, or which of Read and Write is not granted. One
FindCoordinator request per consumer group and per transactional id answers for those
(the broker refuses to say where they live to a principal without rights on them). The
answer is in deploy/acls.yaml's words, naming the principal, never a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka.errors import IncompatibleBrokerVersion, KafkaConnectionError, KafkaError
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.coordination import FindCoordinatorRequest
from aiokafka.protocol.types import Array, Boolean, Int16, Int32, Schema, String

from services.kafka.connection import KafkaConnection

ACLS_HINT = "grant it in deploy/acls.yaml and run `silta acls apply`"

# Kafka's error codes and ACL operation numbers (org.apache.kafka.common.acl.AclOperation)
_UNKNOWN_TOPIC, _TOPIC_DENIED, _GROUP_DENIED, _TRANSACTIONAL_ID_DENIED = 3, 29, 30, 53
_READ, _WRITE = 3, 4
_GROUP, _TRANSACTION = 0, 1  # FindCoordinator key types

Send = Callable[[Request[Any]], Awaitable[Any]]


@dataclass(frozen=True)
class KafkaAccess:
    """What a client needs, in the words of deploy/acls.yaml."""

    read: tuple[str, ...] = ()               # topics consumed
    write: tuple[str, ...] = ()              # topics produced to
    groups: tuple[str, ...] = ()             # consumer groups
    transactional_ids: tuple[str, ...] = ()  # transactional producers' ids

    @property
    def topics(self) -> list[str]:
        return sorted({*self.read, *self.write})


def principal(conn: KafkaConnection) -> str:
    """Who the broker takes this client for, as its ACLs name it."""
    if conn.uses_sasl:
        return f"User:{conn.sasl_username}"
    if conn.ssl_certfile is not None:
        return f"the principal of SILTA_KAFKA_SSL_CERTFILE {conn.ssl_certfile}"
    return "User:ANONYMOUS"


async def access_problem(send: Send, conn: KafkaConnection, access: KafkaAccess) -> str | None:
    """None when `access` is granted, else what is missing. `send` sends one request on an
    authenticated connection and returns the response."""
    missing: list[str] = []
    denied: dict[str, list[str]] = {}  # "write topic" -> names
    try:
        topics = (await send(_AuthorizedMetadata(access.topics))).topics if access.topics else []
    except (IncompatibleBrokerVersion, NotImplementedError):
        topics = []  # a broker older than Kafka 2.3 cannot say; working will tell
    for code, topic, _internal, _partitions, allowed in topics:
        if code == _UNKNOWN_TOPIC:
            missing.append(topic)
            continue
        verbs = [verb for verb, operation in (("read", _READ), ("write", _WRITE))
                 if topic in getattr(access, verb)
                 and (code == _TOPIC_DENIED or not allowed >> operation & 1)]
        if verbs:
            denied.setdefault(f"{' and '.join(verbs)} topic", []).append(topic)
    for kind, names, code, what in ((_GROUP, access.groups, _GROUP_DENIED, "consumer group"),
                                    (_TRANSACTION, access.transactional_ids,
                                     _TRANSACTIONAL_ID_DENIED, "transactional id")):
        for name in names:
            if (await send(FindCoordinatorRequest(name, kind))).error_code == code:
                denied.setdefault(f"use {what}", []).append(name)
    if denied:
        what = "; ".join(f"{verb} {', '.join(sorted(names))}" for verb, names in denied.items())
        return f"{principal(conn)} may not {what} on {conn.bootstrap}: {ACLS_HINT}"
    if missing:
        return (f"topic {', '.join(missing)} does not exist on {conn.bootstrap} "
                "(run `silta topics apply`)")
    return None


async def client_access_problem(client: Any, conn: KafkaConnection, access: KafkaAccess,
                                timeout: float = 3.0) -> str | None:
    """`access_problem` asked on a started aiokafka client's own connections: no new login
    per question (readiness probes ask every few seconds). No answer is a problem too."""
    try:
        async with asyncio.timeout(timeout):
            node = client.get_random_node()
            if node is None:
                raise KafkaConnectionError("no broker known to the client")
            return await access_problem(lambda request: client.send(node, request), conn,
                                        access)
    except (KafkaError, OSError, TimeoutError) as exc:
        return f"no answer from the brokers ({type(exc).__name__})"


# Metadata v8 (KIP-430: authorized operations), which aiokafka does not define. Brokers
# from Kafka 2.3 answer it.
class _MetadataResponseV8(Response):
    API_KEY = 3
    API_VERSION = 8
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("brokers", Array(("node_id", Int32), ("host", String("utf-8")), ("port", Int32),
                          ("rack", String("utf-8")))),
        ("cluster_id", String("utf-8")),
        ("controller_id", Int32),
        ("topics", Array(
            ("error_code", Int16), ("topic", String("utf-8")), ("is_internal", Boolean),
            ("partitions", Array(("error_code", Int16), ("partition", Int32), ("leader", Int32),
                                 ("leader_epoch", Int32), ("replicas", Array(Int32)),
                                 ("isr", Array(Int32)), ("offline_replicas", Array(Int32)))),
            ("topic_authorized_operations", Int32))),
        ("cluster_authorized_operations", Int32),
    )


class _MetadataRequestV8(RequestStruct):
    API_KEY = 3
    API_VERSION = 8
    RESPONSE_TYPE = _MetadataResponseV8
    SCHEMA = Schema(("topics", Array(String("utf-8"))), ("allow_auto_topic_creation", Boolean),
                    ("include_cluster_authorized_operations", Boolean),
                    ("include_topic_authorized_operations", Boolean))


class _AuthorizedMetadata(Request[_MetadataRequestV8]):
    API_KEY = 3

    def __init__(self, topics: list[str]) -> None:
        self._topics = topics

    def build(self, request_struct_class: type[_MetadataRequestV8]) -> _MetadataRequestV8:
        # Never auto-create a topic by asking about it.
        return request_struct_class(self._topics, False, False, True)
