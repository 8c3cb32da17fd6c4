"""Pseudonymisation, minimisation and the security-label policy, on real contract events."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contracts import systems
from contracts.catalogue import CATALOGUE
from contracts.events import ContractEvent, parse_event
from services.pseudonyms import Pseudonymiser
from services.timeline.minimise import entry_data, entry_json, keys_of, to_entry
from services.timeline.policy import Policy

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples" / "v1"
PSEUDO = Pseudonymiser(b"k" * 32, "k1")
TIMELINE_TYPES = [s for s in CATALOGUE if not s.restricted]


def message(event_type: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{event_type}.json").read_text())


def event_of(m: dict[str, Any]) -> ContractEvent:
    return parse_event(m["headers"], m["value"])


def entry_bytes(event: ContractEvent, coarsen: bool = False) -> bytes:
    entry = to_entry(event, keys_of(event, PSEUDO), PSEUDO, sector="health", sequence=1,
                     coarsen=coarsen)
    return entry.model_dump_json().encode()


def _strings(node: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, k)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, key)]
    return [(key, node)] if isinstance(node, str) else []


@pytest.mark.parametrize("spec", TIMELINE_TYPES, ids=lambda s: s.type)
def test_no_identity_display_text_or_free_text_crosses(spec) -> None:
    m = message(spec.type)
    value = m["value"]
    data = entry_bytes(event_of(m))
    for key, text in _strings(value):
        if key in {"display", "text", "valueString", "family", "given", "line", "city"} or (
                key == "value" and text.startswith(("0", "1", "2", "3"))
                and len(text) == 11):
            assert text.encode() not in data, f"{key}={text!r} leaked"
    assert b"100190Y999P" not in data


@settings(max_examples=60, deadline=None)
@given(spec=st.sampled_from(TIMELINE_TYPES),
       secret=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                      min_size=6, max_size=40).filter(lambda s: s.strip() == s and " " not in s))
def test_injected_free_text_never_reaches_an_entry(spec, secret: str) -> None:
    m = copy.deepcopy(message(spec.type))
    # A "secret" that is part of a code the entry carries anyway (e.g. "servic") proves nothing.
    assume(secret.encode() not in entry_bytes(event_of(m)))
    value = m["value"]
    for element in ("code", "serviceType", "method", "valueCodeableConcept"):
        if isinstance(value.get(element), dict):
            value[element]["text"] = secret
            value[element]["coding"][0]["display"] = secret
    if value["resourceType"] == "Observation" and spec.type.endswith("observation.recorded.v1"):
        value.pop("valueQuantity", None)
        value["valueString"] = secret
    data = entry_bytes(event_of(m))
    assert secret.encode() not in data
    assert json.dumps(secret, ensure_ascii=False)[1:-1].encode() not in data


def test_same_person_same_pseudonym_and_sign_matters() -> None:
    a = PSEUDO.pseudonym(systems.HETU, "100190-999P")
    assert a == PSEUDO.pseudonym(systems.HETU, "100190-999P")
    assert a != PSEUDO.pseudonym(systems.HETU, "100190Y999P")
    assert a != Pseudonymiser(b"x" * 32, "k2").pseudonym(systems.HETU, "100190-999P")


def test_restricted_types_and_disclosure_bans_are_dropped() -> None:
    policy = Policy()
    patient = event_of(message("fi.silta.common.patient.identified.v1"))
    assert policy.decide(patient).reason == "restricted-type"
    m = message("fi.silta.social.decision.made.v1")
    m["value"]["meta"]["security"].append({"system": systems.SECURITY_LABEL,
                                           "code": systems.LUOVUTUSKIELTO})
    banned = policy.decide(event_of(m))
    assert (banned.keep, banned.reason, banned.withdraw) == (False, "disclosure-ban", False)
    assert Policy(drop_disclosure_banned=False).decide(event_of(m)).keep


def test_a_ban_on_a_correction_withdraws_the_earlier_entry() -> None:
    m = message("fi.silta.common.record.amended.v1")
    m["value"]["meta"]["security"].append({"system": systems.SECURITY_LABEL,
                                           "code": systems.LUOVUTUSKIELTO})
    decision = Policy().decide(event_of(m))
    assert decision.withdraw and not decision.keep


def test_turvakielto_keeps_the_record_but_not_where_it_happened() -> None:
    m = message("fi.silta.health.encounter.started.v1")
    m["value"]["meta"]["security"].append({"system": systems.SECURITY_LABEL,
                                           "code": systems.TURVAKIELTO})
    event = event_of(m)
    decision = Policy().decide(event)
    assert decision.keep and decision.coarsen
    entry = to_entry(event, keys_of(event, PSEUDO), PSEUDO, sector="health", sequence=1, coarsen=True)
    assert entry.organisation is None and "TURVAKIELTO" in entry.security_labels
    assert b"1.2.246.10.1234567.10.0" not in entry.model_dump_json().encode()


def test_corrections_point_at_the_entry_they_correct() -> None:
    original = event_of(message("fi.silta.health.encounter.started.v1"))
    amended = event_of(message("fi.silta.common.record.amended.v1"))
    first = to_entry(original, keys_of(original, PSEUDO), PSEUDO, sector="health", sequence=1)
    second = to_entry(amended, keys_of(amended, PSEUDO), PSEUDO, sector="health", sequence=2)
    assert second.status == "amended" and second.corrects == first.entry_id
    retraction = event_of(message("fi.silta.health.encounter.cancelled.v1"))
    third = to_entry(retraction, keys_of(retraction, PSEUDO), PSEUDO, sector="health", sequence=3)
    assert third.status == "retracted" and third.corrects == first.entry_id


@pytest.mark.parametrize("spec", TIMELINE_TYPES, ids=lambda s: s.type)
def test_age_band_from_the_identity_code_never_the_birth_date(spec) -> None:
    from contracts.hetu import parse_hetu
    from contracts.timeline import age_band

    event = event_of(message(spec.type))
    entry = to_entry(event, keys_of(event, PSEUDO), PSEUDO, sector="health", sequence=1)
    system, value = event.client_identifier()
    if system != systems.HETU:
        assert entry.age_band is None
        return
    born = parse_hetu(value).birth_date
    assert entry.age_band == age_band(born, event.occurred_at.date()) or \
        entry.age_band == age_band(born, event.occurred_at.date() + dt.timedelta(days=1))
    assert born.isoformat().encode() not in entry.model_dump_json().encode()


# --- the fast entry (entry_data + entry_json, used by the processor) against pydantic ---

def _corpus() -> list[ContractEvent]:
    from adapters.base import SourceInfo
    from adapters.errors import TranslationError
    from adapters.registry import translator
    from services.simulate import SimConfig, generate

    events: list[ContractEvent] = []
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for m in generate(SimConfig(clients=30, seed=7)):
        try:
            events += translator(m.fmt)(m.payload, SourceInfo(m.source_id, "health", now))
        except TranslationError:
            continue
    return [e for e in events if not e.spec.restricted]


def _by_pydantic(event: ContractEvent) -> ContractEvent:
    """The same event read by the pydantic profile (a dict value takes that path)."""
    slow = parse_event(dict(event.headers()), json.loads(event.value()))
    assert hasattr(slow.resource, "model_dump")
    return slow


def _outcome(build: Any) -> bytes | str:
    try:
        return build()  # type: ignore[no-any-return]
    except Exception as error:
        return type(error).__name__


@pytest.mark.parametrize(("coarsen", "withdraw"), [(False, False), (True, False), (False, True)])
def test_the_fast_entry_is_the_bytes_pydantic_writes(coarsen: bool, withdraw: bool) -> None:
    events = _corpus()
    assert len(events) > 300
    for event in events:
        slow = _by_pydantic(event)
        options = {"sector": "social", "sequence": 7, "coarsen": coarsen, "withdraw": withdraw}
        fast = entry_json(entry_data(event, keys_of(event, PSEUDO), PSEUDO, **options))
        model = to_entry(slow, keys_of(slow, PSEUDO), PSEUDO, **options)
        assert fast == model.model_dump_json(exclude_none=True).encode()


@settings(max_examples=80, deadline=None)
@given(unit=st.one_of(st.text(max_size=40), st.sampled_from(["mg\n", "mmol/L", " ", "a b"])),
       organisation=st.one_of(st.from_regex(r"^[0-9.]{1,200}\n?$", fullmatch=True),
                              st.just("1.2.246.10.1234567.10.0")))
def test_values_the_model_refuses_are_refused_on_the_fast_path_too(unit: str,
                                                                    organisation: str) -> None:
    m = copy.deepcopy(message("fi.silta.health.observation.recorded.v1"))
    m["value"].pop("valueCodeableConcept", None)
    m["value"]["valueQuantity"] = {"value": 5.5, "unit": unit} if unit.strip() else {"value": 1}
    m["value"]["performer"] = [{"identifier": {"system": systems.SOTE_ORGANISATION,
                                               "value": organisation}}]
    slow = event_of(m)
    fast = parse_event(m["headers"], json.dumps(m["value"]).encode())
    options: dict[str, Any] = {"sector": "health", "sequence": 1}
    assert _outcome(lambda: entry_json(entry_data(fast, keys_of(fast, PSEUDO), PSEUDO,
                                                  **options))) == _outcome(
        lambda: to_entry(slow, keys_of(slow, PSEUDO), PSEUDO, **options)
        .model_dump_json(exclude_none=True).encode())
