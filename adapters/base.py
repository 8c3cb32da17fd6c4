"""What every adapter shares: source metadata and turning contract failures into
TranslationErrors.

An adapter is `translate(data: bytes, source: SourceInfo) -> list[ContractEvent]`; it
raises `TranslationError` and nothing else (property tests hold it to that).

Event id conventions (they make re-sends idempotent and let corrections find the original):
- the first event of a record has `ce_id = "<record id>:<kind>"`, e.g. `8812:encounter.started`;
- an amendment has a fresh id and `ce_corrects` = the original's id;
- a retraction has id `"<original id>:retracted"` and `ce_corrects` = the original's id;
- `ce_subject` is `"<ResourceType>/<record id>"`, the record's stable reference at the source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from adapters.errors import TranslationError
from contracts.errors import ContractError
from contracts.events import ContractEvent, ContractViolation, make_event
from contracts.failures import describe_expected

MAX_INPUT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceInfo:
    """Where bytes came from: the source system id (as in deploy/topics.yaml) and sector."""

    source_id: str
    sector: Literal["health", "social"]
    received_at: dt.datetime

    @property
    def uri(self) -> str:
        return f"urn:silta:source:{self.source_id}"


Translator = Callable[[bytes, SourceInfo], list[ContractEvent]]


def check_size(data: bytes, limit: int = MAX_INPUT_BYTES) -> None:
    if len(data) > limit:
        raise TranslationError("input.too-large", "", f"{len(data)} bytes exceeds the {limit}-byte limit")
    if not data.strip():
        raise TranslationError("input.empty", "", "the message is empty")


def build_event(
    event_type: str,
    resource: dict[str, Any],
    source: SourceInfo,
    *,
    id: str,
    subject: str,
    time: dt.datetime | None = None,
    corrects: str | None = None,
    location: str = "",
) -> ContractEvent:
    """`make_event`, with contract failures reported as a TranslationError at `location`."""
    try:
        return make_event(
            event_type, resource, id=id, source=source.uri, time=time or source.received_at,
            subject=subject, corrects=corrects,
        )
    except ContractViolation as exc:
        first = exc.failures[0]
        where = f"{location}{first.pointer}" if location.startswith("/") or not location else (
            f"{location} (FHIR {first.pointer or '/'})")
        more = f" (and {len(exc.failures) - 1} more)" if len(exc.failures) > 1 else ""
        raise TranslationError(
            "contract.violation", where,
            f"the {event_type} profile expects {first.expected}, found {first.found}{more}",
        ) from None
    except ContractError as exc:
        raise TranslationError("contract.violation", location + exc.pointer, str(exc)) from None
    except ValidationError as exc:  # the envelope refused an id, subject or time
        error = exc.errors()[0]
        header = f"/headers/ce_{error['loc'][0]}" if error["loc"] else "/headers"
        raise TranslationError("contract.violation", header,
                               f"the envelope expects {describe_expected(error)}") from None
