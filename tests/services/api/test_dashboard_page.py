"""The dashboard (and the timeline page's client list) in headless Chromium, against the
query API under uvicorn on a store of simulated clients: the page shows what
`silta evaluate indicators --json` prints for the same store, period and grouping;
suppressed cells are shown as suppressed; definitions open; keyboard and both languages
work; axe-core finds nothing serious on any view."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from services.api.app import build_app
from services.evaluation import Timeline
from services.evaluation.indicators import indicators
from services.evaluation.periods import parse_period
from services.evaluation.tables import Options
from tests.services.api.browser import Visit, chromium, serious_violations, visit
from tests.services.api.simulated import simulated_store
from tests.services.api.support import AUDITOR, READER, api_settings, bearer, served

CLIENTS = 150
SILTA = Path(sys.executable).parent / "silta"


@pytest.fixture(scope="module")
async def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dashboard-page')}/timeline.sqlite3"
    await simulated_store(url, CLIENTS)
    return url


@pytest.fixture(scope="module")
async def base(store_url: str) -> AsyncIterator[str]:
    async with served(build_app(api_settings(store_url))) as address:
        yield address


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def tab(browser: Browser, base: str, tmp_path: Path) -> AsyncIterator[Visit]:
    async with visit(browser) as seen:
        yield seen
        await seen.shot(tmp_path / "dashboard.png")
        # Offline by design: every request went to the API on 127.0.0.1 (the page, its
        # files, the charting library, the data), none carried the token in its URL, and
        # nothing the page ran was refused by its CSP.
        assert seen.requests
        assert {urlsplit(u).netloc for u in seen.requests} == {urlsplit(base).netloc}
        assert {urlsplit(u).hostname for u in seen.requests} == {"127.0.0.1"}
        assert not [u for u in seen.requests if READER in u]
        assert not [line for line in seen.console if "Content Security Policy" in line], \
            seen.console
        assert not seen.errors


async def dashboard(tab: Visit, base: str, *, english: bool = True) -> None:
    await tab.page.goto(f"{base}/ui/#dashboard")
    if english:
        await tab.page.click("#lang")
    await tab.page.fill("#token", READER)
    await tab.page.click("#login button[type=submit]")
    await drawn(tab.page)


async def drawn(page: Page) -> None:
    await page.wait_for_selector("#dashboard-view[data-drawn]:not([aria-busy])", timeout=120_000)


async def choose(page: Page, period: str, by: str) -> None:
    await page.select_option("#dash-period", period)
    await drawn(page)
    await page.select_option("#dash-by", by)
    await drawn(page)
    await expect(page.locator("#dashboard-view")).to_have_attribute(
        "data-drawn", f"{period}|{by}|en")


async def cli(store_url: str, *args: str) -> list[dict[str, Any]]:
    """`silta evaluate indicators --json` as a user runs it, on the same store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILTA_")}
    process = await asyncio.create_subprocess_exec(
        str(SILTA), "evaluate", "indicators", "--store", store_url, "--json", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


async def counted_to(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers=bearer(READER), timeout=120) as http:
        return str((await http.get("/indicators")).json()["counted_to"])


def rounded(value: float, places: int, scale: int = 1) -> Decimal:
    # Chromium's Intl.NumberFormat (ICU) takes the shortest decimal that reads back as the
    # number (Python's repr), scales it in decimal and rounds half away from zero.
    exact = Decimal(repr(value)) * scale
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def expected_text(record: dict[str, Any], field: str) -> str:
    """What the page should show for a record's field, in English (en-GB)."""
    hidden = record["suppressed"]
    value = record[field]
    if field in hidden or (field == "value" and value is None
                           and {"numerator", "denominator"} & set(hidden)):
        return "suppressed"
    if value is None:
        return "–"
    if field != "value":
        return f"{value:,}"
    indicator = record["indicator"]
    if indicator.startswith(("child-welfare.", "service-need.", "cross-sector.")) or \
            indicator == "paths.variant":
        return f"{rounded(value, 1, 100)}%"
    if indicator.startswith("outcome.change."):
        text = f"{rounded(value, 2)}"
        return text if text in ("0.00", "-0.00") else ("+" + text).replace("+-", "-")
    if indicator.startswith("costs."):
        return f"€{rounded(value, 0):,}"
    return f"{rounded(value, 1)} days"


async def shown_rows(page: Page) -> dict[tuple[str, str], dict[str, str]]:
    return dict(await page.evaluate("""() => Object.fromEntries(
      [...document.querySelectorAll("#table-all tbody tr")].map((row) => [
        `${row.dataset.indicator}|${row.dataset.group}`,
        Object.fromEntries([...row.querySelectorAll("td[data-field]")].map(
          (cell) => [cell.dataset.field, cell.textContent]))]))"""))


async def compare(page: Page, records: list[dict[str, Any]]) -> None:
    rows = await shown_rows(page)
    assert len(rows) == len(records)
    for record in records:
        row = rows[f"{record['indicator']}|{record['group'] or ''}"]
        for field in ("numerator", "denominator", "value", "open"):
            assert row[field] == expected_text(record, field), (record, field, row)


async def test_the_dashboard_shows_what_silta_evaluate_indicators_prints(
        tab: Visit, base: str, store_url: str) -> None:
    await dashboard(tab, base)
    as_of = await counted_to(base)
    everyone = await cli(store_url, "--as-of", as_of)
    await compare(tab.page, everyone)
    await choose(tab.page, "2025H1", "age_band")
    grouped = await cli(store_url, "--as-of", as_of, "--period", "2025H1", "--by", "age_band")
    await compare(tab.page, grouped)
    # Some of these cells are published and some withheld.
    assert {r["numerator"] is None for r in grouped} == {True, False}
    # The deadline table of the chosen period shows the same numbers.
    cells = await tab.page.locator(
        "#table-deadlines table:last-child tr[data-indicator='child-welfare.decision-7wd']"
        "[data-group=''] td.num").all_text_contents()
    decided = next(r for r in grouped if r["indicator"] == "child-welfare.decision-7wd"
                   and r["group"] is None and r["period"] == "2025H1")
    assert cells[:4] == [expected_text(decided, f)
                         for f in ("numerator", "denominator", "value", "open")]


async def test_the_trend_and_the_charts_draw_the_same_numbers(
        tab: Visit, base: str, store_url: str) -> None:
    await dashboard(tab, base)
    until = dt.date.fromisoformat(await counted_to(base)) + dt.timedelta(days=1)
    timeline = Timeline.from_store(store_url)
    view = timeline.current()
    halves = await tab.page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-trend'))"
        ".getOption().xAxis[0].data")
    expected = []
    for half in halves:
        records = indicators(timeline.con, view, Options(period=parse_period(half), until=until))
        expected.append({r.indicator: r.value for r in records
                         if r.indicator.startswith(("child-welfare.", "service-need."))
                         and r.group is None})
    series = await chart_series(tab.page, "chart-trend")
    assert len(series) == 3
    for line in series:
        for half, point, values in zip(halves, line["data"], expected, strict=True):
            value = next(v for k, v in values.items() if line["name"].startswith(NAMES[k]))
            assert point["value"] == (None if value is None else pytest.approx(value * 100)), half
    # The outcome chart: each published mean change is a bar, each suppressed one an
    # empty bar that says so.
    records = await cli(store_url, "--as-of", str(until - dt.timedelta(days=1)))
    changes = [r for r in records if r["indicator"].startswith("outcome.change.")]
    bars = [d for s in await chart_series(tab.page, "chart-outcomes") for d in s["data"]
            if d is not None and d["value"] is not None]
    assert sorted(d["value"] for d in bars if not d["suppressed"]) == \
        pytest.approx(sorted(r["value"] for r in changes if r["value"] is not None))
    assert [d["label"] for d in bars if d["suppressed"]] == \
        ["suppressed"] * sum(r["value"] is None for r in changes)


