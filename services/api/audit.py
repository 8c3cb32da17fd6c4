"""Audit of every read: a record in the store's `audit_log` and a structured log line.

A read is answered only after its audit record is written: when the store cannot take
the record the caller gets 503 and no data, so there is no unaudited read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable
from typing import Any, TypeVar

import psycopg

from services.api.auth import Principal
from services.logging import get_logger
from services.observability.http import ApiError
from services.timeline.store import TimelineStore

T = TypeVar("T")

# What a store raises when its database is away; anything else is a bug and surfaces as 500.
STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, psycopg.Error, OSError)


async def from_store(call: Awaitable[T]) -> T:
    try:
        return await call
    except STORE_ERRORS as exc:
        get_logger(service="api").error("timeline store error", error=type(exc).__name__)
        raise ApiError(503, "store.unavailable", "the timeline store is unavailable; retry "
                       "later", headers={"Retry-After": "5"}) from exc


class Auditor:
    def __init__(self, store: TimelineStore) -> None:
        self.store = store
        self.log = get_logger(service="api")

    async def record(self, who: Principal, action: str, client: str | None, endpoint: str,
                     outcome: str, **detail: Any) -> None:
        """`detail` holds filters and counts only: never identity data (the API takes none)."""
        what = {"endpoint": endpoint, "outcome": outcome, **detail}
        text = json.dumps(what, sort_keys=True, separators=(",", ":"), default=str)
        try:
            await self.store.audit(who.actor, action, client, text)
        except STORE_ERRORS as exc:
            self.log.error("audit write failed; read refused", actor=who.actor, action=action,
                           error=type(exc).__name__)
            raise ApiError(503, "audit.unavailable", "the read could not be audit-logged, so "
                           "it was refused; retry later", headers={"Retry-After": "5"}) from exc
        self.log.info("api read", audit=True, actor=who.actor, action=action, client=client,
                      **what)

    async def denied(self, who: Principal, scope: str, endpoint: str) -> None:
        await self.record(who, "access.denied", None, endpoint, "forbidden", scope=scope)
