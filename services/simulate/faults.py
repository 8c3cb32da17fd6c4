"""What goes wrong on the wire: malformed messages (each kind chosen so that the adapter
must refuse it with a TranslationError) and exact re-sends of earlier messages.

A malformed message is a broken first attempt at a record that the source then sends
correctly, so the valid stream stays complete and the broken bytes end on the dead-letter
topic.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contracts.hetu import CHECK_CHARACTERS
from services.simulate.track import Draft

Mutate = Callable[[Draft, random.Random], bytes]


@dataclass(frozen=True)
class Mutation:
    fmt: str
    name: str
    applies: Callable[[Draft], bool]
    mutate: Mutate


def wrong_check(hetu: str) -> str:
    """The same code with a check character that does not match."""
    index = CHECK_CHARACTERS.index(hetu[-1])
    return hetu[:-1] + CHECK_CHARACTERS[(index + 7) % len(CHECK_CHARACTERS)]


# --- HL7 v2 ---------------------------------------------------------------------------


def _codec(data: bytes) -> str:
    return "iso8859-1" if b"|8859/1" in data.split(b"\r", 1)[0] else "utf-8"


def _edit_fields(data: bytes, segment: str, edit: Callable[[list[str]], None]) -> bytes:
    codec = _codec(data)
    lines = data.decode(codec).split("\r")
    for i, line in enumerate(lines):
        if line.startswith(segment + "|"):
            fields = line.split("|")
            edit(fields)
            lines[i] = "|".join(fields)
            break
    return "\r".join(lines).encode(codec)


def _set(index: int, value: str) -> Callable[[list[str]], None]:
    def edit(fields: list[str]) -> None:
        fields.extend([""] * (index + 1 - len(fields)))
        fields[index] = value
    return edit


def _hl7_truncated(hetu: str) -> Mutate:
    def mutate(draft: Draft, rng: random.Random) -> bytes:
        text = draft.payload.decode(_codec(draft.payload))
        # Cut anywhere from inside MSH to inside the identity code: never a whole message.
        cut = rng.randint(12, text.index(hetu) + len(hetu) - 3)
        return text[:cut].encode(_codec(draft.payload))
    return mutate


def _hl7_without_hetu(hetu: str) -> Mutate:
    def mutate(draft: Draft, rng: random.Random) -> bytes:
        return draft.payload.replace(f"~{hetu}^^^&1.2.246.21&ISO^NNFIN".encode(), b"")
    return mutate


def _is_adt(draft: Draft) -> bool:
    return draft.fmt == "hl7v2" and b"|ADT^" in draft.payload[:120]


def _hl7(hetu: str) -> list[Mutation]:
    hl7 = lambda d: d.fmt == "hl7v2"  # noqa: E731
    return [
        Mutation("hl7v2", "truncated", hl7, _hl7_truncated(hetu)),
        Mutation("hl7v2", "wrong-check-character", hl7, _replace_hetu(hetu)),
        Mutation("hl7v2", "missing-pid3-hetu", hl7, _hl7_without_hetu(hetu)),
        Mutation("hl7v2", "unsupported-trigger", hl7, lambda d, r: _edit_fields(
            d.payload, "MSH", _set(8, "ADT^A31^ADT_A05"))),  # MSH-9 (list index 8)
        Mutation("hl7v2", "invalid-datetime", hl7, lambda d, r: _edit_fields(
            d.payload, "MSH", _set(6, "20251341093000"))),   # MSH-7: month 13
        Mutation("hl7v2", "missing-visit-number", _is_adt, lambda d, r: _edit_fields(
            d.payload, "PV1", _set(19, ""))),
    ]


# --- JSON formats ---------------------------------------------------------------------


def _replace_hetu(hetu: str) -> Mutate:
    return lambda d, r: d.payload.replace(hetu.encode(), wrong_check(hetu).encode())


def _truncated(draft: Draft, rng: random.Random) -> bytes:
    body = draft.payload.rstrip()
    return body[:rng.randint(1, len(body) - 2)]


def _json_edit(edit: Callable[[dict[str, Any]], None]) -> Mutate:
    def mutate(draft: Draft, rng: random.Random) -> bytes:
        data = json.loads(draft.payload)
        edit(data)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return mutate


def _records(bundle_or_resource: dict[str, Any]) -> list[dict[str, Any]]:
    if bundle_or_resource.get("resourceType") != "Bundle":
        return [bundle_or_resource]
    return [e["resource"] for e in bundle_or_resource["entry"]
            if e["resource"]["resourceType"] != "MessageHeader"]


def _unknown_type(data: dict[str, Any]) -> None:
    _records(data)[-1]["resourceType"] = "MedicationRequest"


def _no_subject(data: dict[str, Any]) -> None:
    next(r for r in _records(data) if "subject" in r).pop("subject")


def _has_lifecycle(draft: Draft) -> bool:
    return draft.fmt == "fhir" and any(
        f'"resourceType":"{t}"'.encode() in draft.payload for t in ("Encounter", "Observation"))


def _unknown_status(data: dict[str, Any]) -> None:
    record = next(r for r in _records(data) if r["resourceType"] in ("Encounter", "Observation"))
    record["status"] = "unknown"


def _fhir(hetu: str) -> list[Mutation]:
    fhir = lambda d: d.fmt == "fhir"  # noqa: E731
    with_subject = lambda d: fhir(d) and b'"subject":' in d.payload  # noqa: E731
    return [
        Mutation("fhir", "broken-json", fhir, _truncated),
        Mutation("fhir", "wrong-check-character", fhir, _replace_hetu(hetu)),
        Mutation("fhir", "unknown-resource-type", fhir, _json_edit(_unknown_type)),
        Mutation("fhir", "missing-subject", with_subject, _json_edit(_no_subject)),
        Mutation("fhir", "unsupported-status", _has_lifecycle, _json_edit(_unknown_status)),
    ]


def _social(hetu: str) -> list[Mutation]:
    social = lambda d: d.fmt == "social"  # noqa: E731
    measure = lambda d: social(d) and b'"outcome-measure"' in d.payload  # noqa: E731

    def local_time(data: dict[str, Any]) -> None:
        data["document"]["modified"] = data["document"]["modified"][:19]

    def out_of_range(data: dict[str, Any]) -> None:
        data["content"]["items"][0]["score"] = 11

    return [
        Mutation("social", "broken-json", social, _truncated),
        Mutation("social", "wrong-check-character", social, _replace_hetu(hetu)),
        Mutation("social", "missing-client", social, _json_edit(lambda d: d.pop("client"))),
        Mutation("social", "time-without-offset", social, _json_edit(local_time)),
        Mutation("social", "unknown-member", social, _json_edit(
            lambda d: d["content"].update({"kommentti": "lisätty käsin"}))),
        Mutation("social", "string-for-boolean", social, _json_edit(
            lambda d: d["security"].update({"turvakielto": "false"}))),
        Mutation("social", "score-out-of-range", measure, _json_edit(out_of_range)),
    ]


def mutations(hetu: str) -> list[Mutation]:
    """Every way the simulator breaks a message of the client with `hetu`."""
    return [*_hl7(hetu), *_fhir(hetu), *_social(hetu)]


def malformed(draft: Draft, hetu: str, ordinal: int,
              rng: random.Random) -> tuple[str, bytes]:
    """The `ordinal`-th broken message of its format, as a copy of `draft`: (mutation name,
    bytes). Mutations take turns, so even a small run shows every kind of fault."""
    usable = [m for m in mutations(hetu) if m.fmt == draft.fmt]
    for step in range(len(usable)):
        chosen = usable[(ordinal + step) % len(usable)]
        if chosen.applies(draft):
            return chosen.name, chosen.mutate(draft, rng)
    raise ValueError(f"no mutation applies to a {draft.fmt} message")


def earlier(at: dt.datetime, rng: random.Random) -> dt.datetime:
    return at - dt.timedelta(minutes=rng.randint(1, 90))


def later(at: dt.datetime, rng: random.Random) -> dt.datetime:
    return at + dt.timedelta(seconds=rng.randint(1, 3 * 3600))