NAMES = {"child-welfare.decision-7wd": "Child-welfare matter decided",
         "child-welfare.assessment-3m": "Child-welfare assessment completed",
         "service-need.assessment-start-7wd-75plus": "Service-need assessment started"}


async def chart_series(page: Page, chart: str) -> list[dict[str, Any]]:
    return list(await page.evaluate(SERIES, chart))


SERIES = """(id) => echarts.getInstanceByDom(document.getElementById(id)).getOption().series
  .map((s) => ({ name: s.name, data: s.data.map((d) => (d === null ? null : {
    value: d.value ?? null, suppressed: Boolean(d.suppressed), label: d.label?.formatter ?? null })) }))"""


async def test_suppressed_cells_are_shown_as_suppressed(tab: Visit, base: str) -> None:
    await dashboard(tab, base)
    await choose(tab.page, "2025H1", "age_band")
    hidden = tab.page.locator("#table-all td.suppressed")
    assert await hidden.count() > 10
    for text in await hidden.all_text_contents():
        assert text == "suppressed"
    # Every suppressed cell of every table, not only the full one, says so in words.
    for text in await tab.page.locator("td.suppressed").all_text_contents():
        assert text == "suppressed" and not any(c.isdigit() for c in text)
    await expect(tab.page.locator("#dash-suppression")).to_contain_text(
        "fewer than 5 individuals")
    await expect(tab.page.locator("#note-outcomes")).to_contain_text("Suppressed, not drawn")


