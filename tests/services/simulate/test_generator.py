"""The simulator as a library: deterministic, every message behaves as labelled, both
sectors meet in one client, and nothing looks like a real person."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Literal

import pytest

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.events import parse_event
from contracts.hetu import parse_hetu
from contracts.systems import LUOVUTUSKIELTO, TURVAKIELTO
from services.simulate import (
    SimConfig,
    SimConfigError,
    Simulation,
    build,
    generate,
    summarise,
    translate,
)
from services.simulate.faults import mutations

ROOT = Path(__file__).resolve().parents[3]
HETU_SHAPED = re.compile(rb"(?<![0-9A-Za-z])\d{6}[-+A-FU-Y](\d{3})[0-9A-Y](?![0-9A-Za-z])")
FORMATS = ("hl7v2", "fhir", "social")


def _fingerprint(sim: Simulation) -> str:
    digest = hashlib.sha256()
    for m in sim.messages:
        for part in (m.source_id, m.fmt, m.kind, m.note, m.at.isoformat(), m.client):
            digest.update(part.encode() + b"\0")
        digest.update(m.key + b"\0" + m.payload + b"\0")
    return digest.hexdigest()


def test_same_seed_gives_identical_bytes(default_sim: Simulation) -> None:
    again = build(SimConfig(clients=40, seed=11))
    assert again.messages == default_sim.messages
    assert again.deadlines == default_sim.deadlines


def test_same_seed_gives_identical_bytes_in_another_process(default_sim: Simulation) -> None:
    # A fresh interpreter with another hash seed: no dependence on set or dict hash order.
    code = ("from services.simulate import SimConfig, build\n"
            "from tests.services.simulate.test_generator import _fingerprint\n"
            "print(_fingerprint(build(SimConfig(clients=40, seed=11))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == _fingerprint(default_sim)


def test_different_seed_gives_different_traffic(default_sim: Simulation) -> None:
    other = build(SimConfig(clients=40, seed=12))
    assert _fingerprint(other) != _fingerprint(default_sim)
    shared = {m.payload for m in other.messages} & {m.payload for m in default_sim.messages}
    assert len(shared) < len(other.messages) // 10


def test_a_client_path_does_not_depend_on_how_many_clients_there_are() -> None:
    small = [m for m in generate(SimConfig(clients=8, seed=3, malformed_share=0,
                                           duplicate_share=0)) if m.client == "c00002"]
    large = [m for m in generate(SimConfig(clients=30, seed=3, malformed_share=0,
                                           duplicate_share=0)) if m.client == "c00002"]
    assert small == large and small


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("sim_name", ["default_sim", "faulty_sim"])
def test_every_message_behaves_as_labelled(fmt: str, sim_name: str,
                                           request: pytest.FixtureRequest) -> None:
    sim: Simulation = request.getfixturevalue(sim_name)
    mine = [m for m in sim.messages if m.fmt == fmt]
    assert {m.kind for m in mine} == {"valid", "duplicate", "malformed"}
    for m in mine:
        if m.kind == "malformed":
            with pytest.raises(TranslationError):
                translate(m)
            continue
        events = translate(m)
        assert events, m.note
        for event in events:  # what the ingest service would publish re-validates
            parse_event(event.headers(), event.value())


def test_translate_is_what_the_registry_adapter_does(default_sim: Simulation) -> None:
    for fmt in FORMATS:
        m = next(m for m in default_sim.messages if m.kind == "valid" and m.fmt == fmt)
        sector: Literal["health", "social"] = "social" if fmt == "social" else "health"
        direct = translator(fmt)(m.payload, SourceInfo(m.source_id, sector, m.at))
        assert [e.to_message() for e in direct] == [e.to_message() for e in translate(m)]


def test_every_fault_kind_appears(faulty_sim: Simulation) -> None:
    seen = {(m.fmt, m.note.rsplit("[malformed: ", 1)[1].rstrip("]"))
            for m in faulty_sim.messages if m.kind == "malformed"}
    expected = {(m.fmt, m.name) for m in mutations("010101-9999")}
    assert seen == expected


def test_duplicates_are_exact_later_resends(faulty_sim: Simulation) -> None:
    first_seen: dict[tuple[str, bytes, bytes], dt.datetime] = {}
    for m in faulty_sim.messages:
        ident = (m.source_id, m.key, m.payload)
        if m.kind == "valid":
            first_seen.setdefault(ident, m.at)
        elif m.kind == "duplicate":
            assert ident in first_seen, m.note  # the original went out before its re-send
            assert m.at >= first_seen[ident]


def test_shares_are_shares_of_all_messages(faulty_sim: Simulation) -> None:
    kinds = Counter(m.kind for m in faulty_sim.messages)
    total = sum(kinds.values())
    assert abs(kinds["malformed"] / total - 0.25) < 0.01
    assert abs(kinds["duplicate"] / total - 0.15) < 0.01


def test_messages_are_in_send_order_within_the_span(faulty_sim: Simulation) -> None:
    times = [m.at for m in faulty_sim.messages]
    assert times == sorted(times)
    config = faulty_sim.config
    assert times[0].date() >= config.start - dt.timedelta(days=1)
    assert times[-1] < dt.datetime.combine(config.end, dt.time(), times[-1].tzinfo)


def test_all_three_sources_and_profiles(default_sim: Simulation) -> None:
    assert {m.source_id for m in default_sim.messages} == {
        "hospital-adt", "hospital-fhir", "social-cis"}
    assert {c.profile for c in default_sim.clients} == {"child", "adult", "older"}


def test_custom_source_ids() -> None:
    sources = {"hl7v2": "adt-x", "fhir": "fhir-x", "social": "cis-x"}
    messages = generate(SimConfig(clients=6, seed=2, sources=sources))
    assert {(m.fmt, m.source_id) for m in messages} == set(sources.items())


def test_same_client_has_health_and_social_events(default_sim: Simulation) -> None:
    sectors: dict[str, set[str]] = {}
    labels: dict[str, set[str]] = {}
    for m in default_sim.messages:
        if m.kind != "valid":
            continue
        for event in translate(m):
            hetu = event.client_identifier()[1]
            sectors.setdefault(hetu, set()).add(event.spec.sector)
            labels.setdefault(hetu, set()).add(m.client)
    both = [h for h, s in sectors.items() if {"health", "social"} <= s]
    assert len(both) >= len(default_sim.clients) // 3
    assert all(len(clients) == 1 for clients in labels.values())  # one HETU, one client
    flagged = {c.hetu for c in default_sim.clients if c.health}
    assert set(both) <= flagged


def test_identities_are_test_codes_only(faulty_sim: Simulation) -> None:
    for client in faulty_sim.clients:
        assert parse_hetu(client.hetu).temporary
    numbers: Counter[int] = Counter()
    for m in faulty_sim.messages:  # every message, malformed ones included
        for match in HETU_SHAPED.finditer(m.payload):
            numbers[int(match.group(1))] += 1
            assert 900 <= int(match.group(1)) <= 999, m.note
    assert numbers  # the scan found the codes at all
    clients = {c.hetu for c in faulty_sim.clients}
    for m in faulty_sim.messages:
        if m.kind == "valid":
            assert {e.client_identifier()[1] for e in translate(m)} <= clients


def test_notes_and_keys_carry_no_identity(faulty_sim: Simulation) -> None:
    for m in faulty_sim.messages:
        assert not HETU_SHAPED.search(m.note.encode()) and not HETU_SHAPED.search(m.key)


def test_security_labels_travel(default_sim: Simulation) -> None:
    codes: Counter[str] = Counter()
    for m in default_sim.messages:
        if m.kind == "valid":
            for event in translate(m):
                meta = event.resource.meta
                codes.update(s.code for s in (meta.security or []) if meta is not None)
    assert codes[TURVAKIELTO] > 0 and codes[LUOVUTUSKIELTO] > 0


def test_corrections_of_every_source_appear(default_sim: Simulation) -> None:
    kinds: Counter[tuple[str, str]] = Counter()
    for m in default_sim.messages:
        if m.kind == "valid":
            kinds.update((m.fmt, e.envelope.type.split(".")[3]) for e in translate(m)
                         if e.envelope.corrects)
    assert {fmt for fmt, _ in kinds} == set(FORMATS)


@pytest.mark.parametrize("change", [
    {"clients": 0}, {"days": 5}, {"malformed_share": 0.6}, {"duplicate_share": -0.1},
    {"malformed_share": 0.5, "duplicate_share": 0.45}, {"sources": {"hl7v2": "x"}},
])
def test_bad_config_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(SimConfigError):
        SimConfig(**change)  # type: ignore[arg-type]


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "services" / "simulate" / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "README.md", "exec"), {})
    assert "contract events from valid messages" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(20, 26))
def test_other_seeds_starts_and_spans_behave_as_labelled(seed: int) -> None:
    # Another year, span and fault load each time: DST changes, Easter, year ends.
    config = SimConfig(clients=15, seed=seed, start=dt.date(2023, 1, 1) + dt.timedelta(
        days=61 * seed), days=60 + 37 * seed, malformed_share=0.3, duplicate_share=0.1)
    sim = build(config)
    assert summarise(sim.messages, sim.deadlines).problems == []
