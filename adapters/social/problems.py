"""Pydantic validation errors of the inbound format as one TranslationError.

Messages are built from the error kind and our own rule texts, never from the input:
a vendor learns where and what is wrong, not the identity code, name or text they sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from adapters.errors import TranslationError
from adapters.social.content import KINDS
from adapters.social.types import RuleError
from contracts.failures import describe_expected

_BOUNDS = {
    "model_type": "an object",
    "string_too_long": "a string of at most {max_length} characters",
    "string_too_short": "a string of at least {min_length} character(s)",
    "too_long": "at most {max_length} items",
    "too_short": "at least {min_length} item(s)",
    "greater_than_equal": "a number >= {ge}",
    "less_than_equal": "a number <= {le}",
    "finite_number": "a finite number",
    "tuple_type": "an array",
}
_SCOPES = frozenset({"document", "service-task", "register-holder"})
_UNION_BRANCHES = frozenset({"int", "float"})
# Only names shaped like our own members are echoed for an unknown member; anything
# else (a HETU, a name, text) is not repeated.
_SAFE_KEY = re.compile(r"^[a-z][a-z_]{0,39}$")


def from_validation_error(exc: ValidationError) -> TranslationError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = _clean(first["loc"])
    # Union branches fail at one place together ("an integer or a number"): say it once.
    same = [e for e in errors if _clean(e["loc"]) == loc]
    code, message = _classify(first, loc, " or ".join(dict.fromkeys(_expected(e) for e in same)))
    if first["type"] == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        loc = loc[:-1]
        message = (f"no member {key!r} here (the format allows only the members it defines)"
                   if _SAFE_KEY.match(key) else
                   "no such member here (the format allows only the members it defines)")
    rule = (first.get("ctx") or {}).get("error")
    where = _pointer(loc) + (rule.pointer if isinstance(rule, RuleError) else "")
    others = len({_pointer(_clean(e["loc"])) for e in errors}) - 1
    if others:
        message += f" (and {others} more)"
    return TranslationError(code, where, message)


def _classify(error: ErrorDetails, loc: Sequence[int | str], expected: str) -> tuple[str, str]:
    kind = error["type"]
    if kind in ("json_invalid", "json_type"):
        detail = (error.get("ctx") or {}).get("error", "")
        return "json.malformed", f"expected well-formed UTF-8 JSON ({detail})"
    is_rule = isinstance((error.get("ctx") or {}).get("error"), RuleError)
    message = f"expected {expected}" + ("" if is_rule else f", found {_found(error)}")
    head = loc[0] if loc else None
    if head == "format_version":
        return "social.version.unsupported", message
    if head == "client":
        if kind == "missing" and len(loc) == 1:
            return "identity.missing", "expected the client (hetu or temporary_id), found nothing"
        return "identity.invalid", message
    return "social.invalid", message


def _expected(error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    rule = ctx.get("error")
    if isinstance(rule, RuleError):
        return rule.message
    if error["type"] == "union_tag_invalid":
        return f"one of {ctx.get('expected_tags', '')} in {ctx.get('discriminator', '')}"
    if error["type"] == "union_tag_not_found":
        return f"a {ctx.get('discriminator', 'tag')} member"
    if error["type"] in _BOUNDS:
        return _BOUNDS[error["type"]].format_map(_Context(ctx))
    return describe_expected(error)


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _found(error: ErrorDetails) -> str:
    """The JSON type of what was sent; never its value."""
    if error["type"] == "missing":
        return "nothing"
    if error["type"] in ("union_tag_invalid", "literal_error", "string_pattern_mismatch",
                         "value_error", "greater_than_equal", "less_than_equal"):
        return "another value"
    return _json_type(error.get("input"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "a boolean"), (int, "an integer"), (float, "a number"),
                       (str, "a string"), (dict, "an object"), (list, "an array")):
        if isinstance(value, kind):
            return name
    return "another value"


def _clean(loc: Sequence[int | str]) -> list[int | str]:
    """Drop the parts pydantic adds for unions (the tag, the tried branch)."""
    out: list[int | str] = []
    for part in loc:
        if isinstance(part, str):
            if part in _UNION_BRANCHES or part.startswith("function-"):
                continue
            if out and out[-1] == "content" and part in KINDS:
                continue
            if (len(out) >= 2 and out[-2] == "disclosure_bans" and isinstance(out[-1], int)
                    and part in _SCOPES):
                continue
        out.append(part)
    return out


def _pointer(loc: Sequence[int | str]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)
