"""The local broker's one error type."""

from __future__ import annotations

from contracts.errors import SiltaError


class LocalKafkaError(SiltaError, RuntimeError):
    """The local broker could not be fetched, formatted, started or stopped."""
