"""Turning pydantic validation errors into contract failures a vendor can act on.

A failure names a JSON pointer, what the profile expected and what it found. Identity
values are never echoed: a vendor sees that the code is wrong, not the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from contracts.errors import ContractError
from contracts.hetu import IDENTITY_CODE_SHAPE

_HIDDEN_PARENTS = {"identifier", "name", "address"}
# Elements whose values are codes, safe and useful to quote back; any other string may be
# free text (a display, a note, a name) and is only described.
_QUOTABLE = {"status", "code", "system", "resourceType", "intent", "use", "gender",
             "lifecycleStatus", "url", "unit", "type", "specversion", "datacontenttype",
             "versionId", "id", "start", "end", "time", "reference", "valueCode"}
_EXPECTED_BY_TYPE = {
    "missing": "a value (required element)",
    "extra_forbidden": "no such element in this profile",
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "model_type": "an object",
    "dict_type": "an object",
    "model_attributes_type": "an object",
    "timezone_aware": "a date-time with a zone offset (e.g. 2025-03-01T08:30:00+02:00)",
    "datetime_type": "a date-time (RFC 3339, with a zone offset)",
    "datetime_parsing": "a date-time (RFC 3339, with a zone offset)",
    "datetime_from_date_parsing": "a date-time (RFC 3339, with a zone offset)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "union_tag_invalid": "a resourceType this event type carries",
    "union_tag_not_found": "a resourceType element",
    "json_invalid": "well-formed JSON",
    "json_type": "JSON text",
}


def pointer(loc: Sequence[int | str], skip: frozenset[str] = frozenset()) -> str:
    parts = [str(part) for i, part in enumerate(loc) if not (i == 0 and str(part) in skip)]
    parts = [p for p in parts if not p.startswith("function-")]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def describe_expected(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind in _EXPECTED_BY_TYPE:
        return _EXPECTED_BY_TYPE[kind]
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, ", "Input should be "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if kind == "string_pattern_mismatch":
        return f"a string matching {error.get('ctx', {}).get('pattern', '')}"
    if kind == "literal_error":
        return f"one of {error.get('ctx', {}).get('expected', message)}"
    # Our own validators already phrase it as "expected X, found Y"; keep only X.
    if ": expected " in message:
        message = message.split(": expected ", 1)[1]
    return message.split(", found ", 1)[0]


def describe_found(error: ErrorDetails, limit: int = 80) -> str:
    if error["type"] == "missing":
        return "nothing"
    if error["type"] == "json_invalid":
        return error.get("ctx", {}).get("error", "malformed JSON")
    if any(str(part) in _HIDDEN_PARENTS for part in error["loc"]):
        return "a value (not shown: it may identify a person)"
    message = error["msg"]
    if ", found " in message:
        return message.split(", found ", 1)[1]
    value: Any = error.get("input")
    last = str(error["loc"][-1]) if error["loc"] else ""
    if isinstance(value, str) and last not in _QUOTABLE and not last.endswith(
            ("DateTime", "Date", "On", "ed")):
        return f"a string of {len(value)} characters"
    if isinstance(value, dict):
        return f"an object with {', '.join(list(value)[:6]) or 'no elements'}"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    text = repr(value)
    if IDENTITY_CODE_SHAPE.search(text):
        return "a value shaped like a personal identity code (not shown)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def from_validation_error(
    exc: ValidationError, prefix: str = "", skip: frozenset[str] = frozenset()
) -> list[ContractError]:
    return [
        ContractError(prefix + pointer(e["loc"], skip), describe_expected(e), describe_found(e))
        for e in exc.errors()
    ]
