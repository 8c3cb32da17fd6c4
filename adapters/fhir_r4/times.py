"""FHIR date-times as the contract wants them: always with a zone offset.

Sources omit the offset now and then (FHIR forbids it, vendors do it anyway); a local
time is Finnish wall-clock time, so it gets the Europe/Helsinki offset valid on that day.
A bare date becomes local midnight, since the profiles need instants to sort entries.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LOCAL_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def localise(value: Any) -> Any:
    """`value` with an offset added when it is a local date-time or a date; otherwise as is
    (a malformed value is left for the contract to report at its pointer)."""
    if not isinstance(value, str) or not (_LOCAL_TIME.match(value) or _DATE.match(value)):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    return parsed.replace(tzinfo=HELSINKI).isoformat()


def parse_instant(value: Any) -> dt.datetime | None:
    """An aware datetime from a FHIR instant or dateTime string, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(localise(value))
    except ValueError:
        return None
    if parsed.tzinfo is None or not 1800 <= parsed.year <= 2200:
        return None
    return parsed
