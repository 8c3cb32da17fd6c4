"""structlog configured once per process: JSON lines off a TTY, readable console on one.

Log lines carry bound context (service, topic, ce_id, source) and never a payload or an
identity code: call sites bind identifiers that are safe (ce_id, offsets, pseudonyms).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_configured = False


def configure_logging(level: str = "INFO", json: bool | None = None) -> None:
    """Configure structlog and the stdlib root logger. Safe to call more than once."""
    global _configured
    if json is None:
        json = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        # sys.stderr as it is when a logger is made, not when logging was configured: a
        # stream replaced since (and closed, as test runners do) must not break logging.
        logger_factory=lambda *args: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries (aiokafka, faststream, uvicorn) log through stdlib: route them through the
    # same renderer so a platform team gets one format.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer,
        ], foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name])
    )
    handler.addFilter(_quiet_expected_noise)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs retried, self-healing conditions (a new partition's leader moving in,
    # a coordinator being found) at WARNING; only its errors are worth a line.
    logging.getLogger("aiokafka").setLevel(max(logging.ERROR, root.level))
    _configured = True


_EXPECTED_NOISE = (
    # Silta provisions topics itself (silta topics apply), so FastStream's reminder is moot.
    "Auto create topics is disabled",
    # A new broker elects its group coordinator in the first seconds; aiokafka retries.
    "GroupCoordinatorNotAvailableError",
)


def _quiet_expected_noise(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not any(noise in message for noise in _EXPECTED_NOISE)


def get_logger(**context: Any) -> Any:
    if not _configured:
        configure_logging()
    return structlog.get_logger().bind(**context)
