"""Why a Kafka connection does not work, in terms of our settings and ACLs.

aiokafka's clients log the cause of a failed bootstrap and then raise a bare "unable to
bootstrap", and its consumers log a refused topic instead of raising. `diagnose` opens one
connection itself so it sees the real cause (TLS verification, SASL, a permission the
service needs: services/kafka/access.py) and says which setting or permission is wrong.
It never includes a secret.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import NoReturn

from aiokafka.conn import create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    ClusterAuthorizationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
)

from contracts.errors import SiltaError
from services.errors import ConfigError
from services.kafka.access import ACLS_HINT, KafkaAccess, access_problem, principal
from services.kafka.clients import Kafka, client_options, connection
from services.kafka.connection import KafkaConnection

# The alerts a broker that requires client certificates (mutual TLS) answers a client
# without one, or with one from a CA it does not trust.
_CLIENT_CERTIFICATE_REFUSED = {"SSLV3_ALERT_BAD_CERTIFICATE", "TLSV13_ALERT_CERTIFICATE_REQUIRED",
                               "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_CERTIFICATE_UNKNOWN"}
NOTHING = KafkaAccess()  # a connection, and no permission beyond it


class KafkaAccessError(SiltaError, ConnectionError):
    """Kafka cannot be used as configured; the message names the setting or permission."""


async def diagnose(kafka: Kafka, access: KafkaAccess = NOTHING,
                   timeout: float = 10.0) -> str | None:
    """None when the first bootstrap server accepts our TLS and SASL settings and grants
    `access`; otherwise the reason."""
    conn = connection(kafka)
    try:
        options = client_options(conn)
    except ConfigError as exc:
        return str(exc)
    del options["bootstrap_servers"]
    host, _, port = conn.bootstrap.split(",")[0].strip().rpartition(":")
    try:
        async with asyncio.timeout(timeout):
            link = await create_conn(host, int(port), request_timeout_ms=int(timeout * 1000),
                                     **options)
            try:
                return await access_problem(link.send, conn, access)
            finally:
                link.close()
    except Exception as exc:
        return explain(exc, conn)


def explain(exc: BaseException, kafka: Kafka) -> str:
    """A failed Kafka call's cause, in terms of our settings."""
    conn: KafkaConnection = connection(kafka)
    where = conn.bootstrap
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ssl.SSLError) and not isinstance(exc, ssl.SSLError):
        exc = cause
    if isinstance(exc, ssl.SSLCertVerificationError):
        trusted = conn.ssl_cafile or "the system's CA certificates"
        return (f"TLS: the certificate of {where} does not verify against "
                f"SILTA_KAFKA_SSL_CAFILE ({trusted}): {exc.verify_message}")
    if isinstance(exc, ssl.SSLError) and exc.reason in _CLIENT_CERTIFICATE_REFUSED:
        given = conn.ssl_certfile or "not set"
        return (f"{where} requires a client certificate it trusts ({exc.reason}): check "
                f"SILTA_KAFKA_SSL_CERTFILE ({given}) and SILTA_KAFKA_SSL_KEYFILE")
    if isinstance(exc, ssl.SSLError):
        return (f"TLS with {where} failed ({exc.reason}): check SILTA_KAFKA_SECURITY_PROTOCOL "
                "and the SILTA_KAFKA_SSL_* settings")
    if isinstance(exc, SaslAuthenticationFailed | AuthenticationFailedError):
        return (f"{where} refused SASL {conn.sasl_mechanism} authentication as "
                f"{conn.sasl_username}: check SILTA_KAFKA_SASL_USERNAME and "
                "SILTA_KAFKA_SASL_PASSWORD")
    if isinstance(exc, ClusterAuthorizationFailedError):
        return (f"{principal(conn)} may not do this on the cluster at "
                f"{where} (it needs a cluster permission, e.g. Describe and Alter for ACLs): "
                f"{ACLS_HINT}")
    if isinstance(exc, TopicAuthorizationFailedError):
        return f"{principal(conn)} may not use that topic: {ACLS_HINT}"
    if isinstance(exc, OSError | TimeoutError | KafkaError):
        return (f"no Kafka broker answers at {where} (SILTA_KAFKA_BOOTSTRAP, "
                f"SILTA_KAFKA_SECURITY_PROTOCOL={conn.security_protocol}): "
                f"{type(exc).__name__}")
    return f"{type(exc).__name__} talking to {where}"


async def raise_for(exc: BaseException, kafka: Kafka) -> NoReturn:
    """Raise a KafkaAccessError for `exc`: the diagnosed cause when a fresh connection shows
    one (aiokafka often hides it), else `exc` explained."""
    reason = None if isinstance(exc, ClusterAuthorizationFailedError) else await diagnose(kafka)
    raise KafkaAccessError(reason or explain(exc, kafka)) from exc
