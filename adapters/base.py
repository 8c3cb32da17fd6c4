"""What every adapter shares: source metadata and turning contract failures into
TranslationErrors.

An adapter is `translate(data: bytes, source: SourceInfo) -> list[ContractEvent]`; it
raises `TranslationError` and nothing else (property tests hold it to that).

Event id conventions (they make re-sends idempotent and let corrections find the original):
- the first event of a record has `ce_id = "<record id>:<kind>"`, e.g. `8812:encounter.started`;
- an amendment has a fresh id and `ce_corrects` = the original's id;
- a retraction has id `"<original id>:retracted"` and `ce_corrects` = the original's id;
- `ce_subject` is `"<ResourceType>/<record id>"`, the record's stable reference at the source.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from adapters.errors import TranslationError
from contracts.catalogue import Sector
from contracts.codes import name_words
from contracts.envelope import source_uri
from contracts.errors import ContractError
from contracts.events import ContractEvent, ContractViolation, make_event
from contracts.failures import describe_expected

MAX_INPUT_BYTES = 2 * 1024 * 1024
# FHIR resources realistically nest < 20 levels; the limit keeps recursive code (orjson.dumps,
# pydantic, the minimiser) far from its recursion limit.
MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class SourceInfo:
    """Where bytes came from: the source system id (as in deploy/topics.yaml) and sector."""

    source_id: str
    sector: Sector
    received_at: dt.datetime

    @property
    def uri(self) -> str:
        return source_uri(self.source_id)


Translator = Callable[[bytes, SourceInfo], list[ContractEvent]]


def check_size(data: bytes, limit: int = MAX_INPUT_BYTES) -> None:
    if len(data) > limit:
        raise TranslationError("input.too-large", "", f"{len(data)} bytes exceeds the {limit}-byte limit")
    if not data.strip():
        raise TranslationError("input.empty", "", "the message is empty")


def build_event(
    event_type: str,
    resource: dict[str, Any],
    source: SourceInfo,
    *,
    id: str,
    subject: str,
    time: dt.datetime | None = None,
    corrects: str | None = None,
    location: str = "",
) -> ContractEvent:
    """`make_event`, with contract failures reported as a TranslationError at `location`."""
    try:
        return make_event(
            event_type, resource, id=id, source=source.uri, time=time or source.received_at,
            subject=subject, corrects=corrects,
        )
    except ContractViolation as exc:
        first = exc.failures[0]
        where = f"{location}{first.pointer}" if location.startswith("/") or not location else (
            f"{location} (FHIR {first.pointer or '/'})")
        more = f" (and {len(exc.failures) - 1} more)" if len(exc.failures) > 1 else ""
        raise TranslationError(
            "contract.violation", where,
            f"the {event_type} profile expects {first.expected}, found {first.found}{more}",
        ) from None
    except ContractError as exc:
        raise TranslationError("contract.violation", location + exc.pointer, str(exc)) from None
    except ValidationError as exc:  # the envelope refused an id, subject or time
        error = exc.errors()[0]
        header = f"/headers/ce_{error['loc'][0]}" if error["loc"] else "/headers"
        raise TranslationError("contract.violation", header,
                               f"the envelope expects {describe_expected(error)}") from None


_CODE_KEYS = frozenset({"system", "code", "unit"})


def refuse_names(events: list[ContractEvent], names: Iterable[str],
                 names_at: str) -> list[ContractEvent]:
    """`events`, unless a code, code system or unit in one of them holds a word of a name
    the record carries (read from `names_at`): then TranslationError
    `privacy.identifier-in-code` pointing into the translated resource, never quoting it.
    Codes cross to the pseudonymised timeline as they are; names never may."""
    words = set().union(*(name_words(n) for n in names))
    if not words:
        return events
    for event in events:
        text = event.value().decode().casefold()
        if not any(word in text for word in words):
            continue  # the common case, found without walking the resource
        resource = orjson.loads(event.value())
        stack: list[tuple[str, Any]] = [("", resource)]
        while stack:
            pointer, node = stack.pop()
            children = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in children:
                if isinstance(child, (dict, list)):
                    stack.append((f"{pointer}/{key}", child))
                elif key in _CODE_KEYS and isinstance(child, str) and _holds(child, words):
                    raise TranslationError(
                        "privacy.identifier-in-code", f"{resource['resourceType']} {pointer}/{key}",
                        f"a code holds a word of a name the record carries ({names_at}); codes "
                        "never carry names")
    return events


def _holds(text: str, words: set[str]) -> bool:
    folded = text.casefold()
    return any(word in folded for word in words) and bool(name_words(folded) & words)


def load_json(data: bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """`data` parsed by orjson, with its nesting checked without recursion.

    Raises TranslationError `json.malformed` (with line and column) or `input.too-deep` at
    the JSON pointer of the first array or object deeper than `limit` (cut before the
    first member name not shaped like an element name, so no input text is echoed; `""`
    when orjson itself refuses the depth).
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg.lower() or "recursion" in exc.msg.lower():
            raise _too_deep("", limit) from None
        raise TranslationError("json.malformed", "",
                               f"not well-formed JSON at line {exc.lineno}, column "
                               f"{exc.colno}: {exc.msg}") from None
    if _containers(data) > limit:
        check_depth(value, limit)
    return value


def _containers(data: bytes | str) -> int:
    """An upper bound of how many arrays and objects `data` holds (brackets in strings
    count too): JSON with no more than `limit` of them cannot nest deeper, so the walk is
    skipped. Counting is a C loop over the bytes; the walk was 2 % of ingest's CPU."""
    if isinstance(data, str):
        return data.count("{") + data.count("[")
    return data.count(b"{") + data.count(b"[")


def refuse_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """TranslationError `input.too-deep` (as `load_json` raises it) when the JSON text
    `data` nests deeper than `limit`, for a caller whose own parser reads it next. Text
    with no more brackets than the limit cannot, and is not parsed here at all; malformed
    JSON is left to the caller's parser to report."""
    if _containers(data) <= limit:
        return
    try:
        load_json(data, limit)
    except TranslationError as exc:
        if exc.code != "json.malformed":
            raise


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """TranslationError `input.too-deep` when parsed JSON nests deeper than `limit`, found
    without recursion (see `load_json`)."""
    if not isinstance(value, (dict, list)):
        return
    # Each entry: a container, its level (the top one is 1) and its path as (parent, key).
    stack: list[tuple[Any, int, Any]] = [(value, 1, None)]
    while stack:
        node, depth, path = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    raise _too_deep(_pointer((path, key)), limit)
                stack.append((child, depth + 1, (path, key)))


_ELEMENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")


def _pointer(path: Any) -> str:
    keys: list[int | str] = []
    while path is not None:
        path, key = path
        keys.append(key)
    pointer = ""
    for key in reversed(keys):
        if not (isinstance(key, int) or _ELEMENT_NAME.match(key)):
            break  # no input text in errors: point at the container holding it instead
        pointer += f"/{key}"
    return pointer


def _too_deep(location: str, limit: int) -> TranslationError:
    return TranslationError("input.too-deep", location, f"the JSON nests deeper than {limit} levels")