async def test_definitions_open_with_the_keyboard_in_both_languages(
        tab: Visit, base: str) -> None:
    await dashboard(tab, base, english=False)
    await expect(tab.page.locator("#dash-deadlines-title")).to_have_text(
        "Lakisääteiset määräajat")
    await expect(tab.page.locator("#table-all th[scope=row]").first).to_have_text(
        "Lastensuojeluasia ratkaistu 7 arkipäivässä")
    await tab.page.focus("#dash-by")
    await tab.page.keyboard.press("Tab")  # the first section's definition
    assert await tab.page.evaluate("document.activeElement.parentElement.id") == "def-deadlines"
    definition = tab.page.locator("#def-deadlines dl")
    await expect(definition).to_be_hidden()
    await tab.page.keyboard.press("Enter")
    await expect(definition).to_be_visible()
    await expect(definition).to_contain_text("Lastensuojelulaki 417/2007 26 §")
    await tab.page.click("#lang")
    await expect(definition).to_contain_text("Child-welfare matter decided within 7 working days")
    await expect(tab.page.locator("#table-all th[scope=row]").first).to_have_text(
        "Child-welfare matter decided within 7 working days")
    # The selects work from the keyboard too: a new grouping is fetched and drawn.
    await tab.page.focus("#dash-by")
    await tab.page.keyboard.press("ArrowDown")
    await drawn(tab.page)
    await expect(tab.page.locator("#dashboard-view")).to_have_attribute("data-drawn", "|organisation|en")


async def test_every_dashboard_view_is_audited(tab: Visit, base: str) -> None:
    await dashboard(tab, base)
    await choose(tab.page, "2025", "sector")
    async with httpx.AsyncClient(base_url=base, headers=bearer(AUDITOR)) as http:
        records = (await http.get("/audit", params={"limit": 50})).json()["records"]
    mine = [r for r in records if r["actor"] == "evaluator:team-a"]
    assert any(r["action"] == "page.view" and r["detail"]["view"] == "dashboard" for r in mine)
    reads = [r["detail"] for r in mine if r["action"] == "indicators.read"]
    assert {"period": "2025", "by": "sector"}.items() <= reads[0].items()


async def test_a_wrong_token_shows_the_login_form_again(tab: Visit, base: str) -> None:
    await tab.page.goto(f"{base}/ui/#dashboard")
    await tab.page.fill("#token", "not-a-valid-token-0123456789")
    await tab.page.click("#login button[type=submit]")
    await expect(tab.page.locator("#login-error")).to_be_visible()
    await expect(tab.page.locator("#dashboard-view")).to_be_hidden()
    assert not [u for u in tab.requests if "/indicators" in u or "echarts" in u]


