"""A hostile batch: simulated traffic with malformed messages and re-sends, plus what an
outside prober sends (random bytes, empty and truncated messages, deep nesting, record
ids reused across clients, another client's entered-in-error, identity codes and names in
code fields). Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from contracts.hetu import make_hetu
from services.simulate import SimConfig, generate
from tests.adapters.test_depth import arrays, objects
from tests.support.messages import DATA, SourceMessage, from_simulation
from tests.support.pipeline import PipelineTopics


def _hetu(rng: random.Random) -> str:
    return make_hetu(dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(30_000)),
                     rng.randrange(900, 1000))  # 900-999: synthetic people


def _social(name: str, hetu: str, **document: Any) -> bytes:
    data = json.loads((DATA / "social" / name).read_text())
    data["client"]["hetu"] = hetu
    data["document"].update(document)
    return json.dumps(data).encode()


def _observation(record_id: str, code: str) -> bytes:
    data = json.loads((DATA / "fhir" / "observation.json").read_text())
    data["id"] = record_id
    data["code"]["coding"][0]["code"] = code
    return json.dumps(data).encode()


def probes(rng: random.Random, groups: int = 50) -> list[SourceMessage]:
    """About 20 * `groups` hostile and mistaken messages."""
    out: list[SourceMessage] = []

    def add(fmt: str, kind: str, payload: bytes) -> None:
        out.append(SourceMessage(fmt, f"{kind}-{len(out)}", payload))

    oru = (DATA / "hl7v2" / "oru_r01_v251.hl7").read_bytes()
    for i in range(groups):
        for fmt in ("hl7v2", "fhir", "social"):
            add(fmt, "random", rng.randbytes(rng.randrange(1, 300)))
            add(fmt, "empty", rng.choice([b"", b"   ", b"\r\n"]))
        add("fhir", "deep", f'{{"resourceType":"Observation","x":{arrays(300)}}}'.encode())
        add("social", "deep", f'{{"document":{objects(300)}}}'.encode())
        add("hl7v2", "truncated-msh", b"MSH|^~\\&|UNA|OY")
        add("fhir", "empty-bundle", b'{"resourceType":"Bundle","type":"collection","entry":[]}')
        # One record id, three clients: the first claim wins, the others are conflicts.
        for hetu in (_hetu(rng), _hetu(rng), _hetu(rng)):
            add("social", "shared-id", _social("decision-granted.json", hetu, id=f"PAATOS-H{i}"))
        owner, other = _hetu(rng), _hetu(rng)
        document = f"1.2.246.10.7654321.10.2025.9{i:03d}"
        add("social", "opened", _social("client-relationship-opened.json", owner, id=document))
        add("social", "foreign-error", _social(
            "client-relationship-opened-entered-in-error.json", other, id=document))
        add("fhir", "hetu-in-code", _observation(f"obs-h{i}", _hetu(rng)))
        add("fhir", "good-code", _observation(f"obs-g{i}", "1751-7"))
        add("hl7v2", "name-in-code", oru.replace(b"1751-7", "Meikäläinen".encode()))
    return out


def hostile_batch(topics: PipelineTopics, clients: int, seed: int) -> list[SourceMessage]:
    sources = {fmt: topics.source_id(fmt) for fmt in ("hl7v2", "fhir", "social")}
    traffic = from_simulation(generate(SimConfig(
        clients=clients, seed=seed, sources=sources, malformed_share=0.1, duplicate_share=0.1)))
    rng = random.Random(seed)
    mixed = traffic + probes(rng)
    rng.shuffle(mixed)
    return mixed
