"""TimelineEntry: what evaluators receive on `silta.timeline.v1`, the store and the API.

An entry is pseudonymised and minimised by construction: there is no field that could
hold an identity code, a name, an address or free text. Codes carry system and code only
(no display text), values are numbers or codes, and references are opaque keyed hashes.

Corrections are entries too. `status` says what an entry does to the view:
`active` adds a record, `amended` replaces the record named by `corrects` with this
entry's content, `retracted` withdraws it. Folding the log in `sequence` order per client
rebuilds the current view without any other source.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.catalogue import Sector

TIMELINE_ENTRY_TYPE = "fi.silta.timeline.entry.v1"
HEX32 = r"^[0-9a-f]{32}$"

Status = Literal["active", "amended", "retracted"]
# Age at the event in whole years. Fine enough for child welfare (0-6, 7-12, 13-17) and
# reporting, with "under 18" and "75 and over" (Sosiaalihuoltolaki 36 §) exact unions.
AgeBand = Literal["0-6", "7-12", "13-17", "18-24", "25-34", "35-44", "45-54", "55-64",
                  "65-74", "75-84", "85+"]
AGE_BANDS: tuple[str, ...] = get_args(AgeBand)
_BAND_STARTS = (0, 7, 13, 18, 25, 35, 45, 55, 65, 75, 85)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Frozen):
    system: str = Field(min_length=1, max_length=256, pattern=r"^\S+$")
    code: str = Field(min_length=1, max_length=128, pattern=r"^[^\s]+( [^\s]+)*$")


class Value(_Frozen):
    """A measured or scored value; exactly one of number, code, boolean."""

    number: float | None = Field(None, allow_inf_nan=False)
    unit: str | None = Field(None, max_length=32, pattern=r"^[^\s]{1,32}$",
                             description="UCUM code when the source gave one")
    code: Code | None = None
    boolean: bool | None = None


class TimelineEntry(_Frozen):
    entry_id: str = Field(pattern=HEX32, description="deterministic: keyed hash of source + event id")
    client: str = Field(pattern=HEX32, description="client pseudonym: keyed HMAC of the identity")
    key_version: str = Field(pattern=r"^[a-z0-9-]{1,16}$", description="pseudonym key version")
    sequence: int = Field(ge=1, description="per-client position on the timeline, gap-free")
    sector: Sector
    kind: str = Field(pattern=r"^[a-z][a-z-]*\.[a-z][a-z-]*$",
                      description="<subject>.<action> of the contract event, e.g. encounter.started")
    event_type: str = Field(pattern=r"^fi\.silta\.[a-z.-]+\.v[0-9]+$")
    resource_type: str = Field(pattern=r"^[A-Z][A-Za-z]+$")
    status: Status
    corrects: str | None = Field(None, pattern=HEX32,
                                 description="entry_id of the entry this one amends or retracts")
    occurred_at: AwareDatetime = Field(description="event time: when it happened")
    recorded_at: AwareDatetime = Field(description="when the source recorded it")
    codes: list[Code] = Field(default_factory=list, max_length=32)
    value: Value | None = None
    record_status: str | None = Field(None, pattern=r"^[a-z-]{1,32}$",
                                      description="the FHIR status of the source record")
    service_task: Code | None = Field(None, description="palvelutehtävä of a social record")
    organisation: str | None = Field(None, max_length=128, pattern=r"^[0-9.]+$",
                                     description="SOTE organisation OID; absent when coarsened")
    episode: str | None = Field(None, pattern=HEX32, description="opaque id of the episode/case")
    source_ref: str = Field(pattern=HEX32, description="opaque reference to the source record")
    security_labels: list[str] = Field(default_factory=list, max_length=16)
    age_band: AgeBand | None = Field(
        None, description="the client's age at occurred_at, in bands (never the birth date); "
        "absent when the client has no identity code with a birth date")


def age_band(born: dt.date, on: dt.date) -> AgeBand | None:
    """The band of the age in whole years on `on`; None before birth."""
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years < 0:
        return None
    # the last band starting at or before `years` (the starts ascend from 0)
    return AGE_BANDS[bisect.bisect_right(_BAND_STARTS, years) - 1]  # type: ignore[return-value]