async def test_without_the_evaluation_extra_the_page_says_the_dashboard_is_unavailable(
        tab: Visit, base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # the API runs in this process
    await tab.page.goto(f"{base}/ui/#dashboard")
    await tab.page.click("#lang")
    await tab.page.fill("#token", READER)
    await tab.page.click("#login button[type=submit]")
    status = tab.page.locator("#dash-status")
    await expect(status).to_contain_text("The dashboard is unavailable")
    await expect(status).to_contain_text("pip install 'sote-silta[evaluation]'")
    await expect(tab.page.locator("#dash-content")).to_be_hidden()


async def test_any_client_can_be_found_in_the_list(tab: Visit, base: str) -> None:
    await tab.login(base, READER)
    rows = tab.page.locator("#clients-table tbody tr")
    await expect(rows).to_have_count(100)  # a page
    await expect(tab.page.locator("#clients-count")).to_contain_text("100 / ")
    await tab.page.click("#clients-more")
    await expect(rows).not_to_have_count(100)
    last = await rows.last.locator("code").text_content()
    assert last
    await tab.page.fill("#client-search", last[3:15])
    await expect(rows.first.locator("code")).to_have_text(last)
    await expect(tab.page.locator("#clients-more")).to_be_hidden()
    await tab.page.fill("#client-search", "010190-999P")  # never sent: not a pseudonym
    await expect(tab.page.locator("#clients-count")).to_contain_text("0–9")
    assert not [u for u in tab.requests if "010190" in u]


async def test_no_serious_accessibility_violations_on_any_view(
        tab: Visit, base: str) -> None:
    page = tab.page
    await page.goto(f"{base}/ui/")
    found = {"login": await serious_violations(page)}
    await tab.login(base, READER)
    await expect(page.locator("#clients-table tbody tr").first).to_be_visible()
    found["clients"] = await serious_violations(page)
    await page.locator("#clients-table tbody a").first.click()
    await expect(page.locator("#timeline .vis-point.mark").first).to_be_visible()
    await page.click("#kind-filter summary")
    found["timeline"] = await serious_violations(page)
    await page.evaluate("location.hash = '#dashboard'")
    await drawn(page)
    for details in await page.locator("#dashboard-view details summary").all():
        await details.click()
    found["dashboard"] = await serious_violations(page)
    await page.click("#lang")
    await drawn(page)
    found["dashboard, English"] = await serious_violations(page)
    assert found == {view: [] for view in found}


@pytest.mark.parametrize("zone", ["Pacific/Honolulu", "Europe/Helsinki"])
async def test_the_time_axis_is_helsinkis_across_a_change_of_summer_time(
        browser: Browser, base: str, zone: str) -> None:
    # Helsinki leaves summer time on 26.10.2025: an axis that kept the offset its window
    # starts with would name October twice (1.11. 00:00 +03:00 is still 31.10. in
    # Helsinki), so the client's timeline starts in summer and ends in winter.
    async with httpx.AsyncClient(base_url=base, headers=bearer(READER)) as http:
        clients = (await http.get("/clients", params={"limit": 1000})).json()["clients"]
        for row in clients:
            entries = (await http.get(f"/clients/{row['client']}/timeline",
                                      params={"limit": 500})).json()["entries"]
            days = sorted(e["occurred_at"][:10] for e in entries)
            if "2025-05-15" < days[0] < "2025-09-01" and days[-1] > "2025-11-15":
                break
        else:
            pytest.fail("no simulated client from the summer to the winter")
    async with visit(browser, timezone=zone) as honolulu:
        await honolulu.login(base, READER)
        await honolulu.page.evaluate(f"location.hash = '#client/{row['client']}'")
        await honolulu.page.wait_for_selector(f"#timeline[data-drawn='{row['client']}']")
        await honolulu.page.click("#zoom-fit")
        months = await honolulu.page.locator(
            "#timeline .vis-time-axis .vis-text.vis-minor").all_text_contents()
        assert {"loka", "marras"} <= set(months), months
        assert all(a != b for a, b in pairwise(months)), months
        assert not honolulu.errors
