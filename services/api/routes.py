"""The query API's endpoints. Every read is audited (services/api/audit.py) before it is
answered, found or not."""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time and
# some name closure-local dependencies.

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, StringConstraints

from contracts.timeline import HEX32, Sector
from services.api import cursor as cursors
from services.api.audit import Auditor, from_store
from services.api.auth import Authenticator, Principal, Requirement, requires
from services.api.client_index import ClientIndex
from services.api.models import (
    AuditLog,
    AuditRecordOut,
    ClientList,
    ClientSummary,
    EntryBatch,
    TimelineEntryView,
    TimelinePage,
)
from services.observability.http import ApiError, error_responses, reject_unknown_query
from services.timeline.store import Query as StoreQuery
from services.timeline.store import TimelineStore
from services.timeline.store.base import AuditRecord

TIMELINE = "GET /clients/{pseudonym}/timeline"
ENTRY = "GET /entries/{entry_id}"
CLIENTS = "GET /clients"
ENTRIES = "GET /entries"
AUDIT = "GET /audit"

Kind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]*\.[a-z][a-z-]*$", max_length=64)]
Pseudonym = Annotated[str, Path(
    pattern=HEX32, description="client pseudonym: 32 lowercase hex characters. Identity codes "
    "are not accepted anywhere in this API.", examples=["3f2a9c0b7d1e4f5a6b7c8d9e0f1a2b3c"])]
EntryId = Annotated[str, Path(pattern=HEX32, description="entry id: 32 lowercase hex characters",
                              examples=["9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"])]
ListLimit = Annotated[int, Query(ge=1, le=1000, description="at most this many")]
Cursor = Annotated[str | None, Query(
    pattern=cursors.PATTERN, description="`next_cursor` of the previous page")]
Sectors = Annotated[list[Sector] | None, Query(
    max_length=2, description="`health` and/or `social`; repeat for both")]
Kinds = Annotated[list[Kind] | None, Query(
    max_length=32, description="entry kinds, e.g. `encounter.started`; repeatable")]
Since = Annotated[AwareDatetime | None, Query(
    description="occurred at or after (RFC 3339 with offset)")]
Until = Annotated[AwareDatetime | None, Query(
    description="occurred before (RFC 3339 with offset)")]
IncludeHistory = Annotated[bool, Query(description="also superseded and retracted entries")]
PageSize = Annotated[int, Query(ge=1, le=500, description="page size")]


def guarded_router(tag: str, read: Requirement) -> APIRouter:
    """A router whose every route authenticates first (an unauthenticated caller learns
    nothing about parameters), then refuses unknown query parameters. FastAPI runs the
    `read` dependency once per request, however many parameters name it."""
    return APIRouter(tags=[tag], dependencies=[Depends(read), Depends(reject_unknown_query)])


def timeline_router(store: TimelineStore, authenticator: Authenticator,
                    auditor: Auditor) -> APIRouter:
    read = requires("timeline:read", authenticator, auditor.denied)
    router = guarded_router("timeline", read)
    _client_timeline(router, read, store, auditor)
    _one_entry(router, read, store, auditor)
    _every_entry(router, read, store, auditor)
    _client_list(router, read, ClientIndex(store), auditor)
    return router


def _client_timeline(router: APIRouter, read: Requirement, store: TimelineStore,
                     auditor: Auditor) -> None:
    @router.get(
        "/clients/{pseudonym}/timeline", response_model=TimelinePage,
        response_model_exclude_none=True, summary="A client's timeline, one page",
        description="Entries of one client in timeline order. By default only the current "
        "view (what amendments and retractions left); `include_history=true` also returns "
        "superseded and retracted entries, each with its `view`. Filters combine with AND; "
        "repeating `sector` or `kind` means any of them. `since`/`until` bound `occurred_at` "
        "(inclusive/exclusive) and need an offset (RFC 3339). Pages: pass `next_cursor` as "
        "`cursor` with the same filters. Audited.",
        responses={200: {"description": "One page of the timeline."},
                   **error_responses(400, 401, 403, 404, 422, 503,
                                     s400="The cursor is not valid for this query.",
                                     s404="No entries for this pseudonym.")},
    )
    async def timeline(
        pseudonym: Pseudonym, who: Annotated[Principal, Depends(read)],
        sector: Sectors = None, kind: Kinds = None, since: Since = None, until: Until = None,
        include_history: IncludeHistory = False, cursor: Cursor = None, limit: PageSize = 100,
    ) -> TimelinePage:
        filters: dict[str, Any] = {
            "sector": sorted(set(sector or ())), "kind": sorted(set(kind or ())),
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None, "include_history": include_history,
        }
        fingerprint = cursors.fingerprint(pseudonym, filters)
        after = cursors.decode(cursor, fingerprint) if cursor else 0
        page = await from_store(store.timeline(StoreQuery(
            client=pseudonym, sectors=tuple(filters["sector"]), kinds=tuple(filters["kind"]),
            since=since, until=until, after_sequence=after, limit=limit,
            include_history=include_history)))
        detail = {"filters": filters, "after": after, "limit": limit}
        if not page.entries and after == 0 and not await _known(store, pseudonym):
            await auditor.record(who, "timeline.read", pseudonym, TIMELINE, "not-found", **detail)
            raise ApiError(404, "client.not-found", "no timeline entries for this pseudonym")
        await auditor.record(who, "timeline.read", pseudonym, TIMELINE, "ok",
                             returned=len(page.entries), **detail)
        next_cursor = (cursors.encode(page.next_after, fingerprint)
                       if page.next_after is not None else None)
        return TimelinePage(client=pseudonym, next_cursor=next_cursor,
                            entries=[TimelineEntryView.of(s) for s in page.entries])


