"""The timeline page in headless Chromium, against the query API under uvicorn on a real
loopback port and a seeded store."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, expect

from services.api.app import build_app
from tests.services.api.browser import Visit, chromium, visit
from tests.services.api.support import (
    A_CURRENT,
    AUDITOR,
    CLIENT_A,
    CLIENT_B,
    READER,
    api_settings,
    bearer,
    seeded_store_url,
    served,
)


@pytest.fixture(scope="module")
async def base(tmp_path_factory: pytest.TempPathFactory,
               request: pytest.FixtureRequest) -> AsyncIterator[str]:
    url = await seeded_store_url(request, tmp_path_factory.mktemp("page"), "sqlite")
    async with served(build_app(api_settings(url))) as address:
        yield address


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def tab(browser: Browser, base: str, tmp_path: Path) -> AsyncIterator[Visit]:
    async with visit(browser) as seen:
        yield seen
        await seen.shot(tmp_path / "page.png")
        # Offline by design: every request went to the API's own origin, and the bearer
        # token never appeared in a URL.
        origin = urlsplit(base).netloc
        assert seen.requests and {urlsplit(u).netloc for u in seen.requests} == {origin}
        assert not [u for u in seen.requests if READER in u or AUDITOR in u]
        assert READER not in seen.page.url
        assert not [line for line in seen.console if "Content Security Policy" in line], \
            seen.console
        assert not seen.errors


async def api_entries(base: str, client: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=base, headers=bearer(READER)) as http:
        page = await http.get(f"/clients/{client}/timeline",
                              params={"include_history": "true", "limit": 500})
    return list(page.json()["entries"])


async def test_without_a_token_only_the_login_form_loads(tab: Visit, base: str) -> None:
    response = await tab.page.goto(f"{base}/ui/")
    assert response is not None and response.ok
    directives = dict(d.strip().split(" ", 1)
                      for d in response.headers["content-security-policy"].split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'none'"
    assert directives["style-src"] == "'self'" and directives["connect-src"] == "'self'"
    await expect(tab.page.locator("#login")).to_be_visible()
    await expect(tab.page.locator("#clients-view")).to_be_hidden()
    assert not [u for u in tab.requests if "/vendor/" in u or "page.js" in u]
    assert not [u for u in tab.requests if "/clients" in u]


async def test_a_wrong_token_shows_the_login_form_again(tab: Visit, base: str) -> None:
    await tab.login(base, "not-a-valid-token-0123456789")
    await expect(tab.page.locator("#login-error")).to_be_visible()
    await expect(tab.page.locator("#login")).to_be_visible()
    await expect(tab.page.locator("#clients-view")).to_be_hidden()
    assert await tab.page.evaluate("sessionStorage.getItem('silta.token')") is None
    assert await tab.page.input_value("#token") == ""


async def test_an_audit_only_token_is_refused(tab: Visit, base: str) -> None:
    await tab.login(base, AUDITOR)
    await expect(tab.page.locator("#login-error")).to_contain_text("timeline:read")
    await expect(tab.page.locator("#clients-view")).to_be_hidden()


async def test_logging_out_forgets_the_token_and_what_was_read(tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    await tab.page.click("#logout")
    await expect(tab.page.locator("#login")).to_be_visible()
    assert await tab.page.evaluate("sessionStorage.getItem('silta.token')") is None
    assert CLIENT_A not in await tab.page.locator("main").inner_html()
    await tab.login(base, READER)  # and a new login works
    await expect(tab.page.locator("#clients-table tbody tr")).to_have_count(3)


async def test_the_client_list_loads_and_filters(tab: Visit, base: str) -> None:
    await tab.login(base, READER)
    rows = tab.page.locator("#clients-table tbody tr")
    await expect(rows).to_have_count(3)
    first = rows.nth(0).locator("td")
    await expect(first.nth(0)).to_have_text(CLIENT_A)  # both sectors first
    await expect(first.nth(1)).to_have_text("2")  # current health entries: 3 and 5
    await tab.page.fill("#client-search", CLIENT_B[:6])
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0).locator("td").nth(0)).to_have_text(CLIENT_B)
    await tab.page.fill("#client-search", "zz")
    await expect(rows).to_have_count(0)


async def open_client(tab: Visit, base: str, client: str) -> None:
    await tab.login(base, READER)
    await expect(tab.page.locator("#clients-table tbody tr").first).to_be_visible()
    await tab.page.click(f"a[href='#client/{client}']")
    await expect(tab.page.locator("#client-view")).to_be_visible()
    await expect(tab.page.locator("#timeline .vis-point.mark").first).to_be_visible()


async def test_the_swimlane_shows_both_lanes_with_every_entry(tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    entries = await api_entries(base, CLIENT_A)
    for sector in ("health", "social"):
        expected = [e for e in entries if e["sector"] == sector]
        await expect(tab.page.locator(f"#timeline .vis-point.mark[data-sector={sector}]")).to_have_count(
            len(expected))
    labels = tab.page.locator("#timeline .vis-label.lane")
    await expect(labels).to_have_count(2)
    await expect(labels.nth(0)).to_contain_text("Terveydenhuolto")
    await expect(labels.nth(1)).to_contain_text("Sosiaalihuolto")
    # Sub-lanes: the social entries of service task 22 have a lane named after it.
    await expect(tab.page.locator("#timeline .vis-label.sublane-social")).to_contain_text(
        ["Lastensuojelu"])


async def test_amended_and_retracted_entries_are_marked_and_hideable(
        tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    entries = {e["sequence"]: e for e in await api_entries(base, CLIENT_A)}
    retraction = tab.page.locator(f".mark[data-id='{entries[6]['entry_id']}']")
    await expect(retraction).to_have_class(re.compile(r"\bmark-retracted\b"))
    await expect(retraction).to_have_text("✕")
    withdrawn = tab.page.locator(f".mark[data-id='{entries[4]['entry_id']}']")
    await expect(withdrawn).to_have_attribute("data-view", "retracted")
    amendment = tab.page.locator(f".mark[data-id='{entries[3]['entry_id']}']")
    await expect(amendment).to_have_attribute("data-status", "amended")
    await expect(amendment).to_have_class(re.compile(r"\bmark-amended\b"))
    superseded = tab.page.locator(f".mark[data-id='{entries[1]['entry_id']}']")
    await expect(superseded).to_have_attribute("data-view", "superseded")

    await tab.page.uncheck("#show-history")
    shown = tab.page.locator("#timeline .vis-point.mark")
    await expect(shown).to_have_count(len(A_CURRENT))
    ids = {await m.get_attribute("data-id") for m in await shown.all()}
    assert ids == {entries[n]["entry_id"] for n in A_CURRENT}
    await tab.page.check("#show-history")
    await expect(shown).to_have_count(len(entries))


async def test_keyboard_focus_reaches_the_marks_and_opens_the_card(
        tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    await tab.page.focus("#zoom-fit")
    for _ in range(40):  # Tab through the toolbar and the filters to the first mark
        await tab.page.keyboard.press("Tab")
        if await tab.page.evaluate("document.activeElement.classList.contains('mark')"):
            break
    else:
        pytest.fail("Tab never reached a mark")
    focused = await tab.page.evaluate("document.activeElement.dataset.id")
    card = tab.page.locator("#card-body")
    await expect(card).to_be_visible()
    await expect(card).to_have_attribute("data-id", focused)
    await tab.page.keyboard.press("ArrowRight")
    await expect(card).not_to_have_attribute("data-id", focused)
    moved = await tab.page.evaluate("document.activeElement.dataset.id")
    assert moved != focused
    await expect(card).to_have_attribute("data-id", moved)


async def test_the_card_names_codes_and_values(tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    entries = {e["sequence"]: e for e in await api_entries(base, CLIENT_A)}
    await tab.page.focus(f".mark[data-id='{entries[7]['entry_id']}']")
    card = tab.page.locator("#card-body")
    await expect(card).to_contain_text("Vaikuttavuusmittari kirjattiin")
    await expect(card).to_contain_text("6.5 {score}")
    await expect(card).to_contain_text("ICD-10 F10.2 (Alkoholiriippuvuus)")
    await tab.page.click("#lang")
    await expect(card).to_contain_text("Outcome measure recorded")  # the card follows
    diagnosis = tab.page.locator(f".mark[data-id='{entries[5]['entry_id']}']")
    await expect(diagnosis).to_have_attribute("aria-label", re.compile("^Diagnosis recorded"))
    await diagnosis.focus()
    await expect(card).to_contain_text("Diagnosis recorded")
    await expect(tab.page.locator("#timeline .vis-label.lane").nth(1)).to_contain_text(
        "Social care")


async def test_kind_and_period_filters(tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    marks = tab.page.locator("#timeline .vis-point.mark")
    await expect(marks).to_have_count(7)
    await tab.page.click("#kind-filter summary")
    await tab.page.uncheck("#kind-options input[value='diagnosis.recorded']")
    await expect(marks).to_have_count(6)
    # Entries n occur on T0 + n days (1 March 2025): keep days 2..4.
    await tab.page.fill("#period-from", "2025-03-03")
    await tab.page.fill("#period-to", "2025-03-05")
    await expect(marks).to_have_count(3)
    await tab.page.click("#lang")  # the filters hold across a language switch
    await expect(tab.page.locator("#client-summary")).to_contain_text("3 of 7")
    await expect(marks).to_have_count(3)


async def test_every_view_is_audited_and_identity_codes_are_not_taken(
        tab: Visit, base: str) -> None:
    await open_client(tab, base, CLIENT_A)
    # An identity code in the address is not a route: the page shows the client list and
    # sends it nowhere.
    await tab.page.evaluate("location.hash = '#client/010190-999P'")
    await expect(tab.page.locator("#clients-view")).to_be_visible()
    assert not [u for u in tab.requests if "010190" in u]
    async with httpx.AsyncClient(base_url=base, headers=bearer(AUDITOR)) as http:
        records = (await http.get("/audit", params={"limit": 1000})).json()["records"]
    views = [(r["detail"]["view"], r["client"]) for r in records if r["action"] == "page.view"]
    assert ("client", CLIENT_A) in views and ("clients", None) in views
    assert any(r["action"] == "timeline.read" and r["client"] == CLIENT_A for r in records)


async def test_period_filters_and_times_are_helsinkis_in_any_browser_zone(
        browser: Browser, base: str, tmp_path: Path) -> None:
    # Entries occur at 08:00 in Helsinki, 20:00 the day before in Honolulu: filtering by
    # the browser's days would keep other entries.
    async with visit(browser, timezone="Pacific/Honolulu") as honolulu:
        await open_client(honolulu, base, CLIENT_A)
        marks = honolulu.page.locator("#timeline .vis-point.mark")
        await honolulu.page.fill("#period-from", "2025-03-03")
        await honolulu.page.fill("#period-to", "2025-03-05")
        entries = {e["sequence"]: e for e in await api_entries(base, CLIENT_A)}
        await expect(marks).to_have_count(3)  # entries 2, 3 and 4: 3.-5.3. in Helsinki
        ids = {await m.get_attribute("data-id") for m in await marks.all()}
        assert ids == {entries[n]["entry_id"] for n in (2, 3, 4)}
        await honolulu.page.focus(f".mark[data-id='{entries[2]['entry_id']}']")
        await expect(honolulu.page.locator("#card-body")).to_contain_text("klo 8.00")
        # The time axis is Helsinki's too: zoomed in to hours at the entry (Ctrl + wheel
        # zooms around the pointer), it sits at 08.
        mark = honolulu.page.locator(f".mark[data-id='{entries[2]['entry_id']}']")
        for _ in range(12):
            await mark.hover()
            await honolulu.page.keyboard.down("Control")
            await honolulu.page.mouse.wheel(0, -400)
            await honolulu.page.keyboard.up("Control")
        box = await mark.bounding_box()
        label = honolulu.page.locator("#timeline .vis-time-axis .vis-text.vis-minor",
                                      has_text=re.compile(r"^0?8([:.]00)?$"))
        at = await label.first.bounding_box()
        assert box and at and abs((box["x"] + box["width"] / 2) - at["x"]) < 12
        await honolulu.shot(tmp_path / "honolulu.png")
        assert not honolulu.errors
