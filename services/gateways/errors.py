"""Errors of the gateways' Kafka side (services/gateways/producer.py). Kafka being away is
services/errors.py's BrokerUnavailable; each gateway turns both into its protocol's
answer (HTTP: routes.py; MLLP: mllp/records.py)."""

from __future__ import annotations

from contracts.errors import SiltaError


class RecordTooLarge(SiltaError, ValueError):
    """Kafka refuses the record as larger than the topic takes (its max.message.bytes) or
    the producer may send: sending it again will not help."""
