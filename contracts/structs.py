"""msgspec mirrors of the pydantic contract models: the hot path's decoder and encoder.

The pydantic models stay the contract: JSON Schemas, error messages and the verdict on
anything unusual come from them. Validating an event with them costs 10-40 µs; msgspec
decodes the same JSON into Structs in 2-5. Each mirror is generated from the model's
pydantic *core schema*, the exact description pydantic validates against, so no
constraint can be forgotten: a schema node or option this module does not know makes
the mirror refuse to exist (`Unsupported`), and that type is always left to pydantic.

A mirror only ever accepts. `decode` returns a Struct when the value passes every check
pydantic would make, with the same values, or None when it cannot vouch for it; the
caller then asks pydantic for the verdict and its error messages. So verdicts are
pydantic's as long as "mirror accepts" implies "pydantic accepts, with equal values",
which tests/contracts/test_structs.py checks with pydantic as the oracle. Where msgspec
is laxer than pydantic the mirror declines:
- more than 6 fractional second digits (msgspec rounds them, pydantic truncates), or
  any `\\u` escape in JSON that has date-times (it could spell one);
- floats of 1e16 or more in size (pydantic writes `1e+16`, msgspec `1e16`), so that
  `encode` of an accepted value writes pydantic's `model_dump_json(by_alias=True,
  exclude_none=True)` bytes.
Patterns are checked here, not by msgspec: with Python's `re` (pydantic uses Rust's
regex; the closing `$` becomes `\\Z`, since Python's `$` also matches before a final
newline), remembering strings that matched, because codes and systems repeat in nearly
every event. The models' own validators (`AfterValidator`, `field_validator`,
`model_validator`) run on the Struct, which has the same attribute names; one that
raises, or returns anything but the value it was given, makes the mirror decline, and a
model with a validator that looks at classes (`isinstance`, `type`) gets no mirror.
The checks of each event type are generated as one straight-line function (see
`contracts/mirror_compiler.py`). A reader whose writer already checked the same contract
can skip them (`checks=False`: the shape alone, what msgspec enforces by itself).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import msgspec
import orjson
from pydantic import TypeAdapter

from contracts.mirror_checks import Decline, MirrorStruct, Unsupported, encode
from contracts.mirror_compiler import Compiler, only

__all__ = ["Decline", "Mirror", "MirrorStruct", "Unsupported", "encode", "mirror"]

# msgspec reads only `.` as the decimal mark of seconds (it refuses anything else); the
# seconds before it tell a time from an OID's long arc. The text found is that of
# `:[0-9]{2}\.[0-9]{7}`, but the search starts from the `.` (re scans for a literal first
# character quickly) and looks behind only there: one pass, where a search for the seven
# digits and then for the whole made two (nearly every event has an OID with a long arc).
_LONG_FRACTION = re.compile(rb"\.(?<=:[0-9]{2}\.)[0-9]{7}")


class Mirror:
    """The Struct mirror of one pydantic type; see the module docstring."""

    def __init__(self, annotation: Any) -> None:
        schema: dict[str, Any] = dict(TypeAdapter(annotation).core_schema)
        compiler = Compiler()
        if schema["type"] == "definitions":
            compiler.add_definitions(schema["definitions"])
            schema = schema["schema"]
        self._checks = []
        while schema["type"] == "function-after" and schema["schema"]["type"] == "tagged-union":
            only(schema, {"function", "schema"})
            self._checks.append(compiler.validator(schema["function"]))
            schema = schema["schema"]
        self._peek: msgspec.json.Decoder[Any] | None = None
        self._choices: dict[Any, tuple[msgspec.json.Decoder[Any], Any]] = {}
        if schema["type"] == "tagged-union":
            self._peek = compiler.tagged_union(schema, self._choices)
        else:
            annotation_, check = compiler.top(schema)
            self._choices[None] = (msgspec.json.Decoder(annotation_), check)
            self._type = annotation_
        self._long_fractions_possible = compiler.has_datetime
        self._flat = compiler.models == 1
        self._datetime_keys = tuple(compiler.datetime_keys)
        # orjson writes NaN as null: a nullable float could then pass for an absent one.
        self.from_data_ok = not compiler.nullable_float
        # `encode` writes pydantic's bytes only if no default but None is ever left out.
        self.exact_encoding = compiler.exact_encoding

    def decode(self, data: bytes, *, checks: bool = True) -> Any | None:
        """The Struct for JSON `data`, or None: then pydantic has the verdict.

        `checks=False` reads the shape only: what msgspec itself enforces (types, required
        and unknown fields, literals, lengths, numeric bounds), not the patterns, the
        models' validators and the guards above. Only for bytes a trusted writer encoded
        from a value this mirror accepted (`encode`), which it reads back equal; a caller
        that trusts must say why (services/timeline/README.md)."""
        if not checks:
            return self._shape(data)
        if self._long_fractions_possible and ((b"\\" in data and b"\\u" in data)
                                              or _LONG_FRACTION.search(data)):
            # (a \u escape could spell a digit or the decimal mark; looking for the
            # backslash alone first is a quarter of the cost: most JSON has none)
            return None
        try:
            tag = None if self._peek is None else self._peek.decode(data).tag
            if tag not in self._choices:
                return None
            decoder, check = self._choices[tag]
            value = decoder.decode(data)
            if check is not None:
                check(value)
            for validate in self._checks:
                validate(value)
        except (msgspec.ValidationError, msgspec.DecodeError, Decline):
            return None
        except Exception:  # a model's validator refused it: pydantic says why
            return None
        return value

    def _shape(self, data: bytes) -> Any | None:
        try:
            tag = None if self._peek is None else self._peek.decode(data).tag
            choice = self._choices.get(tag)
            return None if choice is None else choice[0].decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None

    def from_attributes(self, attributes: dict[str, Any], *, checks: bool = True) -> Any | None:
        """The Struct for a flat model's field values keyed as in JSON (strings, numbers,
        aware datetimes; no nested model), or None. msgspec reads a date-time string as
        JSON decoding does, so the same guard applies to the date-time fields' strings.
        `checks=False` as for `decode`."""
        if not self._flat or self._peek is not None:
            return None
        if not checks:  # the shape only, as `decode(checks=False)`
            try:
                return msgspec.convert(attributes, self._type)
            except msgspec.ValidationError:
                return None
        for key in self._datetime_keys:
            value = attributes.get(key)
            if isinstance(value, str) and _LONG_FRACTION.search(value.encode()):
                return None
        check = self._choices[None][1]
        try:
            value = msgspec.convert(attributes, self._type)
            if check is not None:
                check(value)
        except (msgspec.ValidationError, Decline):
            return None
        except Exception:
            return None
        return value

    def from_data(self, data: Any) -> Any | None:
        """The Struct for a dict of JSON values and aware datetimes (what adapters build),
        or None. It goes through JSON, the form the events topic carries; a value JSON has
        no form for is left to pydantic."""
        if not self.from_data_ok:
            return None
        try:
            encoded = orjson.dumps(data)
        except TypeError:
            return None
        return self.decode(encoded)


@functools.cache
def mirror(annotation: Any) -> Mirror | None:
    """The mirror of a pydantic type, or None when it cannot be mirrored exactly."""
    try:
        return Mirror(annotation)
    except Unsupported:
        return None
