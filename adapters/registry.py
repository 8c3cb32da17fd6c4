"""The adapter for each source format named in deploy/topics.yaml."""

from __future__ import annotations

import functools
from importlib import import_module

from adapters.base import SourceInfo, Translator
from adapters.errors import TranslationError
from contracts.events import ContractEvent

_MODULES = {"hl7v2": "adapters.hl7v2", "fhir": "adapters.fhir_r4", "social": "adapters.social"}
FORMATS = tuple(_MODULES)


@functools.cache
def translator(fmt: str) -> Translator:
    try:
        module = import_module(_MODULES[fmt])
    except KeyError:
        raise ValueError(f"unknown source format {fmt!r}; known: {', '.join(FORMATS)}") from None
    return _never_empty(module.translate)


def _never_empty(translate: Translator) -> Translator:
    """Accepted bytes never vanish: a message that yields no event is an error the sender
    hears about (gateway) and a dead letter that keeps the bytes (ingest)."""
    @functools.wraps(translate)
    def checked(data: bytes, source: SourceInfo) -> list[ContractEvent]:
        events = translate(data, source)
        if not events:
            raise TranslationError("input.no-events", "", "a message holding a resource, "
                                   "document or result that becomes a timeline event")
        return events
    return checked


def adapter_version(fmt: str) -> str:
    return str(import_module(_MODULES[fmt]).ADAPTER_VERSION)
