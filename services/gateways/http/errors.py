"""Errors of the HTTP ingest gateway's Kafka side (mapped to HTTP answers in routes.py)."""

from __future__ import annotations

from contracts.errors import SiltaError
from services.errors import BrokerUnavailable

__all__ = ["BrokerUnavailable", "RecordTooLarge"]


class RecordTooLarge(SiltaError, ValueError):
    """Kafka refused the record as too large for the topic (its max.message.bytes)."""
