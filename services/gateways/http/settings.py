"""Settings of the HTTP ingest gateway (env prefix SILTA_).

`SILTA_HTTP_TOKENS` is a JSON object `{"<source id>": "<token>"}`: one bearer token per
source system, so a vendor's token can post only to its own source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator

from services.gateways.producer import ProducerOptions
from services.settings import SiltaSettings
from services.tls import ServerTls

MIN_TOKEN_LENGTH = 16
MIB = 1024 * 1024


class HttpIngestSettings(SiltaSettings):
    http_ingest_port: int = Field(8090, ge=1, le=65535, description="HTTP port of the gateway")
    http_ingest_ops_port: int | None = Field(
        None, ge=1, le=65535, description="a plain-HTTP port serving only /health, /ready "
        "and /metrics, for probes and Prometheus when the gateway's port speaks TLS (the "
        "image sets 9090)")
    http_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description='JSON {"<source id>": "<bearer token>"}')
    http_sources: list[str] | None = Field(
        None, description="source ids accepted; default: every fhir and social source")
    http_max_body_bytes: int = Field(
        2 * MIB, ge=1, le=64 * MIB, description="larger bodies get 413 (checked while reading)")
    http_kafka_timeout_s: float = Field(
        10.0, gt=0, le=300, description="longest wait for Kafka to acknowledge a record")
    # 0: concurrent requests batch anyway while a produce request is in flight, and a
    # linger only delays lone senders (bench/api.py: p50 2.7 ms at 0 vs 8.6 ms at 5 ms).
    http_linger_ms: int = Field(0, ge=0, le=1000, description="producer batching delay (ms)")
    http_retry_after_s: int = Field(5, ge=1, le=3600, description="Retry-After on 503")
    http_header_timeout_s: float = Field(
        10.0, gt=0, le=300, description="longest wait for a request's line and headers; the "
        "connection is then closed (needs the protocol from services/gateways/http/guard.py)")
    http_body_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="longest wait for a request's whole body, then 408")
    http_tls_certfile: Path | None = Field(
        None, description="server certificate chain (PEM) for HTTPS; "
        "needs SILTA_HTTP_TLS_KEYFILE too")
    http_tls_keyfile: Path | None = Field(None, description="private key (PEM) of that certificate")
    http_tls_client_cafile: Path | None = Field(
        None, description="CA (PEM) of client certificates; when set, a client without one "
        "from this CA is refused")

    @property
    def tls(self) -> ServerTls:
        return ServerTls("SILTA_HTTP_TLS", self.http_tls_certfile, self.http_tls_keyfile,
                         self.http_tls_client_cafile)

    @property
    def raw_producer(self) -> ProducerOptions:
        # No setting for the pause between connection attempts: the doubling stops at the
        # producer's default, 10 s, as for ingest and timeline.
        return ProducerOptions(
            kafka=self.kafka, client_id="silta-http-ingest",
            max_record_bytes=self.http_max_body_bytes, timeout=self.http_kafka_timeout_s,
            linger_ms=self.http_linger_ms)

    @field_validator("http_tokens")
    @classmethod
    def _strong_tokens(cls, tokens: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for source, token in tokens.items():
            if len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
                raise ValueError(f"the token of source {source!r} is shorter than "
                                 f"{MIN_TOKEN_LENGTH} characters; use e.g. `openssl rand -hex 32`")
        return tokens

    def redacted(self) -> dict[str, Any]:
        return {**super().redacted(),
                "http_tokens": {source: "**********" for source in self.http_tokens}}
