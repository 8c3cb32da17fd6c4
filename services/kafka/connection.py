"""How to reach and authenticate to Kafka: one value built from the shared settings
(`SiltaSettings.kafka`) that every client is made from (services/kafka/clients.py).

Kept free of aiokafka and FastStream imports so the settings module stays light.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from services.errors import ConfigError

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
# OAUTHBEARER is left out: aiokafka needs a token-provider object for it, which is code,
# not configuration.
SaslMechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]


@dataclass(frozen=True)
class KafkaConnection:
    """Bootstrap servers plus the security settings. `str()` is the bootstrap address alone,
    so messages that name where Kafka is stay readable and never hold a secret."""

    bootstrap: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True

    def __post_init__(self) -> None:
        if self.uses_sasl:
            missing = [f"SILTA_KAFKA_SASL_{name.upper()}" for name, value in
                       (("mechanism", self.sasl_mechanism), ("username", self.sasl_username),
                        ("password", self.sasl_password)) if value is None]
            if missing:
                raise ConfigError(f"SILTA_KAFKA_SECURITY_PROTOCOL={self.security_protocol} "
                                  f"needs {', '.join(missing)}")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ConfigError("a client certificate needs both SILTA_KAFKA_SSL_CERTFILE and "
                              "SILTA_KAFKA_SSL_KEYFILE")

    def __str__(self) -> str:
        return self.bootstrap

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def as_settings(self) -> dict[str, object]:
        """The same connection as SiltaSettings fields (`kafka_bootstrap`, ...)."""
        return {f"kafka_{name}": getattr(self, name) for name in self.__dataclass_fields__}

    def describe(self) -> str:
        """Where and as whom, for logs and errors: no secret."""
        who = f", {self.sasl_mechanism} as {self.sasl_username}" if self.uses_sasl else ""
        return f"{self.bootstrap} ({self.security_protocol}{who})"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for a TLS protocol with its files loaded (None otherwise). Each
        file problem is a ConfigError naming the setting that points at it."""
        return self.load_tls(tls_client_context()) if self.uses_tls else None

    def load_tls(self, context: ssl.SSLContext) -> ssl.SSLContext:
        """Load the CA, client certificate and key these settings name into `context` (one
        from `tls_client_context()`) and return it. A client that must hold its context
        before the files can be read (FastStream's broker takes it at __init__: broker.py)
        loads them later into the same object."""
        for setting, path in (("SILTA_KAFKA_SSL_CAFILE", self.ssl_cafile),
                              ("SILTA_KAFKA_SSL_CERTFILE", self.ssl_certfile),
                              ("SILTA_KAFKA_SSL_KEYFILE", self.ssl_keyfile)):
            if path is not None and not path.is_file():
                raise ConfigError(f"{setting} {path}: no such file")
        try:
            if self.ssl_cafile is None:
                context.load_default_certs(ssl.Purpose.SERVER_AUTH)
            else:
                context.load_verify_locations(cafile=str(self.ssl_cafile))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"SILTA_KAFKA_SSL_CAFILE {self.ssl_cafile}: "
                              f"{_reason(exc)}") from exc
        context.check_hostname = self.ssl_check_hostname
        if self.ssl_certfile is not None and self.ssl_keyfile is not None:
            try:
                context.load_cert_chain(str(self.ssl_certfile), str(self.ssl_keyfile))
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"SILTA_KAFKA_SSL_CERTFILE {self.ssl_certfile} with SILTA_KAFKA_SSL_KEYFILE "
                    f"{self.ssl_keyfile}: {_reason(exc)}") from exc
        return context


def tls_client_context() -> ssl.SSLContext:
    """A TLS client context that verifies the server and trusts nothing yet. Not
    `ssl.create_default_context()`: that trusts the system's CAs at once, and a context's
    trust can only grow, so SILTA_KAFKA_SSL_CAFILE could no longer replace them."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname on


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
