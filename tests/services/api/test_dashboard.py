"""`GET /indicators` and the searchable client list on a store of simulated clients: the
API's indicator records are the evaluator's `indicators()` over the same store, kept until
the store moves, audited, refused without the scope, and unavailable (saying which extra
to install) without DuckDB."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.evaluation import Timeline
from services.evaluation.indicators import indicators
from services.evaluation.periods import parse_period, periods_between
from services.evaluation.tables import Options
from services.timeline.store import open_store
from tests.services.api.simulated import simulated_entries, simulated_store
from tests.services.api.support import AUDITOR, READER, api, bearer

CLIENTS = 120


@pytest.fixture(scope="module")
async def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard')}/timeline.sqlite3"
    await simulated_store(url, CLIENTS)
    return url


@pytest.fixture
async def client(store_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with api(store_url) as c:
        yield c


async def read(client: httpx.AsyncClient, path: str, token: str = READER,
               **params: Any) -> httpx.Response:
    return await client.get(path, params=params, headers=bearer(token), timeout=300)


def evaluated(url: str, until: dt.date, **options: Any) -> list[dict[str, Any]]:
    timeline = Timeline.from_store(url)
    chosen = Options(until=until, **options)
    return [r.model_dump() for r in indicators(timeline.con, timeline.current(), chosen)]


def published(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with each suppression reason cut to its kind (primary, secondary):
    which cell a secondary suppression protects varies from run to run of
    `indicators()` on the same data (what is published and withheld does not)."""
    return [{**r, "suppressed": {k: v.split(":")[0] for k, v in r["suppressed"].items()}}
            for r in records]


@pytest.mark.parametrize("params", [{}, {"period": "2025H1", "by": "age_band"}])
async def test_the_records_are_what_indicators_computes_on_the_same_store(
        client: httpx.AsyncClient, store_url: str, params: dict[str, str]) -> None:
    response = await read(client, "/indicators", **params)
    assert response.status_code == 200, response.text
    body = response.json()
    until = dt.date.fromisoformat(body["counted_to"]) + dt.timedelta(days=1)
    period = parse_period(params["period"]) if params else None
    expected = evaluated(store_url, until, period=period, by=params.get("by"))
    assert published(body["records"]) == published(expected)
    # Some cells are published and some withheld: the store is worth comparing on.
    assert any(r["suppressed"] for r in expected) and any(not r["suppressed"] for r in expected)
    first, last = (dt.date.fromisoformat(body["data"][k]) for k in ("first_event_day",
                                                                   "last_event_day"))
    halves = periods_between(first, last)
    assert [p for p in body["periods"] if "H" in p] == [p.label for p in halves]
    trend = [r for half in halves[-6:] for r in evaluated(store_url, until, period=half)
             if r["indicator"].startswith(("child-welfare.", "service-need."))
             and r["group"] is None]
    assert published(body["trend"]) == published(trend)


async def test_figures_are_kept_until_the_store_moves_and_every_read_is_audited(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/timeline.sqlite3"
    entries = simulated_entries(30, seed=3)
    store = open_store(url)
    await store.open()
    await store.upsert(entries[: len(entries) // 2])
    async with api(url, api_indicators_max_age=0) as client:
        first = (await read(client, "/indicators")).json()
        again = (await read(client, "/indicators")).json()
        assert again == first
        await store.upsert(entries[len(entries) // 2:])
        moved = (await read(client, "/indicators")).json()
        assert moved["data"]["entries"] > first["data"]["entries"]
        assert moved["computed_at"] > first["computed_at"]
        log = (await read(client, "/audit", AUDITOR, limit=10)).json()["records"]
    await store.close()
    reads = [r["detail"] for r in reversed(log) if r["action"] == "indicators.read"]
    assert [r["kept"] for r in reads] == [False, True, False]
    assert all(r["outcome"] == "ok" and r["endpoint"] == "GET /indicators" for r in reads)
    assert all(r["actor"] == "evaluator:team-a" for r in log if r["action"] == "indicators.read")


async def test_indicators_need_the_timeline_scope(client: httpx.AsyncClient) -> None:
    assert (await client.get("/indicators")).status_code == 401
    assert (await read(client, "/indicators", "not-a-token-at-all-000")).status_code == 401
    refused = await read(client, "/indicators", AUDITOR)
    assert refused.status_code == 403
    [denied] = (await read(client, "/audit", AUDITOR, limit=1)).json()["records"]
    assert denied["action"] == "access.denied" and denied["actor"] == "auditor:dpo"
    assert denied["detail"]["endpoint"] == "GET /indicators"
    bad = await read(client, "/indicators", period="2025-13")
    assert bad.status_code == 422 and "2025-13" not in bad.text


async def test_without_the_evaluation_extra_the_dashboard_says_what_to_install(
        client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # `import duckdb` fails, as uninstalled
    response = await read(client, "/indicators", period="2025")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "indicators.unavailable"
    assert "sote-silta[evaluation]" in error["message"] and "duckdb" in error["message"]
    session = (await read(client, "/ui/session", view="dashboard")).json()
    assert "sote-silta[evaluation]" in session["dashboard_unavailable"]
    log = (await read(client, "/audit", AUDITOR, limit=2)).json()["records"]
    assert [(r["action"], r["detail"]["outcome"]) for r in log] == [
        ("page.view", "ok"), ("indicators.read", "unavailable")]
    monkeypatch.undo()
    session = (await read(client, "/ui/session", view="dashboard")).json()
    assert session["dashboard_unavailable"] is None


async def test_every_client_can_be_found_by_search_and_paging(client: httpx.AsyncClient) -> None:
    everyone = (await read(client, "/clients", limit=1000)).json()
    assert everyone["matched"] == len(everyone["clients"]) > 100
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 17}
    while True:
        page = (await read(client, "/clients", **params)).json()
        seen += [c["client"] for c in page["clients"]]
        if "next_cursor" not in page:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [c["client"] for c in everyone["clients"]]  # same order, none twice
    last = everyone["clients"][-1]["client"]
    found = (await read(client, "/clients", search=last[5:14])).json()
    assert last in [c["client"] for c in found["clients"]]
    assert all(last[5:14] in c["client"] for c in found["clients"])
    assert found["matched"] == len(found["clients"])
    # A cursor belongs to its search, and a search is a pseudonym's characters only.
    first = (await read(client, "/clients", limit=5, search="a")).json()
    other = await read(client, "/clients", limit=5, search="b", cursor=first["next_cursor"])
    assert other.status_code == 400 and other.json()["error"]["code"] == "cursor.mismatch"
    assert (await read(client, "/clients", search="010190-999P")).status_code == 422
