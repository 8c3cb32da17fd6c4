"""The adapter for each source format named in deploy/topics.yaml."""

from __future__ import annotations

from importlib import import_module

from adapters.base import Translator

_MODULES = {"hl7v2": "adapters.hl7v2", "fhir": "adapters.fhir_r4", "social": "adapters.social"}
FORMATS = tuple(_MODULES)


def translator(fmt: str) -> Translator:
    try:
        module = import_module(_MODULES[fmt])
    except KeyError:
        raise ValueError(f"unknown source format {fmt!r}; known: {', '.join(FORMATS)}") from None
    return module.translate  # type: ignore[no-any-return]


def adapter_version(fmt: str) -> str:
    return str(import_module(_MODULES[fmt]).ADAPTER_VERSION)
