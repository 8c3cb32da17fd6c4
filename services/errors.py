"""Errors of the running services."""

from __future__ import annotations

from contracts.errors import SiltaError


class ConfigError(SiltaError, ValueError):
    """Configuration is missing or inconsistent; the message says which setting and why."""


class BrokerUnavailable(SiltaError, ConnectionError):
    """No Kafka broker answered at the configured bootstrap address."""


class SourceError(SiltaError, OSError):
    """A place to read or write data (store, topic, API, export folder) cannot be used; the
    message names which one and why."""
