"""The record id an HTTP body names, for the raw record's key (services/gateways/raw.py
writes the record).

FHIR `<resourceType>/<id>` (including `Bundle/<id>`), social `document.id`. A candidate
that is not short printable text is never used (nor, raw.py, one that looks like an
identity code).
"""

from __future__ import annotations

import re
from typing import Any

_SAFE_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def record_id(fmt: str, document: dict[str, Any]) -> str:
    """The source's own id of the record, when the body names one safely; else ''."""
    candidate: Any = None
    if fmt == "fhir":
        kind, ident = document.get("resourceType"), document.get("id")
        if isinstance(kind, str) and isinstance(ident, str):
            candidate = f"{kind}/{ident}"
    elif fmt == "social":
        meta = document.get("document")
        candidate = meta.get("id") if isinstance(meta, dict) else None
    if not isinstance(candidate, str) or not _SAFE_KEY.match(candidate):
        return ""
    return candidate
