"""Response models of the query API: the contract's TimelineEntry plus its `view`, the
page and list wrappers around it, and the dashboard's indicator records (the contract's
IndicatorRecord)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from contracts.indicators import IndicatorRecord
from contracts.timeline import HEX32, TimelineEntry
from services.timeline.store import StoredEntry

View = Literal["current", "superseded", "retracted"]


class TimelineEntryView(TimelineEntry):
    """A timeline entry (contract `fi.silta.timeline.entry.v1`) and what later entries did
    to it."""

    view: View = Field(description="`current`: in the present view; `superseded`: a later "
                       "amendment replaced it; `retracted`: its record was withdrawn")

    @classmethod
    def of(cls, stored: StoredEntry) -> TimelineEntryView:
        # The stored entry was validated when it was written and again when read.
        return cls.model_construct(**dict(stored.entry), view=cast(View, stored.view))


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimelinePage(_Out):
    client: str = Field(pattern=HEX32, description="the client pseudonym")
    entries: list[TimelineEntryView] = Field(description="in timeline order (sequence)")
    next_cursor: str | None = Field(
        None, description="pass as `cursor` to get the next page; absent on the last page")


class EntryBatch(_Out):
    entries: list[TimelineEntry] = Field(
        description="entries of every view (amendments and retractions too), in the order "
        "the store committed them")
    position: int = Field(description="pass as `since` next time: the store position of the "
                                      "last entry returned (the `since` given when none)")
    more: bool = Field(description="true when the batch was full: ask again at once")


class ClientSummary(_Out):
    client: str = Field(pattern=HEX32, description="the client pseudonym")
    health: int = Field(ge=0, description="current health entries")
    social: int = Field(ge=0, description="current social-care entries")
    total: int = Field(ge=0)


class ClientList(_Out):
    clients: list[ClientSummary] = Field(
        description="clients with entries in both sectors first, then by entry count")
    matched: int = Field(ge=0, description="clients matching `search` (all of them without)")
    next_cursor: str | None = Field(
        None, description="pass as `cursor` to get the next page; absent on the last page")


class AuditRecordOut(_Out):
    at: dt.datetime = Field(description="when the read happened (UTC)")
    actor: str = Field(description="the token's actor")
    action: str = Field(description="`timeline.read`, `entry.read`, `entries.read`, `clients.list`, "
                        "`indicators.read`, `audit.read`, `page.view` or `access.denied`")
    client: str | None = Field(None, description="the client pseudonym read, if any")
    detail: dict[str, Any] = Field(description="endpoint, filters and outcome")


class AuditLog(_Out):
    records: list[AuditRecordOut] = Field(description="newest first")


class PageSession(_Out):
    actor: str = Field(description="the token's actor, as the audit log names it")
    labels: dict[str, Any] = Field(description="readable names of entry kinds (Finnish and "
                                   "English), code systems, the codes Silta knows, and the "
                                   "dashboard's indicator names and definitions")
    dashboard_unavailable: str | None = Field(
        None, description="why the dashboard cannot be shown (the `evaluation` extra is not "
        "installed); null when it can")


class DataSpan(_Out):
    entries: int = Field(ge=0, description="current entries the indicators counted")
    first_event_day: dt.date | None = Field(description="first event day (Helsinki)")
    last_event_day: dt.date | None = Field(description="last event day (Helsinki)")


class Indicators(_Out):
    period: str | None = Field(description="the period counted; null: the whole timeline")
    by: str | None = Field(description="the grouping; null: everyone only")
    min_cell: int = Field(description="cells counting fewer individuals are suppressed")
    counted_to: dt.date = Field(description="what had happened by the end of this day "
                                "(Helsinki) is counted, as `silta evaluate --as-of`")
    computed_at: dt.datetime = Field(description="when these figures were computed (UTC); "
                                     "they are kept until the store moves")
    data: DataSpan
    periods: list[str] = Field(description="THL half-years and years the data spans, to "
                               "choose from")
    records: list[IndicatorRecord] = Field(
        description="every indicator for the period and grouping, after suppression: the "
        "records `silta evaluate indicators --json` prints")
    trend: list[IndicatorRecord] = Field(
        description="the deadline indicators for everyone, per THL half-year: the latest "
        "six half-years of the data")
