"""The timeline query API on a real store: reads, filters, pages, errors, and an audit
record for every read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.errors import ConfigError
from tests.services.api.support import (
    A_CURRENT,
    ADMIN,
    AUDITOR,
    CLIENT_A,
    CLIENT_B,
    CLIENT_C,
    READER,
    UNKNOWN,
    api,
    api_settings,
    bearer,
    entry_id,
    seeded_store_url,
)


@pytest.fixture
async def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await seeded_store_url(request, tmp_path, "sqlite")


@pytest.fixture
async def client(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with api(sqlite_url) as c:
        yield c


async def get(client: httpx.AsyncClient, path: str, token: str = READER,
              **params: Any) -> httpx.Response:
    return await client.get(path, params=params, headers=bearer(token))


def sequences(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [e["sequence"] for e in response.json()["entries"]]


async def audit_records(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await get(client, "/audit", AUDITOR, limit=1000)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["records"]))  # oldest first


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_reads_answer_from_the_store_and_each_is_audited(
        request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> None:
    url = await seeded_store_url(request, tmp_path, backend)
    async with api(url) as client:
        page = await get(client, f"/clients/{CLIENT_A}/timeline")
        assert sequences(page) == A_CURRENT
        assert {e["view"] for e in page.json()["entries"]} == {"current"}
        assert page.json()["client"] == CLIENT_A and "next_cursor" not in page.json()

        history = await get(client, f"/clients/{CLIENT_A}/timeline", include_history="true")
        views = {e["sequence"]: e["view"] for e in history.json()["entries"]}
        assert views == {1: "superseded", 2: "current", 3: "current", 4: "retracted",
                         5: "current", 6: "retracted", 7: "current"}

        one = await get(client, f"/entries/{entry_id(CLIENT_A, 7)}")
        assert one.status_code == 200
        assert one.json()["value"] == {"number": 6.5, "unit": "{score}"}
        assert one.json()["view"] == "current" and "corrects" not in one.json()

        clients = await get(client, "/clients")
        assert clients.json()["clients"] == [
            {"client": CLIENT_A, "health": 2, "social": 2, "total": 4},
            {"client": CLIENT_B, "health": 3, "social": 0, "total": 3},
            {"client": CLIENT_C, "health": 0, "social": 1, "total": 1},
        ]
        missing_client = await get(client, f"/clients/{UNKNOWN}/timeline")
        assert missing_client.status_code == 404
        assert missing_client.json()["error"]["code"] == "client.not-found"
        missing_entry = await get(client, f"/entries/{UNKNOWN}")
        assert missing_entry.status_code == 404

        records = await audit_records(client)
    assert [(r["actor"], r["action"], r["client"], r["detail"]["outcome"]) for r in records] == [
        ("evaluator:team-a", "timeline.read", CLIENT_A, "ok"),
        ("evaluator:team-a", "timeline.read", CLIENT_A, "ok"),
        ("evaluator:team-a", "entry.read", CLIENT_A, "ok"),
        ("evaluator:team-a", "clients.list", None, "ok"),
        ("evaluator:team-a", "timeline.read", UNKNOWN, "not-found"),
        ("evaluator:team-a", "entry.read", None, "not-found"),
    ]
    first, second = records[0]["detail"], records[1]["detail"]
    assert first["endpoint"] == "GET /clients/{pseudonym}/timeline"
    assert first["filters"] == {"sector": [], "kind": [], "since": None, "until": None,
                                "include_history": False}
    assert second["filters"]["include_history"] is True and second["returned"] == 7
    assert records[2]["detail"]["entry_id"] == entry_id(CLIENT_A, 7)
    assert all(r["at"].endswith(("Z", "+00:00")) for r in records)


async def test_filters(client: httpx.AsyncClient) -> None:
    path = f"/clients/{CLIENT_A}/timeline"
    assert sequences(await get(client, path, sector="social")) == [2, 7]
    assert sequences(await get(client, path, sector=["social", "health"])) == A_CURRENT
    assert sequences(await get(client, path, kind=["record.amended", "notification.received"])) \
        == [2, 3]
    assert sequences(await get(client, path, sector="health", kind="notification.received")) == []
    # T0 + n days; since inclusive, until exclusive, any offset
    assert sequences(await get(client, path, since="2025-03-04T08:00:00+02:00",
                               until="2025-03-08T06:00:00Z")) == [3, 5]
    assert sequences(await get(client, path, since="2025-03-06T06:00:00Z",
                               include_history="true")) == [5, 6, 7]
    naive = await get(client, path, since="2025-03-04T08:00:00")
    assert naive.status_code == 422
    assert naive.json()["error"]["problems"][0]["location"] == "query.since"
    bad = await get(client, path, sector="education", kind="Not A Kind")
    assert bad.status_code == 422
    assert {p["location"] for p in bad.json()["error"]["problems"]} == {"query.sector.0",
                                                                        "query.kind.0"}


async def test_pages_follow_the_cursor_to_the_end(client: httpx.AsyncClient) -> None:
    path = f"/clients/{CLIENT_A}/timeline"
    seen: list[int] = []
    params: dict[str, Any] = {"include_history": "true", "limit": 2}
    pages = 0
    while True:
        response = await get(client, path, **params)
        seen += sequences(response)
        pages += 1
        cursor = response.json().get("next_cursor")
        if cursor is None:
            break
        params["cursor"] = cursor
    assert seen == [1, 2, 3, 4, 5, 6, 7] and pages == 4

    first = await get(client, path, limit=1, sector="health")
    cursor = first.json()["next_cursor"]
    assert sequences(await get(client, path, limit=5, sector="health", cursor=cursor)) == [5]
    mismatch = await get(client, path, limit=1, sector="social", cursor=cursor)
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == "cursor.mismatch"
    other_client = await get(client, f"/clients/{CLIENT_B}/timeline", sector="health",
                             cursor=cursor)
    assert other_client.json()["error"]["code"] == "cursor.mismatch"
    for garbage in ("abc", "eyJ2IjoxfQ", "e30"):
        invalid = await get(client, path, cursor=garbage)
        assert invalid.status_code == 400 and invalid.json()["error"]["code"] == "cursor.invalid"
    for limit in (0, 501):
        assert (await get(client, path, limit=limit)).status_code == 422


async def test_authentication_and_scopes(client: httpx.AsyncClient) -> None:
    path = f"/clients/{CLIENT_A}/timeline"
    missing = await client.get(path)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "auth.missing"
    assert missing.headers["www-authenticate"] == 'Bearer realm="silta-timeline"'
    wrong = await get(client, path, "x" * 32)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "auth.invalid"
    basic = await client.get(path, headers={"Authorization": f"Basic {READER}"})
    assert basic.status_code == 401
    for endpoint in (path, f"/entries/{entry_id(CLIENT_A, 2)}", "/clients"):
        forbidden = await get(client, endpoint, AUDITOR)
        assert forbidden.status_code == 403, endpoint
        assert forbidden.json()["error"]["code"] == "auth.scope"
        assert "entries" not in forbidden.text
    assert (await get(client, "/audit", READER)).status_code == 403
    assert (await get(client, path, ADMIN)).status_code == 200
    # an unauthenticated caller learns nothing, not even whether a parameter is valid
    assert (await client.get("/clients/NOT-HEX/timeline")).status_code == 401

    records = await audit_records(client)
    denied = [r for r in records if r["action"] == "access.denied"]
    assert [(r["actor"], r["detail"]["scope"]) for r in denied] == [
        ("auditor:dpo", "timeline:read")] * 3 + [("evaluator:team-a", "audit:read")]
    assert all(r["client"] is None for r in denied)
    assert [r["actor"] for r in records if r["action"] == "timeline.read"] == ["ops:admin"]


@pytest.mark.parametrize("value", [
    "010190-999P", "010190A999P", "A1" * 16, "a1" * 15, "a1" * 17, "g" * 32, "%20" + "a" * 29,
])
async def test_path_parameters_must_be_32_lowercase_hex(client: httpx.AsyncClient,
                                                        value: str) -> None:
    for path in (f"/clients/{value}/timeline", f"/entries/{value}"):
        response = await get(client, path)
        assert response.status_code in (404, 422), response.text
        if response.status_code == 422:
            assert response.json()["error"]["code"] == "request.invalid"
        assert value not in response.text
    assert [r for r in await audit_records(client) if r["action"] != "audit.read"] == []


async def test_no_read_without_its_audit_record(sqlite_url: str) -> None:
    async with api(sqlite_url) as client:
        with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as db:
            db.execute("DROP TABLE audit_log")
        response = await get(client, f"/clients/{CLIENT_A}/timeline")
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "audit.unavailable"
        assert response.headers["retry-after"]
        assert "entries" not in response.text and CLIENT_A not in response.text


async def test_operations_endpoints(client: httpx.AsyncClient, tmp_path: Path) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert (await client.get("/ready")).json() == {"status": "ready", "reasons": []}
    await get(client, f"/clients/{CLIENT_A}/timeline")
    await get(client, f"/clients/{UNKNOWN}/timeline")
    metrics = (await client.get("/metrics")).text
    route = 'route="/clients/{pseudonym}/timeline"'
    assert f'silta_http_requests_total{{method="GET",{route},service="api",status="200"}} 1.0' \
        in metrics
    assert f'silta_http_requests_total{{method="GET",{route},service="api",status="404"}} 1.0' \
        in metrics
    assert "silta_http_request_duration_seconds_bucket" in metrics
    assert CLIENT_A not in metrics and UNKNOWN not in metrics


def test_token_configuration_errors_never_show_the_token() -> None:
    secret = "s3cr3t-t0ken-value-1234567890"
    cases = [
        ("{not json", "not valid JSON"),
        (json.dumps([secret]), "must be a JSON object"),
        (json.dumps({secret: {"actor": "evaluator:x", "scopes": ["timeline:write"]}}), "scopes"),
        (json.dumps({secret: {"actor": "evaluator:x"}}), "scopes"),
        (json.dumps({"short": {"actor": "evaluator:x", "scopes": ["audit:read"]}}), "characters"),
    ]
    for raw, expected in cases:
        with pytest.raises(ConfigError) as caught:
            api_settings("sqlite:///unused", api_tokens=raw).grants()
        assert expected in str(caught.value) and secret not in str(caught.value)
    shown = api_settings("sqlite:///unused").redacted()
    assert READER not in json.dumps(shown)
    assert {"actor": "evaluator:team-a", "scopes": ["timeline:read"]} in shown["api_tokens"]
