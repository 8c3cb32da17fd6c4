"""What a simulation should do to Silta, found by translating every message with the real
adapters: counts per format and kind, the contract events the valid messages become, the
errors the malformed ones raise, and anything that broke those expectations."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from contracts.events import ContractEvent
from services.simulate.model import SECTOR_OF_FORMAT, Deadline, SimMessage
from services.timeline.policy import Policy

Progress = Callable[[int, int], None]


@dataclass
class Summary:
    messages: dict[str, dict[str, int]] = field(default_factory=dict)  # format -> kind -> n
    events: int = 0                     # contract events of the valid messages
    unique_events: int = 0              # distinct (source, id): what the timeline keeps
    duplicate_events: int = 0           # events the re-sends repeat (same ids)
    events_by_type: dict[str, int] = field(default_factory=dict)
    events_by_sector: dict[str, int] = field(default_factory=dict)
    clients_with_both_sectors: int = 0
    errors_by_code: dict[str, int] = field(default_factory=dict)
    deadlines: dict[str, dict[str, int]] = field(default_factory=dict)
    # what an evaluator can count: the timeline's policy keeps documents under a
    # disclosure ban off it, so a case opened by one is not there and a step taken in
    # one never came
    deadlines_visible: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.messages.values())

    def as_dict(self) -> dict[str, Any]:
        return {"messages_total": self.total, "messages": self.messages,
                "events": self.events, "unique_events": self.unique_events,
                "duplicate_events": self.duplicate_events,
                "events_by_sector": self.events_by_sector,
                "events_by_type": self.events_by_type,
                "clients_with_both_sectors": self.clients_with_both_sectors,
                "expected_deadletters": sum(self.errors_by_code.values()),
                "errors_by_code": self.errors_by_code, "deadlines": self.deadlines,
                "deadlines_visible": self.deadlines_visible, "problems": self.problems}

    def lines(self) -> list[str]:
        out = [f"messages: {self.total}"]
        for fmt, kinds in self.messages.items():
            detail = ", ".join(f"{kind} {n}" for kind, n in kinds.items())
            out.append(f"  {fmt:<7} {sum(kinds.values()):>7}  ({detail})")
        sectors = ", ".join(f"{s} {n}" for s, n in self.events_by_sector.items())
        out.append(f"contract events from valid messages: {self.events} ({sectors}); "
                   f"distinct ids {self.unique_events}")
        out.append(f"re-sends repeat {self.duplicate_events} events (same ids: deduplicated)")
        out.append(f"expected dead letters: {sum(self.errors_by_code.values())} "
                   f"({', '.join(f'{c} {n}' for c, n in self.errors_by_code.items())})")
        out.append(f"clients with both health and social events: "
                   f"{self.clients_with_both_sectors}")
        for kind, counts in self.deadlines.items():
            visible = self.deadlines_visible.get(kind, {})
            out.append(f"deadline {kind}: " + ", ".join(f"{k} {n}" for k, n in counts.items())
                       + " (after the disclosure-ban policy: "
                       + ", ".join(f"{k} {n}" for k, n in visible.items()) + ")")
        out += [f"PROBLEM: {p}" for p in self.problems]
        return out


def translate(message: SimMessage, sector: str | None = None) -> list[ContractEvent]:
    """The events `message` becomes (raises TranslationError like the ingest service sees)."""
    source = SourceInfo(message.source_id, sector or SECTOR_OF_FORMAT[message.fmt],  # type: ignore[arg-type]
                        message.at.astimezone(dt.UTC))
    return translator(message.fmt)(message.payload, source)


def summarise(messages: Iterable[SimMessage], deadlines: Iterable[Deadline] = (),
              sectors: Mapping[str, str] | None = None,
              progress: Progress | None = None, policy: Policy | None = None) -> Summary:
    """Translate everything and count; `sectors` maps source id to sector when the
    topics file differs from the defaults; `policy` is the timeline's (default: its
    defaults, disclosure-banned records dropped)."""
    policy = policy or Policy()
    items = list(messages)
    summary = Summary()
    counts: dict[str, Counter[str]] = {}
    types: Counter[str] = Counter()
    ids: set[tuple[str, str]] = set()
    client_sectors: dict[str, set[str]] = {}
    errors: Counter[str] = Counter()
    banned: set[str] = set()  # documents the policy keeps off the timeline
    for n, message in enumerate(items, 1):
        counts.setdefault(message.fmt, Counter())[message.kind] += 1
        sector = (sectors or {}).get(message.source_id)
        outcome = _check(message, sector, n, summary.problems)
        if isinstance(outcome, str):
            errors[outcome] += 1
        elif message.kind == "duplicate":
            summary.duplicate_events += len(outcome)
        else:
            if any(policy.decide(e).reason == "disclosure-ban" for e in outcome):
                banned.add(message.key.decode())
            for event in outcome:
                types[event.envelope.type] += 1
                ids.add((event.envelope.source, event.envelope.id))
                client_sectors.setdefault(event.client_identifier()[1], set()).add(
                    event.spec.sector)
        if progress is not None:
            progress(n, len(items))
    summary.messages = {fmt: dict(sorted(c.items())) for fmt, c in sorted(counts.items())}
    summary.events = sum(types.values())
    summary.unique_events = len(ids)
    summary.events_by_type = dict(sorted(types.items()))
    by_sector: Counter[str] = Counter()
    for event_type, n in types.items():
        by_sector[event_type.split(".")[2]] += n
    summary.events_by_sector = dict(sorted(by_sector.items()))
    summary.clients_with_both_sectors = sum(
        {"health", "social"} <= s for s in client_sectors.values())
    summary.errors_by_code = dict(sorted(errors.items()))
    planned = list(deadlines)
    summary.deadlines = _deadlines(planned)
    summary.deadlines_visible = _deadlines(visible(planned, banned))
    return summary


def visible(deadlines: Iterable[Deadline], banned: set[str]) -> list[Deadline]:
    """The deadlines as an evaluator sees them when the documents `banned` never reach
    the timeline: a case whose opening is banned is not there; a step that is banned
    never came (open until the due day passes, then missed)."""
    return [d if d.step not in banned else replace(d, done=None, met=d.unseen)
            for d in deadlines if d.opening not in banned]


def _check(message: SimMessage, sector: str | None, n: int,
           problems: list[str]) -> list[ContractEvent] | str:
    """The events, or the error code of a malformed message; a broken expectation is
    noted in `problems` (it means a simulator or adapter bug)."""
    try:
        events = translate(message, sector)
    except TranslationError as error:
        if message.kind != "malformed":
            problems.append(f"#{n} {message.note}: {message.kind} message refused: "
                            f"{error.code} at {error.location}")
        return error.code
    except Exception as error:  # an adapter bug must show up here, not stop the count
        problems.append(f"#{n} {message.note}: the adapter raised {type(error).__name__}")
        return "adapter.crash"
    if message.kind == "malformed":
        problems.append(f"#{n} {message.note}: malformed message was accepted")
        return "accepted"
    return events


def _deadlines(deadlines: Iterable[Deadline]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for deadline in deadlines:
        state = {True: "met", False: "missed", None: "open"}[deadline.met]
        out.setdefault(deadline.kind, Counter())[state] += 1
    return {kind: {s: c[s] for s in ("met", "missed", "open")} for kind, c in sorted(out.items())}
