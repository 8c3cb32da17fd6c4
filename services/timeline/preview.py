"""What the timeline will hold for some source messages, computed without Kafka.

The same pure pieces the services run (adapters, policy, entry ids), so the demo can
show progress against a known total, tests can compare the real pipeline with it, and
benchmarks have a baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from services.pseudonyms import Pseudonymiser
from services.timeline.minimise import entry_id
from services.timeline.policy import Policy


@dataclass(frozen=True)
class Preview:
    entry_ids: frozenset[str]
    dropped: int      # kept off the timeline by the policy
    failed: int       # messages that will be dead-lettered


def preview(messages: Iterable[tuple[str, str, bytes]], pseudonymiser: Pseudonymiser,
            policy: Policy = Policy()) -> Preview:
    """`messages` are (format, source id, payload); re-sent events count once."""
    ids: set[str] = set()
    seen: set[tuple[str, str]] = set()
    dropped = failed = 0
    now = dt.datetime.now(dt.UTC)
    for fmt, source_id, payload in messages:
        source = SourceInfo(source_id, "social" if fmt == "social" else "health", now)
        try:
            events = translator(fmt)(payload, source)
        except TranslationError:
            failed += 1
            continue
        for event in events:
            key = (event.envelope.source, event.envelope.id)
            if key in seen:
                continue
            seen.add(key)
            if policy.decide(event).publishes:
                ids.add(entry_id(pseudonymiser, *key))
            else:
                dropped += 1
    return Preview(frozenset(ids), dropped, failed)
