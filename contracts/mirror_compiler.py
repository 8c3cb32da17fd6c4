"""From a pydantic core schema to msgspec Structs and the Python code checking them: the
machinery behind contracts/structs.py (read that module's docstring first).

Every node type and option is listed; anything else raises `Unsupported`, so a mirror
never silently drops a constraint.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec

from contracts.mirror_checks import (
    Decline,
    MirrorStruct,
    Pattern,
    Unsupported,
    attribute_reader,
    check_float,
    datetime_bounds,
    field_validator_check,
    validator_check,
)


def only(schema: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(schema) - allowed - {"type", "metadata", "ref", "serialization"}
    if unknown:
        raise Unsupported(f"{schema['type']} with {sorted(unknown)}")


def _meta(schema: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: schema[name] for name in names if schema.get(name) is not None}


class Compiler:
    """Turns core-schema nodes into (msgspec annotation, check code).

    Check code is Python source checking the value held in a variable, with the checks of
    nested models written inline: a decoded event is checked by one straight-line function
    (per event type) instead of a walk over its schema."""

    def __init__(self) -> None:
        self.definitions: dict[str, dict[str, Any]] = {}
        self.structs: dict[str, Any] = {}  # model ref -> Struct
        self.building: set[str] = set()
        self.namespace: dict[str, Any] = {"Decline": Decline, "check_float": check_float}
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
        only(schema, {"choices", "discriminator", "from_attributes", "strict"})
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
        return validator_check(attribute_reader(function["function"]))

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
        only(schema, {"definitions", "schema"})
        self.add_definitions(schema["definitions"])
        return self.node(schema["schema"], var, depth)

    def _definition_ref(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"schema_ref"})
        return self.node(self.definitions[schema["schema_ref"]], var, depth)

    def _str(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"min_length", "max_length", "pattern"})
        meta = _meta(schema, ("min_length", "max_length"))
        annotation = Annotated[str, msgspec.Meta(**meta)] if meta else str
        if schema.get("pattern") is None:
            return annotation, []
        pattern = Pattern(schema["pattern"])
        check, matched = self._name("pattern", pattern), self._name("matched", pattern.matched)
        return annotation, [f"{'    ' * depth}if {var} not in {matched}: {check}({var})"]

    def _int(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"ge", "gt", "le", "lt"})
        meta = _meta(schema, ("ge", "gt", "le", "lt"))
        return (Annotated[int, msgspec.Meta(**meta)] if meta else int), []

    def _float(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"allow_inf_nan"})
        return float, [f"{'    ' * depth}check_float({var})"]

    def _bool(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, set())
        return bool, []

    def _literal(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"expected"})
        expected = tuple(schema["expected"])
        if not expected or not all(type(v) in (str, int) for v in expected):
            raise Unsupported(f"literal {expected!r}")
        return Literal[expected], []

    def _date(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, set())
        return dt.date, []

    def _datetime(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"tz_constraint", "ge", "gt", "le", "lt", "microseconds_precision"})
        constraint = schema.get("tz_constraint")
        if constraint not in ("aware", "naive", None):
            raise Unsupported(f"datetime {constraint!r}")
        self.has_datetime = True
        annotation: Any = dt.datetime if constraint is None else Annotated[
            dt.datetime, msgspec.Meta(tz=constraint == "aware")]
        bounds = _meta(schema, ("ge", "gt", "le", "lt"))
        if not bounds:
            return annotation, []
        low, high, exact = datetime_bounds(**bounds)
        check = self._name("bounds", exact)
        return annotation, [f"{'    ' * depth}if not {low} < {var}.year < {high}: {check}({var})"]

    def _nullable(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"schema"})
        annotation, code = self.node(schema["schema"], var, depth + 1)
        if annotation is float:
            self.nullable_float = True
        if not code:
            return annotation | None, []
        return annotation | None, [f"{'    ' * depth}if {var} is not None:", *code]

    def _list(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"items_schema", "min_length", "max_length"})
        item = self._name("i")
        annotation, code = self.node(schema["items_schema"], item, depth + 1)
        meta = _meta(schema, ("min_length", "max_length"))
        listed: Any = list[annotation]  # type: ignore[valid-type]
        annotation = Annotated[listed, msgspec.Meta(**meta)] if meta else listed
        if not code:
            return annotation, []
        return annotation, [f"{'    ' * depth}for {item} in {var}:", *code]

    def _function_after(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"function", "schema"})
        annotation, code = self.node(schema["schema"], var, depth)
        if schema["function"]["type"] != "no-info":
            raise Unsupported("a validator wanting validation info outside a field")
        check = self._name("validator", attribute_reader(schema["function"]["function"]))
        # one that transforms the value leaves the verdict to pydantic
        return annotation, [*code, f"{'    ' * depth}if {check}({var}) is not {var}: raise Decline"]

    def _model(self, schema: dict[str, Any], var: str, depth: int) -> tuple[Any, list[str]]:
        only(schema, {"cls", "config", "schema", "custom_init", "root_model"})
        if schema.get("custom_init") or schema.get("root_model"):
            raise Unsupported("a model with a custom __init__, or a root model")
        config = schema.get("config", {})
        forbid = config.get("extra_fields_behavior", "ignore")
        if forbid not in ("forbid", "ignore") or config.get("strict") \
                or config.get("validate_by_alias") is False:
            raise Unsupported(f"model config {config}")
        fields = schema["schema"]
        only(fields, {"fields", "model_name", "computed_fields"})
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
        only(field, {"schema", "validation_alias", "serialization_alias", "frozen"})
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
            only(schema, {"function", "schema"})
            annotation, code = self.node(schema["schema"], var, depth)
            check = self._name("field_validator",
                               field_validator_check(attribute_reader(schema["function"]["function"])))
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
    only(schema, {"schema", "default", "default_factory", "default_factory_takes_data"})
    if schema.get("default_factory_takes_data"):
        raise Unsupported("a default factory taking data")
    if "default_factory" in schema:
        if schema["default_factory"] not in (list, dict):
            raise Unsupported(f"default factory {schema['default_factory']!r}")
        return schema["default_factory"]
    if type(schema["default"]) not in (type(None), str, int, bool):
        raise Unsupported(f"default {schema['default']!r}")
    return schema["default"]
