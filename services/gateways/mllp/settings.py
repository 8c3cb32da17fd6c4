"""Settings of the HL7 v2 MLLP gateway (env prefix SILTA_, e.g. `SILTA_MLLP_PORT`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from services.gateways.producer import FIRST_PAUSE, ProducerOptions
from services.settings import SiltaSettings
from services.tls import ServerTls

MIB = 1024 * 1024


class MllpSettings(SiltaSettings):
    # Loopback by default: MLLP is plain TCP carrying patient data, so listening on every
    # interface is a decision the deployment makes (SILTA_MLLP_HOST=0.0.0.0 in a container).
    mllp_host: str = Field("127.0.0.1", description="address the MLLP listener binds")
    mllp_port: int = Field(2575, ge=0, le=65535, description="MLLP port; 0 picks a free one")
    mllp_tls_certfile: Path | None = Field(
        None, description="server certificate chain (PEM) to serve MLLP over TLS; "
        "needs SILTA_MLLP_TLS_KEYFILE too")
    mllp_tls_keyfile: Path | None = Field(None, description="private key (PEM) of that certificate")
    mllp_tls_client_cafile: Path | None = Field(
        None, description="CA (PEM) of client certificates; when set, a client without one "
        "from this CA is refused")
    mllp_source: str = Field(
        "hospital-adt", description="source id in the topics file whose raw topic is written")
    mllp_max_frame_bytes: int = Field(
        MIB, ge=256, le=64 * MIB, description="largest message accepted; larger ones get AE")
    mllp_max_discard_bytes: int = Field(
        16 * MIB, ge=256, description="an oversized frame still without an end block after "
        "this many bytes closes the connection")
    mllp_idle_timeout: float = Field(
        60.0, gt=0, description="seconds without a byte (and no ACK owed) before closing")
    mllp_frame_timeout: float = Field(
        30.0, gt=0, description="seconds from a frame's first byte to its end block; a "
        "slower frame closes the connection (trickling bytes does not reset it)")
    mllp_max_connections: int = Field(256, ge=1, description="open connections; more are refused")
    mllp_max_connections_per_peer: int = Field(
        32, ge=1, description="open connections from one peer address; more are refused")
    mllp_reserved_connections: int = Field(
        16, ge=0, description="connections kept for peers that have none yet, so that one "
        "peer cannot take every slot")
    mllp_ack_after: Literal["validation", "storage"] = Field(
        "validation", description="validation: AA only when the message translates and is "
        "stored, AE with ERR segments otherwise; storage (store-and-forward, for senders that "
        "cannot handle AE): AA once stored, content errors only dead-lettered by ingest")
    mllp_max_in_flight: int = Field(
        64, ge=1, le=10_000, description="pipelined messages per connection awaiting their ACK")
    mllp_send_timeout: float = Field(
        10.0, gt=0, description="seconds for Kafka to confirm a record before answering AR")
    mllp_kafka_retry_interval: float = Field(
        1.0, ge=0.1, description="while Kafka cannot be reached, the longest pause (seconds) "
        f"between connection attempts: the pause doubles from {FIRST_PAUSE} s (or from this, "
        "when shorter) up to this. Meanwhile messages are answered AR at once")
    mllp_linger_ms: int = Field(
        0, ge=0, le=1000, description="producer linger; 0 suits senders that wait for each "
        "ACK (bench/mllp.py), records still batch while a request is in flight")
    mllp_shutdown_timeout: float = Field(
        30.0, gt=0, description="seconds to finish in-flight messages when stopping")
    mllp_ack_application: str = Field(
        "SILTA", description="ACK MSH-3 when the message names no receiving application")
    mllp_ack_facility: str = Field(
        "", description="ACK MSH-4 when the message names no receiving facility")
    mllp_http_host: str = Field("127.0.0.1", description="/health, /ready and /metrics address")
    mllp_http_port: int = Field(8083, ge=0, le=65535, description="/health, /ready and /metrics")

    @property
    def tls(self) -> ServerTls:
        return ServerTls("SILTA_MLLP_TLS", self.mllp_tls_certfile, self.mllp_tls_keyfile,
                         self.mllp_tls_client_cafile)

    @property
    def raw_producer(self) -> ProducerOptions:
        return ProducerOptions(
            kafka=self.kafka, client_id="silta-mllp-gateway",
            max_record_bytes=self.mllp_max_frame_bytes, timeout=self.mllp_send_timeout,
            linger_ms=self.mllp_linger_ms, longest_pause=self.mllp_kafka_retry_interval)
