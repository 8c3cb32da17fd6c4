"""Privacy of the query API: with identity codes thrown at every endpoint (in paths, query
parameters, parameter names and tokens), no HETU-shaped string appears in any response
or in any log line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.api.app import build_app
from tests.services.api.support import (
    ADMIN,
    CLIENT_A,
    CLIENT_B,
    api_settings,
    bearer,
    entry_id,
    logs_captured,
    running,
    seeded_store_url,
)

HETU_ANYWHERE = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]")
HETUS = ["131052-308T", "010594Y9032", "130201A9980"]  # synthetic, valid check characters


def test_the_detector_finds_what_it_must() -> None:
    assert all(HETU_ANYWHERE.search(f"x{h}y") for h in HETUS)
    assert not HETU_ANYWHERE.search(f"{CLIENT_A} 2025-03-01T08:00:00.123456+02:00")


async def test_no_identity_code_in_responses_or_logs(
        request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    with logs_captured(capsys, caplog):
        await _probe_everything(request, tmp_path, capsys, caplog)


async def _probe_everything(request: pytest.FixtureRequest, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str],
                            caplog: pytest.LogCaptureFixture) -> None:
    url = await seeded_store_url(request, tmp_path, "sqlite")
    app = build_app(api_settings(url, log_level="DEBUG"))  # logging bound to captured stderr
    hetu = HETUS[0]
    calls: list[tuple[str, dict[str, str]]] = [
        (f"/clients/{CLIENT_A}/timeline", {"include_history": "true"}),
        (f"/clients/{CLIENT_B}/timeline", {"sector": "health", "limit": "1"}),
        (f"/entries/{entry_id(CLIENT_A, 2)}", {}),
        ("/clients", {}),
        ("/audit", {}),
        ("/health", {}), ("/ready", {}), ("/metrics", {}), ("/openapi.json", {}),
        (f"/clients/{hetu}/timeline", {}),
        (f"/clients/{hetu.lower()}/timeline", {}),
        (f"/entries/{hetu}", {}),
        (f"/clients/{CLIENT_A}/timeline", {"kind": hetu, "sector": hetu}),
        (f"/clients/{CLIENT_A}/timeline", {"cursor": hetu.replace("-", "_")}),
        (f"/clients/{CLIENT_A}/timeline", {"since": hetu, "until": hetu}),
        (f"/clients/{CLIENT_A}/timeline", {hetu: "1"}),
        (f"/{hetu}", {}),
    ]
    bodies: list[str] = []
    async with running(app) as client:
        for path, params in calls:
            for headers in (bearer(ADMIN), bearer(HETUS[1]), {}):
                response = await client.get(path, params=params, headers=headers)
                assert response.status_code < 500, (path, response.text)
                bodies.append(response.text)
                bodies.append(str(response.headers))
        statuses = {(await client.get(p, params=q, headers=bearer(ADMIN))).status_code
                    for p, q in calls}
    assert {200, 400, 404, 422} <= statuses  # the error paths were exercised
    logged = capsys.readouterr()
    output = "\n".join([*bodies, logged.out, logged.err, caplog.text])
    assert "api read" in logged.err  # the audit log lines were captured
    assert HETU_ANYWHERE.findall(output) == []
