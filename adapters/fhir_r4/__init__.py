"""FHIR R4 JSON to Silta contract events (the `fhir` source format).

`translate(data, source)` takes one message, a single resource or a Bundle of type
collection, transaction or message, and returns its contract events in message order, or
raises `TranslationError`. The rules (event per resource type and status, event ids,
client identity, minimisation, security labels, errors) are in README.md beside this file.
"""

from adapters.fhir_r4.translate import ADAPTER_VERSION, translate

__all__ = ["ADAPTER_VERSION", "translate"]
