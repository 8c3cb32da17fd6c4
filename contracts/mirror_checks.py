"""What a msgspec mirror (contracts/structs.py) is made of at run time: its Struct base,
its encoder, and the checks its generated code calls (patterns that remember matches,
the models' validators, date-time bounds, finite floats)."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Any

import msgspec

_BIG_FLOAT = 1e16
_REMEMBERED = 20_000  # strings remembered per pattern before the memory starts again


class Unsupported(Exception):
    """The model uses something this module cannot mirror exactly."""


class Decline(Exception):
    """The mirror cannot vouch for a value (pydantic decides)."""


_ENCODER = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    """A decoded Struct as JSON: what pydantic's `model_dump_json(by_alias=True,
    exclude_none=True)` writes for the same value, when the mirror's `exact_encoding`."""
    return _ENCODER.encode(value)


class MirrorStruct(msgspec.Struct):
    """The base of every mirror: the serialising methods of contracts' pydantic models."""

    def to_fhir(self) -> dict[str, Any]:
        """JSON data (aliases applied, absent elements left out), like `model_dump`."""
        return msgspec.to_builtins(self)  # type: ignore[no-any-return]

    def to_json(self) -> bytes:
        return encode(self)


# --- from core schemas to Structs and check functions --------------------------------


class Pattern:
    """A pattern check that remembers the strings that matched."""

    def __init__(self, pattern: str) -> None:
        # pydantic matches with Rust's regex, whose `$` is the end of the text only.
        if pattern.count("$") != 1 or not pattern.endswith("$") or pattern.endswith("\\$"):
            raise Unsupported(f"pattern {pattern!r}")
        self.search = re.compile(pattern[:-1] + r"\Z").search
        self.matched: set[str] = set()

    def __call__(self, text: str) -> None:
        if self.search(text) is None:
            raise Decline
        if len(self.matched) >= _REMEMBERED:
            self.matched.clear()
        self.matched.add(text)


def attribute_reader(function: Any) -> Any:
    """`function`, if it reads its value only by attributes: one that asks for the class
    (`isinstance`, `type`) would tell a Struct from the model and could pass it wrongly.
    pydantic's own constraint functions (a length after a validator) see lists and
    strings, the same in both."""
    inner = function.func if isinstance(function, functools.partial) else function
    if getattr(inner, "__module__", None) == "pydantic._internal._validators":
        return function
    code = getattr(getattr(inner, "__func__", inner), "__code__", None)
    if code is None or {"isinstance", "issubclass", "type", "__class__"} & set(code.co_names):
        raise Unsupported(f"validator {getattr(function, '__qualname__', function)!r} looks "
                          "at classes")
    return function


def validator_check(function: Any) -> Any:
    def check(value: Any) -> None:
        if function(value) is not value:  # it transformed the value: pydantic decides
            raise Decline
    return check


def field_validator_check(function: Any) -> Any:
    def check(value: Any, data: dict[str, Any]) -> None:
        if function(value, _Info(data)) is not value:
            raise Decline
    return check


class _Info:
    """What a field validator reads of pydantic's ValidationInfo: the fields before it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


def datetime_bounds(ge: Any = None, gt: Any = None, le: Any = None,
                     lt: Any = None) -> tuple[int, int, Any]:
    """(low year, high year, exact check): a year strictly between the bounds' years is
    inside them whatever the offsets, and settles nearly every value without comparing
    aware datetimes (which asks both for their offsets)."""
    low = max((b.year for b in (ge, gt) if b is not None), default=dt.MINYEAR - 1)
    high = min((b.year for b in (le, lt) if b is not None), default=dt.MAXYEAR + 1)

    def check(value: dt.datetime) -> None:
        if (ge is not None and value < ge) or (gt is not None and value <= gt) \
                or (le is not None and value > le) or (lt is not None and value >= lt):
            raise Decline
    return low, high, check


def check_float(value: float) -> None:
    if not math.isfinite(value) or abs(value) >= _BIG_FLOAT:
        raise Decline
