"""The query API under uvicorn on a real socket, as `silta serve` runs it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.api.app import build_app
from tests.services.api.support import (
    CLIENT_A,
    READER,
    api_settings,
    bearer,
    seeded_store_url,
    served,
)


async def test_served_by_uvicorn(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = await seeded_store_url(request, tmp_path, "sqlite")
    settings = api_settings(url)
    assert settings.api_port == 8080
    async with served(build_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/ready")).status_code == 200
        page = await client.get(f"/clients/{CLIENT_A}/timeline", headers=bearer(READER))
        assert page.status_code == 200 and page.json()["entries"]
        assert (await client.get("/openapi.json")).json()["info"]["title"] == \
            "Silta timeline API"
