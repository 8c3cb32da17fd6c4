"""Errors of the running services."""

from __future__ import annotations

from contracts.errors import SiltaError


class ConfigError(SiltaError, ValueError):
    """Configuration is missing or inconsistent; the message says which setting and why."""


class BrokerUnavailable(SiltaError, ConnectionError):
    """Kafka cannot take the records now: no broker answered at the configured bootstrap
    address, or the brokers did not take or confirm a record. Trying again later may work
    (the gateways answer HTTP 503 or MLLP AR/CR)."""


class SourceError(SiltaError, OSError):
    """A place to read or write data (store, topic, API, export folder) cannot be used; the
    message names which one and why."""
