"""The page's server side without a browser: headers, the audited page views, what the
page refuses, and the vendored files it ships."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.api.pages import STATIC
from tests.services.api.support import AUDITOR, CLIENT_A, READER, api, bearer, seeded_store_url

VENDOR = STATIC / "vendor"
ASSETS = STATIC.parent / "assets"
TESTS_VENDOR = Path(__file__).parent / "vendor"


@pytest.fixture
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with api(await seeded_store_url(request, tmp_path, "sqlite")) as c:
        yield c


async def test_the_page_and_its_files_carry_the_security_headers(
        client: httpx.AsyncClient) -> None:
    for path in ("/ui/", "/ui/static/login.js", "/ui/static/vendor/vis-timeline-graph2d.min.js"):
        response = await client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        assert response.headers["referrer-policy"] == "no-referrer"
    page = (await client.get("/ui/")).text
    # No inline script and no inline event handler: every script is a file.
    assert "<script>" not in page and not re.search(r"\son[a-z]+\s*=", page)
    assert (await client.get("/ui", follow_redirects=False)).headers["location"] == "/ui/"


async def test_a_page_view_needs_a_token_and_is_audited(client: httpx.AsyncClient) -> None:
    assert (await client.get("/ui/session")).status_code == 401
    assert (await client.get("/ui/session", headers=bearer(AUDITOR))).status_code == 403
    seen = await client.get("/ui/session", params={"view": "client", "client": CLIENT_A},
                            headers=bearer(READER))
    assert seen.status_code == 200
    assert seen.json()["labels"]["kinds"]["decision.made"] == {"fi": "Päätös tehtiin",
                                                               "en": "Decision made"}
    records = (await client.get("/audit", headers=bearer(AUDITOR))).json()["records"]
    view = next(r for r in records if r["action"] == "page.view")
    assert view["client"] == CLIENT_A and view["detail"]["view"] == "client"
    assert view["actor"] == "evaluator:team-a"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.sampled_from(["010190-999P", "010190A999P", CLIENT_A.upper(), ""]),
                 st.text(max_size=40)))
async def test_the_page_view_takes_only_a_pseudonym(client: httpx.AsyncClient,
                                                    value: str) -> None:
    response = await client.get("/ui/session", params={"view": "client", "client": value},
                                headers=bearer(READER))
    if len(value) == 32 and all(c in "0123456789abcdef" for c in value):
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "request.invalid"
    if len(value) >= 8:  # shorter ones can occur in the message's own words
        assert value not in response.text  # an invalid value is never echoed


def test_only_the_built_files_ship_each_with_its_licence() -> None:
    shipped = {p.name for p in VENDOR.iterdir() if p.is_file()}
    assert shipped == {"moment.min.js", "moment-locale-fi.js", "moment-timezone.min.js",
                       "moment-timezone-helsinki.js", "vis-data.min.js",
                       "vis-timeline-graph2d.min.js", "vis-timeline-graph2d.min.css",
                       "echarts.common.min.js"}
    lock = json.loads((ASSETS / "package-lock.json").read_text())
    licences = {p.name for p in (VENDOR / "licenses").iterdir()}
    for path, package in lock["packages"].items():
        if not path or path.startswith("node_modules/@types/"):
            continue
        name = path.removeprefix("node_modules/").replace("/", "_")
        # Build-time and test-only packages (axe-core) are not shipped, nor their licences.
        folder = TESTS_VENDOR if package.get("dev") else VENDOR / "licenses"
        found = {p.name for p in folder.iterdir()} if package.get("dev") else licences
        assert any(f.startswith(f"{name}-{package['version']}-") for f in found), name
    assert (VENDOR / "licenses" / "echarts-6.1.0-NOTICE").exists()  # Apache-2.0 section 4
    assert not (ASSETS / "node_modules").exists() or \
        "node_modules/" in (ASSETS / ".gitignore").read_text()


def test_no_shipped_script_compiles_code_at_run_time() -> None:
    # The CSP has no 'unsafe-eval': a library that builds functions from strings would
    # fail in the browser (ECharts' full build does, for GeoJSON maps; its common build
    # does not). The browser tests check the same under the real CSP.
    for script in [*VENDOR.glob("*.js"), *STATIC.glob("*.js")]:
        text = script.read_text(encoding="utf-8")
        assert not re.search(r"new Function\(|[^\w.$]eval\(", text), script.name
