"""Bad input: a typed TranslationError with the right code and JSON pointer, no leaks."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from adapters.errors import TranslationError
from adapters.social import translate
from tests.adapters.social.support import GOLDEN, SOURCE

Json = dict[str, Any]


def load(name: str) -> Json:
    return json.loads((GOLDEN / f"{name}.json").read_text())


def edit(name: str, change: Callable[[Json], None]) -> bytes:
    data = copy.deepcopy(load(name))
    change(data)
    return json.dumps(data).encode()


def _set(path: str, value: Any) -> Callable[[Json], None]:
    def change(data: Json) -> None:
        *parents, last = path.strip("/").split("/")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


_DELETE = object()
HETU = load("service-started")["client"]["hetu"]

CASES: list[tuple[str, bytes, str, str]] = [
    ("empty", b"  ", "input.empty", ""),
    ("truncated json", b'{"format_version": 1, "document": {', "json.malformed", ""),
    ("not utf-8", b'{"format_version": "\xff"}', "json.malformed", ""),
    ("array", b"[]", "social.invalid", ""),
    ("format version 2", edit("service-started", _set("/format_version", 2)),
     "social.version.unsupported", "/format_version"),
    ("no client", edit("service-started", _set("/client", _DELETE)), "identity.missing", "/client"),
    ("empty client", edit("service-started", _set("/client", {})), "identity.missing", "/client"),
    ("both ids", edit("service-started", _set("/client/temporary_id",
                                               {"system": "1.2.246.10.1.2", "value": "T-1"})),
     "identity.invalid", "/client"),
    ("bad check character", edit("service-started", _set("/client/hetu", HETU[:-1] + "X")),
     "identity.invalid", "/client/hetu"),
    ("hetu as number", edit("service-started", _set("/client/hetu", 140315942)),
     "identity.invalid", "/client/hetu"),
    ("temporary id outside 1.2.246.10", edit(
        "notification-need-notice-temporary-id", _set("/client/temporary_id/system", "1.2.3.4")),
     "identity.invalid", "/client/temporary_id/system"),
    ("unknown kind", edit("service-started", _set("/content/kind", "meeting")),
     "social.invalid", "/content"),
    ("no kind", edit("service-started", _set("/content/kind", _DELETE)),
     "social.invalid", "/content"),
    ("time without offset", edit("notification-child-welfare", _set(
        "/content/received_at", "2025-02-06T13:20:00")), "social.invalid", "/content/received_at"),
    ("year out of range", edit("notification-child-welfare", _set(
        "/content/received_at", "1700-02-06T13:20:00+02:00")),
     "social.invalid", "/content/received_at"),
    ("closed without end", edit("client-relationship-closed", _set("/content/period/end", _DELETE)),
     "social.invalid", "/content/period/end"),
    ("end before start", edit("service-ended", _set("/content/period/end",
                                                     "2025-01-01T00:00:00+02:00")),
     "social.invalid", "/content/period/end"),
    ("kykyviisari score 11", edit("outcome-measure-recorded", _set("/content/items/0/score", 11)),
     "social.invalid", "/content/items/0/score"),
    ("score as string", edit("outcome-measure-recorded", _set("/content/items/0/score", "6")),
     "social.invalid", "/content/items/0/score"),
    ("duplicate item", edit("outcome-measure-recorded", _set("/content/items/1/item", "total")),
     "social.invalid", "/content/items/1/item"),
    ("goal target as string", edit("client-plan-created", _set("/content/goals/0/target", "7")),
     "social.invalid", "/content/goals/0/target"),
    ("new plan completed", edit("client-plan-created", _set("/content/status", "completed")),
     "social.invalid", "/content/status"),
    ("findings on a started assessment", edit("assessment-started", _set(
        "/content/findings", load("assessment-completed")["content"]["findings"])),
     "social.invalid", "/content/findings"),
    ("relationship without case", edit("client-relationship-opened",
                                       _set("/document/case_id", _DELETE)),
     "social.invalid", "/document/case_id"),
    ("modified before created", edit("service-started", _set(
        "/document/modified", "2024-01-01T00:00:00+02:00")),
     "social.invalid", "/document/modified"),
    ("version 0", edit("service-started", _set("/document/version", 0)),
     "social.invalid", "/document/version"),
    ("unknown status", edit("service-started", _set("/document/status", "draft")),
     "social.invalid", "/document/status"),
    ("palvelutehtävä with a space", edit("service-started", _set("/document/service_task", "2 2")),
     "social.invalid", "/document/service_task"),
    ("register holder not an OID", edit("service-started", _set(
        "/document/register_holder", "THL")), "social.invalid", "/document/register_holder"),
    ("turvakielto missing", edit("service-started", _set("/security/turvakielto", _DELETE)),
     "social.invalid", "/security/turvakielto"),
    ("turvakielto as a string", edit("service-started", _set("/security/turvakielto", "false")),
     "social.invalid", "/security/turvakielto"),
    ("ban without its service task", edit("ban-service-task", _set(
        "/security/disclosure_bans/0/service_task", _DELETE)),
     "social.invalid", "/security/disclosure_bans/0/service_task"),
    ("ban with an unknown scope", edit("ban-service-task", _set(
        "/security/disclosure_bans/0/scope", "everything")),
     "social.invalid", "/security/disclosure_bans/0"),
    ("misspelt member", edit("service-started", _set("/document/servise_task", "22")),
     "social.invalid", "/document"),
    ("client data withdrawn", edit("client-data-recorded", _set("/document/status",
                                                                "entered-in-error")),
     "social.correction.unsupported", "/document/status"),
    ("family name too long", edit("client-data-recorded", _set("/content/name/family", "E" * 300)),
     "social.invalid", "/content/name/family"),
    ("empty address", edit("client-data-recorded", _set("/content/address", {})),
     "social.invalid", "/content/address"),
    ("item id too long", edit("outcome-measure-recorded", _set("/content/record_id", "k" * 60)),
     "social.invalid", "/content/items/0/item"),
    ("record id with a slash", edit("service-started", _set("/content/record_id", "a/b")),
     "social.invalid", "/content/record_id"),
]


@pytest.mark.parametrize(("data", "code", "location"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_typed_error(data: bytes, code: str, location: str) -> None:
    with pytest.raises(TranslationError) as caught:
        translate(data, SOURCE)
    assert (caught.value.code, caught.value.location) == (code, location), caught.value.message
    assert HETU not in str(caught.value)


def test_too_large() -> None:
    with pytest.raises(TranslationError) as caught:
        translate(b" " * (3 * 1024 * 1024) + b"{}", SOURCE)
    assert caught.value.code == "input.too-large"


def test_misspelt_member_is_named_but_a_hetu_key_is_not() -> None:
    with pytest.raises(TranslationError) as caught:
        translate(edit("service-started", _set("/document/servise_task", "22")), SOURCE)
    assert "servise_task" in caught.value.message
    with pytest.raises(TranslationError) as caught:
        translate(edit("service-started", _set(f"/content/{HETU}", "x")), SOURCE)
    assert caught.value.location == "/content"
    assert HETU not in str(caught.value)


def test_identity_and_name_values_never_in_messages() -> None:
    secrets = ["Esimerkki", "E" * 300, HETU[:-1] + "X"]
    for data in (
        edit("client-data-recorded", _set("/content/name/family", "E" * 300)),
        edit("client-data-recorded", _set("/content/name/given", "Esimerkki")),
        edit("service-started", _set("/client/hetu", HETU[:-1] + "X")),
        edit("service-started", _set("/content/kind", HETU)),
        edit("service-started", _set("/document/status", "Esimerkki")),
    ):
        with pytest.raises(TranslationError) as caught:
            translate(data, SOURCE)
        assert not any(s in str(caught.value) for s in secrets), str(caught.value)
