"""A timeline store holding simulated clients, for the dashboard's tests and bench.page.

The pure pieces the services run (adapters, policy, entry ids, minimisation) turn
`silta simulate` traffic into timeline entries, numbered per client in arrival order, as
the timeline service would; no broker. Re-sent events count once; what the policy keeps
off the timeline, or takes back, stays off. The pipeline itself is tested on a real
broker elsewhere (tests/services/test_pipeline.py): here the subject is what the API
and the page make of a realistic store.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.timeline import TimelineEntry
from services.pseudonyms import Pseudonymiser
from services.simulate import SimConfig, generate
from services.timeline.minimise import keys_of, sector_of, to_entry
from services.timeline.policy import Policy
from services.timeline.store import open_store


def simulated_entries(clients: int, seed: int = 7) -> list[TimelineEntry]:
    pseudonymiser = Pseudonymiser(b"dashboard-test-key-" + bytes(13), "k1")
    policy = Policy()
    sequences: Counter[str] = Counter()
    seen: set[str] = set()
    entries = []
    now = dt.datetime.now(dt.UTC)
    for message in generate(SimConfig(clients=clients, seed=seed)):
        source = SourceInfo(message.source_id, "social" if message.fmt == "social" else
                            "health", now)
        try:
            events = translator(message.fmt)(message.payload, source)
        except TranslationError:
            continue
        for event in events:
            keys = keys_of(event, pseudonymiser)
            decision = policy.decide(event)
            if keys.entry_id in seen or not decision.publishes or decision.withdraw:
                continue
            seen.add(keys.entry_id)
            sequences[keys.client] += 1
            entries.append(to_entry(event, keys, pseudonymiser, sector=sector_of(event, {}),
                                    sequence=sequences[keys.client], coarsen=decision.coarsen))
    return entries


async def simulated_store(url: str, clients: int, seed: int = 7) -> int:
    """Fill the store at `url` with `clients` simulated clients; returns the entry count."""
    entries = simulated_entries(clients, seed)
    store = open_store(url)
    await store.open()
    try:
        await store.upsert(entries)
    finally:
        await store.close()
    return len(entries)
