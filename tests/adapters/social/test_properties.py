"""Property tests: whatever arrives, the adapter yields valid events or a TranslationError.

Inputs are random bytes, random JSON, and golden inputs mutated (members deleted, values
swapped for others from the corpus, for random JSON, or for identity codes, names and
free text). Every event must re-validate as a contract event and as FHIR R4B; no error
text may repeat an identity code, a name, an address or free text.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.errors import TranslationError
from adapters.social import translate
from contracts.events import parse_event
from tests.adapters.social.support import SOURCE, golden_inputs

CORPUS: list[Any] = [json.loads(p.read_text()) for p in golden_inputs()]
_FREE_TEXT = {"summary", "description"}


def _walk(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _walk(value, (*path, i))
    return out


def _personal(node: Any) -> set[str]:
    """Identity codes, temporary ids, names, address lines and free text in the corpus."""
    found: set[str] = set()
    for path, value in _walk(node):
        personal = path[:1] == ("client",) or path[:2] in (("content", "name"),
                                                            ("content", "address"))
        # Short values ("FI") would match unrelated text.
        if ((personal or (path and path[-1] in _FREE_TEXT)) and isinstance(value, str)
                and len(value) >= 4):
            found.add(value)
    return found


SECRETS = sorted(set().union(*(_personal(doc) for doc in CORPUS)))
LEAVES = sorted({json.dumps(v) for doc in CORPUS for _, v in _walk(doc)
                 if not isinstance(v, dict | list)})
# Values seen under each member name: swapping them keeps documents plausible, so the
# mutations reach the mapping and not only the parser.
BY_KEY: dict[str, list[str]] = {}
for _doc in CORPUS:
    for _path, _value in _walk(_doc):
        if _path and isinstance(_path[-1], str):
            BY_KEY.setdefault(_path[-1], []).append(json.dumps(_value, sort_keys=True))
BY_KEY = {k: sorted(set(v)) for k, v in BY_KEY.items()}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6,
)
replacements = st.one_of(
    st.sampled_from(LEAVES).map(json.loads), st.sampled_from(SECRETS), json_values)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    doc = copy.deepcopy(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path, _ in _walk(doc) if path]
        *parents, last = paths[draw(st.integers(0, len(paths) - 1))]
        node = doc
        for part in parents:
            node = node[part]
        action = draw(st.sampled_from(["same-key", "delete", "replace", "rename"]))
        if action == "same-key" and last in BY_KEY:
            node[last] = json.loads(draw(st.sampled_from(BY_KEY[last])))
        elif action == "delete":
            del node[last]
        elif action == "rename" and isinstance(node, dict):
            node[draw(st.sampled_from(SECRETS))] = node.pop(last)
        else:
            node[last] = draw(replacements)
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def damaged_bytes(draw: st.DrawFn) -> bytes:
    data = json.dumps(draw(st.sampled_from(CORPUS))).encode()
    cut = draw(st.integers(0, len(data)))
    if draw(st.booleans()):
        return data[:cut]
    return data[:cut] + bytes([draw(st.integers(0, 255))]) + data[cut + 1:]


def check(data: bytes) -> None:
    try:
        events = translate(data, SOURCE)
    except TranslationError as exc:
        text = f"{exc.code} {exc.location} {exc.message}"
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, text
        assert exc.location == "" or exc.location.startswith("/"), text
        return
    for event in events:
        again = parse_event(event.headers(), event.value())
        assert again.headers() == event.headers()  # (either may be the mirror)
        value = event.resource.to_fhir()
        get_fhir_model_class(value["resourceType"]).model_validate(value)


FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    check(data)


@FAST
@given(json_values)
def test_random_json(value: Any) -> None:
    check(json.dumps(value).encode())


@FAST
@given(mutated())
def test_mutated_inputs(data: bytes) -> None:
    check(data)


@FAST
@given(damaged_bytes())
def test_truncated_or_flipped_bytes(data: bytes) -> None:
    check(data)


def test_every_golden_input_is_checked() -> None:
    for doc in CORPUS:
        check(json.dumps(doc).encode())
