"""What the simulator is asked for (`SimConfig`) and what it hands back (`SimMessage`,
`Simulation`): plain frozen values, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from services.errors import ConfigError

Kind = Literal["valid", "duplicate", "malformed"]
Profile = Literal["child", "adult", "older"]
FORMATS = ("hl7v2", "fhir", "social")
# The source ids of deploy/topics.yaml; callers with other topics files pass their own.
DEFAULT_SOURCES: Mapping[str, str] = MappingProxyType(
    {"hl7v2": "hospital-adt", "fhir": "hospital-fhir", "social": "social-cis"})
SECTOR_OF_FORMAT: Mapping[str, str] = MappingProxyType(
    {"hl7v2": "health", "fhir": "health", "social": "social"})


class SimConfigError(ConfigError):
    """A simulation parameter is out of range; the message names it."""


@dataclass(frozen=True)
class SimConfig:
    """One simulation run. Everything that shapes the output is here, so the same config
    always yields the same bytes (no wall clock, no global random state)."""

    clients: int = 50
    seed: int = 7
    start: dt.date = dt.date(2025, 1, 1)
    days: int = 365
    malformed_share: float = 0.02   # share of all messages that are malformed
    duplicate_share: float = 0.05   # share of all messages that are exact re-sends
    turvakielto_share: float = 0.06
    disclosure_ban_share: float = 0.08
    health_share: float = 0.7       # clients who also meet health care (adults/older: more)
    sources: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCES))

    def __post_init__(self) -> None:
        checks = [
            # Everything is held in memory (about 1 kB per message, ~22 messages a client).
            (1 <= self.clients <= 100_000, "clients must be from 1 to 100000"),
            (30 <= self.days <= 3660, "days must be from 30 to 3660"),
            (0 <= self.malformed_share <= 0.5, "malformed_share must be from 0 to 0.5"),
            (0 <= self.duplicate_share <= 0.5, "duplicate_share must be from 0 to 0.5"),
            (self.malformed_share + self.duplicate_share < 0.9,
             "malformed_share + duplicate_share must stay below 0.9"),
            (0 <= self.turvakielto_share <= 1, "turvakielto_share must be from 0 to 1"),
            (0 <= self.disclosure_ban_share <= 1, "disclosure_ban_share must be from 0 to 1"),
            (0 <= self.health_share <= 1, "health_share must be from 0 to 1"),
            (set(self.sources) >= set(FORMATS),
             f"sources must name a source id for each format: {', '.join(FORMATS)}"),
            (1900 <= self.start.year <= 2190, "start must be a date from 1900 to 2190"),
        ]
        for ok, message in checks:
            if not ok:
                raise SimConfigError(message)

    @property
    def end(self) -> dt.date:
        """The first day after the simulated span."""
        return self.start + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class SimMessage:
    """One raw message as a source system would send it.

    `key` is the Kafka key (the source's record id, or the document id for social records);
    `note` says what it is, without identity; `at` is when the source sends it (Europe/Helsinki);
    `client` is the synthetic client's label (`c00007`), never the identity code.
    """

    source_id: str
    fmt: str
    key: bytes
    payload: bytes
    kind: Kind
    note: str
    at: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    client: str = ""


@dataclass(frozen=True)
class Deadline:
    """A statutory deadline as the simulator planned it (ground truth for indicator tests).

    kind: `cw-decision-7wd` (child welfare: decide on starting the assessment within 7
    working days), `cw-assessment-3m` (child-welfare assessment complete within 3 months),
    `older-assessment-7wd` (service-need assessment of a 75+ person started by the 7th
    working day). `met` is None when the step falls after the simulated span.

    `opening` and `step` are the ids of the social documents that open the case and take
    the step; `unseen` is `met` as counted by someone who never sees the step (open until
    the due day passes, then missed): what an evaluator counts when a disclosure ban keeps
    the step's document off the timeline.
    """

    client: str
    kind: str
    opened: dt.date
    due: dt.date
    done: dt.date | None
    met: bool | None
    opening: str = ""
    step: str = ""
    unseen: bool | None = None


@dataclass(frozen=True)
class SimClient:
    """A synthetic client; `hetu` is a temporary/test code (individual number 900-999)."""

    label: str
    profile: Profile
    hetu: str
    born: dt.date
    turvakielto: bool
    disclosure_ban: bool
    health: bool


@dataclass(frozen=True)
class Simulation:
    config: SimConfig
    clients: tuple[SimClient, ...]
    messages: tuple[SimMessage, ...]
    deadlines: tuple[Deadline, ...]