def _one_entry(router: APIRouter, read: Requirement, store: TimelineStore, auditor: Auditor) -> None:
    @router.get(
        "/entries/{entry_id}", response_model=TimelineEntryView, response_model_exclude_none=True,
        summary="One timeline entry", description="An entry by id, in any view. Audited.",
        responses={200: {"description": "The entry and its view."},
                   **error_responses(401, 403, 404, 422, 503, s404="No entry with this id.")},
    )
    async def entry(entry_id: EntryId,
                    who: Annotated[Principal, Depends(read)]) -> TimelineEntryView:
        stored = await from_store(store.get(entry_id))
        if stored is None:
            await auditor.record(who, "entry.read", None, ENTRY, "not-found", entry_id=entry_id)
            raise ApiError(404, "entry.not-found", "no timeline entry with this id")
        await auditor.record(who, "entry.read", stored.entry.client, ENTRY, "ok",
                             entry_id=entry_id)
        return TimelineEntryView.of(stored)


def _every_entry(router: APIRouter, read: Requirement, store: TimelineStore, auditor: Auditor) -> None:
    @router.get(
        "/entries", response_model=EntryBatch, response_model_exclude_none=True,
        summary="Every entry, in batches", description="The whole timeline log in the "
        "store's commit order, for evaluators who export or fold it themselves "
        "(services/evaluation reads this). Start with `since=-1`; keep the returned "
        "`position` to continue later, incrementally. Audited.",
        responses={200: {"description": "One batch of entries."},
                   **error_responses(401, 403, 422, 503)},
    )
    async def entries(
        who: Annotated[Principal, Depends(read)],
        # le: a store position is a signed 64-bit integer (SQLite and PostgreSQL alike).
        since: Annotated[int, Query(ge=-1, le=2**63 - 1, description="position of the last "
                                    "entry already read; -1 for the start")] = -1,
        limit: Annotated[int, Query(ge=1, le=5000, description="batch size")] = 1000,
    ) -> EntryBatch:
        rows = await from_store(store.entries_since(since, limit))
        position = rows[-1][0] if rows else since
        await auditor.record(who, "entries.read", None, ENTRIES, "ok", since=since,
                             limit=limit, returned=len(rows))
        return EntryBatch(entries=[e for _, e in rows], position=position,
                          more=len(rows) == limit)


def _client_list(router: APIRouter, read: Requirement, index: ClientIndex, auditor: Auditor) -> None:
    @router.get(
        "/clients", response_model=ClientList, response_model_exclude_none=True,
        summary="Clients on the timeline, searchable",
        description="Pseudonyms with their current entry counts per sector; clients with "
        "entries in both sectors first, then by entry count. `search` keeps the pseudonyms "
        "that contain it (lowercase hex). Pages: pass `next_cursor` as `cursor` with the "
        "same `search`. Audited.",
        responses={200: {"description": "Clients and counts."},
                   **error_responses(400, 401, 403, 422, 503,
                                     s400="The cursor is not valid for this search.")},
    )
    async def clients(
        who: Annotated[Principal, Depends(read)], limit: ListLimit = 100,
        search: Annotated[str, Query(pattern=r"^[0-9a-f]{0,32}$", description="part of a "
                                     "pseudonym (lowercase hex); empty: every client")] = "",
        cursor: Cursor = None,
    ) -> ClientList:
        fingerprint = cursors.fingerprint("", {"search": search})
        after = cursors.decode(cursor, fingerprint) if cursor else 0
        rows, matched = await from_store(index.search(search, after, limit))
        await auditor.record(who, "clients.list", None, CLIENTS, "ok", limit=limit,
                             search=search, after=after, returned=len(rows), matched=matched)
        shown = after + len(rows)
        return ClientList(
            clients=[ClientSummary(client=c, health=h, social=s, total=h + s)
                     for c, h, s in rows], matched=matched,
            next_cursor=cursors.encode(shown, fingerprint) if shown < matched else None)


def audit_router(store: TimelineStore, authenticator: Authenticator,
                 auditor: Auditor) -> APIRouter:
    read = requires("audit:read", authenticator, auditor.denied)
    router = guarded_router("audit", read)
    AuditReader = Annotated[Principal, Depends(read)]

    @router.get(
        "/audit", response_model=AuditLog,
        summary="The API's audit log",
        description="Who read what and when, newest first. Needs the `audit:read` scope. "
        "Reading it is audited too.",
        responses={200: {"description": "Audit records."},
                   **error_responses(401, 403, 422, 503)},
    )
    async def audit(who: AuditReader, limit: ListLimit = 100) -> AuditLog:
        records = await from_store(store.audit_log(limit))
        await auditor.record(who, "audit.read", None, AUDIT, "ok", limit=limit,
                             returned=len(records))
        return AuditLog(records=[_audit_out(r) for r in records])

    return router


async def _known(store: TimelineStore, client: str) -> bool:
    anything = await from_store(store.timeline(StoreQuery(client=client, include_history=True,
                                                          limit=1)))
    return bool(anything.entries)


def _audit_out(record: AuditRecord) -> AuditRecordOut:
    try:
        detail = json.loads(record.detail)
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        detail = {"text": record.detail}
    return AuditRecordOut(at=record.at, actor=record.actor, action=record.action,
                          client=record.client, detail=detail)
