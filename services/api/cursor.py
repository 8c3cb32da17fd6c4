"""Opaque page cursors.

A cursor holds the last sequence number of the previous page and a fingerprint of the
client and filters it was made for, so it cannot be replayed against another query by
mistake. It is not a secret: it only moves within a timeline the caller may read anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from services.observability.http import ApiError

PATTERN = r"^[A-Za-z0-9_-]{1,256}$"
_VERSION = 1


def fingerprint(client: str, filters: Mapping[str, Any]) -> str:
    canonical = json.dumps([client, filters], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode(after: int, print_: str) -> str:
    raw = json.dumps({"v": _VERSION, "a": after, "f": print_}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, print_: str) -> int:
    """The sequence to continue after; ApiError 400 when the cursor is not one of ours or
    belongs to another query."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        after, made_for = data["a"], data["f"]
        valid = data["v"] == _VERSION and type(after) is int and 0 <= after < 2**62
    except (binascii.Error, ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise ApiError(400, "cursor.invalid",
                       "the cursor is not one this API issued; use `next_cursor` as given")
    if made_for != print_:
        raise ApiError(400, "cursor.mismatch", "the cursor belongs to another client or other "
                       "filters; send the same filters as the page it came from")
    return int(after)
