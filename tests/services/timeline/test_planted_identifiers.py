"""Whatever field a sender puts an identity code or a name in, it never reaches a timeline
entry: hypothesis plants identity codes (every century sign, either case, alone or inside
other text) and the record's own names into every string field of every input format, and
runs the bytes through the adapter and the timeline's minimiser and code checks."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.codes import CodeProblem
from contracts.hetu import make_hetu
from services.pseudonyms import Pseudonymiser
from services.timeline.minimise import check_codes, entry_data, entry_json, keys_of
from tests.support.messages import DATA

PSEUDO = Pseudonymiser(b"k" * 32, "k1")
FILES = {fmt: sorted((DATA / fmt).glob("*.hl7" if fmt == "hl7v2" else "*.json"))
         for fmt in ("hl7v2", "fhir", "social")}
SECTOR = {"hl7v2": "health", "fhir": "health", "social": "social"}


def entries(fmt: str, data: bytes) -> list[str]:
    """The timeline entries these bytes become, as the timeline service would publish them."""
    source = SourceInfo("planted", SECTOR[fmt], dt.datetime(2026, 1, 1, tzinfo=dt.UTC))  # type: ignore[arg-type]
    try:
        events = translator(fmt)(data, source)
    except TranslationError:
        return []
    out = []
    for event in events:
        if event.spec.restricted:
            continue
        entry = entry_data(event, keys_of(event, PSEUDO), PSEUDO, sector=SECTOR[fmt], sequence=1)
        try:
            check_codes(entry)
        except CodeProblem:
            continue
        out.append(entry_json(entry).decode())
    return out


# -- where to plant: every string of a JSON document, every component of an ER7 message

def json_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in json_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in json_paths(v, (*path, i))]
    return [path] if isinstance(node, str) else []


def plant_json(text: bytes, index: int, make: Any) -> bytes:
    document = json.loads(text)
    paths = json_paths(document)
    *parents, last = paths[index % len(paths)]
    node = document
    for key in parents:
        node = node[key]
    node[last] = make(node[last])
    return json.dumps(document, ensure_ascii=False).encode()


def _er7(data: bytes) -> tuple[str, list[str], str, str]:
    """(codec, segments and their separators alternating, field and component separators)."""
    codec = "latin-1" if b"8859" in data else "utf-8"
    text = data.decode(codec)
    return codec, re.split(r"(\r\n|\r|\n)", text), text[3], text[4]


def plant_er7(data: bytes, index: int, make: Any) -> bytes:
    codec, parts, field_sep, comp_sep = _er7(data)
    positions = []
    for s in range(0, len(parts), 2):
        fields = parts[s].split(field_sep)
        first = 2 if fields[0] == "MSH" else 1  # MSH-1/MSH-2 are the delimiters
        positions += [(s, f, c) for f in range(first, len(fields))
                      for c in range(len(fields[f].split(comp_sep)))]
    s, f, c = positions[index % len(positions)]
    fields = parts[s].split(field_sep)
    components = fields[f].split(comp_sep)
    components[c] = make(components[c])
    fields[f] = comp_sep.join(components)
    parts[s] = field_sep.join(fields)
    return "".join(parts).encode(codec, errors="replace")


# -- what to plant: identity codes and the names the record carries

def record_names(fmt: str, data: bytes) -> list[str]:
    if fmt == "hl7v2":
        _, parts, field_sep, comp_sep = _er7(data)
        pid = next(p.split(field_sep) for p in parts if p.startswith("PID"))
        return [c for c in pid[5].split(comp_sep) if len(c) >= 2] if len(pid) > 5 else []
    document = json.loads(data)
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("name")
            for n in name if isinstance(name, list) else [name]:
                if isinstance(n, dict) and isinstance(n.get("family"), str):
                    found.extend([n["family"], *n.get("given", [])])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(document)
    return found


@st.composite
def identity_codes(draw: st.DrawFn) -> str:
    day = draw(st.dates(dt.date(1850, 1, 1), dt.date(2099, 12, 31)))
    signs = {18: "+", 19: "-UVWXY", 20: "ABCDEF"}[day.year // 100]
    code = make_hetu(day, draw(st.integers(2, 899)), draw(st.sampled_from(signs)))
    return code.lower() if draw(st.booleans()) else code


@st.composite
def planted(draw: st.DrawFn, fmt: str) -> tuple[bytes, str]:
    """(bytes, the planted value)."""
    path = draw(st.sampled_from(FILES[fmt]))
    data = path.read_bytes()
    names = record_names(fmt, data)
    if names and draw(st.booleans()):
        value = draw(st.sampled_from(names))
        value = draw(st.sampled_from([value, value.upper(), value.lower()]))
    else:
        value = draw(identity_codes())
    how = draw(st.sampled_from(["replace", "prefix", "suffix"]))
    make = {"replace": lambda old: value, "prefix": lambda old: f"{value} {old}",
            "suffix": lambda old: f"{old}-{value}"}[how]
    index = draw(st.integers(0, 10_000))
    plant = plant_er7 if fmt == "hl7v2" else plant_json
    return plant(data, index, make), value


def _check(fmt: str, case: tuple[bytes, str]) -> None:
    data, value = case
    for entry in entries(fmt, data):
        assert value.casefold() not in entry.casefold(), (fmt, value, entry)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted("hl7v2"))
def test_hl7v2(case: tuple[bytes, str]) -> None:
    _check("hl7v2", case)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted("fhir"))
def test_fhir(case: tuple[bytes, str]) -> None:
    _check("fhir", case)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted("social"))
def test_social(case: tuple[bytes, str]) -> None:
    _check("social", case)
