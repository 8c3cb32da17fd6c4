"""Backward compatibility inside a major version, judged from a producer's side.

A message that conformed to the released schema must still conform: so removing a field,
adding a required one, or narrowing what a field accepts (types, enums, consts, patterns,
lengths, bounds) is breaking and needs a new major version (`.v2` types, `schemas/v2/`).
Adding optional fields or widening is fine. The released schemas are frozen under
`schemas/baseline/v<major>/`; the test suite compares the models against them.

A changed `pattern` is breaking unless it is the old regular expression with character
classes widened in place (`[a-z-]` to `[a-z0-9-]`): the one widening of a pattern that can
be checked by reading it. Any other change of a pattern is reported for a person to judge.

Limits: rules that live only in validators (e.g. "a coding with system X somewhere in
this list") are invisible to JSON Schema and so to this check.
"""

from __future__ import annotations

from typing import Any

_NUMERIC_MIN = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_NUMERIC_MAX = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Human-readable breaking changes from `old` to `new` (empty: compatible)."""
    found: list[str] = []
    _compare(old, new, old, new, "", found, set())
    return found


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get("$defs", {}).get(name, {})
    return node


def _branches(node: dict[str, Any]) -> list[dict[str, Any]] | None:
    return node.get("anyOf") or node.get("oneOf")


def _signature(node: dict[str, Any], root: dict[str, Any]) -> str:
    node = _resolve(node, root)
    resource_type = node.get("properties", {}).get("resourceType", {}).get("const")
    if resource_type:
        return f"resource:{resource_type}"
    return str(node.get("type", node.get("const", node.get("title", "?"))))


def _compare(old: dict[str, Any], new: dict[str, Any], old_root: dict[str, Any],
             new_root: dict[str, Any], path: str, found: list[str],
             seen: set[tuple[str, str]]) -> None:
    pair = (old.get("$ref", ""), new.get("$ref", ""))
    if pair != ("", ""):
        if pair in seen:
            return
        seen = seen | {pair}
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    where = path or "/"

    old_branches, new_branches = _branches(old), _branches(new)
    if old_branches or new_branches:
        olds = old_branches or [old]
        news = {_signature(b, new_root): b for b in (new_branches or [new])}
        for branch in olds:
            match = news.get(_signature(branch, old_root))
            if match is None:
                found.append(f"{where}: no longer accepts {_signature(branch, old_root)}")
            else:
                _compare(branch, match, old_root, new_root, path, found, seen)
        return

    _compare_scalars(old, new, where, found)
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_props.items():
        if name not in new_props:
            found.append(f"{path}/{name}: field removed")
        else:
            _compare(schema, new_props[name], old_root, new_root, f"{path}/{name}", found, seen)
    for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        found.append(f"{path}/{name}: became required")
    if old.get("additionalProperties", True) is not False and new.get(
            "additionalProperties", True) is False:
        found.append(f"{where}: no longer accepts additional properties")
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_root, new_root, f"{path}/[]", found, seen)


def _compare_scalars(old: dict[str, Any], new: dict[str, Any], where: str,
                     found: list[str]) -> None:
    old_types, new_types = _types(old), _types(new)
    if old_types and new_types and not old_types <= new_types:
        found.append(f"{where}: type narrowed from {sorted(old_types)} to {sorted(new_types)}")
    old_values, new_values = _values(old), _values(new)
    if new_values is not None and (old_values is None or not old_values <= new_values):
        lost = sorted(map(str, (old_values or {"(any)"}) - new_values))
        found.append(f"{where}: no longer accepts {', '.join(lost)}")
    if "pattern" in new and not pattern_widened(old.get("pattern"), new["pattern"]):
        found.append(f"{where}: pattern changed to {new['pattern']}")
    if "format" in new and old.get("format") != new["format"]:
        found.append(f"{where}: format changed to {new['format']}")
    for key in _NUMERIC_MIN:
        if key in new and (key not in old or new[key] > old[key]):
            found.append(f"{where}: {key} raised to {new[key]}")
    for key in _NUMERIC_MAX:
        if key in new and (key not in old or new[key] < old[key]):
            found.append(f"{where}: {key} lowered to {new[key]}")


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    types = set(kind) if isinstance(kind, list) else {kind} if kind else set()
    if "integer" in types:
        types.add("integer")
    if "number" in types:
        types.add("integer")  # a number field accepts integers
    return types


def _values(node: dict[str, Any]) -> set[Any] | None:
    if "const" in node:
        return {_hashable(node["const"])}
    if "enum" in node:
        return {_hashable(v) for v in node["enum"]}
    return None


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


def pattern_widened(old: str | None, new: str) -> bool:
    """True when `new` accepts everything `old` did because it is `old` with some
    character classes replaced by supersets (and nothing else changed)."""
    if old is None or "(?!" in old or "(?<!" in old:
        return old == new  # inside a negative lookaround a wider class accepts less
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    if len(old_tokens) != len(new_tokens):
        return False
    return all(a == b or (a.startswith("[") and b.startswith("[") and _within(a, b))
               for a, b in zip(old_tokens, new_tokens, strict=True))


def _tokens(pattern: str) -> list[str]:
    """A pattern as character classes (`[...]`), escapes (`\\.`) and single characters."""
    tokens, i = [], 0
    while i < len(pattern):
        if pattern[i] == "[":
            end = pattern.index("]", i + 2 if pattern[i + 1:i + 2] in ("]", "^") else i + 1)
            tokens.append(pattern[i:end + 1])
            i = end + 1
        else:
            width = 2 if pattern[i] == "\\" else 1
            tokens.append(pattern[i:i + width])
            i += width
    return tokens


def _within(old: str, new: str) -> bool:
    """Whether class `old` accepts nothing that class `new` refuses (negated classes and
    classes with escapes must stay as they were)."""
    if "^" in (old[1:2], new[1:2]) or "\\" in old + new:
        return old == new
    ranges = _ranges(new[1:-1])
    return all(any(lo <= a and b <= hi for lo, hi in ranges) for a, b in _ranges(old[1:-1]))


def _ranges(body: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            out.append((body[i], body[i + 2]))
            i += 3
        else:
            out.append((body[i], body[i]))
            i += 1
    return out
