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
The checks of each model are generated as one straight-line function (see `_Compiler`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Annotated, Any, Literal

import msgspec
import orjson
from pydantic import TypeAdapter

# msgspec reads only `.` as the decimal mark of seconds (it refuses anything else); the
# seconds before it tell a time from an OID's long arc (the cheaper search finds both).
_SEVEN_DIGITS = re.compile(rb"\.[0-9]{7}")
_LONG_FRACTION = re.compile(rb":[0-9]{2}\.[0-9]{7}")
_BIG_FLOAT = 1e16
_REMEMBERED = 20_000  # strings remembered per pattern before the memory starts again


class Unsupported(Exception):
    """The model uses something this module cannot mirror exactly."""


class Decline(Exception):
    """The mirror cannot vouch for a value (pydantic decides)."""


class Mirror:
    """The Struct mirror of one pydantic type; see the module docstring."""

    def __init__(self, annotation: Any) -> None:
        schema: dict[str, Any] = dict(TypeAdapter(annotation).core_schema)
        compiler = _Compiler()
        if schema["type"] == "definitions":
            compiler.add_definitions(schema["definitions"])
            schema = schema["schema"]
        self._checks = []
        while schema["type"] == "function-after" and schema["schema"]["type"] == "tagged-union":
            _only(schema, {"function", "schema"})
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

    def decode(self, data: bytes) -> Any | None:
        """The Struct for JSON `data`, or None: then pydantic has the verdict."""
        if self._long_fractions_possible and (b"\\u" in data or (
                _SEVEN_DIGITS.search(data) and _LONG_FRACTION.search(data))):
            return None  # (a \u escape could spell a digit or the decimal mark)
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

    def from_attributes(self, attributes: dict[str, Any]) -> Any | None:
        """The Struct for a flat model's field values keyed as in JSON (strings, numbers,
        aware datetimes; no nested model), or None. msgspec reads a date-time string as
        JSON decoding does, so the same guard applies to the date-time fields' strings."""
        if not self._flat or self._peek is not None:
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

def _only(schema: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(schema) - allowed - {"type", "metadata", "ref", "serialization"}
    if unknown:
        raise Unsupported(f"{schema['type']} with {sorted(unknown)}")


def _meta(schema: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: schema[name] for name in names if schema.get(name) is not None}


class _Pattern:
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


def _attribute_reader(function: Any) -> Any:
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


def _validator(function: Any) -> Any:
    def check(value: Any) -> None:
        if function(value) is not value:  # it transformed the value: pydantic decides
            raise Decline
    return check


def _field_validator(function: Any) -> Any:
    def check(value: Any, data: dict[str, Any]) -> None:
        if function(value, _Info(data)) is not value:
            raise Decline
    return check


class _Info:
    """What a field validator reads of pydantic's ValidationInfo: the fields before it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


def _datetime_bounds(ge: Any = None, gt: Any = None, le: Any = None,
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


def _check_float(value: float) -> None:
    if not math.isfinite(value) or abs(value) >= _BIG_FLOAT:
        raise Decline


class _Compiler:
    """Turns core-schema nodes into (msgspec annotation, check code).

    Check code is Python source checking the value held in a variable, with the checks of
    nested models written inline: a decoded event is checked by one straight-line function
    (per event type) instead of a walk over its schema."""

    def __init__(self) -> None:
        self.definitions: dict[str, dict[str, Any]] = {}
        self.structs: dict[str, Any] = {}  # model ref -> Struct
        self.building: set[str] = set()
        self.namespace: dict[str, Any] = {"Decline": Decline, "_check_float": _check_float}
        self.has_datetime = False
        self.nullable_float = False
        self.exact_encoding = True
        self.models = 0  # model nodes compiled
        self.datetime_keys: list[str] = []  # JSON names of the fields holding date-times
        self._names = 0

    def add_definitions(self, definitions: list[dict[str, Any]]) -> None:
        for definition in definitions:
            self.definitions[definition["ref"]] = definition

    def _name(self, prefix: str, value: Any = None) -> str:
        self._names += 1
        name = f"{prefix}{self._names}"
        if value is not None:
            self.namespace[name] = value
        return name

    def top(self, schema: dict[str, Any]) -> tuple[Any, Any]:
        annotation, code = self.node(schema, "v", 1)
        if not code:
            return annotation, None
        return annotation, self._function(self._name("check_top_"), code)

    def tagged_union(self, schema: dict[str, Any],
                     choices: dict[Any, tuple[msgspec.json.Decoder[Any], Any]]) -> Any:
        _only(schema, {"choices", "discriminator", "from_attributes", "strict"})
        discriminator = schema["discriminator"]
        if not isinstance(discriminator, str) or schema.get("strict"):
            raise Unsupported(f"tagged union on {discriminator!r}")
        for tag, choice in schema["choices"].items():
            annotation, check = self.top(choice)
            choices[tag] = (msgspec.json.Decoder(annotation), check)
        peek = msgspec.defstruct("Peek", [("tag", Any, msgspec.field(name=discriminator,
                                                                       default=None))])
        return msgspec.json.Decoder(peek)

    def validator(self, function: dict[str, Any]) -> Any:
        if function["type"] != "no-info":
            raise Unsupported("a validator wanting validation info outside a field")
        return _validator(_attribute_reader(function["function"]))

    def _function(self, name: str, code: list[str]) -> Any:
        source = "\n".join([f"def {name}(v):", *code])
        exec(compile(source, f"<mirror {name}>", "exec"), self.namespace)
        return self.namespace[name]

    def node(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        """(annotation, lines checking `var` at indent `depth`); [] when nothing to check."""
        handler = getattr(self, "_" + schema["type"].replace("-", "_"), None)
        if handler is None:
            raise Unsupported(schema["type"])
        ref = schema.get("ref")
        if ref is not None:
            if ref in self.building:
                raise Unsupported(f"recursive {ref}")
            self.building.add(ref)
        try:
            return handler(schema, var, depth)  # type: ignore[no-any-return]
        finally:
            self.building.discard(ref)  # type: ignore[arg-type]

    def _definitions(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"definitions", "schema"})
        self.add_definitions(schema["definitions"])
        return self.node(schema["schema"], var, depth)

    def _definition_ref(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"schema_ref"})
        return self.node(self.definitions[schema["schema_ref"]], var, depth)

    def _str(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"min_length", "max_length", "pattern"})
        meta = _meta(schema, ("min_length", "max_length"))
        annotation = Annotated[str, msgspec.Meta(**meta)] if meta else str
        if schema.get("pattern") is None:
            return annotation, []
        pattern = _Pattern(schema["pattern"])
        check, matched = self._name("pattern", pattern), self._name("matched", pattern.matched)
        return annotation, [f"{'    ' * depth}if {var} not in {matched}: {check}({var})"]

    def _int(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"ge", "gt", "le", "lt"})
        meta = _meta(schema, ("ge", "gt", "le", "lt"))
        return (Annotated[int, msgspec.Meta(**meta)] if meta else int), []

    def _float(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"allow_inf_nan"})
        return float, [f"{'    ' * depth}_check_float({var})"]

    def _bool(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, set())
        return bool, []

    def _literal(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"expected"})
        expected = tuple(schema["expected"])
        if not expected or not all(type(v) in (str, int) for v in expected):
            raise Unsupported(f"literal {expected!r}")
        return Literal[expected], []

    def _date(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, set())
        return dt.date, []

    def _datetime(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"tz_constraint", "ge", "gt", "le", "lt", "microseconds_precision"})
        constraint = schema.get("tz_constraint")
        if constraint not in ("aware", "naive", None):
            raise Unsupported(f"datetime {constraint!r}")
        self.has_datetime = True
        annotation: Any = dt.datetime if constraint is None else Annotated[
            dt.datetime, msgspec.Meta(tz=constraint == "aware")]
        bounds = _meta(schema, ("ge", "gt", "le", "lt"))
        if not bounds:
            return annotation, []
        low, high, exact = _datetime_bounds(**bounds)
        check = self._name("bounds", exact)
        return annotation, [f"{'    ' * depth}if not {low} < {var}.year < {high}: {check}({var})"]

    def _nullable(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"schema"})
        annotation, code = self.node(schema["schema"], var, depth + 1)
        if annotation is float:
            self.nullable_float = True
        if not code:
            return annotation | None, []
        return annotation | None, [f"{'    ' * depth}if {var} is not None:", *code]

    def _list(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"items_schema", "min_length", "max_length"})
        item = self._name("i")
        annotation, code = self.node(schema["items_schema"], item, depth + 1)
        meta = _meta(schema, ("min_length", "max_length"))
        listed: Any = list[annotation]  # type: ignore[valid-type]
        annotation = Annotated[listed, msgspec.Meta(**meta)] if meta else listed
        if not code:
            return annotation, []
        return annotation, [f"{'    ' * depth}for {item} in {var}:", *code]

    def _function_after(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"function", "schema"})
        annotation, code = self.node(schema["schema"], var, depth)
        if schema["function"]["type"] != "no-info":
            raise Unsupported("a validator wanting validation info outside a field")
        check = self._name("validator", _attribute_reader(schema["function"]["function"]))
        # one that transforms the value leaves the verdict to pydantic
        return annotation, [*code, f"{'    ' * depth}if {check}({var}) is not {var}: raise Decline"]

    def _model(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        _only(schema, {"cls", "config", "schema", "custom_init", "root_model"})
        if schema.get("custom_init") or schema.get("root_model"):
            raise Unsupported("a model with a custom __init__, or a root model")
        config = schema.get("config", {})
        forbid = config.get("extra_fields_behavior", "ignore")
        if forbid not in ("forbid", "ignore") or config.get("strict") \
                or config.get("validate_by_alias") is False:
            raise Unsupported(f"model config {config}")
        fields = schema["schema"]
        _only(fields, {"fields", "model_name", "computed_fields"})
        name = schema["cls"].__name__
        self.models += 1
        definitions: list[Any] = []
        code: list[str] = []
        for field_name, field in fields["fields"].items():
            definition, lines = self._field(name, field_name, field, var, depth,
                                            [d[0] for d in definitions])
            definitions.append(definition)
            code += lines
        key = f"{schema['cls'].__module__}.{schema['cls'].__qualname__}:{id(schema)}"
        struct = self.structs.get(key)
        if struct is None:
            struct = self.structs[key] = msgspec.defstruct(
                name, definitions, bases=(MirrorStruct,), kw_only=True, omit_defaults=True,
                forbid_unknown_fields=forbid == "forbid", gc=False)
        return struct, code

    def _field(self, model: str, name: str, field: dict[str, Any], owner: str, depth: int,
               before: list[str]) -> tuple[Any, list[str]]:
        _only(field, {"schema", "validation_alias", "serialization_alias", "frozen"})
        alias = field.get("validation_alias")
        if alias != field.get("serialization_alias") or not isinstance(alias, str | None):
            raise Unsupported(f"{model}.{name}: alias {alias!r}")
        options: dict[str, Any] = {} if alias is None else {"name": alias}
        schema = field["schema"]
        optional = schema["type"] == "default"
        if optional:
            default = _default(schema)
            options["default_factory" if callable(default) else "default"] = default
            # pydantic's exclude_none keeps any other default; msgspec's omit_defaults not
            self.exact_encoding &= default is None
            schema = schema["schema"]
            if schema["type"] == "function-after":
                # pydantic runs a validator on an explicit null, not on an absent value; a
                # Struct holds None for both.
                raise Unsupported(f"{model}.{name}: a validator on a field with a default")
        var = self._name("f")
        pad = "    " * depth
        inner = schema
        while inner["type"] in ("nullable", "function-after", "default"):
            inner = inner["schema"]
        if inner["type"] == "datetime":
            self.datetime_keys.append(alias or name)
        if schema["type"] == "function-after" and schema["function"]["type"] == "with-info":
            _only(schema, {"function", "schema"})
            annotation, code = self.node(schema["schema"], var, depth)
            check = self._name("field_validator",
                               _field_validator(_attribute_reader(schema["function"]["function"])))
            data = "{" + ", ".join(f"{b!r}: {owner}.{b}" for b in before) + "}"
            code = [*code, f"{pad}{check}({var}, {data})"]
        else:
            guard = optional and schema["type"] != "nullable"
            annotation, code = self.node(schema, var, depth + 1 if guard else depth)
            if code and guard:  # absent: None (a nullable's own code skips a null)
                code = [f"{pad}if {var} is not None:", *code]
        lines = [f"{pad}{var} = {owner}.{name}", *code] if code else []
        definition = (name, annotation, msgspec.field(**options)) if options else (name, annotation)
        return definition, lines


def _default(schema: dict[str, Any]) -> Any:
    _only(schema, {"schema", "default", "default_factory", "default_factory_takes_data"})
    if schema.get("default_factory_takes_data"):
        raise Unsupported("a default factory taking data")
    if "default_factory" in schema:
        if schema["default_factory"] not in (list, dict):
            raise Unsupported(f"default factory {schema['default_factory']!r}")
        return schema["default_factory"]
    if type(schema["default"]) not in (type(None), str, int, bool):
        raise Unsupported(f"default {schema['default']!r}")
    return schema["default"]
