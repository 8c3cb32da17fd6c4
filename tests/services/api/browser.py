"""Headless Chromium from Debian's package, driven by Playwright's Python API (no browser
download: `executable_path`). Every page the tests open records the requests it makes,
so a test can check that nothing left the API's origin. `serious_violations` runs
axe-core (tests/services/api/vendor, never shipped) in the page."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Request, async_playwright

from tests.conftest import IN_CI

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def chromium_path() -> str:
    """Debian's Chromium, or a skip that says how to install it; with CI=true a failure."""
    found = shutil.which("chromium") or next(
        (p for p in CHROMIUM_PATHS if Path(p).exists()), None)
    if found is None:
        message = "no Chromium: apt-get install -y chromium chromium-driver"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(),
                                                   headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Visit:
    """One browser tab on the page, with what it requested and what its console said."""

    page: Page
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page

    async def login(self, base: str, token: str) -> None:
        await self.page.goto(f"{base}/ui/")
        await self.page.fill("#token", token)
        await self.page.click("#login button[type=submit]")

    async def shot(self, path: Path) -> None:
        await self.page.screenshot(path=str(path), full_page=True)


@asynccontextmanager
async def visit(browser: Browser, timezone: str | None = None) -> AsyncIterator[Visit]:
    """A tab; `timezone` is the browser's (the machine's by default)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900},
                                        timezone_id=timezone)
    page = await context.new_page()
    seen = Visit(page)

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        seen.console.append(f"{message.type}: {message.text}")

    def on_error(error: Exception) -> None:
        seen.errors.append(str(error))

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", on_error)
    try:
        yield seen
    finally:
        await context.close()


# axe's rules for WCAG 2.0-2.2 A and AA and its best practices; what it rates serious or
# critical fails a test (contrast, names of controls, ARIA misuse, ...). One exemption:
# the swimlane's marks sit where their time puts them, so close events overlap; WCAG
# 2.5.8 exempts targets whose position is essential to the information, and the arrow
# keys reach every mark. Target size is checked everywhere else.
AXE_RUN = """async () => {
  axe.configure({ rules: [{ id: "target-size", selector: "*:not(.vis-point.mark)" }] });
  const result = await axe.run(document, { resultTypes: ["violations"], runOnly: {
    type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} at `
      + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
}"""


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now. The script is
    evaluated through the DevTools protocol, which the page's CSP does not govern: the
    page itself still loads nothing but its own files."""
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(await page.evaluate(AXE_RUN))
