"""`GET /indicators`: the dashboard's numbers, computed from this API's own store
(services/api/figures.py). Anonymous aggregates after the suppression step, read with the
same token and scope as the timeline and audited like every read."""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from services.api.audit import Auditor, from_store
from services.api.auth import Authenticator, Principal, requires
from services.api.figures import IndicatorFigures, missing
from services.api.models import Indicators
from services.api.routes import guarded_router
from services.observability.http import ApiError, error_responses

INDICATORS = "GET /indicators"
# Exactly what parse_period takes: years 1900-2199, half-years, months 01-12.
PERIOD = r"^(19|20|21)\d\d(H[12]|-(0[1-9]|1[0-2]))?$"


def dashboard_router(figures: IndicatorFigures, authenticator: Authenticator,
                     auditor: Auditor) -> APIRouter:
    read = requires("timeline:read", authenticator, auditor.denied)
    router = guarded_router("indicators", read)

    @router.get(
        "/indicators", response_model=Indicators, summary="Outcome indicators",
        description="Every indicator (services/evaluation/README.md) for a period and a "
        "grouping, after the suppression step, over this API's store: the same records as "
        "`silta evaluate indicators --json` on the same store, counted up to the end of "
        "today (Helsinki); plus the deadline shares per THL half-year. The first request "
        "for a period and grouping computes them (seconds to minutes, with the store's "
        "size); later ones are answered from what was kept until the store moves. Needs "
        "the `evaluation` extra. Audited.",
        responses={200: {"description": "Indicator records."},
                   **error_responses(401, 403, 422, 503, s503="The store cannot be read, or "
                                     "the `evaluation` extra is not installed.")},
    )
    async def indicators(
        who: Annotated[Principal, Depends(read)],
        period: Annotated[str | None, Query(
            pattern=PERIOD, description="2025 (year), 2025H1 (THL half-year 1.4.-30.9.), "
            "2025H2 (1.10.-31.3.) or 2025-03 (month); absent: the whole timeline")] = None,
        by: Annotated[Literal["organisation", "age_band", "sector"] | None, Query(
            description="grouping; absent: everyone only")] = None,
    ) -> Indicators:
        detail = {"period": period, "by": by}
        if (why := missing()) is not None:
            await auditor.record(who, "indicators.read", None, INDICATORS, "unavailable",
                                 **detail)
            raise ApiError(503, "indicators.unavailable", why)
        found, kept = await from_store(figures.figures(period, by))
        await auditor.record(who, "indicators.read", None, INDICATORS, "ok",
                             returned=len(found.records), kept=kept, **detail)
        return found

    return router
