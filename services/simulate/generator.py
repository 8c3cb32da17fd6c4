"""The simulation: synthetic clients, their paths through social and health care, and the
resulting source traffic in send order, with malformed messages and re-sends mixed in.

Pure and deterministic: the same `SimConfig` gives the same messages, byte for byte.
Every random choice comes from a `random.Random` seeded from the config (one stream per
client, one for faults), and times come from `SimConfig.start`, never from the clock.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from services import workdays
from services.simulate import faults
from services.simulate.adult import adult_path
from services.simulate.child import child_path
from services.simulate.model import Deadline, SimConfig, SimMessage, Simulation
from services.simulate.older import older_path
from services.simulate.people import make_people
from services.simulate.track import Draft, Track

PATHS: dict[str, Callable[[Track], None]] = {
    "child": child_path, "adult": adult_path, "older": older_path}


def generate(config: SimConfig) -> list[SimMessage]:
    """The messages of `build(config)`, in send order."""
    return list(build(config).messages)


def build(config: SimConfig) -> Simulation:
    """Clients, messages in send order, and the deadlines the paths planned."""
    people = make_people(config)
    drafts: list[Draft] = []
    deadlines: list[Deadline] = []
    for person in people:
        track = Track(config, person)
        PATHS[person.client.profile](track)
        drafts += track.drafts
        deadlines += track.deadlines
    end = workdays.local(config.end, 0)
    # A stable sort: simultaneous messages keep client order, then path order.
    valid = sorted((d for d in drafts if d.at < end), key=lambda d: d.at)
    hetus = {p.label: p.hetu for p in people}
    messages = _with_faults(valid, config, hetus, end)
    return Simulation(config, tuple(p.client for p in people), tuple(messages),
                      tuple(deadlines))


def _with_faults(valid: list[Draft], config: SimConfig, hetus: dict[str, str],
                 end: dt.datetime) -> list[SimMessage]:
    rng = random.Random(f"{config.seed}:faults")
    share = config.malformed_share + config.duplicate_share
    total = round(len(valid) / (1 - share))
    broken = _per_format(rng, valid, round(total * config.malformed_share), even=True)
    resent = _per_format(rng, valid, round(total * config.duplicate_share), even=False)
    ordinals: dict[str, int] = {}
    timed: list[tuple[dt.datetime, int, SimMessage]] = []
    for i, draft in enumerate(valid):
        timed.append((draft.at, len(timed), _message(config, draft, "valid", draft.payload,
                                                     draft.note, draft.at)))
        for _ in range(broken.get(i, 0)):
            ordinal = ordinals[draft.fmt] = ordinals.get(draft.fmt, -1) + 1
            name, payload = faults.malformed(draft, hetus[draft.client], ordinal, rng)
            at = faults.earlier(draft.at, rng)
            timed.append((at, len(timed), _message(config, draft, "malformed", payload,
                                                   f"{draft.note} [malformed: {name}]", at)))
        for _ in range(resent.get(i, 0)):
            at = min(faults.later(draft.at, rng), end - dt.timedelta(seconds=1))
            timed.append((at, len(timed), _message(config, draft, "duplicate", draft.payload,
                                                   f"{draft.note} [re-sent]", at)))
    timed.sort(key=lambda item: (item[0], item[1]))
    return [message for _, _, message in timed]


def _per_format(rng: random.Random, valid: list[Draft], count: int,
                even: bool) -> dict[int, int]:
    """Which valid messages get a fault. Malformed ones are spread evenly over the formats
    (`even`) so that every adapter's dead letters show up even where its traffic is small;
    re-sends follow each format's traffic, with at least one per format."""
    by_format: dict[str, list[int]] = {}
    for i, draft in enumerate(valid):
        by_format.setdefault(draft.fmt, []).append(i)
    formats = sorted(by_format)
    if not formats:
        return {}
    if even:
        shares = [count // len(formats) + (n < count % len(formats))
                  for n in range(len(formats))]
    else:
        floor = 1 if count >= len(formats) else 0
        rest = count - floor * len(formats)
        shares = [floor + rest * len(by_format[f]) // len(valid) for f in formats]
        shares[formats.index(max(formats, key=lambda f: len(by_format[f])))] += \
            count - sum(shares)
    picks: dict[int, int] = {}
    for fmt, share in zip(formats, shares, strict=True):
        picks |= _picks(rng, by_format[fmt], share)
    return picks


def _picks(rng: random.Random, population: list[int], count: int) -> dict[int, int]:
    """How many faults each message gets: distinct messages first, then repeats."""
    picks: dict[int, int] = {}
    while population and count > 0:
        for i in rng.sample(population, min(count, len(population))):
            picks[i] = picks.get(i, 0) + 1
        count -= min(count, len(population))
    return picks


def _message(config: SimConfig, draft: Draft, kind: str, payload: bytes, note: str,
             at: dt.datetime) -> SimMessage:
    return SimMessage(config.sources[draft.fmt], draft.fmt, draft.key.encode(), payload,
                      kind, note, at, draft.client)  # type: ignore[arg-type]
