"""The one place Kafka clients are made: aiokafka producers, consumers, admin and bare
clients, and FastStream brokers, each from a `KafkaConnection` (or a bare bootstrap
string, which means PLAINTEXT: local runs and tests).

Services pass `settings.kafka`; nothing else assembles bootstrap, TLS or SASL arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.kafka.connection import KafkaConnection

if TYPE_CHECKING:
    import ssl

    from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient
    from faststream.security import BaseSecurity

    from services.kafka.broker import SiltaKafkaBroker

Kafka = KafkaConnection | str


def connection(kafka: Kafka) -> KafkaConnection:
    return kafka if isinstance(kafka, KafkaConnection) else KafkaConnection(kafka)


def client_options(kafka: Kafka) -> dict[str, Any]:
    """aiokafka's connection arguments, shared by producer, consumer, admin and client."""
    conn = connection(kafka)
    options: dict[str, Any] = {"bootstrap_servers": conn.bootstrap,
                               "security_protocol": conn.security_protocol}
    if conn.uses_tls:
        options["ssl_context"] = conn.ssl_context()
    if conn.uses_sasl:
        assert conn.sasl_password is not None  # KafkaConnection checked it
        options |= {"sasl_mechanism": conn.sasl_mechanism,
                    "sasl_plain_username": conn.sasl_username,
                    "sasl_plain_password": conn.sasl_password.get_secret_value()}
    return options


def new_producer(kafka: Kafka, **options: Any) -> AIOKafkaProducer:
    from aiokafka import AIOKafkaProducer

    return AIOKafkaProducer(**client_options(kafka), **options)


def new_consumer(kafka: Kafka, *topics: str, **options: Any) -> AIOKafkaConsumer:
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(*topics, **client_options(kafka), **options)


def new_admin(kafka: Kafka, **options: Any) -> AIOKafkaAdminClient:
    from aiokafka.admin import AIOKafkaAdminClient

    return AIOKafkaAdminClient(**client_options(kafka), **options)


def new_client(kafka: Kafka, **options: Any) -> AIOKafkaClient:
    from aiokafka import AIOKafkaClient

    return AIOKafkaClient(**client_options(kafka), **options)


def broker_security(kafka: Kafka, context: ssl.SSLContext | None) -> BaseSecurity | None:
    """FastStream's `security=` for a KafkaBroker; None for PLAINTEXT. `context` is the
    TLS context it connects with, whose files the broker loads before it connects
    (broker.py), so a file that is not there yet does not stop the service."""
    from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

    conn = connection(kafka)
    if conn.security_protocol == "PLAINTEXT":
        return None
    if not conn.uses_sasl:
        return BaseSecurity(ssl_context=context, use_ssl=True)
    assert conn.sasl_username is not None and conn.sasl_password is not None
    kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256,
            "SCRAM-SHA-512": SASLScram512}[conn.sasl_mechanism or "PLAIN"]
    return kind(conn.sasl_username, conn.sasl_password.get_secret_value(),
                ssl_context=context, use_ssl=conn.uses_tls)


def new_broker(kafka: Kafka, **options: Any) -> SiltaKafkaBroker:
    """A FastStream KafkaBroker that starts once Kafka lets it (services/kafka/broker.py)."""
    from services.kafka.broker import SiltaKafkaBroker

    return SiltaKafkaBroker(connection(kafka), **options)
